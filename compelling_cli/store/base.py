"""The interface every store implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping

from ..errors import ConflictError
from ..model import Note, State, Submission


class Store(ABC):
    """Submissions and their parts.

    Decisions are conditional writes: ``transition`` changes a submission only if its
    state is still the one the caller read, so two editors get one decision.
    """

    @abstractmethod
    def add(self, submission: Submission, parts: Mapping[str, bytes]) -> bool:
        """Store the parts, then the record; False if the submission exists already."""

    @abstractmethod
    def get(self, sub_id: str) -> Submission:
        """The submission with that id; raises NotFound."""

    @abstractmethod
    def next_unread(self) -> Submission | None:
        """The oldest unread submission, from the (state, timestamp) index."""

    @abstractmethod
    def list(self, state: State | None = None) -> Iterator[Submission]:
        """Submissions, oldest first, all or in one state."""

    @abstractmethod
    def transition(
        self,
        sub_id: str,
        expected: State,
        target: State,
        *,
        at: int,
        letter: str | None = None,
    ) -> Submission:
        """Move from ``expected`` to ``target``; ConflictError if it moved meanwhile."""

    @abstractmethod
    def add_note(self, sub_id: str, note: Note) -> Submission:
        """Append an editor's note."""

    @abstractmethod
    def mark_sent(self, sub_id: str, kind: str) -> None:
        """Record that the mail ``kind`` (confirmation, notification...) went out."""

    @abstractmethod
    def read_part(self, sub_id: str, name: str) -> bytes:
        """The bytes of one stored part, such as ``raw.eml``."""

    def close(self) -> None:  # noqa: B027 - stores without resources need nothing
        """Release what the store holds open."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _moved(self, sub_id: str, expected: State) -> ConflictError:
        """The error for a conditional write that found another state."""
        now = self.get(sub_id).state
        return ConflictError(
            f"{sub_id} is {now.label} now, not {expected.label}: "
            "someone decided it since you read it",
            f"csf show {sub_id} says what happened",
        )

"""The interface every store implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from ..errors import ConflictError, UsageError
from ..model import Note, State, Submission
from ..queue import LetterStatus, QueuedLetter

if TYPE_CHECKING:
    from ..manuscript import Manuscript
    from ..stats import Tally

#: The orders ``Store.list`` knows.
SORTS = ("received", "words", "state")


def check_sort(sort: str) -> str:
    """``sort`` if ``Store.list`` knows it, else a usage error."""
    if sort not in SORTS:
        raise UsageError(f"unknown sort {sort!r}", f"use one of: {', '.join(SORTS)}")
    return sort


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
    def list(
        self,
        state: State | None = None,
        *,
        author: str | None = None,
        since: int | None = None,
        sort: str = "received",
        limit: int | None = None,
    ) -> Iterator[Submission]:
        """Submissions, all or in one state, oldest first.

        ``author`` keeps those whose name or address contains it, ignoring case;
        ``since`` those received at or after it (epoch seconds); ``sort`` orders by
        ``received``, ``words`` (shortest first) or ``state``, then received;
        ``limit`` keeps the first so many.
        """

    def tally(
        self,
        *,
        since: int | None,
        now: int,
        progress: Callable[[int, int], None] | None = None,
    ) -> Tally:
        """The aggregates behind ``csf stats``, over submissions received since then.

        ``progress(pages, records)`` is called after each page read, from the first
        time a query takes more than one page, so a caller can show it is working.
        Both stores aggregate in their own way; this reads every record, for others.
        """
        from ..stats import tally_records

        records = (s.to_record() for s in self.list(since=since))
        return tally_records(records, since=since, now=now)

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

    def by_email(self, email: str) -> list[Submission]:
        """Every submission from ``email`` (ignoring case), oldest first.

        This reads every record; a store with an index on the address overrides it.
        """
        wanted = email.strip().casefold()
        return [s for s in self.list() if s.email.casefold() == wanted]

    # The letter queue. Several editors share it, so every change of a letter's
    # status is a conditional write, as decisions are.

    @abstractmethod
    def queue_letter(self, letter: QueuedLetter) -> None:
        """Add a letter to the queue; ConflictError if its id is taken."""

    @abstractmethod
    def get_letter(self, letter_id: str) -> QueuedLetter:
        """The letter with that id; raises NotFound."""

    @abstractmethod
    def due_letters(self, now: int) -> list[QueuedLetter]:
        """Queued letters whose send time is ``now`` or earlier, soonest first."""

    @abstractmethod
    def list_letters(
        self,
        status: LetterStatus,
        *,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> list[QueuedLetter]:
        """Letters in one status, by send time (sent ones by the time they went)."""

    @abstractmethod
    def claim_letter(self, letter_id: str, at: int) -> QueuedLetter | None:
        """Move a queued letter to sending; None if it was not queued any more."""

    @abstractmethod
    def mark_letter_sent(self, letter_id: str, at: int) -> None:
        """Record that a letter being sent went out."""

    @abstractmethod
    def release_letter(self, letter_id: str, error: str) -> None:
        """Put a letter whose sending failed back in the queue, with the reason."""

    @abstractmethod
    def cancel_letter(self, letter_id: str) -> bool:
        """Cancel a queued letter; False if it is being sent or went already."""

    def read_manuscript(self, sub: Submission) -> Manuscript:
        """The submission's manuscript, extracted from its stored part."""
        from ..manuscript import extract

        name = sub.manuscript or "body.txt"
        return extract(self.read_part(sub.id, name), name)

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

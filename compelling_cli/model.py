"""Submissions, their states and the decisions allowed between them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from .errors import TransitionError, UsageError


class State(IntEnum):
    """A submission's place in the pile; the numbers are what the table stores."""

    UNREAD = 0
    HELD = 1
    REJECTED = 2
    ACCEPTED = 3
    WITHDRAWN = 4
    QUARANTINED = 5

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, name: str) -> State:
        """The state called ``name`` (``unread``, ``held``, ...), or a usage error."""
        try:
            return cls[name.strip().upper()]
        except KeyError:
            known = ", ".join(state.label for state in cls)
            raise UsageError(
                f"unknown state {name!r}", f"use one of: {known}"
            ) from None


#: Where each state may go. A decided or withdrawn story stays where it is unless the
#: editor forces the change.
TRANSITIONS: Mapping[State, frozenset[State]] = {
    State.UNREAD: frozenset(
        {State.HELD, State.REJECTED, State.ACCEPTED, State.WITHDRAWN}
    ),
    State.HELD: frozenset(
        {State.UNREAD, State.REJECTED, State.ACCEPTED, State.WITHDRAWN}
    ),
    State.QUARANTINED: frozenset({State.UNREAD, State.REJECTED}),
    State.REJECTED: frozenset(),
    State.ACCEPTED: frozenset({State.WITHDRAWN}),
    State.WITHDRAWN: frozenset(),
}


def check_transition(current: State, target: State, *, force: bool = False) -> None:
    """Raise TransitionError unless ``current`` may move to ``target``."""
    if current == target:
        raise TransitionError(f"the submission is already {current.label}")
    if force or target in TRANSITIONS[current]:
        return
    raise TransitionError(
        f"a {current.label} submission cannot be made {target.label}",
        "add --force to change it anyway",
    )


_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TO_ID = str.maketrans(_B32, _ID_ALPHABET)
ID_LENGTH = 10


def submission_id(raw: bytes) -> str:
    """A short, typable id derived from the message bytes (50 bits of SHA-256)."""
    import hashlib

    return id_from_digest(hashlib.sha256(raw).digest())


def id_from_digest(digest: bytes) -> str:
    """The id for a message whose SHA-256 digest is ``digest``."""
    import base64

    return base64.b32encode(digest).decode("ascii")[:ID_LENGTH].translate(_TO_ID)


def iso(epoch: float | None) -> str | None:
    """Epoch seconds as ISO 8601 in UTC, or None."""
    if epoch is None:
        return None
    moment = datetime.fromtimestamp(epoch, UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class Note:
    """An editor's note on a submission."""

    at: int
    text: str


@dataclass
class Submission:
    """One story sent to the magazine, as recorded in either store."""

    id: str
    email: str
    timestamp: int
    state: State = State.UNREAD
    author: str = ""
    title: str = ""
    subject: str = ""
    message_id: str = ""
    word_count: int = 0
    parts: list[str] = field(default_factory=list)
    manuscript: str | None = None
    decided_at: int | None = None
    letter: str | None = None
    notes: list[Note] = field(default_factory=list)
    reason: str | None = None
    automatic: str | None = None
    sent: list[str] = field(default_factory=list)

    @property
    def received_at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, UTC)

    def to_json(self) -> dict[str, Any]:
        """The record as the CLI's ``--json`` prints it."""
        return {
            "id": self.id,
            "email": self.email,
            "author": self.author,
            "title": self.title,
            "subject": self.subject,
            "message_id": self.message_id,
            "state": self.state.label,
            "received_at": iso(self.timestamp),
            "word_count": self.word_count,
            "decided_at": iso(self.decided_at),
            "letter": self.letter,
            "notes": [{"at": iso(n.at), "text": n.text} for n in self.notes],
            "parts": list(self.parts),
            "manuscript": self.manuscript,
            "reason": self.reason,
            "automatic": self.automatic,
        }

    def to_record(self) -> dict[str, Any]:
        """The record under the attribute names that both stores keep."""
        record = asdict(self)
        record["evaluation_state"] = int(record.pop("state"))
        record["s3_postfixes"] = record.pop("parts")
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Submission:
        """A submission from a stored record; absent attributes take their defaults."""
        notes = [
            Note(at=int(n["at"]), text=str(n["text"]))
            for n in record.get("notes") or ()
        ]

        def optional_int(name: str) -> int | None:
            value = record.get(name)
            return None if value is None else int(value)

        return cls(
            id=str(record["id"]),
            email=str(record.get("email") or ""),
            timestamp=int(record.get("timestamp") or 0),
            state=State(int(record.get("evaluation_state") or 0)),
            author=str(record.get("author") or ""),
            title=str(record.get("title") or ""),
            subject=str(record.get("subject") or ""),
            message_id=str(record.get("message_id") or ""),
            word_count=int(record.get("word_count") or 0),
            parts=[str(p) for p in record.get("s3_postfixes") or ()],
            manuscript=record.get("manuscript") or None,
            decided_at=optional_int("decided_at"),
            letter=record.get("letter") or None,
            notes=notes,
            reason=record.get("reason") or None,
            automatic=record.get("automatic") or None,
            sent=[str(s) for s in record.get("sent") or ()],
        )

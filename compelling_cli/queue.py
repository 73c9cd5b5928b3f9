"""The letter queue: a decision's letter waits here until its send time.

A queued letter holds the finished message, so what goes out is what the editor
previewed, whatever happens to the templates meanwhile. Its id is the submission's id
and the decision's time, so a submission's record leads to its letter in one read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from .model import State, iso


class LetterStatus(IntEnum):
    """Where a letter is; the numbers are what the AWS table keeps in its state index,
    beside the submissions' 0 to 5."""

    QUEUED = 10
    SENT = 11
    SENDING = 12
    CANCELLED = 13

    @property
    def label(self) -> str:
        return self.name.lower()


def letter_id(sub_id: str, decided_at: int) -> str:
    """The id of the letter for the decision made on ``sub_id`` at ``decided_at``."""
    return f"{sub_id}.{decided_at}"


@dataclass
class QueuedLetter:
    """A decision's letter, from queued to sent (or cancelled by undo)."""

    id: str
    submission: str
    name: str
    recipient: str
    subject: str
    message: bytes
    due: int
    created: int
    decision: State
    previous: State
    status: LetterStatus = LetterStatus.QUEUED
    by: str = ""
    sent_at: int | None = None
    claimed_at: int | None = None
    attempts: int = 0
    error: str | None = None

    def to_record(self) -> dict[str, Any]:
        """The letter under the attribute names both stores keep."""
        return {
            "id": self.id,
            "submission": self.submission,
            "name": self.name,
            "recipient": self.recipient,
            "subject": self.subject,
            "message": self.message,
            "due": self.due,
            "created": self.created,
            "decision": int(self.decision),
            "previous": int(self.previous),
            "status": int(self.status),
            "by": self.by,
            "sent_at": self.sent_at,
            "claimed_at": self.claimed_at,
            "attempts": self.attempts,
            "error": self.error,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> QueuedLetter:
        """A letter from a stored record."""

        def optional_int(name: str) -> int | None:
            value = record.get(name)
            return None if value is None else int(value)

        return cls(
            id=str(record["id"]),
            submission=str(record["submission"]),
            name=str(record["name"]),
            recipient=str(record.get("recipient") or ""),
            subject=str(record.get("subject") or ""),
            message=bytes(record.get("message") or b""),
            due=int(record["due"]),
            created=int(record["created"]),
            decision=State(int(record["decision"])),
            previous=State(int(record["previous"])),
            status=LetterStatus(int(record["status"])),
            by=str(record.get("by") or ""),
            sent_at=optional_int("sent_at"),
            claimed_at=optional_int("claimed_at"),
            attempts=int(record.get("attempts") or 0),
            error=record.get("error") or None,
        )

    def to_json(self) -> dict[str, Any]:
        """The letter as the CLI's ``--json`` prints it, without the message bytes."""
        return {
            "id": self.id,
            "submission": self.submission,
            "letter": self.name,
            "to": self.recipient,
            "subject": self.subject,
            "status": self.status.label,
            "due": iso(self.due),
            "created": iso(self.created),
            "decision": self.decision.label,
            "previous": self.previous.label,
            "by": self.by,
            "sent_at": iso(self.sent_at),
            "attempts": self.attempts,
            "error": self.error,
        }

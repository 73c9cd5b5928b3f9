"""A Maildir that receives every outgoing message, for a mail client to pick up."""

from __future__ import annotations

import mailbox
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from ..errors import SendError
from .base import Outbox


class MaildirOutbox(Outbox):
    """Letters written to ``<library>/outbox`` as a standard Maildir."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def send(self, message: EmailMessage) -> str:
        try:
            return mailbox.Maildir(self.path, create=True).add(message.as_bytes())
        except OSError as exc:
            raise SendError(f"cannot write to the outbox {self.path}: {exc}") from exc

    def messages(self) -> list[EmailMessage]:
        """Every message in the outbox, in the order they were written."""
        files = [
            path
            for folder in ("new", "cur")
            if (self.path / folder).is_dir()
            for path in (self.path / folder).iterdir()
        ]
        files.sort(key=lambda path: (path.stat().st_mtime_ns, path.name))
        return [
            message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in files
        ]

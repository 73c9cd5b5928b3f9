"""A Maildir that receives every outgoing message, for a mail client to pick up."""

from __future__ import annotations

import itertools
import os
import socket
import time
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from pathlib import Path

from ..errors import SendError
from .base import Outbox

_SEQUENCE = itertools.count(1)


class MaildirOutbox(Outbox):
    """Letters written to ``<library>/outbox`` as a standard Maildir.

    Each message is written under ``tmp/`` and renamed into ``new/``, as the Maildir
    convention asks, so a mail client never sees half a message. Unlike the standard
    library's ``mailbox.Maildir`` it does not fsync every message, which cost more
    than everything else ingest does; the library's parts are not fsynced either.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._ready = False

    def send(self, message: Message) -> str:
        try:
            if not self._ready:
                for folder in ("tmp", "new", "cur"):
                    (self.path / folder).mkdir(parents=True, exist_ok=True)
                self._ready = True
            name = self._unique_name()
            temporary = self.path / "tmp" / name
            with open(temporary, "xb") as handle:
                handle.write(message.as_bytes())
            os.replace(temporary, self.path / "new" / name)
            return name
        except OSError as exc:
            raise SendError(f"cannot write to the outbox {self.path}: {exc}") from exc

    @staticmethod
    def _unique_name() -> str:
        """Sortable by time of writing; unique by process and sequence."""
        host = socket.gethostname().replace("/", "\\057").replace(":", "\\072")
        return f"{time.time_ns():020d}.P{os.getpid()}Q{next(_SEQUENCE)}.{host}"

    def messages(self) -> list[EmailMessage]:
        """Every message in the outbox, in the order they were written."""
        files = [
            path
            for folder in ("new", "cur")
            if (self.path / folder).is_dir()
            for path in (self.path / folder).iterdir()
        ]
        files.sort(key=lambda path: path.name)
        return [
            message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in files
        ]

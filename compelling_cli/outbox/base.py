"""The interface every way of sending mail implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from email.message import EmailMessage


class Outbox(ABC):
    """Hands a finished message to whatever delivers it."""

    @abstractmethod
    def send(self, message: EmailMessage) -> str:
        """Deliver ``message``; return an id for it. Raises SendError on failure."""

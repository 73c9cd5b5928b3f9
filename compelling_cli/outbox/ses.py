"""Letters sent through Amazon SES, as raw messages so every header csf sets stays."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ..aws import client, error_code, error_message, translated
from ..errors import SendError
from .base import Outbox

if TYPE_CHECKING:
    from ..config import Settings


class SesOutbox(Outbox):
    """SES's SendRawEmail; the sender must be a verified address or domain."""

    def __init__(self, sender: str, *, ses: Any = None) -> None:
        self.sender = sender
        self._ses = ses

    @classmethod
    def from_settings(cls, settings: Settings) -> SesOutbox:
        return cls(settings.sender)

    @property
    def ses(self) -> Any:
        if self._ses is None:
            self._ses = client("ses")
        return self._ses

    def send(self, message: EmailMessage) -> str:
        recipient = parseaddr(str(message.get("To", "")))[1]
        with translated(f"cannot send the letter to {recipient}", SendError):
            try:
                sent = self.ses.send_raw_email(
                    Source=self.sender, RawMessage={"Data": message.as_bytes()}
                )
            except ClientError as exc:
                if error_code(exc) == "MessageRejected":
                    raise SendError(
                        f"SES refused the letter to {recipient}: {error_message(exc)}",
                        f"verify {self.sender} or its domain in SES, "
                        "and, in the SES sandbox, the recipients too",
                    ) from exc
                raise
        return str(sent["MessageId"])

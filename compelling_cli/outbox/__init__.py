"""Where outgoing mail goes: one interface, a Maildir by default."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Outbox
from .maildir import MaildirOutbox

if TYPE_CHECKING:
    from ..config import Settings

__all__ = ["MaildirOutbox", "Outbox", "open_outbox"]


def open_outbox(settings: Settings) -> Outbox:
    """The outbox the settings name: SES on AWS, SMTP when smtp_url is set, else the
    Maildir in the library."""
    if settings.backend == "aws":
        from .ses import SesOutbox

        return SesOutbox.from_settings(settings)
    if settings.values.get("smtp_url"):
        from .smtp import SmtpOutbox

        return SmtpOutbox.from_url(str(settings.values["smtp_url"]))
    return MaildirOutbox(settings.home_path / "outbox")

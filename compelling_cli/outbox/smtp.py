"""Letters handed to an SMTP server, as ``CSF_SMTP_URL`` names it.

``smtp://user@host:587`` speaks plain SMTP and upgrades with STARTTLS when the server
offers it (587 is the default port); ``smtps://user@host:465`` starts in TLS. The
password comes from the URL or, better, from ``CSF_SMTP_PASSWORD``. csf refuses to
send a password over a connection that is not encrypted, except to this machine.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from ..errors import ConfigError, SendError
from .base import Outbox

_LOOPBACK = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class SmtpOutbox(Outbox):
    """One connection per letter: letters are few, and a server may drop idle ones."""

    host: str
    port: int
    tls: bool = False
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str, environ: dict[str, str] | None = None) -> SmtpOutbox:
        """The outbox an ``smtp://`` or ``smtps://`` URL describes; ConfigError."""
        environ = dict(os.environ) if environ is None else environ
        hint = "write it like smtp://user@mail.example.com:587"
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as exc:
            raise ConfigError(f"smtp_url is not a URL: {exc}", hint) from None
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError(
                "smtp_url must start smtp:// or smtps:// and name a host", hint
            )
        tls = parts.scheme == "smtps"
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(
            host=parts.hostname,
            port=port or (465 if tls else 587),
            tls=tls,
            user=user,
            password=environ.get("CSF_SMTP_PASSWORD") or password,
        )

    def send(self, message: EmailMessage) -> str:
        where = f"{self.host}:{self.port}"
        try:
            with self._connect() as server:
                self._secure(server)
                if self.user:
                    server.login(self.user, self.password or "")
                server.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(
                f"the mail server {where} refused the login: {_reply(exc)}",
                "check the user in CSF_SMTP_URL and CSF_SMTP_PASSWORD",
            ) from exc
        except smtplib.SMTPException as exc:
            raise SendError(f"the mail server {where} said: {_reply(exc)}") from exc
        except (OSError, ssl.SSLError) as exc:
            raise SendError(
                f"cannot reach the mail server {where}: {exc.strerror or exc}"
                if isinstance(exc, OSError) and exc.strerror
                else f"cannot reach the mail server {where}: {exc}"
            ) from exc
        return str(message["Message-ID"] or "")

    def _connect(self) -> smtplib.SMTP:
        if self.tls:
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _secure(self, server: smtplib.SMTP) -> None:
        """STARTTLS when offered; never a password in the clear but to this machine."""
        server.ehlo()
        if not self.tls and server.has_extn("starttls"):
            server.starttls(context=ssl.create_default_context())
            server.ehlo()
            return
        if self.user and not self.tls and self.host not in _LOOPBACK:
            raise SendError(
                f"the mail server {self.host}:{self.port} offers no encryption, "
                "and csf will not send your password in the clear",
                "use smtps:// or a server that offers STARTTLS",
            )


def _reply(exc: smtplib.SMTPException) -> str:
    """The server's reply in one line, whatever kind of SMTP error carried it."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
    else:
        code = getattr(exc, "smtp_code", None)
        text = getattr(exc, "smtp_error", None)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    detail = " ".join(str(text or exc).split())
    return f"{code} {detail}" if code else detail

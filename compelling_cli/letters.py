"""Letters: the confirmation, the editor's notification and the decisions.

A template is a text file whose first line is ``Subject: ...``, then a blank line, then
the body, with ``$fields``. The defaults ship in ``templates/``; a file of the same name
in ``<library>/letters/`` overrides one. A letter that uses ``$words`` carries the
editor's own words, as the personal rejection does.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from importlib import resources
from pathlib import Path
from string import Template

from .config import Settings
from .errors import ConfigError
from .mail import POLICY, decode_words
from .model import State, Submission

FIELDS = (
    "author",
    "title",
    "magazine",
    "editor",
    "id",
    "received",
    "subject",
    "email",
    "word_count",
    "state",
    "words",
)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_UNSAFE_IN_BODY = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]+")
_REPLY_PREFIX = re.compile(r"^(?:re\s*:\s*)+", re.IGNORECASE)

#: The letters each decision may send, the first being its default. Letters of the
#: editor's own (files in ``<library>/letters/`` under other names) suit any decision.
DECISION_LETTERS: dict[State, tuple[str, ...]] = {
    State.REJECTED: ("form", "personal", "higher-tier"),
    State.ACCEPTED: ("acceptance",),
    State.HELD: ("hold",),
    State.WITHDRAWN: ("withdrawn",),
}


@dataclass(frozen=True)
class Letter:
    """A rendered letter, before it becomes a message."""

    name: str
    subject: str
    body: str


def template_text(name: str, settings: Settings) -> str:
    """The template called ``name``: the editor's own if present, else the default."""
    override = settings.home_path / "letters" / f"{name}.txt"
    try:
        return override.read_text(encoding="utf-8")
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the letter {override}: {exc}") from exc
    try:
        return (resources.files(__package__) / "templates" / f"{name}.txt").read_text(
            encoding="utf-8"
        )
    except FileNotFoundError:
        raise ConfigError(f"there is no letter called {name!r}") from None


def fields_for(submission: Submission, settings: Settings) -> dict[str, str]:
    """The values a template can use, each reduced to one clean line."""
    values = {
        "author": submission.author or "Author",
        "title": submission.title or "your story",
        "magazine": settings.magazine_name,
        "editor": settings.editor or "The editors",
        "id": submission.id,
        "received": submission.received_at.strftime("%-d %B %Y"),
        "subject": submission.subject or submission.title or "your submission",
        "email": submission.email,
        "word_count": f"{submission.word_count:,}",
        "state": submission.state.label,
    }
    return {key: one_line(value) for key, value in values.items()}


def needs_words(name: str, settings: Settings) -> bool:
    """Whether the letter ``name`` carries the editor's own words (``$words``)."""
    text = template_text(name, settings)
    return "$words" in text or "${words}" in text


def render(
    name: str, submission: Submission, settings: Settings, *, words: str = ""
) -> Letter:
    """The letter ``name`` filled in for ``submission``, with the editor's ``words``."""
    text = template_text(name, settings)
    values = {**fields_for(submission, settings), "words": body_text(words)}
    try:
        filled = Template(text).substitute(values)
    except (KeyError, ValueError) as exc:
        known = ", ".join("$" + f for f in FIELDS)
        raise ConfigError(
            f"the letter {name!r} uses an unknown field {exc}", f"known fields: {known}"
        ) from None
    head, _, body = filled.partition("\n\n")
    subject = (
        head.removeprefix("Subject:").strip() if head.startswith("Subject:") else ""
    )
    if not subject:
        body = filled
    subject = _REPLY_PREFIX.sub("Re: ", one_line(subject))
    return Letter(name=name, subject=subject, body=body.strip() + "\n")


def body_text(text: str) -> str:
    """``text`` for a letter's body: control characters gone, long lines wrapped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = [_UNSAFE_IN_BODY.sub(" ", line).rstrip() for line in lines]
    wrapped = [
        textwrap.fill(line, width=72) if len(line) > 72 else line for line in kept
    ]
    return "\n".join(wrapped).strip("\n")


def one_line(text: str) -> str:
    """``text`` without line breaks or control characters: no header forged.

    Encoded words (``=?utf-8?q?...?=``) are decoded first: the generator would decode
    them again on the way out, line breaks included.
    """
    if "=?" in text:
        text = decode_words(text)
    return " ".join(_UNSAFE.sub(" ", text).split()).replace("=?", "=\u2060?")


def compose(
    letter: Letter,
    to: str,
    settings: Settings,
    *,
    to_name: str = "",
    reply_to: Submission | None = None,
) -> EmailMessage:
    """The letter as a message; with ``reply_to``, in that author's thread."""
    message = EmailMessage(policy=POLICY)
    sender = settings.sender
    message["From"] = _address(
        settings.magazine_name if settings.magazine else "", sender
    )
    message["To"] = _address(to_name, to)
    message["Subject"] = letter.subject
    message["Date"] = format_datetime(datetime.now(UTC), usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    if settings.editor_email:
        message["Reply-To"] = settings.editor_email
    if reply_to is not None:
        message["Auto-Submitted"] = (
            "auto-replied" if letter.name == "confirmation" else "no"
        )
        message["X-CSF-Submission"] = reply_to.id
        if reply_to.message_id:
            message_id = one_line(reply_to.message_id)
            message["In-Reply-To"] = message_id
            message["References"] = message_id
    message["X-CSF-Letter"] = letter.name
    # Quoted-printable keeps a letter in any language to 7-bit lines, which every
    # mail server takes; plain ASCII letters go as they are.
    cte = None if letter.body.isascii() else "quoted-printable"
    message.set_content(letter.body, cte=cte)
    return message


def _address(name: str, address: str) -> Address:
    username, _, domain = one_line(address).rpartition("@")
    return Address(display_name=one_line(name), username=username, domain=domain)


def default_letters() -> list[str]:
    """The names of the letters that ship with csf."""
    folder = resources.files(__package__) / "templates"
    return sorted(Path(entry.name).stem for entry in folder.iterdir())

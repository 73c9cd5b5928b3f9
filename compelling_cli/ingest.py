"""Ingest: raw messages become submissions, and the right mail goes out once.

The local ``csf ingest`` and the Lambda share ``acknowledge``: it looks at which mails
the record says went out and sends only what is missing, so a redelivered message or a
retry after a failed send never mails anyone twice.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import letters
from .config import Settings
from .errors import InputError
from .mail import looks_like_message, parse_message
from .model import State, Submission
from .outbox import Outbox
from .store import Store

CONFIRMATION = "confirmation"
NOTIFICATION = "notification"


@dataclass
class Ingested:
    """What became of one message."""

    submission: Submission
    created: bool
    sent: list[str] = field(default_factory=list)


def ingest_message(
    raw: bytes,
    store: Store,
    outbox: Outbox,
    settings: Settings,
    *,
    now: float | None = None,
) -> Ingested:
    """Store one raw message as a submission and send what it is owed."""
    parsed = parse_message(raw, now=now)
    created = store.add(parsed.submission, parsed.parts)
    submission = parsed.submission if created else store.get(parsed.submission.id)
    sent = acknowledge(submission, store, outbox, settings)
    return Ingested(submission, created, sent)


def owed_mail(submission: Submission, settings: Settings) -> list[str]:
    """The mails this submission should cause, whether or not they went out yet."""
    owed = []
    if submission.state != State.QUARANTINED:
        owed.append(CONFIRMATION)
    if settings.editor_email and not submission.automatic:
        owed.append(NOTIFICATION)
    return owed


def acknowledge(
    submission: Submission, store: Store, outbox: Outbox, settings: Settings
) -> list[str]:
    """Send the confirmation and notification not yet sent; return what went."""
    sent = []
    for kind in owed_mail(submission, settings):
        if kind in submission.sent:
            continue
        letter = letters.render(kind, submission, settings)
        if kind == CONFIRMATION:
            message = letters.compose(
                letter,
                submission.email,
                settings,
                to_name=submission.author,
                reply_to=submission,
            )
        else:
            message = letters.compose(letter, settings.editor_email or "", settings)
        outbox.send(message)
        store.mark_sent(submission.id, kind)
        submission.sent.append(kind)
        sent.append(kind)
    return sent


@dataclass
class Source:
    """One message found on disk, or why a path could not be read."""

    label: str
    raw: bytes | None = None
    error: InputError | None = None


def find_messages(paths: Iterable[Path]) -> Iterator[Source]:
    """Messages in .eml files, directories of them (Maildirs too) and mbox files."""
    for path in paths:
        if path.is_dir():
            yield from _directory(path)
        elif path.exists():
            yield from _file(path)
        else:
            yield Source(str(path), error=InputError(f"{path} does not exist"))


def _directory(path: Path) -> Iterator[Source]:
    if all((path / sub).is_dir() for sub in ("cur", "new", "tmp")):
        files = sorted(p for sub in ("cur", "new") for p in (path / sub).iterdir())
    else:
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() == ".eml")
    if not files:
        yield Source(str(path), error=InputError(f"{path} holds no .eml files"))
    for file in files:
        yield from _file(file)


def _file(path: Path) -> Iterator[Source]:
    try:
        with path.open("rb") as handle:
            head = handle.read(5)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        yield Source(str(path), error=InputError(f"cannot read {path}: {reason}"))
        return
    if head == b"From ":
        yield from _mbox(path)
        return
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        yield Source(str(path), error=InputError(f"cannot read {path}: {reason}"))
        return
    if not looks_like_message(raw):
        yield Source(
            str(path),
            error=InputError(
                f"{path} is not an email message",
                "give .eml files, Maildirs or mbox files",
            ),
        )
        return
    yield Source(str(path), raw=raw)


def _mbox(path: Path) -> Iterator[Source]:
    box = mailbox.mbox(path, create=False)
    try:
        for number, key in enumerate(box.keys(), start=1):
            yield Source(f"{path}#{number}", raw=box.get_bytes(key))
    finally:
        box.close()

"""Deciding: the conditional write, the letter queued with its send time, sending.

A decision changes the submission's state only if it is still the one the editor read,
then queues the letter, due now or after the delay the settings give. ``send_due``
sends the letters whose time has come; each is claimed with a conditional write first,
so two senders never send one letter twice, and a failed send puts it back.
"""

from __future__ import annotations

import getpass
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime

from . import letters
from .config import Settings
from .errors import (
    ConfigError,
    ConflictError,
    CsfError,
    NotFound,
    TransitionError,
    UsageError,
)
from .manuscript import Manuscript
from .model import Note, State, Submission, check_transition
from .outbox import Outbox
from .queue import LetterStatus, QueuedLetter, letter_id
from .store import Store

_SPAN = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DELAYS = {
    State.ACCEPTED: "accept_delay",
    State.REJECTED: "reject_delay",
    State.HELD: "hold_delay",
}
#: How the editor says each decision: ``csf reject`` makes a story rejected.
VERBS = {
    State.ACCEPTED: "accept",
    State.REJECTED: "reject",
    State.HELD: "hold",
    State.WITHDRAWN: "withdraw",
}
_NOT_FOR_AUTHORS = ("confirmation", "notification")


def parse_span(text: str) -> int:
    """Seconds in a span such as ``30m``, ``12h``, ``1d`` or ``1d12h``; ValueError."""
    text = text.strip().lower()
    if text in ("", "0", "none", "no"):
        return 0
    if not re.fullmatch(r"(\s*\d+\s*[smhdw])+\s*", text):
        raise ValueError(text)
    return sum(int(n) * _UNITS[unit] for n, unit in _SPAN.findall(text))


def letter_delay(settings: Settings, target: State) -> int:
    """How long the letter of a decision waits before it goes, in seconds."""
    option = _DELAYS.get(target)
    value = settings.values.get(option) if option else None
    if not value:
        return 0
    try:
        return parse_span(value)
    except ValueError:
        raise ConfigError(
            f"{option} is {value!r} ({settings.sources.get(option, 'setting')}), "
            "not a span of time",
            "write it like 30m, 12h, 1d or 1d12h; 0 for none",
        ) from None


def editor_of(settings: Settings) -> str:
    """Who decides, as the queue records it; ``csf undo`` takes back only theirs."""
    if settings.editor_email or settings.editor:
        return str(settings.editor_email or settings.editor)
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "editor"


def choose_letter(target: State, name: str | None, settings: Settings) -> str:
    """The letter for a decision: ``name`` if it suits, else the decision's default."""
    own = letters.DECISION_LETTERS[target]
    name = (name or own[0]).strip()
    for other, names in letters.DECISION_LETTERS.items():
        if name in names and other is not target:
            raise UsageError(
                f"the {name} letter is for csf {VERBS[other]}, not csf {VERBS[target]}",
                f"use {' or '.join(own)}",
            )
    if name in _NOT_FOR_AUTHORS:
        raise UsageError(
            f"the {name} letter is sent on arrival, not for a decision",
            f"use {' or '.join(own)}",
        )
    letters.template_text(name, settings)
    return name


@dataclass
class Draft:
    """A decision's letter, written but not yet queued."""

    name: str
    letter: letters.Letter
    message: EmailMessage


def draft(
    sub: Submission,
    target: State,
    settings: Settings,
    *,
    letter: str | None = None,
    words: str = "",
) -> Draft:
    """The letter a decision would send, as the author would receive it."""
    name = choose_letter(target, letter, settings)
    if letters.needs_words(name, settings) and not words.strip():
        raise UsageError(
            f"the {name} letter carries your own words", "give them with --words TEXT"
        )
    rendered = letters.render(name, sub, settings, words=words)
    message = letters.compose(
        rendered, sub.email, settings, to_name=sub.author, reply_to=sub
    )
    return Draft(name, rendered, message)


@dataclass
class Decision:
    """What a decision did: the record as written, its letter, and whether it went."""

    submission: Submission
    letter: QueuedLetter | None = None
    sent: bool = False
    error: CsfError | None = None


def decide(
    store: Store,
    outbox: Outbox,
    settings: Settings,
    sub: Submission,
    target: State,
    *,
    letter: str | None = None,
    words: str = "",
    note: str = "",
    write_letter: bool = True,
    force: bool = False,
    now: int | None = None,
) -> Decision:
    """Decide ``sub`` as read, queue its letter, and send it if no delay applies.

    The letter is written before anything changes, so a broken template changes
    nothing; the state changes only if nobody decided the story since it was read.
    """
    check_transition(sub.state, target, force=force)
    written = (
        draft(sub, target, settings, letter=letter, words=words)
        if write_letter
        else None
    )
    delay = letter_delay(settings, target) if written else 0
    now = int(time.time()) if now is None else now

    # A later decision time than the last keeps every letter's id new.
    at = max(now, (sub.decided_at or 0) + 1)
    decided = store.transition(
        sub.id, sub.state, target, at=at, letter=written.name if written else None
    )
    _cancel_waiting(store, sub)
    if note.strip():
        decided = store.add_note(sub.id, Note(at=at, text=note.strip()))
    if written is None:
        return Decision(decided)

    queued = QueuedLetter(
        id=letter_id(sub.id, at),
        submission=sub.id,
        name=written.name,
        recipient=sub.email,
        subject=written.letter.subject,
        message=written.message.as_bytes(),
        due=now + delay,
        created=at,
        decision=target,
        previous=sub.state,
        by=editor_of(settings),
    )
    store.queue_letter(queued)
    result = Decision(decided, queued)
    if queued.due <= now:
        try:
            result.sent = send_letter(store, outbox, queued, now=now)
        except CsfError as exc:
            result.error = exc
        result.letter = store.get_letter(queued.id)
    return result


def _cancel_waiting(store: Store, sub: Submission) -> None:
    """Cancel the letter of the decision just replaced, if it has not gone yet."""
    if sub.letter and sub.decided_at is not None:
        store.cancel_letter(letter_id(sub.id, sub.decided_at))


def send_letter(
    store: Store, outbox: Outbox, letter: QueuedLetter, *, now: int | None = None
) -> bool:
    """Claim ``letter`` and send it; False if another sender has it or it went.

    A failed send puts the letter back in the queue with the reason and raises.
    """
    now = int(time.time()) if now is None else now
    claimed = store.claim_letter(letter.id, at=now)
    if claimed is None:
        return False
    message = message_from_bytes(claimed.message, policy=policy.default)
    # The Date says when the letter went, not when the editor decided.
    del message["Date"]
    message["Date"] = format_datetime(datetime.fromtimestamp(now, UTC), usegmt=True)
    try:
        outbox.send(message)  # type: ignore[arg-type]
    except Exception as exc:
        store.release_letter(claimed.id, str(exc))
        raise
    store.mark_letter_sent(claimed.id, at=now)
    store.mark_sent(claimed.submission, claimed.name)
    return True


@dataclass
class Sending:
    """What ``send_due`` did with each letter that was due."""

    sent: list[QueuedLetter] = field(default_factory=list)
    failed: list[tuple[QueuedLetter, CsfError]] = field(default_factory=list)


def send_due(store: Store, outbox: Outbox, *, now: int | None = None) -> Sending:
    """Send every queued letter whose time has come; those that fail stay queued."""
    now = int(time.time()) if now is None else now
    result = Sending()
    for letter in store.due_letters(now):
        try:
            if send_letter(store, outbox, letter, now=now):
                result.sent.append(store.get_letter(letter.id))
        except CsfError as exc:
            result.failed.append((letter, exc))
    return result


@dataclass
class Undone:
    """A decision taken back: the record as it is again, and the cancelled letter."""

    submission: Submission
    letter: QueuedLetter


def undo(
    store: Store,
    settings: Settings,
    *,
    sub_id: str | None = None,
    now: int | None = None,
) -> Undone:
    """Take back a decision whose letter has not gone: by default the editor's last."""
    now = int(time.time()) if now is None else now
    if sub_id is not None:
        letter = _letter_of(store, store.get(sub_id))
    else:
        mine = editor_of(settings)
        waiting = [x for x in store.list_letters(LetterStatus.QUEUED) if x.by == mine]
        if not waiting:
            raise CsfError(
                "nothing to undo: no decision of yours has a letter still waiting",
                "csf outbox shows what went",
            )
        letter = max(waiting, key=lambda x: (x.created, x.id))

    if letter.status is not LetterStatus.QUEUED or not store.cancel_letter(letter.id):
        status = store.get_letter(letter.id).status
        went = "went already" if status is LetterStatus.SENT else f"is {status.label}"
        raise TransitionError(
            f"the {letter.name} letter for {letter.submission} {went}: "
            "the decision stands",
            "write to the author yourself if you must",
        )
    try:
        restored = store.transition(
            letter.submission, letter.decision, letter.previous, at=now
        )
    except ConflictError as exc:
        raise ConflictError(
            f"{letter.submission} changed since that decision; its letter is "
            "cancelled, its state left as it is now",
            exc.hint,
        ) from exc
    return Undone(restored, store.get_letter(letter.id))


def _letter_of(store: Store, sub: Submission) -> QueuedLetter:
    """The letter of ``sub``'s current decision; TransitionError if it has none."""
    if sub.letter and sub.decided_at is not None:
        try:
            return store.get_letter(letter_id(sub.id, sub.decided_at))
        except NotFound:
            pass
    raise TransitionError(
        f"{sub.id} has no decision with a letter to take back",
        "change it with csf accept, reject or hold --force",
    )


def letter_for(store: Store, sub: Submission) -> QueuedLetter | None:
    """The letter of ``sub``'s current decision, if it has one."""
    try:
        return _letter_of(store, sub)
    except TransitionError:
        return None


@dataclass
class Reading:
    """One story of the queue, loaded: its record and its manuscript, or why not."""

    submission: Submission
    manuscript: Manuscript | None = None
    error: CsfError | None = None


def load_reading(store: Store, sub_id: str) -> Reading:
    """The submission as it is now, and its manuscript extracted."""
    sub = store.get(sub_id)
    try:
        return Reading(sub, store.read_manuscript(sub))
    except CsfError as exc:
        return Reading(sub, error=exc)


def walk_queue(
    ids: list[str],
    load: Callable[[str], Reading],
    *,
    prefetch: bool = False,
) -> Iterator[Reading]:
    """Each story in ``ids`` loaded in turn; with ``prefetch`` the next one loads in
    a background thread while the editor reads this one."""
    if not prefetch:
        for sub_id in ids:
            yield load(sub_id)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="csf-prefetch") as pool:
        ahead: Future[Reading] | None = pool.submit(load, ids[0]) if ids else None
        for index in range(len(ids)):
            assert ahead is not None
            current = ahead.result()
            following = index + 1
            ahead = pool.submit(load, ids[following]) if following < len(ids) else None
            yield current

"""Commands for a reading session and what follows it: decide, note, author, and the
letters' queue: send, outbox, undo."""

from __future__ import annotations

import os
import shutil
import sys
from collections import Counter

import typer

from ..errors import CsfError, UsageError
from ..model import Note, State
from .app import app, print_json, session
from .decisions import decision_lines, echo_safe, unsent, when

JSON = typer.Option(False, "--json", help="Print one JSON document instead.")


@app.command()
def send(ctx: typer.Context, as_json: bool = JSON) -> None:
    """Send the letters whose delay has passed.

    A letter that fails stays in the outbox and goes on a later run; none goes twice,
    even with two csf send at once.

    Example: csf send
    """
    from ..decisions import send_due

    run = session(ctx)
    done = send_due(run.store, run.outbox)
    if as_json:
        print_json(
            {
                "sent": [x.to_json() for x in done.sent],
                "failed": [
                    {**x.to_json(), "error": str(exc)} for x, exc in done.failed
                ],
            }
        )
    else:
        for letter in done.sent:
            echo_safe(
                f"Sent the {letter.name} letter for {letter.submission} "
                f"to {letter.recipient}."
            )
        if not done.sent and not done.failed:
            typer.echo("No letters are due.")
        for letter, exc in done.failed:
            echo_safe(f"csf: error: {unsent(letter, exc)}", err=True)
    if done.failed:
        raise typer.Exit(1)


@app.command()
def outbox(
    ctx: typer.Context,
    all_sent: bool = typer.Option(
        False, "--all", help="Every letter sent, not only the last 10."
    ),
    as_json: bool = JSON,
) -> None:
    """List the letters waiting to go, and those that went.

    Example: csf outbox --all
    """
    from ..queue import LetterStatus

    store = session(ctx).store
    waiting = store.list_letters(LetterStatus.SENDING) + store.list_letters(
        LetterStatus.QUEUED
    )
    sent = store.list_letters(
        LetterStatus.SENT, newest_first=True, limit=None if all_sent else 10
    )
    if as_json:
        print_json(
            {
                "waiting": [x.to_json() for x in waiting],
                "sent": [x.to_json() for x in sent],
            }
        )
        return
    if not waiting and not sent:
        typer.echo("The outbox is empty: no letters yet.")
        return
    from rich.table import Table
    from rich.text import Text

    from ..render import sanitize

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("status", "when", "letter", "id", "to", "note"):
        table.add_column(column, no_wrap=column != "note")
    for letter in [*waiting, *sent]:
        status = letter.status.label
        if letter.status is LetterStatus.QUEUED and letter.attempts:
            status = "retry"
        moment = letter.sent_at if letter.status is LetterStatus.SENT else letter.due
        table.add_row(
            status,
            when(moment or letter.due),
            letter.name,
            letter.submission,
            Text(sanitize(letter.recipient)),
            Text(sanitize(letter.error or ""), overflow="ellipsis", no_wrap=True),
        )
    session(ctx).console.print(table)


@app.command()
def undo(
    ctx: typer.Context,
    sub_id: str = typer.Argument(
        None, metavar="[ID]", help="Defaults to your last decision."
    ),
    as_json: bool = JSON,
) -> None:
    """Take back a decision whose letter has not gone yet, and cancel the letter.

    Without an id, your last such decision. Set reject_delay (say 1d) to have time
    for second thoughts.

    Example: csf undo
    """
    from ..decisions import undo as take_back

    run = session(ctx)
    done = take_back(run.store, run.settings, sub_id=sub_id)
    if as_json:
        print_json(
            {"submission": done.submission.to_json(), "letter": done.letter.to_json()}
        )
        return
    sub = done.submission
    echo_safe(
        f"Took back the decision on {sub.id}: {sub.title} is {sub.state.label} again; "
        f"the {done.letter.name} letter will not be sent."
    )


@app.command()
def note(
    ctx: typer.Context,
    args: list[str] = typer.Argument(..., metavar="[ID] TEXT"),
    as_json: bool = JSON,
) -> None:
    """Add a note to a submission's record, for editors only.

    Example: csf note 3fk2q8x9ab "strong voice; ending rushed"
    """
    import time

    if len(args) > 2:
        raise UsageError("a note is one argument", 'quote it: csf note ID "the note"')
    sub_id, text = (args[0], args[1]) if len(args) == 2 else (None, args[0])
    if not text.strip():
        raise UsageError("the note is empty", "say something in it")
    run = session(ctx)
    sub = run.store.get(run.resolve(sub_id))
    noted = run.store.add_note(sub.id, Note(at=int(time.time()), text=text.strip()))
    if as_json:
        print_json(noted.to_json())
        return
    count = len(noted.notes)
    echo_safe(f"Noted on {sub.id} ({count} note{'s' if count != 1 else ''}).")


@app.command()
def author(ctx: typer.Context, email: str, as_json: bool = JSON) -> None:
    """Every submission from one author: states, dates and the letters they got.

    Example: csf author jane@example.com
    """
    from ..decisions import letter_for
    from ..model import iso

    store = session(ctx).store
    subs = store.by_email(email)
    rows = []
    for sub in subs:
        letter = letter_for(store, sub)
        rows.append((sub, letter))
    if as_json:
        print_json(
            [
                {**sub.to_json(), "outbox": letter.to_json() if letter else None}
                for sub, letter in rows
            ]
        )
        return
    if not subs:
        echo_safe(f"No submissions from {email}.")
        return
    from rich.table import Table
    from rich.text import Text

    from ..render import sanitize

    names = sorted({sub.author for sub in subs if sub.author})
    echo_safe(
        f"{', '.join(names) or email} <{subs[0].email}>: "
        f"{len(subs)} submission{'s' if len(subs) != 1 else ''}"
    )
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("id", "received", "state", "decided", "letter", "title"):
        table.add_column(column, no_wrap=column != "title")
    for sub, letter in rows:
        decided = (iso(sub.decided_at) or "")[:10] if sub.letter else ""
        about = f"{letter.name} ({letter.status.label})" if letter else ""
        table.add_row(
            sub.id,
            sub.received_at.strftime("%Y-%m-%d"),
            sub.state.label,
            decided,
            about,
            Text(sanitize(sub.title), overflow="ellipsis", no_wrap=True),
        )
    session(ctx).console.print(table)


# The reading session.

_KEYS = "[a]ccept  [r]eject  [h]old  [n]ote  [s]kip  [o]pen original  [q]uit"
_LETTER_KEYS = "letter: [f]orm  [p]ersonal  [h]igher-tier  [c]ancel"
_REJECTIONS = {"f": "form", "p": "personal", "h": "higher-tier"}


class Terminal:
    """The editor's terminal: single keys without Enter, lines, and the pager."""

    def __init__(self) -> None:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise CsfError(
                "csf decide needs a terminal to ask you about each story",
                "in a script use csf next, csf read and csf accept/reject/hold",
            )

    def key(self, prompt: str, choices: str) -> str:
        """One key among ``choices``; q at the end of input."""
        import termios
        import tty

        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        try:
            # Keys typed before the prompt (into the pager, say) are dropped here,
            # so none decides a story the editor has not been asked about.
            tty.setcbreak(fd)
            typer.echo(prompt + " ", nl=False)
            while True:
                data = os.read(fd, 1)
                if not data:
                    key = "q"
                    break
                key = data.decode("latin-1").lower()
                if key in choices:
                    break
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        typer.echo(key)
        return key

    def line(self, prompt: str) -> str:
        """A line the editor types, ended by Enter."""
        try:
            return input(prompt)
        except EOFError:
            return ""

    def show(self, view: object) -> None:
        """The story, styled and through the pager, as csf read shows it."""
        import io

        from rich.console import Console

        from .library import page

        buffer = io.StringIO()
        width = shutil.get_terminal_size().columns
        Console(file=buffer, force_terminal=True, width=width).print(view)
        page(buffer.getvalue())


def open_terminal() -> Terminal:
    """The terminal the session asks through; tests put their own in its place."""
    return Terminal()


@app.command()
def decide(
    ctx: typer.Context,
    width: int = typer.Option(
        None, "--width", min=20, help="Columns of text (at most 72 by default)."
    ),
) -> None:
    """Work through the unread queue, oldest first, deciding each story with one key.

    Each story is shown as csf read shows it, then: a accept, r reject (then f form,
    p personal, h higher-tier), h hold, n note, s skip, o open the original, q quit.

    Example: csf decide
    """
    terminal = open_terminal()
    run = session(ctx)
    ReadingSession(run, terminal, width=width).run()


class ReadingSession:
    """One pass over the unread queue, with the editor at the keys."""

    def __init__(self, run, terminal, *, width: int | None = None) -> None:
        self.run_ = run
        self.terminal = terminal
        self.width = width
        self.words = 0
        self.tally: Counter[str] = Counter()

    def run(self) -> None:
        from ..decisions import load_reading, walk_queue

        store = self.run_.store
        ids = [sub.id for sub in store.list(State.UNREAD)]
        if not ids:
            typer.echo("The queue is empty: no unread submissions.")
            return
        # On AWS each story is a round trip; load the next one while this one is
        # read. The local library answers at once, from one thread.
        prefetch = self.run_.settings.backend == "aws"
        readings = walk_queue(ids, lambda i: load_reading(store, i), prefetch=prefetch)
        for number, reading in enumerate(readings, start=1):
            if not self.one(reading, number, len(ids)):
                break
        else:
            typer.echo("That was the last unread story.")
        self.summary()

    def one(self, reading, number: int, total: int) -> bool:
        """Show one story and act on the editor's keys; False when they quit."""
        sub = reading.submission
        if sub.state is not State.UNREAD:
            echo_safe(f"{sub.id} is {sub.state.label} now: someone decided it. Next.")
            return True
        self.run_.remember(sub.id)
        self.terminal.show(self.story_view(reading))
        self.words += sub.word_count
        typer.echo(f"{number} of {total} today, {self.words:,} words read")
        while True:
            key = self.terminal.key(_KEYS, "arhnsoq")
            if key == "q":
                return False
            if key == "s":
                self.tally["skipped"] += 1
                return True
            if key == "n":
                self.note(sub)
            elif key == "o":
                self.open_original(sub)
            elif self.decide(sub, key):
                return True

    def decide(self, sub, key: str) -> bool:
        """Decide as the key says; False if the editor changed their mind."""
        from .. import decisions

        target = {"a": State.ACCEPTED, "r": State.REJECTED, "h": State.HELD}[key]
        letter, words = None, ""
        if target is State.REJECTED:
            choice = self.terminal.key(_LETTER_KEYS, "fphc")
            if choice == "c":
                return False
            letter = _REJECTIONS[choice]
            if letter == "personal":
                words = self.terminal.line("Your words to the author: ").strip()
                if not words:
                    typer.echo("No words, no personal letter: choose again.")
                    return False
        try:
            outcome = decisions.decide(
                self.run_.store,
                self.run_.outbox,
                self.run_.settings,
                sub,
                target,
                letter=letter,
                words=words,
            )
        except CsfError as exc:
            echo_safe(f"csf: error: {exc}", err=True)
            return True
        for line in decision_lines(outcome):
            echo_safe(line)
        if outcome.error is not None:
            echo_safe(f"csf: error: {unsent(outcome.letter, outcome.error)}", err=True)
        self.tally[target.label] += 1
        return True

    def note(self, sub) -> None:
        import time

        text = self.terminal.line("Note: ").strip()
        if text:
            self.run_.store.add_note(sub.id, Note(at=int(time.time()), text=text))
            typer.echo("Noted.")

    def open_original(self, sub) -> None:
        """Hand the manuscript as it arrived to the system's viewer."""
        from .library import open_original

        try:
            typer.echo(f"Opened {open_original(self.run_, sub)}")
        except CsfError as exc:
            typer.echo(f"csf: {exc}")

    def story_view(self, reading) -> object:
        """What csf read shows: the header, then the story; or why it cannot."""
        from rich.text import Text

        from ..render import render_manuscript, sanitize

        sub = reading.submission
        if reading.manuscript is not None:
            return render_manuscript(
                reading.manuscript, submission=sub, width=self.width
            )
        lines = [
            sub.title,
            f"by {sub.author or sub.email}",
            f"{sub.word_count:,} words · {sub.id}",
            "",
            f"The manuscript cannot be shown: {reading.error}. o opens the original.",
        ]
        return Text(sanitize("\n".join(lines)))

    def summary(self) -> None:
        parts = [
            f"{self.tally[label]} {label}"
            for label in ("accepted", "rejected", "held", "skipped")
            if self.tally[label]
        ]
        typer.echo(
            f"This session: {', '.join(parts) or 'nothing decided'}; "
            f"{self.words:,} words read."
        )

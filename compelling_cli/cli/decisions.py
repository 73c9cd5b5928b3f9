"""Commands that decide: accept, reject, hold, and withdraw for the author."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import typer

from ..errors import SendError
from ..model import State
from .app import app, print_json, session

_DONE = {
    State.ACCEPTED: "Accepted",
    State.REJECTED: "Rejected",
    State.HELD: "Held",
    State.WITHDRAWN: "Withdrew",
}


def decide_command(
    ctx: typer.Context,
    sub_id: str | None,
    target: State,
    *,
    letter: str | None = None,
    note: str | None = None,
    words: str | None = None,
    no_letter: bool = False,
    preview: bool = False,
    force: bool = False,
    as_json: bool = False,
) -> None:
    """Decide one submission as the editor asked, and say what went to the author."""
    from .. import decisions, letters

    run = session(ctx)
    sub = run.store.get(run.resolve(sub_id))
    name = None if no_letter else decisions.choose_letter(target, letter, run.settings)
    if (
        name
        and not words
        and letters.needs_words(name, run.settings)
        and sys.stdin.isatty()
    ):
        words = typer.prompt(f"Your words to {sub.author or sub.email}")

    if preview:
        from ..model import check_transition

        check_transition(sub.state, target, force=force)
        if name is None:
            typer.echo("No letter: --no-letter writes nothing to the author.")
            return
        written = decisions.draft(
            sub, target, run.settings, letter=name, words=words or ""
        )
        show_letter(written.message, as_json=as_json)
        return

    outcome = decisions.decide(
        run.store,
        run.outbox,
        run.settings,
        sub,
        target,
        letter=name,
        words=words or "",
        note=note or "",
        write_letter=not no_letter,
        force=force,
    )
    run.remember(outcome.submission.id)
    if as_json:
        letter_json = outcome.letter.to_json() if outcome.letter else None
        print_json({**outcome.submission.to_json(), "outbox": letter_json})
    else:
        for line in decision_lines(outcome):
            echo_safe(line)
    if outcome.error is not None:
        raise unsent(outcome.letter, outcome.error)


def unsent(letter, error) -> SendError:
    """The error for a letter that could not go: it waits for ``csf send``."""
    return SendError(
        f"the {letter.name} letter to {letter.recipient} could not be sent: "
        f"{error.message}",
        "it waits in the outbox; csf send tries again",
    )


def decision_lines(outcome) -> list[str]:
    """What the editor reads after a decision: the story, then its letter."""
    sub = outcome.submission
    who = sub.author or sub.email
    lines = [f"{_DONE[sub.state]} {sub.id}: {sub.title} by {who}"]
    letter = outcome.letter
    if letter is None or outcome.error is not None:
        return lines
    if outcome.sent:
        lines.append(f"The {letter.name} letter went to {letter.recipient}.")
    else:
        lines.append(
            f"The {letter.name} letter to {letter.recipient} waits until "
            f"{when(letter.due)} (csf undo takes the decision back until then)."
        )
    return lines


def when(epoch: int) -> str:
    """A moment as the editor reads it: local time, to the minute."""
    moment = datetime.fromtimestamp(epoch, UTC).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def echo_safe(line: str, *, err: bool = False) -> None:
    """One line with nothing from a submission that a terminal would obey."""
    from ..render import sanitize

    typer.echo(sanitize(line), err=err)


def show_letter(message, *, as_json: bool = False) -> None:
    """A letter as the author would get it: the headers that matter, then the body."""
    headers = ("From", "To", "Reply-To", "Subject", "In-Reply-To")
    body = message.get_content()
    if as_json:
        print_json(
            {
                "letter": message["X-CSF-Letter"],
                **{h.lower(): message[h] for h in headers if message[h]},
                "body": body,
            }
        )
        return
    for header in headers:
        if message[header]:
            echo_safe(f"{header}: {message[header]}")
    typer.echo("")
    for line in body.splitlines():
        echo_safe(line)


ID = typer.Argument(None, metavar="[ID]", help="Defaults to the submission last shown.")
LETTER = typer.Option(
    None, "--letter", metavar="NAME", help="The letter to send instead of the default."
)
NOTE = typer.Option(
    None, "--note", metavar="TEXT", help="A note for the record; authors never see it."
)
WORDS = typer.Option(
    None,
    "--words",
    metavar="TEXT",
    help="Your words to the author, for a letter that carries them (personal).",
)
NO_LETTER = typer.Option(False, "--no-letter", help="Write nothing to the author.")
PREVIEW = typer.Option(False, "--preview", help="Show the letter; change nothing.")
FORCE = typer.Option(False, "--force", help="Change a decided or withdrawn story.")
JSON = typer.Option(False, "--json", help="Print the changed record as JSON.")


@app.command()
def accept(
    ctx: typer.Context,
    sub_id: str = ID,
    letter: str = LETTER,
    note: str = NOTE,
    no_letter: bool = NO_LETTER,
    preview: bool = PREVIEW,
    force: bool = FORCE,
    as_json: bool = JSON,
) -> None:
    """Accept a submission, and send the author the acceptance letter.

    The letter goes now, or after accept_delay if one is set.

    Example: csf accept 3fk2q8x9ab --note "for the spring issue"
    """
    decide_command(
        ctx,
        sub_id,
        State.ACCEPTED,
        letter=letter,
        note=note,
        no_letter=no_letter,
        preview=preview,
        force=force,
        as_json=as_json,
    )


@app.command()
def reject(
    ctx: typer.Context,
    sub_id: str = ID,
    letter: str = typer.Option(
        None,
        "--letter",
        metavar="NAME",
        help="form (the default), personal (with --words) or higher-tier.",
    ),
    words: str = WORDS,
    note: str = NOTE,
    no_letter: bool = NO_LETTER,
    preview: bool = PREVIEW,
    force: bool = FORCE,
    as_json: bool = JSON,
) -> None:
    """Reject a submission, and send the author a letter.

    The form letter by default; personal carries your words; higher-tier asks the
    author for more. The letter goes now, or after reject_delay if one is set, and
    until then csf undo takes the decision back.

    Example: csf reject --letter personal --words "The ending came too fast."
    """
    decide_command(
        ctx,
        sub_id,
        State.REJECTED,
        letter=letter,
        note=note,
        words=words,
        no_letter=no_letter,
        preview=preview,
        force=force,
        as_json=as_json,
    )


@app.command()
def hold(
    ctx: typer.Context,
    sub_id: str = ID,
    letter: str = LETTER,
    note: str = NOTE,
    no_letter: bool = NO_LETTER,
    preview: bool = PREVIEW,
    force: bool = FORCE,
    as_json: bool = JSON,
) -> None:
    """Hold a submission for a later, closer read, and tell the author.

    Example: csf hold 3fk2q8x9ab --note "second read in March"
    """
    decide_command(
        ctx,
        sub_id,
        State.HELD,
        letter=letter,
        note=note,
        no_letter=no_letter,
        preview=preview,
        force=force,
        as_json=as_json,
    )


@app.command()
def withdraw(
    ctx: typer.Context,
    sub_id: str = ID,
    note: str = NOTE,
    no_letter: bool = NO_LETTER,
    preview: bool = PREVIEW,
    force: bool = FORCE,
    as_json: bool = JSON,
) -> None:
    """Withdraw a submission at the author's request, and acknowledge it.

    Example: csf withdraw 3fk2q8x9ab --note "sold to another magazine"
    """
    decide_command(
        ctx,
        sub_id,
        State.WITHDRAWN,
        note=note,
        no_letter=no_letter,
        preview=preview,
        force=force,
        as_json=as_json,
    )

"""Commands that decide: accept, reject, hold."""

from __future__ import annotations

import time

import typer

from ..model import State, check_transition
from .app import app, print_json, session

_VERBS = {State.ACCEPTED: "Accepted", State.REJECTED: "Rejected", State.HELD: "Held"}


def _decide(
    ctx: typer.Context, sub_id: str | None, target: State, force: bool, as_json: bool
) -> None:
    from rich.text import Text

    from ..render import sanitize

    run = session(ctx)
    sub = run.store.get(run.resolve(sub_id))
    check_transition(sub.state, target, force=force)
    decided = run.store.transition(sub.id, sub.state, target, at=int(time.time()))
    run.remember(decided.id)
    if as_json:
        print_json(decided.to_json())
        return
    who = decided.author or decided.email
    line = f"{_VERBS[target]} {decided.id}: {decided.title} by {who}"
    run.console.print(Text(sanitize(line)), soft_wrap=True)


ID = typer.Argument(None, metavar="[ID]", help="Defaults to the submission last shown.")
FORCE = typer.Option(False, "--force", help="Change a decided or withdrawn story.")
JSON = typer.Option(False, "--json", help="Print the changed record as JSON.")


@app.command()
def accept(
    ctx: typer.Context, sub_id: str = ID, force: bool = FORCE, as_json: bool = JSON
) -> None:
    """Accept a submission.

    Example: csf accept 3fk2q8x9ab
    """
    _decide(ctx, sub_id, State.ACCEPTED, force, as_json)


@app.command()
def reject(
    ctx: typer.Context, sub_id: str = ID, force: bool = FORCE, as_json: bool = JSON
) -> None:
    """Reject a submission.

    Example: csf next && csf reject
    """
    _decide(ctx, sub_id, State.REJECTED, force, as_json)


@app.command()
def hold(
    ctx: typer.Context, sub_id: str = ID, force: bool = FORCE, as_json: bool = JSON
) -> None:
    """Hold a submission for a later, closer read.

    Example: csf hold 3fk2q8x9ab
    """
    _decide(ctx, sub_id, State.HELD, force, as_json)

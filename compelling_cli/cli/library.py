"""Commands that bring submissions in and show them: ingest, next, read, open, show,
list, demo."""

from __future__ import annotations

import io
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

import typer

from ..errors import CsfError, UsageError
from ..model import State, Submission, iso
from .app import Session, age, app, print_json, session

if TYPE_CHECKING:
    pass

JSON = typer.Option(False, "--json", help="Print one JSON document instead.")


@app.command()
def ingest(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(
        ..., metavar="PATH...", help=".eml files, directories of them, mbox files."
    ),
    as_json: bool = JSON,
) -> None:
    """Turn email messages into submissions, and send their confirmations.

    Each message is stored whole with its parts; the author gets a confirmation and the
    editor a notification. The same message given twice is one submission.

    Example: csf ingest ~/Mail/submissions.mbox new-story.eml
    """
    from ..ingest import find_messages, ingest_message

    run = session(ctx)
    results, failures = [], 0
    for source in find_messages(paths):
        if source.error is not None:
            typer.echo(f"csf: error: {source.error}", err=True)
            failures += 1
            continue
        assert source.raw is not None
        done = ingest_message(source.raw, run.store, run.outbox, run.settings)
        sub = done.submission
        results.append({**sub.to_json(), "created": done.created, "sent": done.sent})
        if not as_json:
            note = "" if done.created else "  (already in the library)"
            run.console.print(
                _line(sub.id, f"{sub.state.label:<11}", sub.title) + note,
                soft_wrap=True,
            )
    if as_json:
        print_json(results)
    elif len(results) > 1:
        new = sum(1 for r in results if r["created"])
        typer.echo(
            f"{len(results)} messages: {new} new, {len(results) - new} already in"
        )
    if failures:
        raise typer.Exit(1)


@app.command("next")
def next_(ctx: typer.Context, as_json: bool = JSON) -> None:
    """Show the oldest unread submission: the one to read next.

    Later commands given no id act on it.

    Example: csf next && csf read
    """
    run = session(ctx)
    sub = run.store.next_unread()
    if sub is None:
        if as_json:
            print_json(None)
        else:
            typer.echo("The queue is empty: no unread submissions.")
        return
    run.remember(sub.id)
    if as_json:
        print_json(sub.to_json())
        return
    _summary(run.console, sub)


@app.command()
def show(
    ctx: typer.Context,
    sub_id: str = typer.Argument(
        None, metavar="[ID]", help="Defaults to the last shown."
    ),
    raw: bool = typer.Option(False, "--raw", help="Write the original message, as is."),
    as_json: bool = JSON,
) -> None:
    """Show a submission's record, or with --raw its original message.

    Example: csf show 3fk2q8x9ab --raw > story.eml
    """
    run = session(ctx)
    sub = run.store.get(run.resolve(sub_id))
    run.remember(sub.id)
    if raw:
        data = run.store.read_part(sub.id, "raw.eml")
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    if as_json:
        print_json(sub.to_json())
        return
    _summary(run.console, sub, full=True)


@app.command("list")
def list_(
    ctx: typer.Context,
    state: str = typer.Option(
        None, "--state", metavar="NAME", help="Only this state: unread, held, ..."
    ),
    author: str = typer.Option(
        None,
        "--author",
        metavar="TEXT",
        help="Only authors whose name or address contains TEXT, ignoring case.",
    ),
    since: str = typer.Option(
        None,
        "--since",
        metavar="WHEN",
        help="Only those received since a date (2026-01-31) or a span (90d, 6m).",
    ),
    sort: str = typer.Option(
        "received",
        "--sort",
        metavar="received|words|state",
        help="Oldest first; shortest first; by state. Ties go by date received.",
    ),
    limit: int = typer.Option(
        None, "--limit", min=0, metavar="N", help="Only the first N."
    ),
    as_json: bool = JSON,
) -> None:
    """List submissions, newest last.

    Example: csf list --state held --author jane --sort words --limit 20
    """
    from ..stats import parse_since
    from ..store.base import check_sort
    from .stats import clock

    run = session(ctx)
    wanted = State.parse(state) if state else None
    start = parse_since(since, clock()) if since is not None else None
    query = {"author": author, "since": start, "sort": check_sort(sort), "limit": limit}
    subs = list(run.store.list(wanted, **query))
    if as_json:
        print_json([sub.to_json() for sub in subs])
        return
    if not subs:
        filtered = author or since is not None or limit is not None
        typer.echo(
            "No submissions match."
            if filtered
            else "No submissions" + (f" are {wanted.label}." if wanted else " yet.")
        )
        return
    from rich.table import Table
    from rich.text import Text

    from ..text import sanitize

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("id", "received", "state"):
        table.add_column(column, no_wrap=True)
    table.add_column("words", justify="right", no_wrap=True)
    table.add_column("author", max_width=24)
    table.add_column("title", ratio=1, min_width=16)
    for sub in subs:
        table.add_row(
            sub.id,
            sub.received_at.strftime("%Y-%m-%d"),
            sub.state.label,
            f"{sub.word_count:,}",
            Text(sanitize(sub.author or sub.email), overflow="ellipsis", no_wrap=True),
            Text(sanitize(sub.title), overflow="ellipsis", no_wrap=True),
        )
    run.console.print(table)


FORMATS = ("text", "markdown", "json")


@app.command()
def read(
    ctx: typer.Context,
    sub_id: str = typer.Argument(
        None, metavar="[ID]", help="Defaults to the last shown."
    ),
    plain: bool = typer.Option(False, "--plain", help="No styles at all."),
    width: int = typer.Option(
        None, "--width", min=20, help="Columns of text (at most 72 by default)."
    ),
    form: str = typer.Option(
        "text", "--format", metavar="text|markdown|json", help="What to print."
    ),
    blind: bool = typer.Option(
        False, "--blind", help="Hide the author's name, email, contact block, byline."
    ),
    pager: bool = typer.Option(
        True, "--pager/--no-pager", help="Page on a terminal through $PAGER."
    ),
    as_json: bool = JSON,
) -> None:
    """Read a submission's manuscript in the terminal, italics and scene breaks kept.

    On a terminal the story goes through $PAGER (default: less -R).

    Example: csf next && csf read --blind
    """
    from ..render import (
        manuscript_to_json,
        manuscript_to_markdown,
        manuscript_to_plain,
        render_manuscript,
    )

    if form not in FORMATS:
        raise UsageError(f"unknown format {form!r}", "use text, markdown or json")
    run = session(ctx)
    sub = run.store.get(run.resolve(sub_id))
    run.remember(sub.id)
    story = run.store.read_manuscript(sub)
    if as_json or form == "json":
        print_json(manuscript_to_json(story, submission=sub, blind=blind))
    elif form == "markdown":
        typer.echo(manuscript_to_markdown(story, submission=sub, blind=blind), nl=False)
    elif plain:
        text = manuscript_to_plain(
            story, width=width or 72, submission=sub, blind=blind
        )
        page(text, pager)
    else:
        view = render_manuscript(story, submission=sub, width=width, blind=blind)
        page_rich(run, view, pager)


def page(text: str, pager: bool = True) -> None:
    """``text`` through the pager when stdout is a terminal, else straight out."""
    if pager and sys.stdout.isatty():
        command = shlex.split(os.environ.get("PAGER") or "less -R")
        try:
            subprocess.run(command, input=text.encode(), check=False)
            return
        except OSError:
            pass  # no such pager: print instead
    typer.echo(text, nl=False)


def page_rich(run: Session, renderable: object, pager: bool = True) -> None:
    """A rich renderable, styled, through the pager on a terminal."""
    if not (pager and sys.stdout.isatty()):
        run.console.print(renderable)
        return
    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, force_terminal=True, width=run.console.width).print(renderable)
    page(buffer.getvalue())


@app.command("open")
def open_(
    ctx: typer.Context,
    sub_id: str = typer.Argument(
        None, metavar="[ID]", help="Defaults to the last shown."
    ),
    as_json: bool = JSON,
) -> None:
    """Open the original manuscript with the system's viewer.

    The file is copied to a temporary folder under a safe name first, so a strange
    attachment name cannot do anything but name the file.

    Example: csf open 3fk2q8x9ab
    """
    run = session(ctx)
    sub = run.store.get(run.resolve(sub_id))
    run.remember(sub.id)
    path = open_original(run, sub)
    if as_json:
        print_json({"id": sub.id, "path": str(path)})
    else:
        typer.echo(f"Opened {path}")


def open_original(run: Session, sub: Submission) -> Path:
    """Copy the original manuscript (the message itself when it came in the body)
    into a fresh temporary folder under a safe name, and open it."""
    from ..mail import safe_filename

    name = sub.manuscript or ""
    if not name.startswith("attachments/"):
        name = "raw.eml"
    data = run.store.read_part(sub.id, name)
    folder = Path(tempfile.mkdtemp(prefix=f"csf-{sub.id}-"))
    path = folder / safe_filename(PurePath(name).name, "manuscript.bin")
    path.write_bytes(data)
    launch(path)
    return path


def launch(path: Path) -> None:
    """Hand ``path`` to the system's viewer, without waiting for it."""
    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]
        return
    command = viewer_command()
    if command is None:
        raise CsfError(
            f"no viewer to open {path} with (xdg-open is not installed)",
            "open the file yourself",
        )
    try:
        subprocess.Popen(
            [*command, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise CsfError(
            f"cannot start {command[0]}: {exc.strerror or exc}",
            f"open {path} yourself",
        ) from exc


def viewer_command() -> list[str] | None:
    """The system's command for opening a file with its usual application."""
    if sys.platform == "darwin":
        return ["open"]
    for name in ("xdg-open", "gio"):
        found = shutil.which(name)
        if found:
            return [found, "open"] if name == "gio" else [found]
    return None


def _line(*fields: str):
    from rich.text import Text

    from ..text import sanitize

    return Text("  ".join(sanitize(f) for f in fields))


def _summary(console, sub: Submission, *, full: bool = False) -> None:
    from rich.table import Table
    from rich.text import Text

    from ..text import sanitize

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    author = sub.author + f" <{sub.email}>" if sub.author else sub.email
    rows = [
        ("id", sub.id),
        ("title", sub.title),
        ("author", author),
        ("words", f"{sub.word_count:,}"),
        ("received", f"{iso(sub.timestamp)} ({age(sub.received_at)})"),
        ("state", sub.state.label),
    ]
    if full:
        rows += [("subject", sub.subject), ("message id", sub.message_id)]
        if sub.decided_at:
            rows.append(
                ("decided", f"{iso(sub.decided_at)} ({sub.letter or 'no letter'})")
            )
        if sub.reason:
            rows.append(("reason", sub.reason))
        rows += [("parts", ", ".join(sub.parts)), ("manuscript", sub.manuscript or "")]
        rows += [("note", f"{iso(n.at)}  {n.text}") for n in sub.notes]
    for label, value in rows:
        grid.add_row(label, Text(sanitize(value)))
    console.print(grid)


@app.command()
def demo(
    directory: Path = typer.Argument(
        None, metavar="[DIR]", help="Where to build it; defaults to a demo directory."
    ),
    as_json: bool = JSON,
) -> None:
    """Build a demo library from sample submissions, through the normal ingest.

    It never touches your own library: it lives in DIR, or in csf's data directory
    under demo/. Building it again starts it afresh.

    Example: csf demo /tmp/slush && csf --home /tmp/slush next
    """
    from ..demo.builder import build_demo

    library = build_demo(directory)
    if as_json:
        print_json({"home": str(library.home), "submissions": library.count})
        return
    typer.echo(f"Demo library with {library.count} submissions in {library.home}")
    typer.echo(f"Try: csf --home {shlex.quote(str(library.home))} next")

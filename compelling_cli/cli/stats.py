"""Commands that sum up the pile and move it whole: stats, export, import."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from .app import app, print_json, session

#: Weeks drawn in the terminal; --json has every week of the period.
CHART_WEEKS = 26
BAR_WIDTH = 40


@app.command()
def stats(
    ctx: typer.Context,
    since: str = typer.Option(
        None,
        "--since",
        metavar="WHEN",
        help="Only submissions received since a date (2026-01-31) or a span "
        "(90d, 12w, 6m).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Show the state of the pile: counts, waits, arrivals and response times.

    Counts per state, the age of the oldest unread story, submissions received per
    week (weeks start on Monday, in UTC), days from receipt to rejection and to
    acceptance (median, 90th percentile and maximum; percentiles interpolate linearly
    between the nearest ranks, so the median of 10, 20, 30 and 40 is 25), the
    acceptance rate among accepted and rejected stories, and the days the unread
    queue would take to clear at the pace of decisions (held, rejected, accepted) of
    the last 30 days. --since narrows every figure to the stories received since then.

    Example: csf stats --since 90d
    """
    from ..stats import parse_since, pile_stats

    run = session(ctx)
    now = clock()
    start = parse_since(since, now) if since is not None else None
    with _progress() as progress:
        figures = pile_stats(run.store, now=now, since=start, progress=progress)
    if as_json:
        print_json(figures.to_json())
        return
    _render(run.console, figures)


@contextmanager
def _progress() -> Iterator:
    """A callback for the store's pages: a bar once reading takes many pages."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    bar: list[Progress] = []

    def advance(pages: int, records: int) -> None:
        if not bar:
            bar.append(
                Progress(
                    SpinnerColumn(),
                    TextColumn("reading the table: {task.fields[records]:,} records"),
                    console=Console(stderr=True),
                    transient=True,
                )
            )
            bar[0].start()
            bar[0].add_task("read", total=None, records=0)
        bar[0].update(bar[0].task_ids[0], records=records)

    try:
        yield advance
    finally:
        if bar:
            bar[0].stop()


def _render(console, figures) -> None:
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(justify="right")
    for name, count in figures.counts.items():
        grid.add_row(name, f"{count:,}")
    console.print(grid)

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    console.print()
    grid.add_row("oldest unread", _days(figures.oldest_unread_days))
    for kind, spread in figures.response_days.items():
        grid.add_row(
            f"days to {kind[:-2]}",
            "none yet"
            if spread is None
            else f"median {spread['median']:g}  p90 {spread['p90']:g}  "
            f"max {spread['max']:g}",
        )
    rate = figures.acceptance_rate
    grid.add_row("acceptance rate", "none decided" if rate is None else f"{rate:.1%}")
    clear = figures.days_to_clear
    grid.add_row(
        "queue clears in",
        "no decisions in the last 30 days" if clear is None else _days(clear),
    )
    console.print(grid)

    weeks = figures.received_per_week
    if not weeks:
        return
    shown = weeks[-CHART_WEEKS:]
    title = "received per week"
    if len(shown) < len(weeks):
        title += f" (the last {len(shown)} of {len(weeks)}; --json has them all)"
    console.print()
    console.print(title, style="bold")
    chart = Table.grid(padding=(0, 1))
    chart.add_column()
    chart.add_column(justify="right")
    chart.add_column()
    top = max(week["count"] for week in shown) or 1
    for week in shown:
        length = round(week["count"] / top * BAR_WIDTH)
        chart.add_row(week["week"], f"{week['count']:,}", "█" * length)
    console.print(chart)


def _days(value: float | None) -> str:
    if value is None:
        return "none"
    return f"{value:g} day" + ("" if value == 1 else "s")


def clock() -> int:
    """The clock, in one place so that tests can set it."""
    return int(time.time())


@app.command()
def export(
    ctx: typer.Context,
    fmt: str = typer.Option(
        "json",
        "--format",
        metavar="csv|json",
        help="json keeps every field; csv is for a spreadsheet.",
    ),
    output: Path = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write here instead of stdout."
    ),
    parts: bool = typer.Option(
        False, "--parts", help="A zip with the records and every part's bytes."
    ),
) -> None:
    """Write every submission's record, for a spreadsheet or for another store.

    JSON round-trips every field; CSV has the columns id, state, received, decided,
    email, author, title, subject, message_id, word_count, letter, reason,
    automatic, manuscript, parts, notes, sent (times in ISO 8601 UTC, lists as JSON).
    With --parts the output is a zip holding the records and the stored messages and
    attachments, so csf import can rebuild the library elsewhere.

    Example: csf export --parts --output slush.zip
    """
    from ..errors import InputError, UsageError
    from ..transfer import check_format, write_archive, write_records

    run = session(ctx)
    check_format(fmt)
    if parts:
        if output is None:
            raise UsageError("--parts writes a zip file", "give --output FILE")
        count = write_archive(run.store, output, fmt)
    elif output is None:
        count = write_records(run.store.list(), sys.stdout, fmt)
    else:
        try:
            with output.open("w", encoding="utf-8", newline="") as handle:
                count = write_records(run.store.list(), handle, fmt)
        except OSError as exc:
            raise InputError(f"cannot write {output}: {exc.strerror or exc}") from exc
    if output is not None:
        typer.echo(f"{count:,} submissions written to {output}", err=True)


@app.command("import")
def import_(
    ctx: typer.Context,
    path: Path = typer.Argument(..., metavar="FILE", help="What csf export wrote."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Add the submissions of an export (JSON, CSV or zip) to this library.

    Submissions already in the library are left as they are, so importing the same
    export twice adds nothing the second time. A zip made with csf export --parts
    brings the stored messages and attachments too.

    Example: csf --backend aws import slush.zip
    """
    from ..transfer import import_export

    run = session(ctx)
    report = import_export(run.store, path)
    if as_json:
        print_json(
            {
                "added": report.added,
                "present": report.present,
                "without_parts": report.partless,
            }
        )
        return
    typer.echo(f"{report.added:,} added, {report.present:,} already there")
    if report.partless:
        typer.echo(
            f"{report.partless:,} came without their parts: csf read will not find "
            "their manuscripts (export with --parts to bring them)"
        )

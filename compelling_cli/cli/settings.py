"""Commands about csf itself: config and setup."""

from __future__ import annotations

import typer

from ..config import OPTIONS
from .app import app, print_json, session


@app.command()
def config(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Show each effective setting and where it came from.

    Settings come from flags, then CSF_* environment variables, then the config file,
    then defaults.

    Example: csf --backend aws config
    """
    settings = session(ctx).settings
    rows = [
        {
            "name": option.name,
            "env": option.env,
            "value": _masked(settings.values[option.name]),
            "source": settings.sources[option.name],
        }
        for option in OPTIONS
    ]
    if as_json:
        print_json({"config_file": str(settings.config_path), "settings": rows})
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("setting", "value", "from"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["name"], row["value"] or "-", row["source"])
    session(ctx).console.print(table)
    typer.echo(f"config file: {settings.config_path}")


@app.command()
def setup(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Create what csf needs and is missing, and say what it found.

    Locally, the library directory. On AWS, the DynamoDB table with its index and,
    when CSF_BUCKET is set, the S3 bucket; a table without the index gets it added,
    keeping every item. Running it again changes nothing.

    Example: csf --home ~/slush setup
    """
    run = session(ctx)
    store = run.store
    if run.settings.backend == "aws":
        from ..store.aws import AwsStore

        assert isinstance(store, AwsStore)
        steps = list(store.setup())
    else:
        steps = [f"The library is ready at {run.settings.home_path}"]
    if as_json:
        print_json({"backend": run.settings.backend, "steps": steps})
        return
    for line in steps:
        typer.echo(line)


def _masked(value: str | None) -> str | None:
    """``value`` with any password in a URL's user part replaced by ``***``."""
    if value is None or "://" not in value:
        return value
    import re

    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", value)

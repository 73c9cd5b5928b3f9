"""The Typer app, its global options, and the one way errors reach the editor."""

from __future__ import annotations

import json
import os
import re
import sys
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from .. import __version__
from ..config import Settings, load_settings
from ..errors import CsfError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from ..outbox import Outbox
    from ..store import Store

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class CsfGroup(TyperGroup):
    """Turns every error into one line, ``csf: error: ...``, with a documented code."""

    def main(self, args=None, prog_name=None, complete_var=None, **extra: Any) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in args or bool(os.environ.get("CSF_DEBUG"))
        extra["standalone_mode"] = False
        try:
            code = super().main(args, "csf", complete_var, **extra)
        except CsfError as exc:
            code = _fail(str(exc), exc.exit_code, debug)
        except typer.TyperException as exc:
            # Typer's usage errors (exit code 2) carry the command they concern.
            message, code = exc.format_message(), getattr(exc, "exit_code", EXIT_ERROR)
            command = getattr(getattr(exc, "ctx", None), "command_path", "csf")
            if code == EXIT_USAGE:
                message += f" (see '{command} --help')"
            code = _fail(message, code, debug)
        except (typer.Abort, KeyboardInterrupt):
            typer.echo("csf: interrupted", err=True)
            code = EXIT_INTERRUPTED
        except BrokenPipeError:
            sys.stderr.close()
            code = EXIT_OK
        except Exception as exc:
            message = (
                f"unexpected {type(exc).__name__}: {exc} (run with --debug for more)"
            )
            code = _fail(message, EXIT_ERROR, debug)
        sys.exit(code if isinstance(code, int) else EXIT_OK)


def _fail(message: str, code: int, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    typer.echo(f"csf: error: {message}", err=True)
    return code


app = typer.Typer(
    cls=CsfGroup,
    name="csf",
    help="Work a fiction magazine's slush pile from the terminal.",
    epilog="Start with: csf demo, then csf --home <demo dir> next",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def main(argv: list[str] | None = None) -> None:
    """The console script's entry point."""
    app(args=argv, prog_name="csf")


@dataclass
class Session:
    """What one csf invocation works with, opened when first needed."""

    flags: dict[str, str | None]
    debug: bool = False
    _settings: Settings | None = None
    _store: Store | None = None
    _outbox: Outbox | None = None
    _console: Console | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.flags)
        return self._settings

    @property
    def store(self) -> Store:
        if self._store is None:
            from ..store import open_store

            self._store = open_store(self.settings)
        return self._store

    @property
    def outbox(self) -> Outbox:
        if self._outbox is None:
            from ..outbox import open_outbox

            self._outbox = open_outbox(self.settings)
        return self._outbox

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(highlight=False, soft_wrap=False)
        return self._console

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def _current_file(self):
        return self.settings.home_path / f".current-{self.settings.backend}"

    def remember(self, sub_id: str) -> None:
        """Make ``sub_id`` the submission that commands without an id act on."""
        try:
            path = self._current_file()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(sub_id + "\n", encoding="ascii")
        except OSError:
            pass  # remembering is a convenience; the command itself succeeded

    def resolve(self, sub_id: str | None) -> str:
        """``sub_id``, or the submission last shown, saying which on stderr."""
        if sub_id:
            return sub_id
        try:
            remembered = self._current_file().read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            remembered = ""
        if not remembered:
            raise UsageError(
                "no submission id given and none shown yet",
                "give an id, or run csf next first",
            )
        typer.echo(f"csf: using {remembered}, the submission last shown", err=True)
        return remembered


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"csf {__version__}")
        raise typer.Exit()


@app.callback()
def _global_options(
    ctx: typer.Context,
    home: str = typer.Option(
        None, "--home", metavar="DIR", help="The local library directory [CSF_HOME]."
    ),
    backend: str = typer.Option(
        None,
        "--backend",
        metavar="local|aws",
        help="Where submissions live [CSF_BACKEND].",
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
    version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        expose_value=False,
        callback=_show_version,
        help="Show the version and exit.",
    ),
) -> None:
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()
    session = Session(flags={"home": home, "backend": backend}, debug=debug)
    ctx.obj = session
    ctx.call_on_close(session.close)


def session(ctx: typer.Context) -> Session:
    return ctx.find_object(Session)  # type: ignore[return-value]


_UNSAFE_JSON = re.compile(
    r"[\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def print_json(data: Any) -> None:
    """One JSON document on stdout, with nothing in it a terminal would obey."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    text = _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    typer.echo(text)


def age(moment: datetime, now: datetime | None = None) -> str:
    """How long ago ``moment`` was, in the largest whole unit."""
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"

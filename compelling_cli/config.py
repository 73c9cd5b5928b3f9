"""Settings: flags, then ``CSF_*`` environment variables, then the config file, then
defaults. Each effective value remembers where it came from, for ``csf config``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

APP_NAME = "csf"


@dataclass(frozen=True)
class Option:
    """One setting: its name in the config file and its environment variable."""

    name: str
    env: str
    help: str
    default: str | None = None


OPTIONS: tuple[Option, ...] = (
    Option("backend", "CSF_BACKEND", "where submissions live: local or aws", "local"),
    Option("home", "CSF_HOME", "the local library directory"),
    Option("table", "CSF_TABLE", "the DynamoDB table", "compelling_submissions"),
    Option("bucket", "CSF_BUCKET", "the S3 bucket for messages and parts"),
    Option("magazine", "CSF_MAGAZINE", "the magazine's name, used in letters"),
    Option("editor", "CSF_EDITOR", "the editor's name, used to sign letters"),
    Option("editor_email", "CSF_EDITOR_EMAIL", "where notifications go"),
    Option("from_email", "CSF_FROM_EMAIL", "the address letters come from"),
    Option("accept_delay", "CSF_ACCEPT_DELAY", "wait before an acceptance goes: 1d"),
    Option("reject_delay", "CSF_REJECT_DELAY", "wait before a rejection goes: 12h"),
    Option("hold_delay", "CSF_HOLD_DELAY", "wait before a hold notice goes: 30m"),
    Option("smtp_url", "CSF_SMTP_URL", "send through SMTP: smtps://user@host:465"),
)
_BY_NAME = {option.name: option for option in OPTIONS}
BACKENDS = ("local", "aws")


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME) / "config.toml"


def default_home() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME)


@dataclass(frozen=True)
class Settings:
    """The effective settings, and for each the place it came from."""

    values: Mapping[str, str | None]
    sources: Mapping[str, str] = field(default_factory=dict)
    config_path: Path | None = None

    def __getattr__(self, name: str) -> str | None:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def home_path(self) -> Path:
        return Path(self.values["home"] or default_home()).expanduser()

    @property
    def magazine_name(self) -> str:
        return self.values["magazine"] or "the magazine"

    @property
    def sender(self) -> str:
        return self.values["from_email"] or "submissions@localhost"


def load_settings(
    flags: Mapping[str, str | None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """The settings in force, reading the config file named by ``CSF_CONFIG`` if set."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    environ = os.environ if environ is None else environ
    config_path = Path(environ.get("CSF_CONFIG") or default_config_path())
    from_file = _read_config(config_path)

    values: dict[str, str | None] = {}
    sources: dict[str, str] = {}
    for option in OPTIONS:
        if option.name in flags:
            values[option.name], sources[option.name] = flags[option.name], "flag"
        elif environ.get(option.env):
            values[option.name] = environ[option.env]
            sources[option.name] = f"environment ({option.env})"
        elif option.name in from_file:
            values[option.name], sources[option.name] = (
                from_file[option.name],
                "config file",
            )
        else:
            values[option.name], sources[option.name] = option.default, "default"
    if values["home"] is None:
        values["home"] = str(default_home())

    if values["backend"] not in BACKENDS:
        raise ConfigError(
            f"unknown backend {values['backend']!r} ({sources['backend']})",
            "use local or aws",
        )
    return Settings(values=values, sources=sources, config_path=config_path)


def _read_config(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc}") from exc
    if not text.strip():
        return {}
    import tomllib  # only when there is a file to read: it costs a few ms at start

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"the config file {path} is not valid TOML: {exc}", "fix or remove it"
        ) from exc

    unknown = sorted(set(data) - set(_BY_NAME))
    if unknown:
        known = ", ".join(_BY_NAME)
        raise ConfigError(
            f"unknown setting {unknown[0]!r} in {path}", f"known settings: {known}"
        )
    return {name: str(value) for name, value in data.items()}

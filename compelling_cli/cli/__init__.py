"""The editor's command line: argument parsing and rendering over the library."""

from . import (  # noqa: F401 - registers
    decisions,
    deploy,
    library,
    reading,
    settings,
    stats,
)
from .app import app, main

__all__ = ["app", "main"]

"""The editor's command line: argument parsing and rendering over the library."""

from . import decisions, library, settings, stats  # noqa: F401 - registers the commands
from .app import app, main

__all__ = ["app", "main"]

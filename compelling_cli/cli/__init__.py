"""The editor's command line: argument parsing and rendering over the library."""

from . import decisions, library, reading, settings, stats  # noqa: F401 - registers
from .app import app, main

__all__ = ["app", "main"]

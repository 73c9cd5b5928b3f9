"""csf: work a fiction magazine's slush pile from the terminal."""

__version__ = "0.1.0"

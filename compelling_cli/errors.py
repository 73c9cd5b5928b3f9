"""The errors csf reports to the editor.

Each carries a one-line message and, where there is one, what to do about it. The CLI
prints them as ``csf: error: <message> (<hint>)`` and exits with ``exit_code``.
"""

from __future__ import annotations


class CsfError(Exception):
    """Base of every error meant for the editor rather than for a traceback."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(CsfError):
    """The command line itself is wrong."""

    exit_code = 2


class ConfigError(CsfError):
    """A setting or the config file cannot be used."""


class InputError(CsfError):
    """A path given to csf cannot be read or is not what it should be."""


class NotFound(CsfError):
    """No submission has that id."""


class TransitionError(CsfError):
    """The decision is not allowed from the submission's current state."""


class ConflictError(CsfError):
    """Someone else changed the submission since it was read."""


class StoreError(CsfError):
    """The library or the AWS table cannot be used as it is."""


class ExtractionError(CsfError):
    """A manuscript cannot be turned into text."""


class SendError(CsfError):
    """A letter could not be handed to the mail service."""


class DeployError(CsfError):
    """The function's package cannot be built, or the stack cannot be made as asked."""

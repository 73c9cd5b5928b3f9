"""Where submissions live: one interface, a local library and the AWS table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Store

if TYPE_CHECKING:
    from ..config import Settings

__all__ = ["Store", "open_store"]


def open_store(settings: Settings) -> Store:
    """The store the settings name; boto3 is imported only for the AWS one."""
    if settings.backend == "aws":
        from .aws import AwsStore

        return AwsStore.from_settings(settings)
    from .local import LocalStore

    return LocalStore(settings.home_path)

"""A demo library built from the sample submissions, through the normal ingest."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..config import load_settings
from ..errors import StoreError

MARKER = ".csf-demo"
DEMO_SETTINGS = {
    "CSF_CONFIG": os.devnull,
    "CSF_BACKEND": "local",
    "CSF_MAGAZINE": "The Compelling Review",
    "CSF_EDITOR": "Ada Quill",
    "CSF_EDITOR_EMAIL": "editor@example-magazine.test",
    "CSF_FROM_EMAIL": "submissions@example-magazine.test",
}


@dataclass(frozen=True)
class DemoLibrary:
    home: Path
    count: int


def default_demo_home() -> Path:
    from platformdirs import user_data_path

    return user_data_path("csf-demo")


def sample_messages() -> list[tuple[str, bytes]]:
    """The sample messages that ship with csf, by file name."""
    folder = resources.files(__package__) / "samples"
    entries = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".eml")),
        key=lambda entry: entry.name,
    )
    return [(entry.name, entry.read_bytes()) for entry in entries]


def build_demo(directory: Path | None = None) -> DemoLibrary:
    """Build the demo library in ``directory`` afresh; refuse any other library."""
    from ..ingest import ingest_message
    from ..outbox import open_outbox
    from ..store.local import LocalStore

    home = Path(directory or default_demo_home()).expanduser().absolute()
    if home.exists() and any(home.iterdir()):
        if not (home / MARKER).exists():
            raise StoreError(
                f"{home} is not empty and is not a demo library",
                "give csf demo an empty or new directory",
            )
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)
    (home / MARKER).write_text("built by csf demo; safe to delete\n", encoding="utf-8")

    settings = load_settings({"home": str(home)}, environ=DEMO_SETTINGS)
    outbox = open_outbox(settings)
    with LocalStore(home) as store:
        for _name, raw in sample_messages():
            ingest_message(raw, store, outbox, settings)
        count = sum(1 for _ in store.list())
    return DemoLibrary(home, count)

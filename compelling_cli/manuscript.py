"""Text out of a manuscript: docx, odt, rtf, pdf, html, markdown and plain text.

No Typer or rich here: the Lambda uses this module to count words at ingest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath

from .errors import ExtractionError

#: File name endings taken for a manuscript when they come as an attachment.
MANUSCRIPT_SUFFIXES = frozenset(
    {
        ".docx",
        ".doc",
        ".odt",
        ".rtf",
        ".pdf",
        ".txt",
        ".md",
        ".markdown",
        ".html",
        ".htm",
    }
)


@dataclass
class Run:
    """A stretch of text with one style."""

    text: str
    italic: bool = False
    bold: bool = False


@dataclass
class Paragraph:
    runs: list[Run] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


@dataclass
class SceneBreak:
    """The mark between two scenes (``#``, ``* * *`` and the like)."""


Block = Paragraph | SceneBreak


@dataclass
class Manuscript:
    """A story as the editor reads it."""

    blocks: list[Block] = field(default_factory=list)
    title: str | None = None
    byline: str | None = None
    contact: list[str] = field(default_factory=list)
    stated_words: int | None = None

    @property
    def word_count(self) -> int:
        """Words of the story body, counted as ``wc -w`` counts them."""
        return sum(len(b.text.split()) for b in self.blocks if isinstance(b, Paragraph))

    @property
    def text(self) -> str:
        """The story as plain text, a blank line between paragraphs."""
        return "\n\n".join(
            "* * *" if isinstance(b, SceneBreak) else b.text for b in self.blocks
        )


def is_manuscript_name(name: str) -> bool:
    return PurePath(name).suffix.lower() in MANUSCRIPT_SUFFIXES


_SCENE_BREAK = re.compile(r"^\s*(#|\*(\s*\*){2,}|~+|-{3,})\s*$")


def from_text(text: str) -> Manuscript:
    """Paragraphs from plain text: blank lines separate them, single breaks fold."""
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        chunk = chunk.strip()
        if not chunk:
            continue
        if _SCENE_BREAK.match(chunk):
            blocks.append(SceneBreak())
        else:
            blocks.append(Paragraph([Run(" ".join(chunk.split()))]))
    return Manuscript(blocks=blocks)


def extract(data: bytes, name: str) -> Manuscript:
    """The manuscript in ``data``, read according to the ending of ``name``.

    Raises ExtractionError, naming the file, when it cannot be read.
    """
    suffix = PurePath(name).suffix.lower()
    if suffix in {".txt", ".md", ".markdown", ""}:
        return from_text(data.decode("utf-8", errors="replace"))
    raise ExtractionError(f"cannot read {name}: {suffix} files are not supported yet")

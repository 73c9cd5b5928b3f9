"""The manuscript model: paragraphs of styled runs, and scene breaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

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
    #: Lines before the manuscript proper, such as a cover letter above a pasted story.
    preamble: list[str] = field(default_factory=list)

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


def word_count_note(manuscript: Manuscript) -> str | None:
    """The author's stated count, when it differs from the counted one by over 10%."""
    stated = manuscript.stated_words
    if not stated:
        return None
    if abs(manuscript.word_count - stated) <= stated * 0.10:
        return None
    return f"the author states about {stated:,} words"

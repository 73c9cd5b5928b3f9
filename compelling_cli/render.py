"""Submissions and manuscripts as terminal output, safe whatever the author sent."""

from __future__ import annotations

import re
import textwrap

from .manuscript import Manuscript, SceneBreak

# C0 and C1 controls (but newline and tab), DEL, bidi overrides and isolates, and
# whole ANSI/OSC escape sequences.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)?|\x1b.?"
)
_CONTROLS = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def sanitize(text: str) -> str:
    """``text`` with escape sequences and control characters removed."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def manuscript_to_plain(manuscript: Manuscript, *, width: int = 72) -> str:
    """The story as plain text wrapped at ``width``, a blank line between paragraphs."""
    blocks = []
    for block in manuscript.blocks:
        if isinstance(block, SceneBreak):
            blocks.append("*".center(width).rstrip())
        else:
            blocks.append(textwrap.fill(sanitize(block.text), width=width))
    return "\n\n".join(blocks) + "\n"

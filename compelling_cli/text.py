"""Text from a stranger made safe to show: no control characters, no escapes.

Kept apart from the manuscript readers so that commands which only print a title or
a name do not import them.
"""

from __future__ import annotations

import re

_CONTROLS = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]?                # CSI: colours, cursor moves, erasing
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?    # OSC: titles, hyperlinks, clipboard
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?         # DCS, SOS, PM, APC strings
    | \x1b[ -/]*[0-~]?                      # every other escape
    | \x9b[0-?]*[ -/]*[@-~]?                # CSI in its one-byte form
    | [\x00-\x08\x0b-\x1f\x7f-\x9f]         # the C0 and C1 controls but \t and \n
    | [\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]
    | [\ud800-\udfff\ufff9-\ufffb]          # lone surrogates, interlinear marks
    """,
    re.VERBOSE,
)
_PAIRS = re.compile(r"[\ud800-\udbff][\udc00-\udfff]")
NEWLINES = re.compile(r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]")


def clean_text(text: str, *, single_line: bool = False) -> str:
    """``text`` without control characters, escape sequences or invisible marks.

    Line ends of every kind become ``\\n``; with ``single_line`` they and tabs become
    spaces.
    """
    if text.isprintable():
        # Nothing to remove: every character the patterns below take is unprintable.
        return " ".join(text.split()) if single_line else text
    if _PAIRS.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = _CONTROLS.sub("", NEWLINES.sub("\n", text))
    if single_line:
        text = " ".join(text.split())
    return text


def sanitize(text: str | None, *, single_line: bool = False) -> str:
    """``text`` with escape sequences and control characters removed.

    Newlines and tabs stay unless ``single_line``, which folds all whitespace.
    """
    return clean_text(text or "", single_line=single_line)

"""Plain text and markdown, the mail body included."""

from __future__ import annotations

import codecs
import functools
import re

from ..text import NEWLINES
from .model import Manuscript, Run
from .shaping import SCENE_BREAK, RawParagraph, assemble

_EMPHASIS = re.compile(
    r"(?<![\w*\\])(\*\*|__)(?=\S)(.+?)(?<=\S)\1(?![\w*])"
    r"|(?<![\w*\\])([*_])(?=[^\s*_])(.+?)(?<=[^\s\\])\3(?![\w*])"
)


def _inline(text: str, *, markdown: bool = False) -> list[Run]:
    """Runs of a paragraph, reading ``*x*``, ``_x_`` and ``**x**`` as emphasis."""
    runs: list[Run] = []
    position = 0
    for match in _EMPHASIS.finditer(text):
        runs.append(Run(text[position : match.start()]))
        if match.group(1):
            runs.append(Run(match.group(2), bold=True))
        else:
            runs.append(Run(match.group(4), italic=True))
        position = match.end()
    runs.append(Run(text[position:]))
    if markdown:
        for run in runs:
            run.text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!>])", r"\1", run.text)
    return [run for run in runs if run.text]


def _plain_paragraphs(text: str, *, markdown: bool = False) -> list[RawParagraph]:
    paragraphs: list[RawParagraph] = []
    current: RawParagraph = []
    for line in NEWLINES.sub("\n", text).split("\n"):
        if not line.strip():
            if current:
                paragraphs.append(current)
                current = []
            paragraphs.append([])
            continue
        if markdown and not SCENE_BREAK.match(line):
            line = re.sub(r"^\s{0,3}(#{1,6}\s+|>\s?)", "", line)
        current.append([Run(line)])
    if current:
        paragraphs.append(current)
    return paragraphs


def from_text(text: str) -> Manuscript:
    """A manuscript from plain text, such as a mail body or a .txt attachment."""
    return assemble(_plain_paragraphs(text), inline=_inline)


def from_markdown(text: str) -> Manuscript:
    """A manuscript from markdown, with ``*emphasis*`` and ``**strong**`` kept."""
    return assemble(
        _plain_paragraphs(text, markdown=True),
        join_lines=True,
        inline=functools.partial(_inline, markdown=True),
    )


def decode_text(data: bytes) -> str:
    """Bytes of a text file as a string: a BOM, else UTF-8, else Windows-1252."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def codec_name(name: str) -> str:
    """Python's name for the encoding ``name``; cp1252 when it is unknown."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "cp1252"

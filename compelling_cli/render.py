"""Submissions and manuscripts as terminal output, safe whatever the author sent.

Everything from a submission goes through ``sanitize`` and into ``rich.text.Text``
objects, never into markup strings, so neither escape sequences nor rich markup in a
story, a title or a name can act on the terminal.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.text import Text

from .manuscript import Manuscript, Paragraph, Run, word_count_note
from .text import sanitize

if TYPE_CHECKING:
    from .model import Submission

#: Most columns of story text, as in a printed book.
MEASURE = 72

#: Words an editor reads in a minute, for the reading time.
WORDS_PER_MINUTE = 250

#: How a paragraph after the first of a scene begins.
INDENT = "   "

SCENE_MARK = "*   *   *"


def _field(text: str | None) -> str:
    return sanitize(text, single_line=True)


def reading_minutes(words: int) -> int:
    """Minutes to read ``words`` at WORDS_PER_MINUTE, at least one for any text."""
    return math.ceil(words / WORDS_PER_MINUTE) if words else 0


_SPACE = re.compile(r"\s+")


def _runs(paragraph: Paragraph) -> Iterator[Run]:
    """The paragraph's runs, cleaned, whitespace inside them made single spaces."""
    for run in paragraph.runs:
        text = _SPACE.sub(" ", sanitize(run.text))
        if text:
            yield Run(text, run.italic, run.bold)


# The header


def _header_lines(
    manuscript: Manuscript, submission: Submission | None, *, blind: bool
) -> tuple[str, list[str], list[str]]:
    """The title, the lines under it, and the contact block (empty when blind)."""
    title = _field(manuscript.title or (submission.title if submission else ""))
    lines = []
    if not blind:
        author = _field(submission.author if submission else "")
        byline = _field(manuscript.byline)
        email = _field(submission.email if submission else "")
        who = author or byline
        if byline and author and byline.casefold() != author.casefold():
            who = f"{author}, as {byline}"
        if email:
            who = f"{who} <{email}>" if who else email
        if who:
            lines.append(f"by {who}")
    words = manuscript.word_count
    facts = [f"{words:,} words", f"{reading_minutes(words)} min"]
    if word_count_note(manuscript):
        facts[0] += f" (the author says about {manuscript.stated_words:,})"
    if submission is not None:
        facts.append(f"received {submission.received_at:%Y-%m-%d %H:%M} UTC")
        facts.append(submission.state.label)
        facts.append(_field(submission.id))
    lines.append(" \u00b7 ".join(facts))
    contact = [] if blind else [_field(line) for line in manuscript.contact]
    return title or "(untitled)", lines, [line for line in contact if line]


# Rich


@dataclass
class ManuscriptView:
    """A manuscript for the terminal: header, then the story at a readable measure.

    The text is at most ``width`` columns wide and centred on a wider terminal.
    """

    manuscript: Manuscript
    submission: Submission | None = None
    width: int = MEASURE
    blind: bool = False
    header: bool = True

    def _texts(self, measure: int) -> Iterator[Text]:
        if self.header:
            title, lines, contact = _header_lines(
                self.manuscript, self.submission, blind=self.blind
            )
            yield Text(title, style="bold")
            for line in lines:
                yield Text(line, style="dim")
            yield Text("\u2500" * measure, style="dim")
            for line in contact:
                yield Text(line, style="dim")
            yield Text("")
        indent = False
        for block in self.manuscript.blocks:
            if not isinstance(block, Paragraph):
                yield Text("")
                yield Text(" " * ((measure - len(SCENE_MARK)) // 2) + SCENE_MARK)
                yield Text("")
                indent = False
                continue
            text = Text(INDENT if indent else "", overflow="fold")
            for run in _runs(block):
                style = ("italic " if run.italic else "") + ("bold" if run.bold else "")
                text.append(run.text, style=style.strip() or None)
            yield text
            indent = True

    def __rich_console__(
        self, console: Console, options: ConsoleOptions
    ) -> RenderResult:
        measure = max(1, min(self.width, options.max_width))
        margin = Segment(" " * ((options.max_width - measure) // 2))
        inner = options.update_width(measure)
        for text in self._texts(measure):
            for line in console.render_lines(text, inner, pad=False):
                line = _rstrip(line)
                if margin.text and line:
                    yield margin
                yield from line
                yield Segment.line()


def _rstrip(line: list[Segment]) -> list[Segment]:
    """The line without trailing spaces or empty segments at its end."""
    line = list(line)
    while line and not line[-1].text.rstrip():
        line.pop()
    if line:
        last = line[-1]
        line[-1] = Segment(last.text.rstrip(), last.style, last.control)
    return line


def render_manuscript(
    manuscript: Manuscript,
    *,
    submission: Submission | None = None,
    width: int | None = None,
    blind: bool = False,
) -> ManuscriptView:
    """The renderable ``csf read`` prints: header and story, italics as italics."""
    return ManuscriptView(manuscript, submission, width or MEASURE, blind)


# Plain text


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        break_on_hyphens=False,
        drop_whitespace=True,
    ) or [""]


def manuscript_to_plain(
    manuscript: Manuscript,
    *,
    width: int = MEASURE,
    submission: Submission | None = None,
    blind: bool = False,
    header: bool | None = None,
) -> str:
    """The story as text without any styles, wrapped at ``width``.

    The header comes first when a submission is given (or ``header`` is true).
    """
    width = max(width, 20)
    out: list[str] = []
    if header or (header is None and submission is not None):
        title, lines, contact = _header_lines(manuscript, submission, blind=blind)
        for line in (title, *lines):
            out += _wrap(line, width)
        out.append("\u2500" * width)
        out += [wrapped for line in contact for wrapped in _wrap(line, width)]
        out.append("")
    indent = False
    for block in manuscript.blocks:
        if not isinstance(block, Paragraph):
            out += ["", SCENE_MARK.center(width).rstrip(), ""]
            indent = False
            continue
        text = "".join(run.text for run in _runs(block))
        out += _wrap(text, width, INDENT if indent else "")
        indent = True
    return "\n".join(out) + "\n"


# Markdown

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#])")
_MARKDOWN_LINE_START = re.compile(r"^(\s*)([-+>]|\d+\.)(?=\s|$)")


def _markdown_escape(text: str) -> str:
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return _MARKDOWN_LINE_START.sub(
        lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text
    )


def _markdown_runs(runs: Iterable[Run]) -> str:
    out = []
    for run in runs:
        text = _markdown_escape(run.text)
        mark = ("*" if run.italic else "") + ("**" if run.bold else "")
        core = text.strip()
        if not mark or not core:
            out.append(text)
            continue
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()) :]
        out.append(f"{lead}{mark}{core}{mark[::-1]}{trail}")
    return "".join(out)


def manuscript_to_markdown(
    manuscript: Manuscript,
    *,
    submission: Submission | None = None,
    blind: bool = False,
) -> str:
    """The story as markdown: emphasis as ``*...*``, strong as ``**...**``."""
    title = _field(manuscript.title or (submission.title if submission else ""))
    out = []
    if title:
        out.append("# " + _markdown_escape(title))
    if manuscript.byline and not blind:
        out.append("*by " + _markdown_escape(_field(manuscript.byline)) + "*")
    for block in manuscript.blocks:
        if isinstance(block, Paragraph):
            out.append(_markdown_runs(_runs(block)).strip())
        else:
            out.append("* * *")
    return "\n\n".join(out) + "\n"


# JSON


def manuscript_to_json(
    manuscript: Manuscript,
    *,
    submission: Submission | None = None,
    blind: bool = False,
) -> dict[str, Any]:
    """The manuscript model as plain data; the submission record under it if given."""
    words = manuscript.word_count
    data: dict[str, Any] = {
        "title": _field(manuscript.title) or None,
        "byline": None if blind else _field(manuscript.byline) or None,
        "contact": [] if blind else [_field(line) for line in manuscript.contact],
        "preamble": [] if blind else [_field(line) for line in manuscript.preamble],
        "stated_words": manuscript.stated_words,
        "word_count": words,
        "reading_minutes": reading_minutes(words),
        "word_count_note": word_count_note(manuscript),
        "blocks": [
            {
                "type": "paragraph",
                "runs": [
                    {"text": run.text, "italic": run.italic, "bold": run.bold}
                    for run in _runs(block)
                ],
            }
            if isinstance(block, Paragraph)
            else {"type": "scene_break"}
            for block in manuscript.blocks
        ],
    }
    if submission is not None:
        record = submission.to_json()
        if blind:
            record.pop("email", None)
            record.pop("author", None)
        data["submission"] = record
    return data

"""The shared pass: raw paragraphs from any reader become a manuscript.

It cleans the text, recognises standard manuscript format (contact block, "about N
words", title, byline, "END") and folds the lines into paragraphs and scene breaks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..text import clean_text
from .model import Block, Manuscript, Paragraph, Run, SceneBreak

#: A raw paragraph: its lines, each a list of runs, as the author broke them.
RawParagraph = list[list[Run]]


@dataclass(slots=True)
class _Line:
    runs: list[Run]
    text: str
    gap_before: bool
    para: int


class Builder:
    """Collects raw paragraphs while a reader walks a document."""

    def __init__(self) -> None:
        self.paragraphs: list[RawParagraph] = []
        self._lines: RawParagraph | None = None

    def text(self, text: str, italic: bool = False, bold: bool = False) -> None:
        if not text:
            return
        if self._lines is None:
            self._lines = [[]]
        line = self._lines[-1]
        if line and line[-1].italic == italic and line[-1].bold == bold:
            line[-1].text += text
        else:
            line.append(Run(text, italic, bold))

    def line_break(self) -> None:
        if self._lines is None:
            self._lines = [[]]
        self._lines.append([])

    def end(self) -> None:
        self.paragraphs.append(self._lines or [])
        self._lines = None

    def end_open(self) -> None:
        """End the paragraph if one is open (for formats whose blocks nest)."""
        if self._lines is not None:
            self.end()

    def close(self) -> list[RawParagraph]:
        if self._lines is not None:
            self.end()
        return self.paragraphs


SCENE_BREAK = re.compile(r"^\s*(#(\s*#)*|\*(\s*\*){2,}|~+|-{3,}|_{3,}|[•·◊§]+)\s*$")
_END_MARK = re.compile(r"^\s*(the\s+)?end\.?\s*$|^\s*-\s*30\s*-\s*$", re.IGNORECASE)
_BYLINE = re.compile(r"^\s*by\s*:?\s+(\S.*)$", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"^(?:(?:tel|phone|mobile|cell)\w*\.?\s*:?\s*)?\+?[\d\s().-]{7,}$")
_CELLS = re.compile(r"\t+|\s{3,}")
_NUMBER = r"(\d{1,3}(?:[,.\s]\d{3})+|\d+(?:[.,]\d+)?)\s*(k)?"
_ABOUT = r"(?:about|approx(?:imately|\.)?|around|roughly|circa|ca\.?|c\.|~)?\s*"
_STATED_WORDS = re.compile(
    rf"^(?:{_ABOUT}{_NUMBER}\s*words?|word\s*count\s*[:\-\u2013\u2014]?\s*{_ABOUT}{_NUMBER}"
    r"(?:\s*words?)?)\.?$",
    re.IGNORECASE,
)
_HEAD_LINES = 30
_PREAMBLE_LINES = 60
_SEPARATOR = re.compile(r"^\s*([-=_~*#]\s*){3,}$")
_SENTENCE_ENDS = ".!?\"'\u201d\u2019\u2026"


def _stated_words(cell: str) -> int | None:
    match = _STATED_WORDS.match(cell.strip())
    if not match:
        return None
    number, thousands = (
        match.group(1) or match.group(3),
        match.group(2) or match.group(4),
    )
    if thousands:
        return round(float(number.replace(",", ".")) * 1000)
    return int(re.sub(r"[,.\s]", "", number))


def _byline(text: str) -> str | None:
    """The name in a line such as ``by Jane Doe``, or None for any other line."""
    match = _BYLINE.match(text.strip())
    if not match or len(text.split()) > 8:
        return None
    name = match.group(1).strip()
    last = name.split()[-1]
    if name[0].islower() or name[-1] in "!?,;:" or (name[-1] == "." and len(last) > 3):
        return None
    return name


def _is_prose(text: str) -> bool:
    words = len(text.split())
    return len(text) > 100 or (words >= 8 and text.rstrip()[-1] in _SENTENCE_ENDS)


def _is_title_like(text: str) -> bool:
    return 0 < len(text.split()) <= 15 and text.rstrip()[-1] not in ".,;:"


def _lines_of(paragraphs: Iterable[RawParagraph]) -> list[_Line]:
    """Clean, non-empty lines, each knowing its raw paragraph and any gap before it."""
    lines: list[_Line] = []
    gap = False
    for para, raw in enumerate(paragraphs):
        empty = True
        for runs in raw:
            cleaned = [Run(clean_text(r.text), r.italic, r.bold) for r in runs]
            text = "".join(r.text for r in cleaned)
            # An empty paragraph is only a gap, never a scene break: in word
            # processor files it cannot be told from spacing.
            if not text.strip():
                gap = gap or not empty
                continue
            lines.append(_Line(cleaned, text, gap and bool(lines), para))
            gap = False
            empty = False
        if empty:
            gap = True
    return lines


@dataclass
class _Head:
    body_start: int = 0
    title: str | None = None
    byline: str | None = None
    contact: list[str] = field(default_factory=list)
    stated_words: int | None = None


def _read_head(lines: list[_Line]) -> _Head:
    """Recognise the contact block, stated count, title and byline at the top."""
    head = _Head()
    window: list[int] = []
    for i, line in enumerate(lines[:_HEAD_LINES]):
        if _is_prose(line.text.strip()):
            break
        window.append(i)

    cells: dict[int, list[str]] = {}
    signals: set[int] = set()
    for i in window:
        kept = []
        for cell in _CELLS.split(lines[i].text.strip()):
            cell = cell.strip()
            stated = _stated_words(cell) if cell else None
            if stated is not None:
                head.stated_words = head.stated_words or stated
                signals.add(i)
            elif cell:
                kept.append(cell)
                if _EMAIL.search(cell) or _PHONE.match(cell):
                    signals.add(i)
        cells[i] = kept

    bylines = [i for i in window if _byline(lines[i].text)]
    byline_at = bylines[-1] if bylines else None
    if byline_at is not None:
        head.byline = _byline(lines[byline_at].text)
        title_at = next(
            (i for i in reversed(window[:byline_at]) if cells[i] and i not in signals),
            None,
        )
        if title_at is not None:
            head.title = " ".join(cells[title_at])
        contact_end = byline_at if title_at is None else title_at
        head.contact = [c for i in window[:contact_end] for c in cells[i]]
        head.body_start = byline_at + 1
        return head

    if signals and max(signals) < 15:
        last = max(signals)
        head.contact = [c for i in window[: last + 1] for c in cells[i]]
        head.body_start = last + 1
        after = [i for i in window if i > last and cells[i]]
        if after and after[0] == last + 1 and _is_title_like(lines[after[0]].text):
            head.title = " ".join(cells[after[0]])
            head.body_start = after[0] + 1
        return head

    first = lines[0] if lines else None
    if (
        first is not None
        and len(lines) > 1
        and 0 < len(window) <= 3
        and _is_title_like(first.text.strip())
        and (lines[1].gap_before or lines[1].para != first.para)
    ):
        head.title = " ".join(first.text.split())
        head.body_start = 1
    return head


def _wrap_width(lines: list[_Line]) -> int | None:
    """The width text was hard-wrapped at, or None when its lines are not wrapped."""
    counts: dict[int, int] = {}
    for line in lines:
        counts[line.para] = counts.get(line.para, 0) + 1
    lengths = sorted(len(x.text.strip()) for x in lines if counts[x.para] > 1)
    if len(lengths) < 4:
        return None
    median = lengths[len(lengths) // 2]
    top = lengths[int(len(lengths) * 0.9)]
    if median < 40 or top > 110:
        return None
    return top


def _indented(line: _Line) -> bool:
    return line.text[:1] == "\t" or line.text[:2] == "  " or line.text[:1] == "\u3000"


_SPACE = re.compile(r"\s+")


def _tidy(runs: list[Run]) -> list[Run]:
    """Runs with whitespace collapsed to single spaces, trimmed, like styles merged.

    A space between a styled run and a plain one goes to the plain one.
    """
    out: list[Run] = []
    space = False
    for run in runs:
        text = _SPACE.sub(" ", run.text)
        if not text.strip():
            space = space or bool(text)
            continue
        gap = (space or text[0] == " ") and bool(out)
        space = text[-1] == " "
        text = text.strip(" ")
        if gap:
            styled = out[-1].italic or out[-1].bold
            if styled and not (run.italic or run.bold):
                text = " " + text
            else:
                out[-1].text += " "
        if out and out[-1].italic == run.italic and out[-1].bold == run.bold:
            out[-1].text += text
        else:
            out.append(Run(text, run.italic, run.bold))
    return out


def _paragraph(lines: list[_Line]) -> Paragraph:
    runs: list[Run] = []
    for line in lines:
        if runs and not re.search(r"\w-\s*$", runs[-1].text):
            runs.append(Run(" "))
        elif runs:
            runs[-1] = Run(runs[-1].text.rstrip(), runs[-1].italic, runs[-1].bold)
        runs.extend(line.runs)
    return Paragraph(_tidy(runs))


def _body(
    lines: list[_Line], *, join: bool, inline: Callable[[str], list[Run]] | None
) -> list[Block]:
    """Fold lines into paragraphs and scene breaks."""
    width = None if join else _wrap_width(lines)
    blocks: list[Block] = []
    current: list[_Line] = []

    def flush() -> None:
        if current:
            paragraph = _paragraph(current)
            if inline is not None:
                paragraph.runs = _tidy(
                    [r for x in paragraph.runs for r in inline(x.text)]
                )
            blocks.append(paragraph)
            current.clear()

    for line in lines:
        if SCENE_BREAK.match(line.text):
            flush()
            if blocks and not isinstance(blocks[-1], SceneBreak):
                blocks.append(SceneBreak())
            continue
        if current and line.para == current[-1].para:
            if join:
                current.append(line)
                continue
            if width and not _indented(line):
                previous = len(current[-1].text.strip())
                first_word = len(line.text.split()[0])
                if previous + 1 + first_word > width * 0.9:
                    current.append(line)
                    continue
        flush()
        current.append(line)
    flush()

    while blocks and isinstance(blocks[-1], SceneBreak):
        blocks.pop()
    return blocks


def assemble(
    paragraphs: Iterable[RawParagraph],
    *,
    join_lines: bool = False,
    inline: Callable[[str], list[Run]] | None = None,
) -> Manuscript:
    """A manuscript from raw paragraphs, recognising standard manuscript format.

    With ``join_lines`` the lines of a raw paragraph always belong together (PDF);
    otherwise a line break ends a paragraph unless the text looks hard-wrapped.
    ``inline`` reads emphasis marks in plain text once its lines are folded.
    """
    lines = _lines_of(paragraphs)
    head = _read_head(lines)
    preamble: list[str] = []
    if not (head.byline or head.contact):
        # A story pasted below a cover letter, past a line of dashes or stars.
        for i, line in enumerate(lines[:_PREAMBLE_LINES]):
            if not _SEPARATOR.match(line.text):
                continue
            later = _read_head(lines[i + 1 :])
            if later.byline or later.contact:
                later.body_start += i + 1
                head = later
                preamble = [" ".join(x.text.split()) for x in lines[:i]]
                break
    end = len(lines)
    while end > head.body_start and (
        _END_MARK.match(lines[end - 1].text) or SCENE_BREAK.match(lines[end - 1].text)
    ):
        end -= 1

    def plain(text: str | None) -> str | None:
        if text is None or inline is None:
            return text
        return "".join(run.text for run in inline(text))

    return Manuscript(
        blocks=_body(lines[head.body_start : end], join=join_lines, inline=inline),
        title=plain(head.title),
        byline=plain(head.byline),
        contact=[plain(line) or "" for line in head.contact],
        stated_words=head.stated_words,
        preamble=preamble,
    )

"""Text out of a manuscript: docx, odt, rtf, pdf, html, markdown and plain text.

No Typer or rich here: the Lambda uses this module to count words at ingest.

Every reader turns its format into raw paragraphs (lists of lines of styled runs, as
the author typed them). One shared pass then cleans the text, recognises standard
manuscript format (contact block, "about N words", title, byline, "END") and folds
the lines into the paragraphs and scene breaks of the story.
"""

from __future__ import annotations

import codecs
import functools
import io
import itertools
import logging
import re
import shutil
import struct
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePath
from xml.parsers import expat

from .errors import ExtractionError
from .text import NEWLINES, clean_text

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

#: Largest uncompressed part of a docx or odt that is read, in bytes.
MAX_PART_BYTES = 64 * 1024 * 1024

#: Most members a docx or odt may have; real ones have a few dozen.
MAX_ZIP_MEMBERS = 2000

#: Most pages read from a PDF: a long novel in manuscript format has about 800.
MAX_PDF_PAGES = 1000

#: Seconds antiword may take over one .doc.
ANTIWORD_TIMEOUT = 30


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


# The shared pass: raw paragraphs to a manuscript

#: A raw paragraph: its lines, each a list of runs, as the author broke them.
RawParagraph = list[list[Run]]


@dataclass(slots=True)
class _Line:
    runs: list[Run]
    text: str
    gap_before: bool
    para: int


class _Builder:
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


_SCENE_BREAK = re.compile(r"^\s*(#(\s*#)*|\*(\s*\*){2,}|~+|-{3,}|_{3,}|[•·◊§]+)\s*$")
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
        if _SCENE_BREAK.match(line.text):
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
        _END_MARK.match(lines[end - 1].text) or _SCENE_BREAK.match(lines[end - 1].text)
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


# Plain text and markdown

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
        if markdown and not _SCENE_BREAK.match(line):
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


# Zip containers: docx and odt


class _Refused(Exception):
    """A document does something no manuscript needs (DTDs, entities)."""


def _zip_members(data: bytes) -> int:
    """The member count the zip's end record declares, before zipfile reads them."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        raise zipfile.BadZipFile("no end of central directory")
    count = struct.unpack_from("<H", data, end + 10)[0]
    if count == 0xFFFF and end >= 20 and data[end - 20 : end - 16] == b"PK\x06\x07":
        offset = struct.unpack_from("<Q", data, end - 12)[0]
        if data[offset : offset + 4] == b"PK\x06\x06":
            count = struct.unpack_from("<Q", data, offset + 32)[0]
    return count


def _open_zip(data: bytes, name: str, kind: str) -> zipfile.ZipFile:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ExtractionError(
            f"{name} is not a {kind} file: it is an older Word (.doc) file or an "
            "encrypted document",
            "ask the author for a .docx or .rtf, or open it with `csf open`",
        )
    try:
        if not data.startswith(b"PK\x03\x04"):
            raise zipfile.BadZipFile("no zip signature")
        if _zip_members(data) > MAX_ZIP_MEMBERS:
            raise ExtractionError(
                f"{name} has more than {MAX_ZIP_MEMBERS} parts: it is not a real {kind}"
            )
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, struct.error, ValueError, EOFError) as exc:
        raise ExtractionError(
            f"{name} is not a {kind} file",
            "ask the author to send it again, or open it with `csf open`",
        ) from exc
    if len(archive.infolist()) > MAX_ZIP_MEMBERS:
        raise ExtractionError(
            f"{name} has more than {MAX_ZIP_MEMBERS} parts: it is not a real {kind}"
        )
    return archive


def _parse_part(
    archive: zipfile.ZipFile, part: str, name: str, kind: str, handler: object
) -> bool:
    """Stream one XML part through ``handler``; False when the part is absent.

    The part is decompressed in bounded chunks and refused past MAX_PART_BYTES,
    whatever its header says, so a zip bomb costs neither time nor memory.
    """
    try:
        info = archive.getinfo(part)
    except KeyError:
        return False
    too_big = ExtractionError(
        f"{name} is refused: its {part} would expand past "
        f"{MAX_PART_BYTES // (1024 * 1024)} MB, which no manuscript needs",
        "ask the author to send it again",
    )
    if info.file_size > MAX_PART_BYTES:
        raise too_big

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.data

    def refuse(*_args: object) -> None:
        raise _Refused

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    total = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(1 << 18):
                total += len(chunk)
                if total > MAX_PART_BYTES:
                    raise too_big
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except ExtractionError:
        raise
    except (expat.ExpatError, _Refused) as exc:
        raise ExtractionError(
            f"{name} is a damaged {kind}: its {part} is not well-formed XML",
            "ask the author to send it again, or open it with `csf open`",
        ) from exc
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        RuntimeError,
        NotImplementedError,
    ) as exc:
        raise ExtractionError(
            f"{name} is a damaged {kind}: {part} cannot be read ({exc})",
            "ask the author to send it again, or open it with `csf open`",
        ) from exc
    return True


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


_FALSE = {"0", "false", "off", "none"}


def _on(attrs: dict[str, str], key: str) -> bool:
    value = attrs.get(key)
    return value is None or value.lower() not in _FALSE


# docx

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"


class _DocxStyles:
    """Which docx styles make their text italic or bold, through basedOn."""

    def __init__(self) -> None:
        self.styles: dict[str, dict[str, object]] = {}
        self._style: dict[str, object] | None = None
        self._in_rpr = False
        self.default: dict[str, object] = {}
        self._in_defaults = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        ns, _, tag = name.rpartition(" ")
        if ns not in (_W, _W_STRICT):
            return
        w = ns + " "
        if tag == "style":
            self._style = {}
            self.styles[attrs.get(w + "styleId", "")] = self._style
        elif tag == "rPrDefault":
            self._in_defaults = True
        elif tag == "basedOn" and self._style is not None:
            self._style["based"] = attrs.get(w + "val")
        elif tag == "rPr":
            self._in_rpr = True
        elif tag in ("i", "b") and self._in_rpr:
            if self._style is not None:
                self._style[tag] = _on(attrs, w + "val")
            elif self._in_defaults:
                self.default[tag] = _on(attrs, w + "val")

    def end(self, name: str) -> None:
        tag = _local(name)
        if tag == "style":
            self._style = None
        elif tag == "rPr":
            self._in_rpr = False
        elif tag == "rPrDefault":
            self._in_defaults = False

    def data(self, text: str) -> None:
        pass

    def resolve(self, style_id: str | None, key: str) -> bool | None:
        seen = set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            style = self.styles.get(style_id)
            if style is None:
                return None
            if key in style:
                return bool(style[key])
            style_id = style.get("based")
        return None


class _DocxBody:
    """Walks word/document.xml into raw paragraphs."""

    # Text boxes, footnotes and moved-from revisions are skipped: in a manuscript
    # they are decoration, notes or a second copy of the text.
    _SKIP = frozenset({"txbxContent", "Fallback", "moveFrom", "footnotes"})

    def __init__(self, styles: _DocxStyles) -> None:
        self.out = _Builder()
        self.styles = styles
        self.skip = 0
        self.depth = 0
        self.in_text = False
        self.in_rpr = False
        self.in_run = False
        self.para_style: str | None = None
        self.run: dict[str, object] = {}
        self._cache: dict[tuple[str | None, str | None], tuple[bool, bool]] = {}

    def _style(self) -> tuple[bool, bool]:
        run_style = self.run.get("style")
        key = (run_style, self.para_style)
        if key not in self._cache:
            found = []
            for prop in ("i", "b"):
                value = self.styles.resolve(run_style, prop)
                if value is None:
                    value = self.styles.resolve(self.para_style, prop)
                if value is None:
                    value = bool(self.styles.default.get(prop, False))
                found.append(value)
            self._cache[key] = (found[0], found[1])
        italic, bold = self._cache[key]
        return (
            bool(self.run.get("i", italic)),
            bool(self.run.get("b", bold)),
        )

    def start(self, name: str, attrs: dict[str, str]) -> None:
        ns, _, tag = name.rpartition(" ")
        if self.skip:
            self.skip += 1
            return
        if tag in self._SKIP:
            self.skip = 1
            return
        if ns not in (_W, _W_STRICT):
            return
        w = ns + " "
        if tag == "t":
            self.in_text = True
        elif tag == "r":
            self.in_run = True
            self.run = {}
        elif tag == "rPr":
            self.in_rpr = self.in_run
        elif self.in_rpr:
            if tag in ("i", "b"):
                self.run[tag] = _on(attrs, w + "val")
            elif tag == "rStyle":
                self.run["style"] = attrs.get(w + "val")
            elif tag == "vanish":
                self.run["hidden"] = _on(attrs, w + "val")
        elif tag == "p":
            self.para_style = None
        elif tag == "pStyle":
            self.para_style = attrs.get(w + "val")
        elif tag == "tab" and self.in_run:
            self.out.text("\t", *self._style())
        elif tag in ("br", "cr") and self.in_run:
            self.out.line_break()
        elif tag == "noBreakHyphen":
            self.out.text("-", *self._style())

    def end(self, name: str) -> None:
        if self.skip:
            self.skip -= 1
            return
        tag = _local(name)
        if tag == "t":
            self.in_text = False
        elif tag == "rPr":
            self.in_rpr = False
        elif tag == "r":
            self.in_run = False
        elif tag == "p" and name.startswith((_W, _W_STRICT)):
            self.out.end()

    def data(self, text: str) -> None:
        if self.in_text and not self.skip and not self.run.get("hidden"):
            self.out.text(text, *self._style())


def from_docx(data: bytes, name: str = "manuscript.docx") -> Manuscript:
    """A manuscript from a Word (.docx) file."""
    archive = _open_zip(data, name, "Word (.docx)")
    styles = _DocxStyles()
    _parse_part(archive, "word/styles.xml", name, "Word (.docx)", styles)
    body = _DocxBody(styles)
    if not _parse_part(archive, "word/document.xml", name, "Word (.docx)", body):
        raise ExtractionError(
            f"{name} is not a Word (.docx) file: it has no word/document.xml",
            "ask the author to send it again, or open it with `csf open`",
        )
    return assemble(body.out.close())


# odt

_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"


class _Odt:
    """Walks styles.xml, then content.xml, into raw paragraphs."""

    _SKIP = frozenset(
        {
            (_TEXT, "note"),
            (_TEXT, "tracked-changes"),
            (_OFFICE, "annotation"),
            (_DRAW, "text-box"),
            (_TEXT, "table-of-content"),
        }
    )

    def __init__(self) -> None:
        self.out = _Builder()
        self.styles: dict[str, dict[str, object]] = {}
        self._style: dict[str, object] | None = None
        self.stack: list[tuple[bool, bool]] = []
        self.in_paragraph = 0
        self.skip = 0
        self._cache: dict[str | None, tuple[bool | None, bool | None]] = {}

    def _resolve(self, style_name: str | None) -> tuple[bool | None, bool | None]:
        if style_name not in self._cache:
            italic = bold = None
            seen = set()
            current = style_name
            while current and current not in seen and (italic is None or bold is None):
                seen.add(current)
                style = self.styles.get(current)
                if style is None:
                    break
                if italic is None and "i" in style:
                    italic = bool(style["i"])
                if bold is None and "b" in style:
                    bold = bool(style["b"])
                current = style.get("parent")
            self._cache[style_name] = (italic, bold)
        return self._cache[style_name]

    def _push(self, style_name: str | None) -> None:
        italic, bold = self._resolve(style_name)
        outer_italic, outer_bold = self.stack[-1] if self.stack else (False, False)
        self.stack.append(
            (
                outer_italic if italic is None else italic,
                outer_bold if bold is None else bold,
            )
        )

    def start(self, name: str, attrs: dict[str, str]) -> None:
        ns, _, tag = name.rpartition(" ")
        if self.skip:
            self.skip += 1
            return
        if (ns, tag) in self._SKIP:
            self.skip = 1
            return
        if ns == _STYLE and tag == "style":
            self._style = {"parent": attrs.get(f"{_STYLE} parent-style-name")}
            self.styles[attrs.get(f"{_STYLE} name", "")] = self._style
            self._cache.clear()
        elif ns == _STYLE and tag == "text-properties" and self._style is not None:
            posture = attrs.get(f"{_FO} font-style")
            weight = attrs.get(f"{_FO} font-weight")
            if posture:
                self._style["i"] = posture in ("italic", "oblique")
            if weight:
                self._style["b"] = weight == "bold" or (
                    weight.isdigit() and int(weight) >= 600
                )
        elif ns != _TEXT:
            return
        elif tag in ("p", "h"):
            self.in_paragraph += 1
            self.stack = []
            self._push(attrs.get(f"{_TEXT} style-name"))
        elif not self.in_paragraph:
            return
        elif tag == "span":
            self._push(attrs.get(f"{_TEXT} style-name"))
        elif tag == "s":
            count = attrs.get(f"{_TEXT} c", "1")
            self.out.text(" " * min(int(count) if count.isdigit() else 1, 100))
        elif tag == "tab":
            self.out.text("\t")
        elif tag == "line-break":
            self.out.line_break()

    def end(self, name: str) -> None:
        if self.skip:
            self.skip -= 1
            return
        ns, _, tag = name.rpartition(" ")
        if ns == _STYLE and tag == "style":
            self._style = None
        elif ns == _TEXT and tag in ("p", "h") and self.in_paragraph:
            self.in_paragraph -= 1
            self.out.end()
        elif (
            ns == _TEXT and tag == "span" and self.in_paragraph and len(self.stack) > 1
        ):
            self.stack.pop()

    def data(self, text: str) -> None:
        if self.in_paragraph and not self.skip:
            self.out.text(text, *self.stack[-1])


def from_odt(data: bytes, name: str = "manuscript.odt") -> Manuscript:
    """A manuscript from an OpenDocument text (.odt) file."""
    kind = "OpenDocument (.odt)"
    archive = _open_zip(data, name, kind)
    reader = _Odt()
    _parse_part(archive, "styles.xml", name, kind, reader)
    reader.out = _Builder()
    if not _parse_part(archive, "content.xml", name, kind, reader):
        raise ExtractionError(
            f"{name} is not an {kind} file: it has no content.xml",
            "ask the author to send it again, or open it with `csf open`",
        )
    return assemble(reader.out.close())


# rtf

_RTF_TOKEN = re.compile(
    rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])"
    rb"|([^\\{}\r\n]+)|[\r\n]+",
    re.DOTALL,
)
_RTF_SKIP = frozenset(
    b"fonttbl colortbl stylesheet info pict header headerl headerr headerf footer "
    b"footerl footerr footerf footnote object objdata themedata colorschememapping "
    b"datastore latentstyles listtable listoverridetable rsidtbl generator xmlnstbl "
    b"mmathPr fldinst filetbl revtbl pgdsctbl nonshppict shpinst annotation atnid "
    b"atnauthor xe tc bkmkstart bkmkend template docvar userprops".split()
)
_RTF_SYMBOLS = {
    b"emdash": "\u2014",
    b"endash": "\u2013",
    b"lquote": "\u2018",
    b"rquote": "\u2019",
    b"ldblquote": "\u201c",
    b"rdblquote": "\u201d",
    b"bullet": "\u2022",
    b"emspace": " ",
    b"enspace": " ",
    b"qmspace": " ",
    b"tab": "\t",
    b"cell": " ",
}
_RTF_CHARSETS = {b"mac": "mac_roman", b"pc": "cp437", b"pca": "cp850"}


def _codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "cp1252"


def from_rtf(data: bytes, name: str = "manuscript.rtf") -> Manuscript:
    """A manuscript from a Rich Text Format (.rtf) file, italics and bold kept."""
    if not data.lstrip().startswith(b"{\\rtf"):
        raise ExtractionError(
            f"{name} is not an RTF file",
            "ask the author to send it again, or open it with `csf open`",
        )
    out = _Builder()
    # One code page for the whole file: per-font \fcharset is not applied, as
    # manuscripts rarely mix 8-bit code pages (Unicode comes as \uN anyway).
    encoding = "cp1252"
    # A group's state: italic, bold, skipped, \uc count, hidden.
    italic, bold, skip, uc, hidden = False, False, False, 1, False
    stack: list[tuple[bool, bool, bool, int, bool]] = []
    group_start = False
    ignorable = False
    to_skip = 0
    pending = bytearray()
    position = 0
    match_at = _RTF_TOKEN.match
    size = len(data)

    def flush_bytes() -> None:
        if pending:
            if not (skip or hidden):
                out.text(
                    bytes(pending).decode(encoding, errors="replace"), italic, bold
                )
            pending.clear()

    while position < size:
        token = match_at(data, position)
        if token is None:
            position += 1
            continue
        position = token.end()
        word, param, hexbyte, symbol, brace, text = token.groups()

        if hexbyte is not None:
            if to_skip:
                to_skip -= 1
            else:
                pending.append(int(hexbyte, 16))
            group_start = False
            continue
        flush_bytes()

        if text is not None:
            group_start = False
            if to_skip:
                cut = min(to_skip, len(text))
                to_skip -= cut
                text = text[cut:]
            if text and not (skip or hidden):
                out.text(text.decode(encoding, errors="replace"), italic, bold)
        elif brace == b"{":
            stack.append((italic, bold, skip, uc, hidden))
            group_start = True
            ignorable = False
            to_skip = 0
        elif brace == b"}":
            if stack:
                italic, bold, skip, uc, hidden = stack.pop()
            group_start = False
            to_skip = 0
        elif symbol is not None:
            if symbol == b"*":
                ignorable = group_start
                continue
            group_start = False
            if skip or hidden:
                continue
            if symbol in b"\\{}":
                out.text(symbol.decode(), italic, bold)
            elif symbol == b"~":
                out.text("\u00a0", italic, bold)
            elif symbol == b"_":
                out.text("-", italic, bold)
            elif symbol in b"\r\n":
                out.end()
        elif word is not None:
            first = group_start
            group_start = False
            if first and (ignorable or word in _RTF_SKIP):
                skip = True
                continue
            number = int(param) if param else None
            if word == b"bin" and number:
                position += max(number, 0)
            elif word == b"uc":
                uc = max(number or 0, 0)
            elif skip:
                continue
            elif word == b"u" and number is not None:
                to_skip = 0
                if not hidden:
                    out.text(chr(number % 65536), italic, bold)
                to_skip = uc
            elif word == b"par" or word == b"sect" or word == b"page" or word == b"row":
                out.end()
            elif word == b"line":
                out.line_break()
            elif word == b"i":
                italic = number != 0
            elif word == b"b":
                bold = number != 0
            elif word == b"plain":
                italic = bold = hidden = False
            elif word == b"v":
                hidden = number != 0
            elif word == b"ansicpg" and number:
                encoding = _codec(f"cp{number}")
            elif word in _RTF_CHARSETS:
                encoding = _RTF_CHARSETS[word]
            elif word in _RTF_SYMBOLS and not hidden:
                out.text(_RTF_SYMBOLS[word], italic, bold)
    flush_bytes()
    return assemble(out.close())


# html


class _Html(HTMLParser):
    _BLOCKS = frozenset(
        {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre"}
        | {"tr", "section", "article", "header", "footer", "main", "aside", "figure"}
        | {"figcaption", "dt", "dd", "table", "ul", "ol", "center", "address"}
    )
    _ITALIC = frozenset({"i", "em", "cite", "var", "dfn"})
    _BOLD = frozenset({"b", "strong"})
    _SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})
    _VOID = frozenset(
        {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed"}
        | {"source", "wbr"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = _Builder()
        self.open: list[tuple[str, bool, bool]] = []
        self.skip = 0

    def _style(self) -> tuple[bool, bool]:
        return (any(i for _, i, _ in self.open), any(b for _, _, b in self.open))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip += 1
        elif tag == "br":
            self.out.line_break()
        elif tag == "hr":
            self.out.end_open()
            self.out.text("* * *")
            self.out.end()
        elif tag in self._BLOCKS:
            self.out.end_open()
        if tag in self._VOID or tag in self._SKIP:
            return
        css = (dict(attrs).get("style") or "").replace(" ", "").lower()
        self.open.append(
            (
                tag,
                tag in self._ITALIC or "font-style:italic" in css,
                tag in self._BOLD
                or "font-weight:bold" in css
                or "font-weight:700" in css,
            )
        )

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
            return
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                del self.open[i:]
                break
        if tag in self._BLOCKS:
            self.out.end_open()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.text(data.replace("\n", " "), *self._style())


def from_html(text: str) -> Manuscript:
    """A manuscript from HTML, such as a mail's HTML body."""
    reader = _Html()
    reader.feed(text)
    reader.close()
    return assemble(reader.out.close())


def _decode_html(data: bytes) -> str:
    declared = re.search(rb"""<meta[^>]+charset=["']?([\w-]+)""", data[:4096], re.I)
    if declared and not data.startswith((codecs.BOM_UTF8, b"\xff\xfe", b"\xfe\xff")):
        encoding = _codec(declared.group(1).decode("ascii"))
        return data.decode(encoding, errors="replace")
    return decode_text(data)


# .doc through antiword


def from_doc(data: bytes, name: str = "manuscript.doc") -> Manuscript:
    """A manuscript from an older Word (.doc) file, through antiword when installed."""
    if data.lstrip().startswith(b"{\\rtf"):
        return from_rtf(data, name)
    if data.startswith(b"PK\x03\x04"):
        return from_docx(data, name)
    antiword = shutil.which("antiword")
    if antiword is None:
        raise ExtractionError(
            f"cannot read {name}: older Word (.doc) files need antiword, "
            "which is not installed",
            "install antiword, or use `csf open` to read it in a word processor",
        )
    # antiword's text output loses italics; its DocBook output keeps them but needs
    # sample .doc files to test against, which we cannot make without Word.
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "manuscript.doc"
        path.write_bytes(data)
        try:
            done = subprocess.run(
                [antiword, "-w", "0", "-m", "UTF-8.txt", str(path)],
                capture_output=True,
                timeout=ANTIWORD_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ExtractionError(
                f"cannot read {name}: antiword took over {ANTIWORD_TIMEOUT} s",
                "use `csf open` to read it in a word processor",
            ) from exc
    if done.returncode != 0:
        raise ExtractionError(
            f"cannot read {name}: antiword does not take it as a Word document",
            "use `csf open` to read it in a word processor",
        )
    return from_text(done.stdout.decode("utf-8", errors="replace"))


# pdf

_PDF_ITALIC = re.compile(
    r"italic|oblique|kursiv|[-,](?:Bd|Bold|Semibold|Light)?It$", re.I
)
_PDF_BOLD = re.compile(r"bold|black|heavy|demi|[-,]Bd(?:It)?$", re.I)


@dataclass(slots=True)
class _PdfLine:
    x: float
    y: float
    size: float
    runs: list[Run]

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


def _pdf_lines(page: object) -> list[_PdfLine]:
    """The lines of one page, in the order the PDF draws them.

    Pages in several columns come out column after column only if the PDF draws them
    so; manuscripts are set in one.
    """
    lines: list[_PdfLine] = []
    fonts: dict[int, tuple[bool, bool]] = {}
    current: _PdfLine | None = None

    def visit(text: str, cm: list, tm: list, font: dict | None, size: float) -> None:
        nonlocal current
        if not text:
            return
        if text == "\n":
            current = None
            return
        scale = abs(tm[3] * cm[3]) or 1.0
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        key = id(font)
        if key not in fonts:
            base = str(font.get("/BaseFont", "")) if font else ""
            base = base.rpartition("+")[2]
            fonts[key] = (bool(_PDF_ITALIC.search(base)), bool(_PDF_BOLD.search(base)))
        italic, bold = fonts[key]
        height = float(size or 10) * scale
        if current is None or abs(y - current.y) > height * 0.5:
            current = _PdfLine(x, y, height, [])
            lines.append(current)
        elif x > current.x + len(current.text) * height * 0.6 + height * 2:
            text = "\t" + text.lstrip()
        runs = current.runs
        if runs and runs[-1].italic == italic and runs[-1].bold == bold:
            runs[-1].text += text
        else:
            runs.append(Run(text, italic, bold))

    page.extract_text(visitor_text=visit)
    return [line for line in lines if line.text.strip()]


def _mode(values: Iterable[float]) -> float | None:
    counts: dict[float, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def _running_heads(pages: list[list[_PdfLine]]) -> set[int]:
    """Ids of the numbered lines that repeat at the top or foot of the pages."""
    found: set[int] = set()
    for edge in (0, -1):
        lines = [page[edge] for page in pages if page]
        shapes = [re.sub(r"\d+", "#", " ".join(x.text.split())) for x in lines]
        common = _mode(shapes)
        for line, shape in zip(lines, shapes, strict=True):
            repeated = len(pages) > 1 and shapes.count(common) * 2 >= len(pages)
            if shape == "#" or (repeated and shape == common and "#" in shape):
                found.add(id(line))
    return found


def _pdf_paragraphs(pages: list[list[_PdfLine]]) -> list[RawParagraph]:
    """Paragraphs from the geometry of the lines: indents, short lines, gaps."""
    skip = _running_heads(pages)
    lines = [line for page in pages for line in page if id(line) not in skip]
    if not lines:
        return []
    usual = _mode(round(x.x) for x in lines)
    margin = min(x.x for x in lines if abs(x.x - usual) < 1)
    steps = [
        round(a.y - b.y)
        for page in pages
        for a, b in itertools.pairwise(page)
        if a.y - b.y > 0
    ]
    leading = _mode(steps) or 14.0

    def reach(line: _PdfLine) -> float:
        """Where the line ends, in characters from the margin (roughly)."""
        return (line.x - margin) / (line.size * 0.5) + len(line.text.rstrip())

    reaches = sorted(reach(x) for x in lines)
    full = reaches[int(len(reaches) * 0.9)]

    paragraphs: list[RawParagraph] = []
    previous: _PdfLine | None = None
    for line in lines:
        indented = line.x > margin + line.size
        if previous is not None:
            gap = previous.y - line.y > leading * 1.6
            short = reach(previous) < full * 0.8
            if gap:
                paragraphs.append([])
            if not (gap or indented or short):
                paragraphs[-1].append(line.runs)
                previous = line
                continue
        paragraphs.append([line.runs])
        previous = line
    return paragraphs


def from_pdf(data: bytes, name: str = "manuscript.pdf") -> Manuscript:
    """A manuscript from a PDF, italics read from the fonts' names."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    # pypdf logs what it repairs in a damaged file; without a handler of the
    # application's, Python would print that on the editor's terminal.
    pypdf_log = logging.getLogger("pypdf")
    if not pypdf_log.handlers:
        pypdf_log.addHandler(logging.NullHandler())

    damaged = f"{name} is a damaged PDF"
    hint = "ask the author to send it again, or open it with `csf open`"
    if not data.lstrip()[:1024].count(b"%PDF-"):
        raise ExtractionError(f"{name} is not a PDF", hint)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError(f"{name} is a password-protected PDF", hint)
        declared = reader.trailer["/Root"]["/Pages"].get("/Count", 0)
        if int(declared) > MAX_PDF_PAGES or len(reader.pages) > MAX_PDF_PAGES:
            raise ExtractionError(
                f"{name} is refused: it has more than {MAX_PDF_PAGES} pages",
                "ask the author for the story alone, or open it with `csf open`",
            )
        pages = [_pdf_lines(page) for page in reader.pages]
    except ExtractionError:
        raise
    except FileNotDecryptedError as exc:
        raise ExtractionError(f"{name} is a password-protected PDF", hint) from exc
    except (PdfReadError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ExtractionError(damaged, hint) from exc
    return assemble(_pdf_paragraphs(pages), join_lines=True)


_READERS: dict[str, Callable[[bytes, str], Manuscript]] = {
    ".docx": from_docx,
    ".docm": from_docx,
    ".dotx": from_docx,
    ".odt": from_odt,
    ".rtf": from_rtf,
    ".doc": from_doc,
    ".pdf": from_pdf,
    ".html": lambda data, _name: from_html(_decode_html(data)),
    ".htm": lambda data, _name: from_html(_decode_html(data)),
    ".xhtml": lambda data, _name: from_html(_decode_html(data)),
    ".md": lambda data, _name: from_markdown(decode_text(data)),
    ".markdown": lambda data, _name: from_markdown(decode_text(data)),
}


def extract(data: bytes, name: str) -> Manuscript:
    """The manuscript in ``data``, read according to the ending of ``name``.

    Raises ExtractionError, naming the file, when it cannot be read.
    """
    shown = clean_text(name, single_line=True)[:120] or "the manuscript"
    reader = _READERS.get(PurePath(name).suffix.lower())
    if reader is None and data.lstrip()[:5] == b"{\\rtf":
        reader = from_rtf
    elif reader is None and data.startswith(b"%PDF-"):
        reader = from_pdf
    elif reader is None:
        return from_text(decode_text(data))
    try:
        return reader(data, shown)
    except ExtractionError:
        raise
    except (RecursionError, MemoryError) as exc:
        raise ExtractionError(f"cannot read {shown}: it is too deeply nested") from exc
    except Exception as exc:
        raise ExtractionError(
            f"cannot read {shown}: {type(exc).__name__}",
            "open it with `csf open`",
        ) from exc

"""PDF, through pypdf: paragraphs from the layout, italics from font names."""

from __future__ import annotations

import io
import itertools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import ExtractionError
from .model import Manuscript, Run
from .shaping import RawParagraph, assemble

#: Most pages read from a PDF: a long novel in manuscript format has about 800.
MAX_PDF_PAGES = 1000

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

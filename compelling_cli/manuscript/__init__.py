"""Text out of a manuscript: docx, odt, rtf, pdf, html, markdown and plain text.

No Typer or rich here: the Lambda uses this package to count words at ingest.

Every reader turns its format into raw paragraphs (lists of lines of styled runs, as
the author typed them). One shared pass then cleans the text, recognises standard
manuscript format (contact block, "about N words", title, byline, "END") and folds
the lines into the paragraphs and scene breaks of the story.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from ..errors import ExtractionError
from ..text import clean_text
from .doc import from_doc
from .html import decode_html, from_html
from .model import (
    MANUSCRIPT_SUFFIXES,
    Block,
    Manuscript,
    Paragraph,
    Run,
    SceneBreak,
    is_manuscript_name,
    word_count_note,
)
from .office import from_docx, from_odt
from .pdf import from_pdf
from .plain import decode_text, from_markdown, from_text
from .rtf import from_rtf

__all__ = [
    "MANUSCRIPT_SUFFIXES",
    "Block",
    "Manuscript",
    "Paragraph",
    "Run",
    "SceneBreak",
    "decode_text",
    "extract",
    "from_doc",
    "from_docx",
    "from_html",
    "from_markdown",
    "from_odt",
    "from_pdf",
    "from_rtf",
    "from_text",
    "is_manuscript_name",
    "word_count_note",
]

_READERS: dict[str, Callable[[bytes, str], Manuscript]] = {
    ".docx": from_docx,
    ".docm": from_docx,
    ".dotx": from_docx,
    ".odt": from_odt,
    ".rtf": from_rtf,
    ".doc": from_doc,
    ".pdf": from_pdf,
    ".html": lambda data, _name: from_html(decode_html(data)),
    ".htm": lambda data, _name: from_html(decode_html(data)),
    ".xhtml": lambda data, _name: from_html(decode_html(data)),
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

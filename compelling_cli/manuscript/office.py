"""docx and odt: zip containers read with bounded streams and expat."""

from __future__ import annotations

import io
import struct
import zipfile
from xml.parsers import expat

from ..errors import ExtractionError
from .model import Manuscript
from .shaping import Builder, assemble

#: Largest uncompressed part of a docx or odt that is read, in bytes.
MAX_PART_BYTES = 64 * 1024 * 1024

#: Most members a docx or odt may have; real ones have a few dozen.
MAX_ZIP_MEMBERS = 2000


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
        self.out = Builder()
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
        self.out = Builder()
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
    reader.out = Builder()
    if not _parse_part(archive, "content.xml", name, kind, reader):
        raise ExtractionError(
            f"{name} is not an {kind} file: it has no content.xml",
            "ask the author to send it again, or open it with `csf open`",
        )
    return assemble(reader.out.close())

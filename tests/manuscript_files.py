"""Real manuscript files built in the tests: docx, odt, rtf, pdf, text and html.

A story is a list of paragraphs, each a list of ``(text, style)`` pieces where style
is ``""``, ``"i"``, ``"b"`` or ``"ib"``, or the string ``"#"`` for a scene break.
Each builder lays it out in standard manuscript format: contact block with the stated
word count, the title a third of the way down, the byline, the story, then END.
"""

from __future__ import annotations

import io
import re
import textwrap
import zipfile
import zlib
from collections.abc import Sequence
from xml.sax.saxutils import escape

Piece = tuple[str, str]
Story = Sequence[list[Piece] | str]

CONTACT = [
    "Jane Q. Author",
    "12 Orchard Lane",
    "Springfield, IL 62704",
    "jane@example.com",
    "(217) 555-0142",
]
STATED = "About 1,000 words"
TITLE = "The Lighthouse Keeper"
BYLINE = "by J. Q. Author"

STORY: list[list[Piece] | str] = [
    [("The lamp had not been lit in ", ""), ("eleven", "i"), (" years.", "")],
    [
        ("Mara climbed the stairs anyway, counting them as her father had: ", ""),
        ("one for the sea, two for the dead", "i"),
        (", and the rest for nobody at all.", ""),
    ],
    "#",
    [("At the top she found the logbook, its last entry in a hand she knew.", "")],
    [("It said only: ", ""), ("Keep the light.", "b")],
]

#: The words of STORY as ``wc -w`` counts them.
STORY_WORDS = 56


def paragraph_text(paragraph: list[Piece]) -> str:
    return "".join(text for text, _ in paragraph)


def long_story(words: int) -> list[list[Piece] | str]:
    """A story of about ``words`` words, with italics and a scene break every 40."""
    sentence = [
        ("She walked to the harbour where the boats ", ""),
        ("still", "i"),
        (" rocked against the grey stones, and waited for the tide to turn. ", ""),
    ]
    per_sentence = sum(len(text.split()) for text, _ in sentence)
    paragraphs: list[list[Piece] | str] = []
    count = 0
    while count < words:
        paragraphs.append([piece for _ in range(4) for piece in sentence])
        count += 4 * per_sentence
        if len(paragraphs) % 41 == 40:
            paragraphs.append("#")
    return paragraphs


# docx, through python-docx


def docx_bytes(
    story: Story = STORY,
    *,
    contact: Sequence[str] = CONTACT,
    stated: str | None = STATED,
    title: str | None = TITLE,
    byline: str | None = BYLINE,
    end: bool = True,
) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Inches

    document = Document()
    for i, line in enumerate(contact):
        paragraph = document.add_paragraph(line)
        if i == 0 and stated:
            paragraph.add_run("\t\t\t" + stated)
    for _ in range(8):
        document.add_paragraph()
    if title:
        document.add_paragraph(title).alignment = WD_ALIGN_PARAGRAPH.CENTER
    if byline:
        document.add_paragraph(byline).alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph()
    for block in story:
        if isinstance(block, str):
            document.add_paragraph(block).alignment = WD_ALIGN_PARAGRAPH.CENTER
            continue
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Inches(0.5)
        for text, style in block:
            run = paragraph.add_run(text)
            run.italic = "i" in style or None
            run.bold = "b" in style or None
    if end:
        document.add_paragraph("END").alignment = WD_ALIGN_PARAGRAPH.CENTER
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# odt, written by hand

_ODT_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'office:version="1.3"'
)
_ODT_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
    'manifest:1.0" manifest:version="1.3">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type='
    '"application/vnd.oasis.opendocument.text"/>'
    '<manifest:file-entry manifest:full-path="content.xml" '
    'manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="styles.xml" '
    'manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def odt_bytes(
    story: Story = STORY,
    *,
    contact: Sequence[str] = CONTACT,
    stated: str | None = STATED,
    title: str | None = TITLE,
    byline: str | None = BYLINE,
    end: bool = True,
) -> bytes:
    spans = {"": "", "i": "T1", "b": "T2", "ib": "T3"}
    body = []
    for i, line in enumerate(contact):
        extra = f"<text:tab/><text:tab/>{escape(stated)}" if i == 0 and stated else ""
        body.append(f"<text:p>{escape(line)}{extra}</text:p>")
    body.extend("<text:p/>" for _ in range(8))
    if title:
        body.append(f'<text:p text:style-name="Centre">{escape(title)}</text:p>')
    if byline:
        body.append(f'<text:p text:style-name="Centre">{escape(byline)}</text:p>')
    body.append("<text:p/>")
    for block in story:
        if isinstance(block, str):
            body.append(f'<text:p text:style-name="Centre">{escape(block)}</text:p>')
            continue
        pieces = []
        for text, style in block:
            text = escape(text).replace("  ", " <text:s/>")
            if spans[style]:
                text = f'<text:span text:style-name="{spans[style]}">{text}</text:span>'
            pieces.append(text)
        body.append(f'<text:p text:style-name="Story">{"".join(pieces)}</text:p>')
    if end:
        body.append('<text:p text:style-name="Centre">END</text:p>')
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<office:document-content {_ODT_NS}>"
        "<office:automatic-styles>"
        '<style:style style:name="T1" style:family="text">'
        '<style:text-properties fo:font-style="italic"/></style:style>'
        '<style:style style:name="T2" style:family="text">'
        '<style:text-properties fo:font-weight="bold"/></style:style>'
        '<style:style style:name="T3" style:family="text">'
        '<style:text-properties fo:font-style="italic" fo:font-weight="bold"/>'
        "</style:style>"
        '<style:style style:name="Centre" style:family="paragraph">'
        '<style:paragraph-properties fo:text-align="center"/></style:style>'
        "</office:automatic-styles>"
        f"<office:body><office:text>{''.join(body)}</office:text></office:body>"
        "</office:document-content>"
    )
    styles = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<office:document-styles {_ODT_NS}><office:styles>"
        '<style:style style:name="Story" style:family="paragraph">'
        '<style:paragraph-properties fo:text-indent="0.5in"/></style:style>'
        "</office:styles></office:document-styles>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED
        )
        archive.writestr("META-INF/manifest.xml", _ODT_MANIFEST, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("styles.xml", styles, zipfile.ZIP_DEFLATED)
    return out.getvalue()


# rtf, written by hand as Word writes it


def _rtf_escape(text: str) -> str:
    out = []
    for char in text:
        if char in "\\{}":
            out.append("\\" + char)
        elif char == "\t":
            out.append("\\tab ")
        elif ord(char) > 127:
            code = ord(char)
            out.append(f"\\u{code if code < 32768 else code - 65536}?")
        else:
            out.append(char)
    return "".join(out)


def rtf_bytes(
    story: Story = STORY,
    *,
    contact: Sequence[str] = CONTACT,
    stated: str | None = STATED,
    title: str | None = TITLE,
    byline: str | None = BYLINE,
    end: bool = True,
) -> bytes:
    lines = [
        r"{\rtf1\ansi\ansicpg1252\deff0",
        r"{\fonttbl{\f0\froman\fcharset0 Times New Roman;}{\f1 Courier New;}}",
        r"{\colortbl;\red0\green0\blue0;}",
        r"{\stylesheet{\s0 Normal;}{\*\cs10 Default Paragraph Font;}}",
        r"{\info{\title Not the story title}{\author Someone}}",
        r"{\*\generator Handwritten;}",
        r"\paperw12240\paperh15840\margl1440\margr1440",
        r"{\header \pard\qr Author / Title / \chpgn\par}",
    ]
    for i, line in enumerate(contact):
        extra = r"\tab\tab " + _rtf_escape(stated) if i == 0 and stated else ""
        lines.append(rf"\pard\plain\f0\fs24 {_rtf_escape(line)}{extra}\par")
    lines.extend(r"\pard\par" for _ in range(8))
    if title:
        lines.append(rf"\pard\qc {_rtf_escape(title)}\par")
    if byline:
        lines.append(rf"\pard\qc {_rtf_escape(byline)}\par")
    lines.append(r"\pard\par")
    for block in story:
        if isinstance(block, str):
            lines.append(rf"\pard\qc {_rtf_escape(block)}\par")
            continue
        pieces = []
        for text, style in block:
            codes = ("\\i" if "i" in style else "") + ("\\b" if "b" in style else "")
            text = _rtf_escape(text)
            pieces.append(f"{{{codes} {text}}}" if codes else text)
        lines.append(r"\pard\fi720\sl480\slmult1 " + "".join(pieces) + r"\par")
    if end:
        lines.append(r"\pard\qc END\par")
    lines.append("}")
    return "\r\n".join(lines).encode("ascii")


# pdf, written by hand: Courier 12 on letter paper, double spaced

_PAGE_WIDTH, _PAGE_HEIGHT, _MARGIN, _LEADING = 612, 792, 72, 24
_CHAR = 7.2
_COLUMNS = 60


def _pdf_string(text: str) -> str:
    raw = text.encode("cp1252", errors="replace").decode("latin-1")
    return "(" + raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _wrap_pieces(pieces: list[Piece], indent: int) -> list[list[list[Piece]]]:
    """Lines of at most _COLUMNS characters, each a list of words of styled parts."""
    words: list[list[Piece]] = []
    glued = False
    for text, style in pieces:
        for match in re.finditer(r"(\s*)(\S+)", text):
            if glued and not match.group(1) and words:
                words[-1].append((match.group(2), style))
            else:
                words.append([(match.group(2), style)])
        glued = bool(text) and not text[-1].isspace()
    lines: list[list[list[Piece]]] = []
    line: list[list[Piece]] = []
    length = indent
    for word in words:
        size = sum(len(part) for part, _ in word)
        if line and length + 1 + size > _COLUMNS:
            lines.append(line)
            line, length = [], 0
        line.append(word)
        length += size + (1 if length else 0)
    if line:
        lines.append(line)
    return lines


def pdf_bytes(
    story: Story = STORY,
    *,
    contact: Sequence[str] = CONTACT,
    stated: str | None = STATED,
    title: str | None = TITLE,
    byline: str | None = BYLINE,
    end: bool = True,
    header: str = "Author / Lighthouse / ",
) -> bytes:
    fonts = {"": "F1", "i": "F2", "b": "F3", "ib": "F4"}
    pages: list[list[str]] = [[]]
    y = _PAGE_HEIGHT - _MARGIN

    def put(x: float, words: list[list[Piece]]) -> None:
        parts: list[Piece] = []
        for i, word in enumerate(words):
            for n, (part, style) in enumerate(word):
                space = " " if n == len(word) - 1 and i < len(words) - 1 else ""
                if parts and parts[-1][1] == style:
                    parts[-1] = (parts[-1][0] + part + space, style)
                else:
                    parts.append((part + space, style))
        ops = [f"BT 1 0 0 1 {x:.1f} {y:.1f} Tm"]
        ops += [
            f"/{fonts[style]} 12 Tf {_pdf_string(part)} Tj" for part, style in parts
        ]
        ops.append("ET")
        pages[-1].append(" ".join(ops))

    def advance(lines: int = 1) -> None:
        nonlocal y
        y -= _LEADING * lines
        if y < _MARGIN:
            pages.append([])
            y = _PAGE_HEIGHT - _MARGIN
            put(_PAGE_WIDTH - _MARGIN - 20 * _CHAR, [[(header + str(len(pages)), "")]])
            y -= _LEADING

    for i, line in enumerate(contact):
        y_line = y
        put(_MARGIN, [[(line, "")]])
        if i == 0 and stated:
            put(_PAGE_WIDTH - _MARGIN - len(stated) * _CHAR, [[(stated, "")]])
        y = y_line - 14
    y = _PAGE_HEIGHT * 0.55
    for text in (title, byline):
        if text:
            put((_PAGE_WIDTH - len(text) * _CHAR) / 2, [[(text, "")]])
            advance()
    advance()
    for block in story:
        if isinstance(block, str):
            put((_PAGE_WIDTH - len(block) * _CHAR) / 2, [[(block, "")]])
            advance()
            continue
        for n, line in enumerate(_wrap_pieces(block, 5)):
            put(_MARGIN + (36 if n == 0 else 0), line)
            advance()
    if end:
        put((_PAGE_WIDTH - 3 * _CHAR) / 2, [[("END", "")]])

    base = ["Courier", "Courier-Oblique", "Courier-Bold", "Courier-BoldOblique"]
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "",
        *(
            f"<< /Type /Font /Subtype /Type1 /BaseFont /{name} "
            "/Encoding /WinAnsiEncoding >>"
            for name in base
        ),
    ]
    kids = []
    for page in pages:
        stream = zlib.compress("\n".join(page).encode("latin-1"))
        objects.append(
            f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode(
                "latin-1"
            )
            + stream
            + b"\nendstream"
        )
        content = len(objects)
        objects.append(
            "<< /Type /Page /Parent 2 0 R "
            f"/MediaBox [0 0 {_PAGE_WIDTH} {_PAGE_HEIGHT}] "
            f"/Contents {content} 0 R /Resources << /Font << /F1 3 0 R /F2 4 0 R "
            "/F3 5 0 R /F4 6 0 R >> >> >>"
        )
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"

    return _write_pdf(objects)


def _write_pdf(objects: Sequence[str | bytes]) -> bytes:
    """A PDF file of ``objects``, numbered from 1, the first being the catalog."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        data = body if isinstance(body, bytes) else body.encode("latin-1")
        out.write(f"{number} 0 obj\n".encode() + data + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.writelines(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


# plain text and html


def text_manuscript(
    story: Story = STORY, *, wrap: int | None = 64, end: bool = True
) -> str:
    """The story as a plain-text submission: hard-wrapped, _underscored_ italics."""
    out = [*CONTACT[:1], f"{CONTACT[1]}\t\t\t{STATED}", *CONTACT[2:], "", "", ""]
    out += [TITLE, "", BYLINE, ""]
    for block in story:
        if isinstance(block, str):
            out += [block, ""]
            continue
        marks = {"": "", "i": "_", "b": "**", "ib": "**_"}
        text = "".join(
            f"{marks[style]}{piece}{marks[style][::-1]}" for piece, style in block
        )
        out += [*(textwrap.wrap(text, wrap) if wrap else [text]), ""]
    if end:
        out.append("THE END")
    return "\n".join(out) + "\n"


def html_manuscript(story: Story = STORY) -> str:
    tags = {"": ("", ""), "i": ("<em>", "</em>"), "b": ("<b>", "</b>")}
    body = [f"<h1>{escape(TITLE)}</h1>", f"<p>{escape(BYLINE)}</p>"]
    for block in story:
        if isinstance(block, str):
            body.append("<hr>")
            continue
        pieces = []
        for text, style in block:
            start, end = tags[style]
            pieces.append(f"{start}{escape(text)}{end}")
        body.append(f"<p>\n  {''.join(pieces)}\n</p>")
    return (
        "<html><head><title>ignored</title><style>p {}</style></head><body>"
        + "\n".join(body)
        + "<script>alert(1)</script></body></html>"
    )


def blank_pdf(pages: int, *, declared: int | None = None) -> bytes:
    """A PDF of ``pages`` empty pages whose page tree declares ``declared``."""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "",
        "<< /Length 0 >>\nstream\n\nendstream",
    ]
    kids = []
    for _ in range(pages):
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R >>"
        )
        kids.append(f"{len(objects)} 0 R")
    count = pages if declared is None else declared
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {count} >>"
    return _write_pdf(objects)

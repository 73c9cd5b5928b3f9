"""Write the demo library's sample submissions to compelling_cli/demo/samples/.

Each sample is one .eml file, as it would arrive at the magazine's submissions
address: eight stories in docx, rtf and odt attachments or pasted into the mail
body, plus a bounce, an out-of-office reply and a redelivered duplicate. The
stories live in scripts/demo_stories/*.txt with a light markup: a blank line
between paragraphs, *asterisks* around italics, and a line holding only "#" or
"* * *" between scenes.

The output is deterministic (fixed dates, boundaries, Message-IDs and zip
timestamps), so running the script again gives identical bytes.

    .venv/bin/python scripts/make_demo_samples.py
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import textwrap
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape as html_escape
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Inches, Pt

ROOT = Path(__file__).resolve().parent.parent
STORIES = Path(__file__).resolve().parent / "demo_stories"
OUT = ROOT / "compelling_cli" / "demo" / "samples"

TO = "submissions@example-magazine.test"
MAGAZINE_MX = "mx.example-magazine.test"
MAGAZINE_HOST = "mail.example-magazine.test"
ZIP_TIME = (2026, 11, 1, 12, 0, 0)

DOCX_TYPE = (
    "application",
    "vnd.openxmlformats-officedocument.wordprocessingml.document",
)
ODT_TYPE = ("application", "vnd.oasis.opendocument.text")


# --------------------------------------------------------------------------
# Story markup


@dataclass
class Para:
    runs: list[tuple[str, bool]]  # (text, italic)

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.runs)


@dataclass
class Break:
    mark: str


Block = Para | Break

_ITALIC = re.compile(r"\*([^*\n]+)\*")


def parse_runs(text: str) -> list[tuple[str, bool]]:
    runs: list[tuple[str, bool]] = []
    pos = 0
    for match in _ITALIC.finditer(text):
        if match.start() > pos:
            runs.append((text[pos : match.start()], False))
        runs.append((match.group(1), True))
        pos = match.end()
    if pos < len(text):
        runs.append((text[pos:], False))
    return runs


def load_story(slug: str) -> list[Block]:
    text = (STORIES / f"{slug}.txt").read_text(encoding="utf-8")
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        chunk = " ".join(chunk.split())
        if chunk in {"#", "* * *"}:
            blocks.append(Break(chunk))
        else:
            blocks.append(Para(parse_runs(chunk)))
    return blocks


def word_count(blocks: list[Block]) -> int:
    return sum(len(b.text.split()) for b in blocks if isinstance(b, Para))


def about(blocks: list[Block]) -> int:
    """The count a writer puts on the manuscript: rounded to the nearest 100."""
    return max(100, round(word_count(blocks), -2))


@dataclass
class Story:
    slug: str
    title: str
    byline: str  # the name on the manuscript
    legal_name: str
    address: list[str]  # street, town
    email: str
    smf: bool  # standard manuscript format: contact block, title, by, END
    doc_author: str | None = None  # the word processor's user name, if different

    @property
    def author(self) -> str:
        return self.doc_author or self.legal_name

    @property
    def blocks(self) -> list[Block]:
        return load_story(self.slug)

    @property
    def words(self) -> int:
        return about(self.blocks)

    def contact(self) -> list[str]:
        return [self.legal_name, *self.address, self.email, f"about {self.words} words"]


# --------------------------------------------------------------------------
# Manuscript files


def fixed_zip(entries: list[tuple[str, bytes]]) -> bytes:
    """A zip of ``entries`` with fixed timestamps; ``mimetype`` goes in stored."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = 0o644 << 16
            if name == "mimetype":
                info.compress_type = zipfile.ZIP_STORED
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def make_docx(story: Story, created: datetime) -> bytes:
    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)
    normal.paragraph_format.space_after = Pt(0)

    def line(text: str, centre: bool = False, space_before: float = 0) -> None:
        p = document.add_paragraph(text)
        if centre:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if space_before:
            p.paragraph_format.space_before = Pt(space_before)

    if story.smf:
        for item in story.contact():
            line(item)
        line(story.title, centre=True, space_before=144)
    else:
        line(story.title, centre=True)
    line(f"by {story.byline}", centre=True, space_before=12)
    line("", centre=True)
    for block in story.blocks:
        if isinstance(block, Break):
            p = document.add_paragraph("#")
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.line_spacing = 2.0
            continue
        p = document.add_paragraph()
        p.paragraph_format.first_line_indent = Inches(0.5)
        p.paragraph_format.line_spacing = 2.0
        for text, italic in block.runs:
            run = p.add_run(text)
            run.italic = italic or None
    if story.smf:
        line("END", centre=True, space_before=12)

    props = document.core_properties
    props.author = story.author
    props.last_modified_by = story.author
    props.title = story.title
    props.comments = ""
    props.created = created.replace(tzinfo=None)
    props.modified = created.replace(tzinfo=None)
    props.revision = 3

    buf = io.BytesIO()
    document.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        entries = [(info.filename, zf.read(info)) for info in zf.infolist()]
    return fixed_zip(entries)


ODT_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'office:version="1.3"'
)

ODT_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest \
xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" \
manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.3" \
manifest:media-type="application/vnd.oasis.opendocument.text"/>
 <manifest:file-entry manifest:full-path="content.xml" \
manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="styles.xml" \
manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="meta.xml" \
manifest:media-type="text/xml"/>
</manifest:manifest>
"""

ODT_STYLES = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles {ODT_NS}>
 <office:styles>
  <style:default-style style:family="paragraph">
   <style:text-properties style:font-name="Liberation Serif" fo:font-size="12pt"/>
  </style:default-style>
  <style:style style:name="Standard" style:family="paragraph" style:class="text"/>
 </office:styles>
</office:document-styles>
"""

ODT_AUTOMATIC_STYLES = """ <office:automatic-styles>
  <style:style style:name="P1" style:family="paragraph" \
style:parent-style-name="Standard">
   <style:paragraph-properties fo:text-align="center"/>
  </style:style>
  <style:style style:name="P2" style:family="paragraph" \
style:parent-style-name="Standard">
   <style:paragraph-properties fo:text-indent="1.27cm" fo:line-height="200%"/>
  </style:style>
  <style:style style:name="P3" style:family="paragraph" \
style:parent-style-name="Standard">
   <style:paragraph-properties fo:text-align="center" fo:margin-top="5cm"/>
  </style:style>
  <style:style style:name="T1" style:family="text">
   <style:text-properties fo:font-style="italic" \
style:font-style-asian="italic" style:font-style-complex="italic"/>
  </style:style>
 </office:automatic-styles>
"""


def make_odt(story: Story, created: datetime) -> bytes:
    body: list[str] = []

    def p(style: str, inner: str) -> None:
        body.append(f'<text:p text:style-name="{style}">{inner}</text:p>')

    if story.smf:
        for item in story.contact():
            p("Standard", xml_escape(item))
        p("P3", xml_escape(story.title))
    else:
        p("P1", xml_escape(story.title))
    p("P1", xml_escape(f"by {story.byline}"))
    p("P1", "")
    for block in story.blocks:
        if isinstance(block, Break):
            p("P1", xml_escape(block.mark))
            continue
        inner = "".join(
            f'<text:span text:style-name="T1">{xml_escape(text)}</text:span>'
            if italic
            else xml_escape(text)
            for text, italic in block.runs
        )
        p("P2", inner)
    if story.smf:
        p("P1", "END")

    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<office:document-content {ODT_NS}>\n"
        f"{ODT_AUTOMATIC_STYLES}"
        " <office:body>\n  <office:text>\n"
        + "".join(f"   {line}\n" for line in body)
        + "  </office:text>\n </office:body>\n</office:document-content>\n"
    )
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S")
    meta = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<office:document-meta {ODT_NS}>\n <office:meta>\n"
        "  <meta:generator>LibreOffice/7.6.4.1$Linux_X86_64</meta:generator>\n"
        f"  <dc:title>{xml_escape(story.title)}</dc:title>\n"
        "  <meta:initial-creator>"
        f"{xml_escape(story.author)}</meta:initial-creator>\n"
        f"  <dc:creator>{xml_escape(story.author)}</dc:creator>\n"
        f"  <meta:creation-date>{stamp}</meta:creation-date>\n"
        f"  <dc:date>{stamp}</dc:date>\n"
        " </office:meta>\n</office:document-meta>\n"
    )
    return fixed_zip(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("META-INF/manifest.xml", ODT_MANIFEST.encode()),
            ("content.xml", content.encode()),
            ("styles.xml", ODT_STYLES.encode()),
            ("meta.xml", meta.encode()),
        ]
    )


def rtf_escape(text: str, cp1252_hex: bool) -> str:
    """RTF text: specials escaped, non-ASCII as \\'hh (cp1252) or \\uN? escapes."""
    out: list[str] = []
    for ch in text:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ord(ch) < 128:
            out.append(ch)
        else:
            if cp1252_hex:
                try:
                    out.append(f"\\'{ch.encode('cp1252')[0]:02x}")
                    continue
                except UnicodeEncodeError:
                    pass
            for unit in (
                [ord(ch)]
                if ord(ch) < 0x10000
                else [
                    0xD800 + ((ord(ch) - 0x10000) >> 10),
                    0xDC00 + ((ord(ch) - 0x10000) & 0x3FF),
                ]
            ):
                out.append(f"\\u{unit - 0x10000 if unit > 0x7FFF else unit}?")
    return "".join(out)


def make_rtf(story: Story, created: datetime, cp1252_hex: bool) -> bytes:
    def esc(text: str) -> str:
        return rtf_escape(text, cp1252_hex)

    stamp = created.strftime("\\yr%Y\\mo%m\\dy%d\\hr%H\\min%M").replace("\\mo0", "\\mo")
    lines = [
        "{\\rtf1\\ansi\\ansicpg1252\\deff0\\uc1",
        "{\\fonttbl{\\f0\\froman\\fcharset0 Times New Roman;}"
        "{\\f1\\fmodern\\fcharset0 Courier New;}}",
        f"{{\\info{{\\title {esc(story.title)}}}{{\\author {esc(story.author)}}}"
        f"{{\\creatim{stamp}}}}}",
        "\\paperw12240\\paperh15840\\margl1440\\margr1440\\margt1440\\margb1440",
        "\\f0\\fs24",
    ]
    if story.smf:
        for item in story.contact():
            lines.append(f"\\pard\\plain\\f0\\fs24 {esc(item)}\\par")
        lines.append("\\pard\\plain\\f0\\fs24\\par\\par\\par\\par\\par")
    lines.append(f"\\pard\\plain\\qc\\f0\\fs24 {esc(story.title)}\\par")
    lines.append(f"\\pard\\plain\\qc\\f0\\fs24 by {esc(story.byline)}\\par")
    lines.append("\\pard\\plain\\qc\\f0\\fs24\\par")
    for block in story.blocks:
        if isinstance(block, Break):
            lines.append(
                f"\\pard\\plain\\qc\\sl480\\slmult1\\f0\\fs24 {block.mark}\\par"
            )
            continue
        inner = "".join(
            f"{{\\i {esc(text)}}}" if italic else esc(text)
            for text, italic in block.runs
        )
        lines.append(f"\\pard\\plain\\fi720\\sl480\\slmult1\\f0\\fs24 {inner}\\par")
    if story.smf:
        lines.append("\\pard\\plain\\qc\\f0\\fs24 END\\par")
    lines.append("}")
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def plain_story(story: Story, width: int = 72) -> str:
    parts = [story.title, f"by {story.byline}", ""]
    for block in story.blocks:
        if isinstance(block, Break):
            parts += [block.mark.center(width).rstrip(), ""]
            continue
        text = "".join(f"*{t}*" if italic else t for t, italic in block.runs)
        wrapped = textwrap.fill(
            text, width=width, break_long_words=False, break_on_hyphens=False
        )
        parts += [wrapped, ""]
    if story.smf:
        parts += ["END".center(width).rstrip(), ""]
    return "\n".join(parts)


def html_story(story: Story, tag: str = "em") -> str:
    out = [
        f'<h2 style="text-align:center">{html_escape(story.title)}</h2>',
        f'<p style="text-align:center">by {html_escape(story.byline)}</p>',
    ]
    for block in story.blocks:
        if isinstance(block, Break):
            out.append(f'<p style="text-align:center">{block.mark}</p>')
            continue
        inner = "".join(
            f"<{tag}>{html_escape(t)}</{tag}>" if italic else html_escape(t)
            for t, italic in block.runs
        )
        out.append(f"<p>{inner}</p>")
    if story.smf:
        out.append('<p style="text-align:center">END</p>')
    return "\n".join(out)


# --------------------------------------------------------------------------
# Mail


def utc(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def received_chain(
    sent: datetime, client_ip: str, relay: str, relay_ip: str, queue_ids: list[str]
) -> list[str]:
    """Received headers, newest first, for a mail sent at ``sent`` (UTC)."""
    t1 = sent + timedelta(seconds=2)
    t2 = sent + timedelta(seconds=5)
    t3 = sent + timedelta(seconds=6)
    return [
        f"from {MAGAZINE_MX} (localhost [127.0.0.1]) by {MAGAZINE_HOST} (Postfix) "
        f"with ESMTP id {queue_ids[0]} for <{TO}>; {format_datetime(t3)}",
        f"from {relay} ({relay} [{relay_ip}]) by {MAGAZINE_MX} (Postfix) "
        f"with ESMTPS id {queue_ids[1]} for <{TO}>; {format_datetime(t2)}",
        f"from [192.168.1.23] (unknown [{client_ip}]) by {relay} "
        f"with ESMTPSA id {queue_ids[2]}; {format_datetime(t1)}",
    ]


def base_message(
    *,
    sender: Address,
    subject: str,
    sent: datetime,
    local_tz: timezone,
    message_id: str,
    received: list[str],
    return_path: str | None = None,
    reply_to: Address | None = None,
    extra: list[tuple[str, str]] = (),
) -> EmailMessage:
    msg = EmailMessage(policy=policy.default)
    msg["Return-Path"] = f"<{return_path or sender.addr_spec}>"
    for hop in received:
        msg["Received"] = hop
    msg["Date"] = format_datetime(sent.astimezone(local_tz))
    msg["From"] = sender
    if reply_to is not None:
        msg["Reply-To"] = reply_to
    msg["To"] = TO
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    for name, value in extra:
        msg[name] = value
    msg["MIME-Version"] = "1.0"
    return msg


def set_boundaries(msg: EmailMessage, stem: str) -> None:
    """Fixed boundaries for every multipart in ``msg``, so output is stable."""
    for n, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_{stem}_{n}_2026")
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]


def attach(
    msg: EmailMessage, data: bytes, ctype: tuple[str, str], filename: str
) -> EmailMessage:
    msg.add_attachment(data, maintype=ctype[0], subtype=ctype[1], filename=filename)
    return msg.get_payload()[-1]


def rfc2047_filename(part: EmailMessage, ctype: str, filename: str) -> None:
    """Name the attachment the old Outlook way: an encoded word inside quotes."""
    encoded = "=?utf-8?B?" + base64.b64encode(filename.encode()).decode() + "?="
    del part["Content-Type"]
    del part["Content-Disposition"]
    part.set_raw("Content-Type", f'{ctype};\n name="{encoded}"')
    part.set_raw("Content-Disposition", f'attachment;\n filename="{encoded}"')
    # keep Content-Transfer-Encoding after the two, as mail clients write them
    cte = part["Content-Transfer-Encoding"]
    del part["Content-Transfer-Encoding"]
    part["Content-Transfer-Encoding"] = cte


# --------------------------------------------------------------------------
# The samples


ZOE = Story(
    slug="weight-of-small-birds",
    title="The Weight of Small Birds",
    byline="Zoë Ångström",
    legal_name="Zoë Ångström",
    address=["14 Larkhill Road", "Bristol BS6 5RT", "United Kingdom"],
    email="zoe.angstrom@example.com",
    smf=True,
)
TOMAS = Story(
    slug="last-orders",
    title="Last Orders at Ó Dálaigh's",
    byline="Tomás Ó Briain",
    legal_name="Tomás Ó Briain",
    address=["3 Chapel Lane", "Kilcarra, Co. Cork", "Ireland"],
    email="tomas.obriain@example.net",
    smf=True,
)
PRIYA = Story(
    slug="quiet-hours",
    title="The Quiet Hours of Station Nine",
    byline="Priya Raghunathan",
    legal_name="Priya Raghunathan",
    address=["Flat 2B, 41 Cunningham Road", "Bengaluru 560052", "India"],
    email="priya.raghunathan@example.org",
    smf=True,
)
MARCUS = Story(
    slug="complaint-dragon",
    title="A Formal Complaint Regarding the Dragon",
    byline="Marcus Webb",
    legal_name="Marcus Webb",
    address=[],
    email="mwebb.writes@example.org",
    smf=True,
)
MISAKI = Story(
    slug="lantern-seller",
    title="The Lantern Seller of Kanda",
    byline="田中 美咲 (Misaki Tanaka)",
    legal_name="田中 美咲",
    address=[],
    email="misaki.tanaka@example.net",
    smf=False,
)
OLU = Story(
    slug="what-the-well-keeps",
    title="What the Well Keeps",
    byline="O. A. Adeyemi",
    legal_name="Olusegun Adeyemi",
    address=[],
    email="olu.adeyemi@example.com",
    smf=False,
)
LUCJA = Story(
    slug="salt-for-the-winter-queen",
    title="Salt for the Winter Queen",
    byline="Łucja Wiśniewska",
    legal_name="Łucja Wiśniewska",
    address=["ul. Długa 17/4", "31-147 Kraków", "Poland"],
    email="lucja.wisniewska@example.org",
    smf=True,
)
DMITRI = Story(
    slug="customer-service-protocol",
    title="Your Call Is Important to Us",
    byline="Dmitri Sokolov",
    legal_name="Dmitri Sokolov",
    address=["Apt. 58, 12 Bolshaya Pushkarskaya St.", "St Petersburg 197101", "Russia"],
    email="d.sokolov@example.com",
    smf=True,
    doc_author="Дмитрий Соколов",
)

TZ_UK = UTC
TZ_CET = timezone(timedelta(hours=1))
TZ_IST = timezone(timedelta(hours=5, minutes=30))
TZ_JST = timezone(timedelta(hours=9))
TZ_WAT = timezone(timedelta(hours=1))
TZ_MSK = timezone(timedelta(hours=3))
TZ_EST = timezone(timedelta(hours=-5))


def sample_01() -> bytes:
    story = ZOE
    sent = utc(2, 9, 14, 37)
    msg = base_message(
        sender=Address("Zoë Ångström", addr_spec=story.email),
        subject=f"Submission: {story.title}",
        sent=sent,
        local_tz=TZ_UK,
        message_id="<CAF3k9Zq7yT1pXw2mB8vR4nL@mail.example.com>",
        received=received_chain(
            sent,
            "203.0.113.41",
            "smtp-out.example.com",
            "198.51.100.12",
            ["4Ql7Vb0Xz1z9s", "4Ql7Vb0Wq8z9r", "a1b2c3d4e5f6"],
        ),
    )
    letter = (
        "Dear Editor,\n\n"
        f"Please consider my {story.words}-word literary story, \u201c{story.title},"
        "\u201d for publication in your magazine. It is about a woman clearing her "
        "late father's house, and a notebook she finds in the kitchen drawer.\n\n"
        "My fiction has appeared in The Harbour Review and Lamplight Quarterly. "
        "I live in Bristol, where I work as a hospital librarian.\n\n"
        "The manuscript is attached as a Word document. Thank you for your time "
        "and for reading.\n\n"
        "Best wishes,\n"
        "Zoë Ångström\n"
    )
    html = (
        '<div dir="ltr">'
        + "".join(
            f"<div>{html_escape(line) or '<br>'}</div>" for line in letter.splitlines()
        )
        .replace("The Harbour Review", "<i>The Harbour Review</i>")
        .replace("Lamplight Quarterly", "<i>Lamplight Quarterly</i>")
        + "</div>\n"
    )
    msg.set_content(letter, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    attach(
        msg,
        make_docx(story, datetime(2026, 10, 28, 21, 5)),
        DOCX_TYPE,
        "Ångström - The Weight of Small Birds.docx",
    )
    set_boundaries(msg, "01")
    return msg.as_bytes()


def sample_02() -> bytes:
    story = TOMAS
    sent = utc(4, 22, 48, 3)
    msg = base_message(
        sender=Address("Tomás Ó Briain", addr_spec=story.email),
        subject=f"Story submission - {story.title} by {story.byline}",
        sent=sent,
        local_tz=TZ_UK,
        message_id="<000001db2e8f$4a7c1e20$df745a60$@example.net>",
        received=received_chain(
            sent,
            "203.0.113.88",
            "mail.example.net",
            "198.51.100.77",
            ["4QmB2d6fLkz7p", "4QmB2d5c9Hz7n", "5e4d3c2b1a09"],
        ),
        extra=[("X-Mailer", "Microsoft Outlook 16.0")],
    )
    letter = (
        "Dear Editor,\n\n"
        f"Please find attached my short crime story, \u201c{story.title}\u201d "
        f"({story.words} words), for your consideration.\n\n"
        "I'm a retired schoolteacher from West Cork. This would be my first "
        "published story, though I've been writing for the drawer for years.\n\n"
        "The file is in RTF as your guidelines ask.\n\n"
        "Le meas,\n"
        "Tomás Ó Briain\n"
    )
    msg.set_content(letter, cte="quoted-printable")
    filename = "Ó Briain - Last Orders.rtf"
    part = attach(
        msg,
        make_rtf(story, datetime(2026, 11, 1, 19, 30), True),
        ("application", "rtf"),
        filename,
    )
    rfc2047_filename(part, "application/rtf", filename)
    set_boundaries(msg, "02")
    return msg.as_bytes()


def sample_03() -> bytes:
    story = PRIYA
    sent = utc(6, 4, 2, 51)
    msg = base_message(
        sender=Address("Priya Raghunathan", addr_spec=story.email),
        subject=f"SUB: {story.title} (science fiction, {story.words} words)",
        sent=sent,
        local_tz=TZ_IST,
        message_id="<7d1f0c3e-8b2a-4f5e-9a61-2c3b4d5e6f70@example.org>",
        received=received_chain(
            sent,
            "203.0.113.150",
            "mx-out.example.org",
            "198.51.100.201",
            ["4QnF0s1Yv3z5k", "4QnF0s0xRmz5j", "9f8e7d6c5b4a"],
        ),
        extra=[("User-Agent", "Mozilla Thunderbird")],
    )
    letter = (
        "Dear Editors,\n\n"
        f"I'd like to submit \u201c{story.title},\u201d a science fiction story "
        f"of about {story.words} words, about a mechanic and a relay station AI "
        "waiting for a signal that may never come.\n\n"
        "My stories have appeared in Deep Orbit and the anthology Small Machines. "
        "The manuscript is attached as an .odt file; I'm happy to send a .docx "
        "if you prefer.\n\n"
        "Thanks for considering it.\n\n"
        "Warm regards,\n"
        "Priya Raghunathan\n"
    )
    msg.set_content(letter, cte="7bit" if letter.isascii() else "quoted-printable")
    attach(
        msg,
        make_odt(story, datetime(2026, 11, 5, 22, 40)),
        ODT_TYPE,
        "Raghunathan_QuietHoursOfStationNine.odt",
    )
    set_boundaries(msg, "03")
    return msg.as_bytes()


def sample_04() -> bytes:
    story = MARCUS
    sent = utc(9, 13, 26, 10)
    msg = base_message(
        sender=Address("Marcus Webb", addr_spec="marcus.webb@example.net"),
        reply_to=Address("Marcus Webb", addr_spec=story.email),
        subject=f"Submission: {story.title}",
        sent=sent,
        local_tz=TZ_UK,
        message_id="<1794230770.4412.marcus.webb@example.net>",
        received=received_chain(
            sent,
            "203.0.113.9",
            "smtp.example.net",
            "198.51.100.33",
            ["4QqK7m2PbNz3c", "4QqK7m1ZtKz3b", "77aa88bb99cc"],
        ),
    )
    intro = (
        f"Below is my humorous story \u201c{story.title}\u201d ({story.words} "
        "words), pasted into the body of this email as your guidelines ask. "
        "Please reply to mwebb.writes@example.org; this work address is closing "
        "at the end of the month."
    )
    body = (
        "Hello,\n\n" + textwrap.fill(intro, width=72) + "\n\n"
        "All the best,\nMarcus Webb\n\n"
        "----------\n\n"
        "Marcus Webb\n"
        "mwebb.writes@example.org\n"
        f"about {story.words} words\n\n\n" + plain_story(story)
    )
    msg.set_content(body, cte="8bit")
    return msg.as_bytes()


def sample_05() -> bytes:
    """A Postfix bounce of the confirmation sent to sample 04's From address."""
    confirmation_id = "<confirm.20261109133102.0004@example-magazine.test>"
    arrival = utc(9, 13, 31, 2)
    bounced = utc(9, 13, 31, 4)
    boundary = "9F2C3A1B07.1762695064/mail.example-magazine.test"
    lines = [
        "Return-Path: <>",
        f"Received: by {MAGAZINE_HOST} (Postfix)",
        f"\tid 9F2C3A1B07; {format_datetime(bounced)}",
        f"Date: {format_datetime(bounced)}",
        f"From: MAILER-DAEMON@{MAGAZINE_HOST} (Mail Delivery System)",
        "Subject: Undelivered Mail Returned to Sender",
        f"To: {TO}",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        "Content-Type: multipart/report; report-type=delivery-status;",
        f'\tboundary="{boundary}"',
        "Content-Transfer-Encoding: 7bit",
        f"Message-Id: <20261109133104.9F2C3A1B07@{MAGAZINE_HOST}>",
        "",
        "This is a MIME-encapsulated message.",
        "",
        f"--{boundary}",
        "Content-Description: Notification",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        f"This is the mail system at host {MAGAZINE_HOST}.",
        "",
        "I'm sorry to have to inform you that your message could not",
        "be delivered to one or more recipients. It's attached below.",
        "",
        "For further assistance, please send mail to postmaster.",
        "",
        "If you do so, please include this problem report. You can",
        "delete your own text from the attached returned message.",
        "",
        "                   The mail system",
        "",
        "<marcus.webb@example.net>: host mx.example.net[198.51.100.40] said: 552 5.2.2",
        "    <marcus.webb@example.net>: Mailbox full (in reply to RCPT TO command)",
        "",
        f"--{boundary}",
        "Content-Description: Delivery report",
        "Content-Type: message/delivery-status",
        "",
        f"Reporting-MTA: dns; {MAGAZINE_HOST}",
        "X-Postfix-Queue-ID: 9F2C3A1B07",
        "X-Postfix-Sender: rfc822; submissions@example-magazine.test",
        f"Arrival-Date: {format_datetime(arrival)}",
        "",
        "Final-Recipient: rfc822; marcus.webb@example.net",
        "Original-Recipient: rfc822;marcus.webb@example.net",
        "Action: failed",
        "Status: 5.2.2",
        "Remote-MTA: dns; mx.example.net",
        "Diagnostic-Code: smtp; 552 5.2.2 <marcus.webb@example.net>: Mailbox full",
        "",
        f"--{boundary}",
        "Content-Description: Undelivered Message Headers",
        "Content-Type: text/rfc822-headers",
        "",
        "Return-Path: <submissions@example-magazine.test>",
        f"Received: by {MAGAZINE_HOST} (Postfix, from userid 1001)",
        f"\tid 9F2C3A1B07; {format_datetime(arrival)}",
        f"Date: {format_datetime(arrival)}",
        "From: The Example Magazine <submissions@example-magazine.test>",
        "To: Marcus Webb <marcus.webb@example.net>",
        "Subject: Received: A Formal Complaint Regarding the Dragon",
        f"Message-ID: {confirmation_id}",
        "In-Reply-To: <1794230770.4412.marcus.webb@example.net>",
        "References: <1794230770.4412.marcus.webb@example.net>",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 7bit",
        "",
        f"--{boundary}--",
        "",
    ]
    return "\n".join(lines).encode("ascii")


def sample_06() -> bytes:
    story = MISAKI
    sent = utc(11, 14, 9, 44)
    msg = base_message(
        sender=Address("田中 美咲", addr_spec=story.email),
        subject=f"SUB: {story.title} (fantasy, {story.words} words)",
        sent=sent,
        local_tz=TZ_JST,
        message_id="<20261111230944.A1F3.misaki.tanaka@example.net>",
        received=received_chain(
            sent,
            "203.0.113.201",
            "mail.example.net",
            "198.51.100.78",
            ["4QsT3h8RwCz1x", "4QsT3h7NmYz1w", "c0ffee123456"],
        ),
    )
    html = (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
        "</head>\n<body>\n"
        "<p>Dear Editors,</p>\n"
        f"<p>Please consider my fantasy story <i>{html_escape(story.title)}</i> "
        f"(about {story.words} words), which I have pasted below. "
        "It is my first submission in English; I usually write in Japanese.</p>\n"
        "<p>With thanks,<br>\n田中 美咲 (Misaki Tanaka)<br>\nYokohama</p>\n"
        "<hr>\n" + html_story(story, tag="em") + "\n</body>\n</html>\n"
    )
    msg.set_content(html, subtype="html", cte="base64")
    return msg.as_bytes()


def sample_07() -> bytes:
    story = OLU
    sent = utc(14, 19, 55, 12)
    msg = base_message(
        sender=Address("Olusegun Adeyemi", addr_spec=story.email),
        subject=f"Story submission - {story.title} by Olusegun Adeyemi",
        sent=sent,
        local_tz=TZ_WAT,
        message_id="<CAJx8Lm2Qp9vN4rT6wY1zK3b@mail.example.com>",
        received=received_chain(
            sent,
            "203.0.113.64",
            "smtp-out.example.com",
            "198.51.100.12",
            ["4QvX9k4GtRz8m", "4QvX9k3DpLz8l", "0d1e2f3a4b5c"],
        ),
    )
    letter = (
        "Dear Editor,\n\n"
        f"I am pleased to submit \u201c{story.title},\u201d a horror story of "
        f"{word_count(story.blocks)} words, for your consideration. It is "
        "a simultaneous submission; I will withdraw it at once if it is taken "
        "elsewhere.\n\n"
        "I write as O. A. Adeyemi. I grew up in Abeokuta and now teach "
        "chemistry in Lagos.\n\n"
        "Sincerely,\n"
        "Olusegun Adeyemi\n"
    )
    msg.set_content(letter, cte="quoted-printable")
    # a phone mail client that labels every attachment application/octet-stream
    attach(
        msg,
        make_docx(story, datetime(2026, 11, 13, 23, 12)),
        ("application", "octet-stream"),
        "What_the_Well_Keeps_final_v3.docx",
    )
    set_boundaries(msg, "07")
    return msg.as_bytes()


def sample_08() -> bytes:
    """An out-of-office reply to the confirmation sent for sample 03."""
    sent = utc(16, 8, 0, 31)
    msg = base_message(
        sender=Address("Priya Raghunathan", addr_spec=PRIYA.email),
        subject="Out of Office: Received: The Quiet Hours of Station Nine",
        sent=sent,
        local_tz=TZ_IST,
        message_id="<ooo.20261116133031.5521@example.org>",
        received=received_chain(
            sent,
            "198.51.100.201",
            "mx-out.example.org",
            "198.51.100.201",
            ["4QxB1c2DeFz4q", "4QxB1c1AbCz4p", "ab12cd34ef56"],
        )[:2],
        extra=[
            ("In-Reply-To", "<confirm.20261116075903.0003@example-magazine.test>"),
            ("References", "<confirm.20261116075903.0003@example-magazine.test>"),
            ("Auto-Submitted", "auto-replied"),
            ("X-Autoreply", "yes"),
            ("Precedence", "auto_reply"),
        ],
    )
    msg.set_content(
        "Thank you for your email. I am at a conference until 30 November with "
        "limited access to email, and will reply when I am back.\n\n"
        "Priya Raghunathan\n",
        cte="7bit",
    )
    return msg.as_bytes()


def sample_09() -> bytes:
    story = LUCJA
    sent = utc(19, 17, 41, 8)
    msg = base_message(
        sender=Address("Łucja Wiśniewska", addr_spec=story.email),
        subject=f"Submission: {story.title}",
        sent=sent,
        local_tz=TZ_CET,
        message_id="<5f3a9e21-77c4-4b1e-b0d2-e8a6c1f49b30@example.org>",
        received=received_chain(
            sent,
            "203.0.113.117",
            "mx-out.example.org",
            "198.51.100.201",
            ["4R0Lq7TnWbz2h", "4R0Lq6RkVaz2g", "e9d8c7b6a5f4"],
        ),
        extra=[("User-Agent", "Mozilla Thunderbird")],
    )
    letter = (
        "Dear Editor,\n\n"
        f"Please consider my {story.words}-word fantasy story "
        f"\u201c{story.title}\u201d "
        "for your magazine. It began as a folk tale my grandmother told in the "
        "mountains south of Kraków, though the ending is mine.\n\n"
        "I translate technical documents by day. This is my second story in "
        "English.\n\n"
        "The manuscript is attached (OpenDocument, from LibreOffice).\n\n"
        "Kind regards,\n"
        "Łucja Wiśniewska\n"
    )
    msg.set_content(letter, cte="quoted-printable")
    attach(
        msg,
        make_odt(story, datetime(2026, 11, 18, 20, 15)),
        ODT_TYPE,
        "Wiśniewska \u2013 Salt for the Winter Queen.odt",
    )
    set_boundaries(msg, "09")
    return msg.as_bytes()


def sample_10() -> bytes:
    story = DMITRI
    sent = utc(21, 11, 3, 29)
    msg = base_message(
        sender=Address("Дмитрий Соколов", addr_spec=story.email),
        subject=f"SUB: {story.title} (SF, {story.words} words)",
        sent=sent,
        local_tz=TZ_MSK,
        message_id="<1795259009.38815.d.sokolov@example.com>",
        received=received_chain(
            sent,
            "203.0.113.230",
            "smtp-out.example.com",
            "198.51.100.12",
            ["4R2Wn5FhJsz6t", "4R2Wn4CgHrz6s", "fa57c0de1234"],
        ),
    )
    letter = (
        "Dear Editor,\n\n"
        f"Please consider my science fiction story \u201c{story.title}\u201d "
        f"(about {story.words} words). It is a comic piece told entirely by the "
        "help desk of a generation ship.\n\n"
        "I am an engineer in St Petersburg and write in English and Russian. "
        "The story is attached as an RTF file.\n\n"
        "Thank you,\n"
        "Dmitri Sokolov (Дмитрий Соколов)\n"
    )
    msg.set_content(letter, cte="quoted-printable")
    attach(
        msg,
        make_rtf(story, datetime(2026, 11, 20, 18, 44), False),
        ("text", "rtf"),
        "Sokolov_YourCallIsImportant.rtf",
    )
    set_boundaries(msg, "10")
    return msg.as_bytes()


SAMPLES = {
    "01-weight-of-small-birds.eml": sample_01,
    "02-last-orders.eml": sample_02,
    "03-quiet-hours-station-nine.eml": sample_03,
    "04-complaint-regarding-dragon.eml": sample_04,
    "05-bounce.eml": sample_05,
    "06-lantern-seller-of-kanda.eml": sample_06,
    "07-what-the-well-keeps.eml": sample_07,
    "08-out-of-office.eml": sample_08,
    "09-salt-for-the-winter-queen.eml": sample_09,
    "10-your-call-is-important.eml": sample_10,
}
DUPLICATE = ("03-quiet-hours-station-nine.eml", "11-duplicate-of-03.eml")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.eml"):
        old.unlink()
    for name, build in SAMPLES.items():
        (OUT / name).write_bytes(build())
    shutil.copyfile(OUT / DUPLICATE[0], OUT / DUPLICATE[1])
    for path in sorted(OUT.glob("*.eml")):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()

"""Extraction: real docx, odt, rtf, text and html files to the manuscript model."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import manuscript_files as files
import pytest

from compelling_cli.errors import ExtractionError
from compelling_cli.manuscript import (
    Manuscript,
    Paragraph,
    Run,
    SceneBreak,
    doc,
    extract,
    from_text,
    office,
    pdf,
    word_count_note,
)

EXPECTED_BLOCKS = [
    Paragraph(
        [
            Run("The lamp had not been lit in "),
            Run("eleven", italic=True),
            Run(" years."),
        ]
    ),
    Paragraph(
        [
            Run("Mara climbed the stairs anyway, counting them as her father had: "),
            Run("one for the sea, two for the dead", italic=True),
            Run(", and the rest for nobody at all."),
        ]
    ),
    SceneBreak(),
    Paragraph(
        [Run("At the top she found the logbook, its last entry in a hand she knew.")]
    ),
    Paragraph([Run("It said only: "), Run("Keep the light.", bold=True)]),
]

BUILT = {
    "story.docx": files.docx_bytes,
    "story.odt": files.odt_bytes,
    "story.rtf": files.rtf_bytes,
    "story.pdf": files.pdf_bytes,
    "story.txt": lambda: files.text_manuscript().encode(),
}


@pytest.mark.parametrize("name", BUILT)
def test_standard_manuscript_format_is_recognised(name: str) -> None:
    found = extract(BUILT[name](), name)

    assert found == Manuscript(
        blocks=EXPECTED_BLOCKS,
        title="The Lighthouse Keeper",
        byline="J. Q. Author",
        contact=files.CONTACT,
        stated_words=1000,
    )
    assert found.word_count == files.STORY_WORDS


@pytest.mark.skipif(shutil.which("wc") is None, reason="needs wc")
def test_word_count_is_what_wc_counts_of_the_body() -> None:
    found = extract(files.docx_bytes(), "story.docx")

    body = "\n\n".join(b.text for b in found.blocks if isinstance(b, Paragraph))
    counted = subprocess.run(
        ["wc", "-w"], input=body.encode(), capture_output=True, check=True
    )

    assert found.word_count == int(counted.stdout.split()[0]) == files.STORY_WORDS


def test_a_long_pdf_reads_as_the_same_story_as_the_docx() -> None:
    story = files.long_story(3000)

    from_pdf = extract(files.pdf_bytes(story), "long.pdf")
    from_docx = extract(files.docx_bytes(story), "long.docx")

    assert from_pdf.blocks == from_docx.blocks
    assert from_pdf.word_count == from_docx.word_count > 3000


def test_html_keeps_emphasis_and_drops_scripts_and_styles() -> None:
    found = extract(files.html_manuscript().encode(), "story.html")

    assert found.title == "The Lighthouse Keeper"
    assert found.byline == "J. Q. Author"
    assert found.blocks == EXPECTED_BLOCKS


def test_markdown_reads_emphasis_headings_and_breaks() -> None:
    text = (
        "# The Lighthouse Keeper\n\nby J. Q. Author\n\n"
        "The lamp had not been lit in *eleven* years, not\n"
        "since **that** night. A \\*literal\\* star.\n\n---\n\nShe went up.\n"
    )

    found = extract(text.encode(), "story.md")

    assert found.title == "The Lighthouse Keeper"
    assert found.byline == "J. Q. Author"
    assert found.blocks == [
        Paragraph(
            [
                Run("The lamp had not been lit in "),
                Run("eleven", italic=True),
                Run(" years, not since "),
                Run("that", bold=True),
                Run(" night. A *literal* star."),
            ]
        ),
        SceneBreak(),
        Paragraph([Run("She went up.")]),
    ]


def test_word_count_note_only_when_the_stated_count_is_off_by_over_ten_percent() -> (
    None
):
    story = from_text("one two three four five six seven eight nine ten")

    assert word_count_note(story) is None
    story.stated_words = 11
    assert word_count_note(story) is None
    story.stated_words = 12
    assert word_count_note(story) == "the author states about 12 words"
    story.stated_words = 5000
    assert word_count_note(story) == "the author states about 5,000 words"


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("About 4,000 words", 4000),
        ("approx. 2500 words", 2500),
        ("Word count: 7,250", 7250),
        ("c. 3.5k words", 3500),
        ("1 200 words", 1200),
    ],
)
def test_stated_word_counts_in_their_usual_spellings(cell: str, words: int) -> None:
    found = from_text(
        f"Ann Writer\t\t{cell}\nann@example.com\n\nTitle\n\nby Ann\n\nHi."
    )

    assert found.stated_words == words
    assert found.contact == ["Ann Writer", "ann@example.com"]
    assert found.title == "Title"
    assert found.text == "Hi."


def test_hard_wrapped_text_folds_into_paragraphs() -> None:
    text = (
        "The rain had come early that year, and it stayed longer than anyone in\n"
        "the valley could remember. The river rose past the old mill and into\n"
        "the lanes.\n"
        "    Nobody spoke of it at first. The farmers went on mending their\n"
        "fences as if the water would stop at the gate, and the priest went on\n"
        "ringing the bell.\n"
        "\tThen the bridge went.\n"
        "It went at night, with a sound like a door closing on the whole\n"
        "world, and in the morning there was only the water.\n"
    )

    found = from_text(text)

    assert [block.text for block in found.blocks] == [
        "The rain had come early that year, and it stayed longer than anyone in the "
        "valley could remember. The river rose past the old mill and into the lanes.",
        "Nobody spoke of it at first. The farmers went on mending their fences as if "
        "the water would stop at the gate, and the priest went on ringing the bell.",
        "Then the bridge went.",
        "It went at night, with a sound like a door closing on the whole world, and "
        "in the morning there was only the water.",
    ]


def test_blank_lines_tabs_and_indents_are_normalised() -> None:
    text = (
        "\n\n\n\tFirst  paragraph\twith\ttabs.\n\n\n\n\n"
        "   Second one.\r\n\r\n* * *\n\nThird."
    )

    found = from_text(text)

    assert found.blocks == [
        Paragraph([Run("First paragraph with tabs.")]),
        Paragraph([Run("Second one.")]),
        SceneBreak(),
        Paragraph([Run("Third.")]),
    ]


def test_unwrapped_lines_are_each_a_paragraph() -> None:
    text = "\n".join(
        f"Paragraph {n} is typed on one line, as long as it {'runs on, ' * n}ends."
        for n in range(12)
    )

    assert len(from_text(text).blocks) == 12


def test_end_marks_and_trailing_breaks_are_not_story() -> None:
    found = from_text("A story.\n\n#\n\nIt ends.\n\n# # #\n\nTHE END\n")

    assert found.blocks == [
        Paragraph([Run("A story.")]),
        SceneBreak(),
        Paragraph([Run("It ends.")]),
    ]


def test_a_title_that_begins_with_by_and_an_opening_that_does() -> None:
    found = from_text(
        "Ann Writer\nann@example.com\n\nBy the Sea\n\nby Ann Writer, Jr.\n\n"
        "By morning, the snow.\n\nIt had come in the night."
    )

    assert (found.title, found.byline) == ("By the Sea", "Ann Writer, Jr.")
    assert found.text == "By morning, the snow.\n\nIt had come in the night."
    assert from_text("By morning, the snow.\n\nIt came.").byline is None


def test_a_story_pasted_below_a_cover_letter() -> None:
    body = (
        "Hello,\n\nBelow is my story, pasted as your guidelines ask.\n\n"
        "All the best,\nMarcus Webb\n\n----------\n\n"
        "Marcus Webb\nmwebb@example.org\nabout 500 words\n\n\n"
        "A Formal Complaint\nby Marcus Webb\n\n"
        + textwrap.fill(
            "I have *nothing against dragons as such*. I am a tolerant man, and I "
            "have said so at every meeting of the parish council since the spring, "
            "whatever Mrs. Pettifer says about the minutes.",
            width=60,
        )
        + "\n\nEND\n"
    )

    found = from_text(body)

    assert found.preamble == [
        "Hello,",
        "Below is my story, pasted as your guidelines ask.",
        "All the best,",
        "Marcus Webb",
    ]
    assert found.contact == ["Marcus Webb", "mwebb@example.org"]
    assert (found.title, found.byline, found.stated_words) == (
        "A Formal Complaint",
        "Marcus Webb",
        500,
    )
    assert found.blocks[0].runs[:2] == [
        Run("I have "),
        Run("nothing against dragons as such", italic=True),
    ]
    assert found.word_count == 34


def test_a_story_without_manuscript_format_is_all_story() -> None:
    found = from_text("She ran. The dog ran after her, barking at the moon all night.")

    assert found.title is None
    assert found.contact == []
    assert found.word_count == 13


def test_docx_italics_through_character_styles_and_line_breaks() -> None:
    from docx import Document

    document = Document()
    paragraph = document.add_paragraph("Before ")
    paragraph.add_run("styled", style="Emphasis")
    paragraph.add_run(" after.")
    second = document.add_paragraph("One line.")
    second.add_run().add_break()
    second.add_run("\tAnother paragraph, typed with a line break.")
    data = files.io.BytesIO()
    document.save(data)

    found = extract(data.getvalue(), "styled.docx")

    assert found.blocks == [
        Paragraph([Run("Before "), Run("styled", italic=True), Run(" after.")]),
        Paragraph([Run("One line.")]),
        Paragraph([Run("Another paragraph, typed with a line break.")]),
    ]


def test_rtf_unicode_codepage_symbols_and_skipped_destinations() -> None:
    rtf = (
        rb"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Times;}}{\info{\title Info}}"
        rb"{\header Page header\par}{\*\bogus hidden}"
        rb"\pard Caf\'e9 \u8220?quoted\u8221? \emdash{\i so}\i0  \{x\}"
        rb"{\footnote A note.}{\pict\bin4 \}{}x}\line still\par"
        rb"\pard {\field{\*\fldinst HYPERLINK x}{\fldrslt link}}\v hidden\v0 .\par}"
    )

    found = extract(rtf, "story.rtf")

    assert found.blocks == [
        Paragraph(
            [
                Run("Caf\u00e9 \u201cquoted\u201d \u2014"),
                Run("so", italic=True),
                Run(" {x}"),
            ]
        ),
        Paragraph([Run("still")]),
        Paragraph([Run("link.")]),
    ]


def test_odt_styles_inherit_and_spaces_tabs_and_notes() -> None:
    content = (
        "<office:automatic-styles>"
        '<style:style style:name="P1" style:family="paragraph" '
        'style:parent-style-name="Quote"/>'
        "</office:automatic-styles><office:body><office:text>"
        '<text:p text:style-name="P1">All<text:s text:c="3"/>italic'
        "<text:note><text:note-body><text:p>A footnote.</text:p></text:note-body>"
        "</text:note>.</text:p></office:text></office:body>"
    )
    styles = (
        '<office:styles><style:style style:name="Quote" style:family="paragraph">'
        '<style:text-properties fo:font-style="italic"/></style:style></office:styles>'
    )

    found = extract(_odt(content, styles), "story.odt")

    assert found.blocks == [Paragraph([Run("All italic.", italic=True)])]


def _odt(content: str, styles: str = "") -> bytes:
    ns = files._ODT_NS
    out = files.io.BytesIO()
    with files.zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr(
            "content.xml",
            f"<office:document-content {ns}>{content}</office:document-content>",
        )
        archive.writestr(
            "styles.xml",
            f"<office:document-styles {ns}>{styles}</office:document-styles>",
        )
    return out.getvalue()


# A manuscript is data from a stranger


def test_control_characters_and_escapes_are_removed_everywhere() -> None:
    text = (
        "Evil\x1b[2J\x1b]0;pwned\x07 Author\nevil@example.com\n\n"
        "Title\x1b[31m Red\u202e\n\nby Evil\x9b1m One\n\n"
        "Story \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ text\x00\x08.\n"
    )

    found = from_text(text)

    assert found.contact == ["Evil Author", "evil@example.com"]
    assert found.title == "Title Red"
    assert found.byline == "Evil One"
    assert found.text == "Story link text."


def test_escapes_in_rtf_hex_and_html_are_removed() -> None:
    rtf = rb"{\rtf1\ansi Safe\'1b[31m red\'1b[0m text.\par}"
    html = b"<p>Safe\x1b[31m red\x1b[0m text&#27;.</p>"

    assert extract(rtf, "x.rtf").text == "Safe red text."
    assert extract(html, "x.html").text == "Safe red text."


def test_a_file_that_claims_to_be_docx_and_is_not() -> None:
    with pytest.raises(ExtractionError) as error:
        extract(b"Dear editor, here is my story.", "My Story.docx")

    assert str(error.value).startswith("My Story.docx is not a Word (.docx) file")


def test_an_old_word_file_named_docx_says_so() -> None:
    with pytest.raises(ExtractionError, match=r"story\.docx .*older Word"):
        extract(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "story.docx")


def test_a_zip_without_a_document_is_not_a_docx() -> None:
    with pytest.raises(ExtractionError, match=r"no word/document\.xml"):
        extract(files.odt_bytes(), "story.docx")


def test_the_file_name_in_errors_is_cleaned() -> None:
    with pytest.raises(ExtractionError) as error:
        extract(b"nope", "evil\x1b[2J.docx")

    assert "\x1b" not in str(error.value)
    assert "evil[2J.docx" not in str(error.value)


def _docx_with_document(document: bytes, *, declared: int | None = None) -> bytes:
    out = files.io.BytesIO()
    with files.zipfile.ZipFile(out, "w", files.zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", document)
    data = bytearray(out.getvalue())
    if declared is not None:
        central = data.rfind(b"PK\x01\x02")
        data[central + 24 : central + 28] = declared.to_bytes(4, "little")
        local = data.find(b"PK\x03\x04", data.find(b"word/document.xml") - 40)
        data[local + 22 : local + 26] = declared.to_bytes(4, "little")
    return bytes(data)


def test_a_zip_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office, "MAX_PART_BYTES", 1 << 20)
    bomb = _docx_with_document(b"<w:document>" + b" " * (8 << 20) + b"</w:document>")

    with pytest.raises(ExtractionError, match=r"bomb\.docx is refused: .* expand past"):
        extract(bomb, "bomb.docx")


def test_a_zip_bomb_that_lies_about_its_size_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(office, "MAX_PART_BYTES", 1 << 20)
    bomb = _docx_with_document(
        b"<w:document>" + b" " * (8 << 20) + b"</w:document>", declared=1000
    )

    with pytest.raises(ExtractionError, match=r"liar\.docx"):
        extract(bomb, "liar.docx")


def test_a_real_size_zip_bomb_costs_bounded_time_and_memory() -> None:
    out = files.io.BytesIO()
    chunk = b" " * (1 << 20)
    with (
        files.zipfile.ZipFile(out, "w", files.zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/document.xml", "w") as member,
    ):
        member.write(b"<w:document>")
        for _ in range((office.MAX_PART_BYTES >> 20) + 16):
            member.write(chunk)
    data = bytearray(out.getvalue())
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        at = data.find(signature)
        data[at + offset : at + offset + 4] = (5000).to_bytes(4, "little")
    tracemalloc.start()
    started = time.perf_counter()

    with pytest.raises(ExtractionError, match=r"bomb\.docx"):
        extract(bytes(data), "bomb.docx")

    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(data) < 1 << 20
    assert seconds < 10
    assert peak < 8 << 20


def test_a_zip_with_too_many_members_is_refused() -> None:
    out = files.io.BytesIO()
    with files.zipfile.ZipFile(out, "w") as archive:
        for n in range(office.MAX_ZIP_MEMBERS + 1):
            archive.writestr(f"m{n}", b"")

    with pytest.raises(ExtractionError, match=r"many\.odt has more than"):
        extract(out.getvalue(), "many.odt")


def test_xml_entities_are_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><d>&b;</d>'
    )

    with pytest.raises(ExtractionError, match=r"laughs\.docx is a damaged"):
        extract(_docx_with_document(laughs), "laughs.docx")


def test_malformed_xml_is_a_damaged_document() -> None:
    with pytest.raises(ExtractionError, match=r"broken\.docx is a damaged"):
        extract(_docx_with_document(b"<w:document><w:p>"), "broken.docx")


def test_doc_without_antiword_names_csf_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doc.shutil, "which", lambda _name: None)

    with pytest.raises(ExtractionError) as error:
        extract(b"\xd0\xcf\x11\xe0" + bytes(1000), "old.doc")

    assert "old.doc" in str(error.value)
    assert "csf open" in str(error.value)


def test_rtf_saved_as_doc_is_read_as_rtf() -> None:
    assert extract(files.rtf_bytes(), "story.doc").word_count == files.STORY_WORDS


def test_an_rtf_that_is_not_rtf() -> None:
    with pytest.raises(ExtractionError, match=r"x\.rtf is not an RTF file"):
        extract(b"plain words", "x.rtf")


def test_deeply_nested_rtf_is_read_in_bounded_time() -> None:
    rtf = b"{\\rtf1 " + b"{" * 200_000 + b"deep" + b"}" * 200_000 + b"\\par}"

    assert extract(rtf, "deep.rtf").text == "deep"


def test_text_in_other_encodings() -> None:
    assert extract("Caf\u00e9 cr\u00e8me.".encode("cp1252"), "a.txt").text == (
        "Caf\u00e9 cr\u00e8me."
    )
    assert extract("Caf\u00e9.".encode("utf-16"), "a.txt").text == "Caf\u00e9."


def test_a_pdf_with_thousands_of_pages_is_refused() -> None:
    with pytest.raises(ExtractionError, match=r"huge\.pdf is refused: .* pages"):
        extract(files.blank_pdf(pdf.MAX_PDF_PAGES + 1), "huge.pdf")


def test_a_pdf_that_understates_its_pages_is_refused() -> None:
    data = files.blank_pdf(pdf.MAX_PDF_PAGES + 1, declared=3)

    with pytest.raises(ExtractionError, match=r"sly\.pdf is refused"):
        extract(data, "sly.pdf")


def test_a_file_that_claims_to_be_pdf_and_is_not() -> None:
    with pytest.raises(ExtractionError, match=r"story\.pdf is not a PDF"):
        extract(b"<html>story</html>", "story.pdf")


def test_a_damaged_pdf() -> None:
    with pytest.raises(ExtractionError, match=r"torn\.pdf is a damaged PDF"):
        extract(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", "torn.pdf")


def test_a_damaged_pdf_prints_nothing_of_its_own() -> None:
    damaged = files.pdf_bytes().replace(b"/Type /Catalog", b"/Type \xe3Catalog")
    script = (
        "import sys\n"
        "from compelling_cli.manuscript import extract\n"
        "from compelling_cli.errors import ExtractionError\n"
        "try:\n"
        "    extract(sys.stdin.buffer.read(), 'torn.pdf')\n"
        "except ExtractionError:\n"
        "    pass\n"
    )

    done = subprocess.run(
        [sys.executable, "-c", script], input=damaged, capture_output=True, check=True
    )

    assert done.stderr == b""


def test_an_empty_pdf_is_an_empty_story() -> None:
    assert extract(files.blank_pdf(2), "empty.pdf").blocks == []


def test_doc_goes_through_antiword(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "antiword"
    fake.write_text(
        "#!/bin/sh\n"
        'test "$1 $2 $3 $4" = "-w 0 -m UTF-8.txt" || exit 2\n'
        "printf 'Ann Writer\\nann@example.com\\n\\nThe Title\\n\\n"
        "by Ann\\n\\nIt began.\\n\\n#\\n\\nIt ended.\\n\\nEND\\n'\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr(doc.shutil, "which", lambda _name: str(fake))

    found = extract(b"\xd0\xcf\x11\xe0" + bytes(1000), "old.doc")

    assert found.title == "The Title"
    assert found.contact == ["Ann Writer", "ann@example.com"]
    assert found.text == "It began.\n\n* * *\n\nIt ended."


@pytest.mark.skipif(shutil.which("antiword") is None, reason="needs antiword")
def test_a_doc_antiword_cannot_read() -> None:
    with pytest.raises(ExtractionError, match=r"old\.doc: antiword does not take it"):
        extract(b"\xd0\xcf\x11\xe0" + bytes(1000), "old.doc")


def test_html_italics_from_style_sheet_classes_as_google_docs_exports():
    html = (
        b'<html><head><style type="text/css">.c1{font-style:italic}'
        b".c2, .c5{font-weight:700}.c0{font-style:normal}</style></head><body>"
        b'<p class="c0"><span>The rain </span><span class="c1">would not</span>'
        b'<span> stop, </span><span class="c5">ever</span>.</p></body></html>'
    )
    (paragraph,) = extract(html, "story.html").blocks
    assert [(r.text, r.italic, r.bold) for r in paragraph.runs] == [
        ("The rain ", False, False),
        ("would not", True, False),
        (" stop, ", False, False),
        ("ever", False, True),
        (".", False, False),
    ]

"""Rendering: the manuscript in the terminal, as plain text, markdown and JSON."""

from __future__ import annotations

import io
import json

import manuscript_files as files
import pytest
from rich.console import Console

from compelling_cli.manuscript import Manuscript, Paragraph, Run, SceneBreak, extract
from compelling_cli.model import State, Submission
from compelling_cli.render import (
    manuscript_to_json,
    manuscript_to_markdown,
    manuscript_to_plain,
    reading_minutes,
    render_manuscript,
    sanitize,
)

SUBMISSION = Submission(
    id="7k2m3n4p5q",
    email="jane@example.com",
    timestamp=1714555800,
    state=State.HELD,
    author="Jane Q. Author",
    title="The Lighthouse Keeper",
)


@pytest.fixture(scope="module")
def story() -> Manuscript:
    return extract(files.docx_bytes(), "story.docx")


def rendered(renderable: object, *, width: int, terminal: bool = False) -> str:
    console = Console(
        file=io.StringIO(),
        width=width,
        force_terminal=terminal,
        color_system="standard" if terminal else None,
        legacy_windows=False,
    )
    console.print(renderable)
    return console.file.getvalue()


def test_read_on_a_wide_terminal_centres_a_72_column_measure(story: Manuscript) -> None:
    out = rendered(render_manuscript(story, submission=SUBMISSION), width=100)

    pad = " " * 14
    assert out == "\n".join(
        [
            pad + "The Lighthouse Keeper",
            pad + "by Jane Q. Author, as J. Q. Author <jane@example.com>",
            pad
            + "56 words (the author says about 1,000) · 1 min · received 2024-05-01",
            pad + "09:30 UTC · held · 7k2m3n4p5q",
            pad + "─" * 72,
            pad + "Jane Q. Author",
            pad + "12 Orchard Lane",
            pad + "Springfield, IL 62704",
            pad + "jane@example.com",
            pad + "(217) 555-0142",
            "",
            pad + "The lamp had not been lit in eleven years.",
            pad
            + "   Mara climbed the stairs anyway, counting them as her father had: one",
            pad + "for the sea, two for the dead, and the rest for nobody at all.",
            "",
            pad + " " * 31 + "*   *   *",
            "",
            pad
            + "At the top she found the logbook, its last entry in a hand she knew.",
            pad + "   It said only: Keep the light.",
            "",
        ]
    )


def test_italics_render_as_italics_and_bold_as_bold(story: Manuscript) -> None:
    out = rendered(render_manuscript(story), width=72, terminal=True)

    assert "The lamp had not been lit in \x1b[3meleven\x1b[0m years." in out
    assert "\x1b[3mone\x1b[0m\n\x1b[3mfor the sea, two for the dead\x1b[0m, and" in out
    assert "It said only: \x1b[1mKeep the light.\x1b[0m" in out
    assert "\x1b[1mThe Lighthouse Keeper\x1b[0m" in out


def test_a_narrow_terminal_uses_its_whole_width(story: Manuscript) -> None:
    out = rendered(render_manuscript(story), width=30)

    lines = out.splitlines()
    assert max(len(line) for line in lines) == 30
    assert lines[0] == "The Lighthouse Keeper"
    assert " " * 10 + "*   *   *" in lines


def test_width_sets_the_measure(story: Manuscript) -> None:
    out = rendered(render_manuscript(story, width=40), width=80)

    assert all(len(line) <= 60 for line in out.splitlines())
    assert " " * 20 + "The lamp had not been lit in eleven" in out.splitlines()


def test_blind_hides_author_email_contact_and_byline(story: Manuscript) -> None:
    views = [
        rendered(render_manuscript(story, submission=SUBMISSION, blind=True), width=80),
        manuscript_to_plain(story, submission=SUBMISSION, blind=True),
        manuscript_to_markdown(story, submission=SUBMISSION, blind=True),
        json.dumps(manuscript_to_json(story, submission=SUBMISSION, blind=True)),
    ]

    for out in views:
        assert "Lighthouse Keeper" in out
        for secret in ("Jane", "jane@", "J. Q.", "Orchard", "555-0142"):
            assert secret not in out


def test_plain_has_no_styles_and_the_same_layout(story: Manuscript) -> None:
    out = manuscript_to_plain(story, width=40, submission=SUBMISSION)

    assert "\x1b" not in out
    assert out == "\n".join(
        [
            "The Lighthouse Keeper",
            "by Jane Q. Author, as J. Q. Author",
            "<jane@example.com>",
            "56 words (the author says about 1,000) ·",
            "1 min · received 2024-05-01 09:30 UTC ·",
            "held · 7k2m3n4p5q",
            "─" * 40,
            "Jane Q. Author",
            "12 Orchard Lane",
            "Springfield, IL 62704",
            "jane@example.com",
            "(217) 555-0142",
            "",
            "The lamp had not been lit in eleven",
            "years.",
            "   Mara climbed the stairs anyway,",
            "counting them as her father had: one for",
            "the sea, two for the dead, and the rest",
            "for nobody at all.",
            "",
            "               *   *   *",
            "",
            "At the top she found the logbook, its",
            "last entry in a hand she knew.",
            "   It said only: Keep the light.",
            "",
        ]
    )


def test_plain_without_a_submission_is_the_story_alone(story: Manuscript) -> None:
    out = manuscript_to_plain(story, width=72)

    assert out.startswith("The lamp had not been lit in eleven years.\n")
    assert out.endswith("   It said only: Keep the light.\n")


def test_markdown_keeps_emphasis(story: Manuscript) -> None:
    assert manuscript_to_markdown(story) == (
        "# The Lighthouse Keeper\n\n"
        "*by J. Q. Author*\n\n"
        "The lamp had not been lit in *eleven* years.\n\n"
        "Mara climbed the stairs anyway, counting them as her father had: "
        "*one for the sea, two for the dead*, and the rest for nobody at all.\n\n"
        "* * *\n\n"
        "At the top she found the logbook, its last entry in a hand she knew.\n\n"
        "It said only: **Keep the light.**\n"
    )


def test_markdown_escapes_what_would_read_as_markup() -> None:
    story = Manuscript(
        blocks=[
            Paragraph([Run("- not a list, 2*3*4 and snake_case_name")]),
            Paragraph(
                [Run("1. Not numbered <b>"), Run(" both ", italic=True, bold=True)]
            ),
        ]
    )

    assert manuscript_to_markdown(story) == (
        "\\- not a list, 2\\*3\\*4 and snake\\_case\\_name\n\n"
        "1\\. Not numbered \\<b\\> ***both***\n"
    )


def test_json_gives_the_model(story: Manuscript) -> None:
    data = manuscript_to_json(story)

    assert data["title"] == "The Lighthouse Keeper"
    assert data["byline"] == "J. Q. Author"
    assert data["contact"] == files.CONTACT
    assert data["stated_words"] == 1000
    assert data["word_count"] == 56
    assert data["word_count_note"] == "the author states about 1,000 words"
    assert data["blocks"][0] == {
        "type": "paragraph",
        "runs": [
            {"text": "The lamp had not been lit in ", "italic": False, "bold": False},
            {"text": "eleven", "italic": True, "bold": False},
            {"text": " years.", "italic": False, "bold": False},
        ],
    }
    assert data["blocks"][2] == {"type": "scene_break"}
    assert "submission" not in data
    assert manuscript_to_json(story, submission=SUBMISSION)["submission"]["id"] == (
        "7k2m3n4p5q"
    )


def test_reading_time() -> None:
    assert [reading_minutes(n) for n in (0, 1, 250, 251, 5000)] == [0, 1, 1, 2, 20]


# Nothing from a submission reaches the terminal unescaped

HOSTILE = "[bold red]Boo[/] :smile: \x1b[2J\x1b]0;owned\x07\x9b31m\u202eevil"


def test_markup_and_escapes_in_every_field_are_shown_inert() -> None:
    story = Manuscript(
        blocks=[Paragraph([Run(HOSTILE), Run(HOSTILE, italic=True)]), SceneBreak()],
        title=HOSTILE,
        byline=HOSTILE,
        contact=[HOSTILE],
    )
    submission = Submission(
        id=HOSTILE, email=HOSTILE, timestamp=0, author=HOSTILE, title=HOSTILE
    )

    out = rendered(
        render_manuscript(story, submission=submission, width=200),
        width=200,
        terminal=True,
    )
    plain = manuscript_to_plain(story, submission=submission, width=200)

    inert = "[bold red]Boo[/] :smile: evil"
    for text in (out, plain, manuscript_to_markdown(story)):
        assert "\x1b[2J" not in text
        assert "owned" not in text
        assert "\x9b" not in text
        assert "\u202e" not in text
    assert out.count(inert) == plain.count(inert) == 7
    assert "\x1b[1;31m" not in out


def test_sanitize_keeps_lines_unless_asked() -> None:
    assert sanitize("a\x1b[31mb\r\nc\td") == "ab\nc\td"
    assert sanitize("a\x1b[31mb\r\nc\td", single_line=True) == "ab c d"
    assert sanitize(None) == ""

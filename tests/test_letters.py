"""Every letter, filled in for authors whose names and subjects try to break it."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from compelling_cli import letters
from compelling_cli.config import load_settings
from compelling_cli.errors import ConfigError
from compelling_cli.model import State, Submission

LETTERS = [
    "confirmation",
    "notification",
    "form",
    "personal",
    "higher-tier",
    "acceptance",
    "hold",
    "withdrawn",
]
ODD = [
    # (author, subject, title): non-ASCII, quotes, line breaks, encoded words.
    ("Zoë Ångström", "Submission: Söt vatten", "Söt vatten"),
    ('Mary "Molly" O\'Hara', 'Submission: "Quoted", she said', '"Quoted", she said'),
    (
        "Eve\r\nBcc: victim@example.com",
        "Story\nBcc: victim@example.com",
        "Line\r\nbreak",
    ),
    (
        "=?utf-8?q?Mallory=0D=0ABcc=3A_victim=40example.com?=",
        "=?utf-8?b?U3RvcnkNCkJjYzogdmljdGltQGV4YW1wbGUuY29t?=",
        "=?utf-8?q?Title=0ABcc=3A_x?=",
    ),
    ("田中 美咲", "Re: RE: Submission: 提灯売り", "提灯売り"),
]


def submission(author: str, subject: str, title: str) -> Submission:
    return Submission(
        id="3fk2q8x9ab",
        email="writer@example.com",
        timestamp=1_795_000_000,
        author=author,
        title=title,
        subject=subject,
        message_id="<orig-1@mail.example.com>",
        word_count=4200,
    )


@pytest.fixture
def settings(isolated):
    return load_settings(
        environ={
            "CSF_HOME": str(isolated),
            "CSF_CONFIG": str(isolated / "none.toml"),
            "CSF_MAGAZINE": 'The "Compelling" Review',
            "CSF_EDITOR": "Ada Quill",
            "CSF_EDITOR_EMAIL": "ada@example-magazine.test",
            "CSF_FROM_EMAIL": "submissions@example-magazine.test",
        }
    )


def test_every_letter_ships_with_csf():
    assert set(LETTERS) <= set(letters.default_letters())


@pytest.mark.parametrize("name", LETTERS)
@pytest.mark.parametrize(("author", "subject", "title"), ODD)
def test_no_name_or_subject_can_forge_a_header(settings, name, author, subject, title):
    sub = submission(author, subject, title)
    letter = letters.render(name, sub, settings, words="Line one.\nLine two.")
    message = letters.compose(
        letter, sub.email, settings, to_name=sub.author, reply_to=sub
    )
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)

    assert parsed["Bcc"] is None and parsed["Cc"] is None
    assert parsed["To"].addresses[0].addr_spec == "writer@example.com"
    assert "\n" not in parsed["Subject"] and "\r" not in parsed["Subject"]
    assert "\n" not in parsed["To"].addresses[0].display_name
    assert parsed["Reply-To"] == "ada@example-magazine.test"
    assert parsed["In-Reply-To"] == "<orig-1@mail.example.com>"
    assert parsed["References"] == "<orig-1@mail.example.com>"
    if name != "notification":
        assert parsed["Subject"].startswith("Re: ")
        assert not parsed["Subject"].lower().startswith("re: re:")
    body = parsed.get_content()
    assert "$" not in body
    assert "Bcc: victim" not in body.replace(" Bcc: victim", "")


def test_the_fields_are_filled_in(settings):
    sub = submission("Zoë Ångström", "Submission: Söt vatten", "Söt vatten")
    letter = letters.render("acceptance", sub, settings)
    assert letter.subject == "Re: Submission: Söt vatten"
    assert letter.body.startswith('Dear Zoë Ångström,\n\nWe loved "Söt vatten"')
    assert 'The "Compelling" Review' in letter.body
    assert letter.body.endswith('Ada Quill\nThe "Compelling" Review\n')


def test_an_encoded_word_in_a_name_is_decoded_to_one_line(settings):
    sub = submission(*ODD[3])
    letter = letters.render("form", sub, settings)
    assert letter.subject == "Re: Story Bcc: victim@example.com"
    assert letter.body.startswith("Dear Mallory Bcc: victim@example.com,\n")


def test_the_personal_letter_carries_the_editors_words(settings):
    sub = submission("Zoë", "Submission: Birds", "Birds")
    words = "The ending came too fast.\x1b[31m\r\n\r\nBut the birds! " + "word " * 30
    letter = letters.render("personal", sub, settings, words=words)
    assert "The ending came too fast. [31m\n\nBut the birds! word" in letter.body
    assert "\x1b" not in letter.body and "\r" not in letter.body
    assert max(len(line) for line in letters.body_text(words).splitlines()) <= 72
    assert letters.needs_words("personal", settings)
    assert not letters.needs_words("form", settings)


def test_a_letter_in_any_language_goes_as_7_bit_quoted_printable(settings):
    sub = submission("田中 美咲", "提灯売り", "提灯売り")
    letter = letters.render("hold", sub, settings)
    message = letters.compose(letter, sub.email, settings, to_name=sub.author)
    raw = message.as_bytes()
    assert raw.isascii()
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed.get_content().startswith("Dear 田中 美咲,")


def test_the_editor_overrides_a_letter(settings, isolated):
    (isolated / "letters").mkdir(parents=True)
    (isolated / "letters" / "form.txt").write_text(
        "Subject: About $title\n\nNo, $author.\n", encoding="utf-8"
    )
    sub = submission("Zoë", "Submission: Birds", "Birds")
    letter = letters.render("form", sub, settings)
    assert (letter.subject, letter.body) == ("About Birds", "No, Zoë.\n")


def test_an_unknown_field_in_an_override_says_which_fields_exist(settings, isolated):
    (isolated / "letters").mkdir(parents=True)
    (isolated / "letters" / "form.txt").write_text("Hi $nickname\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown field 'nickname'"):
        letters.render("form", submission("Zoë", "s", "t"), settings)


def test_each_decision_knows_its_letters():
    assert letters.DECISION_LETTERS[State.REJECTED] == (
        "form",
        "personal",
        "higher-tier",
    )
    assert letters.DECISION_LETTERS[State.ACCEPTED][0] == "acceptance"
    assert letters.DECISION_LETTERS[State.HELD][0] == "hold"
    assert letters.DECISION_LETTERS[State.WITHDRAWN][0] == "withdrawn"

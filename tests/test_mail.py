"""Parsing raw messages: who sent it, what it is called, its parts, when it came."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.header import Header

import pytest

from compelling_cli.mail import (
    automatic_reason,
    looks_like_message,
    parse_message,
    safe_filename,
    title_from,
)
from compelling_cli.model import State, submission_id
from tests.conftest import make_message

NOW = datetime(2026, 12, 1, tzinfo=UTC).timestamp()


def parse(raw: bytes):
    return parse_message(raw, now=NOW)


def test_author_subject_and_message_id_come_from_the_headers():
    parsed = parse(make_message(sender='"Writer, Jane" <Jane@Example.com>'))
    sub = parsed.submission
    assert (sub.email, sub.author) == ("Jane@Example.com", "Writer, Jane")
    assert sub.subject == "Submission: The Glass Orchard"
    assert sub.title == "The Glass Orchard"
    assert sub.message_id == "<glass-orchard@example.com>"
    assert sub.state is State.UNREAD
    assert sub.id == submission_id(
        make_message(sender='"Writer, Jane" <Jane@Example.com>')
    )


def test_reply_to_wins_when_it_differs_and_looks_right():
    raw = make_message(headers={"Reply-To": "Pen Name <pen@example.org>"})
    assert parse(raw).submission.email == "pen@example.org"


def test_reply_to_that_is_not_an_address_is_ignored():
    raw = make_message(headers={"Reply-To": "not an address"})
    assert parse(raw).submission.email == "jane@example.com"


def test_encoded_subject_and_name_are_decoded():
    raw = make_message(
        sender="=?utf-8?q?Zo=C3=AB_=C3=85ngstr=C3=B6m?= <zoe@example.net>",
        subject=Header("Submission: Été à Paris", "utf-8").encode(),
    )
    sub = parse(raw).submission
    assert sub.author == "Zoë Ångström"
    assert sub.subject == "Submission: Été à Paris"
    assert sub.title == "Été à Paris"


@pytest.mark.parametrize(
    ("subject", "title"),
    [
        ("Submission: The Glass Orchard", "The Glass Orchard"),
        ("SUB: Rust (fantasy, 800 words)", "Rust"),
        ("Story submission - Night Ferry by Jane Writer", "Night Ferry"),
        ("Fwd: Submission: \u201cSalt\u201d", "Salt"),
        ("Stand by Me", "Stand by Me"),
        ("Submission", ""),
        ("Submission: The Glass Orchard - 3,500 words", "The Glass Orchard"),
        ('Submission - "Salt" - Jane Writer', "Salt"),
        ("Story submission: Night Ferry, about 2500 words", "Night Ferry"),
        ("Submission: 1000 Words of Solitude", "1000 Words of Solitude"),
    ],
)
def test_title_from_subject(subject, title):
    assert title_from(subject, "Jane Writer") == title


def test_body_comes_from_html_when_there_is_no_text_part():
    raw = (
        b"From: A <a@example.com>\r\nSubject: Submission: Ink\r\n"
        b"Message-ID: <i@x>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><body><p>The ink <em>moved</em>.</p><p>It wrote back.</p></body></html>"
    )
    parsed = parse(raw)
    body = parsed.parts["body.txt"].decode()
    assert "The ink moved." in body and "It wrote back." in body
    assert "<p>" not in body
    assert parsed.submission.manuscript == "body.html"


def test_attachment_names_in_rfc2231_and_rfc2047_are_decoded():
    raw = (
        b"From: A <a@example.com>\r\nSubject: Submission: Names\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain\r\n\r\nHello\r\n"
        b"--XX\r\nContent-Type: application/rtf\r\nContent-Disposition: attachment;"
        b" filename*=utf-8''%C3%89t%C3%A9%20%C3%A0%20Paris.rtf\r\n\r\n{\\rtf1 x}\r\n"
        b"--XX\r\nContent-Type: application/octet-stream\r\nContent-Disposition:"
        b' attachment; filename="=?iso-8859-1?q?S=F8ren.txt?="\r\n\r\nhej\r\n'
        b"--XX--\r\n"
    )
    parsed = parse(raw)
    assert "attachments/Été à Paris.rtf" in parsed.parts
    assert "attachments/Søren.txt" in parsed.parts
    assert parsed.submission.manuscript == "attachments/Été à Paris.rtf"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/abs/story.docx", "story.docx"),
        ("story\x1b[31m.docx", "story[31m.docx"),
        ("gnp.\u202edocx", "gnp.docx"),
        ("..", "fallback.bin"),
        ("", "fallback.bin"),
        ("CON.txt", "fallback.bin"),
        ("a:b*c?.txt", "a_b_c_.txt"),
        ("x" * 400 + ".docx", "x" * 145 + ".docx"),
    ],
)
def test_attachment_names_become_safe_file_names(name, safe):
    assert safe_filename(name, "fallback.bin") == safe


def test_duplicate_attachment_names_are_kept_apart():
    raw = make_message(
        attachments=(
            ("story.txt", b"one", "text/plain"),
            ("story.txt", b"two", "text/plain"),
        )
    )
    parts = parse(raw).parts
    assert parts["attachments/story.txt"] == b"one"
    assert parts["attachments/story-2.txt"] == b"two"


def test_the_first_manuscript_attachment_is_the_manuscript():
    raw = make_message(
        attachments=(
            ("photo.jpg", b"\xff\xd8\xff", "image/jpeg"),
            ("story.txt", b"Once there was a word.", "text/plain"),
            ("second.txt", b"Another.", "text/plain"),
        )
    )
    sub = parse(raw).submission
    assert sub.manuscript == "attachments/story.txt"
    assert sub.word_count == 5


def test_without_attachment_the_body_is_the_manuscript():
    sub = parse(make_message(body="One two three.\n\nFour five.\n")).submission
    assert sub.manuscript == "body.txt"
    assert sub.word_count == 5


def test_received_time_is_the_newest_received_header():
    received = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    sub = parse(make_message(received=received)).submission
    assert sub.timestamp == int(received.timestamp())


def test_received_time_falls_back_to_date_then_now():
    date = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert parse(make_message()).submission.timestamp == int(date.timestamp())
    raw = b"From: a@example.com\r\nSubject: x\r\nDate: yesterday-ish\r\n\r\nbody\r\n"
    assert parse(raw).submission.timestamp == int(NOW)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Return-Path": "<>"}, "empty Return-Path"),
        ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
        ({"Precedence": "bulk"}, "Precedence: bulk"),
        ({"Precedence": "junk"}, "Precedence: junk"),
        ({"Precedence": "list"}, "Precedence: list"),
        ({"X-Autoreply": "yes"}, "X-Autoreply header"),
        ({"List-Id": "<writers.example.com>"}, "List-Id header"),
    ],
)
def test_automatic_mail_is_recognised(headers, reason):
    sub = parse(make_message(headers=headers)).submission
    assert sub.automatic == reason
    assert sub.state is State.QUARANTINED


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@example.com", "postmaster@x.org"])
def test_mail_from_daemons_is_automatic(sender):
    assert parse(make_message(sender=sender)).submission.automatic


def test_auto_submitted_no_is_a_person():
    raw = make_message(headers={"Auto-Submitted": "no", "Return-Path": "<j@e.com>"})
    sub = parse(raw).submission
    assert sub.automatic is None and sub.state is State.UNREAD


def test_automatic_reason_of_plain_mail_is_none():
    from email import message_from_bytes, policy

    msg = message_from_bytes(make_message(), policy=policy.default)
    assert automatic_reason(msg) is None


@pytest.mark.parametrize("header", ["X-SES-Virus-Verdict", "X-SES-Spam-Verdict"])
def test_ses_verdict_fail_quarantines(header):
    sub = parse(make_message(headers={header: "FAIL"})).submission
    assert sub.state is State.QUARANTINED
    assert "verdict FAIL" in sub.reason


def test_message_without_sender_is_quarantined_with_raw_kept():
    raw = b"Subject: no sender\r\n\r\nhello\r\n"
    parsed = parse(raw)
    assert parsed.submission.state is State.QUARANTINED
    assert parsed.submission.reason == "the message has no usable sender address"
    assert parsed.parts["raw.eml"] == raw


def test_garbage_never_raises_and_keeps_the_raw_bytes():
    rng = random.Random(7)
    base = make_message(attachments=(("s.txt", b"story " * 50, "text/plain"),))
    for _ in range(300):
        raw = bytearray(base)
        for _ in range(rng.randint(1, 40)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        cut = bytes(raw[: rng.randint(0, len(raw))])
        parsed = parse(cut)
        assert parsed.parts["raw.eml"] == cut
        assert parsed.submission.id == submission_id(cut)


def test_hostile_headers_do_not_break_parsing():
    raw = (
        b"From: =?utf-8?q?\xff\xfe?= <<<@@@>>>\r\nReply-To: ,,,;;;\r\n"
        b'Subject: =?x-unknown?q?=E9?=\r\nContent-Type: multipart/mixed; boundary="'
        b"\r\n\r\n--\r\n"
    )
    parsed = parse(raw)
    assert parsed.parts["raw.eml"] == raw
    assert parsed.submission.state is State.QUARANTINED


def test_looks_like_message():
    assert looks_like_message(make_message())
    assert looks_like_message(b"From jane@example.com Sat Nov 21 2026\nFrom: x\n")
    assert not looks_like_message(b"%PDF-1.7\n...")
    assert not looks_like_message(b"PK\x03\x04\x00\x00")
    assert not looks_like_message(b"")


def test_attachments_decode_as_the_standard_library_does():
    from email import message_from_bytes, policy

    cases = [
        b"aGVsbG8gd29ybGQ=",  # well formed
        b"aGVsbG8gd29ybGQ",  # padding missing
        b"aGVs\r\nbG8g\r\nd29y bGQ=",  # broken into lines, a stray space
        b"aGVsbG8*d29ybGQ=",  # a character outside the alphabet
    ]
    for encoded in cases:
        raw = (
            b"From: a@example.com\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
            b"Content-Type: text/plain\r\n\r\nhi\r\n--B\r\n"
            b"Content-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: base64\r\n"
            b'Content-Disposition: attachment; filename="a.bin"\r\n\r\n'
            + encoded
            + b"\r\n--B--\r\n"
        )
        expected = [
            p.get_payload(decode=True)
            for p in message_from_bytes(raw, policy=policy.default).iter_attachments()
        ]
        assert [parse(raw).parts["attachments/a.bin"]] == expected, encoded


def test_a_title_in_a_noisy_subject_is_trimmed_to_the_manuscripts():
    from compelling_cli.mail import choose_title
    from compelling_cli.manuscript import Manuscript

    story = Manuscript(title="THE GLASS ORCHARD")
    assert choose_title("Fantasy: The Glass Orchard", story, None) == (
        "The Glass Orchard"
    )
    assert choose_title("Something Else", story, None) == "Something Else"
    assert choose_title("", story, None) == "THE GLASS ORCHARD"
    assert choose_title("", None, "attachments/the_glass orchard.docx") == (
        "the glass orchard"
    )


def test_without_a_display_name_the_byline_names_the_author():
    body = "The Glass Orchard\n\nby Jane Writer\n\nThe orchard rang.\n"
    sub = parse(make_message(sender="jw1984@example.com", body=body)).submission
    assert (sub.author, sub.email) == ("Jane Writer", "jw1984@example.com")

"""Ingest: messages become submissions, and each sends its mail once."""

from __future__ import annotations

import mailbox

import pytest

from compelling_cli.config import load_settings
from compelling_cli.ingest import find_messages, ingest_message
from compelling_cli.model import State
from compelling_cli.outbox import MaildirOutbox
from compelling_cli.store.local import LocalStore
from tests.conftest import make_message


@pytest.fixture
def library(isolated, monkeypatch):
    monkeypatch.setenv("CSF_EDITOR_EMAIL", "editor@example-magazine.test")
    monkeypatch.setenv("CSF_MAGAZINE", "Night Harbor")
    settings = load_settings()
    with LocalStore(isolated) as store:
        yield store, MaildirOutbox(isolated / "outbox"), settings


def test_a_new_submission_confirms_and_notifies(library):
    store, outbox, settings = library
    done = ingest_message(make_message(), store, outbox, settings)
    assert done.created and done.sent == ["confirmation", "notification"]
    confirmation, notification = outbox.messages()
    assert confirmation["To"] == "Jane Writer <jane@example.com>"
    assert confirmation["Subject"] == "Re: Submission: The Glass Orchard"
    assert confirmation["In-Reply-To"] == "<glass-orchard@example.com>"
    assert confirmation["Auto-Submitted"] == "auto-replied"
    assert "Night Harbor" in confirmation.get_content()
    assert done.submission.id in confirmation.get_content()
    assert notification["To"] == "editor@example-magazine.test"
    assert "The Glass Orchard" in notification["Subject"]
    assert store.get(done.submission.id).sent == ["confirmation", "notification"]


def test_the_same_message_twice_is_one_submission_and_one_confirmation(library):
    store, outbox, settings = library
    first = ingest_message(make_message(), store, outbox, settings)
    again = ingest_message(make_message(), store, outbox, settings)
    assert (first.created, again.created, again.sent) == (True, False, [])
    assert len(list(store.list())) == 1
    assert len(outbox.messages()) == 2


def test_a_send_that_failed_is_sent_on_the_next_delivery(library, monkeypatch):
    store, outbox, settings = library
    from compelling_cli.errors import SendError

    calls = []

    def flaky(message):
        calls.append(message["X-CSF-Letter"])
        if len(calls) == 2:
            raise SendError("the mail server is down")
        return MaildirOutbox.send(outbox, message)

    monkeypatch.setattr(outbox, "send", flaky)
    with pytest.raises(SendError):
        ingest_message(make_message(), store, outbox, settings)
    again = ingest_message(make_message(), store, outbox, settings)
    assert again.sent == ["notification"]
    assert calls == ["confirmation", "notification", "notification"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Return-Path": "<>"},
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X-Autoreply": "yes"},
        {"List-Id": "<list.example.com>"},
    ],
)
def test_automatic_mail_is_stored_but_gets_no_reply(library, headers):
    store, outbox, settings = library
    done = ingest_message(make_message(headers=headers), store, outbox, settings)
    assert done.sent == []
    assert store.get(done.submission.id).state is State.QUARANTINED
    assert outbox.messages() == []


def test_a_bounce_from_mailer_daemon_gets_no_reply(library):
    store, outbox, settings = library
    raw = make_message(sender="Mail Delivery System <MAILER-DAEMON@example.com>")
    assert ingest_message(raw, store, outbox, settings).sent == []


def test_without_an_editor_address_only_the_author_hears(isolated):
    settings = load_settings()
    with LocalStore(isolated) as store:
        outbox = MaildirOutbox(isolated / "outbox")
        assert ingest_message(make_message(), store, outbox, settings).sent == [
            "confirmation"
        ]


def test_names_cannot_inject_headers_into_the_confirmation(library):
    store, outbox, settings = library
    raw = (
        b"From: =?utf-8?q?Eve=0D=0ABcc=3A_victim=40example=2Ecom?=\r\n"
        b" <eve@example.com>\r\n"
        b"Subject: =?utf-8?q?Hi=0D=0ABcc=3A_x=40example=2Ecom?=\r\n"
        b"Message-ID: <eve@example.com>\r\n\r\nA story.\r\n"
    )
    ingest_message(raw, store, outbox, settings)
    confirmation = outbox.messages()[0]
    assert confirmation["Bcc"] is None
    assert confirmation["To"].addresses[0].addr_spec == "eve@example.com"
    assert "\n" not in confirmation["Subject"]


def test_find_messages_reads_eml_directories_maildirs_and_mbox(tmp_path):
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "a.eml").write_bytes(make_message(message_id="<a@x>"))
    (tmp_path / "dir" / "sub" / "b.eml").write_bytes(make_message(message_id="<b@x>"))
    (tmp_path / "dir" / "notes.txt").write_text("ignored")
    box = mailbox.mbox(tmp_path / "box.mbox")
    box.add(make_message(message_id="<c@x>"))
    box.add(make_message(message_id="<d@x>"))
    box.close()
    maildir = mailbox.Maildir(tmp_path / "md")
    maildir.add(make_message(message_id="<e@x>"))

    found = list(
        find_messages([tmp_path / "dir", tmp_path / "box.mbox", tmp_path / "md"])
    )
    assert all(source.error is None for source in found)
    ids = [source.raw.split(b"Message-ID: ")[1][:5] for source in found]
    assert ids == [b"<a@x>", b"<b@x>", b"<c@x>", b"<d@x>", b"<e@x>"]


def test_find_messages_reports_what_it_cannot_read(tmp_path):
    (tmp_path / "story.pdf").write_bytes(b"%PDF-1.7 binary")
    (tmp_path / "empty").mkdir()
    found = list(
        find_messages(
            [tmp_path / "missing.eml", tmp_path / "story.pdf", tmp_path / "empty"]
        )
    )
    assert [str(source.error) for source in found] == [
        f"{tmp_path / 'missing.eml'} does not exist",
        f"{tmp_path / 'story.pdf'} is not an email message "
        "(give .eml files, Maildirs or mbox files)",
        f"{tmp_path / 'empty'} holds no .eml files",
    ]

"""Decisions and their letters: the queue, the delay, undo, and two editors at once."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from compelling_cli import decisions
from compelling_cli.config import load_settings
from compelling_cli.errors import CsfError
from compelling_cli.model import State, Submission
from compelling_cli.outbox import MaildirOutbox
from compelling_cli.queue import LetterStatus
from compelling_cli.store.local import LocalStore
from tests.conftest import make_message

DAY = 86400


@pytest.fixture
def story(csf, tmp_path, monkeypatch) -> dict:
    """One submission in the library, its confirmation sent; the outbox emptied."""
    monkeypatch.setenv("CSF_MAGAZINE", "Night Harbor")
    monkeypatch.setenv("CSF_EDITOR", "Ada Quill")
    monkeypatch.setenv("CSF_EDITOR_EMAIL", "ada@nightharbor.test")
    for name in ("CSF_SMTP_URL", "CSF_REJECT_DELAY", "CSF_ACCEPT_DELAY"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "story.eml").write_bytes(
        make_message(
            sender='"Zoë \\"Z\\" Ångström" <zoe@example.com>',
            subject="Submission: The Glass Orchard",
            message_id="<orchard@example.com>",
        )
    )
    result = csf("ingest", tmp_path / "story.eml", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)[0]


def outbox(home: Path) -> list:
    """The letters to authors in the Maildir, leaving out confirmations."""
    return [
        m
        for m in MaildirOutbox(home / "outbox").messages()
        if m["X-CSF-Letter"] not in ("confirmation", "notification")
    ]


def at(monkeypatch, moment: float) -> None:
    """Make the decisions module see ``moment`` as now."""
    monkeypatch.setattr(decisions, "time", SimpleNamespace(time=lambda: moment))


def test_a_rejection_sends_the_form_letter_in_the_authors_thread(csf, story, isolated):
    result = csf("reject", story["id"])
    assert result.exit_code == 0
    assert result.stdout == (
        f'Rejected {story["id"]}: The Glass Orchard by Zoë "Z" Ångström\n'
        "The form letter went to zoe@example.com.\n"
    )
    [letter] = outbox(isolated)
    assert letter["X-CSF-Letter"] == "form"
    assert letter["To"] == '"Zoë \\"Z\\" Ångström" <zoe@example.com>'
    assert letter["Subject"] == "Re: Submission: The Glass Orchard"
    assert letter["In-Reply-To"] == "<orchard@example.com>"
    assert letter["Reply-To"] == "ada@nightharbor.test"
    assert "not right for Night Harbor" in letter.get_content()
    record = json.loads(csf("show", story["id"], "--json").stdout)
    assert (record["state"], record["letter"]) == ("rejected", "form")


@pytest.mark.parametrize(
    ("command", "extra", "name", "phrase"),
    [
        ("accept", [], "acceptance", "delighted to publish it in Night Harbor"),
        ("hold", [], "hold", "holding it for a closer look"),
        ("reject", ["--letter", "higher-tier"], "higher-tier", "send us your next"),
        (
            "reject",
            ["--letter", "personal", "--words", "The orchard scene sings."],
            "personal",
            "The orchard scene sings.",
        ),
        ("withdraw", [], "withdrawn", "we have withdrawn"),
    ],
)
def test_each_decision_sends_its_letter(
    csf, story, isolated, command, extra, name, phrase
):
    result = csf(command, story["id"], *extra)
    assert result.exit_code == 0, result.output
    [letter] = outbox(isolated)
    assert letter["X-CSF-Letter"] == name
    assert phrase in " ".join(letter.get_content().split())


def test_a_personal_letter_without_words_is_a_usage_error(csf, story, isolated):
    result = csf("reject", story["id"], "--letter", "personal")
    assert result.exit_code == 2
    assert result.stderr == (
        "csf: error: the personal letter carries your own words "
        "(give them with --words TEXT)\n"
    )
    assert json.loads(csf("show", story["id"], "--json").stdout)["state"] == "unread"


def test_a_letter_for_another_decision_is_refused(csf, story):
    result = csf("accept", story["id"], "--letter", "form")
    assert result.exit_code == 2
    assert result.stderr == (
        "csf: error: the form letter is for csf reject, not csf accept "
        "(use acceptance)\n"
    )
    unknown = csf("reject", story["id"], "--letter", "nosuch")
    assert unknown.exit_code == 1
    assert unknown.stderr == "csf: error: there is no letter called 'nosuch'\n"


def test_preview_shows_the_letter_and_changes_nothing(csf, story, isolated):
    result = csf("reject", story["id"], "--letter", "higher-tier", "--preview")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "From: Night Harbor <submissions@localhost>",
        'To: "Zoë \\"Z\\" Ångström" <zoe@example.com>',
        "Reply-To: ada@nightharbor.test",
        "Subject: Re: Submission: The Glass Orchard",
    ]
    assert 'Dear Zoë "Z" Ångström,' in lines
    assert json.loads(csf("show", story["id"], "--json").stdout)["state"] == "unread"
    assert outbox(isolated) == []
    assert json.loads(csf("outbox", "--json").stdout) == {"waiting": [], "sent": []}


def test_no_letter_decides_without_writing(csf, story, isolated):
    result = csf("hold", story["id"], "--no-letter", "--note", "second read")
    assert result.stdout == (
        f'Held {story["id"]}: The Glass Orchard by Zoë "Z" Ångström\n'
    )
    record = json.loads(csf("show", story["id"], "--json").stdout)
    assert (record["state"], record["letter"]) == ("held", None)
    assert [n["text"] for n in record["notes"]] == ["second read"]
    assert outbox(isolated) == []


def test_a_decided_or_withdrawn_story_is_refused_unless_forced(csf, story, isolated):
    assert csf("withdraw", story["id"]).exit_code == 0
    result = csf("reject", story["id"])
    assert result.exit_code == 1
    assert result.stderr == (
        "csf: error: a withdrawn submission cannot be made rejected "
        "(add --force to change it anyway)\n"
    )
    assert csf("reject", story["id"], "--force").exit_code == 0
    assert [m["X-CSF-Letter"] for m in outbox(isolated)] == ["withdrawn", "form"]


def test_a_delayed_letter_waits_then_goes_once(csf, story, isolated, monkeypatch):
    monkeypatch.setenv("CSF_REJECT_DELAY", "1d")
    start = 1_900_000_000
    at(monkeypatch, start)
    result = csf("reject", story["id"])
    assert result.exit_code == 0
    assert "The form letter to zoe@example.com waits until " in result.stdout
    assert outbox(isolated) == []
    assert csf("send").stdout == "No letters are due.\n"
    [waiting] = json.loads(csf("outbox", "--json").stdout)["waiting"]
    assert (waiting["status"], waiting["due"]) == ("queued", "2030-03-18T17:46:40Z")

    at(monkeypatch, start + DAY)
    sent = csf("send")
    assert sent.stdout == (
        f"Sent the form letter for {story['id']} to zoe@example.com.\n"
    )
    assert csf("send").stdout == "No letters are due.\n"
    [letter] = outbox(isolated)
    assert letter["Date"].datetime.timestamp() == start + DAY
    listed = json.loads(csf("outbox", "--json").stdout)
    assert listed["waiting"] == [] and len(listed["sent"]) == 1
    table = csf("outbox").stdout.splitlines()
    assert table[0].split() == ["status", "when", "letter", "id", "to", "note"]
    assert table[1].split()[0] == "sent"


def test_undo_takes_back_the_decision_and_cancels_its_letter(
    csf, story, isolated, monkeypatch
):
    monkeypatch.setenv("CSF_REJECT_DELAY", "12h")
    assert csf("reject", story["id"], "--letter", "higher-tier").exit_code == 0
    result = csf("undo")
    assert result.exit_code == 0
    assert result.stdout == (
        f"Took back the decision on {story['id']}: The Glass Orchard is unread "
        "again; the higher-tier letter will not be sent.\n"
    )
    record = json.loads(csf("show", story["id"], "--json").stdout)
    assert (record["state"], record["letter"]) == ("unread", None)
    at(monkeypatch, 4_000_000_000)
    assert csf("send").stdout == "No letters are due.\n"
    assert outbox(isolated) == []

    again = csf("undo")
    assert again.exit_code == 1
    assert again.stderr == (
        "csf: error: nothing to undo: no decision of yours has a letter still "
        "waiting (csf outbox shows what went)\n"
    )


def test_a_decision_can_be_made_again_after_undo(csf, story, isolated, monkeypatch):
    monkeypatch.setenv("CSF_REJECT_DELAY", "1h")
    assert csf("reject", story["id"]).exit_code == 0
    assert csf("undo", story["id"]).exit_code == 0
    assert csf("accept", story["id"]).exit_code == 0
    at(monkeypatch, 4_000_000_000)
    csf("send")
    assert [m["X-CSF-Letter"] for m in outbox(isolated)] == ["acceptance"]


def test_a_letter_that_went_cannot_be_taken_back(csf, story):
    assert csf("reject", story["id"]).exit_code == 0
    result = csf("undo", story["id"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"csf: error: the form letter for {story['id']} went already: the decision "
        "stands (write to the author yourself if you must)\n"
    )


def test_a_forced_change_cancels_the_letter_still_waiting(
    csf, story, isolated, monkeypatch
):
    monkeypatch.setenv("CSF_REJECT_DELAY", "1d")
    assert csf("reject", story["id"]).exit_code == 0
    assert csf("accept", story["id"], "--force").exit_code == 0
    at(monkeypatch, 4_000_000_000)
    csf("send")
    assert [m["X-CSF-Letter"] for m in outbox(isolated)] == ["acceptance"]


def test_a_bad_delay_says_how_to_write_one(csf, story, monkeypatch):
    monkeypatch.setenv("CSF_REJECT_DELAY", "2 days")
    result = csf("reject", story["id"])
    assert result.exit_code == 1
    assert result.stderr == (
        "csf: error: reject_delay is '2 days' (environment (CSF_REJECT_DELAY)), not "
        "a span of time (write it like 30m, 12h, 1d or 1d12h; 0 for none)\n"
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("", 0), ("0", 0), ("45s", 45), ("30m", 1800), ("1d12h", 129600), ("2w", 1209600)],
)
def test_spans_of_time(text, seconds):
    assert decisions.parse_span(text) == seconds


def test_notes_go_on_the_record(csf, story):
    assert csf("note", story["id"], "strong voice").stdout == (
        f"Noted on {story['id']} (1 note).\n"
    )
    csf("next")
    assert csf("note", "ending rushed").exit_code == 0
    notes = json.loads(csf("show", story["id"], "--json").stdout)["notes"]
    assert [n["text"] for n in notes] == ["strong voice", "ending rushed"]
    unquoted = csf("note", story["id"], "ending", "rushed")
    assert unquoted.exit_code == 2
    assert unquoted.stderr == (
        'csf: error: a note is one argument (quote it: csf note ID "the note")\n'
    )


def test_the_authors_record_lists_states_and_letters(csf, story, tmp_path, monkeypatch):
    (tmp_path / "second.eml").write_bytes(
        make_message(
            sender="Zoe <ZOE@example.com>",
            subject="Submission: Second Story",
            message_id="<second@example.com>",
        )
    )
    second = json.loads(csf("ingest", tmp_path / "second.eml", "--json").stdout)[0]
    assert csf("reject", story["id"], "--letter", "higher-tier").exit_code == 0
    monkeypatch.setenv("CSF_ACCEPT_DELAY", "1d")
    assert csf("accept", second["id"]).exit_code == 0

    record = json.loads(csf("author", "zoe@example.com", "--json").stdout)
    assert [(r["title"], r["state"]) for r in record] == [
        ("The Glass Orchard", "rejected"),
        ("Second Story", "accepted"),
    ]
    assert [(r["outbox"]["letter"], r["outbox"]["status"]) for r in record] == [
        ("higher-tier", "sent"),
        ("acceptance", "queued"),
    ]
    table = csf("author", "zoe@example.com").stdout.splitlines()
    assert table[0] == 'Zoe, Zoë "Z" Ångström <zoe@example.com>: 2 submissions'
    assert "higher-tier (sent)" in table[2] and "acceptance (queued)" in table[3]
    assert csf("author", "nobody@example.com").stdout == (
        "No submissions from nobody@example.com.\n"
    )


def test_a_version_1_library_gains_the_letter_queue(isolated):
    LocalStore(isolated).close()
    db = sqlite3.connect(isolated / "library.sqlite3")
    db.execute("DROP TABLE letters")
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    with LocalStore(isolated) as store:
        assert store.due_letters(10) == []
    db = sqlite3.connect(isolated / "library.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2


def _decide_in_process(home, sub_id, target, barrier, results) -> None:
    """One editor in their own process: read the story, wait for the other, decide."""
    settings = load_settings({"home": home}, environ={"CSF_CONFIG": os.devnull})
    with LocalStore(Path(home)) as store:
        sub = store.get(sub_id)
        barrier.wait(timeout=30)
        try:
            outcome = decisions.decide(
                store, MaildirOutbox(Path(home) / "outbox"), settings, sub, target
            )
            results.put(("decided", outcome.letter.name, outcome.sent))
        except CsfError as exc:
            results.put(("error", str(exc), False))


def test_two_editors_deciding_at_once_make_one_decision_and_one_letter(story, isolated):
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(2), spawn.Queue()
    editors = [
        spawn.Process(
            target=_decide_in_process,
            args=(str(isolated), story["id"], target, barrier, results),
        )
        for target in (State.REJECTED, State.ACCEPTED)
    ]
    for editor in editors:
        editor.start()
    outcomes = sorted(results.get(timeout=60) for _ in editors)
    for editor in editors:
        editor.join(timeout=30)

    (decided, name, sent), (error, message, _) = outcomes
    assert (decided, error, sent) == ("decided", "error", True)
    winner = "rejected" if name == "form" else "accepted"
    assert message == (
        f"{story['id']} is {winner} now, not unread: someone decided it since you "
        f"read it (csf show {story['id']} says what happened)"
    )
    assert [m["X-CSF-Letter"] for m in outbox(isolated)] == [name]
    with LocalStore(isolated) as store:
        assert len(store.list_letters(LetterStatus.SENT)) == 1


def test_two_senders_at_once_send_each_letter_once(isolated, tmp_path, monkeypatch):
    monkeypatch.setenv("CSF_REJECT_DELAY", "1s")
    settings = load_settings()
    with LocalStore(isolated) as store:
        from compelling_cli.ingest import ingest_message

        quiet = MaildirOutbox(tmp_path / "confirmations")
        for n in range(12):
            raw = make_message(
                sender=f"Writer {n} <w{n}@example.com>", message_id=f"<{n}@example.com>"
            )
            sub = ingest_message(raw, store, quiet, settings).submission
            decisions.decide(store, quiet, settings, sub, State.REJECTED, now=100)

    env = {**os.environ, "CSF_HOME": str(isolated)}
    command = [sys.executable, "-m", "compelling_cli", "send", "--json"]
    senders = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    reports = [json.loads(p.communicate(timeout=60)[0]) for p in senders]
    assert all(p.returncode == 0 for p in senders)
    assert sum(len(r["sent"]) for r in reports) == 12
    letters = outbox(isolated)
    assert len(letters) == 12
    assert len({m["To"] for m in letters}) == 12


# The same flows on each store: the local library and the AWS table (moto).


def on_each_store(store, isolated, n: int = 1) -> tuple[Submission, MaildirOutbox]:
    sub = Submission(
        id=f"st{n:08d}",
        email=f"writer{n}@example.com",
        author=f"Writer {n}",
        title=f"Story {n}",
        subject=f"Submission: Story {n}",
        message_id=f"<{n}@example.com>",
        timestamp=1_700_000_000 + n,
        parts=["raw.eml", "body.txt"],
        manuscript="body.txt",
    )
    store.add(sub, {"raw.eml": b"From: x@example.com\r\n\r\nx", "body.txt": b"x"})
    return sub, MaildirOutbox(isolated / "outbox")


def test_two_editors_who_read_the_same_story_get_one_decision(store, isolated):
    sub, mail = on_each_store(store, isolated)
    settings = load_settings()
    first, second = store.get(sub.id), store.get(sub.id)
    decisions.decide(store, mail, settings, first, State.REJECTED, now=1000)
    with pytest.raises(CsfError, match="is rejected now, not unread: someone"):
        decisions.decide(store, mail, settings, second, State.ACCEPTED, now=1001)
    assert [m["X-CSF-Letter"] for m in outbox(isolated)] == ["form"]
    assert [x.name for x in store.list_letters(LetterStatus.SENT)] == ["form"]
    assert store.list_letters(LetterStatus.QUEUED) == []


def test_delay_undo_and_send_on_each_store(store, isolated, monkeypatch):
    monkeypatch.setenv("CSF_REJECT_DELAY", "1h")
    settings = load_settings()
    one, mail = on_each_store(store, isolated, 1)
    two, _ = on_each_store(store, isolated, 2)
    decisions.decide(store, mail, settings, one, State.REJECTED, now=1000)
    decisions.decide(store, mail, settings, two, State.REJECTED, now=1010)
    assert decisions.send_due(store, mail, now=4000).sent == []

    undone = decisions.undo(store, settings, now=1020)
    assert (undone.submission.id, undone.submission.state) == (two.id, State.UNREAD)
    assert undone.letter.status is LetterStatus.CANCELLED

    done = decisions.send_due(store, mail, now=4600)
    assert [x.submission for x in done.sent] == [one.id]
    assert decisions.send_due(store, mail, now=4700).sent == []
    assert [m["To"].addresses[0].addr_spec for m in outbox(isolated)] == [one.email]
    assert decisions.letter_for(store, store.get(one.id)).status is LetterStatus.SENT
    assert [s.id for s in store.by_email("WRITER1@example.com")] == [one.id]


def test_decide_on_aws_reads_ahead_and_sends_through_ses(csf, aws, monkeypatch):
    import boto3

    from compelling_cli.cli import reading
    from compelling_cli.store.aws import AwsStore
    from tests.test_decide import FakeTerminal

    monkeypatch.setenv("CSF_BACKEND", "aws")
    monkeypatch.setenv("CSF_BUCKET", "csf-decide")
    monkeypatch.setenv("CSF_FROM_EMAIL", "submissions@example-magazine.test")
    boto3.client("ses").verify_domain_identity(Domain="example-magazine.test")
    store = AwsStore("compelling_submissions", "csf-decide")
    store.setup()
    subs = [on_each_store(store, Path("unused"), n)[0] for n in (1, 2, 3)]

    loads = []
    real = decisions.load_reading
    monkeypatch.setattr(
        decisions, "load_reading", lambda s, i: loads.append(i) or real(s, i)
    )
    terminal = FakeTerminal("arfh")
    monkeypatch.setattr(reading, "open_terminal", lambda: terminal)
    result = csf("decide")
    assert result.exit_code == 0, result.output
    assert loads == [s.id for s in subs]
    assert [store.get(s.id).state for s in subs] == [
        State.ACCEPTED,
        State.REJECTED,
        State.HELD,
    ]
    from tests.test_lambda import sent_mail

    assert [m["X-CSF-Letter"] for m in sent_mail()] == ["acceptance", "form", "hold"]

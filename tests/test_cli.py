"""The editor's commands, run as the editor runs them: exit codes and exact output."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer.main

from compelling_cli import __version__
from compelling_cli.cli import app
from tests.conftest import make_message

COMMANDS = sorted(typer.main.get_command(app).commands)


@pytest.fixture
def inbox(tmp_path):
    """Three messages on disk: two stories, received a day apart, and a bounce."""
    from datetime import UTC, datetime

    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "1.eml").write_bytes(
        make_message(
            sender="Ann Older <ann@example.com>",
            subject="Submission: First Light",
            body="The first story.\n\n#\n\nIt ends.\n",
            date=datetime(2026, 11, 1, tzinfo=UTC),
            message_id="<1@example.com>",
        )
    )
    (folder / "2.eml").write_bytes(
        make_message(
            sender="Bo Newer <bo@example.com>",
            subject="Submission: Second Sight",
            date=datetime(2026, 11, 2, tzinfo=UTC),
            message_id="<2@example.com>",
        )
    )
    (folder / "3.eml").write_bytes(
        make_message(sender="MAILER-DAEMON@example.com", subject="Undeliverable")
    )
    return folder


def ingested(csf, inbox) -> list[dict]:
    result = csf("ingest", inbox, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(csf, command):
    result = csf(command, "--help")
    assert result.exit_code == 0
    assert "Example: csf" in result.stdout


def test_version_and_help(csf):
    assert csf("--version").stdout == f"csf {__version__}\n"
    result = csf("--help")
    assert result.exit_code == 0
    assert all(command in result.stdout for command in COMMANDS)


def test_python_dash_m_runs_csf():
    result = subprocess.run(
        [sys.executable, "-m", "compelling_cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == f"csf {__version__}\n"


def test_ingest_prints_one_line_per_message(csf, inbox):
    result = csf("ingest", inbox)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[1:] for line in lines[:3]] == [
        ["unread", "First", "Light"],
        ["unread", "Second", "Sight"],
        ["quarantined", "Undeliverable"],
    ]
    assert lines[3] == "3 messages: 3 new, 0 already in"


def test_ingest_json_and_a_second_run_adds_nothing(csf, inbox):
    first = ingested(csf, inbox)
    assert [(r["state"], r["email"], r["title"]) for r in first] == [
        ("unread", "ann@example.com", "First Light"),
        ("unread", "bo@example.com", "Second Sight"),
        ("quarantined", "MAILER-DAEMON@example.com", "Undeliverable"),
    ]
    again = ingested(csf, inbox)
    assert [r["created"] for r in again] == [False, False, False]
    assert [r["id"] for r in again] == [r["id"] for r in first]


def test_ingest_reports_each_bad_path_and_keeps_going(csf, inbox, tmp_path):
    (tmp_path / "story.pdf").write_bytes(b"%PDF-1.4")
    result = csf(
        "ingest", tmp_path / "nope.eml", tmp_path / "story.pdf", inbox / "1.eml"
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"csf: error: {tmp_path / 'nope.eml'} does not exist",
        f"csf: error: {tmp_path / 'story.pdf'} is not an email message "
        "(give .eml files, Maildirs or mbox files)",
    ]
    assert "First Light" in result.stdout


def test_next_on_an_empty_queue(csf):
    result = csf("next")
    assert (result.exit_code, result.stdout) == (
        0,
        "The queue is empty: no unread submissions.\n",
    )
    assert csf("next", "--json").stdout == "null\n"


def test_next_shows_the_oldest_unread_and_remembers_it(csf, inbox):
    first = ingested(csf, inbox)[0]
    result = csf("next", "--json")
    assert json.loads(result.stdout)["id"] == first["id"]
    text = csf("next").stdout
    assert "First Light" in text and "Ann Older <ann@example.com>" in text

    shown = csf("show", "--json")
    assert shown.stderr == f"csf: using {first['id']}, the submission last shown\n"
    assert json.loads(shown.stdout)["id"] == first["id"]


def test_show_json_has_the_record(csf, inbox):
    first = ingested(csf, inbox)[0]
    record = json.loads(csf("show", first["id"], "--json").stdout)
    assert record["received_at"] == "2026-11-01T00:00:00Z"
    assert record["state"] == "unread"
    assert record["parts"] == ["raw.eml", "body.txt"]
    for key in ("id", "email", "author", "title", "subject", "word_count"):
        assert key in record
    assert record["decided_at"] is None and record["notes"] == []


def test_show_raw_writes_the_original_bytes(csf, inbox):
    first = ingested(csf, inbox)[0]
    result = csf("show", first["id"], "--raw")
    assert result.stdout_bytes == (inbox / "1.eml").read_bytes()


def test_read_prints_the_story(csf, inbox):
    first = ingested(csf, inbox)[0]
    result = csf("read", first["id"], "--plain")
    assert result.exit_code == 0
    assert "First Light" in result.stdout
    assert "The first story." in result.stdout and "It ends." in result.stdout


def test_list_is_newest_last_and_filters_by_state(csf, inbox):
    ingested(csf, inbox)
    rows = json.loads(csf("list", "--json").stdout)
    assert [r["title"] for r in rows] == [
        "First Light",
        "Second Sight",
        "Undeliverable",
    ]
    held = json.loads(csf("list", "--state", "quarantined", "--json").stdout)
    assert [r["title"] for r in held] == ["Undeliverable"]
    table = csf("list").stdout.splitlines()
    assert table[0].split() == ["id", "received", "state", "words", "author", "title"]
    assert "Second Sight" in table[2]


def test_decisions_change_the_state_once(csf, inbox):
    first, second, _ = ingested(csf, inbox)
    result = csf("accept", first["id"])
    assert result.stdout == (
        f"Accepted {first['id']}: First Light by Ann Older\n"
        "The acceptance letter went to ann@example.com.\n"
    )
    assert json.loads(csf("hold", second["id"], "--json").stdout)["state"] == "held"
    assert json.loads(csf("next", "--json").stdout) is None

    again = csf("reject", first["id"])
    assert again.exit_code == 1
    assert again.stderr == (
        "csf: error: a accepted submission cannot be made rejected "
        "(add --force to change it anyway)\n"
    )
    forced = csf("reject", first["id"], "--force", "--json")
    assert json.loads(forced.stdout)["state"] == "rejected"


def test_unknown_id_is_one_line_and_exit_1(csf, inbox):
    ingested(csf, inbox)
    result = csf("show", "zzzzzzzzzz")
    assert result.exit_code == 1
    assert result.stderr == (
        "csf: error: no submission has the id 'zzzzzzzzzz' (csf list shows the ids)\n"
    )


def test_no_id_and_nothing_shown_yet_is_a_usage_error(csf):
    result = csf("read")
    assert result.exit_code == 2
    assert result.stderr == (
        "csf: error: no submission id given and none shown yet "
        "(give an id, or run csf next first)\n"
    )


def test_usage_errors_exit_2(csf):
    result = csf("list", "--state", "lost")
    assert result.exit_code == 2
    assert result.stderr.startswith("csf: error: unknown state 'lost'")
    unknown = csf("frobnicate")
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("csf: error: No such command 'frobnicate'")


def test_debug_shows_the_traceback(csf):
    result = csf("--debug", "show", "nothing")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert result.stderr.endswith(
        "csf: error: no submission has the id 'nothing' (csf list shows the ids)\n"
    )
    assert "Traceback" not in csf("show", "nothing").stderr


def test_a_corrupt_library_is_one_line(csf, isolated):
    isolated.mkdir(parents=True)
    (isolated / "library.sqlite3").write_bytes(b"garbage" * 1000)
    result = csf("next")
    assert result.exit_code == 1
    assert result.stderr.startswith("csf: error: the library at ")
    assert "is damaged" in result.stderr and len(result.stderr.splitlines()) == 1


def test_nothing_from_a_message_reaches_the_terminal_as_control_or_markup(
    csf, tmp_path
):
    hostile = "[bold red]Boom[/] \x1b]0;pwned\x07\x1b[2J\u202eevil"
    raw = make_message(
        sender='"[link=http://x]Mal[/link]" <mal@example.com>',
        subject=f"Submission: {hostile}",
        body=f"Story {hostile}\n",
    )
    (tmp_path / "bad.eml").write_bytes(raw)
    outputs = [csf("ingest", tmp_path / "bad.eml").stdout]
    for command in (["next"], ["list"], ["show"], ["read", "--plain"]):
        result = csf(*command)
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    for output in outputs:
        assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output
    assert "[bold red]Boom[/]" in outputs[1]
    assert "[link=http://x]Mal[/link]" in outputs[1]


def test_config_shows_each_setting_and_its_source(csf, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('magazine = "Night Harbor"\ntable = "subs"\n')
    monkeypatch.setenv("CSF_TABLE", "from-env")
    result = csf("--backend", "local", "config", "--json")
    settings = {row["name"]: row for row in json.loads(result.stdout)["settings"]}
    assert (settings["backend"]["value"], settings["backend"]["source"]) == (
        "local",
        "flag",
    )
    assert settings["table"]["source"] == "environment (CSF_TABLE)"
    assert settings["table"]["value"] == "from-env"
    assert settings["magazine"]["source"] == "config file"
    assert settings["bucket"]["source"] == "default"


def test_a_broken_config_file_is_one_line(csf, tmp_path):
    (tmp_path / "config.toml").write_text("magazine = [unclosed\n")
    result = csf("next")
    assert result.exit_code == 1
    assert result.stderr.startswith("csf: error: the config file ")
    assert "is not valid TOML" in result.stderr


def test_local_commands_do_not_import_boto3(tmp_path, isolated):
    code = (
        "import sys\n"
        "from compelling_cli.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('boto3' in sys.modules, 'botocore' in sys.modules, file=sys.stderr)\n"
    )
    for args in (["--help"], ["next"], ["list"]):
        result = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True
        )
        assert result.stderr.strip().splitlines()[-1] == "False False", args


def test_library_modules_import_neither_typer_nor_rich():
    modules = [
        "compelling_cli.mail",
        "compelling_cli.manuscript",
        "compelling_cli.store.local",
        "compelling_cli.ingest",
        "compelling_cli.letters",
        "compelling_cli.outbox",
        "compelling_cli.config",
    ]
    code = (
        f"import sys\nfor m in {modules!r}: __import__(m)\n"
        "print(sorted(m for m in ('typer', 'rich', 'boto3') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_demo_builds_its_own_library_and_refuses_a_real_one(csf, tmp_path, isolated):
    demo = tmp_path / "demo"
    result = csf("demo", demo, "--json")
    assert result.exit_code == 0, result.output
    built = json.loads(result.stdout)
    assert built["submissions"] >= 10
    assert not isolated.exists()
    rows = json.loads(csf("--home", demo, "list", "--json").stdout)
    assert {r["state"] for r in rows} == {"unread", "quarantined"}
    assert csf("demo", demo).exit_code == 0

    real = tmp_path / "real"
    real.mkdir()
    (real / "library.sqlite3").write_bytes(b"")
    refused = csf("demo", real)
    assert refused.exit_code == 1
    assert "is not a demo library" in refused.stderr


def test_config_hides_a_password_in_a_url(csf, monkeypatch):
    monkeypatch.setenv("CSF_SMTP_URL", "smtp://ada:s3cret@mail.example.com:587")
    result = csf("config", "--json")
    settings = {row["name"]: row for row in json.loads(result.stdout)["settings"]}
    assert settings["smtp_url"]["value"] == "smtp://ada:***@mail.example.com:587"
    assert "s3cret" not in csf("config").stdout


def test_setup_creates_the_library_and_says_so(csf, isolated):
    result = csf("setup", "--json")
    assert json.loads(result.stdout) == {
        "backend": "local",
        "steps": [f"The library is ready at {isolated}"],
    }
    assert (isolated / "library.sqlite3").exists()
    assert csf("setup").stdout == f"The library is ready at {isolated}\n"

"""csf decide: the reading session, driven key by key."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import typer

from compelling_cli.cli import library, reading
from compelling_cli.decisions import Reading, walk_queue
from compelling_cli.model import State, Submission
from compelling_cli.outbox import MaildirOutbox
from compelling_cli.store.local import LocalStore


class FakeTerminal:
    """Plays the editor: answers each prompt with the next key or line given."""

    def __init__(self, keys: str, lines: tuple[str, ...] = ()) -> None:
        self.keys = list(keys)
        self.lines = list(lines)
        self.shown: list[str] = []

    def key(self, prompt: str, choices: str) -> str:
        key = self.keys.pop(0)
        assert key in choices, (key, prompt)
        typer.echo(f"{prompt} {key}")
        return key

    def line(self, prompt: str) -> str:
        return self.lines.pop(0)

    def show(self, view: object) -> None:
        from rich.console import Console

        buffer = io.StringIO()
        Console(file=buffer, width=100, color_system=None).print(view)
        self.shown.append(buffer.getvalue())


@pytest.fixture
def demo(csf, tmp_path, monkeypatch) -> Path:
    home = tmp_path / "demo"
    assert csf("demo", home).exit_code == 0
    monkeypatch.setenv("CSF_HOME", str(home))
    monkeypatch.setenv("CSF_MAGAZINE", "The Compelling Review")
    return home


def drive(monkeypatch, keys: str, lines: tuple[str, ...] = ()) -> FakeTerminal:
    terminal = FakeTerminal(keys, lines)
    monkeypatch.setattr(reading, "open_terminal", lambda: terminal)
    return terminal


def letters_by_author(home: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for message in MaildirOutbox(home / "outbox").messages():
        name = message["X-CSF-Letter"]
        if name not in ("confirmation", "notification"):
            found.setdefault(message["To"].addresses[0].addr_spec, []).append(name)
    return found


def test_an_editor_works_through_the_demo_and_every_author_gets_a_letter(
    csf, demo, monkeypatch
):
    unread = json.loads(csf("list", "--state", "unread", "--json").stdout)
    assert len(unread) == 8
    terminal = drive(
        monkeypatch,
        # accept; form; note then personal; higher-tier; hold; cancel then form;
        # skip; reject with the form letter.
        "a" + "rf" + "nrp" + "rh" + "h" + "rcrf" + "s" + "rf",
        lines=("a fine first page", "The well scene is wonderful."),
    )
    result = csf("decide")
    assert result.exit_code == 0, result.output

    assert len(terminal.shown) == 8 and terminal.keys == []
    head = [line.strip() for line in terminal.shown[0].splitlines()[:2]]
    assert head == [
        unread[0]["title"],
        f"by {unread[0]['author']} <{unread[0]['email']}>",
    ]
    out = result.stdout
    assert "1 of 8 today, 610 words read" in out
    assert "8 of 8 today, 4,431 words read" in out
    assert "That was the last unread story." in out
    assert out.endswith(
        "This session: 1 accepted, 5 rejected, 1 held, 1 skipped; 4,431 words read.\n"
    )

    expected = ["acceptance", "form", "personal", "higher-tier", "hold", "form"]
    by_author = letters_by_author(demo)
    emails = [row["email"] for row in unread]
    assert [by_author.get(email, [None])[0] for email in emails] == [
        *expected,
        None,
        "form",
    ]
    personal = next(
        m
        for m in MaildirOutbox(demo / "outbox").messages()
        if m["X-CSF-Letter"] == "personal"
    )
    assert "The well scene is wonderful." in personal.get_content()
    notes = json.loads(csf("show", unread[2]["id"], "--json").stdout)["notes"]
    assert [n["text"] for n in notes] == ["a fine first page"]
    states = [r["state"] for r in json.loads(csf("list", "--json").stdout)]
    assert states.count("unread") == 1


def test_quit_stops_and_says_what_was_done(csf, demo, monkeypatch):
    drive(monkeypatch, "hq")
    result = csf("decide")
    assert result.exit_code == 0
    assert result.stdout.endswith("This session: 1 held; 1,137 words read.\n")
    assert "last unread story" not in result.stdout


def test_a_story_decided_meanwhile_is_passed_over(csf, demo, monkeypatch):
    unread = json.loads(csf("list", "--state", "unread", "--json").stdout)

    class Elsewhere(FakeTerminal):
        def show(self, view: object) -> None:
            super().show(view)
            if len(self.shown) == 1:
                # Another editor rejects the second story while this one is read.
                with LocalStore(demo) as store:
                    store.transition(
                        unread[1]["id"], State.UNREAD, State.REJECTED, at=1
                    )

    terminal = Elsewhere("sq")
    monkeypatch.setattr(reading, "open_terminal", lambda: terminal)
    result = csf("decide")
    assert (
        f"{unread[1]['id']} is rejected now: someone decided it. Next.\n"
        in result.stdout
    )
    assert "3 of 8 today" in result.stdout


def test_an_empty_queue_is_said_plainly(csf, monkeypatch):
    drive(monkeypatch, "")
    result = csf("decide")
    assert (result.exit_code, result.stdout) == (
        0,
        "The queue is empty: no unread submissions.\n",
    )


def test_without_a_terminal_decide_refuses(csf, demo):
    result = csf("decide")
    assert result.exit_code == 1
    assert result.stderr == (
        "csf: error: csf decide needs a terminal to ask you about each story "
        "(in a script use csf next, csf read and csf accept/reject/hold)\n"
    )


def test_open_hands_the_original_to_the_viewer_under_a_safe_name(
    csf, demo, monkeypatch, tmp_path
):
    copied = tmp_path / "viewed"
    script = f"import shutil, sys; shutil.copy(sys.argv[1], {str(copied)!r})"
    monkeypatch.setattr(
        library, "viewer_command", lambda: [sys.executable, "-c", script]
    )
    drive(monkeypatch, "oq")
    result = csf("decide")
    first = json.loads(csf("list", "--state", "unread", "--json").stdout)[0]
    opened = next(
        line for line in result.stdout.splitlines() if line.startswith("Opened ")
    )
    assert Path(opened.removeprefix("Opened ")).parent.name.startswith(
        f"csf-{first['id']}-"
    )
    for _ in range(100):
        if copied.exists():
            break
        time.sleep(0.05)
    expected = LocalStore(demo).read_part(
        first["id"],
        first["manuscript"]
        if first["manuscript"].startswith("attachments/")
        else "raw.eml",
    )
    assert copied.read_bytes() == expected


def test_prefetch_loads_the_next_story_while_this_one_is_read():
    started = {name: threading.Event() for name in ("a", "b", "c")}

    def load(sub_id: str) -> Reading:
        started[sub_id].set()
        return Reading(Submission(id=sub_id, email="x@example.com", timestamp=0))

    walk = walk_queue(["a", "b", "c"], load, prefetch=True)
    assert next(walk).submission.id == "a"
    assert started["b"].wait(5)
    assert not started["c"].is_set()
    assert [r.submission.id for r in walk] == ["b", "c"]

    plain = walk_queue(["a", "b"], load, prefetch=False)
    started["b"].clear()
    next(plain)
    assert not started["b"].is_set()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_decide_reads_single_keys_from_a_real_terminal(csf, demo):
    import pty

    leader, follower = pty.openpty()
    env = {**os.environ, "CSF_HOME": str(demo), "PAGER": "cat", "COLUMNS": "100"}
    process = subprocess.Popen(
        [sys.executable, "-m", "compelling_cli", "decide"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        close_fds=True,
    )
    os.close(follower)
    seen = b""

    def until(marker: bytes, count: int = 1) -> None:
        nonlocal seen
        deadline = time.monotonic() + 30
        while seen.count(marker) < count and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(leader, 65536)
                except OSError:
                    break
        assert seen.count(marker) >= count, seen.decode(errors="replace")

    try:
        until(b"[q]uit")
        os.write(leader, b"s")
        until(b"[q]uit", 2)
        os.write(leader, b"q")
        until(b"This session:")
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        os.close(leader)
    text = seen.decode(errors="replace")
    assert "1 of 8 today" in text and "2 of 8 today" in text
    assert "This session: 1 skipped" in text

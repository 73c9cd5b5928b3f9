"""csf read and csf open on stored submissions."""

from __future__ import annotations

import json

import pytest

from compelling_cli.cli import library
from tests.conftest import make_message
from tests.manuscript_files import docx_bytes

STORY = "Rain came.\n\n#\n\nThe *river* rose.\n"


@pytest.fixture
def story_id(csf, tmp_path):
    raw = make_message(
        sender="Ann Writer <ann@example.com>",
        subject="Submission: High Water",
        body=STORY,
    )
    (tmp_path / "m.eml").write_bytes(raw)
    return json.loads(csf("ingest", tmp_path / "m.eml", "--json").stdout)[0]["id"]


def test_read_plain_has_the_header_and_the_story(csf, story_id):
    out = csf("read", story_id, "--plain").stdout
    assert "High Water" in out and "Ann Writer" in out
    assert "Rain came." in out and "The river rose." in out


def test_read_markdown_keeps_emphasis(csf, story_id):
    out = csf("read", story_id, "--format", "markdown").stdout
    assert "The *river* rose." in out


def test_read_json_gives_the_model(csf, story_id):
    data = json.loads(csf("read", story_id, "--json").stdout)
    assert data == json.loads(csf("read", story_id, "--format", "json").stdout)
    assert "Rain came." in json.dumps(data)


def test_read_blind_hides_the_author(csf, story_id):
    for args in (["--plain"], ["--format", "markdown"], ["--json"], []):
        out = csf("read", story_id, "--blind", *args).stdout
        assert "Ann Writer" not in out and "ann@example.com" not in out, args
        assert "river" in out


def test_read_unknown_format_is_a_usage_error(csf, story_id):
    result = csf("read", story_id, "--format", "pdf")
    assert result.exit_code == 2
    assert result.stderr == (
        "csf: error: unknown format 'pdf' (use text, markdown or json)\n"
    )


def test_an_unreadable_manuscript_is_one_line_and_stays_in_the_library(csf, tmp_path):
    raw = make_message(
        attachments=(("story.docx", b"this is not a zip", "application/octet-stream"),)
    )
    (tmp_path / "m.eml").write_bytes(raw)
    sub_id = json.loads(csf("ingest", tmp_path / "m.eml", "--json").stdout)[0]["id"]
    result = csf("read", sub_id)
    assert result.exit_code == 1
    assert result.stderr.startswith("csf: error: ")
    assert "story.docx" in result.stderr and len(result.stderr.splitlines()) == 1
    assert csf("show", sub_id, "--raw").stdout_bytes == raw


def test_open_copies_the_attachment_under_a_safe_name(csf, tmp_path, monkeypatch):
    docx = docx_bytes()
    raw = make_message(
        attachments=(("../../evil name.docx", docx, "application/octet-stream"),)
    )
    (tmp_path / "m.eml").write_bytes(raw)
    sub_id = json.loads(csf("ingest", tmp_path / "m.eml", "--json").stdout)[0]["id"]
    opened = []
    monkeypatch.setattr(library, "launch", opened.append)
    result = csf("open", sub_id)
    assert result.exit_code == 0, result.output
    (path,) = opened
    assert path.name == "evil name.docx"
    assert path.parent.name.startswith(f"csf-{sub_id}-")
    assert path.read_bytes() == docx
    assert result.stdout == f"Opened {path}\n"


def test_open_without_a_viewer_says_so(csf, story_id, monkeypatch):
    monkeypatch.setattr(library.shutil, "which", lambda name: None)
    monkeypatch.setattr(library.sys, "platform", "linux")
    result = csf("open", story_id)
    assert result.exit_code == 1
    assert "xdg-open is not installed" in result.stderr


def test_open_json_names_the_copy(csf, story_id, monkeypatch):
    opened = []
    monkeypatch.setattr(library, "launch", opened.append)
    data = json.loads(csf("open", story_id, "--json").stdout)
    assert data == {"id": story_id, "path": str(opened[0])}
    assert opened[0].name == "raw.eml"

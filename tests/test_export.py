"""csf export and csf import: every field comes back, nothing is added twice."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime

import pytest

from compelling_cli.model import Note, State, Submission
from compelling_cli.store.local import LocalStore
from compelling_cli.transfer import read_export, write_records
from tests.conftest import make_message


def tricky() -> Submission:
    """A record with every field set, and text a spreadsheet would take for formulas."""
    return Submission(
        id="tricky0001",
        email="ann@example.com",
        timestamp=1_790_000_000,
        state=State.REJECTED,
        author='=HYPERLINK("http://example.com")',
        title="'Quoted', with \"commas\"\nand a newline",
        subject="-1 + 2",
        message_id="<t@example.com>",
        word_count=4321,
        parts=["raw.eml", "attachments/Ó Briain, story.docx"],
        manuscript="attachments/Ó Briain, story.docx",
        decided_at=1_790_086_400,
        letter="form",
        notes=[Note(at=1_790_000_060, text="@reread: good ending")],
        reason="none",
        automatic="no",
        sent=["confirmation", "notification"],
    )


@pytest.fixture
def library(csf, tmp_path, isolated):
    """A local library of two stories through ingest, one rejected with a note."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n, title in enumerate(["First Light", "Second Sight"], 1):
        (inbox / f"{n}.eml").write_bytes(
            make_message(
                sender=f"Writer {n} <w{n}@example.com>",
                subject=f"Submission: {title}",
                date=datetime(2026, 11, n, tzinfo=UTC),
                message_id=f"<{n}@example.com>",
                attachments=(
                    ("story.txt", f"{title}\n\nA story.\n".encode(), "text/plain"),
                ),
            )
        )
    assert csf("ingest", inbox).exit_code == 0
    with LocalStore(isolated) as store:
        first = next(store.list()).id
        store.transition(first, State.UNREAD, State.REJECTED, at=1_795_000_000)
        store.add_note(first, Note(at=1_795_000_060, text="kind words"))
    return json.loads(csf("list", "--json").stdout)


@pytest.fixture
def target(request, tmp_path, monkeypatch):
    """Environment for csf to open another store: a second local library, or AWS."""
    if request.param == "aws":
        request.getfixturevalue("aws")
        from compelling_cli.store.aws import AwsStore

        AwsStore("csf_import", "csf-import-parts").setup(poll=0.01)
        return {
            "CSF_BACKEND": "aws",
            "CSF_TABLE": "csf_import",
            "CSF_BUCKET": "csf-import-parts",
        }
    return {"CSF_HOME": str(tmp_path / "elsewhere")}


def run_in(monkeypatch, env, csf, *args):
    with monkeypatch.context() as patched:
        for name, value in env.items():
            patched.setenv(name, value)
        return csf(*args)


@pytest.mark.parametrize("target", ["local", "aws"], indirect=True)
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_with_parts_rebuilds_the_library_elsewhere(
    csf, library, target, fmt, tmp_path, monkeypatch
):
    archive = tmp_path / "slush.zip"
    result = csf("export", "--format", fmt, "--parts", "--output", archive)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"2 submissions written to {archive}\n"

    first = run_in(monkeypatch, target, csf, "import", archive)
    again = run_in(monkeypatch, target, csf, "import", archive)

    assert (first.exit_code, first.stdout) == (0, "2 added, 0 already there\n")
    assert (again.exit_code, again.stdout) == (0, "0 added, 2 already there\n")
    moved = json.loads(run_in(monkeypatch, target, csf, "list", "--json").stdout)
    assert moved == library
    for sub in library:
        for command in (("show", "--raw"), ("read", "--json")):
            original = csf(command[0], sub["id"], *command[1:])
            copied = run_in(
                monkeypatch, target, csf, command[0], sub["id"], *command[1:]
            )
            assert original.exit_code == copied.exit_code == 0, copied.output
            assert copied.stdout_bytes == original.stdout_bytes


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_every_field_round_trips(fmt, tmp_path):
    path = tmp_path / f"export.{fmt}"
    with path.open("w", encoding="utf-8", newline="") as handle:
        assert write_records([tricky()], handle, fmt) == 1

    assert [sub for sub, parts in read_export(path)] == [tricky()]


def test_csv_has_the_documented_columns_and_defuses_formulas(csf, tmp_path, isolated):
    with LocalStore(isolated) as store:
        store.add(tricky(), {})

    result = csf("export", "--format", "csv")

    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    assert result.stdout.splitlines()[0] == (
        "id,state,received,decided,email,author,title,subject,message_id,word_count,"
        "letter,reason,automatic,manuscript,parts,notes,sent"
    )
    assert rows[1][:10] == [
        "tricky0001",
        "rejected",
        "2026-09-21T14:13:20Z",
        "2026-09-22T14:13:20Z",
        "ann@example.com",
        '\'=HYPERLINK("http://example.com")',
        "''Quoted', with \"commas\"\nand a newline",
        "'-1 + 2",
        "<t@example.com>",
        "4321",
    ]
    assert rows[1][14:] == [
        '["raw.eml", "attachments/Ó Briain, story.docx"]',
        '[{"at": "2026-09-21T14:14:20Z", "text": "@reread: good ending"}]',
        '["confirmation", "notification"]',
    ]


def test_import_without_parts_says_what_is_missing(csf, library, tmp_path, monkeypatch):
    export = tmp_path / "records.json"
    assert csf("export", "--output", export).exit_code == 0

    result = run_in(
        monkeypatch, {"CSF_HOME": str(tmp_path / "other")}, csf, "import", export
    )

    assert result.exit_code == 0
    assert result.stdout == (
        "2 added, 0 already there\n"
        "2 came without their parts: csf read will not find their manuscripts "
        "(export with --parts to bring them)\n"
    )


def test_import_json_report(csf, tmp_path, monkeypatch, isolated):
    with LocalStore(isolated) as store:
        store.add(tricky(), {})
    export = tmp_path / "one.json"
    assert csf("export", "-o", export).exit_code == 0

    result = csf("import", export, "--json")

    assert json.loads(result.stdout) == {"added": 0, "present": 1, "without_parts": 0}


def test_export_json_to_stdout_is_one_document(csf, library):
    result = csf("export")

    document = json.loads(result.stdout)
    assert (document["format"], document["version"]) == ("csf-export", 1)
    assert [r["id"] for r in document["submissions"]] == [s["id"] for s in library]


def test_an_unknown_format_is_a_usage_error(csf):
    result = csf("export", "--format", "xml")

    assert result.exit_code == 2
    assert result.stderr == (
        "csf: error: unknown export format 'xml' (use one of: csv, json)\n"
    )


def test_parts_need_an_output_file(csf):
    result = csf("export", "--parts")

    assert result.exit_code == 2
    assert result.stderr == (
        "csf: error: --parts writes a zip file (give --output FILE)\n"
    )


def test_an_unwritable_output_is_one_line(csf, tmp_path):
    result = csf("export", "--output", tmp_path / "missing" / "out.json")

    assert result.exit_code == 1
    assert result.stderr == (
        f"csf: error: cannot write {tmp_path / 'missing' / 'out.json'}: "
        "No such file or directory\n"
    )


def test_an_unreadable_file_is_one_line(csf, tmp_path):
    result = csf("import", tmp_path / "nope.json")

    assert result.exit_code == 1
    assert result.stderr == (
        f"csf: error: cannot read {tmp_path / 'nope.json'}: No such file or directory\n"
    )


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"\xff\xfe\x00binary", "not UTF-8 text"),
        (b'{"submissions": []}', 'JSON without "format": "csf-export"'),
        (b'{"format": "csf-export", ', "invalid JSON at line 1"),
        (
            b"name,email\nAnn,ann@example.com\n",
            "neither csf's JSON nor its CSV columns",
        ),
        (b"", "neither csf's JSON nor its CSV columns"),
    ],
)
def test_a_file_that_is_not_an_export_is_one_line(csf, tmp_path, content, why):
    path = tmp_path / "input"
    path.write_bytes(content)

    result = csf("import", path)

    assert result.exit_code == 1
    assert result.stderr == (
        f"csf: error: {path} is not a csf export: {why} (make one with csf export)\n"
    )


def test_a_zip_without_records_is_not_an_export(csf, tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.jpg", b"x")

    result = csf("import", path)

    assert result.exit_code == 1
    assert result.stderr == (
        f"csf: error: {path} is not a csf export: a zip without submissions.json "
        "or .csv (make one with csf export)\n"
    )


def test_an_export_of_another_version_is_refused(csf, tmp_path):
    path = tmp_path / "future.json"
    path.write_text('{"format": "csf-export", "version": 9, "submissions": []}')

    result = csf("import", path)

    assert result.exit_code == 1
    assert result.stderr == (
        f"csf: error: {path} is a csf export of version 9, not 1 "
        "(import it with the csf that made it)\n"
    )


def test_a_damaged_record_adds_nothing(csf, tmp_path):
    path = tmp_path / "damaged.json"
    good = tricky().to_record()
    path.write_text(
        json.dumps(
            {
                "format": "csf-export",
                "version": 1,
                "submissions": [good, {"email": "no id"}],
            }
        )
    )

    result = csf("import", path)

    assert result.exit_code == 1
    assert result.stderr == (
        f"csf: error: {path}: submission 2 cannot be read (KeyError: 'id') "
        "(fix or remove it, then import again)\n"
    )
    assert json.loads(csf("list", "--json").stdout) == []

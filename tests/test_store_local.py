"""What only the local library does: SQLite on disk, parts as files."""

from __future__ import annotations

import sqlite3

import pytest

from compelling_cli.errors import NotFound, StoreError
from compelling_cli.model import State
from compelling_cli.store import local
from compelling_cli.store.local import LocalStore
from tests.test_store import parts, submission


def test_the_library_is_sqlite_in_wal_mode_with_the_state_index(isolated):
    LocalStore(isolated).close()
    db = sqlite3.connect(isolated / "library.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM submissions WHERE evaluation_state = 0 "
        "ORDER BY timestamp, id LIMIT 1"
    ).fetchall()
    assert "submissions_state_timestamp" in " ".join(row[-1] for row in plan)


def test_parts_are_files_named_as_in_the_bucket(isolated):
    with LocalStore(isolated) as store:
        store.add(submission(1), {**parts(1), "attachments/a.docx": b"PK"})
    folder = isolated / "submissions" / "id00000001"
    assert (folder / "attachments" / "a.docx").read_bytes() == b"PK"
    assert (folder / "raw.eml").exists()
    assert not list((isolated / "submissions").glob(".staging-*"))


def test_a_failed_part_write_leaves_no_record(isolated, monkeypatch):
    with LocalStore(isolated) as store:
        real = local._write_part

        def fail_on_body(path, data):
            if path.name == "body.txt":
                raise OSError(28, "No space left on device")
            real(path, data)

        monkeypatch.setattr(local, "_write_part", fail_on_body)
        with pytest.raises(StoreError, match="No space left on device"):
            store.add(submission(1), parts(1))
        with pytest.raises(NotFound):
            store.get("id00000001")
        assert list((isolated / "submissions").iterdir()) == []

        monkeypatch.setattr(local, "_write_part", real)
        assert store.add(submission(1), parts(1)) is True
        assert store.read_part("id00000001", "body.txt") == b"x"


def test_a_part_name_cannot_leave_the_library(isolated):
    with (
        LocalStore(isolated) as store,
        pytest.raises(StoreError, match="leaves the library"),
    ):
        store.add(submission(1), {"../../escaped.txt": b"x"})
    assert not (isolated / "escaped.txt").exists()


def test_a_unique_id_prefix_finds_the_submission(isolated):
    with LocalStore(isolated) as store:
        store.add(submission(1), parts(1))
        store.add(submission(2), parts(2))
        assert store.get("id00000001").id == "id00000001"
        assert store.get("ID00000002").id == "id00000002"
        with pytest.raises(NotFound):
            store.get("id00")  # two submissions share it


def test_a_locked_library_is_a_clear_error(isolated):
    with LocalStore(isolated) as store:
        store.add(submission(1), parts(1))
    blocker = sqlite3.connect(isolated / "library.sqlite3", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with (
            LocalStore(isolated, timeout=0.1) as store,
            pytest.raises(StoreError, match="locked by another csf"),
        ):
            store.transition("id00000001", State.UNREAD, State.HELD, at=1)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_a_corrupt_library_is_a_clear_error(isolated):
    isolated.mkdir(parents=True)
    (isolated / "library.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="is damaged"):
        LocalStore(isolated)


def test_an_unwritable_home_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the library"):
        LocalStore(blocker / "library")

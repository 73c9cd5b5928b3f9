"""The local library: records in SQLite (WAL mode), parts as files beside it.

Layout under the library directory::

    library.sqlite3                 the records
    submissions/<id>/raw.eml        the parts, named as in the AWS bucket
    submissions/<id>/attachments/...
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError, NotFound, StoreError
from ..model import ID_LENGTH, Note, State, Submission
from ..queue import LetterStatus, QueuedLetter
from .base import Store, check_sort

if TYPE_CHECKING:
    from ..stats import Tally

DATABASE = "library.sqlite3"
_RUN = itertools.count()
PARTS = "submissions"
_SCHEMA_VERSION = 2
_LIST_COLUMNS = ("s3_postfixes", "notes", "sent")
_COLUMNS = (
    "id",
    "email",
    "evaluation_state",
    "timestamp",
    "author",
    "title",
    "subject",
    "message_id",
    "word_count",
    "s3_postfixes",
    "manuscript",
    "decided_at",
    "letter",
    "notes",
    "reason",
    "automatic",
    "sent",
)
_ORDERS = {
    "received": "timestamp, id",
    "words": "word_count, timestamp, id",
    "state": "evaluation_state, timestamp, id",
}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    evaluation_state INTEGER NOT NULL DEFAULT 0,
    timestamp INTEGER NOT NULL,
    author TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    word_count INTEGER NOT NULL DEFAULT 0,
    s3_postfixes TEXT NOT NULL DEFAULT '[]',
    manuscript TEXT,
    decided_at INTEGER,
    letter TEXT,
    notes TEXT NOT NULL DEFAULT '[]',
    reason TEXT,
    automatic TEXT,
    sent TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS submissions_state_timestamp
    ON submissions (evaluation_state, timestamp);
CREATE INDEX IF NOT EXISTS submissions_email ON submissions (email);
"""
# Version 2 adds the letter queue; a version 1 library gains it when next opened.
_LETTERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS letters (
    id TEXT PRIMARY KEY,
    submission TEXT NOT NULL,
    name TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    message BLOB NOT NULL,
    due INTEGER NOT NULL,
    created INTEGER NOT NULL,
    decision INTEGER NOT NULL,
    previous INTEGER NOT NULL,
    status INTEGER NOT NULL,
    by TEXT NOT NULL DEFAULT '',
    sent_at INTEGER,
    claimed_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX IF NOT EXISTS letters_status_due ON letters (status, due);
CREATE INDEX IF NOT EXISTS submissions_email_nocase
    ON submissions (email COLLATE NOCASE);
"""


class LocalStore(Store):
    """A library directory that needs no account and no server."""

    def __init__(self, home: Path, *, timeout: float = 5.0) -> None:
        self.home = Path(home)
        self.parts_dir = self.home / PARTS
        try:
            self.parts_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the library at {self.home}: {exc.strerror or exc}",
                "set CSF_HOME to a directory you can write",
            ) from exc
        self.path = self.home / DATABASE
        with self._errors():
            self.db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            if self.db.execute("PRAGMA user_version").fetchone()[0] < _SCHEMA_VERSION:
                self.db.executescript(_SCHEMA + _LETTERS_SCHEMA)
                self.db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn SQLite's failures into one-line errors that say what to do."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreError(
                    f"the library at {self.home} is locked by another csf",
                    "try again when it has finished",
                ) from exc
            raise StoreError(
                f"the library at {self.home} cannot be used: {exc}"
            ) from exc
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"the library at {self.path} is damaged: {exc}",
                "restore it from a backup or move it away",
            ) from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._errors():
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def add(self, submission: Submission, parts: Mapping[str, bytes]) -> bool:
        with self._errors():
            if self._row(submission.id) is not None:
                return False
        folder = self.parts_dir / submission.id
        if not folder.is_dir():
            self._write_parts(folder, parts)

        record = _to_row(submission)
        placeholders = ", ".join("?" for _ in _COLUMNS)
        with self._transaction() as db:
            cursor = db.execute(
                f"INSERT INTO submissions ({', '.join(_COLUMNS)}) "
                f"VALUES ({placeholders}) ON CONFLICT (id) DO NOTHING",
                [record[c] for c in _COLUMNS],
            )
        return cursor.rowcount == 1

    def _write_parts(self, folder: Path, parts: Mapping[str, bytes]) -> None:
        """Write every part into a staging folder, then rename it into place.

        One rename makes the whole set appear at once, so a crash leaves no folder
        with half its parts, and it costs one rename a submission, not one a part.
        """
        staging = folder.with_name(f".staging-{folder.name}-{os.getpid()}-{next(_RUN)}")
        try:
            staging.mkdir()
            for name, data in parts.items():
                path = self._part_path(staging, name)
                if path.parent != staging:
                    path.parent.mkdir(parents=True, exist_ok=True)
                _write_part(path, data)
            try:
                os.rename(staging, folder)
            except OSError:
                if not folder.is_dir():
                    raise
                shutil.rmtree(staging)  # another csf stored the same message first
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise StoreError(f"cannot write {folder}: {exc.strerror or exc}") from exc
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def get(self, sub_id: str) -> Submission:
        with self._errors():
            row = self._row(sub_id.strip().lower())
        if row is None:
            raise NotFound(
                f"no submission has the id {sub_id!r}", "csf list shows the ids"
            )
        return _from_row(row)

    def _row(self, sub_id: str) -> sqlite3.Row | None:
        row = self.db.execute(
            "SELECT * FROM submissions WHERE id = ?", (sub_id,)
        ).fetchone()
        if row is None and 4 <= len(sub_id) < ID_LENGTH:
            # A unique prefix will do, as with git's short hashes.
            rows = self.db.execute(
                "SELECT * FROM submissions WHERE id >= ? AND id < ? LIMIT 2",
                (sub_id, sub_id + "\U0010ffff"),
            ).fetchall()
            row = rows[0] if len(rows) == 1 else None
        return row

    def next_unread(self) -> Submission | None:
        with self._errors():
            row = self.db.execute(
                "SELECT * FROM submissions WHERE evaluation_state = ? "
                "ORDER BY timestamp, id LIMIT 1",
                (int(State.UNREAD),),
            ).fetchone()
        return None if row is None else _from_row(row)

    def list(
        self,
        state: State | None = None,
        *,
        author: str | None = None,
        since: int | None = None,
        sort: str = "received",
        limit: int | None = None,
    ) -> Iterator[Submission]:
        where, args = ["1"], []
        if state is not None:
            where.append("evaluation_state = ?")
            args.append(int(state))
        if since is not None:
            where.append("timestamp >= ?")
            args.append(since)
        if author:
            # SQLite's LIKE and lower() fold ASCII only; names are not all ASCII.
            self.db.create_function("csf_fold", 1, str.casefold, deterministic=True)
            where.append("instr(csf_fold(author || ' ' || email), ?) > 0")
            args.append(author.casefold())
        query = (
            f"SELECT * FROM submissions WHERE {' AND '.join(where)} "
            f"ORDER BY {_ORDERS[check_sort(sort)]}"
        )
        if limit is not None:
            query += " LIMIT ?"
            args.append(max(0, limit))
        with self._errors():
            rows = self.db.execute(query, args).fetchall()
        return (_from_row(row) for row in rows)

    def tally(
        self,
        *,
        since: int | None,
        now: int,
        progress: Callable[[int, int], None] | None = None,
    ) -> Tally:
        """Three aggregate queries, and one per kind of decision for its ranks."""
        from ..stats import (
            DAY,
            DECISIONS,
            FIRST_MONDAY,
            PACE_DAYS,
            WEEK,
            Tally,
            ranks_needed,
            spread,
        )

        start = -(2**62) if since is None else since
        tally = Tally(counts=dict.fromkeys(State, 0))
        decided: dict[State, int] = {}
        with self._errors():
            rows = self.db.execute(
                "SELECT evaluation_state, COUNT(*), MIN(timestamp), "
                "COUNT(decided_at), SUM(decided_at BETWEEN ? AND ?) "
                "FROM submissions WHERE timestamp >= ? GROUP BY evaluation_state",
                (now - PACE_DAYS * DAY, now, start),
            ).fetchall()
            for state_number, count, oldest, with_decision, recent in rows:
                state = State(state_number)
                tally.counts[state] = count
                decided[state] = with_decision
                if state is State.UNREAD:
                    tally.oldest_unread = oldest
                if state in DECISIONS:
                    tally.decided_recently += recent or 0

            weeks = self.db.execute(
                "SELECT (timestamp - ?) / ?, COUNT(*) FROM submissions "
                "WHERE timestamp >= ? GROUP BY 1",
                (FIRST_MONDAY, WEEK, start),
            )
            tally.weeks = {n * WEEK + FIRST_MONDAY: count for n, count in weeks}

            for state in (State.REJECTED, State.ACCEPTED):
                count = decided.get(state, 0)
                ranks = sorted(ranks_needed(count)) if count else []
                values = self.db.execute(
                    "SELECT rank, wait FROM (SELECT decided_at - timestamp AS wait, "
                    "ROW_NUMBER() OVER (ORDER BY decided_at - timestamp) - 1 AS rank "
                    "FROM submissions WHERE evaluation_state = ? AND timestamp >= ? "
                    "AND decided_at IS NOT NULL) "
                    f"WHERE rank IN ({', '.join('?' for _ in ranks)})",
                    (int(state), start, *ranks),
                )
                tally.response[state] = spread(count, dict(values.fetchall()))
        return tally

    def transition(
        self,
        sub_id: str,
        expected: State,
        target: State,
        *,
        at: int,
        letter: str | None = None,
    ) -> Submission:
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE submissions SET evaluation_state = ?, decided_at = ?, "
                "letter = ? WHERE id = ? AND evaluation_state = ?",
                (int(target), at, letter, sub_id, int(expected)),
            )
        if cursor.rowcount != 1:
            raise self._moved(sub_id, expected)
        return self.get(sub_id)

    def add_note(self, sub_id: str, note: Note) -> Submission:
        with self._transaction() as db:
            row = db.execute("SELECT notes FROM submissions WHERE id = ?", (sub_id,))
            found = row.fetchone()
            if found is None:
                raise NotFound(f"no submission has the id {sub_id!r}")
            notes = [*json.loads(found[0]), {"at": note.at, "text": note.text}]
            db.execute(
                "UPDATE submissions SET notes = ? WHERE id = ?",
                (json.dumps(notes), sub_id),
            )
        return self.get(sub_id)

    def mark_sent(self, sub_id: str, kind: str) -> None:
        with self._transaction() as db:
            found = db.execute("SELECT sent FROM submissions WHERE id = ?", (sub_id,))
            row = found.fetchone()
            if row is None:
                raise NotFound(f"no submission has the id {sub_id!r}")
            sent = json.loads(row[0])
            if kind not in sent:
                db.execute(
                    "UPDATE submissions SET sent = ? WHERE id = ?",
                    (json.dumps([*sent, kind]), sub_id),
                )

    def read_part(self, sub_id: str, name: str) -> bytes:
        path = self._part_path(self.parts_dir / sub_id, name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"{sub_id} has no part {name!r}") from None
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from exc

    def by_email(self, email: str) -> list[Submission]:
        with self._errors():
            rows = self.db.execute(
                "SELECT * FROM submissions WHERE email = ? COLLATE NOCASE "
                "ORDER BY timestamp, id",
                (email.strip(),),
            ).fetchall()
        return [_from_row(row) for row in rows]

    def queue_letter(self, letter: QueuedLetter) -> None:
        record = letter.to_record()
        names, marks = ", ".join(record), ", ".join("?" * len(record))
        with self._transaction() as db:
            cursor = db.execute(
                f"INSERT INTO letters ({names}) VALUES ({marks}) "
                "ON CONFLICT (id) DO NOTHING",
                list(record.values()),
            )
        if cursor.rowcount != 1:
            raise ConflictError(f"the letter {letter.id} is queued already")

    def get_letter(self, letter_id: str) -> QueuedLetter:
        with self._errors():
            row = self.db.execute(
                "SELECT * FROM letters WHERE id = ?", (letter_id,)
            ).fetchone()
        if row is None:
            raise NotFound(
                f"no letter has the id {letter_id!r}", "csf outbox lists them"
            )
        return QueuedLetter.from_record(dict(row))

    def due_letters(self, now: int) -> list[QueuedLetter]:
        return self._letters(
            "status = ? AND due <= ? ORDER BY due, id", (int(LetterStatus.QUEUED), now)
        )

    def list_letters(
        self,
        status: LetterStatus,
        *,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> list[QueuedLetter]:
        order = "coalesce(sent_at, due)" if status is LetterStatus.SENT else "due"
        direction = "DESC" if newest_first else "ASC"
        query = f"status = ? ORDER BY {order} {direction}, id {direction}"
        args: tuple[int, ...] = (int(status),)
        if limit is not None:
            query, args = query + " LIMIT ?", (*args, max(0, limit))
        return self._letters(query, args)

    def _letters(self, where: str, args: tuple[Any, ...]) -> list[QueuedLetter]:
        with self._errors():
            rows = self.db.execute(f"SELECT * FROM letters WHERE {where}", args)
            return [QueuedLetter.from_record(dict(row)) for row in rows.fetchall()]

    def claim_letter(self, letter_id: str, at: int) -> QueuedLetter | None:
        claimed = self._move_letter(
            letter_id, LetterStatus.QUEUED, LetterStatus.SENDING, claimed_at=at
        )
        return self.get_letter(letter_id) if claimed else None

    def mark_letter_sent(self, letter_id: str, at: int) -> None:
        if not self._move_letter(
            letter_id, LetterStatus.SENDING, LetterStatus.SENT, sent_at=at, error=None
        ):
            raise ConflictError(f"the letter {letter_id} was not being sent")

    def release_letter(self, letter_id: str, error: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE letters SET status = ?, error = ?, attempts = attempts + 1, "
                "claimed_at = NULL WHERE id = ? AND status = ?",
                (int(LetterStatus.QUEUED), error, letter_id, int(LetterStatus.SENDING)),
            )

    def cancel_letter(self, letter_id: str) -> bool:
        return self._move_letter(letter_id, LetterStatus.QUEUED, LetterStatus.CANCELLED)

    def _move_letter(
        self,
        letter_id: str,
        expected: LetterStatus,
        target: LetterStatus,
        **values: Any,
    ) -> bool:
        """One conditional write: the letter moves only if it is still ``expected``."""
        sets = "".join(f", {name} = ?" for name in values)
        with self._transaction() as db:
            cursor = db.execute(
                f"UPDATE letters SET status = ?{sets} WHERE id = ? AND status = ?",
                (int(target), *values.values(), letter_id, int(expected)),
            )
        return cursor.rowcount == 1

    def part_path(self, sub_id: str, name: str) -> Path:
        """Where a part lives on disk."""
        return self._part_path(self.parts_dir / sub_id, name)

    @staticmethod
    def _part_path(folder: Path, name: str) -> Path:
        path = (folder / name).resolve()
        if not path.is_relative_to(folder.resolve()):
            raise StoreError(f"refusing a part name that leaves the library: {name!r}")
        return path


def _write_part(path: Path, data: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(data)


def _to_row(submission: Submission) -> dict[str, Any]:
    record = submission.to_record()
    for column in _LIST_COLUMNS:
        record[column] = json.dumps(record[column], ensure_ascii=False)
    return record


def _from_row(row: sqlite3.Row) -> Submission:
    record = dict(row)
    for column in _LIST_COLUMNS:
        record[column] = json.loads(record[column] or "[]")
    return Submission.from_record(record)

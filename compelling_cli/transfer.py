"""Exports of the whole library, for a spreadsheet or for moving between stores.

Three shapes, each readable by ``import_export``:

- JSON: ``{"format": "csf-export", "version": 1, "submissions": [record, ...]}``, each
  record as ``Submission.to_record`` gives it, so every field comes back as it was;
- CSV: one row per submission under ``CSV_COLUMNS``, times in ISO 8601 UTC, states by
  name, the list columns (parts, notes, sent) as JSON arrays; a cell that a
  spreadsheet would take for a formula gets a leading ``'``, removed on import;
- a zip holding ``submissions.json`` or ``submissions.csv`` and every part as
  ``submissions/<id>/<part>``, as in the library and the bucket.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .errors import InputError, UsageError
from .model import Note, State, Submission, iso

if TYPE_CHECKING:
    from .store import Store

FORMATS = ("csv", "json")
MARK = "csf-export"
VERSION = 1
CSV_COLUMNS = (
    "id",
    "state",
    "received",
    "decided",
    "email",
    "author",
    "title",
    "subject",
    "message_id",
    "word_count",
    "letter",
    "reason",
    "automatic",
    "manuscript",
    "parts",
    "notes",
    "sent",
)
#: A cell starting with one of these is a formula to a spreadsheet (or our escape).
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "'")


@dataclass(frozen=True)
class ImportReport:
    """What ``import_export`` did."""

    added: int
    present: int
    #: Added without their parts, because the export did not hold them.
    partless: int


def check_format(name: str) -> str:
    """``name`` if it is an export format, else a usage error."""
    if name not in FORMATS:
        raise UsageError(
            f"unknown export format {name!r}", f"use one of: {', '.join(FORMATS)}"
        )
    return name


def write_records(subs: Iterable[Submission], handle: IO[str], fmt: str) -> int:
    """Write the records to a text handle in ``fmt``; the number written."""
    count = 0
    if check_format(fmt) == "json":
        handle.write(f'{{"format": "{MARK}", "version": {VERSION}, "submissions": [')
        for sub in subs:
            handle.write(",\n" if count else "\n")
            handle.write(json.dumps(sub.to_record(), ensure_ascii=False))
            count += 1
        handle.write("\n]}\n")
        return count
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for sub in subs:
        writer.writerow(_to_row(sub))
        count += 1
    return count


def write_archive(store: Store, path: Path, fmt: str) -> int:
    """A zip at ``path`` with the records in ``fmt`` and every part's bytes."""
    check_format(fmt)
    subs = list(store.list())
    try:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            with archive.open(f"submissions.{fmt}", "w") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                write_records(subs, text, fmt)
                text.flush()
                text.detach()
            for sub in subs:
                for name in sub.parts:
                    data = store.read_part(sub.id, name)
                    archive.writestr(f"submissions/{sub.id}/{name}", data)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return len(subs)


def import_export(
    store: Store, path: Path, *, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Add every submission of an export at ``path``; those already there stay as is."""
    added = present = partless = 0
    for sub, parts in read_export(path):
        if store.add(sub, parts):
            added += 1
            partless += bool(sub.parts) and not parts
        else:
            present += 1
        if progress is not None:
            progress(added + present)
    return ImportReport(added, present, partless)


def read_export(path: Path) -> Iterator[tuple[Submission, dict[str, bytes]]]:
    """Each submission of an export, with its parts where the export holds them.

    The whole export is checked before the first submission is yielded, so a file
    that is not an export adds nothing.
    """
    try:
        if zipfile.is_zipfile(path):
            yield from _read_archive(path)
            return
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    for sub in _parse(data, path):
        yield sub, {}


def _read_archive(path: Path) -> Iterator[tuple[Submission, dict[str, bytes]]]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise _not_an_export(path, "a damaged zip") from exc
    with archive:
        names = set(archive.namelist())
        inside = [
            f"submissions.{fmt}" for fmt in FORMATS if f"submissions.{fmt}" in names
        ]
        if not inside:
            raise _not_an_export(path, "a zip without submissions.json or .csv")
        subs = _parse(archive.read(inside[0]), path)
        for sub in subs:
            folder = f"submissions/{sub.id}/"
            parts = {
                name: archive.read(folder + name)
                for name in sub.parts
                if folder + name in names
            }
            yield sub, parts


def _parse(data: bytes, path: Path) -> list[Submission]:
    """The submissions of a JSON or CSV export, or an InputError saying why not."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_an_export(path, "not UTF-8 text") from None
    if text.lstrip().startswith("{"):
        return _parse_json(text, path)
    return _parse_csv(text, path)


def _parse_json(text: str, path: Path) -> list[Submission]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _not_an_export(path, f"invalid JSON at line {exc.lineno}") from None
    if not isinstance(document, dict) or document.get("format") != MARK:
        raise _not_an_export(path, f'JSON without "format": "{MARK}"')
    version = document.get("version")
    if version != VERSION:
        raise InputError(
            f"{path} is a csf export of version {version!r}, not {VERSION}",
            "import it with the csf that made it",
        )
    records = document.get("submissions")
    if not isinstance(records, list):
        raise _not_an_export(path, 'no "submissions" list')
    return [
        _checked(Submission.from_record, record, n, path)
        for n, record in enumerate(records, 1)
    ]


def _parse_csv(text: str, path: Path) -> list[Submission]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or tuple(header) != CSV_COLUMNS:
            raise _not_an_export(path, "neither csf's JSON nor its CSV columns")
        return [_checked(_from_row, row, n, path) for n, row in enumerate(reader, 1)]
    except csv.Error as exc:
        raise _not_an_export(path, f"unreadable CSV: {exc}") from None


def _checked(build: Callable[[Any], Submission], item: Any, n: int, path: Path):
    try:
        return build(item)
    except (KeyError, ValueError, TypeError, AttributeError, UsageError) as exc:
        raise InputError(
            f"{path}: submission {n} cannot be read ({type(exc).__name__}: {exc})",
            "fix or remove it, then import again",
        ) from None


def _not_an_export(path: Path, why: str) -> InputError:
    return InputError(f"{path} is not a csf export: {why}", "make one with csf export")


def _to_row(sub: Submission) -> list[Any]:
    notes = [{"at": iso(note.at), "text": note.text} for note in sub.notes]
    cells = {
        "id": sub.id,
        "state": sub.state.label,
        "received": iso(sub.timestamp),
        "decided": iso(sub.decided_at) or "",
        "email": sub.email,
        "author": sub.author,
        "title": sub.title,
        "subject": sub.subject,
        "message_id": sub.message_id,
        "word_count": sub.word_count,
        "letter": sub.letter or "",
        "reason": sub.reason or "",
        "automatic": sub.automatic or "",
        "manuscript": sub.manuscript or "",
        "parts": json.dumps(sub.parts, ensure_ascii=False),
        "notes": json.dumps(notes, ensure_ascii=False),
        "sent": json.dumps(sub.sent, ensure_ascii=False),
    }
    return [_escape(cells[column]) for column in CSV_COLUMNS]


def _from_row(row: list[str]) -> Submission:
    if len(row) != len(CSV_COLUMNS):
        raise ValueError(f"{len(row)} columns, not {len(CSV_COLUMNS)}")
    cells = {
        column: _unescape(cell) for column, cell in zip(CSV_COLUMNS, row, strict=True)
    }
    notes = [
        Note(at=_epoch(note["at"]), text=str(note["text"]))
        for note in json.loads(cells["notes"] or "[]")
    ]
    return Submission(
        id=cells["id"],
        email=cells["email"],
        timestamp=_epoch(cells["received"]),
        state=State.parse(cells["state"]) if cells["state"] else State.UNREAD,
        author=cells["author"],
        title=cells["title"],
        subject=cells["subject"],
        message_id=cells["message_id"],
        word_count=int(cells["word_count"] or 0),
        parts=[str(p) for p in json.loads(cells["parts"] or "[]")],
        manuscript=cells["manuscript"] or None,
        decided_at=_epoch(cells["decided"]) if cells["decided"] else None,
        letter=cells["letter"] or None,
        notes=notes,
        reason=cells["reason"] or None,
        automatic=cells["automatic"] or None,
        sent=[str(s) for s in json.loads(cells["sent"] or "[]")],
    )


def _epoch(text: str) -> int:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _escape(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def _unescape(value: str) -> str:
    return value[1:] if value.startswith("'") else value

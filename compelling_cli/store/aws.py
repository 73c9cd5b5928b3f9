"""The AWS store: records in DynamoDB, parts in S3.

One item per submission, keyed by ``id``, with the attributes of
``Submission.to_record``; the index ``evaluation_state-timestamp-index`` (hash
``evaluation_state``, range ``timestamp``, all attributes) answers ``next`` and
``list``. Parts live at ``s3://<bucket>/submissions/<id>/<name>``. No method scans.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from ..aws import client, error_code, error_message, translated
from ..errors import ConflictError, NotFound, StoreError
from ..model import ID_LENGTH, Note, State, Submission
from ..queue import LetterStatus, QueuedLetter
from ..stats import Tally, tally_records
from .base import Store, check_sort

if TYPE_CHECKING:
    from ..config import Settings

INDEX = "evaluation_state-timestamp-index"
PARTS = "submissions"
_SUBMISSION_STATES = frozenset(str(int(state)) for state in State)
# DynamoDB says ValidationException for a missing index; moto, ResourceNotFound.
_MISSING_INDEX = {"ValidationException", "ResourceNotFoundException"}
_SERIALIZE = TypeSerializer().serialize
_DESERIALIZE = TypeDeserializer().deserialize


class AwsStore(Store):
    """A DynamoDB table and an S3 bucket, as the Lambda fills them."""

    def __init__(
        self,
        table: str,
        bucket: str | None = None,
        *,
        dynamodb: Any = None,
        s3: Any = None,
    ) -> None:
        self.table = table
        self.bucket = bucket
        self._dynamodb = dynamodb
        self._s3 = s3

    @classmethod
    def from_settings(cls, settings: Settings) -> AwsStore:
        """The table and bucket the settings name; nothing is called until needed."""
        return cls(settings.table or "compelling_submissions", settings.bucket)

    @property
    def dynamodb(self) -> Any:
        if self._dynamodb is None:
            self._dynamodb = client("dynamodb")
        return self._dynamodb

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = client("s3")
        return self._s3

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """One-line errors for what the table and bucket can get wrong."""
        with translated(what):
            try:
                yield
            except ClientError as exc:
                code, message = error_code(exc), error_message(exc)
                if INDEX in message and code in _MISSING_INDEX:
                    raise StoreError(
                        f"the table {self.table} has no index {INDEX}",
                        "run csf setup to add it",
                    ) from exc
                if code == "ResourceNotFoundException":
                    raise StoreError(
                        f"the DynamoDB table {self.table} does not exist",
                        "run csf setup, or set CSF_TABLE",
                    ) from exc
                if code == "NoSuchBucket":
                    raise StoreError(
                        f"the S3 bucket {self.bucket} does not exist",
                        "run csf setup, or set CSF_BUCKET",
                    ) from exc
                raise

    def _bucket(self) -> str:
        if not self.bucket:
            raise StoreError(
                "no S3 bucket is set for the parts", "set CSF_BUCKET or bucket = ..."
            )
        return self.bucket

    @staticmethod
    def part_key(sub_id: str, name: str) -> str:
        """The S3 key of one part of a submission."""
        return f"{PARTS}/{sub_id}/{name}"

    def add(
        self,
        submission: Submission,
        parts: Mapping[str, bytes],
        *,
        copies: Mapping[str, tuple[str, str]] | None = None,
    ) -> bool:
        """Store the parts, then the item if it is not there yet.

        ``copies`` names parts already in S3, as (bucket, key): they are copied inside
        S3 rather than sent through this process.
        """
        if self._item(submission.id) is not None:
            return False
        bucket = self._bucket()
        with self._errors(f"cannot store the parts of {submission.id}"):
            for name, data in parts.items():
                self.s3.put_object(
                    Bucket=bucket, Key=self.part_key(submission.id, name), Body=data
                )
            for name, (source_bucket, source_key) in (copies or {}).items():
                self.s3.copy_object(
                    Bucket=bucket,
                    Key=self.part_key(submission.id, name),
                    CopySource={"Bucket": source_bucket, "Key": source_key},
                )
        return self._put_new(to_item(submission), f"cannot record {submission.id}")

    def _put_new(self, item: dict[str, Any], what: str) -> bool:
        """Write ``item`` unless one with its id exists; False if one did."""
        try:
            with self._errors(what):
                self.dynamodb.put_item(
                    TableName=self.table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(id)",
                )
        except StoreError as exc:
            if error_code(exc.__cause__) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _item(self, sub_id: str) -> dict[str, Any] | None:
        with self._errors(f"cannot read {sub_id}"):
            found = self.dynamodb.get_item(
                TableName=self.table, Key={"id": {"S": sub_id}}, ConsistentRead=True
            )
        return found.get("Item")

    def get(self, sub_id: str) -> Submission:
        wanted = sub_id.strip().lower()
        item = self._item(wanted) if wanted else None
        if item is not None and not _is_submission(item):
            item = None  # a queued letter shares the table, not the id space
        if item is None:
            hint = "csf list shows the ids"
            if 0 < len(wanted) < ID_LENGTH:
                hint = f"give all {ID_LENGTH} characters: on AWS a prefix will not do"
            raise NotFound(f"no submission has the id {sub_id!r}", hint)
        return from_item(item)

    def next_unread(self) -> Submission | None:
        with self._errors("cannot read the queue"):
            found = self.dynamodb.query(**self._by_state(State.UNREAD), Limit=1)
        items = found.get("Items", [])
        return from_item(items[0]) if items else None

    def list(
        self,
        state: State | None = None,
        *,
        author: str | None = None,
        since: int | None = None,
        sort: str = "received",
        limit: int | None = None,
    ) -> Iterator[Submission]:
        check_sort(sort)
        states = list(State) if state is None else [state]
        streams = [
            _in_order(from_item(item) for item in self._pages(s, since=since))
            for s in states
        ]
        if sort == "state":
            found: Iterator[Submission] = itertools.chain(*streams)
        else:
            found = heapq.merge(*streams, key=lambda sub: (sub.timestamp, sub.id))
        if author:
            wanted = author.casefold()
            found = (s for s in found if wanted in f"{s.author} {s.email}".casefold())
        if sort == "words":
            found = iter(sorted(found, key=lambda s: (s.word_count, s.timestamp, s.id)))
        return itertools.islice(found, None if limit is None else max(0, limit))

    def tally(
        self,
        *,
        since: int | None,
        now: int,
        progress: Callable[[int, int], None] | None = None,
    ) -> Tally:
        """One query per state on the index, projecting the three attributes used."""
        read = {"pages": 0, "items": 0, "paging": False}

        def counted(page: dict[str, Any]) -> None:
            read["pages"] += 1
            read["items"] += len(page.get("Items", []))
            read["paging"] = read["paging"] or "LastEvaluatedKey" in page
            if progress is not None and read["paging"]:
                progress(read["pages"], read["items"])

        projection = "evaluation_state, #ts, decided_at"
        records = (
            {name: _DESERIALIZE(value) for name, value in item.items()}
            for state in State
            for item in self._pages(
                state, since=since, projection=projection, on_page=counted
            )
        )
        return tally_records(records, since=since, now=now)

    def _by_state(self, state: State, since: int | None = None) -> dict[str, Any]:
        request = {
            "TableName": self.table,
            "IndexName": INDEX,
            "KeyConditionExpression": "evaluation_state = :state",
            "ExpressionAttributeValues": {":state": {"N": str(int(state))}},
            "ScanIndexForward": True,
        }
        if since is not None:
            request["KeyConditionExpression"] += " AND #ts >= :since"
            request["ExpressionAttributeValues"][":since"] = {"N": str(since)}
            request["ExpressionAttributeNames"] = {"#ts": "timestamp"}
        return request

    def _pages(
        self,
        state: State,
        *,
        since: int | None = None,
        projection: str | None = None,
        on_page: Callable[[dict[str, Any]], None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The items of one state, received since ``since``, page after page."""
        request = self._by_state(state, since)
        if projection is not None:
            request["ProjectionExpression"] = projection
            request["ExpressionAttributeNames"] = {"#ts": "timestamp"}
        while True:
            with self._errors("cannot list the submissions"):
                page = self.dynamodb.query(**request)
            if on_page is not None:
                on_page(page)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def transition(
        self,
        sub_id: str,
        expected: State,
        target: State,
        *,
        at: int,
        letter: str | None = None,
    ) -> Submission:
        values = {
            ":expected": {"N": str(int(expected))},
            ":target": {"N": str(int(target))},
            ":at": {"N": str(at)},
        }
        update = "SET evaluation_state = :target, decided_at = :at"
        if letter is None:
            update += " REMOVE letter"
        else:
            update += ", letter = :letter"
            values[":letter"] = {"S": letter}
        item = self._update(
            sub_id,
            update,
            values,
            condition="attribute_exists(id) AND evaluation_state = :expected",
            on_conflict=lambda: self._moved(sub_id, expected),
        )
        return from_item(item)

    def add_note(self, sub_id: str, note: Note) -> Submission:
        entry = _SERIALIZE([{"at": note.at, "text": note.text}])
        item = self._update(
            sub_id,
            "SET notes = list_append(if_not_exists(notes, :empty), :note)",
            {":note": entry, ":empty": {"L": []}},
            condition="attribute_exists(id)",
            on_conflict=lambda: NotFound(f"no submission has the id {sub_id!r}"),
        )
        return from_item(item)

    def mark_sent(self, sub_id: str, kind: str) -> None:
        self._update(
            sub_id,
            "SET sent = list_append(if_not_exists(sent, :empty), :kind)",
            {":kind": {"L": [{"S": kind}]}, ":empty": {"L": []}, ":one": {"S": kind}},
            condition="attribute_exists(id) AND NOT contains(sent, :one)",
            on_conflict=lambda: self._sent_already(sub_id),
        )

    def _sent_already(self, sub_id: str) -> NotFound | None:
        """A failed mark_sent is fine when the mail was marked already."""
        if self._item(sub_id) is None:
            return NotFound(f"no submission has the id {sub_id!r}")
        return None

    def _update(
        self,
        sub_id: str,
        expression: str,
        values: dict[str, Any],
        *,
        condition: str,
        on_conflict: Callable[[], Exception | None],
    ) -> dict[str, Any]:
        """One conditional UpdateItem; ``on_conflict`` says what a failed one means."""
        try:
            with self._errors(f"cannot change {sub_id}"):
                found = self.dynamodb.update_item(
                    TableName=self.table,
                    Key={"id": {"S": sub_id}},
                    UpdateExpression=expression,
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                )
        except StoreError as exc:
            if error_code(exc.__cause__) != "ConditionalCheckFailedException":
                raise
            error = on_conflict()
            if error is not None:
                raise error from None
            return {}
        return found["Attributes"]

    def read_part(self, sub_id: str, name: str) -> bytes:
        bucket = self._bucket()
        try:
            with self._errors(f"cannot read {name} of {sub_id}"):
                found = self.s3.get_object(
                    Bucket=bucket, Key=self.part_key(sub_id, name)
                )
                return found["Body"].read()
        except StoreError as exc:
            if error_code(exc.__cause__) in {"NoSuchKey", "404"}:
                raise NotFound(f"{sub_id} has no part {name!r}") from None
            raise

    def stream(self, bucket: str, key: str) -> Iterator[bytes]:
        """Any object's bytes, such as a message SES stored, 64 KB at a time.

        NotFound, at once, if it is gone.
        """
        try:
            with self._errors(f"cannot read s3://{bucket}/{key}"):
                body = self.s3.get_object(Bucket=bucket, Key=key)["Body"]
        except StoreError as exc:
            if error_code(exc.__cause__) in {"NoSuchKey", "404"}:
                raise NotFound(f"s3://{bucket}/{key} does not exist") from None
            raise
        return body.iter_chunks(1 << 16)

    # The letter queue: letters are items of the same table, keyed by the letter's
    # id, with a status from 10 up in evaluation_state and their send time (once
    # sent, the time they went) in timestamp. The state index then answers "which
    # letters are due" with one Query, and every change of status is conditional.

    def queue_letter(self, letter: QueuedLetter) -> None:
        if not self._put_new(
            _letter_item(letter), f"cannot queue the letter {letter.id}"
        ):
            raise ConflictError(f"the letter {letter.id} is queued already")

    def get_letter(self, letter_id: str) -> QueuedLetter:
        item = self._item(letter_id)
        if item is None or "submission" not in item:
            raise NotFound(
                f"no letter has the id {letter_id!r}", "csf outbox lists them"
            )
        return _from_letter_item(item)

    def due_letters(self, now: int) -> list[QueuedLetter]:
        return self._letters(LetterStatus.QUEUED, until=now)

    def list_letters(
        self,
        status: LetterStatus,
        *,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> list[QueuedLetter]:
        return self._letters(status, newest_first=newest_first, limit=limit)

    def _letters(
        self,
        status: LetterStatus,
        *,
        until: int | None = None,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> list[QueuedLetter]:
        """One Query on the state index, page after page, up to ``limit`` letters."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": INDEX,
            "KeyConditionExpression": "evaluation_state = :status",
            "ExpressionAttributeValues": {":status": {"N": str(int(status))}},
            "ScanIndexForward": not newest_first,
        }
        if until is not None:
            request["KeyConditionExpression"] += " AND #ts <= :until"
            request["ExpressionAttributeValues"][":until"] = {"N": str(until)}
            request["ExpressionAttributeNames"] = {"#ts": "timestamp"}
        found: list[QueuedLetter] = []
        while limit is None or len(found) < limit:
            if limit is not None:
                request["Limit"] = limit - len(found)
            with self._errors("cannot read the letter queue"):
                page = self.dynamodb.query(**request)
            found += [_from_letter_item(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found

    def claim_letter(self, letter_id: str, at: int) -> QueuedLetter | None:
        item = self._move_letter(
            letter_id, LetterStatus.QUEUED, LetterStatus.SENDING, put={"claimed_at": at}
        )
        return None if item is None else _from_letter_item(item)

    def mark_letter_sent(self, letter_id: str, at: int) -> None:
        moved = self._move_letter(
            letter_id,
            LetterStatus.SENDING,
            LetterStatus.SENT,
            put={"sent_at": at, "timestamp": at},
            drop=("error",),
        )
        if moved is None:
            raise ConflictError(f"the letter {letter_id} was not being sent")

    def release_letter(self, letter_id: str, error: str) -> None:
        letter = self.get_letter(letter_id)
        self._move_letter(
            letter_id,
            LetterStatus.SENDING,
            LetterStatus.QUEUED,
            put={"error": error, "attempts": letter.attempts + 1},
            drop=("claimed_at",),
        )

    def cancel_letter(self, letter_id: str) -> bool:
        moved = self._move_letter(
            letter_id, LetterStatus.QUEUED, LetterStatus.CANCELLED
        )
        return moved is not None

    def _move_letter(
        self,
        letter_id: str,
        expected: LetterStatus,
        target: LetterStatus,
        *,
        put: Mapping[str, Any] | None = None,
        drop: Iterable[str] = (),
    ) -> dict[str, Any] | None:
        """One conditional UpdateItem: the letter moves only if still ``expected``.

        Attribute names go through placeholders: ``timestamp`` and ``error`` are
        words DynamoDB reserves.
        """
        changes = {"evaluation_state": int(target), **(put or {})}
        names = {f"#a{n}": name for n, name in enumerate([*changes, *drop])}
        aliases = {name: alias for alias, name in names.items()}
        update = "SET " + ", ".join(
            f"{aliases[k]} = :a{n}" for n, k in enumerate(changes)
        )
        if drop:
            update += " REMOVE " + ", ".join(aliases[name] for name in drop)
        values = {f":a{n}": _SERIALIZE(v) for n, v in enumerate(changes.values())}
        values[":expected"] = _SERIALIZE(int(expected))
        try:
            with self._errors(f"cannot change the letter {letter_id}"):
                found = self.dynamodb.update_item(
                    TableName=self.table,
                    Key={"id": {"S": letter_id}},
                    UpdateExpression=update,
                    ConditionExpression=f"{aliases['evaluation_state']} = :expected",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                )
        except StoreError as exc:
            if error_code(exc.__cause__) == "ConditionalCheckFailedException":
                return None
            raise
        return found["Attributes"]

    def setup(self, *, wait: float = 600.0, poll: float = 5.0) -> list[str]:
        """Create the table, its index and the bucket where missing; say what was done.

        A table without the index (as the original Lambda made it) gets the index
        added in place; its items stay as they are.
        """
        done = [self._ensure_table(wait, poll)]
        if self.bucket:
            done.append(self._ensure_bucket())
        return done

    def _describe(self) -> dict[str, Any] | None:
        try:
            with self._errors(f"cannot read the table {self.table}"):
                return self.dynamodb.describe_table(TableName=self.table)["Table"]
        except StoreError as exc:
            if error_code(exc.__cause__) == "ResourceNotFoundException":
                return None
            raise

    def _ensure_table(self, wait: float, poll: float) -> str:
        table = self._describe()
        if table is None:
            with self._errors(f"cannot create the table {self.table}"):
                self.dynamodb.create_table(
                    TableName=self.table,
                    AttributeDefinitions=_ATTRIBUTES,
                    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                    BillingMode="PAY_PER_REQUEST",
                    GlobalSecondaryIndexes=[_index()],
                )
            self._wait_active(wait, poll)
            return f"Created the table {self.table} with the index {INDEX}"

        indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
        if INDEX in indexes:
            self._wait_active(wait, poll)
            return f"Found the table {self.table} with the index {INDEX}"

        # A table the original Lambda made: add the index, keep every item.
        index = _index()
        billing = table.get("BillingModeSummary", {}).get("BillingMode")
        if billing != "PAY_PER_REQUEST" and "ProvisionedThroughput" in table:
            throughput = table["ProvisionedThroughput"]
            index["ProvisionedThroughput"] = {
                "ReadCapacityUnits": throughput["ReadCapacityUnits"],
                "WriteCapacityUnits": throughput["WriteCapacityUnits"],
            }
        with self._errors(f"cannot add the index {INDEX} to {self.table}"):
            self.dynamodb.update_table(
                TableName=self.table,
                AttributeDefinitions=_ATTRIBUTES,
                GlobalSecondaryIndexUpdates=[{"Create": index}],
            )
        self._wait_active(wait, poll)
        return f"Added the index {INDEX} to the table {self.table}; no item changed"

    def _wait_active(self, wait: float, poll: float) -> None:
        """Wait until the table and its index can serve queries."""
        deadline = time.monotonic() + wait
        while True:
            table = self._describe() or {}
            index = next(
                (
                    i
                    for i in table.get("GlobalSecondaryIndexes", [])
                    if i["IndexName"] == INDEX
                ),
                {},
            )
            if (
                table.get("TableStatus") == "ACTIVE"
                and index.get("IndexStatus") == "ACTIVE"
                and not index.get("Backfilling")
            ):
                return
            if time.monotonic() > deadline:
                raise StoreError(
                    f"the table {self.table} or its index is still not active",
                    "run csf setup again later",
                )
            time.sleep(poll)

    def _ensure_bucket(self) -> str:
        bucket = self._bucket()
        try:
            with self._errors(f"cannot read the bucket {bucket}"):
                self.s3.head_bucket(Bucket=bucket)
            return f"Found the bucket {bucket}"
        except StoreError as exc:
            if error_code(exc.__cause__) not in {"404", "NoSuchBucket", "NotFound"}:
                raise
        options: dict[str, Any] = {}
        region = self.s3.meta.region_name
        if region and region != "us-east-1":
            options["CreateBucketConfiguration"] = {"LocationConstraint": region}
        with self._errors(f"cannot create the bucket {bucket}"):
            self.s3.create_bucket(Bucket=bucket, **options)
        return f"Created the bucket {bucket}"


_ATTRIBUTES = [
    {"AttributeName": "id", "AttributeType": "S"},
    {"AttributeName": "evaluation_state", "AttributeType": "N"},
    {"AttributeName": "timestamp", "AttributeType": "N"},
]


def _index() -> dict[str, Any]:
    return {
        "IndexName": INDEX,
        "KeySchema": [
            {"AttributeName": "evaluation_state", "KeyType": "HASH"},
            {"AttributeName": "timestamp", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }


def to_item(submission: Submission) -> dict[str, Any]:
    """The submission as a DynamoDB item; absent values are left out."""
    record = submission.to_record()
    return {
        name: _SERIALIZE(value)
        for name, value in record.items()
        if value is not None and value != "" and value != []
    }


def from_item(item: Mapping[str, Any]) -> Submission:
    """A submission from a DynamoDB item, such as the original Lambda wrote."""
    return Submission.from_record({k: _DESERIALIZE(v) for k, v in item.items()})


def _letter_item(letter: QueuedLetter) -> dict[str, Any]:
    """A queued letter as an item of the submissions' table."""
    record = letter.to_record()
    record["evaluation_state"] = record.pop("status")
    record["timestamp"] = letter.sent_at if letter.sent_at is not None else letter.due
    return {
        name: _SERIALIZE(value)
        for name, value in record.items()
        if value is not None and value != ""
    }


def _from_letter_item(item: Mapping[str, Any]) -> QueuedLetter:
    record = {k: _DESERIALIZE(v) for k, v in item.items()}
    record["status"] = record["evaluation_state"]
    if "message" in record:
        record["message"] = bytes(record["message"])
    return QueuedLetter.from_record(record)


def _in_order(subs: Iterable[Submission]) -> Iterator[Submission]:
    """Within one timestamp the index has no order; give it the id's, as SQLite does."""
    for _, group in itertools.groupby(subs, key=lambda sub: sub.timestamp):
        yield from sorted(group, key=lambda sub: sub.id)


def _is_submission(item: dict[str, Any]) -> bool:
    """Whether a raw item is a submission rather than a queued letter."""
    return item.get("evaluation_state", {}).get("N", "0") in _SUBMISSION_STATES

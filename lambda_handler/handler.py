"""The ingest Lambda: a message SES stored in S3 becomes a submission.

A thin adapter over the library csf itself uses: ``parse_stream`` reads the message,
the AWS store keeps it, ``acknowledge`` sends the confirmation and the notification
that the item does not yet record as sent. Every step can run again: the item is
written only if absent and each mail is marked on it once it went out, so S3's
redeliveries and Lambda's retries give one submission and one confirmation.

Events: S3 notifications, the same wrapped in SQS or SNS, SES receipt events
(``aws:ses``, the message stored by the rule's S3 action under ``CSF_INCOMING_PREFIX``)
and SES's own SNS notifications. Settings come from the environment: ``CSF_TABLE``,
``CSF_BUCKET``, ``CSF_FROM_EMAIL``, ``CSF_EDITOR_EMAIL``, ``CSF_MAGAZINE``.

Each message leaves one JSON line on stdout (id, bucket, key, outcome, duration), for
CloudWatch Logs Insights. It is written with the standard library: powertools' Logger
would add a dependency to the deployment package for one line per message.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from compelling_cli.config import Settings, load_settings
from compelling_cli.errors import ConfigError, NotFound
from compelling_cli.ingest import acknowledge
from compelling_cli.mail import RAW_PART, parse_stream
from compelling_cli.model import State
from compelling_cli.outbox.ses import SesOutbox
from compelling_cli.store.aws import PARTS, AwsStore

DEFAULT_INCOMING_PREFIX = "incoming/"


class IngestFailed(Exception):
    """Some messages of an event failed in a way a retry may fix."""


@dataclass(frozen=True)
class Stored:
    """A raw message waiting in S3."""

    bucket: str
    key: str


class _StdoutLines(logging.Handler):
    """Each record as one line on the stdout of the moment (Lambda sends it on)."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stdout.write(self.format(record) + "\n")
        sys.stdout.flush()


log = logging.getLogger("csf.ingest")
if not log.handlers:
    log.addHandler(_StdoutLines())
    log.setLevel(logging.INFO)
    log.propagate = False

RESOURCES: dict[tuple[Any, ...], tuple[AwsStore, SesOutbox]] = {}


def lambda_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any] | None:
    """Ingest every message the event names; for SQS, report the ones to retry."""
    settings = load_settings({"backend": "aws"})
    store, outbox = resources(settings)
    request_id = getattr(context, "aws_request_id", None)
    prefix = os.environ.get("CSF_INCOMING_PREFIX", DEFAULT_INCOMING_PREFIX)
    records = list(event.get("Records") or ())

    if records and records[0].get("eventSource") == "aws:sqs":
        failures = []
        for record in records:
            found = _unwrap(record, settings, prefix)
            if not _ingest_all(found, store, outbox, settings, request_id):
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    found = _unwrap(event, settings, prefix)
    if not _ingest_all(found, store, outbox, settings, request_id):
        raise IngestFailed("a message could not be ingested; Lambda will retry")
    return None


def resources(settings: Settings) -> tuple[AwsStore, SesOutbox]:
    """The store and outbox, kept between invocations of a warm function."""
    key = (
        tuple(sorted(settings.values.items())),
        *(os.environ.get(name) for name in ("AWS_ENDPOINT_URL", "AWS_REGION")),
        os.environ.get("AWS_DEFAULT_REGION"),
    )
    if key not in RESOURCES:
        RESOURCES.clear()
        RESOURCES[key] = (
            AwsStore.from_settings(settings),
            SesOutbox.from_settings(settings),
        )
    return RESOURCES[key]


def _ingest_all(
    found: Iterator[Stored | str],
    store: AwsStore,
    outbox: SesOutbox,
    settings: Settings,
    request_id: str | None = None,
) -> bool:
    """Ingest each message; False if any of them should be tried again."""
    ok = True
    try:
        for item in found:
            if isinstance(item, str):
                _log({"outcome": "ignored", "reason": item}, 0.0, request_id)
                continue
            ok = ingest(item, store, outbox, settings, request_id) and ok
    except ConfigError as exc:
        _log({"outcome": "failed", "error": str(exc)}, 0.0, request_id)
        return False
    except (ValueError, KeyError, TypeError) as exc:
        # An event of a shape this function was not made for: retrying cannot help.
        reason = f"unreadable event: {type(exc).__name__}: {exc}"
        _log({"outcome": "ignored", "reason": reason}, 0.0, request_id)
    return ok


def ingest(
    stored: Stored,
    store: AwsStore,
    outbox: SesOutbox,
    settings: Settings,
    request_id: str | None = None,
) -> bool:
    """One message: parts, then the item, then the mail it is owed. False: retry."""
    started = time.perf_counter()
    fields: dict[str, Any] = {"id": None, "bucket": stored.bucket, "key": stored.key}
    if stored.key.startswith(PARTS + "/"):
        # A part csf wrote itself: a notification without a prefix filter sent it.
        fields.update(outcome="ignored", reason="a part csf stored")
        _log(fields, started, request_id)
        return True
    try:
        try:
            chunks = store.stream(stored.bucket, stored.key)
        except NotFound as exc:
            fields.update(outcome="missing", reason=str(exc))
            _log(fields, started, request_id)
            return True
        # Read as a stream, the message is never held whole; its raw bytes are
        # copied inside S3 and only the decoded parts are sent.
        parsed = parse_stream(chunks)
        submission = parsed.submission
        fields["id"] = submission.id
        copies = {RAW_PART: (stored.bucket, stored.key)}
        created = store.add(submission, parsed.parts, copies=copies)
        del parsed
        if not created:
            submission = store.get(submission.id)
        sent = acknowledge(submission, store, outbox, settings)
    except Exception as exc:  # any fault here is worth a retry: the steps are safe
        error = f"{type(exc).__name__}: {exc}"
        _log({**fields, "outcome": "failed", "error": error}, started, request_id)
        return False

    if not created:
        outcome = "duplicate"
    elif submission.state == State.QUARANTINED:
        outcome = "quarantined"
        fields["reason"] = submission.reason
    else:
        outcome = "created"
    _log({**fields, "outcome": outcome, "sent": sent}, started, request_id)
    return True


def _unwrap(
    payload: Mapping[str, Any], settings: Settings, prefix: str
) -> Iterator[Stored | str]:
    """The messages an event or SQS record names; a str says why one is skipped."""
    if payload.get("eventSource") == "aws:sqs":
        yield from _unwrap(json.loads(payload["body"]), settings, prefix)
        return
    if payload.get("Type") == "Notification":  # an SNS envelope, as SQS receives it
        yield from _unwrap(json.loads(payload["Message"]), settings, prefix)
        return
    if payload.get("Event") == "s3:TestEvent":
        yield "the test event S3 sends when a notification is configured"
        return
    if payload.get("notificationType") == "Received":  # SES through SNS
        yield _from_ses(payload, settings, prefix)
        return
    if "Records" not in payload:
        yield f"an event without Records: {sorted(payload)[:5]}"
        return

    for record in payload["Records"]:
        source = record.get("eventSource") or record.get("EventSource")
        if source == "aws:s3":
            s3 = record["s3"]
            key = unquote_plus(s3["object"]["key"])
            yield Stored(s3["bucket"]["name"], key)
        elif source == "aws:sns":
            yield from _unwrap(json.loads(record["Sns"]["Message"]), settings, prefix)
        elif source == "aws:ses":
            yield _from_ses(record["ses"], settings, prefix)
        elif source == "aws:sqs":
            yield from _unwrap(record, settings, prefix)
        else:
            yield f"a record from {source!r}"


def _from_ses(ses: Mapping[str, Any], settings: Settings, prefix: str) -> Stored:
    """Where SES stored the message: its S3 action says, else the configured prefix."""
    action = ses.get("receipt", {}).get("action", {})
    if action.get("type") == "S3" and action.get("objectKey"):
        return Stored(action["bucketName"], action["objectKey"])
    if not settings.bucket:
        raise ConfigError("an SES event names no bucket and CSF_BUCKET is not set")
    return Stored(settings.bucket, prefix + ses["mail"]["messageId"])


def _log(fields: dict[str, Any], started: float, request_id: str | None = None) -> None:
    duration = (time.perf_counter() - started) * 1000 if started else 0.0
    line = {"message": "ingest", **fields, "duration_ms": round(duration, 1)}
    if request_id:
        line["request_id"] = request_id
    log.info(json.dumps(line, ensure_ascii=False, default=str))

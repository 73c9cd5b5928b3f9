"""The ingest Lambda against moto, with events shaped as AWS sends them."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote_plus

import pytest

from compelling_cli.config import load_settings
from compelling_cli.model import State
from lambda_handler import handler
from tests.conftest import make_message

EVENTS = Path(__file__).parent / "events"
BUCKET = "csf-mail"
REGION = "eu-west-1"
SAMPLE_KEY = "incoming/Glass+Orchard+%282%29.eml"
SENDER = "submissions@example-magazine.test"
EDITOR = "editor@example-magazine.test"


def event(name: str, key: str | None = None) -> dict:
    """A sample event from tests/events, naming ``key`` (URL-encoded as S3 does)."""
    data = json.loads((EVENTS / f"{name}.json").read_text())
    if key is None:
        return data
    # The key appears as is in nested bodies too: it holds no quote to escape.
    text = json.dumps(data).replace(SAMPLE_KEY, quote_plus(key, safe="/"))
    return json.loads(text)


def inject(client, operation: str, code: str, times: int = 1) -> dict:
    """Make the next ``times`` calls of ``operation`` fail with ``code``."""
    state = {"left": times, "failed": 0}
    service = client.meta.service_model.service_id.hyphenize()

    def fail(**_):
        if state["left"] <= 0:
            return None
        state["left"] -= 1
        state["failed"] += 1
        return (
            SimpleNamespace(status_code=400, headers={}),
            {
                "Error": {"Code": code, "Message": "injected fault"},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
        )

    client.meta.events.register(f"before-call.{service}.{operation}", fail)
    return state


def sent_mail() -> list:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return [
        message_from_bytes(m.raw_data.encode(), policy=policy.default)
        for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    ]


@pytest.fixture
def lam(aws, monkeypatch):
    """The function's environment in a mocked account: table, bucket, SES identity."""
    import boto3

    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("CSF_BUCKET", BUCKET)
    monkeypatch.setenv("CSF_FROM_EMAIL", SENDER)
    monkeypatch.setenv("CSF_EDITOR_EMAIL", EDITOR)
    monkeypatch.setenv("CSF_MAGAZINE", "Night Harbor")
    monkeypatch.delenv("CSF_INCOMING_PREFIX", raising=False)
    handler.RESOURCES.clear()
    store, outbox = handler.resources(load_settings({"backend": "aws"}))
    store.setup()
    boto3.client("ses").verify_domain_identity(Domain="example-magazine.test")
    return SimpleNamespace(store=store, outbox=outbox, s3=store.s3)


def put(lam, key: str, raw: bytes) -> None:
    lam.s3.put_object(Bucket=BUCKET, Key=key, Body=raw)


def logs(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


KEY = "incoming/Glass Orchard (2).eml"


def test_s3_event_stores_the_submission_and_sends_both_letters(lam, capsys):
    raw = make_message(
        attachments=(("orchard.txt", b"The orchard was glass.", "text/plain"),)
    )
    put(lam, KEY, raw)

    assert handler.lambda_handler(event("s3_put", KEY), None) is None

    [line] = logs(capsys)
    sub = lam.store.get(line["id"])
    assert (sub.title, sub.email, sub.state) == (
        "The Glass Orchard",
        "jane@example.com",
        State.UNREAD,
    )
    assert sub.sent == ["confirmation", "notification"]
    assert lam.store.read_part(sub.id, "raw.eml") == raw
    assert (
        lam.store.read_part(sub.id, "attachments/orchard.txt")
        == b"The orchard was glass."
    )
    assert [(m["To"], m["X-CSF-Letter"]) for m in sent_mail()] == [
        ("Jane Writer <jane@example.com>", "confirmation"),
        (EDITOR, "notification"),
    ]
    assert line["bucket"] == BUCKET and line["key"] == KEY
    assert line["outcome"] == "created" and line["sent"] == [
        "confirmation",
        "notification",
    ]
    assert isinstance(line["duration_ms"], float)


def test_the_raw_message_is_copied_inside_s3_not_uploaded(lam, capsys):
    put(lam, KEY, make_message())
    calls = []
    lam.s3.meta.events.register(
        "before-parameter-build.s3.*",
        lambda model, params, **_: calls.append((model.name, params.get("Key"))),
    )

    handler.lambda_handler(event("s3_put", KEY), None)

    sub_id = logs(capsys)[0]["id"]
    raw_key = f"submissions/{sub_id}/raw.eml"
    assert ("CopyObject", raw_key) in calls
    assert ("PutObject", raw_key) not in calls
    assert [c for c in calls if c[0] == "GetObject"] == [("GetObject", KEY)]


def test_a_redelivered_event_gives_one_item_and_one_confirmation(lam, capsys):
    put(lam, KEY, make_message())

    for _ in range(3):
        handler.lambda_handler(event("s3_put", KEY), None)

    outcomes = [line["outcome"] for line in logs(capsys)]
    assert outcomes == ["created", "duplicate", "duplicate"]
    assert [m["X-CSF-Letter"] for m in sent_mail()] == ["confirmation", "notification"]
    assert len(list(lam.store.list())) == 1


def test_a_retry_after_a_failed_send_sends_only_what_is_missing(lam, capsys):
    put(lam, KEY, make_message())
    inject(lam.outbox.ses, "SendRawEmail", "Throttling")

    with pytest.raises(handler.IngestFailed):
        handler.lambda_handler(event("s3_put", KEY), None)
    [failed] = logs(capsys)
    assert failed["outcome"] == "failed"
    assert failed["error"] == (
        "SendError: cannot send the letter to jane@example.com: AWS is throttling "
        "the requests, even after retries (try again in a minute)"
    )
    assert lam.store.get(failed["id"]).sent == []

    handler.lambda_handler(event("s3_put", KEY), None)
    assert [m["X-CSF-Letter"] for m in sent_mail()] == ["confirmation", "notification"]


def test_a_failed_notification_is_sent_alone_on_the_retry(lam, capsys):
    put(lam, KEY, make_message())
    calls = {"n": 0}

    def second_send_fails(**_):
        calls["n"] += 1
        if calls["n"] == 2:
            return (
                SimpleNamespace(status_code=400, headers={}),
                {"Error": {"Code": "Throttling", "Message": "Maximum sending rate"}},
            )
        return None

    lam.outbox.ses.meta.events.register(
        "before-call.ses.SendRawEmail", second_send_fails
    )
    with pytest.raises(handler.IngestFailed):
        handler.lambda_handler(event("s3_put", KEY), None)
    sub_id = logs(capsys)[0]["id"]
    assert lam.store.get(sub_id).sent == ["confirmation"]

    handler.lambda_handler(event("s3_put", KEY), None)

    assert [m["X-CSF-Letter"] for m in sent_mail()] == ["confirmation", "notification"]
    assert logs(capsys)[0]["sent"] == ["notification"]
    assert lam.store.get(sub_id).sent == ["confirmation", "notification"]


def test_a_throttled_write_fails_that_sqs_record_only(lam, capsys):
    put(lam, KEY, make_message())
    put(lam, "incoming/other", make_message(subject="Other story", message_id="<o@x>"))
    sqs = event("sqs_s3", KEY)
    second = copy.deepcopy(sqs["Records"][0])
    second["messageId"] = "1a2b3c4d-0000-4000-8000-000000000002"
    second["body"] = json.dumps(event("s3_put", "incoming/other"))
    sqs["Records"].append(second)
    inject(lam.store.dynamodb, "PutItem", "ProvisionedThroughputExceededException")

    result = handler.lambda_handler(sqs, None)

    first_id = sqs["Records"][0]["messageId"]
    assert result == {"batchItemFailures": [{"itemIdentifier": first_id}]}
    assert [line["outcome"] for line in logs(capsys)] == ["failed", "created"]
    assert len(sent_mail()) == 2

    assert handler.lambda_handler(sqs, None) == {"batchItemFailures": []}
    assert [line["outcome"] for line in logs(capsys)] == ["created", "duplicate"]
    assert len(sent_mail()) == 4


def test_a_throttled_write_makes_an_s3_event_fail_for_a_retry(lam, capsys):
    put(lam, KEY, make_message())
    inject(lam.store.dynamodb, "PutItem", "ThrottlingException")

    with pytest.raises(handler.IngestFailed):
        handler.lambda_handler(event("s3_put", KEY), None)

    [line] = logs(capsys)
    assert line["outcome"] == "failed"
    assert "throttling" in line["error"]
    assert sent_mail() == []


def test_an_sns_wrapped_s3_event_is_ingested(lam, capsys):
    put(lam, KEY, make_message())

    handler.lambda_handler(event("sns_s3", KEY), None)

    [line] = logs(capsys)
    assert (line["key"], line["outcome"]) == (KEY, "created")


def test_an_ses_receipt_event_reads_the_message_under_the_incoming_prefix(
    lam, capsys, monkeypatch
):
    ses = event("ses_receipt")
    message_id = ses["Records"][0]["ses"]["mail"]["messageId"]
    monkeypatch.setenv("CSF_INCOMING_PREFIX", "mail/")
    put(lam, f"mail/{message_id}", make_message())

    handler.lambda_handler(ses, SimpleNamespace(aws_request_id="req-1"))

    [line] = logs(capsys)
    assert (line["bucket"], line["key"]) == (BUCKET, f"mail/{message_id}")
    assert (line["outcome"], line["request_id"]) == ("created", "req-1")


@pytest.mark.parametrize("header", ["X-SES-Virus-Verdict", "X-SES-Spam-Verdict"])
def test_an_ses_fail_verdict_is_quarantined_without_a_reply(lam, capsys, header):
    put(lam, KEY, make_message(headers={header: "FAIL"}))

    handler.lambda_handler(event("s3_put", KEY), None)

    [line] = logs(capsys)
    sub = lam.store.get(line["id"])
    what = "virus" if "Virus" in header else "spam"
    assert (sub.state, sub.reason) == (State.QUARANTINED, f"SES {what} verdict FAIL")
    assert line["outcome"] == "quarantined"
    assert "jane@example.com" not in [str(m["To"]) for m in sent_mail()]


def test_a_bounce_is_quarantined_and_answered_by_no_one(lam, capsys):
    put(lam, KEY, make_message(sender="MAILER-DAEMON <mailer-daemon@example.com>"))

    handler.lambda_handler(event("s3_put", KEY), None)

    assert logs(capsys)[0]["outcome"] == "quarantined"
    assert sent_mail() == []


def test_an_unparseable_message_is_quarantined_not_retried(lam, capsys):
    garbage = b"\x00\xff\xfe not a message at all \x00"
    put(lam, KEY, garbage)

    assert handler.lambda_handler(event("s3_put", KEY), None) is None

    [line] = logs(capsys)
    sub = lam.store.get(line["id"])
    assert sub.state is State.QUARANTINED and sub.reason
    assert lam.store.read_part(sub.id, "raw.eml") == garbage


def test_a_message_gone_from_the_bucket_is_logged_not_retried(lam, capsys):
    assert handler.lambda_handler(event("s3_put", "incoming/gone"), None) is None

    [line] = logs(capsys)
    assert line["outcome"] == "missing"
    assert line["reason"] == f"s3://{BUCKET}/incoming/gone does not exist"


def test_the_s3_test_event_is_ignored(lam, capsys):
    assert handler.lambda_handler(event("sqs_s3_test_event"), None) == {
        "batchItemFailures": []
    }
    assert logs(capsys)[0]["outcome"] == "ignored"


def test_parts_csf_wrote_itself_do_not_loop(lam, capsys):
    put(lam, "submissions/abc/raw.eml", make_message())

    handler.lambda_handler(event("s3_put", "submissions/abc/raw.eml"), None)

    assert logs(capsys)[0]["outcome"] == "ignored"
    assert list(lam.store.list()) == []


def test_an_unverified_sender_fails_with_a_clear_line(lam, capsys, monkeypatch):
    monkeypatch.setenv("CSF_FROM_EMAIL", "letters@unverified.test")
    put(lam, KEY, make_message())

    with pytest.raises(handler.IngestFailed):
        handler.lambda_handler(event("s3_put", KEY), None)

    [line] = logs(capsys)
    assert line["error"].startswith(
        "SendError: SES refused the letter to jane@example.com: "
    )
    assert "(verify letters@unverified.test or its domain in SES" in line["error"]


def test_the_handler_imports_neither_typer_nor_rich():
    code = (
        "import sys, lambda_handler.handler\n"
        "print(sorted(m for m in ('typer', 'rich') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"

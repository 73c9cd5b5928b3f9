"""End to end over HTTP: moto's server, the real csf in a subprocess, the handler.

The way an editor meets it: csf setup, SES drops a message in the bucket, S3 calls
the function, csf next shows the story and csf reject decides it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import boto3
import pytest

from lambda_handler import handler
from tests.conftest import make_message
from tests.test_lambda import EDITOR, SENDER, event, sent_mail

pytestmark = pytest.mark.slow

BUCKET = "csf-mail"
KEY = "incoming/0b3f6c2a9d1e4f5a Glass+Orchard.eml"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(monkeypatch, tmp_path):
    """A moto server on a free port, and this process and its children pointed at it."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    environment = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "CSF_BACKEND": "aws",
        "CSF_BUCKET": BUCKET,
        "CSF_CONFIG": os.devnull,
        "CSF_FROM_EMAIL": SENDER,
        "CSF_EDITOR_EMAIL": EDITOR,
        "CSF_HOME": str(tmp_path / "home"),
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    handler.RESOURCES.clear()
    try:
        yield
    finally:
        moto.stop()


def csf(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "compelling_cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_message_goes_from_the_bucket_to_a_decision(server):
    setup = csf("setup")
    assert setup.returncode == 0, setup.stderr
    assert setup.stdout.splitlines() == [
        "Created the table compelling_submissions with the index "
        "evaluation_state-timestamp-index",
        f"Created the bucket {BUCKET}",
    ]
    boto3.client("ses").verify_domain_identity(Domain="example-magazine.test")
    raw = make_message()
    boto3.client("s3").put_object(Bucket=BUCKET, Key=KEY, Body=raw)

    assert handler.lambda_handler(event("s3_put", KEY), None) is None

    shown = csf("next", "--json")
    assert shown.returncode == 0, shown.stderr
    story = json.loads(shown.stdout)
    assert (story["title"], story["state"]) == ("The Glass Orchard", "unread")
    assert [m["X-CSF-Letter"] for m in sent_mail()] == ["confirmation", "notification"]

    decided = csf("reject", "--no-letter")
    assert decided.returncode == 0, decided.stderr
    assert decided.stderr == f"csf: using {story['id']}, the submission last shown\n"
    after = json.loads(csf("show", story["id"], "--json").stdout)
    assert after["state"] == "rejected"
    assert csf("next").stdout == "The queue is empty: no unread submissions.\n"

    # The raw message the function copied inside S3 is the one SES stored.
    copied = subprocess.run(
        [sys.executable, "-m", "compelling_cli", "show", story["id"], "--raw"],
        capture_output=True,
        timeout=60,
    )
    assert copied.stdout == raw

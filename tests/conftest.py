"""Each test gets its own library, config and home directory, and a way to run csf."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compelling_cli.cli import app


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every test away from the editor's real library, config and AWS account."""
    home = tmp_path / "library"
    for name in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / "user" / name.lower()))
    for name in [n for n in os.environ if n.startswith("CSF_")] + ["PAGER"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CSF_HOME", str(home))
    monkeypatch.setenv("CSF_CONFIG", str(tmp_path / "config.toml"))
    return home


class Csf:
    """Runs csf in process and keeps what it printed."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None):
        return self.runner.invoke(app, [str(a) for a in args], input=input)


@pytest.fixture
def csf() -> Csf:
    return Csf()


def make_message(
    *,
    sender: str = "Jane Writer <jane@example.com>",
    subject: str = "Submission: The Glass Orchard",
    body: str = "Dear Editor,\n\nPlease consider my story.\n",
    date: datetime = datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
    received: datetime | None = None,
    message_id: str = "<glass-orchard@example.com>",
    attachments: tuple[tuple[str, bytes, str], ...] = (),
    headers: dict[str, str] | None = None,
) -> bytes:
    """A realistic message as bytes; attachments are (name, data, mime type)."""
    msg = EmailMessage()
    if received is not None:
        msg["Received"] = (
            "from mail.example.com by mx.example-magazine.test with ESMTPS id 1; "
            + format_datetime(received)
        )
    msg["From"] = sender
    msg["To"] = "submissions@example-magazine.test"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(msg)


@pytest.fixture
def message() -> Callable[..., bytes]:
    return make_message


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch):
    """A mocked AWS account (moto) with fake credentials and a region, nothing real."""
    from moto import mock_aws

    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        yield


@pytest.fixture(params=["local", "aws"])
def store(request: pytest.FixtureRequest, isolated: Path):
    """Each store behind the one interface, empty."""
    if request.param == "aws":
        request.getfixturevalue("aws")
        from compelling_cli.store.aws import AwsStore

        opened = AwsStore("csf_test", "csf-test-parts")
        opened.setup()
        yield opened
        return
    from compelling_cli.store.local import LocalStore

    with LocalStore(isolated) as opened:
        yield opened

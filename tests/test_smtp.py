"""Letters through SMTP, against a small SMTP server on 127.0.0.1 run by the test."""

from __future__ import annotations

import base64
import json
import socketserver
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from compelling_cli.config import load_settings
from compelling_cli.errors import ConfigError, SendError
from compelling_cli.outbox import open_outbox
from compelling_cli.outbox.smtp import SmtpOutbox
from tests.conftest import make_message


class Mailhost(socketserver.ThreadingTCPServer):
    """Speaks enough SMTP for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), _Session)
        self.received: list[tuple[list[str], bytes]] = []
        self.logins: list[str] = []
        self.fail_data: str | None = None
        self.password = "s3cret"

    @property
    def port(self) -> int:
        return self.server_address[1]


class _Session(socketserver.StreamRequestHandler):
    server: Mailhost

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 mailhost.test ESMTP")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-mailhost.test")
                self.reply("250-AUTH PLAIN")
                self.reply("250 8BITMIME")
            elif verb == "AUTH":
                _, user, password = (
                    base64.b64decode(command.split()[2]).decode().split("\0")
                )
                if password == self.server.password:
                    self.server.logins.append(user)
                    self.reply("235 2.7.0 Accepted")
                else:
                    self.reply("535 5.7.8 Bad credentials")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip("<> "))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                if self.server.fail_data:
                    self.reply(self.server.fail_data)
                else:
                    self.server.received.append((recipients, data))
                    self.reply("250 2.0.0 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


@pytest.fixture
def mailhost():
    server = Mailhost()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def letter(to: str = "Zoë <zoe@example.com>") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "submissions@example-magazine.test"
    message["To"] = to
    message["Subject"] = "Re: Submission: The Glass Orchard"
    message["Message-ID"] = "<letter-1@example-magazine.test>"
    message.set_content("Dear Zoë,\n\nNot this one, but send us more.\n")
    return message


def test_a_letter_goes_through_smtp_with_a_login(mailhost, monkeypatch):
    monkeypatch.setenv("CSF_SMTP_PASSWORD", "s3cret")
    outbox = SmtpOutbox.from_url(f"smtp://ada@127.0.0.1:{mailhost.port}")
    assert outbox.send(letter()) == "<letter-1@example-magazine.test>"
    [(recipients, data)] = mailhost.received
    assert recipients == ["zoe@example.com"]
    assert mailhost.logins == ["ada"]
    got = message_from_bytes(data, policy=policy.default)
    assert got["Subject"] == "Re: Submission: The Glass Orchard"
    assert (
        got.get_content().replace("\r\n", "\n")
        == "Dear Zoë,\n\nNot this one, but send us more.\n"
    )


def test_the_url_gives_host_port_user_and_password():
    plain = SmtpOutbox.from_url("smtp://ada:pa%40ss@mail.example.com", environ={})
    assert (plain.host, plain.port, plain.tls) == ("mail.example.com", 587, False)
    assert (plain.user, plain.password) == ("ada", "pa@ss")
    secure = SmtpOutbox.from_url(
        "smtps://ada@mail.example.com", environ={"CSF_SMTP_PASSWORD": "env"}
    )
    assert (secure.port, secure.tls, secure.password) == (465, True, "env")


@pytest.mark.parametrize(
    "url", ["http://mail.example.com", "smtp://", "smtp://host:99999", "mail.example"]
)
def test_a_bad_smtp_url_is_a_config_error(url):
    with pytest.raises(ConfigError, match="smtp_url"):
        SmtpOutbox.from_url(url, environ={})


def test_the_outbox_is_smtp_when_the_url_is_set(monkeypatch, isolated):
    monkeypatch.setenv("CSF_SMTP_URL", "smtp://mail.example.com:2525")
    outbox = open_outbox(load_settings())
    assert (type(outbox), outbox.port) == (SmtpOutbox, 2525)
    monkeypatch.delenv("CSF_SMTP_URL")
    assert type(open_outbox(load_settings())).__name__ == "MaildirOutbox"


def test_a_refused_message_is_a_send_error_with_the_reply(mailhost):
    mailhost.fail_data = "451 4.3.0 try again later"
    outbox = SmtpOutbox.from_url(f"smtp://127.0.0.1:{mailhost.port}", environ={})
    with pytest.raises(SendError) as caught:
        outbox.send(letter())
    assert str(caught.value) == (
        f"the mail server 127.0.0.1:{mailhost.port} said: 451 4.3.0 try again later"
    )


def test_a_wrong_password_says_what_to_check(mailhost):
    url = f"smtp://ada:wrong@127.0.0.1:{mailhost.port}"
    with pytest.raises(SendError, match=r"refused the login: 535 5\.7\.8 Bad"):
        SmtpOutbox.from_url(url, environ={}).send(letter())


def test_no_server_is_a_send_error():
    outbox = SmtpOutbox.from_url("smtp://127.0.0.1:1", environ={})
    with pytest.raises(SendError, match=r"cannot reach the mail server 127\.0\.0\.1:1"):
        outbox.send(letter())


def test_no_password_in_the_clear_to_another_machine():
    # 127.0.0.2 is this machine too, but csf cannot know it; it stands for any host.
    server = Mailhost("127.0.0.2")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        outbox = SmtpOutbox.from_url(f"smtp://ada:s3cret@127.0.0.2:{server.port}")
        with pytest.raises(SendError, match="will not send your password in the clear"):
            outbox.send(letter())
        assert server.logins == [] and server.received == []
    finally:
        server.shutdown()
        server.server_close()


def test_a_failed_send_waits_in_the_queue_and_goes_once_later(
    csf, mailhost, monkeypatch, tmp_path
):
    monkeypatch.setenv("CSF_SMTP_URL", f"smtp://127.0.0.1:{mailhost.port}")
    (tmp_path / "story.eml").write_bytes(make_message())
    sub = json.loads(csf("ingest", tmp_path / "story.eml", "--json").stdout)[0]
    assert len(mailhost.received) == 1  # the confirmation

    mailhost.fail_data = "451 4.3.0 try again later"
    result = csf("reject", sub["id"])
    assert result.exit_code == 1
    assert result.stdout == (
        f"Rejected {sub['id']}: The Glass Orchard by Jane Writer\n"
    )
    assert result.stderr == (
        "csf: error: the form letter to jane@example.com could not be sent: the mail "
        f"server 127.0.0.1:{mailhost.port} said: 451 4.3.0 try again later "
        "(it waits in the outbox; csf send tries again)\n"
    )
    waiting = json.loads(csf("outbox", "--json").stdout)["waiting"]
    assert [(x["status"], x["attempts"]) for x in waiting] == [("queued", 1)]

    mailhost.fail_data = None
    sent = csf("send")
    assert sent.exit_code == 0
    assert sent.stdout == (
        f"Sent the form letter for {sub['id']} to jane@example.com.\n"
    )
    assert csf("send").stdout == "No letters are due.\n"
    letters = [data for _, data in mailhost.received]
    assert sum(b"X-CSF-Letter: form" in data for data in letters) == 1

"""Mail and webhook after a run, against a real SMTP server and a real HTTP receiver on loopback."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from playwright.sync_api import Page
from support import PASSWORD as OPERATOR_PASSWORD
from support import MockPortal, Operator, make_ctx, make_settings, write_batch

from bot.logs import clear_secrets, register_secret
from bot.run.artifacts import EntryResult, RunSummary
from bot.run.notify import SIGNATURE_HEADER, MailSettings, Notice, notify, run_notice, send_mail, signature
from flows.register import mock_mailbox, register

pytestmark = pytest.mark.notify

PASSWORD = "Smtp-Canary-Passw0rd"


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, _server: Any, _session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))  # type: ignore[arg-type]
        return "250 OK"


def authenticate(_server: Any, _session: Session, _envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.password.decode() == PASSWORD
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    """A port nothing listens on now (aiosmtpd's Controller needs one named: it checks it by connecting)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def trust(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@contextmanager
def smtp_server(**options: Any) -> Iterator[tuple[Inbox, int]]:
    """An aiosmtpd server on loopback with `options` (TLS, authentication); its inbox and port."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def starttls_server(ca: trustme.CA) -> Iterator[tuple[Inbox, int]]:
    """An SMTP server that offers STARTTLS and accepts a log-in only over TLS (aiosmtpd's auth_require_tls)."""
    with smtp_server(tls_context=server_tls(ca), authenticator=authenticate, auth_require_tls=True) as server:
        yield server


@pytest.fixture
def plain_server() -> Iterator[tuple[Inbox, int]]:
    """An SMTP server with no TLS at all."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def smtps_server(ca: trustme.CA) -> Iterator[tuple[Inbox, int]]:
    """An SMTP server that speaks TLS from the first byte."""
    with smtp_server(ssl_context=server_tls(ca), authenticator=authenticate, auth_require_tls=False) as server:
        yield server


def a_notice(tmp_path: Path, report_bytes: int = 2_000) -> Notice:
    report = tmp_path / "report.html"
    report.write_text("<html>" + "x" * report_bytes + "</html>", encoding="utf-8")
    summary = RunSummary(run_id="20261201T010000-000", started_at="2026-12-01T01:00:00+00:00",
                         portal_url="http://127.0.0.1:1", trace_mode="off", counts={"confirmed": 1, "failed": 1},
                         entries=[EntryResult(key="ipr:trademark:CN:1", kind="ipr", state="confirmed"),
                                  EntryResult(key="complaint:taobao:2", kind="complaint", state="failed",
                                              error=f"refused (password {PASSWORD})")])
    return run_notice(summary, report, "brand@example.com")


def test_mail_upgrades_with_starttls_and_logs_in_over_tls(starttls_server: tuple[Inbox, int], trust: ssl.SSLContext,
                                                         tmp_path: Path) -> None:
    """smtp:// with a user: STARTTLS first, then the log-in; the report is attached."""
    inbox, port = starttls_server
    mail = MailSettings(url=f"smtp://ops@127.0.0.1:{port}", recipients=["ops@example.com"], password=PASSWORD,
                        tls=trust)
    send_mail(mail, a_notice(tmp_path))
    [message] = inbox.messages
    assert "1 filed, 1 need you" in str(message["Subject"])
    names = [part.get_filename() for part in message.walk() if part.get_filename()]
    assert names == ["report.html"]


def test_mail_links_a_report_over_the_limit(plain_server: tuple[Inbox, int], tmp_path: Path) -> None:
    """A report larger than the limit is named by its path instead of attached."""
    inbox, port = plain_server
    mail = MailSettings(url=f"smtp://127.0.0.1:{port}", recipients=["ops@example.com"], max_attach_bytes=1_000)
    send_mail(mail, a_notice(tmp_path, report_bytes=5_000))
    [message] = inbox.messages
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert f"The report: {tmp_path / 'report.html'} (too large to attach)" in body.decode()


def test_mail_never_sends_a_password_in_clear(plain_server: tuple[Inbox, int], tmp_path: Path) -> None:
    """A server that offers no STARTTLS gets no log-in: the mail fails with a clear reason."""
    _, port = plain_server
    mail = MailSettings(url=f"smtp://ops@127.0.0.1:{port}", recipients=["ops@example.com"], password=PASSWORD)
    outcome = notify(a_notice(tmp_path), mail=mail, webhook=None)
    assert outcome.sent == []
    assert outcome.problems == ["mail: 127.0.0.1 offers no STARTTLS: ippbot will not send a password in clear"]


def test_smtps_is_tls_from_the_start(smtps_server: tuple[Inbox, int], trust: ssl.SSLContext, tmp_path: Path) -> None:
    """smtps:// speaks TLS from the first byte and delivers."""
    inbox, port = smtps_server
    mail = MailSettings(url=f"smtps://ops@127.0.0.1:{port}", recipients=["ops@example.com"], password=PASSWORD,
                        tls=trust)
    assert notify(a_notice(tmp_path), mail=mail, webhook=None).sent == ["mail"]
    assert len(inbox.messages) == 1


def test_no_secret_in_the_mail(starttls_server: tuple[Inbox, int], trust: ssl.SSLContext, tmp_path: Path) -> None:
    """A registered secret that found its way into an entry's error is masked in the mail."""
    inbox, port = starttls_server
    register_secret(PASSWORD)
    try:
        mail = MailSettings(url=f"smtp://ops@127.0.0.1:{port}", recipients=["ops@example.com"], password=PASSWORD,
                            tls=trust)
        send_mail(mail, a_notice(tmp_path))
    finally:
        clear_secrets()
    assert PASSWORD not in inbox.messages[0].as_string()


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver: checks the signature, answers with the status it is told to."""

    statuses: ClassVar[list[int]] = []
    bodies: ClassVar[list[tuple[bytes, str | None]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append((body, self.headers.get(SIGNATURE_HEADER)))
        self.send_response(type(self).statuses.pop(0) if type(self).statuses else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[tuple[type[Receiver], str]]:
    handler = type("R", (Receiver,), {"statuses": [], "bodies": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_webhook_is_signed_and_retried(receiver: tuple[type[Receiver], str], tmp_path: Path) -> None:
    """Two 503s, then 200: the summary arrives signed with HMAC-SHA256, after waits that grow."""
    handler, url = receiver
    handler.statuses = [503, 503]
    waits: list[float] = []
    outcome = notify(a_notice(tmp_path), mail=None, webhook=url, webhook_secret="s3cret", sleep=waits.append)
    assert outcome.sent == ["webhook"]
    assert waits == [1.0, 2.0]
    body, signed = handler.bodies[-1]
    assert signed == signature("s3cret", body)
    assert json.loads(body)["account"] == "brand@example.com"


def test_a_receiver_that_is_down_never_fails_the_run(tmp_path: Path) -> None:
    """Nothing listens: the webhook is tried again, then the problem is reported, not raised."""
    waits: list[float] = []
    outcome = notify(a_notice(tmp_path), mail=None, webhook="http://127.0.0.1:9/hook", sleep=waits.append)
    assert outcome.sent == []
    assert len(waits) == 3
    assert outcome.problems[0].startswith("webhook: ")


def test_a_run_tells_the_operator_and_prunes_old_runs(plain_server: tuple[Inbox, int],
                                                      receiver: tuple[type[Receiver], str],
                                                      portal: MockPortal, page: Page, tmp_path: Path) -> None:
    """`ippbot run` with IPPBOT_NOTIFY_EMAIL, IPPBOT_SMTP_URL and a signed webhook: one mail with the report
    attached and one signed summary, no password in either; a run folder past IPPBOT_KEEP_RUNS_DAYS is gone."""
    inbox, port = plain_server
    handler, url = receiver
    data_dir = tmp_path / "data"
    assert register(make_ctx(page, make_settings(portal.url, data_dir)), mock_mailbox(portal.url)) == "registered"
    operator = Operator(portal, data_dir)
    old = data_dir / "runs" / "20200101T000000-000"
    old.mkdir(parents=True)
    operator.env.update({"IPPBOT_NOTIFY_EMAIL": "ops@agency.example, legal@agency.example",
                         "IPPBOT_SMTP_URL": f"smtp://127.0.0.1:{port}", "IPPBOT_NOTIFY_WEBHOOK": url,
                         "IPPBOT_NOTIFY_WEBHOOK_SECRET": "Hook-Canary-Secret", "IPPBOT_KEEP_RUNS_DAYS": "30"})
    operator.ippbot("enqueue", str(write_batch(tmp_path / "b.yaml", iprs=2)), check=True)
    operator.ippbot("run", check=True)
    [message] = inbox.messages
    subject = " ".join(str(message["Subject"]).split())
    assert subject.startswith(f"ippbot {operator.email}: run ")
    assert subject.endswith(": 2 filed, 0 need you")
    assert str(message["To"]) == "ops@agency.example, legal@agency.example"
    assert [part.get_filename() for part in message.walk() if part.get_filename()] == ["report.html"]
    [(body, signed)] = handler.bodies
    assert signed == signature("Hook-Canary-Secret", body)
    assert {state: n for state, n in json.loads(body)["counts"].items() if n} == {"confirmed": 2}
    for secret in (OPERATOR_PASSWORD, "Hook-Canary-Secret"):
        assert secret.encode() not in message.as_bytes() + body
    assert not old.exists()
    assert len(list((data_dir / "runs").iterdir())) == 1

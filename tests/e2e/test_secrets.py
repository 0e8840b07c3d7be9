"""No secret in the logs: the password, session cookies, CSRF tokens and verification codes never reach a
log line, nor any file in the data dir but the stored session itself.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import structlog
from support import PASSWORD, MockPortal, aliexpress, approved, file_ipr, numbered

from bot.logs import LogParams, clear_secrets, configure
from bot.models import Complaint
from bot.settings import Settings
from flows.context import FlowContext
from flows.file_complaint import file_complaint
from flows.register import mock_mailbox, register


@pytest.fixture
def log_output(settings: Settings, tmp_path: Path) -> Iterator[tuple[io.StringIO, Path]]:
    """Every log event of the test, as JSON lines on a stream and in a run's log file, at debug level."""
    stream, log_file = io.StringIO(), tmp_path / "run" / "log.jsonl"
    configure(settings.model_copy(update={"log_format": "json", "log_level": "debug"}), stream=stream,
              log_file=log_file)
    yield stream, log_file
    configure(LogParams(), stream=io.StringIO())  # closes the log file
    structlog.reset_defaults()
    clear_secrets()


class Secrets:
    """The secrets seen during a journey: the password, each session cookie, each CSRF token, each code."""

    def __init__(self, ctx: FlowContext) -> None:
        self.ctx = ctx
        self.values: set[str] = {PASSWORD}

    def note(self) -> None:
        """Keep the cookies and the CSRF token the browser holds now (they change at each log-in)."""
        self.values |= {c["value"] for c in self.ctx.page.context.cookies()}
        csrf = self.ctx.page.locator('meta[name="csrf-token"]').get_attribute("content")
        self.values |= {csrf} if csrf else set()

    def note_codes(self, portal: MockPortal) -> None:
        """Keep every verification code the portal mailed to the account."""
        answer = httpx.get(f"{portal.url}/__mock/mailbox", params={"email": self.ctx.settings.email})
        self.values |= {m["code"] for m in answer.json() if m.get("code")}


def run_every_journey(ctx: FlowContext, portal: MockPortal, secrets: Secrets) -> None:
    """Register, file an IPR and a complaint, lose the session mid-journey, and fall into the duplicate trap."""
    register(ctx, mock_mailbox(portal.url))
    secrets.note()
    ipr = approved(ctx, portal)
    file_complaint(ctx, Complaint(platform="aliexpress", ipr=ipr.registration_number, reason="counterfeit",
                                  listings=aliexpress(3)))
    secrets.note()
    portal.faults(session_expiry=6)
    for right in numbered(2):
        file_ipr(ctx, right)
        secrets.note()
    assert portal.fired()["session_expiry"] >= 1
    portal.faults(commit_then_fail=1, seed=1)
    assert file_ipr(ctx, numbered(3)[2]).existing
    secrets.note()
    secrets.note_codes(portal)


def test_no_secret_in_logs_or_data_dir(ctx: FlowContext, portal: MockPortal,
                                       log_output: tuple[io.StringIO, Path]) -> None:
    """Across every journey and fault, no secret reaches a log line or any data-dir file but the stored session."""
    secrets = Secrets(ctx)
    run_every_journey(ctx, portal, secrets)
    stream, log_file = log_output
    written = stream.getvalue() + log_file.read_text()
    events = {json.loads(line)["event"] for line in written.splitlines()}
    assert {"step.end", "complaint.filed", "session.expired", "submit.outcome_unknown"} <= events
    assert len(secrets.values) >= 4
    assert sorted(s for s in secrets.values if s in written) == []
    session = ctx.settings.session_file
    assert [p.name for p in session.parent.iterdir()] == [session.name]
    others = [p for p in ctx.settings.data_dir.rglob("*") if p.is_file() and p != session]
    assert [(p.name, s) for p in others for s in secrets.values if s in p.read_text(errors="replace")] == []
    stored = {c["value"] for c in json.loads(session.read_text())["cookies"]}
    assert stored and stored <= secrets.values

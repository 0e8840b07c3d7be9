"""Logs: JSON lines or console output, with secrets redacted wherever they appear."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from structlog.testing import capture_logs

from bot.logs import LogParams, clear_secrets, configure, redact, register_secret, step
from bot.settings import Settings

pytestmark = pytest.mark.unit

PASSWORD = "canary-Pa55word!"
CODE = "731904"
COOKIE = "sid-canary-7f3e9a"


@pytest.fixture(autouse=True)
def fresh_logging() -> Iterator[None]:
    """Each test starts with no registered secrets and structlog's defaults."""
    clear_secrets()
    yield
    clear_secrets()
    configure(LogParams(), stream=io.StringIO())  # closes any log file a test opened
    structlog.reset_defaults()


def logs_to_string(params: LogParams | Settings, log_file: Path | None = None) -> io.StringIO:
    stream = io.StringIO()
    configure(params, stream=stream, log_file=log_file)
    return stream


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_when_not_a_terminal() -> None:
    """Off a terminal, each event is one JSON object with event, level and timestamp."""
    stream = logs_to_string(LogParams())
    structlog.get_logger().info("entry.done", entry="ipr-1")
    [event] = lines(stream)
    assert event["event"] == "entry.done"
    assert event["entry"] == "ipr-1"
    assert event["level"] == "info"
    assert "timestamp" in event


def test_console_format_is_not_json() -> None:
    """log_format=console renders for people even when the stream is not a terminal."""
    stream = logs_to_string(LogParams(log_format="console"))
    structlog.get_logger().info("entry.done", entry="ipr-1")
    text = stream.getvalue()
    assert "entry.done" in text
    assert not text.startswith("{")


def test_events_below_the_level_are_dropped() -> None:
    """At level warning, info events are not written."""
    stream = logs_to_string(LogParams(log_level="warning"))
    log = structlog.get_logger()
    log.info("quiet")
    log.warning("loud")
    assert [e["event"] for e in lines(stream)] == ["loud"]


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "passwd",
        "secret",
        "token",
        "csrf",
        "csrf_token",
        "cookie",
        "cookies",
        "session",
        "code",
        "verification_code",
        "authorization",
        "set-cookie",
        "Set-Cookie",
    ],
)
def test_sensitive_keys_are_redacted(key: str) -> None:
    """Values under sensitive keys are replaced by [redacted]."""
    assert redact(None, "info", {"event": "x", key: "canary"})[key] == "[redacted]"


def test_sensitive_keys_are_redacted_at_any_depth() -> None:
    """Nested headers and cookie lists are redacted too, and harmless keys are kept."""
    event = {
        "event": "request",
        "headers": {"Cookie": COOKIE, "Accept": "text/html"},
        "state": {"cookies": [{"name": "sid", "value": COOKIE}]},
        "status_code": 503,
    }
    cleaned = redact(None, "info", event)
    assert cleaned["headers"] == {"Cookie": "[redacted]", "Accept": "text/html"}
    assert cleaned["state"] == {"cookies": "[redacted]"}
    assert cleaned["status_code"] == 503


def test_registered_secrets_are_masked_inside_messages() -> None:
    """A registered value is masked inside free text, including its URL-encoded form."""
    stream = logs_to_string(LogParams())
    register_secret(CODE)
    register_secret(PASSWORD)
    encoded = PASSWORD.replace("!", "%21")
    structlog.get_logger().info(f"typed code {CODE}", url=f"http://p.test/login?pw={encoded}")
    assert CODE not in stream.getvalue()
    assert "Pa55word" not in stream.getvalue()
    assert "[redacted]" in stream.getvalue()


def test_registered_secrets_are_masked_inside_exceptions() -> None:
    """A secret inside an exception's message is masked in the logged traceback."""
    stream = logs_to_string(LogParams())
    register_secret(COOKIE)
    log = structlog.get_logger()
    try:
        raise RuntimeError(f"server said: bad session {COOKIE}")
    except RuntimeError as exc:
        log.exception("login.failed", error=exc)
    assert COOKIE not in stream.getvalue()
    assert "bad session [redacted]" in stream.getvalue()


def test_configure_with_settings_masks_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """configure() registers the configured password, so it never reaches the log."""
    monkeypatch.setenv("IPPBOT_PASSWORD", PASSWORD)
    settings = Settings(_env_file=None, log_format="json")
    stream = logs_to_string(settings)
    structlog.get_logger().error(f"login refused for password {PASSWORD}")
    assert PASSWORD not in stream.getvalue()


def test_short_values_are_not_registered() -> None:
    """Values too short to be secrets are ignored, so they cannot blank whole messages."""
    stream = logs_to_string(LogParams())
    register_secret("a")
    register_secret(None)
    structlog.get_logger().info("a normal message")
    assert lines(stream)[0]["event"] == "a normal message"


def test_log_file_gets_the_same_redacted_json_lines(tmp_path: Path) -> None:
    """A run's log file receives each event as a JSON line, redacted like the stream."""
    log_file = tmp_path / "runs" / "r1" / "log.jsonl"
    stream = logs_to_string(LogParams(log_format="console"), log_file)
    register_secret(CODE)
    structlog.get_logger().info("mailbox.read", message=f"your code is {CODE}", code=CODE)
    [event] = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert event["event"] == "mailbox.read"
    assert event["message"] == "your code is [redacted]"
    assert event["code"] == "[redacted]"
    assert CODE not in stream.getvalue()


def test_step_logs_start_and_end_with_outcome_ok() -> None:
    """step() logs step.start and step.end with flow, step, duration and outcome ok."""
    with capture_logs() as logs, step(structlog.get_logger(), "ipr", "open_form", entry="k1"):
        pass
    start, end = logs
    assert start["event"] == "step.start"
    assert (start["flow"], start["step"], start["entry"]) == ("ipr", "open_form", "k1")
    assert end["event"] == "step.end"
    assert end["outcome"] == "ok"
    assert isinstance(end["duration_ms"], int)


def test_step_logs_the_error_class_and_reraises() -> None:
    """When the block raises, step.end's outcome is the error class and the error propagates."""
    log = structlog.get_logger()
    with capture_logs() as logs, pytest.raises(TimeoutError), step(log, "complaint", "submit"):
        raise TimeoutError("slow")
    assert logs[-1]["event"] == "step.end"
    assert logs[-1]["outcome"] == "TimeoutError"

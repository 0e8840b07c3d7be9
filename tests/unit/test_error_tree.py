"""Errors: one tree saying what is retried, which exit code ends a command, and where."""

from __future__ import annotations

import pickle

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bot import errors
from bot.errors import (
    ConfigError,
    EnvironmentProblem,
    InputError,
    IppbotError,
    NeedsHuman,
    PortalChanged,
    PortalError,
    PortalRejected,
    PortalServerError,
    PortalTimeout,
    RateLimited,
    SessionExpired,
    SubmitOutcomeUnknown,
    exit_code_for,
    is_transient,
)
from flows.boundary import from_playwright

pytestmark = pytest.mark.unit

TRANSIENT = [
    PortalTimeout("slow"),
    PortalServerError("502", status=502),
    RateLimited(retry_after_s=30),
    SessionExpired("back at log-in"),
    SubmitOutcomeUnknown("no confirmation"),
]
NOT_TRANSIENT = [
    PortalRejected("registration number unknown", field_errors={"number": "unknown"}),
    PortalChanged("selectors/register.toml", "agree", "matches no element"),
    NeedsHuman("slider captcha"),
    PortalError("browser crashed"),
    ConfigError("bad settings"),
    EnvironmentProblem("no Chromium found", fix="apt-get install -y chromium"),
    InputError("not a date", file="batch.yaml", entry="tm-1", field="expiration_date"),
    ValueError("not ours"),
]


def all_error_classes() -> list[type[IppbotError]]:
    found: list[type[IppbotError]] = []
    pending: list[type[IppbotError]] = [IppbotError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize("exc", TRANSIENT, ids=lambda e: type(e).__name__)
def test_transient_errors_are_transient(exc: Exception) -> None:
    """Timeouts, 5xx, rate limits, expired sessions and unknown submits are transient."""
    assert is_transient(exc)


@pytest.mark.parametrize("exc", NOT_TRANSIENT, ids=lambda e: type(e).__name__)
def test_other_errors_are_not_transient(exc: Exception) -> None:
    """Permanent, configuration, input, unclassified and foreign errors are not transient."""
    assert not is_transient(exc)


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (InputError("bad batch"), 2),
        (ConfigError("bad settings"), 3),
        (EnvironmentProblem("no Chromium found"), 3),
        (PortalRejected("refused"), 1),
        (PortalTimeout("slow"), 1),
        (RuntimeError("bug"), 1),
    ],
)
def test_exit_codes_follow_the_contract(exc: Exception, code: int) -> None:
    """Bad input exits 2, a wrong environment 3, anything else that ends a command 1."""
    assert exit_code_for(exc) == code


def test_every_class_is_drawn_in_the_module_docstring() -> None:
    """The docstring's tree names every error class, so it stays the map of the hierarchy."""
    assert errors.__doc__ is not None
    for cls in all_error_classes():
        assert cls.__name__ in errors.__doc__


def test_portal_errors_say_where_they_happened() -> None:
    """A portal error's text carries its entry, step and URL."""
    exc = PortalTimeout("Timeout 15000ms exceeded", entry="tm-1", step="submit", url="http://p/x")
    assert str(exc) == "Timeout 15000ms exceeded (entry=tm-1, step=submit, url=http://p/x)"


def test_with_context_fills_only_missing_fields() -> None:
    """with_context adds the flow's context without overwriting what the raiser knew."""
    exc = PortalChanged("selectors/ipr.toml", "submit", "matches 2 elements", step="fill")
    assert exc.with_context(entry="tm-1", step="other", url="http://p/ipr") is exc
    assert (exc.entry, exc.step, exc.url) == ("tm-1", "fill", "http://p/ipr")


def test_operator_facing_errors_read_as_one_line() -> None:
    """Input and environment errors name the place and the fix."""
    bad = InputError("must be 1-45", file="batch.yaml", entry="tm-1", field="classes")
    assert str(bad) == "batch.yaml, entry 'tm-1', field 'classes': must be 1-45"
    missing = EnvironmentProblem("no Chromium found", fix="apt-get install -y chromium")
    assert str(missing) == "no Chromium found; to fix: apt-get install -y chromium"


def test_errors_survive_pickling_with_their_fields() -> None:
    """Errors keep their fields across pickling (queues and worker processes pickle them)."""
    original = RateLimited(retry_after_s=12.5, entry="c-1", step="submit", url="http://p")
    copy = pickle.loads(pickle.dumps(original))  # noqa: S301 - our own bytes
    assert type(copy) is RateLimited
    assert (copy.retry_after_s, copy.entry, str(copy)) == (12.5, "c-1", str(original))
    rejected = pickle.loads(pickle.dumps(PortalRejected("no", field_errors={"a": "b"})))  # noqa: S301
    assert rejected.field_errors == {"a": "b"}


def test_playwright_timeout_becomes_portal_timeout() -> None:
    """A Playwright timeout becomes PortalTimeout with context, the call log trimmed."""
    raw = PlaywrightTimeoutError("Locator.click: Timeout 15000ms exceeded.\nCall log:\n  - waiting")
    exc = from_playwright(raw, entry="tm-1", step="submit", url="http://p/ipr")
    assert type(exc) is PortalTimeout
    assert exc.message == "Locator.click: Timeout 15000ms exceeded."
    assert (exc.entry, exc.step, exc.url) == ("tm-1", "submit", "http://p/ipr")
    assert exc.__cause__ is raw


@pytest.mark.parametrize(
    "message",
    [
        "Page.goto: net::ERR_CONNECTION_REFUSED at http://p/",
        "socket hang up",
        "Page.goto: net::ERR_EMPTY_RESPONSE at http://p/login",
    ],
)
def test_connection_failures_become_transient_server_errors(message: str) -> None:
    """Network failures become PortalServerError with no status, which is retried."""
    exc = from_playwright(PlaywrightError(message), entry=None, step="open", url=None)
    assert type(exc) is PortalServerError
    assert exc.status is None
    assert is_transient(exc)


def test_other_playwright_errors_become_plain_portal_errors() -> None:
    """Any other Playwright error becomes a bare PortalError, neither retried nor permanent."""
    exc = from_playwright(
        PlaywrightError("Target page, context or browser has been closed"),
        entry="tm-1",
        step="fill",
        url=None,
    )
    assert type(exc) is PortalError


def test_portal_errors_pass_through_with_context_added() -> None:
    """An error that is already a PortalError is returned as it is, with context filled in."""
    raised = NeedsHuman("slider captcha")
    assert from_playwright(raised, entry="tm-1", step="login", url="http://p") is raised
    assert raised.entry == "tm-1"

"""Retry: back-off that grows and is capped, Retry-After honoured, unsafe errors never retried."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from bot.errors import (
    NeedsHuman,
    PortalChanged,
    PortalMaintenance,
    PortalRejected,
    PortalTimeout,
    RateLimited,
    SubmitOutcomeUnknown,
)
from bot.retry import STEP_WAIT_LIMIT_S, backoff_delay, build_retrying, classify, next_attempt_delay
from bot.settings import Settings

pytestmark = pytest.mark.unit


class Ceiling(random.Random):
    """An rng that always picks the top of the range, so the schedule is exact."""

    def uniform(self, a: float, b: float) -> float:
        return b


def settings(attempts: int = 5, base: float = 1.0, cap: float = 10.0) -> Settings:
    return Settings(_env_file=None, retry_attempts=attempts, retry_base_s=base, retry_max_s=cap)


def failing(*errors: Exception) -> tuple[list[int], Callable[[], str]]:
    """A callable raising `errors` in turn (the last one forever), and its call log."""
    calls: list[int] = []

    def call() -> str:
        calls.append(len(calls) + 1)
        raise errors[min(len(calls), len(errors)) - 1]

    return calls, call


@given(
    attempt=st.integers(min_value=1, max_value=60),
    base=st.floats(min_value=0.01, max_value=10),
    extra=st.floats(min_value=0, max_value=1000),
    seed=st.integers(),
)
def test_backoff_stays_between_base_and_cap(
    attempt: int, base: float, extra: float, seed: int
) -> None:
    """Every delay lies between the base and the cap, and under base * 2**attempt."""
    cap = base + extra
    delay = backoff_delay(attempt, base, cap, random.Random(seed))
    assert base <= delay <= cap
    assert delay <= base * 2.0**attempt


def test_backoff_ceiling_doubles_until_the_cap() -> None:
    """The ceiling doubles with each attempt and then stays at the cap."""
    delays = [backoff_delay(n, 1.0, 10.0, Ceiling()) for n in range(1, 7)]
    assert delays == [2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


def test_transient_errors_are_retried_until_attempts_run_out() -> None:
    """A step that keeps timing out is tried retry_attempts times, then its error is raised."""
    sleeps: list[float] = []
    calls, call = failing(PortalTimeout("slow"))
    with pytest.raises(PortalTimeout):
        build_retrying(settings(attempts=5), sleep=sleeps.append, rng=Ceiling())(call)
    assert len(calls) == 5
    assert sleeps == [2.0, 4.0, 8.0, 10.0]


def test_a_later_success_is_returned() -> None:
    """When a retry succeeds, its result is returned and no more sleeps happen."""
    sleeps: list[float] = []
    outcomes = iter([PortalTimeout("slow"), None])

    def call() -> str:
        error = next(outcomes)
        if error:
            raise error
        return "ok"

    assert build_retrying(settings(), sleep=sleeps.append, rng=Ceiling())(call) == "ok"
    assert sleeps == [2.0]


def test_retry_after_is_waited_at_least() -> None:
    """A rate limit's Retry-After is a minimum wait, even above the cap."""
    sleeps: list[float] = []
    _, call = failing(RateLimited(retry_after_s=30), PortalTimeout("slow"))
    with pytest.raises(PortalTimeout):
        build_retrying(settings(attempts=3), sleep=sleeps.append, rng=Ceiling())(call)
    assert sleeps == [30, 4.0]


def test_a_retry_after_longer_than_a_step_waits_is_raised_at_once() -> None:
    """Told to come back in an hour, the step does not sleep an hour: the error goes up for the runner to hold
    the account; one at the limit is still waited out."""
    sleeps: list[float] = []
    calls, call = failing(RateLimited(retry_after_s=3600))
    with pytest.raises(RateLimited):
        build_retrying(settings(attempts=3), sleep=sleeps.append, rng=Ceiling())(call)
    assert (len(calls), sleeps) == (1, [])
    told = iter([RateLimited(retry_after_s=STEP_WAIT_LIMIT_S)])

    def at_limit() -> str:
        for error in told:
            raise error
        return "ok"

    assert build_retrying(settings(attempts=3), sleep=sleeps.append, rng=Ceiling())(at_limit) == "ok"
    assert sleeps == [STEP_WAIT_LIMIT_S]


@pytest.mark.parametrize(
    "error",
    [
        SubmitOutcomeUnknown("clicked, no confirmation"),
        PortalRejected("refused", field_errors={"number": "unknown"}),
        PortalChanged("selectors/ipr.toml", "submit", "matches no element"),
        NeedsHuman("captcha"),
        ValueError("a bug"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_unsafe_and_permanent_errors_are_not_retried(error: Exception) -> None:
    """An unknown submit, permanent portal errors and bugs are raised at once, never retried."""
    sleeps: list[float] = []
    calls, call = failing(error)
    with pytest.raises(type(error)):
        build_retrying(settings(), sleep=sleeps.append)(call)
    assert (calls, sleeps) == ([1], [])


def test_each_retry_is_logged() -> None:
    """Before each sleep, retry.sleep is logged with the attempt, wait and error class."""
    _, call = failing(PortalTimeout("slow"))
    with capture_logs() as logs, pytest.raises(PortalTimeout):
        build_retrying(settings(attempts=3), sleep=lambda _: None, rng=Ceiling())(call)
    assert [(e["event"], e["attempt"], e["wait_s"], e["error"]) for e in logs] == [
        ("retry.sleep", 1, 2.0, "PortalTimeout"),
        ("retry.sleep", 2, 4.0, "PortalTimeout"),
    ]


def test_ledger_schedule_doubles_from_the_same_base() -> None:
    """next_attempt_delay has the in-run retries' ceiling (base * 2**n, capped), and keeps at least half of it."""
    config = settings(base=2.0, cap=20.0)
    assert [next_attempt_delay(n, config, Ceiling()) for n in (1, 2, 3, 4)] == [4.0, 8.0, 16.0, 20.0]
    assert [next_attempt_delay(n, config, Floor()) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 10.0]


class Floor(random.Random):
    """An rng that always picks the bottom of the range."""

    def uniform(self, a: float, b: float) -> float:
        return a


def test_the_maintenance_page_is_named_as_such() -> None:
    """A RateLimited that is the portal's maintenance page is a PortalMaintenance, with its Retry-After."""
    page = RateLimited("the portal asks us to come back later (maintenance) (503)", retry_after_s=30, entry="k")
    named = classify(page)
    assert isinstance(named, PortalMaintenance) and isinstance(named, RateLimited)
    assert (named.retry_after_s, named.entry, named.__cause__) == (30, "k", page)
    assert classify(RateLimited("the portal asks us to slow down (429)")).__class__ is RateLimited


def test_a_retry_after_maintenance_is_logged_as_maintenance() -> None:
    """The retry's log line names a maintenance page PortalMaintenance, not RateLimited."""
    _, call = failing(RateLimited("the portal asks us to come back later (maintenance) (503)", retry_after_s=0))
    with capture_logs() as logs, pytest.raises(RateLimited):
        build_retrying(settings(attempts=2), sleep=lambda _: None, rng=Ceiling())(call)
    assert [e["error"] for e in logs] == ["PortalMaintenance"]

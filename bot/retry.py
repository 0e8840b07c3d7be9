"""Retry: ippbot's one retry policy, built from settings, for steps that are safe to repeat.

It retries navigation, log-in and reads: steps that change nothing on the portal, or change
it in a way that can be repeated. It never retries the final submit click: a submit that
may have gone through raises `SubmitOutcomeUnknown`, which must be reconciled first, and
the policy lets it through untouched. Only `is_transient` errors are retried; permanent
ones (`PortalRejected`, `PortalChanged`, `NeedsHuman`) fail at once.

The delay is exponential back-off with full jitter, floored at `retry_base_s` and capped
at `retry_max_s` (`backoff_delay`, a pure function). A `RateLimited` error's Retry-After
is a minimum, waited out inside the step only up to `STEP_WAIT_LIMIT_S`: a longer one is raised
at once, and the runner holds the whole account for it (in the ledger, across runs) and leaves
its entries for a later run, instead of one step sleeping for an hour.

The same base and cap space an entry's later attempts, each a claim by a run
(`next_attempt_delay`), but with half the ceiling kept: the wait after attempt n is between
half and all of ``min(cap, base * 2**n)``, so it surely grows with the entry's attempts, which
the ledger keeps across runs (with full jitter, five attempts could all come within
five times the base, and a portal down for ten seconds would use them all up).

`classify` names an error by what happened: the portal's maintenance page (a 503 with
Retry-After, which the flows report as `RateLimited`) is a `PortalMaintenance`.

Usage::

    for attempt in build_retrying(settings):
        with attempt:
            page.goto(url)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import structlog
import tenacity
from structlog.typing import FilteringBoundLogger

from bot.errors import IprNotApproved, PortalMaintenance, RateLimited, SubmitOutcomeUnknown, is_transient
from bot.settings import Settings

STEP_WAIT_LIMIT_S = 120.0  # the longest Retry-After one step waits out; a longer one ends the step


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based).

    Uniform between `base` and ``min(cap, base * 2**attempt)``: the ceiling doubles with
    each attempt, and the jitter keeps several bots from retrying in step.
    """
    ceiling = min(cap, base * 2.0 ** max(attempt, 1))
    return rng.uniform(min(base, ceiling), ceiling)


def next_attempt_delay(attempts: int, settings: Settings, rng: random.Random) -> float:
    """Seconds before an entry's next attempt after `attempts` of them failed: between half and all
    of ``min(retry_max_s, retry_base_s * 2**attempts)``, so the wait doubles with every attempt."""
    ceiling = min(settings.retry_max_s, settings.retry_base_s * 2.0 ** max(attempts, 1))
    return rng.uniform(ceiling / 2, ceiling)


def classify(exc: BaseException) -> BaseException:
    """`exc` named by what happened: a `RateLimited` that is the maintenance page becomes a
    `PortalMaintenance` (same message, context and Retry-After; `exc` is its cause). Else `exc`.

    The flows raise `PortalMaintenance` for the maintenance page themselves; this names one a caller
    made as a `RateLimited` saying "(maintenance)" (as the flows did before).
    """
    if isinstance(exc, RateLimited) and not isinstance(exc, PortalMaintenance) and "maintenance" in exc.message:
        named = PortalMaintenance(exc.message, retry_after_s=exc.retry_after_s, entry=exc.entry, step=exc.step,
                                  url=exc.url)
        named.__cause__ = exc
        return named
    return exc


def should_retry(exc: BaseException) -> bool:
    """True for errors the policy retries: transient ones, except an unknown submit and an IPR in review
    (which takes days: the ledger puts the complaint back in line instead)."""
    return is_transient(exc) and not isinstance(exc, SubmitOutcomeUnknown | IprNotApproved)


def build_retrying(
    settings: Settings,
    *,
    sleep: Callable[[float], None] = time.sleep,
    log: FilteringBoundLogger | None = None,
    rng: random.Random | None = None,
) -> tenacity.Retrying:
    """The retry policy: `settings.retry_attempts` tries in all, then the last error is raised.

    `sleep` and `rng` are injectable so tests run without waiting and repeatably.
    """
    return tenacity.Retrying(
        sleep=sleep,
        stop=tenacity.stop_any(tenacity.stop_after_attempt(settings.retry_attempts), _ToldToWaitLong()),
        wait=_Wait(settings.retry_base_s, settings.retry_max_s, rng or random.Random()),
        retry=tenacity.retry_if_exception(should_retry),
        before_sleep=_log_sleep(log or structlog.get_logger("ippbot.retry")),
        reraise=True,
    )


class _ToldToWaitLong(tenacity.stop.stop_base):
    """tenacity stop condition: the portal's Retry-After is longer than a step waits (`STEP_WAIT_LIMIT_S`)."""

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        return isinstance(exc, RateLimited) and (exc.retry_after_s or 0) > STEP_WAIT_LIMIT_S


class _Wait:
    """tenacity wait strategy: `backoff_delay`, but never less than a Retry-After."""

    def __init__(self, base: float, cap: float, rng: random.Random) -> None:
        self._base, self._cap, self._rng = base, cap, rng

    def __call__(self, state: tenacity.RetryCallState) -> float:
        delay = backoff_delay(state.attempt_number, self._base, self._cap, self._rng)
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after_s is not None:
            return max(delay, exc.retry_after_s)
        return delay


def _log_sleep(log: FilteringBoundLogger) -> Callable[[tenacity.RetryCallState], None]:
    def before_sleep(state: tenacity.RetryCallState) -> None:
        failed = state.outcome.exception() if state.outcome else None
        exc = classify(failed) if failed is not None else None
        log.warning(
            "retry.sleep",
            attempt=state.attempt_number,
            wait_s=round(state.upcoming_sleep, 3),
            error=type(exc).__name__ if exc else None,
            reason=str(exc) if exc else None,
        )

    return before_sleep

"""Pause: hands the browser to the operator in a headed run with `--pause-on-failure`.

Two hand-overs, both only when the run is headed and `pause_on_failure` is set (otherwise the
flow raises `NeedsHuman`, an unattended run goes on, and the operator is told which options let
a person step in: `needs_window`, and the line a declined check says):

* `human_check_pause` builds a flow's `FlowContext.pause`. When the page shows a check meant
  for a person (the slider), it prints one line and waits, up to `pause_timeout_s`, until
  the page marks the check solved (`slider_solved` in `selectors/common.toml`), counting down
  every `TICK_S`; the flow then carries on by itself, or is told the wait ran out. For anything
  else a flow hands over (typing the emailed code) it prints the line and lets the flow wait for
  the page to move on, in its own way.
* `failure_inspector` builds the runner's failure hook: on any other failure, before the click
  or in answer to it (a 503), it opens the Playwright Inspector on the page (`page.pause()`),
  moves the Inspector's window onto the screen (`bot.run.screen`), and gives up after
  `pause_timeout_s`: a timer thread signals the main thread (SIGUSR1), whose handler ends the
  pause by raising in it, as Playwright's sync API allows, and the debugger is resumed.

Every wait is interruptible (`bot.run.interrupts`): Ctrl-C ends it at once. The operator reads
the lines on stderr; stdout stays for the command's output.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from types import FrameType

import structlog
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page
from structlog.typing import FilteringBoundLogger

from bot.errors import first_line
from bot.locators import PageSelectors
from bot.logs import mask_secrets
from bot.run.interrupts import Stop, active
from bot.run.screen import WindowMover
from bot.settings import Settings

Say = Callable[[str], None]
Pause = Callable[[str], bool]
FailureHook = Callable[[Page, BaseException], None]

TICK_S = 15.0  # how often the slider wait says how long it still waits
INSPECTOR_TITLE = "Playwright Inspector"


def tell_operator(line: str) -> None:
    """Print one line for the operator on stderr, at once."""
    print(line, file=sys.stderr, flush=True)


def operator_present(settings: Settings) -> bool:
    """Whether a person can step in: a headed run with `pause_on_failure`."""
    return not settings.headless and settings.pause_on_failure


def missing_options(settings: Settings) -> str:
    """The options a run lacks for a person to step in ("--headed", "--pause-on-failure", both, or "")."""
    missing = ["--headed"] if settings.headless else []
    missing += [] if settings.pause_on_failure else ["--pause-on-failure"]
    return " ".join(missing)


def needs_window(settings: Settings) -> str | None:
    """The line to say when a run asks to pause on failure but shows no browser window; None when fine."""
    if settings.pause_on_failure and settings.headless:
        return "ippbot: --pause-on-failure needs a browser window: add --headed (this run goes on without pausing)"
    return None


def human_check_pause(page: Page, common: PageSelectors, settings: Settings, *, say: Say = tell_operator,
                      log: FilteringBoundLogger | None = None) -> Pause:
    """The `FlowContext.pause` of a flow on `page`: waits for the operator to complete a human check.

    Returns True when the check is done (the flow goes on), False when nobody can step in or
    the wait ran out (the flow raises `NeedsHuman`). `common` is `selectors/common.toml`.
    """
    if not operator_present(settings):
        return _declining(settings, say)
    bound = log or structlog.get_logger("ippbot.pause")
    timeout_s = settings.pause_timeout_s

    def pause(reason: str) -> bool:
        say(f"ippbot: {reason} in the browser window; ippbot carries on by itself "
            f"(waiting up to {_duration(timeout_s)})")
        bound.warning("operator.pause", reason=reason, timeout_s=timeout_s)
        if common.get(page, "slider").count() == 0:
            return True
        done = _wait_until_solved(page, common, timeout_s, say)
        bound.info("operator.resume" if done else "operator.gave_up", reason=reason)
        if not done:
            say(f"ippbot: nobody completed the slider check within {_duration(timeout_s)}; "
                "the entry waits for a person (run again to try once more)")
        return done

    return pause


def failure_inspector(settings: Settings, *, say: Say = tell_operator, log: FilteringBoundLogger | None = None,
                      stop: Stop | None = None) -> FailureHook:
    """The runner's hook for a failed entry: opens the Playwright Inspector on its page, then returns
    when the operator presses Resume, or after `pause_timeout_s`.

    Does nothing unless a person can step in (`operator_present`) and the page is still open. Only the
    main thread can be timed out (signals go there): elsewhere (a worker's thread) it logs and returns.
    """
    bound = log or structlog.get_logger("ippbot.pause")
    timeout_s = settings.pause_timeout_s

    def inspect(page: Page, error: BaseException) -> None:
        if not operator_present(settings) or page.is_closed():
            return
        if threading.current_thread() is not threading.main_thread():
            bound.warning("operator.inspect_skipped", error=type(error).__name__,
                          why="the Inspector opens in `ippbot run`, not in a worker's thread")
            return
        say(f"ippbot: {mask_secrets(first_line(error))}; the Playwright Inspector is open on that page: look around, "
            f"then press Resume (F8) and ippbot carries on (by itself after {_duration(timeout_s)})")
        bound.warning("operator.inspect", error=type(error).__name__, timeout_s=timeout_s)
        mover = WindowMover(INSPECTOR_TITLE).start()
        try:
            resumed = _pause_at_most(page, timeout_s, stop or active())
        finally:
            mover.stop()
        bound.info("operator.resume" if resumed else "operator.gave_up", inspector_at=mover.moved)
        if not resumed:
            say(f"ippbot: nobody pressed Resume within {_duration(timeout_s)}; ippbot carries on")

    return inspect


class _PauseOver(Exception):  # noqa: N818 - not an error: the time to wait is over
    """Raised in the main thread by the pause's timer (its SIGUSR1 handler)."""


def _pause_at_most(page: Page, timeout_s: float, stop: Stop | None) -> bool:
    """`page.pause()`, ended after `timeout_s`; True when the operator pressed Resume first."""
    armed = [False]

    def over(_signum: int, _frame: FrameType | None) -> None:
        if armed[0]:
            raise _PauseOver

    previous = signal.signal(signal.SIGUSR1, over)
    timer = threading.Timer(timeout_s, signal.pthread_kill, (threading.main_thread().ident, signal.SIGUSR1))
    timer.daemon = True
    resumed = False
    try:
        timer.start()
        with stop.interruptible() if stop is not None else nullcontext():
            armed[0] = True
            try:
                page.pause()
                resumed = True
            finally:
                armed[0] = False
    except _PauseOver:
        pass
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, previous)
        if not resumed:
            _resume(page)
    return resumed


def _resume(page: Page) -> None:
    """Let the debugger go on, as the Inspector's Resume would (nothing if it is not paused any more)."""
    with suppress(PlaywrightError):
        page.context.debugger.resume()


def _declining(settings: Settings, say: Say) -> Pause:
    """The pause of a run nobody can step into: says which options would let a person do it, declines."""

    def decline(reason: str) -> bool:
        say(f"ippbot: a person must {reason}, and nobody can in this run: add {missing_options(settings)} "
            "to do it in a browser window")
        return False

    return decline


def _wait_until_solved(page: Page, common: PageSelectors, timeout_s: float, say: Say) -> bool:
    """Wait for the page to mark the check solved, saying every `TICK_S` how long it still waits."""
    solved = common.get(page, "slider_solved").first
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        if (stop := active()) is not None:
            stop.check()  # a worker's thread, which no signal handler can raise in
        try:
            with _interruptible():
                solved.wait_for(state="attached", timeout=min(left, TICK_S) * 1000)
        except PlaywrightError:  # not yet (or the operator closed the window)
            if page.is_closed():
                return False
            if (left := deadline - time.monotonic()) > 0:
                say(f"ippbot: still waiting for the slider check: {_duration(left)} left")
            continue
        return True
    return False


@contextmanager
def _interruptible() -> Iterator[None]:
    stop = active()
    with stop.interruptible() if stop is not None else nullcontext():
        yield


def _duration(seconds: float) -> str:
    if seconds >= 60:
        return f"{seconds / 60:.1f} min".replace(".0 min", " min")
    return f"{seconds:.0f} s"

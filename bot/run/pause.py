"""Pause: hands the browser to the operator in a headed run with `--pause-on-failure`.

Two hand-overs, both only when the run is headed and `pause_on_failure` is set (otherwise
they do nothing, the flow raises `NeedsHuman` and an unattended run goes on):

* `human_check_pause` builds a flow's `FlowContext.pause`. When the page shows a check meant
  for a person (the slider), it prints one line and waits, up to `pause_timeout_s`, until
  the page marks the check solved (`slider_solved` in `selectors/common.toml`); the flow
  then carries on by itself. For anything else a flow hands over (typing the emailed code)
  it prints the line and lets the flow wait for the page to move on, in its own way.
* `failure_inspector` builds the runner's failure hook: on any other failure it opens the
  Playwright Inspector on the page (`page.pause()`), so a developer can look before the
  run continues with the next entry.

The operator reads the line on stderr; stdout stays for the command's output.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import structlog
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page
from structlog.typing import FilteringBoundLogger

from bot.errors import first_line
from bot.locators import PageSelectors
from bot.logs import mask_secrets
from bot.settings import Settings

Say = Callable[[str], None]
Pause = Callable[[str], bool]
FailureHook = Callable[[Page, BaseException], None]


def tell_operator(line: str) -> None:
    """Print one line for the operator on stderr, at once."""
    print(line, file=sys.stderr, flush=True)


def operator_present(settings: Settings) -> bool:
    """Whether a person can step in: a headed run with `pause_on_failure`."""
    return not settings.headless and settings.pause_on_failure


def human_check_pause(page: Page, common: PageSelectors, settings: Settings, *, say: Say = tell_operator,
                      log: FilteringBoundLogger | None = None) -> Pause:
    """The `FlowContext.pause` of a flow on `page`: waits for the operator to complete a human check.

    Returns True when the check is done (the flow goes on), False when nobody can step in or
    the wait ran out (the flow raises `NeedsHuman`). `common` is `selectors/common.toml`.
    """
    if not operator_present(settings):
        return _decline
    bound = log or structlog.get_logger("ippbot.pause")
    timeout_s = settings.pause_timeout_s

    def pause(reason: str) -> bool:
        say(f"ippbot: {reason} in the browser window; ippbot carries on by itself "
            f"(waiting up to {_duration(timeout_s)})")
        bound.warning("operator.pause", reason=reason, timeout_s=timeout_s)
        if common.get(page, "slider").count() == 0:
            return True
        done = _wait_until_solved(page, common, timeout_s)
        bound.info("operator.resume" if done else "operator.gave_up", reason=reason)
        return done

    return pause


def failure_inspector(settings: Settings, *, say: Say = tell_operator,
                      log: FilteringBoundLogger | None = None) -> FailureHook:
    """The runner's hook for a failed entry: opens the Playwright Inspector on its page, then returns.

    Does nothing unless a person can step in (`operator_present`) and the page is still open.
    """
    bound = log or structlog.get_logger("ippbot.pause")

    def inspect(page: Page, error: BaseException) -> None:
        if not operator_present(settings) or page.is_closed():
            return
        say(f"ippbot: {mask_secrets(first_line(error))}; the Playwright Inspector is open on that page: "
            "look around, then press Resume and ippbot carries on")
        bound.warning("operator.inspect", error=type(error).__name__)
        page.pause()

    return inspect


def _decline(_reason: str) -> bool:
    return False


def _wait_until_solved(page: Page, common: PageSelectors, timeout_s: float) -> bool:
    try:
        common.get(page, "slider_solved").first.wait_for(state="attached", timeout=timeout_s * 1000)
    except PlaywrightError:  # the wait ran out, or the operator closed the window
        return False
    return True


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"

"""Flow contexts and step timings: the one place a `FlowContext` is made, and the one step recorder.

`flow_context` hands a page to the flows with the selectors, the settings, a logger bound to
the entry, and the operator hand-over for human checks (`bot.run.pause`). `command_flow` is
the same for a command that needs one page of its own browser (account, sync, selectors check,
the demo). `StepRecorder` keeps every `step.end` event as a `StepTiming`, for the run's
summary and for the replay's comparison (`StepTiming.from_event` reads one event, here and in a
run's log.jsonl).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog
from playwright.sync_api import Page, sync_playwright
from structlog.typing import EventDict, FilteringBoundLogger, WrappedLogger

from bot.browser import open_browser
from bot.errors import PortalError
from bot.locators import Selectors
from bot.run.artifacts import StepTiming
from bot.run.pause import failure_inspector, human_check_pause
from bot.settings import Settings
from flows.context import FlowContext


def flow_context(page: Page, settings: Settings, entry: str, *, selectors: Selectors | None = None,
                 log: FilteringBoundLogger | None = None) -> FlowContext:
    """A flow context on `page` for `entry`, which hands human checks to the operator (headed runs)."""
    selectors = selectors or Selectors.load(settings.resolved_selectors_dir())
    bound: FilteringBoundLogger = (log or structlog.get_logger("ippbot")).bind(entry=entry)
    pause = human_check_pause(page, selectors.page("common"), settings, log=bound)
    return FlowContext(page=page, selectors=selectors, settings=settings, log=bound, entry=entry, pause=pause,
                       follow_post=settings.har)  # a HAR keeps the portal's 303 for its replay


@contextmanager
def command_flow(settings: Settings, entry: str, *, storage_state: Path | None = None,
                 logger: str = "ippbot") -> Iterator[FlowContext]:
    """A flow context on a fresh page of the command's own browser.

    Selectors are loaded first, so a bad selector file fails before a browser starts. On a
    `PortalError` a headed run with `pause_on_failure` opens the Playwright Inspector first.
    """
    selectors = Selectors.load(settings.resolved_selectors_dir())
    with sync_playwright() as pw, open_browser(settings, pw) as browser, browser.context(storage_state) as context:
        ctx = flow_context(browser.new_page(context), settings, entry, selectors=selectors,
                           log=structlog.get_logger(logger))
        try:
            yield ctx
        except PortalError as exc:
            failure_inspector(settings, log=ctx.log)(ctx.page, exc)
            raise


class StepRecorder:
    """A structlog processor that keeps each entry's step timings and passes every event on."""

    def __init__(self) -> None:
        self.steps: dict[str, list[StepTiming]] = {}

    def __call__(self, _logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
        timing = StepTiming.from_event(event)
        if timing is not None and event.get("entry"):
            self.steps.setdefault(str(event["entry"]), []).append(timing)
        return event

    def pop(self, entry: str) -> list[StepTiming]:
        """The steps recorded for `entry`, forgotten here."""
        return self.steps.pop(entry, [])

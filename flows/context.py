"""What every flow is handed: the page, the selectors, the settings, a logger and the entry's key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page
from structlog.typing import FilteringBoundLogger

from bot.locators import Selectors
from bot.settings import Settings


def _no_pause(_reason: str) -> bool:
    return False


def _nothing() -> None:
    return None


@dataclass
class FlowContext:
    """One entry's working set.

    `pause` hands the page to the operator (headed runs) and says whether they dealt with it;
    the default never pauses. `before_submit` runs right before a final submit click: the
    ledger commits "submitting" there, so a crash after the click is never taken for "not filed".
    `after_click` runs right after that click, before the answer is read (a test hook). `fence` runs
    right before ippbot sends the final post (`flows.send_once`): the runner checks there that its
    lease's fencing token is still current (`bot.store.leasing`); whatever it raises means nothing was
    sent, and comes out of the submit as it is.
    `record_made` is told of a record the portal made before any final submit (a complaint's check
    step), so that one left unfiled is known for what it is. `absent_at_start` says the run's one
    read of IPR management (or of complaint history) showed no record of this entry (`bot.run.index`):
    its look-up page is skipped.
    `send_once` sends every final submit through `flows.send_once` (ippbot posts it, once);
    only a replay, whose answers come from a recording, lets the browser post it. `uploads` holds
    the files each form field was given (by the field's name), for the body that path builds.
    `follow_post`: the browser follows the portal's answer to that post itself, as a HAR recording
    needs (`--har`); else ippbot holds the answer and leads the page to it once its route is gone
    (`flows.send_once.lead`), so that Chromium's cache serves the confirmation's stylesheet.
    """

    page: Page
    selectors: Selectors
    settings: Settings
    log: FilteringBoundLogger
    entry: str = ""
    pause: Callable[[str], bool] = field(default=_no_pause)
    before_submit: Callable[[], None] = field(default=_nothing)
    after_click: Callable[[], None] = field(default=_nothing)
    fence: Callable[[], None] = field(default=_nothing)
    record_made: Callable[[str], None] = field(default=lambda _reference: None)
    send_once: bool = True
    follow_post: bool = False
    absent_at_start: bool = False
    uploads: dict[str, tuple[Path, ...]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """The portal's root URL, without a trailing slash."""
        return self.settings.portal_url.rstrip("/")

"""Account: the services behind `ippbot account register` and `ippbot account login`.

Each checks the portal and the data dir first (`bot.run.preflight`: one line and exit 3 rather
than a browser timeout), opens the command's one browser and one context, runs the flow,
which stores the session (`flows.session`, mode 0600), and prints one line with the
outcome. `open_flow` is that browser-and-context set-up, for other one-off commands too.

The verification code is read from the mock portal's mailbox; against another portal a
headed run with `IPPBOT_PAUSE_ON_FAILURE=true` waits for the operator to type it, as it
waits for them to complete a slider check (`bot.run.pause`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog
from playwright.sync_api import sync_playwright

from bot.browser import open_browser
from bot.errors import PortalError
from bot.locators import Selectors
from bot.retry import build_retrying
from bot.run.pause import failure_inspector, human_check_pause
from bot.run.preflight import check_data_dir, check_portal
from bot.settings import Settings
from flows.context import FlowContext
from flows.register import mock_mailbox, register
from flows.session import login

Say = Callable[[str], None]


@contextmanager
def open_flow(settings: Settings, entry: str, *, storage_state: Path | None = None) -> Iterator[FlowContext]:
    """A flow context on a fresh page of the command's one browser, with the operator hand-over.

    Selectors are loaded first, so a bad selector file fails before a browser starts. On a
    `PortalError` a headed run with `pause_on_failure` opens the Playwright Inspector first.
    """
    selectors = Selectors.load(settings.resolved_selectors_dir())
    log = structlog.get_logger("ippbot.account").bind(entry=entry)
    with sync_playwright() as pw, open_browser(settings, pw) as browser, browser.context(storage_state) as context:
        page = context.new_page()
        pause = human_check_pause(page, selectors.page("common"), settings, log=log)
        ctx = FlowContext(page=page, selectors=selectors, settings=settings, log=log, entry=entry, pause=pause)
        try:
            yield ctx
        except PortalError as exc:
            failure_inspector(settings, log=log)(page, exc)
            raise


def register_account(settings: Settings, *, say: Say = print) -> str:
    """Register the configured account; "registered", or "existing" when it was there (then logged in)."""
    _preflight(settings)
    with open_flow(settings, "account") as ctx:
        outcome = register(ctx, mock_mailbox(settings.portal_url))
    where = f"session stored in {settings.session_file}"
    if outcome == "existing":
        say(f"{settings.email} was already registered on {settings.portal_url}: logged in, {where}")
    else:
        say(f"registered {settings.email} on {settings.portal_url} (code verified, identity document sent), {where}")
    return outcome


def login_account(settings: Settings, *, say: Say = print) -> None:
    """Log in with the configured account (retried when the portal falters) and store the session."""
    _preflight(settings)
    with open_flow(settings, "account") as ctx:
        build_retrying(settings, log=ctx.log)(login, ctx)
    say(f"logged in as {settings.email} on {settings.portal_url}, session stored in {settings.session_file}")


def _preflight(settings: Settings) -> None:
    check_portal(settings)
    check_data_dir(settings)

"""Browser launch: both installed Chromium builds start, render a page, and skip assets."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bot.browser import open_browser
from bot.settings import Settings

pytestmark = pytest.mark.e2e

HEADLESS_SHELL = Path("/usr/bin/chromium-headless-shell")
CHROMIUM = Path("/usr/bin/chromium")
HELLO = "data:text/html,<h1>hi</h1>"


def settings(**fields: object) -> Settings:
    return Settings(_env_file=None, **fields)


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def needs(binary: Path) -> None:
    if not binary.exists():
        pytest.skip(f"{binary} is not installed")


@pytest.mark.parametrize("binary", [HEADLESS_SHELL, CHROMIUM], ids=["headless-shell", "chromium"])
def test_each_installed_build_renders_a_page(playwright: Playwright, binary: Path) -> None:
    """The headless shell and full Chromium both launch headless and render a heading."""
    needs(binary)
    browser = open_browser(settings(browser_path=binary), playwright)
    with browser as session, session.context() as context:
        page = context.new_page()
        page.goto(HELLO)
        expect(page.locator("h1")).to_have_text("hi")


def test_discovery_launches_the_headless_shell_by_default(playwright: Playwright) -> None:
    """With nothing configured, a headless run finds and launches a working browser."""
    needs(HEADLESS_SHELL)
    with open_browser(settings(), playwright) as session:
        page = session.new_context().new_page()
        page.goto(HELLO)
        expect(page.locator("h1")).to_have_text("hi")


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="headed runs need a display (xvfb-run)")
def test_headed_run_launches_full_chromium(playwright: Playwright) -> None:
    """A headed run launches full Chromium, which renders the page in a window."""
    needs(CHROMIUM)
    with open_browser(settings(headless=False), playwright) as session:
        page = session.new_context().new_page()
        page.goto(HELLO)
        expect(page.locator("h1")).to_have_text("hi")


def test_pages_block_images_fonts_and_media_only(playwright: Playwright) -> None:
    """Images are dropped by Chromium's own URL blocking, while other requests go out as usual."""
    closed_port = f"http://127.0.0.1:{unused_port()}"  # a request that goes out is refused
    failures: dict[str, str | None] = {}
    with open_browser(settings(), playwright) as session, session.context() as context:
        page = session.new_page(context)
        page.on("requestfailed", lambda r: failures.update({r.resource_type: r.failure}))
        page.set_content(
            f'<img src="{closed_port}/logo.png"><link rel="stylesheet" href="{closed_port}/a.css">'
        )
    assert failures.get("image") == "inspector"  # blocked by the DevTools protocol's URL blocking
    assert failures.get("stylesheet") == "net::ERR_CONNECTION_REFUSED"


def test_block_assets_off_lets_images_go_out(playwright: Playwright) -> None:
    """With `block_assets=False` (the report's screenshot), an image request goes out like any other."""
    closed_port = f"http://127.0.0.1:{unused_port()}"
    failures: dict[str, str | None] = {}
    with open_browser(settings(), playwright, block_assets=False) as session, session.context() as context:
        page = session.new_page(context)
        page.on("requestfailed", lambda r: failures.update({r.resource_type: r.failure}))
        page.set_content(f'<img src="{closed_port}/logo.png">')
    assert failures.get("image") == "net::ERR_CONNECTION_REFUSED"


def test_context_default_timeout_comes_from_settings(playwright: Playwright) -> None:
    """A locator wait gives up after settings.timeout_ms."""
    with open_browser(settings(timeout_ms=150), playwright) as session:
        page = session.new_context().new_page()
        page.set_content("<p>no button here</p>")
        with pytest.raises(PlaywrightTimeoutError, match="150ms"):
            page.locator("button").click()

"""Headed runs: with --pause-on-failure the operator completes the slider and ippbot carries on by
itself; with --slow-mo a watched run still files its entry. Needs a display (`make test` uses xvfb-run).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from support import IPRS, MockPortal, make_ctx, make_settings

from bot.browser import BrowserSession, find_browser, launch_args, open_browser
from bot.run.pause import human_check_pause
from flows.context import FlowContext
from flows.register import mock_mailbox, register
from flows.submit_ipr import submit_ipr

pytestmark = pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="headed runs need a display (xvfb-run)")

DRAG_MOVES = 40  # a person's drag: many small pointer moves, one per frame the screen shows
WAIT_S = 90


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def headed_browser(playwright: Playwright) -> Iterator[tuple[Browser, int]]:
    """Headed Chromium launched as ippbot launches it, with a DevTools port for the person's own client."""
    port = free_port()
    browser = playwright.chromium.launch(
        executable_path=str(find_browser(browser_path=None, headless=False)), headless=False,
        args=[*launch_args(headless=False), f"--remote-debugging-port={port}"])
    yield browser, port
    browser.close()


class Person(threading.Thread):
    """Someone at the screen: once ippbot asks, finds the slider over DevTools and drags it by hand."""

    def __init__(self, port: int, asked: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.asked = port, asked
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            assert self.asked.wait(WAIT_S), "ippbot never asked for the slider"
            with sync_playwright() as pw:
                browser = pw.chromium.connect_over_cdp(f"http://127.0.0.1:{self.port}")
                page = next(p for c in browser.contexts for p in c.pages if "/register.htm" in p.url)
                drag_to_the_end(page)
                expect(page.locator(".slider-check")).to_have_class("slider-check solved")
        except BaseException as exc:  # handed to the test, which asserts on it
            self.error = exc


def drag_to_the_end(page: Page) -> None:
    """Press the handle, move it right in small steps (each once the page has drawn a frame), release."""
    handle, track = page.get_by_role("slider"), page.get_by_test_id("slider-track")
    expect(handle).to_be_visible()
    box, lane = handle.bounding_box(), track.bounding_box()
    assert box is not None and lane is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    end = lane["x"] + lane["width"] - box["width"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, DRAG_MOVES + 1):
        page.mouse.move(x + (end - x) * i / DRAG_MOVES, y)
        page.evaluate("() => new Promise(requestAnimationFrame)")
    page.mouse.up()


def test_operator_completes_the_slider_and_registration_carries_on(
        headed_browser: tuple[Browser, int], portal: MockPortal, tmp_path: Path) -> None:
    """With the slider on and pause-on-failure, registration waits for the person's drag, then finishes alone."""
    portal.faults(captcha="slider")
    browser, port = headed_browser
    settings = make_settings(portal.url, tmp_path / "data", headless=False, pause_on_failure=True,
                             pause_timeout_s=WAIT_S)
    asked, said = threading.Event(), []
    person = Person(port, asked)
    person.start()

    def say(line: str) -> None:
        said.append(line)
        asked.set()

    with BrowserSession(browser, settings).context() as context:
        page = context.new_page()
        ctx = make_ctx(page, settings)
        ctx.pause = human_check_pause(page, ctx.selectors.page("common"), settings, say=say)
        assert register(ctx, mock_mailbox(portal.url)) == "registered"
    person.join(WAIT_S)
    assert person.error is None, person.error
    assert said == ["ippbot: complete the slider check in the browser window; ippbot carries on by itself "
                    "(waiting up to 1.5 min)"]
    assert [a["login_email"] for a in portal.state()["accounts"]] == [settings.email]


def test_headed_slow_motion_run_files_an_ipr(member: FlowContext, portal: MockPortal,
                                             playwright: Playwright) -> None:
    """A headed run in slow motion, as an operator watches it, submits an IPR end to end."""
    settings = member.settings.model_copy(update={"headless": False, "slow_mo_ms": 20})
    with open_browser(settings, playwright) as browser, browser.context(settings.session_file) as context:
        filed = submit_ipr(make_ctx(context.new_page(), settings), IPRS["patent"])
    [record] = portal.state()["iprs"]
    assert (record["ref"], record["type"], record["status"]) == (filed.reference, "patent", "pending")

"""Headed runs: with --pause-on-failure the operator completes the slider and ippbot carries on by
itself; the Playwright Inspector opens on a failed submit and on a selector error, on the screen, and
ippbot goes on after IPPBOT_PAUSE_TIMEOUT_S; with --slow-mo a watched run still files its entry.
Needs a display (`make test` uses xvfb-run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from support import EMAIL, IPRS, MockPortal, Operator, make_ctx, make_settings, registered, write_batch
from support_cli import in_session, report_of, said

from bot.browser import BrowserSession, find_browser, launch_args, open_browser
from bot.errors import NeedsHuman
from bot.run import pause
from bot.run.pause import human_check_pause
from bot.settings import DEFAULT_SELECTORS_DIR
from flows.context import FlowContext
from flows.register import mock_mailbox, register
from flows.submit_ipr import submit_ipr

pytestmark = pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="headed runs need a display (xvfb-run)")

INSPECTOR_WIDTH = 600  # Playwright opens its Inspector 600 pixels wide
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
    assert said[0] == ("ippbot: complete the slider check in the browser window; ippbot carries on by itself "
                       "(waiting up to 1.5 min)")
    assert all(line.startswith("ippbot: still waiting for the slider check: ") for line in said[1:]), said
    assert [a["login_email"] for a in portal.state()["accounts"]] == [settings.email]


def test_headed_slow_motion_run_files_an_ipr(member: FlowContext, portal: MockPortal,
                                             playwright: Playwright) -> None:
    """A headed run in slow motion, as an operator watches it, submits an IPR end to end."""
    settings = member.settings.model_copy(update={"headless": False, "slow_mo_ms": 20})
    with open_browser(settings, playwright) as browser, browser.context(settings.session_file) as context:
        filed = submit_ipr(make_ctx(context.new_page(), settings), IPRS["patent"])
    [record] = portal.state()["iprs"]
    assert (record["ref"], record["type"], record["status"]) == (filed.reference, "patent", "pending")


def screen_width() -> int:
    """The width of the X screen the tests run on (xwininfo, from x11-utils, is there with Xvfb)."""
    found = re.search(r"Width: (\d+)", subprocess.run(["xwininfo", "-root"], capture_output=True, text=True,
                                                      check=True).stdout)
    assert found
    return int(found.group(1))


@pytest.fixture
def operator(portal: MockPortal, browser: Browser, tmp_path: Path) -> Operator:
    """An operator whose account is registered, with one IPR enqueued."""
    operator = registered(portal, browser, tmp_path / "data", EMAIL)
    operator.ippbot("enqueue", str(write_batch(tmp_path / "b.yaml", iprs=1)), check=True)
    return operator


def run_headed(operator: Operator, timeout_s: int, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """`ippbot run --headed --pause-on-failure` with that pause timeout; what it did and how long it took."""
    started = time.monotonic()
    done = in_session(operator, "run", "--headed", "--pause-on-failure",
                      extra_env={"IPPBOT_PAUSE_TIMEOUT_S": str(timeout_s), **env})
    return done, time.monotonic() - started


def events(done: subprocess.CompletedProcess[str], name: str) -> list[dict[str, Any]]:
    """The run's log.jsonl events of that name."""
    log = report_of(done.stdout).parent / "log.jsonl"
    found = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return [e for e in found if e.get("event") == name]


@pytest.mark.skipif(not shutil.which("xwininfo"), reason="xwininfo (x11-utils) tells the screen's width")
def test_a_submit_answered_503_opens_the_inspector_on_screen_and_gives_up_after_the_timeout(
        operator: Operator) -> None:
    """With --pause-on-failure, a submit answered 503 opens the Inspector on that page, wholly on the screen,
    and after IPPBOT_PAUSE_TIMEOUT_S the run goes on by itself; the entry goes back in line."""
    operator.portal.faults(**{"error_rate:/ipr/submit": 1})
    done, took = run_headed(operator, 8)
    said_lines = said(done.stderr)
    assert said_lines[0].startswith("ippbot: no confirmation after the submit: the portal answered 503 (entry=ipr:")
    assert said_lines[0].endswith("; the Playwright Inspector is open on that page: look around, then press Resume "
                                  "(F8) and ippbot carries on (by itself after 8 s)")
    assert said_lines[1:] == ["ippbot: nobody pressed Resume within 8 s; ippbot carries on"]
    assert 8 <= took < 90
    [gave_up] = events(done, "operator.gave_up")
    assert gave_up["inspector_at"] is not None, "the Inspector's window never showed"
    x, _y = gave_up["inspector_at"]
    assert x + INSPECTOR_WIDTH <= screen_width()
    assert (done.returncode, operator.states()) == (1, {"pending": 1})


def test_a_selector_error_opens_the_inspector_and_gives_up_after_the_timeout(
        operator: Operator, tmp_path: Path) -> None:
    """A selector that matches nothing opens the Inspector, and the run goes on after IPPBOT_PAUSE_TIMEOUT_S."""
    broken = tmp_path / "selectors"
    shutil.copytree(DEFAULT_SELECTORS_DIR, broken)
    form = broken / "ipr_form.toml"
    form.write_text(form.read_text().replace('{ label = "Rights holder" }', '{ label = "Holder of the rights" }'))
    done, took = run_headed(operator, 3, IPPBOT_SELECTORS_DIR=str(broken), IPPBOT_TIMEOUT_MS="2000")
    said_lines = said(done.stderr)
    assert said_lines[0].startswith(f"ippbot: {broken}/ipr_form.toml: rights_holder: matches no element")
    assert "the Playwright Inspector is open on that page" in said_lines[0]
    assert said_lines[1:] == ["ippbot: nobody pressed Resume within 3 s; ippbot carries on"]
    assert 3 <= took < 90
    assert (done.returncode, operator.states()) == (1, {"failed": 1})
    assert operator.portal.state()["iprs"] == []


def test_pause_on_failure_in_a_headless_run_says_to_add_headed(operator: Operator) -> None:
    """`ippbot run --pause-on-failure` without --headed says, before it starts, that it needs --headed."""
    done = in_session(operator, "run", "--pause-on-failure")
    assert said(done.stderr) == ["ippbot: --pause-on-failure needs a browser window: add --headed (this run goes on "
                                 "without pausing)"]
    assert (done.returncode, operator.states()) == (0, {"confirmed": 1})


def test_the_slider_wait_counts_down_and_says_when_it_gives_up(
        headed_browser: tuple[Browser, int], portal: MockPortal, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Waiting for a slider nobody drags, ippbot says every tick how long it still waits, then that it gave up."""
    monkeypatch.setattr(pause, "TICK_S", 1.0)
    portal.faults(captcha="slider")
    browser, _port = headed_browser
    settings = make_settings(portal.url, tmp_path / "data", headless=False, pause_on_failure=True, pause_timeout_s=3)
    said: list[str] = []
    with BrowserSession(browser, settings).context() as context:
        page = context.new_page()
        ctx = make_ctx(page, settings)
        ctx.pause = human_check_pause(page, ctx.selectors.page("common"), settings, say=said.append)
        with pytest.raises(NeedsHuman):
            register(ctx, mock_mailbox(portal.url))
    assert said[0] == ("ippbot: complete the slider check in the browser window; ippbot carries on by itself "
                       "(waiting up to 3 s)")
    assert said[1].startswith("ippbot: still waiting for the slider check: ") and said[1].endswith(" s left")
    assert said[-1] == ("ippbot: nobody completed the slider check within 3 s; the entry waits for a person "
                        "(run again to try once more)")

"""Fixtures for the browser tests: the served mock portal, Chromium as ippbot finds it, a flow context.

The portal runs as its own process (as in production), one per layout for the session, and
is reset before each test. Chromium is the one `bot.browser` discovers, launched with its
arguments; pytest-playwright's `--tracing retain-on-failure` keeps a trace of failed tests.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from playwright.sync_api import Page

from bot.browser import find_browser, launch_args
from bot.locators import Selectors
from bot.settings import DEFAULT_SELECTORS_DIR, Settings
from flows.context import FlowContext
from flows.register import mock_mailbox, register

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "fixtures" / "documents"
V2_SELECTORS = Path(__file__).parent / "selectors_v2"
PASSWORD = "E2e-Passw0rd"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is an e2e test."""
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch the Chromium ippbot discovers, with its arguments (never a downloaded browser)."""
    headless = browser_type_launch_args.get("headless", True)
    return {**browser_type_launch_args,
            "executable_path": str(find_browser(browser_path=None, headless=headless)),
            "args": launch_args(headless)}


class ServedPortal:
    """The mock portal as a separate process; `url` is where it listens."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        cmd = [sys.executable, "-m", "fixtures.portal", "--port", "0", "--data-dir", str(data_dir), *args]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.url = self._wait_for_url()

    def _wait_for_url(self) -> str:
        lines: queue.Queue[str] = queue.Queue()
        assert self.proc.stdout is not None
        threading.Thread(target=lambda: [lines.put(line) for line in self.proc.stdout or []], daemon=True).start()
        while True:
            line = lines.get(timeout=30)
            if line.startswith("portal listening on "):
                return line.split()[-1]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@dataclass
class MockPortal:
    """A test's handle on the served portal's control API."""

    url: str

    def state(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/__mock/state").json()

    def advance(self, days: float) -> None:
        httpx.post(f"{self.url}/__mock/clock", json={"advance_days": days}).raise_for_status()

    def faults(self, **spec: Any) -> dict[str, Any]:
        answer = httpx.post(f"{self.url}/__mock/faults", json=spec)
        answer.raise_for_status()
        return answer.json()

    def fired(self) -> dict[str, int]:
        """How often each fault fired since the spec was put in force."""
        fired: dict[str, int] = httpx.get(f"{self.url}/__mock/faults").json()["fired"]
        return fired

    def reset(self) -> None:
        httpx.post(f"{self.url}/__mock/reset").raise_for_status()
        now = datetime.fromisoformat(self.state()["now"])
        monday = (now + timedelta(days=7 - now.weekday())).replace(hour=9, minute=0, second=0, microsecond=0)
        httpx.post(f"{self.url}/__mock/clock", json={"set": monday.isoformat()}).raise_for_status()


@pytest.fixture(scope="session")
def served_v1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedPortal]:
    """The portal in its normal layout, for the whole session."""
    server = ServedPortal(tmp_path_factory.mktemp("portal-v1"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def served_v2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedPortal]:
    """The portal after a redesign (`--layout v2`), for the whole session."""
    server = ServedPortal(tmp_path_factory.mktemp("portal-v2"), "--layout", "v2")
    yield server
    server.stop()


@pytest.fixture
def portal(served_v1: ServedPortal) -> MockPortal:
    """The v1 portal, emptied, its clock on a Monday morning."""
    handle = MockPortal(served_v1.url)
    handle.reset()
    return handle


def make_settings(portal_url: str, data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test: its own data dir, fast retries, the test account."""
    fields: dict[str, Any] = {"portal_url": portal_url, "data_dir": data_dir, "email": "brand@e2e.example",
                              "password": PASSWORD, "timeout_ms": 10_000, "retry_base_s": 0.05,
                              "retry_max_s": 0.5, "retry_attempts": 6}
    fields.update(overrides)
    return Settings(_env_file=None, **fields)


@pytest.fixture
def settings(portal: MockPortal, tmp_path: Path) -> Settings:
    """Settings pointing at the v1 portal."""
    return make_settings(portal.url, tmp_path / "data")


def make_ctx(page: Page, settings: Settings, selectors_dir: Path = DEFAULT_SELECTORS_DIR) -> FlowContext:
    """A flow context on a test's page, with the run's default timeout."""
    page.set_default_timeout(settings.timeout_ms)
    return FlowContext(page=page, selectors=Selectors.load(selectors_dir), settings=settings,
                       log=structlog.get_logger("e2e"), entry="e2e")


@pytest.fixture
def ctx(page: Page, settings: Settings) -> FlowContext:
    """A flow context with nobody logged in yet."""
    return make_ctx(page, settings)


@pytest.fixture
def member(ctx: FlowContext, portal: MockPortal) -> FlowContext:
    """A flow context whose account is registered, verified and has its identity document in."""
    assert register(ctx, mock_mailbox(portal.url)) == "registered"
    return ctx


@pytest.fixture
def portal_v2(served_v2: ServedPortal) -> MockPortal:
    """The redesigned (`--layout v2`) portal, emptied, its clock on a Monday morning."""
    handle = MockPortal(served_v2.url)
    handle.reset()
    return handle


def settings_env(settings: Settings) -> dict[str, str]:
    """The IPPBOT_* variables that give a separate `ippbot` process these settings."""
    fields = {"portal_url": settings.portal_url, "data_dir": settings.data_dir, "email": settings.email,
              "password": settings.password.get_secret_value(), "timeout_ms": settings.timeout_ms,
              "selectors_dir": settings.resolved_selectors_dir(), "log_format": "json"}
    return {f"IPPBOT_{name.upper()}": str(value) for name, value in fields.items()}


def run_ippbot(*argv: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the `ippbot` console script as an operator does, with only the given IPPBOT_* variables."""
    outside = {name: value for name, value in os.environ.items() if not name.startswith("IPPBOT_")}
    script = Path(sys.executable).parent / "ippbot"
    return subprocess.run([str(script), *argv], env={**outside, **env}, cwd=cwd, capture_output=True,
                          text=True, timeout=240, check=False)


@pytest.fixture
def v2_settings(portal_v2: MockPortal, tmp_path: Path) -> Settings:
    """Settings pointing at the v2 portal (the selectors folder is chosen per flow context)."""
    return make_settings(portal_v2.url, tmp_path / "data-v2")


@pytest.fixture
def v2_member(page: Page, v2_settings: Settings, portal_v2: MockPortal) -> FlowContext:
    """A flow context with the v2 selectors set, whose account is registered on the v2 portal."""
    ctx = make_ctx(page, v2_settings, V2_SELECTORS)
    assert register(ctx, mock_mailbox(portal_v2.url)) == "registered"
    return ctx

"""Fixtures of the reliability suite: a served portal, Chromium as ippbot finds it, registered operators.

Sizes: `size(quick, full)` gives the quick count in `make test` and the full one under
`make soak` (IPPBOT_SOAK=1).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser
from support import MockPortal, Operator, ServedPortal, make_ctx, make_settings

from bot.browser import find_browser, launch_args
from flows.register import mock_mailbox, register

SOAK = os.environ.get("IPPBOT_SOAK") == "1"


def size(quick: int, full: int) -> int:
    """How many entries a test works: `full` under make soak, else `quick`."""
    return full if SOAK else quick


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/reliability is a reliability test (and drives a browser)."""
    for item in items:
        if "tests/reliability/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.reliability)
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch the Chromium ippbot discovers, with its arguments (never a downloaded browser)."""
    headless = browser_type_launch_args.get("headless", True)
    return {**browser_type_launch_args,
            "executable_path": str(find_browser(browser_path=None, headless=headless)),
            "args": launch_args(headless)}


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedPortal]:
    """One portal process for the suite."""
    server = ServedPortal(tmp_path_factory.mktemp("portal"))
    yield server
    server.stop()


@pytest.fixture
def portal(served: ServedPortal) -> MockPortal:
    """The portal, emptied, its clock on a Monday morning."""
    handle = MockPortal(served.url)
    handle.reset()
    return handle


def registered(portal: MockPortal, browser: Browser, data_dir: Path, email: str) -> Operator:
    """An operator whose account `email` is registered and whose session is stored."""
    settings = make_settings(portal.url, data_dir, email=email)
    context = browser.new_context()
    try:
        assert register(make_ctx(context.new_page(), settings), mock_mailbox(portal.url)) == "registered"
    finally:
        context.close()
    return Operator(portal, data_dir, email)


@pytest.fixture
def operator(portal: MockPortal, browser: Browser, tmp_path: Path) -> Operator:
    """One registered operator with its own data dir."""
    return registered(portal, browser, tmp_path / "data", "brand@e2e.example")

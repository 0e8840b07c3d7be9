"""Fixtures every browser suite shares: Chromium as ippbot finds it (never a downloaded browser), the served portal."""

from __future__ import annotations

from typing import Any

import pytest

from bot.browser import find_browser, launch_args

# the served mock portal (`portal`, `portal_v2`) for tests/e2e and tests/reliability alike
pytest_plugins = ["portal_fixtures"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright launches the Chromium `bot.browser` discovers, with ippbot's arguments."""
    headless = browser_type_launch_args.get("headless", True)
    return {**browser_type_launch_args,
            "executable_path": str(find_browser(browser_path=None, headless=headless)),
            "args": launch_args(headless)}

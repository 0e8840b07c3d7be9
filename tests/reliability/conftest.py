"""Fixtures of the reliability suite: registered operators on the served portal (tests/portal_fixtures.py).

Sizes: `size(quick, full)` gives the quick count in `make test` and the full one under
`make soak` (IPPBOT_SOAK=1).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser
from support import MockPortal, Operator, registered


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/reliability is a reliability test (and drives a browser)."""
    for item in items:
        if "tests/reliability/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.reliability)
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def operator(portal: MockPortal, browser: Browser, tmp_path: Path) -> Operator:
    """One registered operator with its own data dir."""
    return registered(portal, browser, tmp_path / "data", "brand@e2e.example")

"""Fixtures of the reliability suite: a served portal, Chromium as ippbot finds it, registered operators.

Sizes: `size(quick, full)` gives the quick count in `make test` and the full one under
`make soak` (IPPBOT_SOAK=1).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from support import MockPortal, Operator, ServedPortal, registered


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/reliability is a reliability test (and drives a browser)."""
    for item in items:
        if "tests/reliability/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.reliability)
            item.add_marker(pytest.mark.e2e)


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


@pytest.fixture
def operator(portal: MockPortal, browser: Browser, tmp_path: Path) -> Operator:
    """One registered operator with its own data dir."""
    return registered(portal, browser, tmp_path / "data", "brand@e2e.example")

"""The served mock portal as fixtures, for the browser suites (a pytest plugin: see tests/conftest.py).

The portal runs as its own process (as in production), one per layout for the session, started
when a test first asks for that layout, and is reset before each test. tests/e2e and
tests/reliability both use it; the pieces it is built from are in tests/support.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from support import MockPortal, ServedPortal


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], ServedPortal]]:
    """The portal process of a layout (`v1`, the normal one; `v2`, after a redesign), started once a session."""
    started: dict[str, ServedPortal] = {}

    def serve(layout: str) -> ServedPortal:
        if layout not in started:
            started[layout] = ServedPortal(tmp_path_factory.mktemp(f"portal-{layout}"), "--layout", layout)
        return started[layout]

    yield serve
    for server in started.values():
        server.stop()


def fresh(server: ServedPortal) -> MockPortal:
    """A handle on the served portal, emptied, its clock on a Monday morning."""
    handle = MockPortal(server.url)
    handle.reset()
    return handle


@pytest.fixture
def portal(served: Callable[[str], ServedPortal]) -> MockPortal:
    """The portal in its normal layout, emptied, its clock on a Monday morning."""
    return fresh(served("v1"))


@pytest.fixture
def portal_v2(served: Callable[[str], ServedPortal]) -> MockPortal:
    """The redesigned (`--layout v2`) portal, emptied, its clock on a Monday morning."""
    return fresh(served("v2"))

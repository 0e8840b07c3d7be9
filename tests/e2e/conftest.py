"""Fixtures for the browser tests: settings and a flow context on the served mock portal.

The portal (`portal`, `portal_v2`) runs as its own process, one per layout for the session, and
is reset before each test (tests/portal_fixtures.py). Chromium is the one `bot.browser`
discovers (tests/conftest.py); pytest-playwright's `--tracing retain-on-failure` keeps a trace
of failed tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from support import EMAIL, V2_SELECTORS, MockPortal, Operator, make_ctx, make_settings, registered

from bot.settings import Settings
from flows.context import FlowContext
from flows.register import mock_mailbox, register


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is an e2e test."""
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def settings(portal: MockPortal, tmp_path: Path) -> Settings:
    """Settings pointing at the v1 portal."""
    return make_settings(portal.url, tmp_path / "data")


@pytest.fixture
def operator(portal: MockPortal, browser: Browser, tmp_path: Path) -> Operator:
    """An operator whose account is registered (its session stored in `tmp_path / "data"`), for the command tests."""
    return registered(portal, browser, tmp_path / "data", EMAIL)


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
def v2_settings(portal_v2: MockPortal, tmp_path: Path) -> Settings:
    """Settings pointing at the v2 portal (the selectors folder is chosen per flow context)."""
    return make_settings(portal_v2.url, tmp_path / "data-v2")


@pytest.fixture
def v2_member(page: Page, v2_settings: Settings, portal_v2: MockPortal) -> FlowContext:
    """A flow context with the v2 selectors set, whose account is registered on the v2 portal."""
    ctx = make_ctx(page, v2_settings, V2_SELECTORS)
    assert register(ctx, mock_mailbox(portal_v2.url)) == "registered"
    return ctx

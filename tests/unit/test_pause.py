"""Operator hand-over: only a headed run with pause-on-failure waits for a person or opens the Inspector."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.locators import PageSelectors, Selectors
from bot.logs import clear_secrets, register_secret
from bot.run.pause import failure_inspector, human_check_pause, needs_window, operator_present
from bot.settings import Settings

pytestmark = pytest.mark.unit

COMMON = 'slider = { css = ".slider" }\nslider_solved = { css = ".slider.solved" }\n'


class FakeLocator:
    def __init__(self, n: int) -> None:
        self.n = n

    def count(self) -> int:
        return self.n


class FakePage:
    """Just enough of a page: CSS look-ups that match nothing, and a record of Inspector pauses."""

    def __init__(self) -> None:
        self.pauses = 0
        self.looked_up: list[str] = []

    def locator(self, css: str) -> FakeLocator:
        self.looked_up.append(css)
        return FakeLocator(0)

    def is_closed(self) -> bool:
        return False

    def pause(self) -> None:
        self.pauses += 1


@pytest.fixture
def common(tmp_path: Path) -> PageSelectors:
    (tmp_path / "common.toml").write_text(COMMON)
    return Selectors.load(tmp_path).page("common")


def settings(**fields: object) -> Settings:
    return Settings(_env_file=None, **fields)


@pytest.mark.parametrize(("headless", "pause_on_failure", "present"),
                         [(True, True, False), (False, False, False), (True, False, False), (False, True, True)])
def test_only_a_headed_run_with_pause_on_failure_has_an_operator(headless: bool, pause_on_failure: bool,
                                                                 present: bool) -> None:
    """An operator can step in only when the browser is shown and the run was asked to pause."""
    assert operator_present(settings(headless=headless, pause_on_failure=pause_on_failure)) is present


def test_without_an_operator_the_pause_declines_at_once(common: PageSelectors) -> None:
    """Headless, the pause looks at nothing, says to add --headed and returns False (the flow raises NeedsHuman)."""
    page, said = FakePage(), []
    pause = human_check_pause(page, common, settings(pause_on_failure=True), say=said.append)
    assert pause("complete the slider check") is False
    assert said == ["ippbot: a person must complete the slider check, and nobody can in this run: add --headed "
                    "to do it in a browser window"]
    assert page.looked_up == []


def test_a_declined_check_names_every_missing_option(common: PageSelectors) -> None:
    """A headless run without pause-on-failure is told to add both options."""
    said: list[str] = []
    assert human_check_pause(FakePage(), common, settings(), say=said.append)("complete the slider check") is False
    assert "add --headed --pause-on-failure to do it in a browser window" in said[0]


@pytest.mark.parametrize(("headless", "pause_on_failure", "line"), [
    (True, True, "ippbot: --pause-on-failure needs a browser window: add --headed (this run goes on without pausing)"),
    (False, True, None), (True, False, None)])
def test_pause_on_failure_without_a_window_says_to_add_headed(headless: bool, pause_on_failure: bool,
                                                              line: str | None) -> None:
    """Asking to pause on failure in a headless run gets one line naming --headed; otherwise nothing."""
    assert needs_window(settings(headless=headless, pause_on_failure=pause_on_failure)) == line


def test_with_no_slider_the_operator_is_told_and_the_flow_waits_its_own_way(common: PageSelectors) -> None:
    """With no slider on the page (the emailed code), the operator gets one line and the flow goes on."""
    page, said = FakePage(), []
    pause = human_check_pause(page, common, settings(headless=False, pause_on_failure=True, pause_timeout_s=300),
                              say=said.append)
    assert pause("type the 6-digit code from the email") is True
    assert said == ["ippbot: type the 6-digit code from the email in the browser window; "
                    "ippbot carries on by itself (waiting up to 5 min)"]


def test_failure_opens_the_inspector_only_with_an_operator() -> None:
    """On a failure the Inspector opens (page.pause) in a headed pause-on-failure run, and never otherwise."""
    page, said = FakePage(), []
    failure_inspector(settings(pause_on_failure=True), say=said.append)(page, RuntimeError("boom"))
    assert (page.pauses, said) == (0, [])
    failure_inspector(settings(headless=False, pause_on_failure=True), say=said.append)(page, RuntimeError("boom"))
    assert page.pauses == 1
    assert said == ["ippbot: boom; the Playwright Inspector is open on that page: look around, then press Resume "
                    "(F8) and ippbot carries on (by itself after 10 min)"]


def test_the_inspector_line_masks_secrets() -> None:
    """A secret in the error's text is masked in the line shown to the operator."""
    register_secret("s3cret-cookie")
    said: list[str] = []
    try:
        failure_inspector(settings(headless=False, pause_on_failure=True), say=said.append)(
            FakePage(), RuntimeError("bad cookie s3cret-cookie"))
    finally:
        clear_secrets()
    assert said[0].startswith("ippbot: bad cookie [redacted];")

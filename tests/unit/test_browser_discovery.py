"""Browser discovery: the contract's order of preference, and the flags Chromium gets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot import browser
from bot.browser import find_browser, launch_args
from bot.errors import EnvironmentProblem

pytestmark = pytest.mark.unit


class Machine:
    """A pretend machine: which absolute paths exist and which commands are on PATH."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.files: set[str] = set()
        self.path: dict[str, str] = {}
        monkeypatch.setattr(browser, "_is_executable", lambda p: str(p) in self.files)
        monkeypatch.setattr(browser.shutil, "which", self.path.get)

    def has(self, *paths: str) -> Machine:
        self.files.update(paths)
        return self

    def on_path(self, *commands: str) -> Machine:
        self.path.update({c: f"/opt/bin/{c}" for c in commands})
        return self


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> Machine:
    return Machine(monkeypatch)


def find(
    headless: bool = True, browser_path: str | None = None, bundled: str | None = None
) -> Path:
    return find_browser(
        browser_path=Path(browser_path) if browser_path else None,
        headless=headless,
        bundled=Path(bundled) if bundled else None,
    )


def test_configured_path_comes_first(machine: Machine) -> None:
    """IPPBOT_BROWSER_PATH wins over every installed browser."""
    machine.has("/opt/chrome/chrome", "/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
    assert find(browser_path="/opt/chrome/chrome") == Path("/opt/chrome/chrome")


def test_configured_path_that_is_missing_is_an_environment_problem(machine: Machine) -> None:
    """A configured path that is not an executable fails, rather than silently using another."""
    machine.has("/usr/bin/chromium")
    with pytest.raises(EnvironmentProblem, match="IPPBOT_BROWSER_PATH=/nope/chrome"):
        find(browser_path="/nope/chrome")


def test_headless_prefers_the_headless_shell(machine: Machine) -> None:
    """A headless run takes Debian's chromium-headless-shell over full Chromium."""
    machine.has("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
    assert find(headless=True) == Path("/usr/bin/chromium-headless-shell")


def test_headless_shell_is_also_found_on_path(machine: Machine) -> None:
    """A headless shell elsewhere on PATH is still preferred for headless runs."""
    machine.has("/usr/bin/chromium").on_path("chromium-headless-shell")
    assert find(headless=True) == Path("/opt/bin/chromium-headless-shell")


def test_headed_runs_use_full_chromium(machine: Machine) -> None:
    """A headed run never takes the headless shell."""
    machine.has("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
    assert find(headless=False) == Path("/usr/bin/chromium")


@pytest.mark.parametrize(
    ("installed", "expected"),
    [
        (["chromium", "chromium-browser", "google-chrome"], "/opt/bin/chromium"),
        (["chromium-browser", "google-chrome"], "/opt/bin/chromium-browser"),
        (["google-chrome"], "/opt/bin/google-chrome"),
    ],
)
def test_system_chromium_order(machine: Machine, installed: list[str], expected: str) -> None:
    """Without /usr/bin/chromium, commands on PATH are tried in the contract's order."""
    machine.on_path(*installed)
    assert find(headless=False) == Path(expected)


def test_system_chromium_beats_playwrights_own(machine: Machine) -> None:
    """A system Chromium is preferred to Playwright's downloaded browser."""
    machine.has("/usr/bin/chromium", "/root/.cache/ms-playwright/chrome")
    assert find(bundled="/root/.cache/ms-playwright/chrome") == Path("/usr/bin/chromium")


def test_playwrights_own_browser_comes_last(machine: Machine) -> None:
    """With no system browser, Playwright's downloaded browser is used if it exists."""
    machine.has("/root/.cache/ms-playwright/chrome")
    assert find(bundled="/root/.cache/ms-playwright/chrome") == Path(
        "/root/.cache/ms-playwright/chrome"
    )


def test_no_browser_says_how_to_get_one(machine: Machine) -> None:
    """With nothing installed, the error says to install chromium or set IPPBOT_BROWSER_PATH."""
    with pytest.raises(EnvironmentProblem) as caught:
        find(bundled="/root/.cache/ms-playwright/chrome")
    assert str(caught.value) == (
        "no Chromium found; to fix: apt-get install -y chromium (or set IPPBOT_BROWSER_PATH)"
    )


def test_real_files_are_checked_for_the_execute_bit(tmp_path: Path) -> None:
    """A configured file that exists but is not executable is refused."""
    plain = tmp_path / "chrome"
    plain.write_text("")
    with pytest.raises(EnvironmentProblem):
        find_browser(browser_path=plain, headless=True)
    plain.chmod(0o755)
    assert find_browser(browser_path=plain, headless=True) == plain


def test_launch_args_as_root_disable_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """As root, Chromium gets --no-sandbox; otherwise it keeps its sandbox."""
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert "--no-sandbox" in launch_args(headless=True)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "--no-sandbox" not in launch_args(headless=True)


def test_launch_args_keep_chromium_quiet() -> None:
    """Background traffic and first-run screens are off; the GPU is off only when headless."""
    args = launch_args(headless=True)
    for flag in (
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--disable-gpu",
    ):
        assert flag in args
    assert "--disable-gpu" not in launch_args(headless=False)

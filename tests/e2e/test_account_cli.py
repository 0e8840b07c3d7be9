"""`ippbot account register` and `ippbot account login`, run as an operator runs them, against the served portal."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from support import MockPortal, run_ippbot, settings_env

from bot.settings import Settings


def test_register_then_login_from_the_command_line(portal: MockPortal, settings: Settings, tmp_path: Path) -> None:
    """Register stores a private session and says so; a second register finds the account; login logs in."""
    env, where = settings_env(settings), f"session stored in {settings.session_file}"
    first = run_ippbot("account", "register", env=env, cwd=tmp_path)
    assert (first.returncode, first.stdout) == (0, f"registered {settings.email} on {portal.url} "
                                                   f"(code verified, identity document sent), {where}\n")
    assert [(a["login_email"], a["status"]) for a in portal.state()["accounts"]] == [
        (settings.email, "pending_verification")]
    assert stat.S_IMODE(settings.session_file.stat().st_mode) == 0o600
    again = run_ippbot("account", "register", env=env, cwd=tmp_path)
    assert (again.returncode, again.stdout) == (
        0, f"{settings.email} was already registered on {portal.url}: logged in, {where}\n")
    assert len(portal.state()["accounts"]) == 1
    login = run_ippbot("account", "login", env=env, cwd=tmp_path)
    assert (login.returncode, login.stdout) == (0, f"logged in as {settings.email} on {portal.url}, {where}\n")


def test_slider_without_an_operator_ends_with_one_line(portal: MockPortal, settings: Settings,
                                                       tmp_path: Path) -> None:
    """Headless, a slider check ends `account register` with exit 1 and one line saying a person is needed."""
    portal.faults(captcha="slider")
    result = run_ippbot("account", "register", env=settings_env(settings), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    said = [line for line in result.stderr.splitlines() if line.startswith("ippbot: ")]
    assert said[0] == ("ippbot: a person must complete the slider check, and nobody can in this run: add --headed "
                       "--pause-on-failure to do it in a browser window")
    assert said[-1].startswith("ippbot: the portal shows a slider check meant for a person (")
    assert portal.state()["accounts"] == []


def test_pause_on_failure_without_a_window_says_to_add_headed(portal: MockPortal, settings: Settings,
                                                              tmp_path: Path) -> None:
    """`account register --pause-on-failure` in a headless run says at once that it needs --headed."""
    portal.faults(captcha="slider")
    result = run_ippbot("account", "register", "--pause-on-failure", env=settings_env(settings), cwd=tmp_path)
    said = [line for line in result.stderr.splitlines() if line.startswith("ippbot: ")]
    assert said[:2] == ["ippbot: --pause-on-failure needs a browser window: add --headed (this run goes on "
                        "without pausing)",
                        "ippbot: a person must complete the slider check, and nobody can in this run: add --headed "
                        "to do it in a browser window"]
    assert result.returncode == 1


def test_without_an_email_the_command_says_which_account_it_uses(portal: MockPortal, settings: Settings,
                                                                  tmp_path: Path) -> None:
    """With no IPPBOT_EMAIL (or an empty one), `account register` and `login` say they use the demo account."""
    env = {**settings_env(settings), "IPPBOT_EMAIL": " ", "IPPBOT_PASSWORD": "Ippbot-Demo-2026"}
    notice = ("ippbot: IPPBOT_EMAIL is not set: using brand@example.com, the mock portal's demo account "
              "(set IPPBOT_EMAIL in .env for your own)")
    registered = run_ippbot("account", "register", env=env, cwd=tmp_path)
    assert registered.returncode == 0, registered.stderr
    assert notice in registered.stderr.splitlines()
    assert registered.stdout.startswith("registered brand@example.com on ")
    login = run_ippbot("account", "login", env=env, cwd=tmp_path)
    assert (login.returncode, login.stdout.split()[:4]) == (0, ["logged", "in", "as", "brand@example.com"])
    assert notice in login.stderr.splitlines()


def test_unreachable_portal_is_one_line_and_exit_3(settings: Settings, tmp_path: Path) -> None:
    """With the portal down, `account login` says so in one line with the fix, and exits 3."""
    env = {**settings_env(settings), "IPPBOT_PORTAL_URL": "http://127.0.0.1:9"}
    result = run_ippbot("account", "login", env=env, cwd=tmp_path)
    assert result.returncode == 3
    assert result.stderr == ("ippbot: portal at http://127.0.0.1:9 is unreachable; to fix: start it: "
                             "ippbot portal serve --port 9, or set IPPBOT_PORTAL_URL\n")


@pytest.mark.parametrize("argv", [["run"], ["sync"], ["account", "register"], ["account", "login"],
                                  ["selectors", "check"]])
def test_every_command_that_reaches_the_portal_says_it_is_down_in_one_line(settings: Settings, tmp_path: Path,
                                                                          argv: list[str]) -> None:
    """With the portal down, each command that talks to it exits 3 with the one line `ippbot run` gives."""
    env = {**settings_env(settings), "IPPBOT_PORTAL_URL": "http://127.0.0.1:9"}
    result = run_ippbot(*argv, env=env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr == ("ippbot: portal at http://127.0.0.1:9 is unreachable; to fix: start it: "
                             "ippbot portal serve --port 9, or set IPPBOT_PORTAL_URL\n")

"""`ippbot account register` and `ippbot account login`, run as an operator runs them, against the served portal."""

from __future__ import annotations

import stat
from pathlib import Path

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
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ippbot: the portal shows a slider check meant for a person (")
    assert portal.state()["accounts"] == []


def test_unreachable_portal_is_one_line_and_exit_3(settings: Settings, tmp_path: Path) -> None:
    """With the portal down, `account login` says so in one line with the fix, and exits 3."""
    env = {**settings_env(settings), "IPPBOT_PORTAL_URL": "http://127.0.0.1:9"}
    result = run_ippbot("account", "login", env=env, cwd=tmp_path)
    assert result.returncode == 3
    assert result.stderr == ("ippbot: portal at http://127.0.0.1:9 is unreachable; to fix: start it: "
                             "ippbot portal serve --port 8765, or set IPPBOT_PORTAL_URL\n")

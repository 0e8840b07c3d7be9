"""Pre-flight checks: an unreachable portal or an unwritable data dir is one line with its fix, exit 3."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.commands import cli
from bot.errors import EnvironmentProblem, exit_code_for
from bot.run.preflight import check_data_dir, check_portal, unreachable_fix
from bot.settings import Settings

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("isolated")]  # tests/unit/conftest.py


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def nowhere() -> str:
    return f"http://127.0.0.1:{closed_port()}"


def test_unreachable_portal_names_the_url_and_the_fix(nowhere: str) -> None:
    """A portal that does not answer is an EnvironmentProblem naming its URL and how to start it on that port."""
    with pytest.raises(EnvironmentProblem) as caught:
        check_portal(Settings(_env_file=None, portal_url=nowhere), timeout_s=2)
    port = nowhere.rsplit(":", 1)[1]
    assert str(caught.value) == (f"portal at {nowhere} is unreachable; to fix: start it: "
                                 f"ippbot portal serve --port {port}, or set IPPBOT_PORTAL_URL")
    assert exit_code_for(caught.value) == 3


@pytest.mark.parametrize(("url", "fix"), [
    ("http://127.0.0.1:8765", "start it: ippbot portal serve --port 8765, or set IPPBOT_PORTAL_URL"),
    ("http://localhost:9123/", "start it: ippbot portal serve --port 9123, or set IPPBOT_PORTAL_URL"),
    ("http://localhost", "start it: ippbot portal serve --port 80, or set IPPBOT_PORTAL_URL"),
    ("https://ipp.alibaba.com", "check IPPBOT_PORTAL_URL and that this machine reaches that address"),
])
def test_the_fix_follows_the_configured_url(url: str, fix: str) -> None:
    """The hint starts the mock portal on the port the URL names, and for a remote portal says to check the URL."""
    assert unreachable_fix(url) == fix


def test_missing_data_dir_is_created(tmp_path: Path) -> None:
    """A data dir that does not exist yet is created, parents and all."""
    folder = tmp_path / "a" / "b"
    check_data_dir(Settings(_env_file=None, data_dir=folder))
    assert folder.is_dir()
    assert list(folder.iterdir()) == []


def test_data_dir_that_cannot_be_written_is_environment_problem(tmp_path: Path) -> None:
    """A data dir that cannot be created or written is an EnvironmentProblem with the fix (exit 3)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(EnvironmentProblem) as caught:
        check_data_dir(Settings(_env_file=None, data_dir=blocker / "data"))
    assert str(caught.value).startswith(f"data dir {blocker / 'data'} is not writable (")
    assert caught.value.fix == "set IPPBOT_DATA_DIR to a folder this user can write, or fix its permissions"


@pytest.mark.parametrize("argv", [["account", "register"], ["account", "login"], ["selectors", "check"], ["sync"]])
def test_commands_stop_at_an_unreachable_portal(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                nowhere: str, argv: list[str]) -> None:
    """Each command that needs the portal ends with exit 3 and one line on stderr before starting a browser."""
    monkeypatch.setenv("IPPBOT_PORTAL_URL", nowhere)
    with pytest.raises(SystemExit) as ended:
        cli.main(argv)
    assert ended.value.code == 3
    captured = capsys.readouterr()
    port = nowhere.rsplit(":", 1)[1]
    assert captured.err.splitlines() == [f"ippbot: portal at {nowhere} is unreachable; to fix: start it: "
                                         f"ippbot portal serve --port {port}, or set IPPBOT_PORTAL_URL"]
    assert captured.out == ""

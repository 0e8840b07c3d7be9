"""The ippbot command line: the contract's commands, option overrides, and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from bot.commands import cli
from bot.settings import Settings

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("isolated")]  # tests/unit/conftest.py

CONTRACT_COMMANDS = [
    "demo",
    "portal",
    "account",
    "enqueue",
    "run",
    "status",
    "sync",
    "report",
    "replay",
    "selectors",
]

# what `portal serve` is given, and hands on to the mock portal unchanged
SERVE_OPTIONS = ["--port", "0", "--layout", "v2", "--faults", "error_rate=0.1,seed=7", "--captcha-login"]


class ExecvCalledError(Exception):
    """Raised by the fake os.execv, as the real one never returns."""


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """The Settings each command built, as handed to logging set-up."""
    seen: list[Settings] = []
    monkeypatch.setattr(cli.logs, "configure", seen.append)
    return seen


@pytest.fixture
def execs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The argv of every os.execv the CLI attempts."""
    calls: list[list[str]] = []

    def fake_execv(path: str, argv: list[str]) -> None:
        calls.append([path, *argv])
        raise ExecvCalledError

    monkeypatch.setattr(cli.os, "execv", fake_execv)
    return calls


def ippbot(*argv: str) -> int:
    """Run the CLI as the console script does; return its exit code."""
    with pytest.raises(SystemExit) as ended:
        cli.main(list(argv))
    code = ended.value.code
    return code if isinstance(code, int) else 1


def test_help_lists_every_contract_command(capsys: pytest.CaptureFixture[str]) -> None:
    """`ippbot --help` lists every command the contract names."""
    assert ippbot("--help") == 0
    out = capsys.readouterr().out
    for command in CONTRACT_COMMANDS:
        assert command in out


def test_every_command_has_help_text() -> None:
    """Every command and group carries a help text."""
    pending = [typer.main.get_command(cli.app)]
    while pending:
        command = pending.pop()
        assert command.help, command.name
        pending.extend(getattr(command, "commands", {}).values())


def test_run_options_override_settings(
    monkeypatch: pytest.MonkeyPatch, built: list[Settings]
) -> None:
    """`run`'s options win over the environment; unset options keep the configured values."""
    monkeypatch.setenv("IPPBOT_TRACE", "off")
    monkeypatch.setenv("IPPBOT_SLOW_MO_MS", "25")
    monkeypatch.setattr(cli.run_command, "run", lambda settings, options, account=None: 0)
    ippbot("run", "--headed", "--har", "--pause-on-failure")
    [settings] = built
    assert settings.headless is False
    assert settings.har is True
    assert settings.pause_on_failure is True
    assert (settings.trace, settings.slow_mo_ms) == ("off", 25)
    ippbot("run", "--trace", "on", "--slow-mo", "100")
    assert (built[1].trace, built[1].slow_mo_ms, built[1].headless) == ("on", 100, True)


def test_bad_settings_exit_3_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad settings end the command with exit 3 and one readable line, no traceback."""
    monkeypatch.setenv("IPPBOT_TIMEOUT_MS", "-5")
    assert ippbot("status") == 3
    err = capsys.readouterr().err
    assert err == "ippbot: bad settings: IPPBOT_TIMEOUT_MS: Input should be greater than 0\n"


def test_portal_serve_replaces_itself_with_the_mock_portal(execs: list[list[str]]) -> None:
    """`portal serve` execs `python -m fixtures.portal` with the options given, and only those."""
    with pytest.raises(ExecvCalledError):
        cli.main(["portal", "serve", *SERVE_OPTIONS])
    assert execs == [[sys.executable, sys.executable, "-m", "fixtures.portal", *SERVE_OPTIONS]]


def test_demo_runs_the_story(monkeypatch: pytest.MonkeyPatch) -> None:
    """`demo` hands its settings to the demo story and exits with the story's code."""
    seen: list[Settings] = []
    monkeypatch.setattr(cli.demo_story, "demo", lambda settings: seen.append(settings) or 0)
    assert ippbot("demo") == 0
    assert len(seen) == 1


def test_the_cli_does_not_import_the_mock_portal() -> None:
    """Importing the CLI loads nothing from fixtures/: the portal is a separate program."""
    probe = "import sys, bot.commands.cli; print(any(m.startswith('fixtures') for m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(cli.__file__).parent.parent,
    )
    assert result.stdout.strip() == "False"


def test_account_commands_take_headed_and_pause_on_failure(
    monkeypatch: pytest.MonkeyPatch, built: list[Settings]
) -> None:
    """`account register` and `account login` take --headed and --pause-on-failure, as `run` does."""
    monkeypatch.setattr(cli.account_command, "register", lambda settings: None)
    monkeypatch.setattr(cli.account_command, "login", lambda settings: None)
    ippbot("account", "register", "--headed", "--pause-on-failure")
    ippbot("account", "login")
    assert [(s.headless, s.pause_on_failure) for s in built] == [(False, True), (True, False)]


def test_an_interrupted_command_exits_128_plus_the_signal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command stopped by SIGTERM ends with one line and exit 143, SIGINT with 130."""
    from bot.errors import Interrupted

    def stopped(settings: Settings, options: object, account: str | None = None) -> int:
        raise Interrupted("SIGTERM", 15, "(a stop request) at a safe point: no entry was in flight")

    monkeypatch.setattr(cli.run_command, "run", stopped)
    assert ippbot("run") == 143
    assert capsys.readouterr().err == ("ippbot: interrupted by SIGTERM (a stop request) at a safe point: "
                                       "no entry was in flight\n")

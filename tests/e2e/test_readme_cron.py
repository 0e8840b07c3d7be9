"""The README's cron recipe, run as written: its lines parsed out of README.md and given to `sh`.

Only the install folder is the test's (`/srv/ippbot` becomes a folder of tmp_path whose `.venv`
is this checkout's); the data dir is the default `./.ippbot` there, as on a server. The night's
line files what is due, the morning's line syncs (so complaints waiting for their IPR wake), and
the next night files them; each line's schedule is the worker's own default for the same job.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page
from support import ROOT, MockPortal, Operator, make_ctx, make_settings
from wait_support import wait_batch

from bot.settings import Settings
from flows.register import mock_mailbox, register

INSTALL = "/srv/ippbot"
BLOCK = re.compile(r"```cron\n(.*?)```", re.DOTALL)


def cron_lines(readme: Path = ROOT / "README.md") -> list[tuple[str, str]]:
    """(schedule, command) of every line of the README's cron block."""
    found = BLOCK.search(readme.read_text(encoding="utf-8"))
    assert found, "README.md has no ```cron block"
    lines = [line.split(None, 5) for line in found.group(1).splitlines() if line.strip() and not line.startswith("#")]
    return [(" ".join(parts[:5]), parts[5]) for parts in lines]


def night_and_morning() -> tuple[str, str]:
    """The night's command (the one that runs) and the morning's (the one that only syncs)."""
    lines = {command: schedule for schedule, command in cron_lines()}
    [night] = [c for c in lines if "ippbot run" in c]
    [morning] = [c for c in lines if "ippbot sync" in c and "ippbot run" not in c]
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (lines[night], lines[morning]) == (defaults.schedule, defaults.sync_schedule)
    return night, morning


def test_the_cron_lines_match_the_workers_schedules() -> None:
    """The README's night runs at IPPBOT_SCHEDULE's default, its morning sync at IPPBOT_SYNC_SCHEDULE's."""
    night, morning = night_and_morning()
    assert INSTALL in night and INSTALL in morning


@pytest.fixture
def server(portal: MockPortal, page: Page, tmp_path: Path) -> tuple[Operator, Path]:
    """An install folder with this checkout's .venv and a registered account in its default data dir."""
    srv = tmp_path / "srv"
    srv.mkdir()
    (srv / ".venv").symlink_to(ROOT / ".venv")
    data_dir = srv / ".ippbot"
    assert register(make_ctx(page, make_settings(portal.url, data_dir)), mock_mailbox(portal.url)) == "registered"
    return Operator(portal, data_dir), srv


def cron(operator: Operator, srv: Path, command: str) -> str:
    """Run one cron line's command as cron would (sh, no data dir set: the default ./.ippbot); its log."""
    env = {k: v for k, v in operator.env.items() if k != "IPPBOT_DATA_DIR"}
    done = subprocess.run(["/bin/sh", "-c", command.replace(INSTALL, str(srv))], env=env, cwd="/",
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 1: a run that left entries for later
    return (srv / ".ippbot" / "cron.log").read_text(encoding="utf-8")


def test_the_cron_lines_as_written_file_sync_and_file(server: tuple[Operator, Path], tmp_path: Path) -> None:
    """Night: the IPR is filed; morning: the review read, the complaints wake; next night: they are filed."""
    operator, srv = server
    night, morning = night_and_morning()
    operator.ippbot("enqueue", str(wait_batch(tmp_path / "wait.yaml")), check=True)
    log = cron(operator, srv, night)
    assert "report: " in log
    assert "synced" in log  # the night syncs after its run
    assert operator.states() == {"confirmed": 1, "waiting": 2}
    operator.portal.advance(7)
    assert "synced" in cron(operator, srv, morning)
    assert operator.states() == {"confirmed": 1, "pending": 2}
    cron(operator, srv, night)
    assert operator.states() == {"confirmed": 3}
    assert any((srv / ".ippbot" / "runs").glob("*/report.html"))

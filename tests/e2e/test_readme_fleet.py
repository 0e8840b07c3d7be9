"""The README's deployment section, as written where a test can: the ledger migrated, the systemd unit's worker on a
PostgreSQL ledger filing what is enqueued, stopped by its KillSignal within its TimeoutStopSec with an exit its
SuccessExitStatus accepts, and the backup line's dump restorable.

Only the paths are the test's: `/opt/ippbot` becomes this checkout, the database a fresh one of the machine's.
"""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres import fresh_database
from sqlalchemy.engine import make_url
from support import ROOT, Operator, assert_each_once, write_batch

pytestmark = pytest.mark.postgres

INSTALL = "/opt/ippbot"
UNIT = re.compile(r"```ini\n\s*(# /etc/systemd/system/ippbot-worker.service.*?)```", re.DOTALL)
BACKUP = re.compile(r"`(pg_dump [^`]+)`")


def unit() -> dict[str, str]:
    """The README's `ippbot-worker.service`, as key -> value (comments and sections left out)."""
    found = UNIT.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert found, "README.md has no ```ini block for ippbot-worker.service"
    lines = [line.strip() for line in found.group(1).splitlines()]
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


@pytest.fixture
def fleet_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


def test_the_unit_stops_gracefully_and_says_so() -> None:
    """The unit sends SIGTERM, waits minutes, and takes 143 (a stop at a safe point) for success."""
    service = unit()
    assert service["KillSignal"] == "SIGTERM" and service["SuccessExitStatus"] == "143"
    assert int(service["TimeoutStopSec"]) >= 120
    assert service["ExecStart"].startswith(f"{INSTALL}/.venv/bin/ippbot worker")


def test_the_deployment_as_written(operator: Operator, fleet_url: str, tmp_path: Path) -> None:
    """Migrate, start the unit's worker on the PostgreSQL ledger, enqueue, see it filed once, stop it with the unit's
    signal, and back the database up with the README's line."""
    operator.env["IPPBOT_LEDGER_URL"] = fleet_url
    migrated = operator.ippbot("ledger", "migrate", check=True)
    assert "ledger created at revision" in migrated.stdout
    service = unit()
    command = shlex.split(service["ExecStart"].replace(INSTALL, str(ROOT)))
    worker = subprocess.Popen(command, cwd=ROOT, env=operator.env, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    assert worker.stdout is not None and worker.stderr is not None
    assert "the queue in postgresql+psycopg://" in worker.stdout.readline()
    operator.ippbot("enqueue", str(write_batch(tmp_path / "batch.yaml", iprs=2)), check=True)
    for line in worker.stderr:  # the worker's JSON log, until its run is done
        if line.startswith("{") and json.loads(line).get("event") == "worker.worked":
            break
    worker.send_signal(getattr(signal, service["KillSignal"]))
    assert worker.wait(timeout=int(service["TimeoutStopSec"])) in (0, int(service["SuccessExitStatus"]))
    assert operator.states() == {"confirmed": 2}
    assert_each_once(operator.portal, operator)
    backed_up(fleet_url, tmp_path / "ippbot.dump")


def backed_up(url: str, dump: Path) -> None:
    """The README's backup line, run against the test's database: a custom-format dump that lists the ledger."""
    [line] = BACKUP.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    database = make_url(url)
    argv = [*shlex.split(line.split(">")[0]), "-h", str(database.host), "-U", str(database.username),
            "-f", str(dump)]
    argv[argv.index("ippbot")] = str(database.database)
    subprocess.run(argv, check=True, timeout=120)
    listed = subprocess.run(["pg_restore", "--list", str(dump)], check=True, capture_output=True, text=True).stdout
    assert " TABLE public entries " in listed and " TABLE public procrastinate_jobs " in listed

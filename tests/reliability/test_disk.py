"""Disk and database faults: the queue file lost mid-batch, a data dir that cannot be written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import ROOT, Operator, assert_each_once, write_batch

SWEEP_AND_WORK = """
from bot.commands import queue
from bot.settings import load_settings
q = queue(load_settings())
print("swept", q.sweep())
q.huey.execute(q.huey.dequeue())
"""


def test_queue_file_deleted_mid_batch(operator: Operator, tmp_path: Path) -> None:
    """With the queue file deleted mid-batch, the sweeper re-triggers from the ledger and the batch ends."""
    operator.ippbot("enqueue", str(write_batch(tmp_path / "b.yaml", iprs=4)), check=True)
    operator.ippbot("run", "--limit", "1", check=True)
    for leftover in operator.data_dir.glob("queue.sqlite3*"):
        leftover.unlink()
    done = subprocess.run([sys.executable, "-c", SWEEP_AND_WORK], cwd=ROOT, env=operator.env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert "swept ['brand@e2e.example']" in done.stdout
    assert operator.states() == {"confirmed": 4}
    assert_each_once(operator.portal, operator)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder other users can read (pytest's own tmp folder is root-only)."""
    folder = Path(tempfile.mkdtemp(prefix="ippbot-ro-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to run as another user")
def test_read_only_data_dir_is_a_clear_error(operator: Operator, tmp_path: Path, shared_dir: Path) -> None:
    """A data dir the run cannot write: one line naming it and the fix, exit 3, and nothing lost."""
    data = shared_dir / "data"
    shutil.copytree(operator.data_dir, data)
    data.chmod(0o755)
    operator.env["IPPBOT_DATA_DIR"] = str(data)
    operator.ippbot("enqueue", str(write_batch(tmp_path / "b.yaml", iprs=2)), check=True)
    before = operator.status()
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                 sys.executable, "-m", "bot.cli", "run"]
    done = subprocess.run(as_nobody, cwd=ROOT, env={**operator.env, "HOME": str(shared_dir)}, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 3, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"data dir {data} is not writable" in lines[0], done.stderr
    assert operator.status() == before

"""Disk and database faults: the queue file lost mid-batch, a data dir that cannot be written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import ROOT, Operator, assert_each_once, write_batch

SWEEP_AND_WORK = """
from bot.commands.worker import queue
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
def read_only(tmp_path: Path) -> Iterator[Callable[[Path], None]]:
    """Makes folders read-only even for root (the immutable attribute); undone after the test."""
    frozen: list[Path] = []

    def freeze(folder: Path) -> None:
        if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(folder)], check=False).returncode:
            pytest.skip("this filesystem cannot make a folder read-only for root (chattr +i)")
        frozen.append(folder)

    yield freeze
    for folder in frozen:
        subprocess.run(["chattr", "-i", str(folder)], check=False)


def test_read_only_data_dir_is_a_clear_error(operator: Operator, tmp_path: Path,
                                             read_only: Callable[[Path], None]) -> None:
    """A data dir the run cannot write: one line naming it and the fix, exit 3, and nothing lost."""
    operator.ippbot("enqueue", str(write_batch(tmp_path / "b.yaml", iprs=2)), check=True)
    before = operator.status()
    read_only(operator.data_dir)
    done = operator.ippbot("run")
    assert done.returncode == 3, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"data dir {operator.data_dir} is not writable" in lines[0], done.stderr
    subprocess.run(["chattr", "-i", str(operator.data_dir)], check=True)
    assert operator.status() == before

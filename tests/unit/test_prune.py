"""Old run folders are pruned by their run id's date; nothing else is ever removed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.run.artifacts import new_run_id
from bot.run.prune import prune_runs

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def run_folder(runs: Path, started: datetime) -> str:
    name = new_run_id(started)
    (runs / name / "traces").mkdir(parents=True)
    (runs / name / "traces" / "a.zip").write_bytes(b"zip")
    return name


def test_runs_older_than_the_limit_go_and_the_rest_stay(tmp_path: Path) -> None:
    """A run 31 days old is removed, one 29 days old is kept, and so is anything that is not a run."""
    runs = tmp_path / "runs"
    old = run_folder(runs, datetime(2026, 10, 31, 1, 0, tzinfo=UTC))
    recent = run_folder(runs, datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    (runs / "notes").mkdir()
    (tmp_path / "ledger.sqlite3").write_bytes(b"ledger")
    assert prune_runs(runs, 30, now=NOW) == [old]
    assert sorted(p.name for p in runs.iterdir()) == sorted([recent, "notes"])
    assert (tmp_path / "ledger.sqlite3").read_bytes() == b"ledger"


def test_the_current_run_and_a_zero_limit_are_never_pruned(tmp_path: Path) -> None:
    """The run being written is kept whatever its age, and a limit of 0 keeps everything."""
    runs = tmp_path / "runs"
    current = run_folder(runs, datetime(2026, 1, 1, tzinfo=UTC))
    assert prune_runs(runs, 30, now=NOW, keep=current) == []
    assert prune_runs(runs, 0, now=NOW) == []
    assert (runs / current).is_dir()

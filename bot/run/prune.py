"""Pruning: run folders older than `IPPBOT_KEEP_RUNS_DAYS` are deleted; never the ledger, the queue or a session.

A run folder is `DATA_DIR/runs/<run-id>/`, and a run id is its start in UTC (`new_run_id`), so a
folder's age is read from its name, not from times the file system may have changed. Only names
that are run ids are touched: nothing else under `runs/` is ever removed, and nothing outside it.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

_RUN_ID_FORMAT = "%Y%m%dT%H%M%S"


def run_started(name: str) -> datetime | None:
    """When the run named `name` started, or None for a name that is not a run id."""
    try:
        return datetime.strptime(name.split("-", 1)[0], _RUN_ID_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def prune_runs(runs_dir: Path, keep_days: int, *, now: datetime | None = None, keep: str | None = None) -> list[str]:
    """Delete the run folders that started more than `keep_days` days before `now` (never `keep`); their names."""
    if keep_days <= 0 or not runs_dir.is_dir():
        return []
    cutoff = (now or datetime.now(UTC)) - timedelta(days=keep_days)
    removed: list[str] = []
    for folder in sorted(runs_dir.iterdir()):
        started = run_started(folder.name)
        if folder.is_dir() and not folder.is_symlink() and folder.name != keep and started and started < cutoff:
            shutil.rmtree(folder)
            removed.append(folder.name)
    return removed

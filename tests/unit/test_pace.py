"""An account's pace: a run waits out the gap between two submissions that `submissions_per_minute` asks for."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.run.runner import Runner, RunOptions
from bot.settings import Settings
from bot.store.ledger import Ledger

pytestmark = pytest.mark.unit


def runner(tmp_path: Path, per_minute: float | None, sleeps: list[float]) -> Runner:
    settings = Settings(_env_file=None, data_dir=tmp_path, submissions_per_minute=per_minute)  # type: ignore[call-arg]
    return Runner(settings, Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}"), RunOptions(sleep=sleeps.append))


def test_a_second_submission_waits_for_the_accounts_pace(tmp_path: Path) -> None:
    """Six a minute: ten seconds between two submissions, less the time the second took to fill."""
    sleeps: list[float] = []
    paced = runner(tmp_path, 6, sleeps)
    paced.pace()  # the first submission of a run waits for nothing
    assert sleeps == []
    paced.last_submit = time.monotonic() - 4.0
    paced.pace()
    [waited] = sleeps
    assert 5.5 < waited <= 6.0


def test_without_a_pace_nothing_waits(tmp_path: Path) -> None:
    """No submissions_per_minute: submissions go as fast as the portal lets them."""
    sleeps: list[float] = []
    free = runner(tmp_path, None, sleeps)
    free.last_submit = time.monotonic()
    free.pace()
    assert sleeps == []

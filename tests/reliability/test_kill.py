"""kill -9 at every step of the journey, and at random moments: 0 duplicates, 0 lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import Operator, assert_each_once, kill_at_random, size, write_batch

KILL_STEPS = ["before_form", "after_fields", "after_submitting_committed", "after_click", "after_confirmation",
              "between_entries"]


@pytest.mark.parametrize("step", KILL_STEPS)
def test_kill_at_every_step_then_rerun(operator: Operator, tmp_path: Path, step: str) -> None:
    """A run killed at a step, then re-runs (killed again at the same step) and a clean run: each entry once."""
    n = size(3, 200)
    operator.ippbot("enqueue", str(write_batch(tmp_path / "batch.yaml", iprs=n)), check=True)
    killed = operator.ippbot("run", extra_env={"IPPBOT_TEST_KILL_AT": step})
    assert killed.returncode == -9, killed.stdout + killed.stderr
    for _ in range(size(1, 20)):  # more kills at the same step while entries remain
        if operator.ippbot("run", extra_env={"IPPBOT_TEST_KILL_AT": step}).returncode != -9:
            break
    operator.ippbot("run", check=True)
    assert operator.states() == {"confirmed": n}
    assert_each_once(operator.portal, operator)


def test_kill_at_random_moments(operator: Operator, tmp_path: Path) -> None:
    """Runs killed at random moments, then a clean run: every entry confirmed exactly once."""
    n = size(8, 200)
    operator.ippbot("enqueue", str(write_batch(tmp_path / "batch.yaml", iprs=n)), check=True)
    kill_at_random(operator, seed=5, times=size(4, 30))
    operator.ippbot("run", check=True)
    assert operator.states() == {"confirmed": n}
    assert_each_once(operator.portal, operator)

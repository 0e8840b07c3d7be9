"""Two runs at once over several accounts: at most one submission in flight per account."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser
from support import MockPortal, assert_each_once, registered, size, write_batch


def test_two_runs_per_account_at_once(portal: MockPortal, browser: Browser, tmp_path: Path) -> None:
    """Two overlapping runs on each of several accounts: one works each account, never two submissions at once."""
    accounts = size(2, 5)
    operators = [registered(portal, browser, tmp_path / f"data{i}", f"brand{i}@e2e.example") for i in range(accounts)]
    for i, operator in enumerate(operators):
        batch = write_batch(tmp_path / f"b{i}.yaml", iprs=size(3, 20), start=i * 100)
        operator.ippbot("enqueue", str(batch), check=True)
    procs = [op.start("run") for op in operators for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=900)
        assert proc.returncode == 0 or "another ippbot run is working account" in err, err
    for operator in operators:
        operator.ippbot("run", check=True)
    peaks = portal.state()["max_submissions_in_flight"]
    assert len(peaks) == accounts and all(peak == 1 for peak in peaks.values()), peaks
    assert_each_once(portal, *operators)

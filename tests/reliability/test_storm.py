"""A storm of 503s: attempts are spent over time, not in a burst, and what an entry says is its root cause.

The portal answers every IPR submission 503 (`error_rate:/ipr/submit=1`) through a first run and ten
seconds more; a timer lifts it, as the portal coming back would. Runs go on back to back, as an impatient operator's
would: each tries each entry once, and an entry put back waits a back-off that doubles with its
attempts, so none uses up `IPPBOT_MAX_ATTEMPTS` (5) before the portal is back.
"""

from __future__ import annotations

import threading
from datetime import datetime
from itertools import pairwise
from pathlib import Path

from support import Operator, assert_each_once, make_settings, write_batch
from support_cli import report_of, said

from bot.store.ledger import Ledger

STORM_S = 10.0
ENV = {"IPPBOT_RETRY_BASE_S": "1", "IPPBOT_RETRY_MAX_S": "60"}  # back-off 1-2 s, 2-4 s, 4-8 s, 8-16 s
ENTRIES = 2


def attempt_times(operator: Operator, key: str) -> list[datetime]:
    """When each attempt at the entry began: its moves to `claimed`, from the ledger's history."""
    with Ledger.open(make_settings(operator.portal.url, operator.data_dir)) as ledger:
        return [t.at for t in ledger.history(key) if t.to_state == "claimed"]


def test_a_storm_of_503s_leaves_no_entry_dead(operator: Operator, tmp_path: Path) -> None:
    """Ten seconds of 503s to every submission kill no entry: each run tries each entry once, the waits between
    attempts grow, the entries say it was a 503, and once the portal is back each is filed exactly once."""
    operator.ippbot("enqueue", str(write_batch(tmp_path / "b.yaml", iprs=ENTRIES)), check=True)
    operator.portal.faults(**{"error_rate:/ipr/submit": 1})
    during = operator.ippbot("run", extra_env=ENV)
    table = operator.ippbot("status").stdout  # read while the storm still blows: the next run may see it lifted
    over = threading.Event()
    back = threading.Timer(STORM_S, lambda: (operator.portal.faults(), over.set()))
    back.start()
    try:
        while not over.is_set():
            assert "dead" not in operator.states()
            operator.ippbot("run", extra_env=ENV)
    finally:
        back.cancel()
    assert during.returncode == 1
    assert ": 2 entries worked, 2 not done (2 back in line, the first tried again from " in during.stdout
    assert not said(during.stderr)
    assert "not filed: no confirmation after the submit: the portal answered 503" in table
    assert "reconciled: not on the portal" not in table
    report = report_of(during.stdout)
    assert "not filed: the portal had a server error or dropped the connection; back in line" in \
        report.read_text(encoding="utf-8")
    assert "dead" not in operator.states()
    for _ in range(3):
        if operator.ippbot("run", extra_env=ENV).returncode == 0:
            break
    assert operator.states() == {"confirmed": ENTRIES}
    assert_each_once(operator.portal, operator)
    for row in operator.status():
        times = attempt_times(operator, row["key"])
        assert len(times) == row["attempts"] >= 2
        gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(times)]
        assert all(gap >= 2 ** n for n, gap in enumerate(gaps)), gaps  # at least half of 2, 4, 8, ... s

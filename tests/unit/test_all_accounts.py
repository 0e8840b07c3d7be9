"""The all-accounts page (`bot.run.all_accounts`) and the latest run of one account (`bot.run.artifacts.latest_run`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from ledger_entries import complaint_entry, ipr_entry

from bot.run.all_accounts import write_all_accounts
from bot.run.artifacts import RunDir, RunSummary, latest_run
from bot.store.ledger import Ledger

pytestmark = pytest.mark.unit

ACME, ZETA, IDLE = "acme@agency.example", "zeta@agency.example", "idle@agency.example"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as opened:
        yield opened


def ran(runs: Path, run_id: str, account: str | None) -> RunDir:
    """A run folder of `account` with its summary and report page."""
    run = RunDir(runs, run_id).create()
    run.write_summary(RunSummary(run_id=run_id, account=account, started_at="2026-12-01T02:00:00+00:00",
                                 portal_url="http://127.0.0.1:1", trace_mode="off"))
    (run.root / "report.html").write_text("<html></html>", encoding="utf-8")
    return run


def test_latest_run_of_each_account(tmp_path: Path) -> None:
    """Another account's later run is not this account's latest; a summary naming no account (older) is anyone's."""
    runs = tmp_path / "runs"
    ran(runs, "20261130T020000-001", None)
    ran(runs, "20261201T020000-001-1", ACME)
    ran(runs, "20261201T020000-001-2", ZETA)
    (RunDir(runs, "20261201T030000-009").create().summary).write_text("{half", encoding="utf-8")
    assert latest_run(runs) is not None and latest_run(runs).run_id == "20261201T030000-009"  # type: ignore[union-attr]
    assert latest_run(runs, ACME).run_id == "20261201T020000-001-1"  # type: ignore[union-attr]
    assert latest_run(runs, ZETA).run_id == "20261201T020000-001-2"  # type: ignore[union-attr]
    assert latest_run(runs, IDLE).run_id == "20261130T020000-001"  # type: ignore[union-attr]
    assert latest_run(tmp_path / "none", ACME) is None


def test_every_account_has_its_line_and_its_report(ledger: Ledger, tmp_path: Path) -> None:
    """Each account in the order given, its entries per state, a link to its own latest report (none before its
    first run), the standing not read yet; the same data as JSON; what it holds said at its foot."""
    runs = tmp_path / "runs"
    ledger.add([ipr_entry(), complaint_entry("complaint:taobao:a")], account=ACME)
    ledger.add([ipr_entry("ipr:trademark:CN:777", "777")], account=ZETA)
    ran(runs, "20261201T020000-001-1", ACME)
    ran(runs, "20261201T020000-001-2", ZETA)
    page = write_all_accounts(runs, ledger, [ZETA, ACME, IDLE], today=date(2026, 12, 1))
    data = json.loads((runs / "all-accounts.json").read_text(encoding="utf-8"))
    lines = {line["account"]: line for line in data["accounts"]}
    assert [line["account"] for line in data["accounts"]] == [ZETA, ACME, IDLE]
    assert (lines[ACME]["entries"], lines[ACME]["states"]) == (2, {"pending": 2})
    assert (lines[ZETA]["entries"], lines[IDLE]["entries"]) == (1, 0)
    assert lines[ACME]["report"] == "20261201T020000-001-1/report.html"
    assert lines[ZETA]["report"] == "20261201T020000-001-2/report.html"
    assert lines[IDLE]["report"] == "" and lines[IDLE]["standing_ok"] is None
    html = page.read_text(encoding="utf-8")
    assert html.index(ZETA) < html.index(ACME) < html.index(IDLE)
    assert 'href="20261201T020000-001-1/report.html"' in html and "no run yet" in html
    assert "screenshots" in html.split("<footer>")[1]

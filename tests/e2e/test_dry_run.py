"""`ippbot run --dry-run`: every due entry up to its final click, nothing filed, no entry moved.

Each test runs ippbot as the operator's cron job does (`support.Operator`) against the served portal
and reads the dry run's summary.json beside the report it names.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from support import EMAIL, MockPortal, Operator, assert_each_once, make_settings, write_batch
from support_cli import report_of, summary_of

from bot.settings import DEFAULT_SELECTORS_DIR
from bot.store.ledger import Ledger

Snapshot = tuple[list[Any], dict[str, list[Any]]]



def ledger_of(operator: Operator) -> Ledger:
    return Ledger.open(make_settings(operator.portal.url, operator.data_dir))


def snapshot(operator: Operator) -> Snapshot:
    """Every entry as the ledger holds it (state, attempts, times) and every entry's history."""
    with ledger_of(operator) as ledger:
        rows = ledger.rows()
        return rows, {row.key: ledger.history(row.key) for row in rows}


def dry_run(operator: Operator, extra_env: dict[str, str] | None = None) -> tuple[int, list[str], dict[str, Any]]:
    """`ippbot run --dry-run`: its exit code, its lines on stdout, and its summary."""
    done = operator.ippbot("run", "--dry-run", extra_env=extra_env)
    lines = done.stdout.splitlines()
    assert lines and lines[-1].startswith("report: "), done.stdout + done.stderr
    return done.returncode, lines, summary_of(report_of(lines[-1]))


def verdicts(summary: dict[str, Any]) -> dict[str, str]:
    return {e["key"]: e["would"]["verdict"] for e in summary["entries"]}


def test_a_dry_run_then_a_real_run_files_each_entry_once(operator: Operator, tmp_path: Path) -> None:
    """Dry runs before each real run file nothing and move nothing; each keeps a screenshot per filled form
    (complaints past the portal's check page), and the real runs then file each entry exactly once."""
    batch = write_batch(tmp_path / "batch.yaml", iprs=2, complaints_per_ipr=1, listings=3)
    operator.ippbot("enqueue", str(batch), check=True)
    before = snapshot(operator)
    code, _lines, summary = dry_run(operator)
    assert code == 0 and summary["dry_run"]
    assert sorted(verdicts(summary).values()) == ["would_file", "would_file", "would_wait", "would_wait"]
    assert operator.portal.state()["iprs"] == [] and operator.portal.state()["complaints"] == []
    assert snapshot(operator) == before
    operator.ippbot("run", check=True)
    operator.portal.advance(7)
    operator.ippbot("sync", check=True)
    before = snapshot(operator)
    code, lines, summary = dry_run(operator)
    assert code == 0
    complaints = [e for e in summary["entries"] if e["kind"] == "complaint"]
    assert [e["would"]["verdict"] for e in complaints] == ["would_file", "would_file"]
    assert all((e["would"]["platform"], e["would"]["listings"]) == ("aliexpress", 3) for e in complaints)
    assert all((report_of(lines[-1]).parent / e["screenshot"]).stat().st_size > 0 for e in complaints)
    assert any("would file a complaint on aliexpress under IPR 40000000, 3 listings" in line for line in lines)
    assert {c["status"] for c in operator.portal.state()["complaints"]} == {"checking"}  # the check step only
    assert snapshot(operator) == before
    html = report_of(lines[-1]).read_text(encoding="utf-8")
    assert "This was a dry run" in html and html.count('class="verdict"') == 2
    assert all(step["outcome"] == "ok" for e in complaints for step in e["steps"])  # stopping at the click is done
    filed = summary_of(report_of(operator.ippbot("run", check=True).stdout.splitlines()[-1]))
    assert [e["existing"] for e in filed["entries"]] == [False, False]  # no check record taken for a filing
    assert operator.states() == {"confirmed": 4}
    assert_each_once(operator.portal, operator)
    left = sorted(c["ref"] for c in operator.portal.state()["complaints"] if c["status"] == "checking")
    assert len(left) == 2  # the dry run's: the real run filed records of its own
    assert f"2 check records left on the portal unfiled ({', '.join(left)})" in operator.ippbot("status").stdout


def test_a_complaint_whose_ipr_is_not_approved_would_wait(operator: Operator, tmp_path: Path) -> None:
    """A complaint on an IPR still to be filed is listed as "would wait for IPR ..." and the run exits 0."""
    batch = write_batch(tmp_path / "batch.yaml", iprs=1, complaints_per_ipr=1)
    operator.ippbot("enqueue", str(batch), check=True)
    code, lines, summary = dry_run(operator)
    complaint = next(e for e in summary["entries"] if e["kind"] == "complaint")
    assert code == 0
    assert complaint["would"]["verdict"] == "would_wait"
    assert complaint["would"]["why"].startswith("would wait for IPR ipr:trademark:CN:40000000")
    assert any(line.startswith(f"  {complaint['key']}: would wait for IPR") for line in lines)
    assert operator.states() == {"pending": 2}


def test_entries_already_on_the_portal_are_reported_not_filed(operator: Operator, portal: MockPortal,
                                                              tmp_path: Path) -> None:
    """An IPR the look-up finds on the portal is "already on the portal (REF)", and nothing more is filed."""
    batch = write_batch(tmp_path / "batch.yaml", iprs=1)
    operator.ippbot("enqueue", str(batch), check=True)
    operator.ippbot("run", check=True)
    ref = portal.state()["iprs"][0]["ref"]
    fresh = Operator(portal, tmp_path / "fresh")  # the same account, with a ledger that never filed it
    fresh.ippbot("enqueue", str(batch), check=True)
    code, lines, summary = dry_run(fresh)
    assert code == 0
    assert [e["would"]["why"] for e in summary["entries"]] == [f"already on the portal ({ref})"]
    assert fresh.states() == {"pending": 1} and len(portal.state()["iprs"]) == 1
    assert f"already on the portal ({ref})" in lines[1]


def test_a_dry_run_beside_a_run_stops_like_a_run(operator: Operator, tmp_path: Path) -> None:
    """While another run holds the account's lease, a dry run does nothing and says so (AccountBusy, exit 1)."""
    operator.ippbot("enqueue", str(write_batch(tmp_path / "batch.yaml", iprs=1)), check=True)
    with ledger_of(operator) as ledger:
        assert ledger.acquire_lease(EMAIL, "run 1 on another-host pid 1", 300)
        done = operator.ippbot("run", "--dry-run")
    assert done.returncode == 1
    assert f"another ippbot run is working account {EMAIL}; this run did nothing" in done.stderr
    assert operator.states() == {"pending": 1} and operator.portal.state()["iprs"] == []


def test_a_dry_run_meeting_a_slider_reports_it_and_parks_nothing(operator: Operator, tmp_path: Path) -> None:
    """Headless, a log-in slider is reported for every entry (exit 1); none is parked, failed or filed."""
    operator.ippbot("enqueue", str(write_batch(tmp_path / "batch.yaml", iprs=2)), check=True)
    make_settings(operator.portal.url, operator.data_dir).session_file.unlink()  # the run must log in
    operator.portal.faults(captcha_login="on")
    before = snapshot(operator)
    code, lines, summary = dry_run(operator)
    assert code == 1
    assert set(verdicts(summary).values()) == {"needs_human"}
    assert all("slider" in e["would"]["why"] for e in summary["entries"])
    assert "(needs a person: 2)" in lines[0]
    assert "--headed --pause-on-failure" in summary["entries"][0]["would"]["why"]
    assert snapshot(operator) == before and operator.portal.state()["iprs"] == []


def test_an_entry_that_cannot_be_filled_is_said_why_and_stays_as_it_was(operator: Operator, tmp_path: Path) -> None:
    """A form the selectors cannot fill: exit 1, the entry's reason in plain words; it stays pending, not failed."""
    broken = tmp_path / "selectors"
    shutil.copytree(DEFAULT_SELECTORS_DIR, broken)
    form = broken / "ipr_form.toml"
    form.write_text(form.read_text().replace('{ label = "Rights holder" }', '{ label = "Holder of the rights" }'))
    operator.ippbot("enqueue", str(write_batch(tmp_path / "batch.yaml", iprs=1)), check=True)
    before = snapshot(operator)
    code, lines, summary = dry_run(operator, extra_env={"IPPBOT_SELECTORS_DIR": str(broken),
                                                        "IPPBOT_TIMEOUT_MS": "2000"})
    [entry] = summary["entries"]
    assert code == 1
    assert entry["would"]["verdict"] == "not_filled"
    assert entry["would"]["why"].startswith("the portal's pages changed: selector ")
    assert "ipr_form.toml/rights_holder (matches no element)" in lines[1]
    assert snapshot(operator) == before and operator.portal.state()["iprs"] == []

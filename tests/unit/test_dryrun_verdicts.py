"""The dry run's pure parts: what an entry would file, the command's lines, its exit, and the report's view."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.commands.run import dry_run_interrupted
from bot.models import Complaint, Ipr
from bot.run.artifacts import EntryResult, RunSummary, Would
from bot.run.dryrun import dry_run_lines, entry_line, filled_all, what
from bot.run.report import STATES, VERDICTS, build_report, render

pytestmark = pytest.mark.unit

IPR = Ipr(type="trademark", name="MARK", registration_number="40000000", registration_place="CN",
          rights_holder="Demo Brand Ltd", expiration_date=date(2034, 1, 1), classes=(9,),
          documents=(Path(__file__).resolve().parents[2] / "fixtures" / "documents" / "trademark-certificate.pdf",))
COMPLAINT = Complaint(platform="aliexpress", ipr="40000000", reason="trademark_misuse",
                      listings=("https://www.aliexpress.com/item/1.html", "https://www.aliexpress.com/item/2.html"))


def result(key: str, would: Would, screenshot: str | None = None) -> EntryResult:
    return EntryResult(key=key, kind=would.kind, state="pending", would=would, screenshot=screenshot)


def summary(*entries: EntryResult) -> RunSummary:
    return RunSummary(run_id="20261201T020000-000", started_at="2026-12-01T02:00:00+00:00",
                      finished_at="2026-12-01T02:01:00+00:00", portal_url="http://127.0.0.1:8765",
                      trace_mode="retain-on-failure", counts={"pending": 2}, entries=list(entries), dry_run=True)


FILE_IPR = what(IPR)
FILE_COMPLAINT = what(COMPLAINT)
WAIT = FILE_COMPLAINT.model_copy(update={"verdict": "would_wait", "why": "would wait for IPR ipr:1 (pending)"})
BROKEN = FILE_IPR.model_copy(update={"verdict": "not_filled", "why": "the portal's pages changed: selector x"})


def test_what_an_ipr_and_a_complaint_would_file() -> None:
    """An IPR by its number; a complaint by its platform, IPR and listing count."""
    assert (FILE_IPR.verdict, FILE_IPR.kind, FILE_IPR.ipr) == ("would_file", "ipr", "40000000")
    assert (FILE_COMPLAINT.platform, FILE_COMPLAINT.ipr, FILE_COMPLAINT.listings) == ("aliexpress", "40000000", 2)


def test_an_entry_line_says_what_it_would_file_or_why_not() -> None:
    """Filled entries say what they would file; every other verdict says its reason."""
    assert entry_line(FILE_IPR) == "would file the IPR 40000000"
    assert entry_line(FILE_COMPLAINT) == "would file a complaint on aliexpress under IPR 40000000, 2 listings"
    assert entry_line(WAIT) == "would wait for IPR ipr:1 (pending)"
    assert entry_line(FILE_COMPLAINT.model_copy(update={"refused": 1})).endswith(
        "2 listings (1 refused by the portal's check)")


def test_the_command_prints_a_tally_then_one_line_per_entry() -> None:
    """The first line counts the verdicts and says nothing moved; each entry follows with its line."""
    lines = dry_run_lines(summary(result("ipr:a", FILE_IPR), result("c:b", WAIT), result("ipr:c", BROKEN)))
    assert lines[0] == ("dry run 20261201T020000-000: 3 entries looked at (would be filed: 1, "
                        "would wait for its IPR: 1, could not be filled: 1); nothing was filed and no entry moved")
    assert lines[1:] == ["  ipr:a: would file the IPR 40000000", "  c:b: would wait for IPR ipr:1 (pending)",
                         "  ipr:c: the portal's pages changed: selector x"]


@pytest.mark.parametrize(("verdicts", "ok"), [
    (("would_file", "on_portal", "would_wait", "blocked", "later", "in_doubt"), True),
    (("would_file", "not_filled"), False),
    (("needs_human",), False),
    ((), True),
])
def test_exit_0_only_when_every_entry_could_be_filled_or_waits(verdicts: tuple[str, ...], ok: bool) -> None:
    """A dry run exits 0 when every entry was filled to its click, is held or needs nothing; else 1."""
    entries = [result(f"k{i}", FILE_IPR.model_copy(update={"verdict": v})) for i, v in enumerate(verdicts)]
    assert filled_all(summary(*entries)) is ok


def test_the_report_shows_a_dry_run_by_verdict() -> None:
    """A dry run's page says so, counts entries per verdict and lists what each would file, or why not."""
    report = build_report(summary(result("ipr:a", FILE_IPR, "screenshots/a.png"), result("c:b", WAIT)))
    assert report.dry_run
    assert [(t.state, t.label, t.count) for t in report.tiles] == [("would_file", "would be filed", 1),
                                                                   ("would_wait", "would wait for its IPR", 1)]
    assert [(r.would, r.would_file, r.would_why) for r in report.rows] == [
        ("would be filed", "ipr, IPR 40000000", ""),
        ("would wait for its IPR", "complaint, on aliexpress, IPR 40000000, 2 listings", WAIT.why)]
    html = render(report)
    assert "<h2>This was a dry run</h2>" in html and "ippbot dry run" in html
    assert "Ledger, unchanged by the dry run" in html
    assert "Filled forms, before the final click" in html and '<img src="screenshots/a.png"' in html


def test_every_verdict_has_a_tile_label_and_the_held_states_are_known() -> None:
    """Each verdict the dry run gives has its label, and blocked, cancelled and needs_human are states of the report."""
    assert set(VERDICTS) == set(Would.model_fields["verdict"].annotation.__args__)  # type: ignore[union-attr]
    assert {"blocked", "cancelled", "needs_human", "waiting"} <= set(STATES)


def test_an_interrupted_dry_run_says_it_left_nothing() -> None:
    """Stopped by a signal, a dry run's line says nothing was filed and no entry moved, and where its report is."""
    line = dry_run_interrupted("Ctrl-C", Path("runs/r/report.html"))
    assert line == ("(Ctrl-C) at a safe point: a dry run, so nothing was filed and no entry moved; "
                    "report: runs/r/report.html")

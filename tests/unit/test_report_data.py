"""The report's account view (`bot.run.report_data`, `bot.run.standing_view`): pure functions of a ledger snapshot."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.models import Complaint, Ipr
from bot.run.artifacts import EntryResult, RunSummary, StepTiming
from bot.run.report import build_report, render, retry_counts
from bot.run.report_data import Snapshot, account_view, attention, expiring, funnel, names, notices
from bot.run.standing_view import standing_view, y_of
from bot.store.records import ListingRow, Record, StandingRow
from bot.store.states import OPERATOR_DOES

pytestmark = pytest.mark.unit

ACCOUNT = "brand@example.com"
TODAY = date(2026, 3, 4)  # a Wednesday
T0 = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)


def record(key: str, payload: Ipr | Complaint, state: str = "confirmed", ref: str | None = None,
           error: str | None = None) -> Record:
    kind = "ipr" if isinstance(payload, Ipr) else "complaint"
    return Record.model_validate({
        "key": key, "kind": kind, "state": state, "attempts": 1, "version": 1, "payload": payload,
        "source": "b.yaml", "depends_on": None, "account": None, "claimed_by": None, "portal_ref": ref,
        "portal_status": None, "error": error, "next_attempt_at": T0, "created_at": T0, "updated_at": T0})


def trademark(number: str = "40000001", name: str = "MARKW", expires: str = "2034-01-01") -> Ipr:
    return Ipr(type="trademark", name=name, registration_number=number, registration_place="CN",
               rights_holder="Demo Brand Ltd", expiration_date=expires,  # type: ignore[arg-type]
               classes=(9,), documents=(Path("/docs/c.pdf"),))


def complaint(platform: str = "aliexpress", number: str = "40000001", n: int = 3) -> Complaint:
    return Complaint(platform=platform, ipr=number, reason="trademark_misuse",  # type: ignore[arg-type]
                     listings=tuple(f"https://www.aliexpress.com/item/{k}.html" for k in range(n)))


def listing(url: str, state: str, ref: str = "CP-000001", deadline: date | None = None) -> ListingRow:
    return ListingRow(account=ACCOUNT, complaint=ref, url=url, complaint_status="awaiting_seller", state=state,
                      changed_on=date(2026, 3, 2), seen_at=T0, deadline=deadline,
                      statement="We are a reseller." if deadline else None)


def reading(day: date, takedown: float, noticed: float) -> StandingRow:
    return StandingRow(account=ACCOUNT, day=day, takedown_rate=takedown, counter_notice_success_rate=noticed,
                       qualifies=takedown >= 90 and noticed <= 5, listings=20, read_at=T0)


RECORDS = [record("ipr:trademark:CN:40000001", trademark(), ref="IPR-000001"),
           record("complaint:aliexpress:aa", complaint(), ref="CP-000001"),
           record("complaint:taobao:bb", complaint("taobao", n=1), ref="CP-000002")]


def test_names_are_readable() -> None:
    """An IPR is its name and number; a complaint its marketplace, its IPR's name and number, and its listings."""
    assert names(RECORDS) == {"ipr:trademark:CN:40000001": "MARKW (40000001)",
                              "complaint:aliexpress:aa": "aliexpress · MARKW (40000001) · 3 listings",
                              "complaint:taobao:bb": "taobao · MARKW (40000001) · 1 listing"}


def test_counter_notices_come_by_deadline_in_working_days() -> None:
    """Waiting counter-notices are listed soonest first, with working days left (a weekend does not count)."""
    rows = [listing("u1", "counter_noticed", deadline=date(2026, 3, 10)), listing("u2", "removed"),
            listing("u3", "counter_noticed", deadline=date(2026, 3, 5))]
    found = notices(rows, TODAY, {"CP-000001": "aliexpress · MARKW"})
    assert [(n.url, n.deadline, n.days_left) for n in found] == [("u3", "2026-03-05", 1), ("u1", "2026-03-10", 4)]
    assert found[0].name == "aliexpress · MARKW" and found[0].statement == "We are a reseller."
    assert found[0].command == "ippbot respond u3 --complaint CP-000001 --accept|--reject"


def test_attention_names_the_reason_and_the_command() -> None:
    """needs_human, failed and blocked entries and those held twice each say why and what settles them."""
    records = [*RECORDS, record("ipr:trademark:CN:9", trademark("9", "BAD"), "failed", error="refused: bad document"),
               record("complaint:x", complaint(number="9"), "blocked")]
    found = attention(records, {"ipr:trademark:CN:40000001": ["IPR-000007"]}, names(records))
    assert [(a.name, a.state) for a in found] == [
        ("BAD (9)", "failed"), ("aliexpress · BAD (9) · 3 listings", "blocked"), ("MARKW (40000001)", "held twice")]
    assert found[0].reason == "refused: bad document" and found[0].command == OPERATOR_DOES["failed"]
    assert "IPR-000007" in found[2].command


def test_expiring_iprs_within_90_days() -> None:
    """IPRs that expire within 90 days (or have) are shown, soonest first; later ones are not."""
    records = [record("a", trademark("1", "SOON", "2026-05-01")), record("b", trademark("2", "LATER", "2027-01-01")),
               record("c", trademark("3", "GONE", "2026-03-01"))]
    assert [(e.name, e.days_left) for e in expiring(records, TODAY)] == [("GONE (3)", -3), ("SOON (1)", 58)]


def test_funnel_counts_outcomes_and_the_takedown_rate() -> None:
    """Per group: filed, removed, counter-noticed (waiting, answered or restored), restored, and removed/decided."""
    rows = [listing("u1", "removed"), listing("u2", "removed"), listing("u3", "restored"),
            listing("u4", "counter_noticed"), listing("u5", "pending", ref="CP-000002")]
    [ali, taobao] = funnel(rows, {"CP-000001": "aliexpress", "CP-000002": "taobao"})
    assert (ali.filed, ali.removed, ali.counter_noticed, ali.restored, ali.takedown_rate) == (4, 2, 2, 1, 66.7)
    assert (taobao.filed, taobao.pending, taobao.takedown_rate) == (1, 1, None)


def test_standing_against_thresholds_and_its_chart() -> None:
    """The last reading is checked against >= 90 % and <= 5 %; the chart draws one point per reading."""
    view = standing_view([reading(date(2026, 1, 1), 95, 2), reading(date(2026, 3, 1), 88, 6)])
    assert (view.takedown_rate, view.takedown_ok, view.counter_notice_ok, view.readings) == (88, False, False, 2)
    assert view.takedown_points.split() == [f"30.0,{y_of(95)}", f"570.0,{y_of(88)}"]
    assert standing_view([]).day == ""


def test_retries_are_counted_by_reason() -> None:
    """Failed steps count as retries by error class, but the last of an entry that ended failed."""
    fail = StepTiming(flow="submit_ipr", step="fill", duration_ms=5, outcome="PortalTimeout")
    entries = [EntryResult(key="a", kind="ipr", state="confirmed", steps=[fail, fail]),
               EntryResult(key="b", kind="ipr", state="failed", steps=[fail])]
    assert retry_counts(entries) == [("retry/count", 2), ("retry/reason_count/PortalTimeout", 2)]


def test_page_shows_the_account_with_a_hashed_script() -> None:
    """The page gains the account's sections; its one inline script is allowed by its hash, and a hostile
    listing URL is text, not markup."""
    hostile = listing('https://x.example/"><script>alert(1)</script>', "removed")
    snap = Snapshot(ACCOUNT, RECORDS, listings=[listing("u1", "counter_noticed", deadline=date(2026, 3, 6)), hostile],
                    standings=[reading(TODAY, 50, 50)])
    summary = RunSummary(run_id="r1", started_at=T0.isoformat(), portal_url="http://p", trace_mode="off",
                         entries=[EntryResult(key="complaint:aliexpress:aa", kind="complaint", state="confirmed")])
    html = render(build_report(summary, account=account_view(snap, TODAY), names=names(RECORDS)))
    assert "script-src 'sha256-" in html and html.count("<script>") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "aliexpress · MARKW (40000001) · 3 listings" in html and 'id="counter-notices"' in html

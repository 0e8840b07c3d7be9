"""The ledger's listings and Good Faith readings (`bot.store.listings`): what sync keeps, counts and finds due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.models import ComplaintStatus, ListingStatus, Standing
from bot.store.ledger import Ledger
from bot.store.listings import due_within, working_days_left

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
ACCOUNT = "brand@example.com"
URL_A = "https://www.aliexpress.com/item/1.html"
URL_B = "https://www.aliexpress.com/item/12.html"


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")


def complaint(status: str = "awaiting_seller", *listings: ListingStatus, ref: str = "CP-000001") -> ComplaintStatus:
    return ComplaintStatus(reference=ref, ipr_reference="IPR-000001", status=status, listings=listings)


def listing(url: str, state: str, **more: object) -> ListingStatus:
    return ListingStatus(url=url, status=state, state=state, changed_on=date(2026, 3, 3), **more)  # type: ignore[arg-type]


def noticed(url: str = URL_B, deadline: date = date(2026, 3, 9)) -> ListingStatus:
    return listing(url, "counter_noticed", statement="We are a reseller.", chance=1, deadline=deadline)


def test_sync_keeps_each_listing_with_its_state_and_date(ledger: Ledger) -> None:
    """Every listing read is kept in the ledger's names, with the portal's date and a counter-notice's details."""
    assert ledger.keep_listings(ACCOUNT, [complaint("awaiting_seller", listing(URL_A, "pending"), noticed())],
                                now=T0) == 2
    pending, waiting = ledger.listings()
    assert (pending.url, pending.state, pending.changed_on, pending.deadline) == (URL_A, "pending", date(2026, 3, 3),
                                                                                  None)
    assert (waiting.state, waiting.statement, waiting.chance, waiting.deadline) == (
        "counter_noticed", "We are a reseller.", 1, date(2026, 3, 9))
    assert ledger.listings(state="counter_noticed") == [waiting]


def test_seen_at_moves_only_when_the_state_does(ledger: Ledger) -> None:
    """A second sync that reads the same state changes nothing but the details; a new state counts as changed."""
    ledger.keep_listings(ACCOUNT, [complaint("awaiting_seller", listing(URL_A, "pending"))], now=T0)
    later = T0 + timedelta(days=1)
    assert ledger.keep_listings(ACCOUNT, [complaint("awaiting_seller", listing(URL_A, "pending"))], now=later) == 0
    assert ledger.listings()[0].seen_at == T0
    assert ledger.keep_listings(ACCOUNT, [complaint("closed", listing(URL_A, "removed"))], now=later) == 1
    assert (ledger.listings()[0].state, ledger.listings()[0].seen_at) == ("removed", later)


def test_a_complaint_read_without_listings_keeps_what_was_read(ledger: Ledger) -> None:
    """A finished complaint a sync skipped (no listings read) leaves its listings in the ledger as they were."""
    ledger.keep_listings(ACCOUNT, [complaint("closed", listing(URL_A, "removed"))], now=T0)
    assert ledger.keep_listings(ACCOUNT, [complaint("closed")], now=T0) == 0
    assert [row.state for row in ledger.listings()] == ["removed"]


def test_counts_per_complaint_and_state(ledger: Ledger) -> None:
    """Listings are counted per complaint and state, for `ippbot status`."""
    ledger.keep_listings(ACCOUNT, [complaint("awaiting_seller", listing(URL_A, "removed"), noticed()),
                                   complaint("closed", listing(URL_A, "removed"), ref="CP-000002")], now=T0)
    assert ledger.listing_counts() == {"CP-000001": {"removed": 1, "counter_noticed": 1},
                                       "CP-000002": {"removed": 1}}


def test_only_finished_complaints_with_final_listings_are_skipped(ledger: Ledger) -> None:
    """A complaint is not read again once it is finished and every listing is final; an open one always is."""
    ledger.keep_listings(ACCOUNT, [complaint("awaiting_seller", listing(URL_A, "removed"), noticed()),
                                   complaint("closed", listing(URL_A, "removed"), ref="CP-000002"),
                                   complaint("withdrawn", listing(URL_A, "withdrawn"), ref="CP-000003")], now=T0)
    assert ledger.finished_complaints(ACCOUNT) == {"CP-000002", "CP-000003"}
    assert ledger.finished_complaints("other@example.com") == set()


def test_one_good_faith_reading_a_day(ledger: Ledger) -> None:
    """A second reading on one day replaces the first; the next day's is kept beside it."""
    first = Standing(takedown_rate=95.0, counter_notice_success_rate=2.5, qualifies=True, listings=40)
    ledger.keep_standing(ACCOUNT, first, now=T0)
    ledger.keep_standing(ACCOUNT, first.model_copy(update={"takedown_rate": 92.0}), now=T0 + timedelta(hours=3))
    ledger.keep_standing(ACCOUNT, first.model_copy(update={"qualifies": False}), now=T0 + timedelta(days=1))
    readings = ledger.standings(ACCOUNT)
    assert [(r.day, r.takedown_rate, r.qualifies) for r in readings] == [
        (date(2026, 3, 2), 92.0, True), (date(2026, 3, 3), 95.0, False)]


@pytest.mark.parametrize(("today", "deadline", "left"), [
    (date(2026, 3, 2), date(2026, 3, 2), 0),  # due today
    (date(2026, 3, 2), date(2026, 3, 5), 3),  # Monday to Thursday
    (date(2026, 3, 6), date(2026, 3, 9), 1),  # Friday to Monday: the weekend does not count
    (date(2026, 3, 7), date(2026, 3, 9), 1),  # Saturday to Monday
    (date(2026, 3, 10), date(2026, 3, 6), -2),  # passed: Monday and Tuesday since
])
def test_working_days_left(today: date, deadline: date, left: int) -> None:
    """Working days left count Monday to Friday after today, up to the deadline; negative once passed."""
    assert working_days_left(today, deadline) == left


def test_due_within_counts_working_days(ledger: Ledger) -> None:
    """--due-within N keeps the counter-notices due within N working days; without it, every one that waits."""
    waiting = (noticed(URL_A + "?x", date(2026, 3, 9)), noticed(URL_B, date(2026, 3, 4)))
    ledger.keep_listings(ACCOUNT, [complaint("awaiting_seller", listing(URL_A, "removed"), *waiting)], now=T0)
    rows = ledger.listings()
    friday = date(2026, 3, 6)
    assert [r.url for r in due_within(rows, friday, 1)] == [URL_A + "?x", URL_B]
    assert [r.url for r in due_within(rows, date(2026, 3, 2), 2)] == [URL_B]
    assert len(due_within(rows, date(2026, 3, 2), None)) == 2

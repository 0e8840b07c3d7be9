"""Listings: what the ledger knows of every complaint's listings and of the account's Good Faith standing.

`ListingCalls` is mixed into `bot.store.ledger.Ledger`. `ippbot sync` keeps each listing as the
portal's complaint pages show it (`keep_listings`), in the ledger's names (`LISTING_STATES`,
mapped from the portal's labels in `selectors/complaint_detail.toml`), with the portal's date of
its last change and, for a counter-notice, the seller's statement, its chance and the
complainant's deadline. A listing's `seen_at` moves only when its state does. `complaint_policies`
reads each filed complaint's own counter-notice policy from its entry. `keep_standing`
keeps one Good Faith reading a day (the last of the day wins). Known records: nothing here moves
an entry, so a sync may write them beside a run.

The pure rules of the wait live here too: working days left to a deadline (Monday to Friday, as
the portal counts them) and which counter-notices fall due within a number of working days.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select, update

from bot.models import ComplaintStatus, ListingStatus, Standing
from bot.store.records import ListingRow, StandingRow
from bot.store.schema import entry_table, listing_table, standing_table

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["FINAL_LISTING", "LISTING_STATES", "ListingCalls", "due_within", "working_days_left"]

LISTING_STATES = ("pending", "counter_noticed", "answered", "removed", "restored", "rejected", "withdrawn")
FINAL_LISTING = frozenset({"removed", "restored", "rejected", "withdrawn"})
FINAL_COMPLAINT = frozenset({"rejected", "closed", "withdrawn"})


class ListingCalls:
    """The listing and standing calls of `Ledger`."""

    if TYPE_CHECKING:
        _engine: Engine

        def _now(self, now: datetime | None) -> datetime: ...

    def keep_listings(self, account: str, complaints: Iterable[ComplaintStatus], *,
                      now: datetime | None = None) -> int:
        """Keep every listing of these complaints as read (complaints read without listings are left as they
        were). Returns how many listings are new or changed state."""
        at = self._now(now)
        changed = 0
        with self._engine.begin() as conn:
            for complaint in complaints:
                if complaint.listings:
                    changed += _keep_complaint(conn, account, complaint, at)
        return changed

    def listings(self, *, account: str | None = None, state: str | None = None, complaint: str | None = None,
                 url: str | None = None) -> list[ListingRow]:
        """The listings the last sync left, narrowed by account, state, complaint reference or URL; by complaint,
        then URL."""
        query = select(listing_table)
        for column, value in (("account", account), ("state", state), ("complaint", complaint), ("url", url)):
            if value is not None:
                query = query.where(listing_table.c[column] == value)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(listing_table.c.complaint, listing_table.c.url)).all()
        return [_listing_row(row._mapping) for row in rows]

    def listing_counts(self) -> dict[str, dict[str, int]]:
        """complaint reference -> {ledger state: listings}, as the last sync left them."""
        columns = listing_table.c
        counts: dict[str, dict[str, int]] = {}
        with self._engine.connect() as conn:
            for complaint, state, n in conn.execute(select(columns.complaint, columns.state, func.count())
                                                    .group_by(columns.complaint, columns.state)):
                counts.setdefault(complaint, {})[state] = n
        return counts

    def finished_complaints(self, account: str) -> set[str]:
        """References of the account's complaints read once finished, with every listing final: a sync
        need not open their pages again."""
        columns = listing_table.c
        found: dict[str, bool] = {}
        with self._engine.connect() as conn:
            for ref, status, state in conn.execute(select(columns.complaint, columns.complaint_status, columns.state)
                                                   .where(columns.account == account)):
                found[ref] = found.get(ref, True) and status in FINAL_COMPLAINT and state in FINAL_LISTING
        return {ref for ref, final in found.items() if final}

    def complaint_policies(self) -> dict[str, str]:
        """complaint reference -> the counter-notice policy its batch gave it (`counter_notice:`), for those
        that gave one: what `ippbot sync` answers of its counter-notices no one answered."""
        columns = entry_table.c
        with self._engine.connect() as conn:
            rows = conn.execute(select(columns.portal_ref, columns.payload).where(
                columns.kind == "complaint", columns.portal_ref.is_not(None))).all()
        return {ref: payload["counter_notice"] for ref, payload in rows if payload.get("counter_notice")}

    def keep_standing(self, account: str, standing: Standing, *, now: datetime | None = None) -> StandingRow:
        """Keep today's Good Faith reading (one a day: a later reading of the day replaces it)."""
        at = self._now(now)
        row = {"account": account, "day": at.date().isoformat(), "takedown_rate": standing.takedown_rate,
               "counter_notice_success_rate": standing.counter_notice_success_rate,
               "qualifies": standing.qualifies, "listings": standing.listings, "read_at": at}
        columns = standing_table.c
        with self._engine.begin() as conn:
            conn.execute(delete(standing_table).where(columns.account == account, columns.day == row["day"]))
            conn.execute(insert(standing_table), [row])
        return _standing_row(row)

    def standings(self, account: str) -> list[StandingRow]:
        """The account's Good Faith readings, a day each, oldest first."""
        columns = standing_table.c
        with self._engine.connect() as conn:
            rows = conn.execute(select(standing_table).where(columns.account == account).order_by(columns.day)).all()
        return [_standing_row(row._mapping) for row in rows]


def _keep_complaint(conn: Connection, account: str, complaint: ComplaintStatus, at: datetime) -> int:
    columns = listing_table.c
    known = {row.url: row.state for row in conn.execute(
        select(columns.url, columns.state).where(columns.complaint == complaint.reference))}
    changed = 0
    for listing in complaint.listings:
        values = _listing_values(account, complaint, listing)
        if listing.url not in known:
            conn.execute(insert(listing_table), [{**values, "seen_at": at}])
        else:
            moved = {"seen_at": at} if known[listing.url] != listing.state else {}
            conn.execute(update(listing_table).where(columns.complaint == complaint.reference,
                                                     columns.url == listing.url).values(**values, **moved))
        changed += known.get(listing.url) != listing.state
    return changed


def _listing_values(account: str, complaint: ComplaintStatus, listing: ListingStatus) -> dict[str, Any]:
    noticed = listing.state == "counter_noticed"
    return {"account": account, "complaint": complaint.reference, "url": listing.url,
            "complaint_status": complaint.status, "state": listing.state,
            "changed_on": listing.changed_on.isoformat() if listing.changed_on else None,
            "deadline": listing.deadline.isoformat() if noticed and listing.deadline else None,
            "chance": listing.chance, "statement": listing.statement or None, "answer": listing.answer or None}


def _listing_row(row: Any) -> ListingRow:
    return ListingRow.model_validate({**row, "changed_on": _day(row["changed_on"]), "deadline": _day(row["deadline"])})


def _standing_row(row: Any) -> StandingRow:
    return StandingRow.model_validate({**row, "day": _day(row["day"])})


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def working_days_left(today: date, deadline: date) -> int:
    """Working days (Monday to Friday) after `today` up to and including `deadline`; 0 when it is due
    today, negative (the working days since) once it has passed."""
    if deadline < today:
        return -working_days_left(deadline, today)
    days, current = 0, today
    while current < deadline:
        current += timedelta(days=1)
        days += current.weekday() < 5
    return days


def due_within(rows: Iterable[ListingRow], today: date, working_days: int | None) -> list[ListingRow]:
    """The counter-notices among `rows` whose deadline falls within `working_days` of `today` (all, for None)."""
    noticed = [row for row in rows if row.state == "counter_noticed"]
    if working_days is None:
        return noticed
    return [row for row in noticed if row.deadline is None or working_days_left(today, row.deadline) <= working_days]

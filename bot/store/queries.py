"""Queries: the ledger's reads inside a transaction: entries by key, what is due, what holds a complaint, leases.

Every function takes the caller's `conn`, so a read and the write it decides happen in one
transaction (on SQLite one ``BEGIN IMMEDIATE``): a lease is checked inside the transaction
that relies on it, never before. Nothing here writes. The leading underscores mark helpers
for `bot.store` alone; the public API is `bot.store.ledger.Ledger`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Row, func, or_, select

from bot.errors import LeaseNotHeld, UnknownEntry
from bot.models import Complaint, Ipr, IprOnPortal
from bot.store.records import Record, StatusRow, Transition
from bot.store.schema import copy_table, entry_table, lease_table, portal_ipr_table, transition_table
from bot.store.states import HELD, State

APPROVED = "approved"  # the portal's review status that lets complaints go
# What blocks a complaint for good until its IPR changes: the IPR's review, or its own state.
# `{key}` is the IPR's key, `{last}` its last error in brackets.
BLOCKING_REVIEWS = {
    "rejected": "was rejected by the portal's review: enqueue a corrected IPR with `corrects: {key}`",
    "expired": "has expired on the portal: renew it there, then ippbot sync",
}
BLOCKING_STATES = {
    "failed": "failed{last}: correct it, then ippbot retry {key}",
    "dead": "was given up{last}: ippbot retry {key} once it can go",
    "cancelled": "was cancelled: enqueue it again, or ippbot cancel the complaint",
}


# Entries --------------------------------------------------------------------------------


def _find(conn: Connection, key: str) -> Row[Any] | None:
    return conn.execute(select(entry_table).where(entry_table.c.key == key)).first()


def _get(conn: Connection, key: str) -> Row[Any]:
    row = _find(conn, key)
    if row is None:
        raise UnknownEntry(key)
    return row


def _last_seq(conn: Connection) -> int:
    """The `seq` of the entry added last, 0 if none: new entries go after it."""
    return int(conn.execute(select(func.coalesce(func.max(entry_table.c.seq), 0))).scalar_one())


def _known_keys(conn: Connection, keys: list[str], chunk: int = 500) -> set[str]:
    """Which of `keys` the ledger already holds (asked `chunk` at a time: SQLite caps parameters)."""
    known: set[str] = set()
    for start in range(0, len(keys), chunk):
        part = keys[start:start + chunk]
        known.update(conn.execute(select(entry_table.c.key).where(entry_table.c.key.in_(part))).scalars())
    return known


def _record(row: Row[Any] | Mapping[str, Any]) -> Record:
    data = dict(row._mapping) if isinstance(row, Row) else dict(row)
    model = Ipr if data["kind"] == "ipr" else Complaint
    data["payload"] = model.model_validate(data["payload"])
    return Record.model_validate({name: data[name] for name in Record.model_fields})


def _status_rows(conn: Connection) -> list[StatusRow]:
    """Every entry as a status line, oldest first."""
    columns = [entry_table.c[name] for name in StatusRow.model_fields if name not in {"copies", "listings"}]
    found = conn.execute(select(*columns).order_by(entry_table.c.seq)).mappings().all()
    copies = _all_copies(conn)
    return [StatusRow.model_validate(dict(row) | {"copies": tuple(copies.get(row["key"], ()))}) for row in found]


def _state_counts(conn: Connection) -> dict[str, int]:
    """How many entries are in each state that has any."""
    query = select(entry_table.c.state, func.count()).group_by(entry_table.c.state)
    return dict(conn.execute(query).all())


def _transitions(conn: Connection, key: str) -> list[Transition]:
    """An entry's history, oldest first."""
    query = (
        select(transition_table)
        .where(transition_table.c.key == key)
        .order_by(transition_table.c.id)
    )
    found = conn.execute(query).mappings().all()
    return [Transition.model_validate(dict(row)) for row in found]


def _held(conn: Connection) -> list[Row[Any]]:
    """The complaints held for their IPR: waiting or blocked, oldest first."""
    query = select(entry_table).where(entry_table.c.state.in_(HELD)).order_by(entry_table.c.seq)
    return list(conn.execute(query).all())


def _busy(conn: Connection) -> list[Row[Any]]:
    """The entries a worker holds: claimed or submitting."""
    busy = ("claimed", "submitting")
    return list(conn.execute(select(entry_table).where(entry_table.c.state.in_(busy))).all())


# What an account may claim ----------------------------------------------------------------


def _due(conn: Connection, account: str, now: datetime) -> list[Row[Any]]:
    query = (
        select(entry_table)
        .where(entry_table.c.state == "pending", entry_table.c.next_attempt_at <= now)
        .where(_claimable_by(account))
        # longest due first, then in the order added: an entry handed back after a crash or a
        # reconcile is due "now", so it goes behind the others instead of meeting the same fate
        # again at once (a run killed at one step over and over spreads over entries, and a
        # poison entry still dies after max_attempts while the rest of the batch goes on)
        .order_by(entry_table.c.next_attempt_at, entry_table.c.seq)
    )
    return list(conn.execute(query).all())


def _earliest_due(conn: Connection, account: str) -> datetime | None:
    """When the earliest pending entry `account` may claim falls due (as stored: naive on SQLite)."""
    query = select(func.min(entry_table.c.next_attempt_at)).where(
        entry_table.c.state == "pending", _claimable_by(account)
    )
    earliest: datetime | None = conn.execute(query).scalar_one_or_none()
    return earliest


def _unknown_of(conn: Connection, account: str) -> list[Row[Any]]:
    """`account`'s entries in `unknown`, oldest first."""
    query = select(entry_table).where(entry_table.c.state == "unknown", _same_account(account))
    return list(conn.execute(query.order_by(entry_table.c.seq)))


def _claimable_by(account: str) -> ColumnElement[bool]:
    """Entries `account` may claim: its own, and those pinned to no account."""
    return or_(entry_table.c.account.is_(None), _same_account(account))


def _same_account(account: str) -> ColumnElement[bool]:
    """Entries pinned to `account`, however its email was typed when they were added (the portal
    ignores case, and `Settings` reads the email lower-cased since ledgers were first written)."""
    return func.lower(entry_table.c.account) == account.lower()


class Hold(NamedTuple):
    """Why a complaint is held for its IPR: `waiting` (it may still be approved) or `blocked` (it cannot be)."""

    state: State
    why: str


def _hold(conn: Connection, depends_on: str | None, account: str | None = None) -> Hold | None:
    """Why a complaint must not go yet, or None when it may go.

    It is held while the ledger holds that IPR (by key or registration number) and none of
    its records is confirmed and approved: `waiting` while one of them may still be (in line,
    being filed, in review), `blocked` once none can (rejected, failed, dead, expired,
    cancelled). An IPR no entry holds is looked for in the portal's records that `ippbot sync`
    keeps (filed by hand; of the complaint's `account` when it has one), with the same rule;
    one found in neither is taken to be on the portal already, which the complaint flow's own
    IPR lookup settles.
    """
    if depends_on is None:
        return None
    query = select(
        entry_table.c.key, entry_table.c.state, entry_table.c.portal_status, entry_table.c.error
    ).where(
        entry_table.c.kind == "ipr",
        or_(entry_table.c.key == depends_on, entry_table.c.ipr_number == depends_on),
    )
    iprs = conn.execute(query).all()
    if not iprs:
        return _hold_by_hand(conn, depends_on, account)
    if any(i.state == "confirmed" and i.portal_status == APPROVED for i in iprs):
        return None
    blocks = [_blocks(i) for i in iprs]
    for ipr, block in zip(iprs, blocks, strict=True):
        if block is None:
            review = ipr.portal_status or "not reviewed yet"
            return Hold("waiting", f"waiting for IPR {ipr.key} ({ipr.state}, review: {review})")
    return Hold("blocked", f"blocked: {blocks[0]}")


def _hold_by_hand(conn: Connection, number: str, account: str | None) -> Hold | None:
    """`_hold` for an IPR filed by hand: what the portal's records say of it, as the last sync read them."""
    query = select(portal_ipr_table.c.reference, portal_ipr_table.c.status).where(
        portal_ipr_table.c.registration_number == number)
    if account is not None:
        query = query.where(portal_ipr_table.c.account == account)
    records = conn.execute(query.order_by(portal_ipr_table.c.reference)).all()
    if not records or any(r.status == APPROVED for r in records):
        return None
    for record in records:
        if record.status not in BLOCKING_REVIEWS:
            return Hold("waiting", f"waiting for IPR {record.reference} on the portal (not filed by ippbot; "
                                   f"review: {record.status}): ippbot sync reads its review")
    why = BLOCKING_REVIEWS[records[0].status].format(key=records[0].reference)
    if records[0].status == "rejected":
        why = "was rejected by the portal's review: correct it on the portal, then ippbot sync"
    return Hold("blocked", f"blocked: IPR {records[0].reference} (on the portal, not filed by ippbot) {why}")


def _blocks(ipr: Row[Any, Any, Any, Any]) -> str | None:
    """Why this IPR record can never be approved as it stands (what the operator does), or None."""
    if ipr.state == "confirmed" and ipr.portal_status in BLOCKING_REVIEWS:
        why = BLOCKING_REVIEWS[ipr.portal_status]
    elif ipr.state in BLOCKING_STATES:
        why = BLOCKING_STATES[ipr.state]
    else:
        return None
    return f"IPR {ipr.key} " + why.format(key=ipr.key, last=f" ({ipr.error})" if ipr.error else "")


def _ipr_on_portal(conn: Connection, depends_on: str | None) -> IprOnPortal | None:
    """A complaint's IPR as ippbot filed it (by key or registration number): its portal reference,
    name and number; the approved copy first when the ledger knows several. None when not filed by ippbot."""
    if depends_on is None:
        return None
    query = select(entry_table.c.payload, entry_table.c.portal_ref, entry_table.c.portal_status).where(
        entry_table.c.kind == "ipr", entry_table.c.state == "confirmed", entry_table.c.portal_ref.is_not(None),
        or_(entry_table.c.key == depends_on, entry_table.c.ipr_number == depends_on),
    )
    rows = sorted(conn.execute(query).all(), key=lambda r: r.portal_status != APPROVED)
    if not rows:
        return None
    ipr = Ipr.model_validate(rows[0].payload)
    return IprOnPortal(reference=rows[0].portal_ref, name=ipr.name, registration_number=ipr.registration_number)


def _copies_of(conn: Connection, key: str) -> list[str]:
    query = select(copy_table.c.portal_ref).where(copy_table.c.key == key).order_by(copy_table.c.portal_ref)
    return list(conn.execute(query).scalars())


def _all_copies(conn: Connection) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, ref in conn.execute(select(copy_table.c.key, copy_table.c.portal_ref).order_by(copy_table.c.key)):
        found.setdefault(key, []).append(ref)
    return found


# Leases -----------------------------------------------------------------------------------


def _live_lease(conn: Connection, account: str | None, now: datetime) -> Row[Any] | None:
    query = select(lease_table).where(
        lease_table.c.account == account, lease_table.c.expires_at > now
    )
    return conn.execute(query).first()


def _holds(conn: Connection, account: str | None, holder: str | None, now: datetime, token: int | None = None) -> bool:
    """Whether `holder` (or, for None, anyone) holds a live lease on `account` (with `token`, when given)."""
    lease = _live_lease(conn, account, now)
    return lease is not None and (holder is None or lease.holder == holder) and token in (None, lease.token)


def _live_holder(conn: Connection, account: str, holder: str | None, now: datetime) -> str | None:
    lease = _live_lease(conn, account, now)
    if holder is not None and (lease is None or lease.holder != holder):
        raise LeaseNotHeld(account, holder)
    return lease.holder if lease is not None else None

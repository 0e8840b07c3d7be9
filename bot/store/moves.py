"""Moves: the ledger's writes inside a transaction: new entries, the one conditional update, audit rows, leases.

Every change is a conditional update (``UPDATE ... WHERE key = ? AND state = ? AND version
= ?``, rowcount checked, `_move`): a worker passes the `version` it was given, so a stale
worker whose entry was recovered and claimed again is refused (`StaleEntry`) instead of
overwriting. Each move is checked against `bot.store.states.LEGAL` and leaves a row in
``transitions``. Every function takes the caller's `conn`; the leading underscores mark
helpers for `bot.store` alone (the public API is `bot.store.ledger.Ledger`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.errors import IllegalTransition, LedgerError, StaleEntry
from bot.models import Entry, Ipr
from bot.store.queries import _get, _held, _hold, _known_keys, _last_seq
from bot.store.schema import entry_table, lease_table, transition_table
from bot.store.states import LEGAL, State

# State changes ----------------------------------------------------------------------------


def _expect(
    conn: Connection,
    key: str,
    version: int | None,
    target: State,
    allowed: set[State],
) -> Row[Any]:
    """The entry's row, if the caller's view (`version`) is current and the move is legal."""
    row = _get(conn, key)
    if version is not None and row.version != version:
        raise StaleEntry(key, f"it is at version {row.version} ({row.state}), not {version}")
    legal = target in LEGAL[row.state]
    if not legal or row.state not in allowed:
        why = "" if not legal else f"this call moves only from {', '.join(sorted(allowed))}"
        raise IllegalTransition(key, row.state, target, why)
    return row


def _move(
    conn: Connection, row: Row[Any], target: State, now: datetime, detail: str, **values: Any
) -> None:
    """The one conditional update every state change goes through, plus its audit row."""
    if target not in LEGAL[row.state]:
        raise IllegalTransition(row.key, row.state, target)
    changed = conn.execute(
        update(entry_table)
        .where(
            entry_table.c.key == row.key,
            entry_table.c.state == row.state,
            entry_table.c.version == row.version,
        )
        .values(state=target, version=row.version + 1, updated_at=now, **values)
    ).rowcount
    if changed != 1:
        raise StaleEntry(row.key, f"moved by someone else while going {row.state} -> {target}")
    _audit(conn, row.key, row.state, target, now, detail)


def _audit(
    conn: Connection, key: str, source: State | None, target: State, at: datetime, detail: str
) -> None:
    conn.execute(
        insert(transition_table).values(
            key=key, from_state=source, to_state=target, at=at, detail=detail
        )
    )


def _claim(conn: Connection, row: Row[Any], account: str, holder: str | None, now: datetime) -> bool:
    """Claim one due entry; False if another worker got it first (possible on PostgreSQL)."""
    values = {"attempts": row.attempts + 1, "account": account, "claimed_by": holder}
    try:
        _move(conn, row, "claimed", now, f"attempt {row.attempts + 1} by {holder}", **values)
    except StaleEntry:
        return False
    return True


def _settle_held(conn: Connection, now: datetime) -> list[str]:
    """Move every complaint held for its IPR to where the IPR now puts it; returns the keys moved.

    waiting or blocked -> pending once the IPR is approved, keeping its place in line;
    waiting <-> blocked as the IPR can or cannot be approved any more (`_hold` says). One that
    stays where it is gets the reason of now (not a move: nobody works a held complaint).
    """
    moved: list[str] = []
    for row in _held(conn):
        hold = _hold(conn, row.depends_on, row.account)
        if hold is None:
            _move(conn, row, "pending", now, "its IPR is approved", error=None)
        elif hold.state != row.state:
            _move(conn, row, hold.state, now, hold.why, error=hold.why)
        else:
            if hold.why != row.error:  # the same hold for another reason (its IPR failed, then was given up)
                conn.execute(update(entry_table).where(entry_table.c.key == row.key, entry_table.c.state == row.state)
                             .values(error=hold.why))
            continue
        moved.append(row.key)
    return moved


def _require(value: str | None, message: str) -> None:
    """Refuse (`LedgerError`) a reason or reference that is missing or blank."""
    if not value or not value.strip():
        raise LedgerError(message)


def _set_review(conn: Connection, key: str, status: str, now: datetime) -> None:
    """Record the portal's review outcome of a confirmed entry (not a move: its state stays)."""
    conn.execute(
        update(entry_table)
        .where(entry_table.c.key == key, entry_table.c.state == "confirmed")
        .values(portal_status=status, updated_at=now)
    )


def _reconciled_state(found_ref: str | None, proof_absent: bool) -> State:
    return "confirmed" if found_ref else ("pending" if proof_absent else "needs_human")


# New entries ------------------------------------------------------------------------------


def _entry_row(entry: Entry, account: str | None, seq: int, now: datetime) -> dict[str, Any]:
    """A new entry's row: pending, no attempt yet, due now."""
    payload = entry.payload
    return {
        "key": entry.key,
        "kind": entry.kind,
        "account": account,
        "payload": payload.model_dump(mode="json"),
        "state": "pending",
        "attempts": 0,
        "version": 1,
        "portal_ref": None,
        "portal_status": None,
        "error": None,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
        "source": entry.source,
        "depends_on": entry.depends_on,
        "ipr_number": payload.registration_number if isinstance(payload, Ipr) else None,
        "claimed_by": None,
        "seq": seq,
    }


def _added_row(entry: Entry, now: datetime) -> dict[str, Any]:
    """The first row of a new entry's history."""
    return {"key": entry.key, "from_state": None, "to_state": "pending", "at": now,
            "detail": f"added from {entry.source}"}


def _insert_new(conn: Connection, entries: list[Entry], account: str | None, at: datetime) -> int:
    """Insert the entries whose keys the ledger does not hold yet; how many."""
    seq = _last_seq(conn)
    known = _known_keys(conn, [entry.key for entry in entries])
    new: list[Entry] = []
    for entry in entries:
        if entry.key not in known:
            known.add(entry.key)
            new.append(entry)
    # one statement each for all rows (10,000 entries: 6.5 s one by one; docs/BENCHMARKS.md)
    if new:
        rows = [_entry_row(e, e.account or account, seq + i, at) for i, e in enumerate(new, 1)]
        conn.execute(insert(entry_table), rows)
        conn.execute(insert(transition_table), [_added_row(e, at) for e in new])
        if conn.dialect.name == "postgresql":  # the fleet's queue is in this database: the jobs commit with the entries
            from bot.store.fleet import defer_work

            defer_work(conn, [a for a in (e.account or account for e in new) if a])
    return len(new)


# Leases -----------------------------------------------------------------------------------


def _ttl(ttl_s: float) -> timedelta:
    """A lease's time to live; refused unless positive."""
    if ttl_s <= 0:
        raise ValueError("a lease needs a positive ttl_s")
    return timedelta(seconds=ttl_s)



def _take_lease(conn: Connection, account: str, holder: str, now: datetime, until: datetime) -> int | None:
    """Insert the account's lease, take it over once expired, or extend `holder`'s own: the token it is held
    with, or None while another holder's is live. The token grows each time the lease passes to another
    holder (fencing: an older token is refused by `_fenced_extend`)."""
    row = conn.execute(select(lease_table).where(lease_table.c.account == account)).first()
    if row is None:
        try:
            with conn.begin_nested():
                conn.execute(insert(lease_table).values(account=account, holder=holder, expires_at=until, token=1))
        except IntegrityError:
            return None
        return 1
    if row.holder != holder and row.expires_at > now:
        return None
    token = row.token if row.holder == holder else row.token + 1
    taken = conn.execute(
        update(lease_table)
        .where(lease_table.c.account == account, lease_table.c.holder == row.holder, lease_table.c.token == row.token)
        .values(holder=holder, expires_at=until, token=token)
    ).rowcount
    return token if taken else None


def _extend_lease(conn: Connection, account: str, holder: str, now: datetime, until: datetime) -> bool:
    """Extend a live lease `holder` holds to `until`; False if it expired or is someone else's."""
    return bool(
        conn.execute(
            update(lease_table)
            .where(lease_table.c.account == account, lease_table.c.holder == holder)
            .where(lease_table.c.expires_at > now)
            .values(expires_at=until)
        ).rowcount
    )


def _fenced_extend(conn: Connection, account: str, holder: str, token: int, until: datetime) -> bool:
    """Extend `holder`'s lease taken with `token` to `until`, live or not: False once the lease has passed to
    another holder since (its token grew). An expired lease no one took since is safe to extend: whatever a
    `recover_stale` moved meanwhile, the entry's version refuses."""
    return bool(
        conn.execute(
            update(lease_table)
            .where(lease_table.c.account == account, lease_table.c.holder == holder, lease_table.c.token == token)
            .values(expires_at=until)
        ).rowcount
    )


RELEASED = datetime(1970, 1, 1, tzinfo=UTC)  # a released lease's expiry: long gone, its row and token kept


def _drop_lease(conn: Connection, account: str, holder: str) -> bool:
    """Let `holder`'s lease on `account` go (expired, its token kept for the next holder to grow); False if it
    did not hold it."""
    return bool(
        conn.execute(
            update(lease_table)
            .where(lease_table.c.account == account, lease_table.c.holder == holder)
            .where(lease_table.c.expires_at > RELEASED)
            .values(expires_at=RELEASED)
        ).rowcount
    )

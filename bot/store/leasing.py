"""Leasing: one worker at a time per account, fenced; and the fleet's workers with their heartbeats.

`LeaseCalls` is mixed into `bot.store.ledger.Ledger`. A lease row per account names its holder
(`run ID on HOST pid PID`), its expiry and a fencing token that grows each time the lease passes
to another holder (Kleppmann, "How to do distributed locking"). A time-based lease alone lets a
worker that was paused past its expiry (SIGSTOP, a frozen VM, a long GC) act after another took
over; so a run keeps the token it took (`acquire_lease`), and what it does before a submit is made
with it:

* `mark_submitting(..., token=)` commits `submitting` only while the token is current, and renews;
* `fence` is asked right before ippbot sends the final post (`flows.send_once`): the token is still
  current and the entry still `submitting` at the version the run committed, or nothing is sent.

After the click, moves are fenced by the entry's `version` instead: a newer holder's first act is
`recover_stale`, which moves every entry the old holder left, so an old holder's `confirm` either
lands first (and is true: it filed it) or is refused (`StaleEntry`).

Marks: when the worker's night and morning last finished (`mark`, `marked`), one pair for every worker
of the ledger. Heartbeats: each `ippbot worker` writes its row in `workers` (`beat`) every few seconds and
deletes it when it stops (`worker_gone`); `fleet` reads the workers alive (a heartbeat newer than
`alive_s`) and the accounts whose live lease names a run of their host and pid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, update

from bot.errors import LeaseNotHeld, StaleEntry
from bot.store.moves import _drop_lease, _extend_lease, _fenced_extend, _take_lease, _ttl
from bot.store.queries import _get, _live_lease
from bot.store.schema import lease_table, mark_table, worker_table

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["FleetWorker", "LeaseCalls"]


@dataclass(frozen=True)
class FleetWorker:
    """One `ippbot worker` as its heartbeat row shows it, and the accounts it works now."""

    name: str
    host: str
    pid: int
    concurrency: int
    queue: str
    started_at: datetime
    heartbeat_at: datetime
    accounts: tuple[str, ...]


class LeaseCalls:
    """The leases and worker heartbeats of `Ledger`."""

    if TYPE_CHECKING:
        _engine: Engine

        def _now(self, now: datetime | None) -> datetime: ...

    def acquire_lease(self, account: str, holder: str, ttl_s: float, now: datetime | None = None) -> int | None:
        """Take the account's lease for `ttl_s` seconds: its fencing token (>= 1) if now held by `holder`, else None.

        Atomic: inserted when there is none, taken over when it has expired (the token grows), extended
        when `holder` has it already (the same token); refused while another holder's lease is live.
        After a takeover, call `recover_stale` for what the old holder left behind.
        """
        at = self._now(now)
        with self._engine.begin() as conn:
            return _take_lease(conn, account, holder, at, at + _ttl(ttl_s))

    def renew_lease(self, account: str, holder: str, ttl_s: float, now: datetime | None = None, *,
                    token: int | None = None) -> bool:
        """Extend `holder`'s lease; False if it is someone else's. Without `token`, only a live lease is
        extended; with it, one no other holder took since it was taken with that token, live or not."""
        at = self._now(now)
        with self._engine.begin() as conn:
            if token is not None:
                return _fenced_extend(conn, account, holder, token, at + _ttl(ttl_s))
            return _extend_lease(conn, account, holder, at, at + _ttl(ttl_s))

    def fence(self, key: str, *, holder: str, token: int, version: int, ttl_s: float,
              now: datetime | None = None) -> None:
        """The last check before the final post: the account's lease is still `holder`'s with `token` (renewed
        here) and the entry still `submitting` at `version`. `LeaseNotHeld` or `StaleEntry` otherwise: send
        nothing, and stop (the lease's new holder settles the entry from the portal's records)."""
        at = self._now(now)
        with self._engine.begin() as conn:
            row = _get(conn, key)
            account = row.account or ""
            if not _fenced_extend(conn, account, holder, token, at + _ttl(ttl_s)):
                raise LeaseNotHeld(account, holder)
            if row.state != "submitting" or row.version != version:
                raise StaleEntry(key, f"it is {row.state} at version {row.version}, not submitting at {version}")

    def lease_holder(self, account: str, now: datetime | None = None) -> str | None:
        """Who holds the account's live lease, if anyone."""
        with self._engine.connect() as conn:
            row = _live_lease(conn, account, self._now(now))
        return str(row.holder) if row is not None else None

    def release_lease(self, account: str, holder: str) -> bool:
        """Give the lease up (its token is kept, for the next holder to grow); False if `holder` did not hold it."""
        with self._engine.begin() as conn:
            return _drop_lease(conn, account, holder)

    # The fleet ---------------------------------------------------------------------------

    def beat(self, name: str, *, host: str, pid: int, concurrency: int, queue: str,
             now: datetime | None = None) -> None:
        """`name`'s heartbeat: its row made, or its time moved on."""
        at = self._now(now)
        with self._engine.begin() as conn:
            seen = conn.execute(update(worker_table).where(worker_table.c.name == name)
                                .values(heartbeat_at=at)).rowcount
            if not seen:
                conn.execute(insert(worker_table).values(name=name, host=host, pid=pid, concurrency=concurrency,
                                                         queue=queue, started_at=at, heartbeat_at=at))

    def mark(self, name: str, at: datetime) -> None:
        """Note that the worker's `name` (night, morning) finished `at`, for every worker of this ledger."""
        with self._engine.begin() as conn:
            if not conn.execute(update(mark_table).where(mark_table.c.name == name).values(at=at)).rowcount:
                conn.execute(insert(mark_table).values(name=name, at=at))

    def marked(self, name: str) -> datetime | None:
        """When the worker's `name` last finished, or None."""
        with self._engine.connect() as conn:
            return conn.execute(select(mark_table.c.at).where(mark_table.c.name == name)).scalar_one_or_none()

    def worker_gone(self, name: str) -> None:
        """`name` stopped: its row goes."""
        with self._engine.begin() as conn:
            conn.execute(delete(worker_table).where(worker_table.c.name == name))

    def fleet(self, alive_s: float, now: datetime | None = None) -> list[FleetWorker]:
        """The workers whose heartbeat is newer than `alive_s` seconds, each with the accounts it works now."""
        at = self._now(now)
        with self._engine.connect() as conn:
            since = at - timedelta(seconds=alive_s)
            workers = conn.execute(select(worker_table).where(worker_table.c.heartbeat_at > since)
                                   .order_by(worker_table.c.host, worker_table.c.pid)).all()
            leases = conn.execute(select(lease_table.c.account, lease_table.c.holder)
                                  .where(lease_table.c.expires_at > at).order_by(lease_table.c.account)).all()
        return [FleetWorker(w.name, w.host, w.pid, w.concurrency, w.queue, w.started_at, w.heartbeat_at,
                            tuple(lease.account for lease in leases if lease.holder.endswith(f" on {w.name}")))
                for w in workers]

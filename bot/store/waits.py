"""Waits: the portal's "come back later" for an account (429 or maintenance with Retry-After), kept across runs.

`WaitCalls` is mixed into `bot.store.ledger.Ledger`. The runner notes the portal's word for the
whole account (`hold_off`) when an entry meets it, and every run of that account, this one and
the next (the worker's, the cron's, another host's), asks `held_off` before it sends anything.
A later word replaces an earlier one only when it asks for longer. `has_work` tells whether a run of
an account would find anything to do at all, so that one with nothing starts no browser and logs in
to nothing; `has_new`, whether it has entries never tried, for the run's one read of a portal list.
Both are one indexed query, not a scan of the ledger.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import delete, exists, insert, select, update

from bot.store.queries import _claimable_by
from bot.store.schema import entry_table, wait_table

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["WORKABLE", "HeldOff", "WaitCalls"]

WORKABLE = ("pending", "claimed", "submitting", "unknown")  # what a run can do something with now


class HeldOff(NamedTuple):
    """Until when the portal asked the account to wait, and why."""

    until: datetime
    reason: str


class WaitCalls:
    """The account waits of `Ledger`."""

    if TYPE_CHECKING:
        _engine: Engine

        def _now(self, now: datetime | None) -> datetime: ...

    def hold_off(self, account: str, until: datetime, reason: str) -> None:
        """The portal asked `account` to wait until `until`: kept, unless an earlier word asks for longer."""
        with self._engine.begin() as conn:
            known = conn.execute(select(wait_table.c.not_before).where(wait_table.c.account == account)).first()
            if known is None:
                conn.execute(insert(wait_table).values(account=account, not_before=until, reason=reason))
            elif known.not_before < until:
                conn.execute(update(wait_table).where(wait_table.c.account == account)
                             .values(not_before=until, reason=reason))

    def held_off(self, account: str, now: datetime | None = None) -> HeldOff | None:
        """The wait the portal asked of `account` that is not over yet, or None (an old one is forgotten)."""
        at = self._now(now)
        with self._engine.connect() as conn:  # a read: `ippbot status` asks it of a ledger it may not write
            row = conn.execute(select(wait_table).where(wait_table.c.account == account)).first()
        if row is None:
            return None
        if row.not_before > at:
            return HeldOff(row.not_before, row.reason)
        with self._engine.begin() as conn:  # over: forgotten, unless a new word came in the meantime
            conn.execute(delete(wait_table).where(wait_table.c.account == account, wait_table.c.not_before <= at))
        return None

    def has_work(self, account: str) -> bool:
        """Whether `account` has an entry a run could do something with (its own, or one pinned to no account)."""
        query = select(exists().where(entry_table.c.state.in_(WORKABLE), _claimable_by(account)))
        with self._engine.connect() as conn:
            return bool(conn.execute(query).scalar())

    def has_new(self, account: str, kind: str) -> bool:
        """Whether `account` has pending entries of `kind` never tried (the run's one read of a portal list
        serves them), its own or pinned to no account."""
        query = select(exists().where(entry_table.c.kind == kind, entry_table.c.state == "pending",
                                      entry_table.c.attempts == 0, _claimable_by(account)))
        with self._engine.connect() as conn:
            return bool(conn.execute(query).scalar())

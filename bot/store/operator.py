"""Operator: the ledger's calls that hand an entry to a person and back: park, retry, resolve, cancel, recheck.

`OperatorCalls` is mixed into `bot.store.ledger.Ledger` (a module of its own to keep the
ledger's file small); each call is one transaction and every move goes through
`bot.store.moves._move`, so it is a conditional update with its row in the history. The
refusals say what to do instead, since the commands print them to the operator as they are:

* `park` (a run): claimed -> needs_human, parked: a human check met in a headless run, before
  any click, so nothing was sent;
* `retry`: failed, dead, needs_human (parked) -> pending, attempts counted afresh; a
  needs_human that cannot tell is refused (resolve it), so is a blocked one (it says why);
* `resolve`: unknown, needs_human (cannot tell) -> confirmed with the portal's reference, or
  -> pending (not filed), after the operator looked at the portal;
* `cancel`: pending, waiting, blocked, failed, dead, needs_human (parked) -> cancelled; never
  while something may be in flight or on the portal;
* `recheck`: what `claim_next` does first: every complaint held for its IPR moves as the IPR
  now says (blocked -> pending once it is approved, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row

from bot.errors import IllegalTransition, StaleEntry
from bot.store.moves import _move, _require, _settle_held
from bot.store.queries import _get, _record
from bot.store.records import Record
from bot.store.states import PARKED, State

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["OperatorCalls"]

Move = Callable[[Connection, Row[Any], datetime], None]

# Why an entry cannot be cancelled in its state, and what to do instead.
NOT_CANCELLED = {
    "claimed": "a run is working it: cancel it once the run is over",
    "submitting": "a run is submitting it: cancel it once the run is over",
    "unknown": "it may be on the portal: the next run looks it up, or ippbot resolve it first",
    "confirmed": "it is on the portal already: withdraw it there (ippbot withdraw)",
    "cancelled": "it is cancelled already",
}
RESOLVE_INSTEAD = "look on the portal, then ippbot resolve {key} --filed REF or --not-filed"


class OperatorCalls:
    """The operator's moves of `Ledger` (and the run's `park`)."""

    if TYPE_CHECKING:
        _engine: Engine

        def _now(self, now: datetime | None) -> datetime: ...

    def park(self, key: str, reason: str, *, version: int | None = None, now: datetime | None = None) -> Record:
        """claimed -> needs_human, parked: a human check met before any click (`ippbot retry` puts it back)."""
        _require(reason, "parking needs a reason")

        def park(conn: Connection, row: Row[Any], at: datetime) -> None:
            _expect_state(row, "needs_human", {"claimed"}, version)
            _move(conn, row, "needs_human", at, f"parked: {reason}", error=f"parked: {reason}",
                  human_reason=PARKED)

        return self._operate(key, park, now)

    def retry(self, key: str, *, now: datetime | None = None) -> Record:
        """failed, dead or needs_human (parked) -> pending, due now, its attempts counted afresh."""

        def retry(conn: Connection, row: Row[Any], at: datetime) -> None:
            if row.state == "needs_human" and row.human_reason != PARKED:
                raise IllegalTransition(key, row.state, "pending", "the portal's records could not tell whether "
                                        "it was filed: " + RESOLVE_INSTEAD.format(key=key))
            if row.state == "blocked":
                raise IllegalTransition(key, row.state, "pending", f"{row.error}; it goes on by itself once "
                                        "its IPR is approved")
            _expect_state(row, "pending", {"failed", "dead", "needs_human"})
            was = f"was {row.state} after {row.attempts} attempts" + (f": {row.error}" if row.error else "")
            _back_in_line(conn, row, at, f"retried by the operator ({was}); attempts counted afresh")

        return self._operate(key, retry, now)

    def resolve(self, key: str, filed_as: str | None, *, now: datetime | None = None) -> Record:
        """unknown or needs_human (cannot tell) -> confirmed as `filed_as` (the portal's reference),
        or with None -> pending, due now, attempts counted afresh: the operator looked on the portal.
        """
        if filed_as is not None:
            _require(filed_as, "a filed entry needs the portal's reference")

        def resolve(conn: Connection, row: Row[Any], at: datetime) -> None:
            if row.state == "needs_human" and row.human_reason == PARKED:
                raise IllegalTransition(key, row.state, "confirmed" if filed_as else "pending", "it was parked "
                                        f"before its submit click, so nothing was sent: ippbot retry {key}")
            target: State = "confirmed" if filed_as else "pending"
            _expect_state(row, target, {"unknown", "needs_human"})
            if filed_as:
                _move(conn, row, "confirmed", at, f"resolved by the operator: on the portal as {filed_as}",
                      portal_ref=filed_as, error=None, human_reason=None)
            else:
                why = "resolved by the operator: not on the portal; back in line, attempts counted afresh"
                _back_in_line(conn, row, at, why)

        return self._operate(key, resolve, now)

    def cancel(self, key: str, reason: str = "cancelled by the operator", *, now: datetime | None = None) -> Record:
        """pending, waiting, blocked, failed, dead or needs_human (parked) -> cancelled: never filed."""
        _require(reason, "cancelling needs a reason")

        def cancel(conn: Connection, row: Row[Any], at: datetime) -> None:
            why = NOT_CANCELLED.get(row.state)
            if row.state == "needs_human" and row.human_reason != PARKED:
                why = "it may be on the portal: " + RESOLVE_INSTEAD.format(key=key)
            if why:
                raise IllegalTransition(key, row.state, "cancelled", why)
            _move(conn, row, "cancelled", at, reason, error=reason, human_reason=None, claimed_by=None)
            _settle_held(conn, at)  # the complaints of a cancelled IPR are blocked at once

        return self._operate(key, cancel, now)

    def recheck(self, now: datetime | None = None) -> list[Record]:
        """Move every complaint held for its IPR (waiting, blocked) as the IPR now says; returns those moved."""
        with self._engine.begin() as conn:
            return [_record(_get(conn, key)) for key in _settle_held(conn, self._now(now))]

    def _operate(self, key: str, move: Move, now: datetime | None) -> Record:
        """Run `move` on the entry's current row in one transaction; the entry as it is then."""
        at = self._now(now)
        with self._engine.begin() as conn:
            move(conn, _get(conn, key), at)
            return _record(_get(conn, key))


def _expect_state(row: Row[Any], target: State, allowed: set[State], version: int | None = None) -> None:
    """Refuse the move unless the entry is in one of `allowed` (and at `version`, when given)."""
    if version is not None and row.version != version:
        raise StaleEntry(row.key, f"it is at version {row.version} ({row.state}), not {version}")
    if row.state not in allowed:
        raise IllegalTransition(row.key, row.state, target, f"this call moves only from {', '.join(sorted(allowed))}")


def _back_in_line(conn: Connection, row: Row[Any], at: datetime, why: str) -> None:
    """Pending again, due now, as if new: no attempts, no error, no claimer, no case for a person."""
    _move(conn, row, "pending", at, why, attempts=0, error=None, human_reason=None, claimed_by=None,
          next_attempt_at=at)

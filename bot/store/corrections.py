"""Corrections: a rejected IPR corrected by the operator's batch (`corrects: KEY`) takes the entry's place.

`CorrectionCalls` is mixed into `bot.store.ledger.Ledger`. `enqueue` is what `ippbot enqueue`
calls: in ONE transaction it applies every correction of the batch and adds the new entries
(`Ledger.add`'s rule: a key already known is skipped). A correction keeps the entry's key and
history and takes the new fields and documents, even a new registration number:

* a `confirmed` IPR the portal's review rejected goes back to `pending` with its portal
  reference kept: the run files the correction through that record's edit form
  (`Ipr.edit_reference`, set by `payload_to_file`), not as a new IPR;
* a `failed` or `dead` one (the portal refused it before it was filed, or its attempts ran
  out) goes back to `pending` and is filed as new, unless the portal already holds it;
* a `pending` or `waiting` one not filed yet just takes the new fields.

Refused, with what to do instead (`InputError`, exit 2, nothing added): a key the ledger does not
hold or that is not an IPR, an entry in flight (claimed, submitting, unknown, or in doubt), one
on the portal that its review did not reject, and a cancelled one. Complaints that named the
IPR by its old registration number follow it to its key, so the new number does not lose them;
those blocked on it go on by themselves once the correction is approved (`_settle_held`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Connection, Row, update

from bot.errors import InputError
from bot.models import Entry, Ipr
from bot.store.moves import _audit, _insert_new, _move
from bot.store.queries import _find
from bot.store.schema import entry_table

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["Corrected", "CorrectionCalls", "Enqueued"]

REJECTED = "rejected"
FILE_ANEW = ("failed", "dead")  # corrected, these are filed as new IPRs
NOT_FILED_YET = ("pending", "waiting")  # corrected, these only take the new fields
NOT_CORRECTED = {  # why an entry in this state cannot take a correction, and what to do instead
    "claimed": "a run is working it: enqueue the correction once the run is over",
    "submitting": "a run is submitting it: enqueue the correction once the run is over",
    "unknown": "it may be on the portal: let the next run look it up, or ippbot resolve it first",
    "needs_human": "a person must act on it first (ippbot history {key} says what)",
    "cancelled": "it was cancelled: enqueue the corrected IPR without corrects:",
}


@dataclass(frozen=True)
class Corrected:
    """One correction applied: the entry, where it was, and what the run does with it now."""

    key: str
    source: str
    then: str  # what happens next, for the operator


class Enqueued(NamedTuple):
    """`CorrectionCalls.enqueue`'s answer: entries added, skipped (already in the ledger), corrections applied."""

    added: int
    skipped: int
    corrected: list[Corrected]


class CorrectionCalls:
    """The corrections of `Ledger`, and the enqueue that applies them with the new entries."""

    if TYPE_CHECKING:
        _engine: Engine

        def _now(self, now: datetime | None) -> datetime: ...

    def enqueue(self, entries: Iterable[Entry], *, account: str | None = None,
                now: datetime | None = None) -> Enqueued:
        """Apply the batch's corrections and add its new entries, in ONE transaction: all or nothing."""
        at = self._now(now)
        entries = list(entries)
        corrections = [e for e in entries if isinstance(e.payload, Ipr) and e.payload.corrects]
        with self._engine.begin() as conn:
            done = [_correct(conn, entry, at) for entry in corrections]
            added = _insert_new(conn, [e for e in entries if e not in corrections], account, at)
        return Enqueued(added, len(entries) - len(corrections) - added, done)


def _correct(conn: Connection, entry: Entry, at: datetime) -> Corrected:
    """Give the entry `corrects` names the new fields, or refuse (`InputError`) saying why."""
    ipr = entry.payload
    assert isinstance(ipr, Ipr) and ipr.corrects
    row = _find(conn, ipr.corrects)
    _refuse_unless_correctable(entry, row)
    assert row is not None
    old = Ipr.model_validate(row.payload)
    values: dict[str, Any] = {
        "payload": ipr.model_dump(mode="json"), "ipr_number": ipr.registration_number, "source": entry.source,
        "attempts": 0, "error": None, "next_attempt_at": at,
    }
    detail = f"corrected from {entry.source}"
    if row.state == "confirmed":
        then = f"the next run files the correction through the portal's edit form of {row.portal_ref}"
        _move(conn, row, "pending", at, f"{detail}: {then}", portal_status=None, **values)
    elif row.state in FILE_ANEW:
        then = "the next run files it (unless the portal holds it already)"
        _move(conn, row, "pending", at, f"{detail}: {then}", portal_ref=None, portal_status=None, **values)
    else:
        then = "its new fields are filed when its turn comes"
        conn.execute(update(entry_table).where(entry_table.c.key == row.key, entry_table.c.version == row.version)
                     .values(version=row.version + 1, updated_at=at, **values))
        _audit(conn, row.key, row.state, row.state, at, f"{detail}: {then}")
    _follow(conn, row.key, old.registration_number, ipr.registration_number)
    return Corrected(key=row.key, source=entry.source, then=then)


def _refuse_unless_correctable(entry: Entry, row: Row[Any] | None) -> None:
    """`InputError` naming the batch entry when `row` cannot take a correction."""
    key = entry.key
    if row is None or row.kind != "ipr":
        what = "no entry" if row is None else f"a {row.kind}, not an IPR,"
        why = f"corrects: {key} names {what} in the ledger (ippbot status lists the IPRs' keys)"
    elif row.state in NOT_CORRECTED:
        why = f"corrects: {key} is {row.state}: " + NOT_CORRECTED[row.state].format(key=key)
    elif row.state == "confirmed" and row.portal_status != REJECTED:
        review = row.portal_status or "not reviewed yet"
        why = (f"corrects: {key} is on the portal as {row.portal_ref} and its review did not reject it "
               f"({review}): there is nothing to correct; ippbot sync reads the latest review")
    elif row.state in ("confirmed", *FILE_ANEW, *NOT_FILED_YET):
        return
    else:
        why = f"corrects: {key} is {row.state}, which takes no correction"
    raise InputError(f"bad batch input: {entry.source}: {why}")


def _follow(conn: Connection, key: str, old_number: str, new_number: str) -> None:
    """Complaints that named the IPR by its old number rest on its key from now on."""
    if old_number and old_number != new_number:
        named = (entry_table.c.kind == "complaint", entry_table.c.depends_on == old_number)
        conn.execute(update(entry_table).where(*named).values(depends_on=key))

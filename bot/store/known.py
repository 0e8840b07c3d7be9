"""Known IPRs: what the ledger knows of the IPRs complaints rest on, from its own entries and the portal's records.

`KnownCalls` is mixed into `bot.store.ledger.Ledger`. `ippbot sync` keeps the account's IPRs
as the portal's IPR management lists them (`keep_portal_iprs`), ippbot's own and those filed
by hand before ippbot; they are known records, never entries to file. `known_iprs` answers
`ippbot enqueue`'s question for a complaint whose IPR no batch of the call brings: which IPRs
go by that number (or entry key), with the type, place and expiry the batch rules need; `hold`
says, read only, whether a complaint would be held for its IPR now (the dry run asks).
`note_check` keeps each record the portal's complaint check step made, and `left_checks` those
left unfiled (a dry run's, a stopped run's), which `ippbot status` counts for the operator.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, delete, insert, or_, select

from bot.models import REASONS_BY_TYPE, Ipr, IprStatus, KnownIpr
from bot.store.queries import Hold, _hold
from bot.store.records import Record
from bot.store.schema import check_table, entry_table, portal_ipr_table

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["KnownCalls"]

CHUNK = 500  # numbers per IN (...): SQLite's limit on bound parameters is far above it


class KnownCalls:
    """The known-IPR calls of `Ledger`."""

    if TYPE_CHECKING:
        _engine: Engine

        def _now(self, now: datetime | None) -> datetime: ...

    def keep_portal_iprs(self, account: str, iprs: Iterable[IprStatus], *, now: datetime | None = None) -> int:
        """Replace what the ledger knows of the account's IPRs on the portal by this full read of IPR
        management (drafts aside: they carry no complaint). Returns how many it keeps."""
        at = self._now(now)
        rows = [_portal_row(account, ipr, at) for ipr in iprs if ipr.status != "draft"]
        with self._engine.begin() as conn:
            conn.execute(delete(portal_ipr_table).where(portal_ipr_table.c.account == account))
            if rows:
                conn.execute(insert(portal_ipr_table), rows)
        return len(rows)

    def known_iprs(self, handles: set[str], *, account: str, today: date) -> dict[str, list[KnownIpr]]:
        """Every IPR the ledger knows under each of `handles` (registration numbers or entry keys): its
        IPR entries first, then the account's records on the portal as the last sync read them."""
        found: dict[str, list[KnownIpr]] = {}
        with self._engine.connect() as conn:
            for chunk in _chunks(sorted(handles)):
                for handle, known in _from_entries(conn, chunk, today):
                    found.setdefault(handle, []).append(known)
                for handle, known in _from_portal(conn, chunk, account):
                    found.setdefault(handle, []).append(known)
        return found

    def hold(self, record: Record) -> Hold | None:
        """Why a run would hold this complaint for its IPR now (waiting or blocked, and why), or None when it
        may go: the rule `claim_next` applies, read only (a dry run asks; nothing moves)."""
        if record.kind != "complaint":
            return None
        with self._engine.connect() as conn:
            return _hold(conn, record.depends_on, record.account)

    def note_check(self, key: str, reference: str, *, now: datetime | None = None) -> None:
        """The portal's check step made record `reference` for entry `key` (filed only by the final submit)."""
        at = self._now(now)
        with self._engine.begin() as conn:
            known = conn.execute(select(check_table.c.reference).where(check_table.c.reference == reference)).first()
            if known is None:
                conn.execute(insert(check_table).values(reference=reference, key=key, seen_at=at))

    def left_checks(self) -> list[tuple[str, str]]:
        """(entry key, reference) of every check record left on the portal unfiled: not its entry's own
        filing. The portal keeps them as "Not submitted"; ippbot's look-up never takes one for a filing."""
        columns = check_table.c
        query = select(columns.key, columns.reference).join(entry_table, entry_table.c.key == columns.key).where(
            or_(entry_table.c.portal_ref.is_(None), entry_table.c.portal_ref != columns.reference),
            entry_table.c.state.not_in(("claimed", "submitting", "unknown")),  # a run may still file that record
        ).order_by(columns.seen_at, columns.reference)
        with self._engine.connect() as conn:
            return [(row.key, row.reference) for row in conn.execute(query)]


def _portal_row(account: str, ipr: IprStatus, at: datetime) -> dict[str, Any]:
    return {
        "account": account, "reference": ipr.reference, "registration_number": ipr.registration_number,
        "name": ipr.name, "type": ipr.type if ipr.type in REASONS_BY_TYPE else None,
        "registration_place": ipr.registration_place or None, "status": ipr.status, "seen_at": at,
    }


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _from_entries(conn: Connection, handles: list[str], today: date) -> Iterator[tuple[str, KnownIpr]]:
    columns = entry_table.c
    query = select(columns.key, columns.ipr_number, columns.payload, columns.portal_status, columns.source).where(
        columns.kind == "ipr", or_(columns.key.in_(handles), columns.ipr_number.in_(handles)),
    ).order_by(columns.seq)
    for row in conn.execute(query):
        handle = row.key if row.key in handles else row.ipr_number
        yield handle, _entry_known(row, today)


def _entry_known(row: Row[Any, Any, Any, Any, Any], today: date) -> KnownIpr:
    ipr = Ipr.model_validate(row.payload)
    lapsed = ipr.expiration_date is not None and ipr.expiration_date < today
    where = f"the ledger's entry {row.key}, from {row.source}"
    return KnownIpr(number=ipr.registration_number or row.key, where=where, type=ipr.type,
                    registration_place=ipr.registration_place, expired=lapsed or row.portal_status == "expired")


def _from_portal(conn: Connection, handles: list[str], account: str) -> Iterator[tuple[str, KnownIpr]]:
    columns = portal_ipr_table.c
    query = select(portal_ipr_table).where(columns.account == account, columns.registration_number.in_(handles))
    for row in conn.execute(query.order_by(columns.reference)):
        where = f"the portal's {row.reference}, {row.status}, as ippbot sync last read it"
        yield row.registration_number, KnownIpr(number=row.registration_number, where=where, type=row.type,
                                                registration_place=row.registration_place,
                                                expired=row.status == "expired")

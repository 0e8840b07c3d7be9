"""Copy: one ledger's rows into another database's ledger (`ippbot ledger copy --to URL`), all or nothing.

What is copied is every table of `bot.store.schema.metadata`, parents before children
(`metadata.sorted_tables`), each read and written through its own `Table` (so times and JSON go
through the same types both ways): a table a later revision adds comes along with no change here.
Not copied (`NOT_COPIED`), as live state of running processes rather than the ledger's record:

* ``leases``: which worker works an account right now; on the new database the first worker to
  start takes a fresh lease (copying one would lock that account out until it expired);
* ``workers``: a fleet's heartbeats (a table of a later revision), true only of the processes
  that wrote them;
* any ``procrastinate_*`` table: the queue's jobs are only triggers; on a PostgreSQL target the copy
  queues one for each account with unfinished entries, in its own transaction (`_queue_unfinished`).

`alembic_version` is not in `metadata`: the target's own migration writes it. Kept, on purpose:
``account_waits`` (the portal's Retry-After holds for the account whatever database records it).

How, in order (`copy_ledger`):

1. Refused (`CopyRefused`, nothing written) when the target is the source itself, while the source
   holds a live lease (a worker or run is working; stop it first), or when the target's ledger
   tables hold any row: merging two ledgers would mix two histories, and emptying one is for the
   operator to do by hand (``dropdb``/``createdb``), not for a flag of a copy (so no ``--force``).
2. The target is brought to `bot.store.migrate.HEAD` (its own transaction).
3. One transaction on each side: the source's (``BEGIN IMMEDIATE`` on SQLite, the ledger's lock on
   PostgreSQL, so nothing writes to it while it is read) and the target's, which checks step 1
   again, then copies each table in batches of `BATCH` rows (streamed from the source, one
   multi-row insert each), so a ledger of any size never sits in memory. On PostgreSQL the
   sequence behind each integer primary key (``transitions.id``, ``portal_actions.id``) is then set
   past the largest copied value, so new rows do not collide. The target commits once: any error
   on the way rolls every table back (`CopyFailed`).

The source is left as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, Integer, Table, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.errors import CopyFailed, CopyRefused, first_line
from bot.store.migrate import Upgrade, upgrade
from bot.store.schema import entry_table, lease_table, make_engine, metadata

__all__ = [
    "BATCH",
    "NOT_COPIED",
    "QUEUE_PREFIX",
    "Copied",
    "copied_tables",
    "copy_ledger",
    "skipped_tables",
]

BATCH = 1000
NOT_COPIED = {
    "leases": "a running worker's live state",
    "workers": "a fleet's heartbeats",
}
QUEUE_PREFIX = "procrastinate_"  # the queue's own tables: jobs are triggers the sweeper makes again


@dataclass(frozen=True)
class Copied:
    """What `copy_ledger` did: the target's migration (None: it was at head), and rows per copied table."""

    migrated: Upgrade | None
    counts: dict[str, int]


def copied_tables() -> list[Table]:
    """The ledger's tables a copy carries, parents first (every table of `metadata` but `NOT_COPIED`'s)."""
    return [t for t in metadata.sorted_tables if t.name not in NOT_COPIED and not t.name.startswith(QUEUE_PREFIX)]


def skipped_tables() -> list[str]:
    """The names of the ledger's tables a copy leaves behind (`NOT_COPIED`'s that the schema has)."""
    copied = set(copied_tables())
    return [t.name for t in metadata.sorted_tables if t not in copied]


def copy_ledger(source: Engine, target_url: str, *, now: datetime, batch: int = BATCH) -> Copied:
    """Copy the ledger at `source` into the (empty) ledger at `target_url`, all or nothing (module docstring)."""
    if _same(source, target_url):
        raise CopyRefused("--to names the ledger being copied: name another database")
    target = make_engine(target_url)
    try:
        with source.connect() as conn:
            _refuse_live_leases(conn, now)
        with target.connect() as conn:
            _refuse_rows(conn)
        migrated = upgrade(target)
        with source.begin() as reading, target.begin() as writing:
            _refuse_live_leases(reading, now)
            _refuse_rows(writing)
            counts = {table.name: _copy_table(reading, writing, table, batch) for table in copied_tables()}
            _reset_sequences(writing)
            _queue_unfinished(writing)
    finally:
        target.dispose()
    return Copied(migrated, counts)


def _same(source: Engine, target_url: str) -> bool:
    """Whether `target_url` names the source's database (a SQLite file by its resolved path)."""
    target = make_url(target_url)
    if source.url.get_backend_name() == target.get_backend_name() == "sqlite":
        return Path(source.url.database or "").resolve() == Path(target.database or "").resolve()
    return source.url.set(password=None) == target.set(password=None)


def _refuse_live_leases(conn: Connection, now: datetime) -> None:
    """`CopyRefused` naming the first account a worker holds (its lease has not expired)."""
    live = conn.execute(select(lease_table).where(lease_table.c.expires_at > now)
                        .order_by(lease_table.c.account)).first()
    if live is not None:
        raise CopyRefused(f"{live.holder} is working account {live.account} (its lease runs to "
                          f"{live.expires_at:%Y-%m-%d %H:%M:%S} UTC): stop every `ippbot worker` and `ippbot run` "
                          "on this ledger first (systemctl stop, or Ctrl-C), then copy again")


def _refuse_rows(conn: Connection) -> None:
    """`CopyRefused` when any ledger table the target already has holds a row (read before migrating it)."""
    present = set(inspect(conn).get_table_names())
    held = {t.name: n for t in copied_tables() if t.name in present
            and (n := conn.execute(select(func.count()).select_from(t)).scalar_one())}
    if held:
        total = sum(held.values())
        raise CopyRefused(f"the target already holds a ledger ({total} row{'s' * (total != 1)} in {', '.join(held)}); "
                          "nothing was written: name an empty database (createdb NAME), or drop and create this "
                          "one if its rows are not wanted")


def _copy_table(reading: Connection, writing: Connection, table: Table, batch: int) -> int:
    """Stream `table` from `reading` into `writing`, `batch` rows an insert; the rows copied."""
    order = list(table.primary_key.columns) or list(table.columns)
    rows = reading.execution_options(yield_per=batch).execute(select(table).order_by(*order))
    copied = 0
    for part in rows.partitions():
        with _failing_as(table.name):
            writing.execute(table.insert(), [row._asdict() for row in part])
        copied += len(part)
    return copied


@contextmanager
def _failing_as(table: str) -> Iterator[None]:
    """A database error while writing `table` as `CopyFailed` (the target's transaction then rolls back)."""
    try:
        yield
    except DBAPIError as exc:
        raise CopyFailed(f"copying table {table} failed, so nothing was copied (the target is left empty): "
                         f"{first_line(exc.orig or exc)}") from exc


def _reset_sequences(conn: Connection) -> None:
    """On PostgreSQL, each sequence behind an integer primary key set to the column's largest value + 1."""
    if conn.dialect.name != "postgresql":
        return
    for table in copied_tables():
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue
            sequence = conn.execute(select(func.pg_get_serial_sequence(_quoted(conn, table.name), column.name)))
            if (name := sequence.scalar_one()) is not None:
                largest = select(func.coalesce(func.max(column), 0) + 1).scalar_subquery()
                conn.execute(select(func.setval(name, largest, False)))


def _queue_unfinished(conn: Connection) -> None:
    """On PostgreSQL (the fleet's queue lives there), a job for each account with unfinished entries, in the copy's
    transaction: the first worker started works them at once, not at the sweeper's next round."""
    if conn.dialect.name != "postgresql":
        return
    from bot.store.fleet import defer_work
    from bot.store.queue import UNFINISHED

    accounts = conn.execute(select(entry_table.c.account).distinct().where(entry_table.c.state.in_(UNFINISHED))
                            .where(entry_table.c.account.is_not(None)).order_by(entry_table.c.account)).scalars()
    defer_work(conn, list(accounts))


def _quoted(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)

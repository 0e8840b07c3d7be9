"""Ledger schema: the ledger's tables as the queries see them, and its engine, in SQLAlchemy Core.

Portable SQL only (the same tables run on PostgreSQL, `IPPBOT_LEDGER_URL`); times are stored as
naive UTC and come back aware. On SQLite every connection gets WAL, ``synchronous=FULL``, a busy
timeout and foreign keys on, and every transaction starts with ``BEGIN IMMEDIATE`` so that the
ledger's read-then-update never meets another writer half-way; on PostgreSQL every transaction
takes one advisory lock first, to the same effect across hosts. `bot.store.ledger` owns the rules.

The database gets its shape from the numbered migrations in `bot/store/migrations/`
(`bot.store.migrate`), not from `metadata`: these tables must match the newest revision
(a test compares them). `state` has no CHECK: `bot.store.states.LEGAL` decides what a state
may be, so a new state needs no change to a ledger already written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.types import TypeDecorator

from bot.errors import EnvironmentProblem, first_line

BUSY_TIMEOUT_MS = 30_000
T = TypeVar("T")
LEDGER_LOCK = 0x1BB07_1ED6E2  # PostgreSQL advisory lock id of "the ledger" (one ledger per database)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()
entry_table = Table(
    "entries",
    metadata,
    Column("key", String, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("account", String),  # set when claimed (or at add, to pin an entry to one account)
    Column("payload", JSON, nullable=False),
    Column("state", String(16), nullable=False),  # one of bot.store.states.STATES (no CHECK: see above)
    Column("attempts", Integer, nullable=False),
    Column("version", Integer, nullable=False),  # +1 on every change: the stale-writer guard
    Column("portal_ref", String),
    Column("portal_status", String),  # the portal's review outcome, read by `ippbot sync`
    Column("error", Text),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("source", Text, nullable=False),
    Column("depends_on", String),  # a complaint's IPR: its key or its registration number
    Column("ipr_number", String),  # an IPR's registration number, for `depends_on`
    Column("claimed_by", String),  # the lease holder that claimed it
    Column("seq", Integer, nullable=False),  # order of adding: oldest first
    Column("human_reason", String(16)),  # a needs_human entry's case: "parked" or "cannot_tell" (revision 2)
    Index("ix_entries_due", "state", "next_attempt_at", "seq"),
    Index("ix_entries_ipr_number", "ipr_number"),
)
transition_table = Table(
    "transitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String, ForeignKey("entries.key"), nullable=False, index=True),
    Column("from_state", String(16)),  # "from"/"to" are SQL keywords; None when added
    Column("to_state", String(16), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("detail", Text, nullable=False),
)
# Further records the portal holds for one entry (filed twice, by hand or by an older ippbot): the
# entry keeps its own `portal_ref`; these are for the operator to withdraw (`ippbot sync` finds them).
copy_table = Table(
    "portal_copies",
    metadata,
    Column("key", String, ForeignKey("entries.key"), primary_key=True),
    Column("portal_ref", String, primary_key=True),
    Column("seen_at", UtcDateTime, nullable=False),
)
# The account's IPRs as the portal lists them (revision 3), ippbot's and those filed by hand: known
# records that `ippbot enqueue` checks complaints against, never entries to file (`ippbot sync` keeps them).
portal_ipr_table = Table(
    "portal_iprs",
    metadata,
    Column("account", String, primary_key=True),
    Column("reference", String, primary_key=True),
    Column("registration_number", String, nullable=False),
    Column("name", String, nullable=False),
    Column("type", String(16)),  # None where the portal's list does not show it
    Column("registration_place", String(8)),
    Column("status", String(16), nullable=False),  # the portal's review status, in our names
    Column("seen_at", UtcDateTime, nullable=False),
    Index("ix_portal_iprs_number", "registration_number"),
)
# Every listing of the account's complaints as the portal shows it (revision 4), in the ledger's names
# (`bot.store.listings.LISTING_STATES`), with the portal's date of its last change (`ippbot sync`).
listing_table = Table(
    "portal_listings",
    metadata,
    Column("account", String, nullable=False),
    Column("complaint", String, primary_key=True),  # the complaint's portal reference
    Column("url", String, primary_key=True),
    Column("complaint_status", String(16), nullable=False),  # the complaint's status, in our names
    Column("state", String(16), nullable=False),
    Column("changed_on", String(10)),  # the portal's date of the listing's last change (ISO)
    Column("seen_at", UtcDateTime, nullable=False),  # when a sync first saw it in this state
    Column("deadline", String(10)),  # a counter-notice's: the complainant answers by then (ISO date)
    Column("chance", Integer),  # a counter-notice's: which of the seller's chances (1-3)
    Column("statement", Text),  # a counter-notice's: the seller's statement
    Column("answer", String(8)),  # the complainant's answer the portal shows: accept or reject
    Index("ix_portal_listings_url", "url"),
)
# The account's Good Faith figures as the portal shows them, one reading a day (revision 4).
standing_table = Table(
    "standings",
    metadata,
    Column("account", String, primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("takedown_rate", Float, nullable=False),  # per cent
    Column("counter_notice_success_rate", Float, nullable=False),  # per cent
    Column("qualifies", Boolean, nullable=False),
    Column("listings", Integer),  # listings decided in the window, where the page shows it
    Column("read_at", UtcDateTime, nullable=False),
)
# Each answer and withdrawal ippbot files (revision 4): `submitting` is committed before its final
# click, and settled from the portal's records when the answer is lost (`bot.store.actions`).
action_table = Table(
    "portal_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String, nullable=False),
    Column("kind", String(8), nullable=False),  # "answer" or "withdraw"
    Column("complaint", String, nullable=False),
    Column("url", String, nullable=False),  # "" for a whole complaint's withdrawal
    Column("chance", Integer, nullable=False),  # the counter-notice's chance; 0 for a withdrawal
    Column("decision", String(8), nullable=False),  # accept, reject or withdraw
    Column("note", Text, nullable=False),
    Column("evidence", JSON, nullable=False),  # file paths
    Column("state", String(16), nullable=False),  # submitting, done, unknown, needs_human
    Column("detail", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("kind", "complaint", "url", "chance", name="uq_portal_actions_target"),
)
# The records the portal's complaint check step made for an entry (revision 5): the final submit files
# that very record, so one that is not the entry's `portal_ref` was left unfiled (a dry run, a stopped run).
check_table = Table(
    "portal_checks",
    metadata,
    Column("reference", String, primary_key=True),
    Column("key", String, ForeignKey("entries.key"), nullable=False, index=True),
    Column("seen_at", UtcDateTime, nullable=False),
)
# How long the portal asked an account to wait (revision 6): a 429's or maintenance's Retry-After holds
# for the whole account, across runs.
wait_table = Table(
    "account_waits",
    metadata,
    Column("account", String, primary_key=True),
    Column("not_before", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False),
)
# One lease per account; `token` grows each time it passes to another holder (revision 7: fencing).
lease_table = Table(
    "leases",
    metadata,
    Column("account", String, primary_key=True),
    Column("holder", String, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("token", Integer, nullable=False, server_default="1"),
)
# Each `ippbot worker` process and its last heartbeat (revision 7): `ippbot status` shows the fleet.
worker_table = Table(
    "workers",
    metadata,
    Column("name", String, primary_key=True),  # "HOST pid PID"
    Column("host", String, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("concurrency", Integer, nullable=False),
    Column("queue", String, nullable=False),  # where its jobs come from, as `ippbot worker` said it
    Column("started_at", UtcDateTime, nullable=False),
    Column("heartbeat_at", UtcDateTime, nullable=False),
)
# When the worker's night and morning last finished (revision 7), for every worker of the ledger.
mark_table = Table(
    "loop_marks",
    metadata,
    Column("name", String, primary_key=True),  # "night" or "morning"
    Column("at", UtcDateTime, nullable=False),
)


def opened(open_it: Callable[[], T], where: str, fix: str) -> T:
    """`open_it()` (a ledger), or `EnvironmentProblem` naming where (no password) and the fix."""
    try:
        return open_it()
    except (OSError, OperationalError) as exc:
        shown = make_url(where).render_as_string(hide_password=True) if "://" in where else where
        raise EnvironmentProblem(f"cannot open the ledger at {shown}: {first_line(exc)}", fix=fix) from exc



# The engine ------------------------------------------------------------------------------


def make_engine(url: str) -> Engine:
    """An engine for `url`: on SQLite with the ledger's pragmas and immediate transactions; on
    PostgreSQL with the ledger's lock taken at every BEGIN (`_postgres_begin_locked`)."""
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "begin", _postgres_begin_locked)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Every SQLite connection: WAL, synchronous FULL, a busy timeout, foreign keys on."""
    dbapi_connection.isolation_level = None  # transactions are begun by `_sqlite_begin...`
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=FULL",
        f"busy_timeout={BUSY_TIMEOUT_MS}",
        "foreign_keys=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin_immediate(conn: Connection) -> None:
    """Take the write lock at BEGIN, so a read-then-update cannot be overtaken."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _postgres_begin_locked(conn: Connection) -> None:
    """PostgreSQL's BEGIN IMMEDIATE: the ledger's transaction-level advisory lock, held to COMMIT or
    ROLLBACK, so that every transaction of every worker on every host is serialised as on SQLite and a
    read-then-update is never overtaken (the ledger's transactions are short: a few a second at most)."""
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LEDGER_LOCK})")

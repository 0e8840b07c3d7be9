"""Migrate: brings a ledger's schema to the newest of its numbered migrations (alembic), once, in one transaction.

The schema ships as revisions in `bot/store/migrations/versions/` (package data), each a file
``rNNNN_what.py`` with ``revision = "NNNN"``; `HEAD` names the newest (a test holds it to the
folder). `Ledger.__init__` calls `upgrade`, so every ledger opened is at `HEAD`:

* a new ledger is created by the revisions in turn;
* a ledger from before migrations (release 0.1.0, made by ``metadata.create_all``: no
  ``alembic_version`` table) is taken from there, keeping its rows, and says so once, as a
  warning ``ledger.upgraded`` ("ledger upgraded from 0.1.0 (unversioned) to 0002");
* an older revision is upgraded the same way; a ledger at `HEAD` costs one read.

On SQLite the whole upgrade is one ``BEGIN IMMEDIATE`` transaction, so two processes opening
one old ledger at once upgrade it once (the second finds it at `HEAD`). Batch mode rebuilds a
table there, which drops the old one: foreign keys are off on that connection while it runs
(SQLite ignores the pragma inside a transaction) and ``PRAGMA foreign_key_check`` must find
nothing before it commits. To change the schema: add the next revision (copy the last file,
write its upgrade in portable alembic operations, batch mode for SQLite), move `HEAD`, and
change `bot.store.schema` to match.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect

from bot.errors import LedgerError

__all__ = ["HEAD", "MIGRATIONS", "Upgrade", "upgrade"]

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "0007"
UNVERSIONED = "0.1.0 (unversioned)"  # what a ledger without alembic_version but with entries was made by


@dataclass(frozen=True)
class Upgrade:
    """What `upgrade` did: from which revision (None: none) to which, and whether the ledger was new."""

    before: str | None
    after: str
    created: bool

    @property
    def text(self) -> str:
        """One line for the operator."""
        if self.created:
            return f"ledger created at revision {self.after}"
        return f"ledger upgraded from {self.before or UNVERSIONED} to {self.after}"


def upgrade(engine: Engine) -> Upgrade | None:
    """Bring the ledger at `engine` to `HEAD`; what was done, or None when it was at `HEAD` already."""
    with engine.connect() as conn, _foreign_keys_off(conn), conn.begin():
        before = MigrationContext.configure(conn).get_current_revision()
        if before == HEAD:
            return None
        created = before is None and not inspect(conn).has_table("entries")
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, HEAD)
        _check_foreign_keys(conn)
    done = Upgrade(before, HEAD, created)
    if not created:
        where = engine.url.render_as_string(hide_password=True)
        structlog.get_logger().warning("ledger.upgraded", ledger=where, detail=done.text,
                                       from_revision=before or UNVERSIONED, to_revision=HEAD)
    return done


@contextmanager
def _foreign_keys_off(conn: Connection) -> Iterator[None]:
    """On SQLite, foreign keys off on this connection while it migrates (a no-op elsewhere)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.cursor().execute("PRAGMA foreign_keys=OFF")  # outside any transaction, or SQLite ignores it
    try:
        yield
    finally:
        raw.cursor().execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(conn: Connection) -> None:
    """Refuse (roll back) an upgrade that left a row pointing at nothing (SQLite checks; others enforce)."""
    if conn.dialect.name == "sqlite" and (broken := conn.exec_driver_sql("PRAGMA foreign_key_check").all()):
        raise LedgerError(f"the ledger's upgrade to {HEAD} would leave rows pointing at nothing: {broken[:3]}")

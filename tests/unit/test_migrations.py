"""Ledger migrations: a ledger written by release 0.1.0 opens, upgrades itself once and keeps its rows."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from postgres import fresh_database
from sqlalchemy import inspect, text
from structlog.testing import capture_logs

from bot.store import migrate
from bot.store.ledger import Ledger
from bot.store.schema import make_engine, metadata

pytestmark = pytest.mark.unit

# What `metadata.create_all` of release 0.1.0 wrote on SQLite (bot/ledger_schema.py at 61a7eb2).
RELEASE_0_1_0 = """
CREATE TABLE entries (
    "key" VARCHAR NOT NULL,
    kind VARCHAR(16) NOT NULL,
    account VARCHAR,
    payload JSON NOT NULL,
    state VARCHAR(16) NOT NULL CHECK (state IN ('pending', 'waiting', 'claimed', 'submitting', 'unknown',
                                                'confirmed', 'failed', 'needs_human', 'dead')),
    attempts INTEGER NOT NULL,
    version INTEGER NOT NULL,
    portal_ref VARCHAR,
    portal_status VARCHAR,
    error TEXT,
    next_attempt_at DATETIME NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    source TEXT NOT NULL,
    depends_on VARCHAR,
    ipr_number VARCHAR,
    claimed_by VARCHAR,
    seq INTEGER NOT NULL,
    PRIMARY KEY ("key")
);
CREATE INDEX ix_entries_ipr_number ON entries (ipr_number);
CREATE INDEX ix_entries_due ON entries (state, next_attempt_at, seq);
CREATE TABLE leases (
    account VARCHAR NOT NULL,
    holder VARCHAR NOT NULL,
    expires_at DATETIME NOT NULL,
    PRIMARY KEY (account)
);
CREATE TABLE transitions (
    id INTEGER NOT NULL,
    "key" VARCHAR NOT NULL,
    from_state VARCHAR(16),
    to_state VARCHAR(16) NOT NULL,
    at DATETIME NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY("key") REFERENCES entries ("key")
);
CREATE INDEX ix_transitions_key ON transitions ("key");
"""
# Added late in 0.1.0 (commit d6ae768), by the same create_all.
PORTAL_COPIES = """
CREATE TABLE portal_copies (
    "key" VARCHAR NOT NULL,
    portal_ref VARCHAR NOT NULL,
    seen_at DATETIME NOT NULL,
    PRIMARY KEY ("key", portal_ref),
    FOREIGN KEY("key") REFERENCES entries ("key")
);
"""
AT = "2026-03-01 22:00:00.000000"
IPR = {
    "type": "trademark", "name": "ACME", "registration_number": "30612345", "registration_place": "CN",
    "rights_holder": "Demo Brand Ltd", "expiration_date": "2034-05-01", "classes": [9],
    "documents": ["/docs/certificate.pdf"],
}
COMPLAINT = {"platform": "taobao", "ipr": "30612345", "reason": "trademark_misuse",
             "listings": ["https://item.taobao.com/item.htm?id=1"]}


def old_ledger(path: Path, *, with_copies: bool) -> Path:
    """A ledger file as release 0.1.0 left it: a confirmed IPR, a waiting complaint, one that needs a human."""
    rows = [("ipr-1", "ipr", IPR, "confirmed", "IPR-1", None, None, "30612345", 1),
            ("c-1", "complaint", COMPLAINT, "waiting", None, "waiting for IPR ipr-1", "ipr-1", None, 2),
            ("c-2", "complaint", COMPLAINT, "needs_human", None, "reconcile could not tell", "ipr-1", None, 3)]
    with sqlite3.connect(path) as raw:
        raw.executescript(RELEASE_0_1_0 + (PORTAL_COPIES if with_copies else ""))
        for key, kind, payload, state, ref, error, depends_on, number, seq in rows:
            raw.execute(
                "INSERT INTO entries VALUES (?, ?, NULL, ?, ?, 1, 2, ?, NULL, ?, ?, ?, ?, 'old.yaml', ?, ?, NULL, ?)",
                (key, kind, json.dumps(payload), state, ref, error, AT, AT, AT, depends_on, number, seq))
            raw.execute("INSERT INTO transitions (key, from_state, to_state, at, detail)"
                        " VALUES (?, NULL, 'pending', ?, ?)", (key, AT, "added from old.yaml"))
        raw.execute("INSERT INTO leases VALUES ('brand@example.com', 'run 1', ?)", (AT,))
    return path


def revision_of(path: Path) -> list[tuple[str]]:
    with sqlite3.connect(path) as raw:
        return raw.execute("SELECT version_num FROM alembic_version").fetchall()


@pytest.mark.parametrize("with_copies", [False, True], ids=["before portal_copies", "with portal_copies"])
def test_a_ledger_of_release_0_1_0_opens_and_upgrades_keeping_its_rows(tmp_path: Path, with_copies: bool) -> None:
    """Its entries, history and leases survive; a new state can be written; it is at head and says so once."""
    path = old_ledger(tmp_path / "ledger.sqlite3", with_copies=with_copies)
    with capture_logs() as logs, Ledger(f"sqlite:///{path}") as ledger:
        assert [(r.key, r.state) for r in ledger.rows()] == [
            ("ipr-1", "confirmed"), ("c-1", "waiting"), ("c-2", "needs_human")]
        assert ledger.get("c-2").human_reason == "cannot_tell"
        assert ledger.history("c-1")[0].detail == "added from old.yaml"
        assert ledger.lease_holder("brand@example.com", datetime(2026, 3, 1, 21, 0, tzinfo=UTC)) == "run 1"
        assert ledger.cancel("c-1", "not wanted").state == "cancelled"
        assert ledger.note_copies("ipr-1", ["IPR-2"]) == ["IPR-2"]
    upgraded = [e for e in logs if e["event"] == "ledger.upgraded"]
    assert [(e["log_level"], e["detail"]) for e in upgraded] == [
        ("warning", f"ledger upgraded from 0.1.0 (unversioned) to {migrate.HEAD}")]
    assert revision_of(path) == [(migrate.HEAD,)]
    with capture_logs() as again, Ledger(f"sqlite:///{path}") as ledger:
        assert ledger.get("c-1").state == "cancelled"
    assert again == []


def test_a_new_ledger_is_made_by_the_migrations_without_a_warning(tmp_path: Path) -> None:
    """A ledger file that did not exist is created at head, quietly, with no CHECK on state."""
    path = tmp_path / "ledger.sqlite3"
    with capture_logs() as logs, Ledger(f"sqlite:///{path}"):
        pass
    assert logs == []
    assert revision_of(path) == [(migrate.HEAD,)]
    with sqlite3.connect(path) as raw:
        (ddl,) = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'entries'").fetchone()
    assert "CHECK" not in ddl


def test_a_ledger_at_an_older_revision_is_upgraded(tmp_path: Path) -> None:
    """A ledger left at revision 0001 (the release's tables, versioned) goes on to head with its rows."""
    path = tmp_path / "ledger.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    engine.dispose()
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO entries VALUES ('c-9', 'complaint', NULL, ?, 'needs_human', 0, 1, NULL, NULL, 'x',"
                    " ?, ?, ?, 'b.yaml', NULL, NULL, NULL, 1)", (json.dumps(COMPLAINT), AT, AT, AT))
    with capture_logs() as logs, Ledger(f"sqlite:///{path}") as ledger:
        assert ledger.get("c-9").human_reason == "cannot_tell"
    assert [e["detail"] for e in logs] == [f"ledger upgraded from 0001 to {migrate.HEAD}"]


def test_head_is_the_newest_migration_and_the_schema_matches_it(tmp_path: Path) -> None:
    """HEAD names the folder's newest revision, and the queries' tables are the migrated ones."""
    script = ScriptDirectory(str(migrate.MIGRATIONS))
    assert script.get_current_head() == migrate.HEAD
    with Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as ledger:
        found = inspect(ledger.engine)
        for table in metadata.sorted_tables:
            assert [c["name"] for c in found.get_columns(table.name)] == [c.name for c in table.columns]
            assert {i["name"] for i in found.get_indexes(table.name)} == {i.name for i in table.indexes}
        assert found.get_check_constraints("entries") == []


@pytest.mark.postgres
def test_on_postgres_a_ledger_at_revision_0001_upgrades_to_head_and_matches_the_schema() -> None:
    """The fleet's ledger: revision 0001 made on PostgreSQL (with its CHECK on state) goes to head, its CHECK
    dropped by its reflected name, its rows kept, and the tables are the queries' own."""
    with fresh_database() as url:
        engine = make_engine(url)
        config = Config()
        config.set_main_option("script_location", str(migrate.MIGRATIONS))
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
            assert inspect(conn).get_check_constraints("entries") != []
            conn.execute(text("INSERT INTO entries VALUES ('c-9', 'complaint', NULL, :payload, 'needs_human', 0, 1,"
                              " NULL, NULL, 'x', :at, :at, :at, 'b.yaml', NULL, NULL, NULL, 1)"),
                         {"payload": json.dumps(COMPLAINT), "at": AT})
        engine.dispose()
        with capture_logs() as logs, Ledger(url) as ledger:
            assert ledger.get("c-9").human_reason == "cannot_tell"
            found = inspect(ledger.engine)
            for table in metadata.sorted_tables:
                assert [c["name"] for c in found.get_columns(table.name)] == [c.name for c in table.columns]
            assert found.get_check_constraints("entries") == []
        assert [e["detail"] for e in logs] == [f"ledger upgraded from 0001 to {migrate.HEAD}"]

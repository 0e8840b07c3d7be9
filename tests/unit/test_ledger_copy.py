"""Moving a ledger: `ippbot ledger copy --to URL` carries every ledger table's rows into an empty database, all or
nothing, and `ippbot ledger migrate` brings the configured ledger to the newest revision and says so."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from ledger_entries import IPR_KEY, complaint_entry, ipr_entry
from postgres import fresh_database
from sqlalchemy import Engine, func, select

from bot.commands import cli
from bot.errors import CopyFailed, CopyRefused
from bot.models import ComplaintStatus, IprStatus, ListingStatus, Standing
from bot.store import migrate
from bot.store.copy import copied_tables, copy_ledger
from bot.store.ledger import Ledger
from bot.store.schema import lease_table, make_engine, metadata, worker_table

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
ACCOUNT = "brand@example.com"
URL = "https://www.aliexpress.com/item/1.html"


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Ledger]:
    """A SQLite ledger in tmp_path's data dir (where the commands find it), its clock at T0."""
    (tmp_path / ".ippbot").mkdir()
    with Ledger(f"sqlite:///{tmp_path / '.ippbot' / 'ledger.sqlite3'}", clock=lambda: T0) as ledger:
        yield ledger


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database to copy into: a PostgreSQL database of its own, or a SQLite file."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'target.sqlite3'}"
        return
    with fresh_database() as url:
        yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database of the test's own."""
    with fresh_database() as url:
        yield url


def fill(ledger: Ledger) -> None:
    """Entries in several states with their history, and rows in every other table a run or a sync writes."""
    ledger.add([ipr_entry(), ipr_entry("ipr:b", "30600002"), ipr_entry("ipr:c", "30600003"), complaint_entry("c-1"),
                ipr_entry("ipr:d", "30600004")])
    ledger.claim_next(ACCOUNT)  # the trademark: confirmed
    ledger.mark_submitting(IPR_KEY)
    ledger.confirm(IPR_KEY, "IPR-1")
    ledger.claim_next(ACCOUNT)  # c-1 waits for its IPR's review; ipr:b fails
    ledger.fail("ipr:b", "registration number unknown")
    ledger.claim_next(ACCOUNT)  # ipr:c is left unknown after its click
    ledger.mark_submitting("ipr:c")
    ledger.mark_unknown("ipr:c", "connection reset after the click")
    ledger.note_copies(IPR_KEY, ["IPR-7"])
    ledger.note_check("c-1", "CP-000009")
    ledger.keep_portal_iprs(ACCOUNT, [IprStatus(reference="IPR-1", registration_number="30612345", status="approved",
                                                name="ACME", type="trademark", registration_place="CN")])
    listing = ListingStatus(url=URL, status="counter_noticed", state="counter_noticed", chance=1,
                            statement="my own design", deadline=date(2026, 3, 5))
    ledger.keep_listings(ACCOUNT, [ComplaintStatus(reference="CP-000001", ipr_reference="IPR-1",
                                                   status="awaiting_seller", listings=(listing,))])
    ledger.keep_standing(ACCOUNT, Standing(takedown_rate=81.5, counter_notice_success_rate=50.0, qualifies=True,
                                           listings=12))
    action = ledger.begin_action(ACCOUNT, "answer", "CP-000001", URL, 1, decision="reject", note="ours",
                                 evidence=[Path("/evidence/a.pdf")])
    ledger.settle_action(action.id, "done", "filed")
    ledger.hold_off(ACCOUNT, LATER + timedelta(days=1), "429, Retry-After 3599 s")
    ledger.mark("night", LATER)  # the worker's marks: every worker of the ledger reads them
    ledger.acquire_lease(ACCOUNT, "run 1 on host-a pid 7", 60)  # ran out at T0 + 60 s


def rows_of(engine: Engine) -> dict[str, list[Any]]:
    """Every copied table's rows, in primary-key order, as the ledger's own types read them."""
    with engine.connect() as conn:
        return {table.name: [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]
                for table in copied_tables()}


def row_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in metadata.sorted_tables}
    finally:
        engine.dispose()


def revision_of(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def at_revision_0001(url: str) -> None:
    """Make the ledger at `url` as revision 0001 left it (an old ledger)."""
    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    engine.dispose()


def ippbot(*argv: str) -> int:
    """Run the CLI as the console script does; return its exit code."""
    with pytest.raises(SystemExit) as ended:
        cli.main(list(argv))
    code = ended.value.code
    return code if isinstance(code, int) else 1


# The copy --------------------------------------------------------------------------------------------------


def test_a_copy_carries_every_ledger_row_and_the_copy_works_on(source: Ledger, target_url: str) -> None:
    """Every ledger table's rows arrive equal (in batches), the expired lease stays behind, and the copied
    ledger claims, moves and adds entries and actions without colliding with a copied id."""
    fill(source)
    copied = copy_ledger(source.engine, target_url, now=LATER, batch=2)
    assert copied.migrated is not None and copied.migrated.created
    expected = rows_of(source.engine)
    assert copied.counts == {name: len(rows) for name, rows in expected.items()}
    assert all(copied.counts.values()), copied.counts  # the fill reaches every copied table
    with Ledger(target_url, clock=lambda: LATER) as target:
        assert rows_of(target.engine) == expected
        assert row_counts(target_url)["leases"] == 0
        if target.engine.dialect.name == "postgresql":  # the fleet's queue: a job for the account with work left
            with target.engine.connect() as conn:
                jobs = conn.exec_driver_sql("SELECT task_name, lock FROM procrastinate_jobs").all()
            assert [tuple(job) for job in jobs] == [("ippbot.work", ACCOUNT)]
        claimed = target.claim_next(ACCOUNT)
        assert claimed is not None and claimed.key == "ipr:d"
        target.mark_submitting("ipr:d")
        assert target.confirm("ipr:d", "IPR-4").state == "confirmed"
        assert target.add([ipr_entry("ipr:e", "30600005")]) == (1, 0)
        assert [move.to_state for move in target.history("ipr:e")] == ["pending"]
        action = target.begin_action(ACCOUNT, "withdraw", "CP-000001", "", 0, decision="withdraw")
        assert action.id > max(row.id for row in source.actions())
        assert target.counts()["confirmed"] == 2
        assert {row.key: row.state for row in target.rows()} == {
            IPR_KEY: "confirmed", "ipr:b": "failed", "ipr:c": "unknown", "c-1": "waiting", "ipr:d": "confirmed",
            "ipr:e": "pending"}


@pytest.mark.postgres
def test_a_target_that_holds_a_ledger_is_refused_and_nothing_is_written(source: Ledger, postgres_url: str) -> None:
    """A target whose ledger holds an entry (here at an old revision) is neither migrated nor written to."""
    fill(source)
    at_revision_0001(postgres_url)
    with make_engine(postgres_url).begin() as conn:
        conn.exec_driver_sql("INSERT INTO entries VALUES ('c-9', 'complaint', NULL, '{}', 'pending', 0, 1, NULL, NULL,"
                             " NULL, now(), now(), now(), 'b.yaml', NULL, NULL, NULL, 1)")
    with pytest.raises(CopyRefused, match=r"already holds a ledger \(1 row in entries\); nothing was written"):
        copy_ledger(source.engine, postgres_url, now=LATER)
    assert revision_of(postgres_url) == "0001"
    engine = make_engine(postgres_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT key FROM entries").scalars().all() == ["c-9"]
        assert conn.exec_driver_sql("SELECT count(*) FROM transitions").scalar_one() == 0
    engine.dispose()


@pytest.mark.postgres
def test_a_copy_that_fails_mid_way_leaves_the_target_empty(source: Ledger, postgres_url: str) -> None:
    """A row the target refuses (a history line of no entry), after other tables were written, rolls every
    table back: the target holds no row."""
    fill(source)
    with sqlite3.connect(source.engine.url.database or "") as raw:  # foreign keys are off on a raw connection
        raw.execute("INSERT INTO transitions (key, from_state, to_state, at, detail)"
                    " VALUES ('nobody', NULL, 'pending', '2026-03-01 22:00:00', 'added')")
    with pytest.raises(CopyFailed, match="copying table transitions failed, so nothing was copied"):
        copy_ledger(source.engine, postgres_url, now=LATER, batch=2)
    assert set(row_counts(postgres_url).values()) == {0}
    assert revision_of(postgres_url) == migrate.HEAD


def test_a_live_lease_in_the_source_refuses_the_copy_before_the_target_is_touched(
        source: Ledger, tmp_path: Path) -> None:
    """While a worker holds an account's lease the copy names it and says to stop it; no target file is made."""
    fill(source)
    assert source.acquire_lease(ACCOUNT, "worker on host-a pid 9", 600, now=LATER)
    target = tmp_path / "target.sqlite3"
    with pytest.raises(CopyRefused, match=f"worker on host-a pid 9 is working account {ACCOUNT}.*stop every"):
        copy_ledger(source.engine, f"sqlite:///{target}", now=LATER + timedelta(seconds=30))
    assert not target.exists()


def test_a_copy_onto_the_ledger_itself_is_refused(
        source: Ledger, tmp_path: Path, no_ippbot_env: pytest.MonkeyPatch) -> None:
    """`--to` naming the source's own file (by another path) is refused before anything is opened."""
    no_ippbot_env.chdir(tmp_path)
    with pytest.raises(CopyRefused, match="--to names the ledger being copied"):
        copy_ledger(source.engine, "sqlite:///.ippbot/../.ippbot/ledger.sqlite3", now=LATER)


# The commands ----------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.usefixtures("isolated", "cli_env")
def test_ledger_copy_prints_the_counts_and_what_to_do_next_and_the_copy_serves_status(
        source: Ledger, postgres_url: str, capsys: pytest.CaptureFixture[str],
        cli_env: pytest.MonkeyPatch) -> None:
    """`ippbot ledger copy --to URL` exits 0 with a line per table and the IPPBOT_LEDGER_URL to set; with it set,
    `ippbot status` reads the copy; a second copy into it is refused with exit 2."""
    fill(source)
    assert ippbot("ledger", "copy", "--to", postgres_url) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"copied the ledger at sqlite:///.ippbot/ledger.sqlite3 to {postgres_url} "
                             f"(ledger created at revision {migrate.HEAD}):")
    assert "  entries: 5 rows" in out and "  portal_actions: 1 rows" in out, out
    assert out[-2].startswith("not copied: leases (a running worker's live state)")
    assert f"set IPPBOT_LEDGER_URL={postgres_url} wherever ippbot runs" in out[-1]
    cli_env.setenv("IPPBOT_LEDGER_URL", postgres_url)
    assert ippbot("status", "--json") in (0, 1)
    shown = {row["key"]: row["state"] for row in json.loads(capsys.readouterr().out)}
    assert shown.keys() == {IPR_KEY, "ipr:b", "ipr:c", "c-1", "ipr:d"}
    assert (shown[IPR_KEY], shown["ipr:b"], shown["ipr:c"]) == ("confirmed", "failed", "unknown")
    cli_env.delenv("IPPBOT_LEDGER_URL")
    assert ippbot("ledger", "copy", "--to", postgres_url) == 2
    assert capsys.readouterr().err.startswith("ippbot: the target already holds a ledger (")


@pytest.mark.usefixtures("isolated", "cli_env")
def test_ledger_copy_while_a_worker_works_exits_2_saying_to_stop_it(
        source: Ledger, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A live lease in the source: exit 2, one line naming the worker and how to stop it, no target made."""
    source.acquire_lease(ACCOUNT, "worker on host-a pid 9", 600, now=datetime.now(UTC))
    assert ippbot("ledger", "copy", "--to", f"sqlite:///{tmp_path / 'target.sqlite3'}") == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"ippbot: worker on host-a pid 9 is working account {ACCOUNT}")
    assert "stop every `ippbot worker` and `ippbot run` on this ledger first" in err[0]
    assert not (tmp_path / "target.sqlite3").exists()


@pytest.mark.usefixtures("isolated", "cli_env")
def test_ledger_copy_to_something_not_a_url_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """`--to` that is not a database URL is bad usage: exit 2 with one line."""
    assert ippbot("ledger", "copy", "--to", "ledger.db") == 2
    assert capsys.readouterr().err == "ippbot: --to 'ledger.db' is not a database URL (e.g. postgresql+psycopg://user@host/db)\n"


@pytest.mark.usefixtures("isolated", "cli_env")
def test_ledger_migrate_takes_an_old_ledger_to_head_and_says_from_where(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An old ledger (revision 0001) in the data dir goes to head, saying from which revision; a second
    migrate has nothing to do and says so."""
    (tmp_path / ".ippbot").mkdir()
    url = f"sqlite:///{tmp_path / '.ippbot' / 'ledger.sqlite3'}"
    at_revision_0001(url)
    assert ippbot("ledger", "migrate") == 0
    assert capsys.readouterr().out == (f"ledger upgraded from 0001 to {migrate.HEAD}"
                                       " (sqlite:///.ippbot/ledger.sqlite3)\n")
    assert revision_of(url) == migrate.HEAD
    assert ippbot("ledger", "migrate") == 0
    assert capsys.readouterr().out == f"ledger already at rev {migrate.HEAD} (sqlite:///.ippbot/ledger.sqlite3)\n"


@pytest.mark.postgres
@pytest.mark.usefixtures("isolated", "cli_env")
def test_ledger_migrate_on_postgres_creates_the_ledger(postgres_url: str, capsys: pytest.CaptureFixture[str],
                                                       cli_env: pytest.MonkeyPatch) -> None:
    """IPPBOT_LEDGER_URL names an empty PostgreSQL database: the ledger is created there at head."""
    cli_env.setenv("IPPBOT_LEDGER_URL", postgres_url)
    assert ippbot("ledger", "migrate") == 0
    assert capsys.readouterr().out == f"ledger created at revision {migrate.HEAD} ({postgres_url})\n"
    assert revision_of(postgres_url) == migrate.HEAD


@pytest.mark.usefixtures("isolated", "cli_env")
def test_ledger_migrate_when_the_database_does_not_answer_exits_3_without_the_password(
        cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A PostgreSQL that does not answer: exit 3, one line with the URL (its password hidden) and the fix."""
    cli_env.setenv("IPPBOT_LEDGER_URL", "postgresql+psycopg://ippbot:s3cret@127.0.0.1:9/ledger")
    assert ippbot("ledger", "migrate") == 3
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "s3cret" not in err[0]
    assert err[0].startswith("ippbot: cannot open the ledger at postgresql+psycopg://ippbot:***@127.0.0.1:9/ledger")
    assert err[0].endswith("to fix: check that the database answers and IPPBOT_LEDGER_URL names it")


def test_lease_and_queue_tables_are_not_copied() -> None:
    """The copy takes every table of the ledger's schema in foreign-key order but the leases and the heartbeats."""
    names = [t.name for t in copied_tables()]
    assert lease_table.name not in names and worker_table.name not in names
    assert names == [t.name for t in metadata.sorted_tables if t not in (lease_table, worker_table)]

"""The fleet's queue (procrastinate in the ledger's PostgreSQL): jobs commit with their entries or not at all, one
waiting job per account, stalled jobs brought back, the schedules dealt once a minute, the times ordered."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from ledger_entries import ipr_entry
from postgres import fresh_database
from sqlalchemy import text

from bot.store.fleet import NIGHT, WORK, FleetQueue, fleet_times
from bot.store.ledger import Ledger
from bot.store.moves import _insert_new

pytestmark = [pytest.mark.unit, pytest.mark.postgres]

ACCOUNT = "brand@example.com"
T = TypeVar("T")


JOB = ("INSERT INTO procrastinate_jobs(queue_name, task_name, lock, queueing_lock, args, status, worker_id) "
       "VALUES ('default', :task, :account, :qlock, '{}', CAST(:status AS procrastinate_job_status), :worker)")


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with fresh_database() as url, Ledger(url) as ledger:
        yield ledger


def jobs(ledger: Ledger) -> list[tuple[str, str, str]]:
    """(task, lock, status) of every job, oldest first."""
    with ledger.engine.connect() as conn:
        rows = conn.execute(text("SELECT task_name, lock, status FROM procrastinate_jobs ORDER BY id")).all()
    return [(r.task_name, r.lock, str(r.status)) for r in rows]


def run_async(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """`asyncio.run(main())` in a thread of its own: a test session's sync Playwright keeps a loop marked running in
    the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()


def fleet(ledger: Ledger, due: frozenset[str] = frozenset(), unfinished: tuple[str, ...] = ()) -> FleetQueue:
    return FleetQueue(ledger.engine.url.render_as_string(hide_password=False), work=lambda _a: False,
                      night=lambda _a: None, morning=lambda: None, unfinished=lambda: list(unfinished),
                      accounts=lambda: [ACCOUNT, "other@example.com"], due=lambda name, _now: name in due,
                      lease_ttl_s=4)


def test_an_enqueue_commits_its_entries_and_one_job_together(ledger: Ledger) -> None:
    """A committed enqueue leaves one job for its account; a second enqueue adds none; a rolled-back one leaves none."""
    ledger.add([ipr_entry("ipr:a", "1")], account=ACCOUNT)
    ledger.add([ipr_entry("ipr:b", "2")], account=ACCOUNT)
    assert jobs(ledger) == [(WORK, ACCOUNT, "todo")]
    with pytest.raises(RuntimeError), ledger.engine.begin() as conn:
        _insert_new(conn, [ipr_entry("ipr:c", "3")], "other@example.com", datetime.now(UTC))
        raise RuntimeError("the enqueue fails after its insert")
    assert jobs(ledger) == [(WORK, ACCOUNT, "todo")]
    assert [row.key for row in ledger.rows()] == ["ipr:a", "ipr:b"]


def test_a_stalled_job_comes_back_unless_its_account_has_one_waiting(ledger: Ledger) -> None:
    """A dead worker's job goes back in line; one whose account already has a job waiting ends instead."""
    with ledger.engine.begin() as conn:
        conn.execute(text("INSERT INTO procrastinate_workers(last_heartbeat) VALUES (now() - interval '1 hour')"))
        for account, status in ((ACCOUNT, "doing"), ("other@example.com", "doing"), ("other@example.com", "todo")):
            conn.execute(text(JOB),
                         {"task": WORK, "account": account, "qlock": f"{WORK}:{account}", "status": status,
                          "worker": 1 if status == "doing" else None})
    queue = fleet(ledger)

    async def stalled() -> list[int]:
        async with queue.app.open_async():
            return await queue.bring_back_stalled()

    assert run_async(stalled) == [1]
    assert jobs(ledger) == [(WORK, ACCOUNT, "todo"), (WORK, "other@example.com", "aborted"),
                            (WORK, "other@example.com", "todo")]


def test_the_tick_deals_the_night_per_account_and_sweeps(ledger: Ledger) -> None:
    """At the night's minute, one night job per account; at a sweep's, one work job per unfinished account; twice
    the same minute (two workers' ticks) adds nothing."""
    queue = fleet(ledger, due=frozenset({"nightly", "sweep"}), unfinished=(ACCOUNT,))

    async def tick() -> None:
        async with queue.app.open_async():
            await queue.tick(int(datetime.now(UTC).timestamp()))
            await queue.tick(int(datetime.now(UTC).timestamp()))

    run_async(tick)
    assert jobs(ledger) == [(NIGHT, ACCOUNT, "todo"), (NIGHT, "other@example.com", "todo"), (WORK, ACCOUNT, "todo")]


@pytest.mark.parametrize("lease_ttl_s", [2.0, 4.0, 30.0, 300.0, 3600.0])
def test_a_job_stalls_only_after_its_lease_has_lapsed(lease_ttl_s: float) -> None:
    """The stalled-job threshold is longer than a lease by two heartbeats at least, and a worker is alive for three."""
    times = fleet_times(lease_ttl_s)
    assert times.stalled_s >= lease_ttl_s + 2 * times.heartbeat_s
    assert times.alive_s == 3 * times.heartbeat_s and times.heartbeat_s <= 10

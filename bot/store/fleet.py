"""The fleet's queue: procrastinate in the ledger's own PostgreSQL database, for workers on any number of hosts.

Chosen over huey for a fleet (issue #15, tried on a machine like ours): a killed huey consumer
loses its task and leaves its lock set for ever, while procrastinate keeps a killed worker's job
`doing`, with its lock, until a stalled-job retry brings it back; its fetch is `FOR UPDATE SKIP
LOCKED` and LISTEN/NOTIFY wakes the workers.

* A job is a trigger, never the work: `work(account)`, "work this account's due entries"; the
  ledger decides what that is. Each is deferred with `lock=<account>` (procrastinate's unique
  index on running jobs: one worker at a time works an account) and `queueing_lock=<account>`
  (at most one waiting: the sweeper cannot queue an account twice).
* `defer_work` runs inside the caller's transaction (the ledger's insert of new entries,
  `bot.store.moves._insert_new`), on its psycopg connection: the entries and their jobs commit
  together, or neither does. A job already waiting for that account is enough (a savepoint keeps
  the enqueue whole).
* `tick`, a periodic job each minute (deferred once for the whole fleet: procrastinate's
  periodic defers are unique by minute), retries the jobs of workers whose heartbeat is older than
  `FleetTimes.stalled_s`, then runs the schedules read in `IPPBOT_TIMEZONE`: the night (a
  `night(account)` job per account, locked like `work`), the morning sync, and the sweep.
* The ledger's lease with its fencing token (`bot.store.leasing`) stays the safety: a job's
  lock is time-based once a worker stops beating, so the stalled threshold is longer than a lease.

Connections (PostgreSQL's default is 100; in the trial 16 workers on default pools ran out): a
worker holds one for LISTEN, one in procrastinate's pool (`POOL_SIZE`), and one per run in
progress (each run's ledger; a run's transactions are one at a time): 3 for `--concurrency 1`,
N + 2 for N.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation
from procrastinate.jobs import Status
from sqlalchemy import Connection
from sqlalchemy.engine import make_url

WORK, NIGHT, MORNING, TICK = "ippbot.work", "ippbot.night", "ippbot.morning", "ippbot.tick"
POOL_SIZE = 1  # procrastinate's own pool per worker: fetching, finishing, heartbeats, the tick
SIGNALS = (signal.SIGINT, signal.SIGTERM)

__all__ = ["FleetQueue", "FleetTimes", "defer_work", "fleet_times", "make_app"]


@dataclass(frozen=True)
class FleetTimes:
    """A worker's heartbeat, when its jobs count as stalled (longer than a lease), and when status calls it gone."""

    heartbeat_s: float
    stalled_s: float
    alive_s: float


def fleet_times(lease_ttl_s: float) -> FleetTimes:
    """The fleet's times from the lease's: a beat every tenth of a lease (10 s at most); stalled after a lease and
    a half (two beats more at least), so a stalled job comes back only once its lease has lapsed."""
    beat = min(10.0, max(0.5, lease_ttl_s / 10))
    return FleetTimes(heartbeat_s=beat, stalled_s=max(1.5 * lease_ttl_s, lease_ttl_s + 2 * beat),
                      alive_s=3 * beat)


def conninfo(ledger_url: str) -> str:
    """libpq's form of the ledger's SQLAlchemy URL (`postgresql+psycopg://...` -> `postgresql://...`)."""
    return make_url(ledger_url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(ledger_url: str) -> procrastinate.App:
    """procrastinate's app on the ledger's database, its pool kept small (`POOL_SIZE`)."""
    connector = procrastinate.PsycopgConnector(conninfo=conninfo(ledger_url), kwargs={},
                                               min_size=POOL_SIZE, max_size=POOL_SIZE)
    return procrastinate.App(connector=connector)


_DEFERRER = procrastinate.App(connector=procrastinate.PsycopgConnector())  # names jobs; sends on the caller's conn


def defer_work(conn: Connection, accounts: Iterable[str], task: str = WORK) -> None:
    """Defer `task(account)` for each account inside `conn`'s transaction; one already waiting is enough."""
    raw = conn.connection.driver_connection
    for account in dict.fromkeys(accounts):
        try:
            with conn.begin_nested():  # a savepoint: the unique waiting job's refusal leaves the rest whole
                _DEFERRER.configure_task(task, lock=account, queueing_lock=f"{task}:{account}",
                                         connection=raw).defer(account=account)
        except AlreadyEnqueued:
            continue


class FleetQueue:
    """`bot.store.queue.WorkQueue` on procrastinate: triggers, the sweep, the schedules and the consumer."""

    def __init__(self, ledger_url: str, *, work: Callable[[str], bool], night: Callable[[str], object],
                 morning: Callable[[], object], unfinished: Callable[[], list[str]], accounts: Callable[[], list[str]],
                 due: Callable[[str, datetime], bool], lease_ttl_s: float) -> None:
        """`work(account)` works a turn of the account's entries and says whether more are due now; `due(name, now)`,
        whether the schedule `name` (nightly, morning, sweep) is due in this minute."""
        self.app = make_app(ledger_url)
        self.where = f"the queue in {make_url(ledger_url).render_as_string(hide_password=True)}"
        self.times = fleet_times(lease_ttl_s)
        self.unfinished, self.accounts, self.due = unfinished, accounts, due
        self.app.task(name=WORK)(self._work_turn(work))
        self.app.task(name=NIGHT)(lambda account: night(account))
        self.app.task(name=MORNING, queueing_lock=MORNING)(lambda: morning())
        self.app.periodic(cron="* * * * *", periodic_id="tick")(self.app.task(name=TICK, pass_context=False)(self.tick))

    def _work_turn(self, work: Callable[[str], bool]) -> Callable[[str], None]:
        """The work job: a turn of the account, then, when more is due, the account queued again behind the others
        (its lock keeps that job waiting until this one ends)."""
        def turn(account: str) -> None:
            if work(account):
                self._defer(WORK, account)
        return turn

    def _defer(self, task: str, account: str) -> None:
        with contextlib.suppress(AlreadyEnqueued):
            self.app.configure_task(task, lock=account, queueing_lock=f"{task}:{account}").defer(account=account)

    def trigger(self, account: str, task: str = WORK) -> None:
        """Ask a worker to work this account (a job; one already waiting is enough)."""
        with self.app.open(), contextlib.suppress(AlreadyEnqueued):
            self.app.configure_task(task, lock=account, queueing_lock=f"{task}:{account}").defer(account=account)

    def sweep(self) -> list[str]:
        """Trigger every account with unfinished entries; returns them."""
        accounts = self.unfinished()
        for account in accounts:
            self.trigger(account)
        return accounts

    async def tick(self, timestamp: int) -> None:
        """Each minute, once for the fleet: bring back stalled jobs, then what the schedules ask for now."""
        await self.bring_back_stalled()
        for task, account in await asyncio.to_thread(self.wanted, datetime.fromtimestamp(timestamp, UTC)):
            deferrer = self.app.configure_task(task, lock=account, queueing_lock=f"{task}:{account}") if account \
                else self.app.configure_task(task, queueing_lock=task)
            with contextlib.suppress(AlreadyEnqueued):
                await (deferrer.defer_async(account=account) if account else deferrer.defer_async())

    async def bring_back_stalled(self) -> list[int]:
        """Put back in line the jobs of workers silent for longer than `stalled_s` (killed, cut off, paused); a job
        whose account has another waiting already ends instead (that one does the work). The ids put back."""
        manager, back = self.app.job_manager, []
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=self.times.stalled_s):
            assert job.id is not None
            try:
                await manager.retry_job(job)
                back.append(job.id)
            except UniqueViolation:  # the waiting one's queueing lock: two waiting jobs of one account never
                await manager.finish_job(job, status=Status.ABORTED, delete_job=False)
        return back

    def wanted(self, now: datetime) -> list[tuple[str, str]]:
        """The jobs the schedules ask for in the minute of `now`: (task, account), account "" for the morning's."""
        jobs = [(NIGHT, account) for account in self.accounts()] if self.due("nightly", now) else []
        jobs += [(MORNING, "")] if self.due("morning", now) else []
        return jobs + ([(WORK, account) for account in self.unfinished()] if self.due("sweep", now) else [])

    def consume(self, concurrency: int, on_signal: Callable[[int], None]) -> None:
        """Work jobs, `concurrency` at once, until SIGINT or SIGTERM: `on_signal` is told (the runs in progress stop
        at their next safe point), no new job is taken, and those in progress are waited for.

        procrastinate's event loop runs in a thread of its own, so that no loop of the caller's thread (the sync
        Playwright of a test session keeps one marked running) is in its way; the signals are this thread's."""
        stopping = _Stopping(on_signal)
        thread = threading.Thread(target=lambda: asyncio.run(self._consume(concurrency, stopping)),
                                  name="ippbot-queue")
        previous = {number: signal.signal(number, stopping.signalled) for number in SIGNALS}
        try:
            thread.start()
            while thread.is_alive():
                thread.join(0.5)  # a signal is handled between two joins
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    async def _consume(self, concurrency: int, stopping: _Stopping) -> None:
        async with self.app.open_async():
            worker = asyncio.ensure_future(self.app.run_worker_async(**self._worker_options(concurrency)))
            stopping.bind(asyncio.get_running_loop(), worker)
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    def _worker_options(self, concurrency: int) -> dict[str, Any]:
        return {"concurrency": concurrency, "install_signal_handlers": False, "delete_jobs": "successful",
                "update_heartbeat_interval": self.times.heartbeat_s, "stalled_worker_timeout": self.times.stalled_s}


class _Stopping:
    """A stop asked for by a signal (in the main thread), handed to the queue's loop in its own thread: cancelling
    procrastinate's worker makes it stop fetching and wait for the jobs in progress."""

    def __init__(self, on_signal: Callable[[int], None]) -> None:
        self.on_signal = on_signal
        self.requested = False
        self._cancel: Callable[[], object] | None = None

    def bind(self, loop: asyncio.AbstractEventLoop, worker: asyncio.Future[Any]) -> None:
        """The worker to cancel; cancelled at once when a signal came before it was there."""
        self._cancel = lambda: loop.call_soon_threadsafe(worker.cancel)
        if self.requested:
            self._cancel()

    def signalled(self, signum: int, _frame: FrameType | None) -> None:
        """The signal handler: tell the worker's command, then cancel procrastinate's worker."""
        self.requested = True
        self.on_signal(signum)
        if self._cancel is not None:
            self._cancel()

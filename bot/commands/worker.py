"""`ippbot worker`: the queue's consumer, which runs triggered runs, the nightly schedule and the sweeper.

It says in one line what it works and how to stop it. A trigger for an account with nothing to
work (one left in the queue while no worker ran, or a sweep after the work was done) starts no
run and leaves no run folder: the ledger decides the work, not the number of triggers. Each run
writes its report, as `ippbot run` does, with the account's standing. `--concurrency N` works up
to N accounts at once, each in a browser of its own, and never two on one account: a second
trigger of an account being worked finds its lease taken (`AccountBusy`, a log line), and the
sweeper's next trigger finds the work done, or what is left.

The nightly task (`IPPBOT_SCHEDULE`) is a run, then a sync (so complaints waiting for an approval
wake up), then the report; the morning sync (`IPPBOT_SYNC_SCHEDULE`) syncs and writes the report
again, and when no night finished since the previous morning sync it says so in a log line
(`worker.missed_night`) and a notice (`bot.run.notify.missed_night_notice`). Both are read in
`IPPBOT_TIMEZONE` (`bot.store.queue.in_zone`). `Loop` holds them, its clock and machinery injected.

Ctrl-C and SIGTERM stop it as they stop `ippbot run` (`bot.run.interrupts`): huey's consumer is
told to stop taking tasks and to wait for the one in progress (both signals are graceful here,
where huey would drop the run in flight on SIGTERM), the run ends at its next safe point with its
report, and one line says what was left; the exit code is 130 (SIGINT) or 143 (SIGTERM).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.accounts import account_sources, accounts
from bot.errors import EXIT_OK, Interrupted, IppbotError, first_line
from bot.run.interrupts import Stop, how, routing
from bot.settings import Settings
from bot.store.fleet import FleetQueue, fleet_times
from bot.store.ledger import Ledger
from bot.store.queue import UNFINISHED, Queue, WorkQueue, make_huey, schedule, zone_of

if TYPE_CHECKING:
    from bot.run.artifacts import RunDir
    from bot.run.notify import Notice

_LOG = structlog.get_logger("ippbot.worker")


@dataclass
class Loop:
    """The worker's scheduled work for its account: the night (run, then sync, then report) and the morning
    (sync, report, and a word when no night finished since the previous morning).

    Everything that touches the portal is injected, with the real machinery by default, and so is the
    clock: the tests call `night` and `morning` directly. When each last finished is kept in
    the ledger (`Marks`), so a restarted worker still knows, and so does every worker of a fleet.
    """

    settings: Settings
    stop: Stop | None = None
    stopped: list[Interrupted] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # runs that failed as a whole (IppbotError), in words
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    run: Callable[..., RunDir | None] = field(default=lambda s, led, st, limit=None: _run(s, led, st, limit))
    turn: int | None = None  # a triggered run's entries at most (the fleet's turns); None: every due entry
    sync: Callable[[Settings, Ledger], object] = field(default=lambda s, led: _sync(s, led))
    report: Callable[[Settings, Ledger, RunDir | None], Path | None] = \
        field(default=lambda s, led, r: _report(s, led, r))
    tell: Callable[[Settings, Notice], object] = field(default=lambda s, n: _tell(s, n))

    def work(self, account: str) -> bool:
        """A triggered run of `account`'s due entries (a `turn` of them at most), with its report (no sync: the
        night does that); whether entries due now are left for another turn."""
        settings = self._settings_of(account)
        with Ledger.open(settings) as ledger:
            run = self._run(settings, ledger, self.turn)
            if run is not None:
                self.report(settings, ledger, run)
                _LOG.info("worker.worked", account=settings.email, run=run.run_id)
            due = ledger.next_due(settings.email)
            stopping = self.stop is not None and self.stop.requested
            return self.turn is not None and not stopping and due is not None and due <= self.clock()

    def night(self) -> bool:
        """The nightly task, for each account in turn: run, then sync (complaints waiting for an approval wake
        up), then the report.

        The night counts as finished (for the morning's missed-night check) unless it was stopped or a
        run failed as a whole (the portal unreachable, a missing secret); returns whether it did."""
        failures = len(self.failed)
        for settings in self._accounts():
            with Ledger.open(settings) as ledger:
                run = self._run(settings, ledger)
                if self.stop is not None and self.stop.requested:
                    return False  # stopped mid-run: the night did not finish
                self._sync(settings, ledger)
                self.report(settings, ledger, run)
        self._all_accounts()
        if len(self.failed) > failures:
            return False
        Marks(self.settings).put("night", self.clock())
        return True

    def night_of(self, email: str) -> None:
        """One account's night, as the fleet's queue deals them out (a job per account, locked like its runs): run,
        sync, report, then the all-accounts page."""
        settings = self._settings_of(email)
        with Ledger.open(settings) as ledger:
            run = self._run(settings, ledger)
            if self.stop is None or not self.stop.requested:
                self._sync(settings, ledger)
                self.report(settings, ledger, run)
        self._all_accounts()
        Marks(self.settings).put("night", self.clock())

    def _settings_of(self, email: str) -> Settings:
        """The account's settings: an accounts file's (its password and details), else the configured ones."""
        return accounts(self.settings, email)[0] if self.settings.accounts_file is not None \
            else self.settings.model_copy(update={"email": email})

    def _accounts(self) -> list[Settings]:
        """Each account's settings (the accounts file's, else the configured one); one whose secret is missing
        is noted as failed and left out, never stopping the others."""
        chosen: list[Settings] = []
        for email, settings_of in account_sources(self.settings):
            try:
                chosen.append(settings_of())
            except IppbotError as exc:
                _LOG.error("worker.account_failed", account=email, error=str(exc))
                self.failed.append(str(exc))
        return chosen

    def morning(self) -> bool:
        """The morning sync: sync, write the report again, and tell the operator what it found for them;
        say so when no night finished since the previous morning sync (a log line and a notice).
        Returns whether a night was missed."""
        marks = Marks(self.settings)
        missed = missed_night(marks.get("night"), marks.get("morning"))
        if missed:
            self._missed(marks.get("night"), marks.get("morning"))
        for settings in self._accounts():
            with Ledger.open(settings) as ledger:
                self._sync(settings, ledger)
                report = self.report(settings, ledger, None)
                self._found(settings, ledger, report)
        self._all_accounts()
        marks.put("morning", self.clock())
        return missed

    def _all_accounts(self) -> None:
        """The all-accounts page after every account's report (with an accounts file of several)."""
        from bot.commands.report import all_accounts_page

        with Ledger.open(self.settings) as ledger:
            all_accounts_page(self.settings, ledger)

    def _missed(self, last_night: datetime | None, last_morning: datetime | None) -> None:
        from bot.run.notify import missed_night_notice

        night, morning = (last_night.isoformat() if last_night else None), (last_morning or self.clock()).isoformat()
        _LOG.warning("worker.missed_night", account=self.settings.email, last_night=night, last_morning=morning)
        self.tell(self.settings, missed_night_notice(self.settings.email, night, morning))

    def _found(self, settings: Settings, ledger: Ledger, report: Path | None) -> None:
        """Tell the operator what the sync found for them (nothing when nothing waits)."""
        from bot.run.notify import sync_notice
        from bot.run.report_data import account_view, snapshot

        notice = sync_notice(account_view(snapshot(ledger, settings.email), self.clock().date()), report)
        if notice is not None:
            self.tell(settings, notice)

    def _run(self, settings: Settings, ledger: Ledger, limit: int | None = None) -> RunDir | None:
        if not ledger.has_work(settings.email):
            _LOG.info("worker.nothing_to_do", account=settings.email)
            return None
        try:
            return self.run(settings, ledger, self.stop, *(() if limit is None else (limit,)))
        except Interrupted as exc:
            self.stopped.append(exc)
            return None
        except IppbotError as exc:  # one line in the log, not huey's traceback: the next trigger tries again
            _LOG.error("worker.run_failed", account=settings.email, error=str(exc))
            self.failed.append(str(exc))
            return None

    def _sync(self, settings: Settings, ledger: Ledger) -> None:
        try:
            self.sync(settings, ledger)
        except IppbotError as exc:  # the portal did not answer: the report shows what the ledger had
            _LOG.error("worker.sync_failed", account=settings.email, error=str(exc))


def missed_night(last_night: datetime | None, last_morning: datetime | None) -> bool:
    """True when a morning sync ran before and no night finished since it (the first morning cannot tell)."""
    return last_morning is not None and (last_night is None or last_night < last_morning)


class Marks:
    """When the worker's night and morning last finished, in the ledger (`Ledger.mark`): the same for every worker
    of a fleet, whichever host ran each account's night."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def get(self, name: str) -> datetime | None:
        """When `name` (night, morning) last finished, or None."""
        with Ledger.open(self.settings) as ledger:
            at = ledger.marked(name)
        return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at

    def put(self, name: str, at: datetime) -> None:
        """Note that `name` finished `at`."""
        with Ledger.open(self.settings) as ledger:
            ledger.mark(name, at)


def _run(settings: Settings, ledger: Ledger, stop: Stop | None, limit: int | None = None) -> RunDir | None:
    """One run of the account's due entries (`limit` at most); on a stop its report and the stop's own words
    (Interrupted)."""
    # here: `ippbot enqueue` builds the queue, and needs no browser, runner or report
    from bot.commands.run import interrupted_detail
    from bot.run.artifacts import RunDir
    from bot.run.report import write_report
    from bot.run.runner import Runner, RunOptions

    options = RunOptions(stop=stop, limit=limit) if stop is not None else RunOptions(limit=limit)
    run = RunDir(settings.runs_dir, options.run_id)
    try:
        Runner(settings, ledger, options).run()
    except Interrupted as exc:
        report = write_report(run, ledger=ledger, account=settings.email)
        detail = interrupted_detail(run.read_summary(), how(stop) if stop else "", report)
        raise Interrupted(exc.signal_name, exc.signal_number, detail) from None
    return run if run.summary.is_file() else None


def _sync(settings: Settings, ledger: Ledger) -> object:
    from bot.run.sync import sync

    return sync(settings, ledger)


def _report(settings: Settings, ledger: Ledger, run: RunDir | None) -> Path | None:
    """The report of `run` (or the latest run) with the account's standing; None before any run."""
    from bot.run.artifacts import latest_run
    from bot.run.report import write_report

    chosen = run or latest_run(settings.runs_dir, settings.email)
    return write_report(chosen, ledger=ledger, account=settings.email) if chosen is not None else None


def _tell(settings: Settings, notice: Notice) -> object:
    from bot.run.notify import notify_settings

    return notify_settings(settings, notice)


def queue(settings: Settings, stop: Stop | None = None, stopped: list[Interrupted] | None = None,
          loop: Loop | None = None) -> WorkQueue:
    """The queue bound to this ledger (`bot.store.queue.WorkQueue`): with a PostgreSQL ledger, procrastinate in its
    database (`bot.store.fleet`); else huey, embedded. A job works one account's due entries; the night and the
    morning are `loop`'s. `stop` is what the worker's signals go to; a run it stops is noted in `stopped`."""
    loop = loop or Loop(settings, stop, stopped if stopped is not None else [])

    def unfinished() -> list[str]:  # every account with entries left, in order: the sweeper triggers each
        with Ledger.open(settings) as own:
            return list(dict.fromkeys(row.account or settings.email for row in own.rows() if row.state in UNFINISHED))

    if settings.ledger_url is not None and make_url(settings.ledger_url).get_backend_name() == "postgresql":
        loop.turn = loop.turn or FLEET_TURN_ENTRIES
        return FleetQueue(settings.ledger_url, work=loop.work, night=loop.night_of, morning=loop.morning,
                          unfinished=unfinished, accounts=lambda: [email for email, _ in account_sources(settings)],
                          due=_due(settings), lease_ttl_s=settings.lease_ttl_s)

    def work(account: str) -> None:  # huey keeps what a task returns: nothing
        loop.work(account)

    return Queue(make_huey(settings), settings, work, unfinished, nightly=loop.night, morning=loop.morning)


def _due(settings: Settings) -> Callable[[str, datetime], bool]:
    """Whether a schedule (nightly, morning, sweep) is due in a minute, read as huey reads it (`IPPBOT_TIMEZONE`)."""
    zone = zone_of(settings.timezone)
    tests = {"nightly": schedule(settings.schedule, zone),
             "morning": schedule(settings.sync_schedule, zone, "IPPBOT_SYNC_SCHEDULE")}

    def due(name: str, now: datetime) -> bool:
        naive = now.astimezone(UTC).replace(tzinfo=None, second=0, microsecond=0)
        if name == "sweep":
            return naive.minute % settings.sweep_minutes == 0
        return tests[name](naive)
    return due


def worker(settings: Settings, concurrency: int = 1) -> int:
    """Consume the queue: triggered runs (up to `concurrency` accounts at once), the nightly schedule and the
    sweeper, until stopped; its heartbeat in the ledger all along (`ippbot status` shows the fleet)."""
    stop, stopped = Stop(), list[Interrupted]()
    _import_the_machinery()
    work = queue(settings, stop, stopped)
    zone = settings.timezone or "the machine's time zone"
    at_once = f", {concurrency} accounts at once" if concurrency > 1 else ""
    typer.echo(f"ippbot worker: working {_whose(settings)} entries from {work.where}{at_once}; "
               f"nightly at {settings.schedule!r} (run, sync, report), the morning sync at {settings.sync_schedule!r}, "
               f"both in {zone}; a sweep every {settings.sweep_minutes} min; "
               "Ctrl-C or SIGTERM stops it at a safe point")
    with routing(stop), Heartbeat(settings, concurrency, work.where):
        work.consume(concurrency, stop.request)
    if not stop.requested:
        return EXIT_OK
    raise stop.interrupted(_stopped_detail(stop, stopped))


class Heartbeat:
    """The worker's row in the ledger's `workers` table, beaten from a thread of its own until the block ends (then
    deleted): `ippbot status` shows the workers alive and what each works."""

    def __init__(self, settings: Settings, concurrency: int, where: str) -> None:
        self.settings, self.concurrency, self.where = settings, concurrency, where
        self.name = f"{socket.gethostname()} pid {os.getpid()}"
        self.every_s = fleet_times(settings.lease_ttl_s).heartbeat_s
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="ippbot-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join()
        with contextlib.suppress(IppbotError, SQLAlchemyError), Ledger.open(self.settings) as ledger:
            ledger.worker_gone(self.name)

    def _beat(self) -> None:
        """A beat every `every_s`, each on a connection of its own for the moment it takes (the worker's budget of
        connections is spent on its runs: `bot.store.fleet`)."""
        while True:
            try:
                with Ledger.open(self.settings) as ledger:
                    ledger.beat(self.name, host=socket.gethostname(), pid=os.getpid(), concurrency=self.concurrency,
                                queue=self.where)
            except (IppbotError, SQLAlchemyError) as exc:  # the database away for a moment: the next beat tries again
                _LOG.warning("worker.heartbeat_failed", error=first_line(exc))
            if self._done.wait(self.every_s):
                return


FLEET_TURN_ENTRIES = 10  # a fleet's job works an account this far, then queues it again behind the others (fair)
RUN_MACHINERY = ("bot.commands.run", "bot.commands.report", "bot.run.runner", "bot.run.report", "bot.run.sync",
                 "bot.run.notify", "bot.run.report_data", "bot.run.artifacts")


def _import_the_machinery() -> None:
    """Import, in the main thread, what the tasks import lazily (`ippbot enqueue` needs none of it): two worker
    threads importing one module graph at once can each see it half made (Python's import deadlock avoidance
    hands one a partial module: "cannot import name ...")."""
    for name in RUN_MACHINERY:
        importlib.import_module(name)


def _whose(settings: Settings) -> str:
    """Whose entries the worker works: the account's, or every account's of the accounts file."""
    return "every account's" if settings.accounts_file is not None else f"{settings.email}'s"


def _stopped_detail(stop: Stop, stopped: list[Interrupted]) -> str:
    """What the stop's one line says: the interrupted run's own words, or that none was in progress."""
    if stopped and stopped[-1].detail:
        return stopped[-1].detail
    return f"({how(stop)}): no run was in progress"

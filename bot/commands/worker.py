"""`ippbot worker`: the queue's consumer, which runs triggered runs, the nightly schedule and the sweeper.

It says in one line what it works and how to stop it. A trigger for an account with nothing to
work (one left in the queue while no worker ran, or a sweep after the work was done) starts no
run and leaves no run folder: the ledger decides the work, not the number of triggers. Each run
writes its report, as `ippbot run` does.

Ctrl-C and SIGTERM stop it as they stop `ippbot run` (`bot.run.interrupts`): huey's consumer is
told to stop taking tasks and to wait for the one in progress (both signals are graceful here,
where huey would drop the run in flight on SIGTERM), the run ends at its next safe point with its
report, and one line says what was left; the exit code is 130 (SIGINT) or 143 (SIGTERM).
"""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Any

import structlog
import typer

from bot.errors import EXIT_OK, Interrupted, IppbotError
from bot.run.interrupts import SIGNALS, Stop, how, routing
from bot.settings import Settings
from bot.store.ledger import Ledger
from bot.store.queue import QUEUE_FILE, UNFINISHED, Queue, make_huey

WORKABLE = ("pending", "claimed", "submitting", "unknown")  # what a run can do something with now


def queue(settings: Settings, stop: Stop | None = None, stopped: list[Interrupted] | None = None) -> Queue:
    """The huey queue bound to this ledger: a task works one account's due entries.

    `stop` is what the worker's signals go to; a run it stops is noted in `stopped`.
    """
    log = structlog.get_logger("ippbot.worker")

    def work(account: str) -> None:
        # here: `ippbot enqueue` builds the queue, and needs no browser, runner or report
        from bot.commands.run import interrupted_detail
        from bot.run.artifacts import RunDir
        from bot.run.report import write_report
        from bot.run.runner import Runner, RunOptions

        worker_settings = settings.model_copy(update={"email": account})
        with Ledger.open(worker_settings) as own:
            if not any(row.state in WORKABLE for row in own.rows()):
                log.info("worker.nothing_to_do", account=account)
                return
            options = RunOptions(stop=stop) if stop is not None else RunOptions()
            run = RunDir(worker_settings.runs_dir, options.run_id)
            try:
                Runner(worker_settings, own, options).run()
            except Interrupted as exc:
                report = write_report(run)
                detail = interrupted_detail(run.read_summary(), how(stop) if stop else "", report)
                (stopped if stopped is not None else []).append(Interrupted(exc.signal_name, exc.signal_number, detail))
                return
            except IppbotError as exc:  # one line in the log, not huey's traceback: the next trigger tries again
                log.error("worker.run_failed", account=account, error=str(exc))
            if run.summary.is_file():
                write_report(run)

    def unfinished() -> list[str]:
        with Ledger.open(settings) as own:
            pending = any(row.state in UNFINISHED for row in own.rows())
        return [settings.email] if pending else []

    return Queue(make_huey(settings), settings, work, unfinished)


def worker(settings: Settings) -> int:
    """Run the huey consumer: triggered runs, the nightly schedule and the sweeper, until stopped."""
    stop, stopped = Stop(), list[Interrupted]()
    consumer = _consumer(queue(settings, stop, stopped).huey, stop)
    typer.echo(f"ippbot worker: working {settings.email}'s entries from {_where(settings)}; "
               f"nightly at {settings.schedule!r}, a sweep every {settings.sweep_minutes} min; "
               "Ctrl-C or SIGTERM stops it at a safe point")
    with routing(stop):
        consumer.run()
    if not stop.requested:
        return EXIT_OK
    raise stop.interrupted(_stopped_detail(stop, stopped))


def _where(settings: Settings) -> str:
    return settings.queue_url or f"the queue in {Path(settings.data_dir) / QUEUE_FILE}"


def _stopped_detail(stop: Stop, stopped: list[Interrupted]) -> str:
    """What the stop's one line says: the interrupted run's own words, or that none was in progress."""
    if stopped and stopped[-1].detail:
        return stopped[-1].detail
    return f"({how(stop)}): no run was in progress"


def _consumer(huey: Any, stop: Stop) -> Any:
    """huey's consumer, one worker thread, with SIGINT and SIGTERM going to `stop` (both graceful)."""
    from huey.consumer import Consumer

    class StoppingConsumer(Consumer):  # type: ignore[misc]  # huey ships no type information
        def _set_signal_handlers(self) -> None:
            super()._set_signal_handlers()
            for number in SIGNALS:
                signal.signal(number, self._handle_signal)

        def _handle_signal(self, signum: int, frame: FrameType | None) -> None:
            if signum not in SIGNALS:
                super()._handle_signal(signum, frame)
                return
            stop.request(signum)  # the run in progress (a worker's thread) stops at its next safe point
            self._signum, self._restart, self._graceful = signum, False, True

    return StoppingConsumer(huey, workers=1, periodic=True)

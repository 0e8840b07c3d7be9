"""`ippbot run`: work the queue in this process, with a progress bar on a terminal, and write the report."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer

from bot.errors import EXIT_FAILED, EXIT_OK
from bot.run.artifacts import RunDir
from bot.run.preflight import check_data_dir
from bot.run.report import write_report
from bot.run.runner import Runner, RunOptions
from bot.settings import Settings
from bot.store.ledger import Ledger
from bot.store.queue import UNFINISHED
from bot.store.records import Record

NOT_DONE = ("failed", "dead", "needs_human", "unknown")


def run(settings: Settings, options: RunOptions) -> int:
    """Work the queue in this process until it is empty or the limit is reached."""
    check_data_dir(settings)
    with Ledger.open(settings) as ledger:
        watched = options.progress is None and sys.stdout.isatty()  # a person watches: a bar, not log lines
        with _progress_bar(ledger, watched) as bar:
            if watched:
                options.progress = bar
                options.console_level = options.console_level or "warning"
            summary = Runner(settings, ledger, options).run()
        report = write_report(RunDir(settings.runs_dir, options.run_id))
    worked = summary.entries
    bad = [e for e in worked if e.state in NOT_DONE]
    counts = ", ".join(f"{n} {state}" for state, n in summary.counts.items() if n)
    typer.echo(f"run {summary.run_id}: {len(worked)} entries worked, {len(bad)} not done; ledger: {counts}")
    typer.echo(f"report: {report}")
    return EXIT_FAILED if bad else EXIT_OK


@contextmanager
def _progress_bar(ledger: Ledger, shown: bool) -> Iterator[Callable[[Record], None]]:
    """A progress bar over the entries due, advanced once per entry worked (nothing when not shown)."""
    if not shown:
        yield lambda _record: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    total = sum(1 for row in ledger.rows() if row.state in UNFINISHED and row.state != "waiting")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task("filing", total=total)

        def advance(record: Record) -> None:
            progress.update(task, advance=1, description=f"{record.state:<10} {record.key[:40]}")

        yield advance

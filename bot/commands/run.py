"""The operator's batch commands behind the CLI: enqueue, run, status, sync, worker.

Each takes the `Settings` the CLI built and returns the exit code, printing what an operator
reads: one line of outcome, the report's path, or JSON for scripts.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from pydantic import TypeAdapter

from bot.errors import EXIT_FAILED, EXIT_OK
from bot.settings import Settings
from bot.store.batch import load_batches
from bot.store.ledger import Ledger, Record, StatusRow

# The browser, the queue, the report and httpx are imported by the commands that use them:
# `ippbot status` needs none of them (0.2 s of its 1 s over 10,000 entries; docs/BENCHMARKS.md).
if TYPE_CHECKING:
    from bot.run.runner import RunOptions
    from bot.store.queue import Queue

NOT_DONE = ("failed", "dead", "needs_human", "unknown")
SHOWN = 5


def enqueue(settings: Settings, files: list[Path]) -> int:
    """Validate every file, then add all their entries in one transaction, and trigger a worker."""
    from bot.run.preflight import check_data_dir

    entries = load_batches(files)
    check_data_dir(settings)
    with Ledger.open(settings) as ledger:
        added, skipped = ledger.add(entries, account=settings.email)  # the configured account files them
        if added:
            queue(settings).trigger(settings.email)
    typer.echo(f"enqueued {added} entries, skipped {skipped} already in the ledger")
    return EXIT_OK


def run(settings: Settings, options: RunOptions) -> int:
    """Work the queue in this process until it is empty or the limit is reached."""
    from bot.run.artifacts import RunDir
    from bot.run.preflight import check_data_dir
    from bot.run.report import write_report
    from bot.run.runner import Runner

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

    from bot.store.queue import UNFINISHED

    total = sum(1 for row in ledger.rows() if row.state in UNFINISHED and row.state != "waiting")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task("filing", total=total)

        def advance(record: Record) -> None:
            progress.update(task, advance=1, description=f"{record.state:<10} {record.key[:40]}")

        yield advance


def status(settings: Settings, as_json: bool) -> int:
    """Every entry with its state, attempts, portal reference and last error."""
    with Ledger.open(settings) as ledger:
        rows = ledger.rows()
    if as_json:
        typer.echo(TypeAdapter(list[StatusRow]).dump_json(rows).decode())  # 4x faster than json.dumps over 10,000
        return EXIT_OK
    for row in rows:
        extra = row.portal_ref or ""
        extra += f" ({row.portal_status})" if row.portal_status else ""
        extra += f" - {row.error}" if row.error and row.state != "confirmed" else ""
        typer.echo(f"{row.state:<12} {row.kind:<9} {row.attempts:>2}  {row.key}  {extra}")
    return EXIT_OK


def sync_command(settings: Settings) -> int:
    """Read the portal back into the ledger and say what changed."""
    from bot.run.sync import sync

    with Ledger.open(settings) as ledger:
        result = sync(settings, ledger)
    waiting = result.counter_notices
    typer.echo(f"synced {len(result.iprs)} IPRs and {len(result.complaints)} complaints; "
               f"{result.updated} entries updated; {len(waiting)} counter-notices wait for an answer")
    for number, refs in result.duplicate_iprs.items():
        typer.echo(f"  warning: the portal holds IPR {number} {len(refs)} times ({', '.join(refs)}); "
                   "a person should withdraw the extra ones")
    for reference, url in waiting[:SHOWN]:
        typer.echo(f"  counter-notice: {reference} {url}")
    if len(waiting) > SHOWN:
        typer.echo(f"  ... and {len(waiting) - SHOWN} more (ippbot status, or the portal's complaint pages)")
    return EXIT_OK


def queue(settings: Settings) -> Queue:
    """The huey queue bound to this ledger: a task works one account's due entries."""
    from bot.run.runner import Runner
    from bot.store.queue import UNFINISHED, Queue, make_huey

    def work(account: str) -> None:
        worker_settings = settings.model_copy(update={"email": account})
        with Ledger.open(worker_settings) as own:
            Runner(worker_settings, own).run()

    def unfinished() -> list[str]:
        with Ledger.open(settings) as own:
            pending = any(row.state in UNFINISHED for row in own.rows())
        return [settings.email] if pending else []

    return Queue(make_huey(settings), settings, work, unfinished)


def worker(settings: Settings) -> int:
    """Run the huey consumer: triggered runs, the nightly schedule and the sweeper."""
    from huey.consumer import Consumer

    Consumer(queue(settings).huey, workers=1, periodic=True).run()
    return EXIT_OK

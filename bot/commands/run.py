"""`ippbot run`: work the queue in this process, with a progress bar on a terminal, and write the report.

`ippbot run --dry-run` works each due entry up to its final click and no further (`bot.run.dryrun`):
it prints what it would have filed, entry by entry, and exits 1 when some entry could not be filled.

With an accounts file (`IPPBOT_ACCOUNTS_FILE`) it works every account in turns (`bot.run.turns`),
each turn a run with its own report, and then writes the all-accounts page (`all accounts: PATH`);
`--account EMAIL` narrows it to one.

Ctrl-C and SIGTERM stop the run at a safe point (`bot.run.interrupts`): the report is written and
says so, one line on stderr names what was left in flight and that the next run settles it, and
the exit code is 130 (SIGINT) or 143 (SIGTERM).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.accounts import account_sources
from bot.commands.report import all_accounts_page
from bot.errors import EXIT_ENVIRONMENT, EXIT_FAILED, EXIT_OK, ConfigError, EnvironmentProblem, Interrupted
from bot.run.artifacts import EntryResult, RunDir, RunSummary
from bot.run.dryrun import DryRunner, dry_run_lines, filled_all
from bot.run.interrupts import handling_signals, how
from bot.run.notify import notify_run
from bot.run.pause import needs_window, tell_operator
from bot.run.preflight import check_data_dir
from bot.run.prune import prune_runs
from bot.run.report import write_report
from bot.run.runner import Runner, RunOptions
from bot.run.turns import Turn, take_turns
from bot.settings import Settings
from bot.store.ledger import Ledger
from bot.store.queue import UNFINISHED
from bot.store.records import Record
from bot.store.states import HELD, State

if TYPE_CHECKING:
    from rich.console import Console

IN_FLIGHT = ("claimed", "submitting", "unknown")  # what an interrupted entry is left as
SHOWN_KEYS = 3  # keys named in the interrupt's line; the rest are counted


def run(settings: Settings, options: RunOptions, account: str | None = None) -> int:
    """Work the queue in this process until it is empty or the limit is reached: the configured account's,
    or with an accounts file every account's in turn (`bot.run.turns`), `account` alone when given."""
    check_data_dir(settings)
    if (line := needs_window(settings)) is not None:
        tell_operator(line)
    with Ledger.open(settings) as ledger, handling_signals(options.stop):
        watched = options.progress is None and sys.stdout.isatty()  # a person watches: a bar, not log lines
        with progress_bar(ledger, watched) as bar:
            if watched:
                options.progress = bar
                options.console_level = options.console_level or "warning"
            if settings.accounts_file is None:  # one account: `--account` may only name it
                account_sources(settings, account)
                return _ended(_one_run(settings, ledger, options))
            turns = _turns(settings, ledger, options, account)
            if not options.dry_run and (every := all_accounts_page(settings, ledger)) is not None:
                typer.echo(f"all accounts: {every}")
            return _ended_turns(turns)


def _one_run(settings: Settings, ledger: Ledger, options: RunOptions) -> RunSummary:
    """One run of one account: its summary and report, its lines; on a stop, the report and the one line."""
    run_dir = RunDir(settings.runs_dir, options.run_id)
    try:
        summary = (DryRunner if options.dry_run else Runner)(settings, ledger, options).run()
    except Interrupted as stopped:  # the summary is written: the report says so, and one line what was left
        report = write_report(run_dir, ledger=ledger, account=settings.email)
        stopped_summary = run_dir.read_summary()
        detail = (dry_run_interrupted(how(options.stop), report) if stopped_summary.dry_run
                  else interrupted_detail(stopped_summary, how(options.stop), report))
        _after(settings, stopped_summary, report)
        raise Interrupted(stopped.signal_name, stopped.signal_number, detail) from None
    report = write_report(run_dir, ledger=ledger, account=settings.email)
    for line in dry_run_lines(summary) if summary.dry_run else [summary_line(summary)]:
        typer.echo(line)
    typer.echo(f"report: {report}")
    _after(settings, summary, report)
    return summary


def _after(settings: Settings, summary: RunSummary, report: Path) -> None:
    """After a run: tell the operator (mail, webhook; not for a dry run) and delete run folders past
    `IPPBOT_KEEP_RUNS_DAYS`."""
    if not summary.dry_run:
        for problem in notify_run(settings, summary, report).problems:
            typer.echo(f"ippbot: could not notify: {problem}", err=True)
    prune_runs(settings.runs_dir, settings.keep_runs_days, keep=summary.run_id)


def _turns(settings: Settings, ledger: Ledger, options: RunOptions, only: str | None) -> list[Turn]:
    """Every account (or `only`) in turns, each turn a run of its own with its lines and report."""
    def work(of: Settings, limit: int, run_id: str) -> RunSummary:
        typer.echo(f"account {of.email}:")
        return _one_run(of, ledger, replace(options, limit=limit, run_id=run_id))

    sources = account_sources(settings, only)
    turns = take_turns(sources, work, options.run_id, options.limit, has_work=ledger.has_work)
    if not turns:
        typer.echo(f"nothing to work for {plural(len(sources), 'account', 'accounts')}; ledger: "
                   + ledger_counts(ledger.counts()))
    for turn in turns:
        if turn.problem is not None:
            typer.echo(f"ippbot: {turn.line}", err=True)
    return turns


def _ended(summary: RunSummary) -> int:
    if summary.dry_run:
        return EXIT_OK if filled_all(summary) else EXIT_FAILED
    done = all(e.state == "confirmed" for e in summary.entries) and summary.held_until is None
    return EXIT_OK if done else EXIT_FAILED  # an account the portal holds has work left undone


def _ended_turns(turns: list[Turn]) -> int:
    """3 when an account's environment was wrong (a missing secret, no portal), else as one run's."""
    if any(isinstance(t.problem, ConfigError | EnvironmentProblem) for t in turns):
        return EXIT_ENVIRONMENT
    codes = [_ended(t.summary) if t.summary is not None else EXIT_FAILED for t in turns]
    return max(codes, default=EXIT_OK)


def summary_line(summary: RunSummary) -> str:
    """The run in one line, as it always read (`N entries worked, M not done; ledger: ...`, which cron logs
    are searched for), with the entries settled from an earlier run counted, and how those not done ended."""
    worked = summary.entries
    head = f"run {summary.run_id}: {plural(len(worked), 'entry', 'entries')} worked"
    reconciled = sum(e.reconciled for e in worked)
    head += f" ({reconciled} reconciled from an earlier run)" if reconciled else ""
    not_done = [e for e in worked if e.state != "confirmed"]
    head += f", {len(not_done)} not done"
    if not_done:
        ended = ", ".join(f"{n} {state}" for state, n in _states(not_done).items())
        later = [e.next_try_at for e in not_done if e.state == "pending" and e.next_try_at]
        ended += f", the first tried again from {min(later)}" if later else ""
        head += f" ({ended})"
    counts = ledger_counts(summary.counts)
    held = (f"; the portal asked this account to wait until {summary.held_until} ({summary.held_why}): "
            "nothing is sent for it before then, and the next run goes on" if summary.held_until else "")
    return f"{head}; ledger: {counts}{held}"


def ledger_counts(counts: Mapping[State, int] | Mapping[str, int]) -> str:
    """The ledger's entries per state as the run's lines write them: "3 confirmed, 1 failed", or "empty"."""
    return ", ".join(f"{n} {state}" for state, n in counts.items() if n) or "empty"


def interrupted_detail(summary: RunSummary, asked: str, report: Path) -> str:
    """What the interrupt's one line says after "interrupted by SIGINT": how it was asked, what was left
    in flight, what was not started, that the next run settles it, and where the report is."""
    left = [e for e in summary.entries if e.state in IN_FLIGHT]
    named = ", ".join(f"{e.key} ({e.state})" for e in left[:SHOWN_KEYS])
    named += f" and {len(left) - SHOWN_KEYS} more" if len(left) > SHOWN_KEYS else ""
    waiting = sum(n for state, n in summary.counts.items() if state in UNFINISHED and state not in HELD)
    unstarted = max(waiting - len(left), 0)
    rest = plural(unstarted, "entry", "entries") + " not worked yet"
    it = "it" if len(left) == 1 else "them"
    if left and unstarted:
        what = f"left {named}, and {rest}: the next `ippbot run` settles {it} first, then works the rest"
    elif left:
        what = f"left {named}: the next `ippbot run` settles {it}"
    elif unstarted:
        what = f"no entry was in flight; {rest}: the next `ippbot run` works {'it' if unstarted == 1 else 'them'}"
    else:
        what = "no entry was in flight, and none is left to work"
    asked_by = f"({asked}) " if asked else ""
    return f"{asked_by}at a safe point: {what}; report: {report}"


def dry_run_interrupted(asked: str, report: Path) -> str:
    """The interrupt's line for a dry run: it left nothing in flight, as it files nothing and moves no entry."""
    asked_by = f"({asked}) " if asked else ""
    return f"{asked_by}at a safe point: a dry run, so nothing was filed and no entry moved; report: {report}"


def plural(n: int, one: str, many: str) -> str:
    """`1 entry`, `2 entries`."""
    return f"{n} {one if n == 1 else many}"


def _states(entries: list[EntryResult]) -> dict[str, int]:
    """How many entries ended in each state, "back in line" (pending) last, so its time can follow it."""
    counts: dict[str, int] = {}
    for entry in sorted(entries, key=lambda e: e.state == "pending"):
        label = "back in line" if entry.state == "pending" else entry.state
        counts[label] = counts.get(label, 0) + 1
    return counts


@contextmanager
def progress_bar(ledger: Ledger, shown: bool, *,
                 console: Console | None = None) -> Iterator[Callable[[Record], None]]:
    """A progress bar over the entries due, advanced once per entry (nothing when not shown).

    Entries, not attempts: an entry worked again (reconciled, then filed) moves the bar once. Keys
    are shown as typed: no rich markup, no emoji codes (`ipr:copyright:CN:1` stays as it is).
    """
    if not shown:
        yield lambda _record: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    total = sum(1 for row in ledger.rows() if row.state in UNFINISHED and row.state not in HELD)
    columns = (TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    screen = console or Console(emoji=False, markup=False, highlight=False)
    seen: set[str] = set()
    with Progress(*columns, console=screen, transient=False) as progress:
        task = progress.add_task("filing", total=total)

        def advance(record: Record) -> None:
            step = 0 if record.key in seen else 1
            seen.add(record.key)
            progress.update(task, total=max(total, len(seen)), advance=step,
                            description=f"{record.state:<10} {record.key[:40]}")

        yield advance

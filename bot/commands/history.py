"""`ippbot history KEY`: an entry's history: every move of its state, when and why, and each attempt's artifacts.

The moves are the ledger's ``transitions`` rows, oldest first; above them the entry as it
stands, what its state means and what the operator does about it (`bot.store.states`). The
artifacts are what each run's ``summary.json`` names for the entry (screenshot, trace, HAR,
under ``DATA_DIR/runs/<run-id>/``), a file a later clean-up removed marked as gone.

Exit codes: 0, or 2 for a key the ledger does not hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import typer
from pydantic import ValidationError

from bot.errors import EXIT_OK, EXIT_USAGE, UnknownEntry
from bot.run.artifacts import EntryResult, RunSummary
from bot.settings import Settings
from bot.store.ledger import Ledger
from bot.store.states import MEANS, OPERATOR_DOES

ARTIFACTS = ("screenshot", "trace", "har")


def history(settings: Settings, key: str) -> int:
    """Print entry `key`'s state, its moves and its runs' artifacts; the exit code."""
    with Ledger.open(settings) as ledger:
        try:
            record = ledger.get(key)
        except UnknownEntry as exc:
            typer.echo(f"ippbot: {exc}", err=True)
            return EXIT_USAGE
        moves = ledger.history(key)
    state = record.state + (f" ({record.human_reason.replace('_', ' ')})" if record.human_reason else "")
    ref = f", portal reference {record.portal_ref}" if record.portal_ref else ""
    typer.echo(f"{key}: {record.kind}, {state}, {record.attempts} attempts{ref}; added from {record.source}")
    typer.echo(f"  {record.state}: {MEANS[record.state]}")
    typer.echo(f"  what to do: {OPERATOR_DOES[record.state]}")
    if record.error and record.state != "confirmed":
        typer.echo(f"  last error: {record.error}")
    typer.echo("moves:")
    for move in moves:
        typer.echo(f"  {_when(move.at)}  {move.from_state or '(new)':>11} -> {move.to_state:<11}  {move.detail}")
    runs = list(_runs_of(settings.runs_dir, key))
    typer.echo("artifacts:" if runs else "artifacts: none kept by any run in " + str(settings.runs_dir))
    for run_dir, result in runs:
        error = f": {result.error}" if result.error else ""
        typer.echo(f"  run {run_dir.name}: {result.state} after attempt {result.attempts}{error}")
        for name in ARTIFACTS:
            if relative := getattr(result, name):
                path = (run_dir / relative).absolute()
                typer.echo(f"    {name}: {path}" + ("" if path.exists() else " (gone)"))
    return EXIT_OK


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _runs_of(runs_dir: Path, key: str) -> Iterator[tuple[Path, EntryResult]]:
    """Each run (oldest first) whose summary has a result for `key`, with that result."""
    needle = json.dumps(key, ensure_ascii=False)  # how the key appears in a summary, to skip the others unparsed
    for summary in sorted(runs_dir.glob("*/summary.json")):
        try:
            text = summary.read_text(encoding="utf-8")
            if needle not in text:
                continue
            results = RunSummary.model_validate_json(text).entries
        except (OSError, ValidationError):  # a run still writing, or a summary from another version
            continue
        for result in results:
            if result.key == key:
                yield summary.parent, result

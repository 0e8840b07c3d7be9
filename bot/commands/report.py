"""`ippbot report`: write a run's HTML and JSON report (the latest run unless named), with the account's standing."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.errors import EXIT_OK
from bot.run.report import find_run, write_report
from bot.settings import Settings
from bot.store.ledger import Ledger


def report(settings: Settings, run_id: str | None, out: Path | None) -> int:
    """Write `report.html`, `report.json` (and `summary.json` beside them); print the page's and summary's paths."""
    with Ledger.open(settings) as ledger:
        page = write_report(find_run(settings.runs_dir, run_id), out, ledger=ledger, account=settings.email)
    typer.echo(f"report: {page}")
    typer.echo(f"summary: {page.parent / 'summary.json'}")
    return EXIT_OK

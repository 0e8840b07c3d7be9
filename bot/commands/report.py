"""`ippbot report`: write a run's HTML and JSON report (the latest run unless one is named)."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.errors import EXIT_OK
from bot.run.report import find_run, write_report
from bot.settings import Settings


def report(settings: Settings, run_id: str | None, out: Path | None) -> int:
    """Write `report.html` (and `summary.json` beside it) and print both paths."""
    page = write_report(find_run(settings.runs_dir, run_id), out)
    typer.echo(f"report: {page}")
    typer.echo(f"summary: {page.parent / 'summary.json'}")
    return EXIT_OK

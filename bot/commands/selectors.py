"""`ippbot selectors check`: every selector file against the live portal, one line per key that fails."""

from __future__ import annotations

import typer

from bot.errors import EXIT_FAILED, EXIT_OK
from bot.run.selectors_check import check_selectors
from bot.settings import Settings


def check(settings: Settings) -> int:
    """Print the check's lines; 0 when every checked key matched as expected, 1 otherwise."""
    report = check_selectors(settings)
    for line in report.lines():
        typer.echo(line)
    return EXIT_OK if report.ok else EXIT_FAILED

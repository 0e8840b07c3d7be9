"""`ippbot enqueue`: validate batch files, against each other and what the ledger knows, then add their entries.

A complaint whose IPR none of the files brings is checked against the ledger's IPR entries and
the account's IPRs on the portal as `ippbot sync` last read them (filed by hand too); an IPR
known from none of them is bad input. All or nothing: bad input exits 2 and adds nothing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from bot.commands.worker import queue
from bot.errors import EXIT_OK
from bot.run.preflight import check_data_dir
from bot.settings import Settings
from bot.store.batch import load_batches
from bot.store.ledger import Ledger


def enqueue(settings: Settings, files: list[Path]) -> int:
    """Validate every file, then add all their entries in one transaction, and trigger a worker."""
    check_data_dir(settings)
    with Ledger.open(settings) as ledger:
        today = date.today()
        entries = load_batches(files, today=today, known=lambda numbers: ledger.known_iprs(
            numbers, account=settings.email, today=today))
        done = ledger.enqueue(entries, account=settings.email)  # the configured account files them
        if done.added or done.corrected:
            queue(settings).trigger(settings.email)
    for corrected in done.corrected:
        typer.echo(f"{corrected.source} corrects {corrected.key}: {corrected.then}")
    added, skipped = done.added, done.skipped
    typer.echo(f"enqueued {added} {'entry' if added == 1 else 'entries'}, skipped {skipped} already in the ledger"
               + (f", corrected {len(done.corrected)}" if done.corrected else ""))
    return EXIT_OK

"""`ippbot enqueue`: validate batch files, then add their entries to the ledger in one transaction."""

from __future__ import annotations

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
    entries = load_batches(files)
    check_data_dir(settings)
    with Ledger.open(settings) as ledger:
        added, skipped = ledger.add(entries, account=settings.email)  # the configured account files them
        if added:
            queue(settings).trigger(settings.email)
    typer.echo(f"enqueued {added} {'entry' if added == 1 else 'entries'}, skipped {skipped} already in the ledger")
    return EXIT_OK

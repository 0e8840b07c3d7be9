"""`ippbot enqueue`: validate batch files, against each other and what the ledger knows, then add their entries.

A complaint whose IPR none of the files brings is checked against the ledger's IPR entries and
the account's IPRs on the portal as `ippbot sync` last read them (filed by hand too); an IPR
known from none of them is bad input. All or nothing: bad input exits 2 and adds nothing.

Each entry is filed by its file's `account:`, else `--account`, else the configured account; an
account that is not configured (`IPPBOT_ACCOUNTS_FILE`, or `IPPBOT_EMAIL` without one) is bad input.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from bot.accounts import configured_emails, unknown_account
from bot.commands.worker import queue
from bot.errors import EXIT_OK, InputError
from bot.models import Entry, KnownIpr
from bot.run.preflight import check_data_dir
from bot.settings import Settings
from bot.store.batch import load_batches
from bot.store.ledger import Ledger


def enqueue(settings: Settings, files: list[Path], account: str | None = None) -> int:
    """Validate every file, then add all their entries in one transaction, and trigger a worker per account."""
    check_data_dir(settings)
    configured = configured_emails(settings)
    with Ledger.open(settings) as ledger:
        today = date.today()

        def known(of: str | None, numbers: set[str]) -> dict[str, list[KnownIpr]]:
            return ledger.known_iprs(numbers, account=of or settings.email, today=today)

        entries = load_batches(files, today=today, known=known, account=account, default_account=settings.email)
        _refuse_unknown_accounts(settings, entries, configured)
        done = ledger.enqueue(entries, account=settings.email)  # entries naming no account: the configured one
        # a PostgreSQL ledger queued the new entries' jobs in its own transaction (bot.store.fleet); a correction's
        # move back to pending queues none there, and the embedded queue is triggered here for both
        if done.corrected or (done.added and not ledger.queues_jobs):
            for email in dict.fromkeys(e.account or settings.email for e in entries):
                queue(settings).trigger(email)
    for corrected in done.corrected:
        typer.echo(f"{corrected.source} corrects {corrected.key}: {corrected.then}")
    added, skipped = done.added, done.skipped
    typer.echo(f"enqueued {added} {'entry' if added == 1 else 'entries'}, skipped {skipped} already in the ledger"
               + (f", corrected {len(done.corrected)}" if done.corrected else ""))
    return EXIT_OK


def _refuse_unknown_accounts(settings: Settings, entries: list[Entry], configured: list[str]) -> None:
    """`InputError` (exit 2, nothing added) naming each file whose account ippbot is not configured for."""
    unknown: dict[str, str] = {}
    for entry in entries:
        if entry.account and entry.account not in configured:
            unknown.setdefault(entry.account, entry.source.split(":", 1)[0])
    if unknown:
        lines = [f"{source}: account: {unknown_account(settings, email, configured)}"
                 for email, source in unknown.items()]
        raise InputError("bad batch input:\n" + "\n".join(lines))

"""`ippbot report`: write the HTML and JSON report of each account's latest run (or of the run named), with its
standing; with an accounts file of several accounts, the all-accounts page too (`bot.run.all_accounts`).

`account_report` and `all_accounts_page` are what `ippbot run`, `ippbot sync` and the worker call
to write the same pages after their own work.
"""

from __future__ import annotations

from pathlib import Path

import typer

from bot.accounts import configured_emails
from bot.errors import EXIT_OK, InputError
from bot.run.all_accounts import write_all_accounts
from bot.run.artifacts import latest_run
from bot.run.report import find_run, write_report
from bot.settings import Settings
from bot.store.ledger import Ledger


def report(settings: Settings, run_id: str | None, out: Path | None) -> int:
    """Write `report.html`, `report.json` (and `summary.json` beside them); print the pages' and summaries' paths.

    A run named: its report, on the account that run worked; `out` or one account: the latest run of
    IPPBOT_EMAIL's account. Else each configured account's latest run, then the all-accounts page when
    there are several accounts."""
    with Ledger.open(settings) as ledger:
        if run_id is not None or out is not None or settings.accounts_file is None:
            run = find_run(settings.runs_dir, run_id, None if run_id else settings.email)
            whose = run.read_summary().account or settings.email
            _said(write_report(run, out, ledger=ledger, account=whose))
            return EXIT_OK
        written = [page for email in configured_emails(settings)
                   if (page := account_report(settings.model_copy(update={"email": email}), ledger)) is not None]
        if not written:
            raise InputError(f"no run of any account with a summary.json under {settings.runs_dir}")
        for page in written:
            _said(page)
        if (every := all_accounts_page(settings, ledger)) is not None:
            typer.echo(f"all accounts: {every}")
    return EXIT_OK


def account_report(settings: Settings, ledger: Ledger) -> Path | None:
    """The report of `settings.email`'s latest run, written anew with its standing today; None before its first run."""
    run = latest_run(settings.runs_dir, settings.email)
    return write_report(run, ledger=ledger, account=settings.email) if run is not None else None


def all_accounts_page(settings: Settings, ledger: Ledger) -> Path | None:
    """The all-accounts page, when the accounts file names more than one account; else None."""
    emails = configured_emails(settings)
    return write_all_accounts(settings.runs_dir, ledger, emails) if len(emails) > 1 else None


def _said(page: Path) -> None:
    typer.echo(f"report: {page}")
    typer.echo(f"summary: {page.parent / 'summary.json'}")

"""`ippbot counter-notices`: every listing whose seller's counter-notice waits for the complainant's answer.

From the ledger as the last `ippbot sync` left it (`--sync` reads the portal first): the
complaint's reference, the listing's URL, the seller's chance and statement, and the deadline
with the working days left (Monday to Friday, from today). `--due-within N` keeps those due
within N working days (0: today, or past). With an accounts file it lists every account's (each
object of `--json` names its `account`); `--account EMAIL` narrows it to one.
"""

from __future__ import annotations

import json
from datetime import date

import typer

from bot.accounts import configured_emails, unknown_account
from bot.commands.status import aligned
from bot.commands.sync import sync_command
from bot.errors import EXIT_OK, InputError
from bot.settings import Settings
from bot.store.ledger import Ledger
from bot.store.listings import due_within, working_days_left
from bot.store.records import ListingRow

HEADER = ("COMPLAINT", "DEADLINE", "LEFT", "CHANCE", "URL", "SELLER'S STATEMENT")


def counter_notices(settings: Settings, *, as_json: bool, sync_first: bool, due: int | None,
                    today: date | None = None, account: str | None = None) -> int:
    """List what waits for an answer (reading the portal first with `sync_first`): every configured account's,
    or `account`'s."""
    emails = _accounts(settings, account)
    if sync_first:
        sync_command(settings, quiet=as_json, account=account)
    today = today or date.today()  # the operator's own day: deadlines are dates
    with Ledger.open(settings) as ledger:
        noticed = [row for email in emails for row in ledger.listings(account=email, state="counter_noticed")]
    rows = due_within(noticed, today, due)
    if as_json:
        typer.echo(json.dumps([notice_json(row, today) for row in rows]))
    elif not rows:
        typer.echo("no counter-notice waits for an answer" + (f" within {due} working days" if due is not None
                                                               else "") + " (as the last ippbot sync read them)")
    else:
        for line in aligned([HEADER, *(_cells(row, today) for row in rows)]):
            typer.echo(line)
    return EXIT_OK


def _accounts(settings: Settings, account: str | None) -> list[str]:
    """The emails listed: every configured account's, or `account` (which must be one of them)."""
    known = configured_emails(settings)
    if account is None:
        return known
    wanted = account.strip().lower()
    if wanted not in known:
        raise InputError(unknown_account(settings, wanted, known))
    return [wanted]


def notice_json(row: ListingRow, today: date) -> dict[str, object]:
    """One `--json` object: at least `complaint`, `url`, `deadline` and `statement`."""
    left = working_days_left(today, row.deadline) if row.deadline else None
    return {"complaint": row.complaint, "url": row.url, "deadline": row.deadline.isoformat() if row.deadline else None,
            "working_days_left": left, "chance": row.chance, "statement": row.statement or "",
            "since": row.changed_on.isoformat() if row.changed_on else None, "account": row.account}


def _cells(row: ListingRow, today: date) -> tuple[str, ...]:
    left = str(working_days_left(today, row.deadline)) if row.deadline else "?"
    chance = f"{row.chance} of 3" if row.chance else ""
    return (row.complaint, row.deadline.isoformat() if row.deadline else "unknown", left, chance, row.url,
            row.statement or "")

"""`ippbot sync`: read IPR reviews, complaint and listing states and Good Faith from the portal; say what changed.

Then the counter-notice policy (`bot.run.sync.apply_policy`): a line for each answer it filed, a
reminder for each counter-notice it leaves to the operator (`ask`) that falls due within
`IPPBOT_COUNTER_NOTICE_POLICY_DAYS` working days, and one line when a run holds the account's lease
(the answers wait for the next sync).

With an accounts file it syncs every account in turn (`--account EMAIL`: that one alone), each with
its own credentials (`bot.accounts`); one account that fails never stops the others. Exit codes: 0
every account synced and every policy answer is on the portal; 1 some answer could not be filed;
3 the portal does not answer, or an account's password is missing (after the other accounts).
Each account's report is written again with what the sync read (`report: PATH`), and, with several
accounts, the all-accounts page (`all accounts: PATH`).
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from bot.accounts import account_sources
from bot.commands.report import account_report, all_accounts_page
from bot.commands.standing import standing_line
from bot.errors import EXIT_FAILED, EXIT_OK, IppbotError, exit_code_for
from bot.run.preflight import check_data_dir, check_portal
from bot.run.sync import SyncResult, sync
from bot.settings import Settings
from bot.store.ledger import Ledger
from bot.store.listings import working_days_left

SHOWN = 5  # counter-notices listed by name; the rest are counted


def sync_command(settings: Settings, *, quiet: bool = False, account: str | None = None) -> int:
    """Read the portal back into the ledger for each account (or `account`) and say what changed (a portal
    that does not answer: exit 3); `quiet` says nothing (for a command that syncs first and prints JSON)."""
    check_portal(settings)  # one line with the fix, as `ippbot run` says it, not a browser's error
    check_data_dir(settings)
    sources = account_sources(settings, account)
    several = settings.accounts_file is not None
    with Ledger.open(settings) as ledger:  # one ledger holds every account: opened once for all of them
        codes = [_one_account(email, settings_of, ledger, quiet=quiet, named=several)
                 for email, settings_of in sources]
        if (every := all_accounts_page(settings, ledger)) is not None and not quiet:
            typer.echo(f"all accounts: {every}")
    return max(codes, default=EXIT_OK)


def _one_account(email: str, settings_of: Callable[[], Settings], ledger: Ledger, *, quiet: bool,
                 named: bool) -> int:
    """Sync one account; its problem is one line on stderr and its exit code, never the others' end."""
    if named and not quiet:
        typer.echo(f"account {email}:")
    try:
        settings = settings_of()
        result = sync(settings, ledger, say=lambda line: typer.echo(line, err=True))
        page = account_report(settings, ledger)
    except IppbotError as exc:  # a missing secret, no browser, the portal gone: this account's line and code
        if not named:
            raise  # one account: the command ends as it always did
        typer.echo(f"ippbot: {exc}" if str(exc).startswith("account ") else f"ippbot: account {email}: {exc}",
                   err=True)
        return exit_code_for(exc)
    if not quiet:
        _say(result)
        typer.echo(f"report: {page}" if page is not None else "report: none yet (the account's first run writes it)")
    return EXIT_OK if all(o.result in {"filed", "already"} for o in result.answered) else EXIT_FAILED


def _say(result: SyncResult) -> None:
    waiting = result.counter_notices
    typer.echo(f"synced {len(result.iprs)} IPRs and {len(result.complaints)} complaints; "
               f"{result.updated} entries updated; {result.listings_changed} listings changed state; "
               f"{len(waiting)} counter-notices wait for an answer")
    if result.standing is not None:
        typer.echo(f"  good faith: {standing_line(result.standing)}")
    for number, refs in result.duplicate_iprs.items():
        typer.echo(f"  warning: the portal holds IPR {number} {len(refs)} times ({', '.join(refs)}); "
                   "a person should withdraw the extra ones")
    for reference, url in waiting[:SHOWN]:
        typer.echo(f"  counter-notice: {reference} {url}")
    if len(waiting) > SHOWN:
        typer.echo(f"  ... and {len(waiting) - SHOWN} more (ippbot counter-notices lists them all)")
    _say_policy(result)


def _say_policy(result: SyncResult) -> None:
    """What the counter-notice policy did, and what it leaves to the operator before the deadline."""
    for outcome in result.answered:
        typer.echo(f"  policy {outcome.target.decision}: {outcome.line}")
    if result.left_for_later:
        typer.echo(f"  policy: {result.left_for_later}")
    for row in result.reminders:
        left = working_days_left(result.today, row.deadline) if row.deadline else None
        when = "today" if left == 0 else f"in {left} working day{'s' if left != 1 else ''}"
        typer.echo(f"  reminder: the counter-notice on {row.url} ({row.complaint}) is due {when} "
                   f"({row.deadline}): answer it with ippbot respond, or the listing is restored")

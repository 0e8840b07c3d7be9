"""`ippbot account register` and `ippbot account login`: the portal account, on the operator's word.

Both say first which account they use when IPPBOT_EMAIL is not set (the mock portal's demo address),
and which options let a person step in when pause-on-failure was asked for without a window.
"""

from __future__ import annotations

import typer

from bot.accounts import accounts, configured_emails
from bot.errors import InputError
from bot.run.account import login_account, register_account
from bot.run.pause import needs_window
from bot.run.preflight import check_portal
from bot.settings import Settings


def chosen(settings: Settings, account: str | None) -> Settings:
    """The settings of `account` (`--account`, of the accounts file), else of the configured account; with an
    accounts file and no `--account`, its only account, or the one line saying to choose."""
    if account is None and settings.accounts_file is not None:
        emails = configured_emails(settings)
        if len(emails) != 1:
            raise InputError(f"the accounts file {settings.accounts_file} has {len(emails)} accounts: "
                             f"choose one with --account ({', '.join(emails)})")
        account = emails[0]
    return accounts(settings, account)[0]


def register(settings: Settings) -> None:
    """Register the configured account (the verification code from the mailbox) and store its session."""
    _say_first(settings)
    register_account(settings, say=typer.echo)


def login(settings: Settings) -> None:
    """Log in with the configured account and store the session in the data dir."""
    _say_first(settings)
    login_account(settings, say=typer.echo)


def _say_first(settings: Settings) -> None:
    check_portal(settings)  # a portal that does not answer is the one line to say
    if settings.email_is_default and settings.accounts_file is None:
        typer.echo(f"ippbot: IPPBOT_EMAIL is not set: using {settings.email}, the mock portal's demo account "
                   "(set IPPBOT_EMAIL in .env for your own)", err=True)
    if (line := needs_window(settings)) is not None:
        typer.echo(line, err=True)

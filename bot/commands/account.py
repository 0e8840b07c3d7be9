"""`ippbot account register` and `ippbot account login`: the portal account, on the operator's word."""

from __future__ import annotations

import typer

from bot.run.account import login_account, register_account
from bot.settings import Settings


def register(settings: Settings) -> None:
    """Register the configured account (the verification code from the mailbox) and store its session."""
    register_account(settings, say=typer.echo)


def login(settings: Settings) -> None:
    """Log in with the configured account and store the session in the data dir."""
    login_account(settings, say=typer.echo)

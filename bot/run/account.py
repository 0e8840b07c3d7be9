"""Account: the services behind `ippbot account register` and `ippbot account login`.

Each checks the portal and the data dir first (`bot.run.preflight`: one line and exit 3 rather
than a browser timeout), opens the command's one browser and one context, runs the flow,
which stores the session (`flows.session`, mode 0600), and prints one line with the
outcome (`bot.run.contexts.command_flow` sets up that browser and page).

The verification code is read from the mock portal's mailbox; against another portal a
headed run with `IPPBOT_PAUSE_ON_FAILURE=true` waits for the operator to type it, as it
waits for them to complete a slider check (`bot.run.pause`).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.retry import build_retrying
from bot.run.contexts import command_flow
from bot.run.preflight import check_data_dir, check_portal
from bot.settings import Settings
from flows.register import mock_mailbox, register
from flows.session import login

Say = Callable[[str], None]


def register_account(settings: Settings, *, say: Say = print) -> str:
    """Register the configured account; "registered", or "existing" when it was there (then logged in)."""
    _preflight(settings)
    with command_flow(settings, "account", logger="ippbot.account") as ctx:
        outcome = register(ctx, mock_mailbox(settings.portal_url))
    where = f"session stored in {settings.session_file}"
    if outcome == "existing":
        say(f"{settings.email} was already registered on {settings.portal_url}: logged in, {where}")
    else:
        say(f"registered {settings.email} on {settings.portal_url} (code verified, identity document sent), {where}")
    return outcome


def login_account(settings: Settings, *, say: Say = print) -> None:
    """Log in with the configured account (retried when the portal falters) and store the session."""
    _preflight(settings)
    with command_flow(settings, "account", logger="ippbot.account") as ctx:
        build_retrying(settings, log=ctx.log)(login, ctx)
    say(f"logged in as {settings.email} on {settings.portal_url}, session stored in {settings.session_file}")


def _preflight(settings: Settings) -> None:
    check_portal(settings)
    check_data_dir(settings)

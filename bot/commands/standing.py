"""`ippbot standing`: the account's Good Faith Program standing as the portal's Good Faith page shows it.

`--account EMAIL` reads that account's (of the accounts file; with an accounts file of one account, that one).
"""

from __future__ import annotations

import json

import typer

from bot.commands.account import chosen
from bot.errors import EXIT_OK
from bot.models import Standing
from bot.run.preflight import check_data_dir, check_portal
from bot.run.sync import read_standing_now
from bot.settings import Settings
from bot.store.ledger import Ledger

THRESHOLDS = "at least 90% takedowns and at most 5% successful counter-notices over the last 3 months"


def standing(settings: Settings, as_json: bool, account: str | None = None) -> int:
    """Read the Good Faith page, keep today's reading, print it (a portal that does not answer: exit 3)."""
    settings = chosen(settings, account)
    check_portal(settings)
    check_data_dir(settings)
    read = read_standing_now(settings)
    with Ledger.open(settings) as ledger:
        ledger.keep_standing(settings.email, read)
    if as_json:
        typer.echo(json.dumps(standing_json(read)))
    else:
        typer.echo(f"good faith: {standing_line(read)}")
    return EXIT_OK


def standing_json(read: Standing) -> dict[str, object]:
    """The `--json` object: `takedown_rate` and `counter_notice_success_rate` in per cent, and `qualifies`."""
    return {"takedown_rate": read.takedown_rate, "counter_notice_success_rate": read.counter_notice_success_rate,
            "qualifies": read.qualifies, "listings": read.listings, "status": read.status}


def standing_line(read: Standing) -> str:
    """One line for the operator."""
    verdict = "qualifies" if read.qualifies else f"does not qualify ({read.status})"
    decided = f" over {read.listings} listings decided" if read.listings is not None else ""
    return (f"takedown rate {read.takedown_rate:g}%, counter-notice success rate "
            f"{read.counter_notice_success_rate:g}%{decided}: {verdict} ({THRESHOLDS})")

"""`ippbot sync`: read IPR reviews, complaint and listing states and Good Faith from the portal; say what changed."""

from __future__ import annotations

import typer

from bot.commands.standing import standing_line
from bot.errors import EXIT_OK
from bot.run.preflight import check_data_dir, check_portal
from bot.run.sync import SyncResult, sync
from bot.settings import Settings
from bot.store.ledger import Ledger

SHOWN = 5  # counter-notices listed by name; the rest are counted


def sync_command(settings: Settings, *, quiet: bool = False) -> int:
    """Read the portal back into the ledger and say what changed (a portal that does not answer: exit 3);
    `quiet` says nothing (for a command that syncs first and prints JSON)."""
    check_portal(settings)  # one line with the fix, as `ippbot run` says it, not a browser's error
    check_data_dir(settings)
    with Ledger.open(settings) as ledger:
        result = sync(settings, ledger)
    if not quiet:
        _say(result)
    return EXIT_OK


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

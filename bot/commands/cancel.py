"""`ippbot cancel KEY...`: the operator gives entries up on purpose; they are never filed.

Each is the ledger's `cancel` move, with the reason in the entry's history. Only where nothing
may be in flight or on the portal: an entry a run holds (claimed, submitting) or that may have
been filed (unknown, a needs_human that cannot tell) is refused with what to do first, and a
confirmed one is on the portal already (withdraw it there). A complaint on a cancelled IPR is
blocked at once.

Exit codes: 0 when every entry is cancelled (or was), 2 for a key the ledger does not hold
(nothing changed), 1 when some could not be cancelled.
"""

from __future__ import annotations

import typer

from bot.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, LedgerError
from bot.settings import Settings
from bot.store.ledger import Ledger

DEFAULT_REASON = "cancelled by the operator"


def cancel(settings: Settings, keys: list[str], reason: str | None = None) -> int:
    """Cancel every entry in `keys`, saying what became of each; the exit code."""
    with Ledger.open(settings) as ledger:
        states = {row.key: row.state for row in ledger.rows()}
        if missing := [key for key in keys if key not in states]:
            typer.echo(f"ippbot: no entry with key {missing[0]!r} in the ledger", err=True)
            return EXIT_USAGE
        refused = 0
        for key in dict.fromkeys(keys):
            if states[key] == "cancelled":
                typer.echo(f"{key}: cancelled already")
                continue
            try:
                ledger.cancel(key, reason or DEFAULT_REASON)
            except LedgerError as exc:
                typer.echo(f"ippbot: {exc}", err=True)
                refused += 1
                continue
            typer.echo(f"{key}: cancelled (was {states[key]}); it will not be filed")
    return EXIT_FAILED if refused else EXIT_OK

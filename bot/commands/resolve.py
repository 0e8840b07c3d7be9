"""`ippbot resolve KEY --filed REF` / `--not-filed`: the operator settles an entry in doubt after looking at the portal.

An entry in doubt is `unknown` (the portal's answer to its submit was lost; the next run would
look it up) or `needs_human` that cannot tell (the portal's records did not say). Filed: it is
confirmed with the portal's reference. Not filed: back in line, attempts counted afresh, and
the next run files it. Either is the ledger's `resolve` move, with a line in the entry's
history. A parked entry sent nothing: it names `ippbot retry` instead.

Exit codes: 0 when settled, 2 for bad usage (neither or both of `--filed` and `--not-filed`)
or a key the ledger does not hold, 1 when the entry is not in doubt.
"""

from __future__ import annotations

import typer

from bot.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, LedgerError, UnknownEntry
from bot.settings import Settings
from bot.store.ledger import Ledger


def resolve(settings: Settings, key: str, filed: str | None, not_filed: bool) -> int:
    """Settle entry `key`: filed as `filed` (the portal's reference), or not filed; the exit code."""
    if (filed is not None) + not_filed != 1 or (filed is not None and not filed.strip()):
        typer.echo("ippbot: resolve takes --filed REF (the portal's reference) or --not-filed, one of them", err=True)
        return EXIT_USAGE
    with Ledger.open(settings) as ledger:
        try:
            was = ledger.get(key)
            record = ledger.resolve(key, filed.strip() if filed else None)
        except UnknownEntry as exc:
            typer.echo(f"ippbot: {exc}", err=True)
            return EXIT_USAGE
        except LedgerError as exc:
            typer.echo(f"ippbot: {exc}", err=True)
            return EXIT_FAILED
    if record.state == "confirmed":
        typer.echo(f"{key}: confirmed as {record.portal_ref} (was {was.state})")
    else:
        typer.echo(f"{key}: back in line, not filed (was {was.state}); the next run files it")
    return EXIT_OK

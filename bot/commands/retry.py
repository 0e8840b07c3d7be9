"""`ippbot retry`: put failed, dead and parked entries back in line, attempts counted afresh; say why blocked ones wait.

By key (`ippbot retry KEY...`) or by state (`--state failed|dead|needs_human|blocked`); with
both, the keys that are in that state. Each entry put back is the ledger's `retry` move, with
a line in its history; the next run (`ippbot run`, or the worker's next sweep) files it. A
needs_human entry that cannot tell whether it was filed is not retried: it names `ippbot
resolve`. A blocked complaint is not moved by hand: its IPR is looked at again (`recheck`), and
each one still blocked says why. With neither keys nor `--state` it says what each state would
take and changes nothing.

Exit codes: 0 when every entry asked for is back in line (or was already), 2 for a key the
ledger does not hold (nothing changed), 1 when some could not be put back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import typer

from bot.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, LedgerError
from bot.settings import Settings
from bot.store.ledger import Ledger
from bot.store.records import StatusRow
from bot.store.states import PARKED

RetryState = Literal["failed", "dead", "needs_human", "blocked"]
SHOWN = 5  # keys listed by name in the summary of what would be taken


def retry(settings: Settings, keys: list[str], state: RetryState | None) -> int:
    """Put the entries named (by key, by state, or both) back in line; the exit code."""
    with Ledger.open(settings) as ledger:
        rows = {row.key: row for row in ledger.rows()}
        if missing := [key for key in keys if key not in rows]:
            typer.echo(f"ippbot: no entry with key {missing[0]!r} in the ledger", err=True)
            return EXIT_USAGE
        if not keys and state is None:
            _would_take(list(rows.values()))
            return EXIT_OK
        asked = [rows[key] for key in dict.fromkeys(keys)] or [r for r in rows.values() if r.state == state]
        if not asked:
            typer.echo(f"nothing is {state}: nothing to retry")
            return EXIT_OK
        for row in (r for r in asked if state is not None and r.state != state):
            typer.echo(f"{row.key}: {row.state}, not {state}: left alone", err=True)
        chosen = [r for r in asked if state is None or r.state == state]
        blocked = [r for r in chosen if r.state == "blocked"]
        done = _retry(ledger, [r for r in chosen if r.state != "blocked"]) + _still_blocked(ledger, blocked)
    typer.echo(f"{done} of {len(asked)} back in line; the next run files them" if done else
               "nothing was put back in line")
    return EXIT_OK if done == len(asked) else EXIT_FAILED


def _retry(ledger: Ledger, rows: Iterable[StatusRow]) -> int:
    """The ledger's `retry` of each entry, saying what became of it; how many are back in line."""
    done = 0
    for row in rows:
        if row.state == "pending":
            typer.echo(f"{row.key}: in line already")
            done += 1
            continue
        try:
            ledger.retry(row.key)
        except LedgerError as exc:
            typer.echo(f"ippbot: {exc}", err=True)
            continue
        typer.echo(f"{row.key}: back in line (was {row.state} after {row.attempts} attempts)")
        done += 1
    return done


def _still_blocked(ledger: Ledger, rows: list[StatusRow]) -> int:
    """Look at the blocked complaints' IPRs again; say why each one still blocked is; how many went on."""
    if not rows:
        return 0
    ledger.recheck()
    done = 0
    for row in rows:
        now = ledger.get(row.key)
        if now.state == "blocked":
            typer.echo(f"{row.key}: still {now.error or 'blocked'}; it goes on by itself once its IPR is approved",
                       err=True)
        else:
            typer.echo(f"{row.key}: {now.state} now ({now.error or 'its IPR is approved'})")
            done += 1
    return done


def _would_take(rows: list[StatusRow]) -> None:
    """What each `--state` would take, by name; nothing changes."""
    by_state = {state: [r.key for r in rows if r.state == state] for state in ("failed", "dead", "blocked")}
    parked = [r.key for r in rows if r.state == "needs_human" and r.human_reason == PARKED]
    cannot_tell = [r.key for r in rows if r.state == "needs_human" and r.human_reason != PARKED]
    typer.echo("ippbot retry takes entries by key (ippbot retry KEY...) or by state (--state ...); "
               "nothing was changed. It would take:")
    typer.echo(f"  --state failed: {_some(by_state['failed'])}")
    typer.echo(f"  --state dead: {_some(by_state['dead'])}")
    typer.echo(f"  --state needs_human: {_some(parked)} parked"
               + (f"; not {_some(cannot_tell)} that cannot tell (ippbot resolve KEY)" if cannot_tell else ""))
    typer.echo(f"  --state blocked: {_some(by_state['blocked'])}, each told why it is still blocked")


def _some(keys: list[str]) -> str:
    """A count and the first few keys: `2 (c-1, c-2)`."""
    if not keys:
        return "0"
    more = f", and {len(keys) - SHOWN} more" if len(keys) > SHOWN else ""
    return f"{len(keys)} ({', '.join(keys[:SHOWN])}{more})"

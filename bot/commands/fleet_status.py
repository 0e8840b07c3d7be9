"""`ippbot status --fleet`: the workers alive (by their heartbeat in the ledger), what each works, and entries per state
per account; `--json` gives it as one object.

Every `ippbot worker` beats its row in the ledger's `workers` table (`bot.commands.worker.Heartbeat`); one
whose last beat is older than three beats (`bot.store.fleet.fleet_times`) is not alive. What a worker works
now is the accounts whose live lease names a run of its host and pid. On a PostgreSQL ledger these are
every host's workers; on the embedded one, this machine's. Plain `ippbot status` shows the same workers
above its table when any is alive.
"""

from __future__ import annotations

import json
from collections import Counter

import typer

from bot.errors import EXIT_OK
from bot.settings import Settings
from bot.store.fleet import fleet_times
from bot.store.leasing import FleetWorker
from bot.store.ledger import Ledger

WORKERS_HEADER = ("WORKER", "HOST", "PID", "CONCURRENCY", "LAST HEARTBEAT", "WORKING")
NO_WORKERS = "no worker alive (start one: ippbot worker)"


def fleet_status(settings: Settings, as_json: bool) -> int:
    """The fleet: workers alive, the accounts each works, entries per state per account."""
    with Ledger.open(settings) as ledger:
        workers = ledger.fleet(fleet_times(settings.lease_ttl_s).alive_s)
        per_account: dict[str, Counter[str]] = {}
        for row in ledger.rows():
            per_account.setdefault(row.account or settings.email, Counter())[row.state] += 1
    if as_json:
        typer.echo(json.dumps({"workers": [worker_json(w) for w in workers],
                               "accounts": {a: dict(sorted(c.items())) for a, c in sorted(per_account.items())}}))
        return EXIT_OK
    for line in worker_lines(workers) or [NO_WORKERS]:
        typer.echo(line)
    typer.echo("")
    for account, counts in sorted(per_account.items()):
        typer.echo(f"{account}: " + ", ".join(f"{n} {state}" for state, n in sorted(counts.items())))
    return EXIT_OK


def worker_json(worker: FleetWorker) -> dict[str, object]:
    """One worker as `--fleet --json` gives it."""
    return {"name": worker.name, "host": worker.host, "pid": worker.pid, "concurrency": worker.concurrency,
            "queue": worker.queue, "started_at": worker.started_at.isoformat(),
            "heartbeat_at": worker.heartbeat_at.isoformat(), "accounts": list(worker.accounts)}


def worker_lines(workers: list[FleetWorker]) -> list[str]:
    """The workers alive as an aligned table (none: no lines)."""
    if not workers:
        return []
    rows = [WORKERS_HEADER, *[(w.name, w.host, str(w.pid), str(w.concurrency),
                               w.heartbeat_at.isoformat(timespec="seconds"), ", ".join(w.accounts) or "idle")
                              for w in workers]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(WORKERS_HEADER))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip() for r in rows]

"""One stub worker of benchmark 8 (`bench/fleet.py`): procrastinate's consumer over the fleet's queue, each job a turn
of the account's entries through the ledger's real transactions with the browser replaced by a wait.

`python -m bench.fleet_stub LEDGER_URL STUB_S`, until SIGTERM.
"""

from __future__ import annotations

import os
import socket
import sys
import time

from bot.store.fleet import FleetQueue
from bot.store.ledger import Ledger

TURN = 2  # entries a job: short jobs, so the queue works hard and no worker waits on a long last job


def main(url: str, stub_s: float) -> None:
    ledger = Ledger(url)
    holder = f"run stub on {socket.gethostname()} pid {os.getpid()}"

    def work(account: str) -> bool:
        token = ledger.acquire_lease(account, holder, 30)
        if token is None:
            return False
        try:
            for _ in range(TURN):
                record = ledger.claim_next(account, holder=holder)
                if record is None:
                    break
                version = ledger.mark_submitting(record.key, version=record.version, token=token).version
                ledger.fence(record.key, holder=holder, token=token, version=version, ttl_s=30)
                time.sleep(stub_s)  # the browser's time: a stub, as a far portal keeps a browser waiting
                ledger.confirm(record.key, f"STUB-{record.key}", version=version)
        finally:
            ledger.release_lease(account, holder)
        return ledger.next_due(account) is not None

    queue = FleetQueue(url, work=work, night=lambda _a: None, morning=lambda: None, unfinished=list, accounts=list,
                       due=lambda _name, _now: False, lease_ttl_s=30)
    queue.consume(1, lambda _signum: None)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))

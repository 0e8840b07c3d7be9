"""Leases: one process at a time works an account; a lease that a killed process of this machine left is taken over.

A lease lasts `IPPBOT_LEASE_TTL_S` (`Settings.lease_ttl_s`, 300 s) unless renewed (a run renews it
before each entry and before each final post, `respond` before each answer), and carries a fencing
token (`bot.store.leasing`) that the run keeps. Its holder is named `run ID on HOST pid PID`, so
that `dead_local_holder` can tell a lease whose process on this machine is gone (killed with -9,
the machine's own crash) from one held by a live process or by another host, which only the
lease's expiry frees.
"""

from __future__ import annotations

import os
import socket

from structlog.typing import FilteringBoundLogger

from bot.errors import AccountBusy
from bot.store.ledger import Ledger

__all__ = ["dead_local_holder", "take_lease"]


def take_lease(ledger: Ledger, account: str, holder: str, ttl_s: float, log: FilteringBoundLogger) -> int:
    """Take `account`'s lease for `holder`: its fencing token. One left by a dead process of this machine is
    taken over. `AccountBusy` when a live holder has it."""
    token = ledger.acquire_lease(account, holder, ttl_s)
    if token is not None:
        return token
    other = ledger.lease_holder(account)
    if other is not None and dead_local_holder(other):
        log.warning("lease.taken_over", account=account, dead_holder=other)
        ledger.release_lease(account, other)
        token = ledger.acquire_lease(account, holder, ttl_s)
        if token is not None:
            return token
    raise AccountBusy(account)


def dead_local_holder(holder: str) -> bool:
    """Whether a lease holder named like ours is a process of this machine that no longer runs."""
    parts = holder.split()
    if len(parts) != 6 or parts[2] != "on" or parts[3] != socket.gethostname() or not parts[5].isdigit():
        return False
    try:
        os.kill(int(parts[5]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False

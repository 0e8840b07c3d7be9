"""Stopping: Ctrl-C and SIGTERM end a command that only talks to the portal (sync, account, selectors check) at once.

`ippbot run` and `ippbot worker` stop at a safe point (`bot.run.interrupts`). The other
portal commands have nothing to leave half-done in the ledger (sync, the selectors check and
`account login` only read or store a session; `account register` is taken up where it stopped
by the next one), so a signal ends them where it lands: `Interrupted` comes out of the Playwright
call in hand, or whatever that call raises because the signal took the browser down is read as
the stop. One line, exit 130 (SIGINT) or 143 (SIGTERM), no traceback, as `run` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.errors import Interrupted
from bot.run.interrupts import Stop, handling_signals, signal_point

__all__ = ["stopped_at_once"]


@contextmanager
def stopped_at_once(command: str) -> Iterator[None]:
    """Route SIGINT and SIGTERM to an immediate stop of `command` for the block, said in one line."""
    stop = Stop()
    detail = f"({command} stopped; nothing is left half-done: run it again)"
    with handling_signals(stop):
        try:
            with stop.interruptible():
                signal_point(command)  # tests only: IPPBOT_TEST_SIGNAL_AT=<command>:SIGINT[:group]
                yield
        except Interrupted:
            raise stop.interrupted(detail) from None
        except Exception:
            if stop.requested:  # it failed because the signal took the browser down
                raise stop.interrupted(detail) from None
            raise

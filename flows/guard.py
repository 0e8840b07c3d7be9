"""Session guard: a flow step that meets an expired session logs in again before its error goes up.

The retry policy then tries the step again, logged in. What happens after a submit whose outcome
is unknown is decided in one place above the flows, `bot.run.attempt`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bot.errors import SessionExpired
from flows.context import FlowContext
from flows.session import login

T = TypeVar("T")


def relogging(ctx: FlowContext, work: Callable[[], T]) -> Callable[[], T]:
    """`work`, logging in again before the error goes up when the session expired."""

    def run() -> T:
        try:
            return work()
        except SessionExpired:
            ctx.log.info("session.expired", entry=ctx.entry)
            login(ctx)
            raise

    return run

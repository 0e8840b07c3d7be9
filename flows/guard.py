"""Submitting exactly once: retries what is safe, logs in again when the session expires, and
reconciles with the portal's own records when the outcome of a submit click is unknown.

Every submission flow starts with a look-up, so after `SubmitOutcomeUnknown` the record is
looked up first: found, it is taken as filed; absent (proof from the portal's own list), the
submission is tried again. The final click itself is never retried blindly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import tenacity

from bot.errors import SessionExpired, SubmitOutcomeUnknown
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


def submit_once(ctx: FlowContext, submit: Callable[[], T], lookup: Callable[[], T | None],
                retrying: tenacity.Retrying, *, reconciles: int = 3) -> T:
    """Run `submit` with retries; after an unknown outcome, `lookup` decides before any new try."""
    for _ in range(reconciles):
        try:
            return retrying(relogging(ctx, submit))
        except SubmitOutcomeUnknown as exc:
            ctx.log.warning("submit.outcome_unknown", entry=ctx.entry, error=str(exc))
            found = retrying(relogging(ctx, lookup))
            ctx.log.info("submit.reconciled", entry=ctx.entry, found=found is not None)
            if found is not None:
                return found
    raise SubmitOutcomeUnknown(f"still unknown after {reconciles} reconciliations", entry=ctx.entry or None)

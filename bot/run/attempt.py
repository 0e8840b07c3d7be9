"""One try at an entry, without a ledger: its flow, and the one path after a submit whose outcome is unknown.

`attempt` runs the entry's flow (`submit_ipr` or `file_complaint`, each of which looks the record
up before it files) under the retry policy, logging in again when the session expires. When the
final submit was clicked and no confirmation came back (`SubmitOutcomeUnknown`, or any error once
`ctx.before_submit` has run), the caller's `on_unknown` is told first (the runner commits
`unknown` there), then `settle` asks the portal's own records: found, it is filed; proven absent,
it may be filed again; a look-up that fails leaves it in doubt. Nothing is ever filed on a guess.
A `LedgerError` after the click is the fence refusing the post (`FlowContext.fence`: the run's lease
passed to another worker): nothing was sent, so it comes out as it is and the run stops.

The runner (`bot.run.runner`) moves the ledger by the `Attempt` it gets back, `ippbot replay`
(`bot.run.replay`) compares it with a recording, and the fault tests drive it: one path for all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tenacity

from bot.errors import LedgerError, SubmitOutcomeUnknown
from bot.models import Complaint, Filed, Ipr
from flows.context import FlowContext
from flows.file_complaint import file_complaint, find_complaint
from flows.guard import relogging
from flows.submit_ipr import find_ipr, submit_ipr


@dataclass(frozen=True)
class Attempt:
    """How one try at an entry ended.

    `filed`: confirmed now (or found by the look-up before filing: `filed.existing`). Else
    `error` ended it; `clicked` says whether the final submit had been clicked. After a click,
    `found` is the portal's reference when its records hold the entry, `absent` is their proof
    that they do not, and `lookup_error` is why neither could be told.
    """

    filed: Filed | None = None
    error: BaseException | None = None
    clicked: bool = False
    found: str | None = None
    absent: bool = False
    lookup_error: BaseException | None = None

    @property
    def in_doubt(self) -> bool:
        """Clicked, and the portal's records could not say whether it was filed."""
        return self.clicked and self.found is None and not self.absent


def attempt(ctx: FlowContext, payload: Ipr | Complaint, retrying: tenacity.Retrying, *,
            on_unknown: Callable[[BaseException], None] | None = None) -> Attempt:
    """File the entry once; after a click with no confirmation, tell `on_unknown`, then `settle`."""
    clicked: list[bool] = []
    before_submit = ctx.before_submit

    def mark_clicked() -> None:
        before_submit()  # the runner commits "submitting" here; the flow clicks only after it returns
        clicked.append(True)

    ctx.before_submit = mark_clicked
    try:
        filed = retrying(relogging(ctx, lambda: _flow(ctx, payload)))
    except Exception as exc:  # the caller decides what any error means; none may lose a click
        if clicked and isinstance(exc, LedgerError):  # the fence refused the post: nothing was sent
            raise
        if not clicked and not isinstance(exc, SubmitOutcomeUnknown):
            return Attempt(error=exc)
        ctx.log.warning("submit.outcome_unknown", entry=ctx.entry, error=str(exc))
        if on_unknown is not None:
            on_unknown(exc)
        return settle(ctx, payload, retrying, exc)
    finally:
        ctx.before_submit = before_submit
    return Attempt(filed=filed)


def settle(ctx: FlowContext, payload: Ipr | Complaint, retrying: tenacity.Retrying,
           error: BaseException) -> Attempt:
    """After a click whose outcome `error` left unknown: what the portal's own records say."""
    try:
        found = retrying(relogging(ctx, lambda: _find(ctx, payload)))
    except Exception as exc:  # a look-up that fails proves nothing: the entry stays in doubt
        ctx.log.warning("entry.reconcile_failed", entry=ctx.entry, error=str(exc))
        return Attempt(error=error, clicked=True, lookup_error=exc)
    ctx.log.info("entry.reconciled", entry=ctx.entry, found=found)
    return Attempt(error=error, clicked=True, found=found, absent=found is None)


def _flow(ctx: FlowContext, payload: Ipr | Complaint) -> Filed:
    if isinstance(payload, Ipr):
        return submit_ipr(ctx, payload)
    return file_complaint(ctx, payload)


def _find(ctx: FlowContext, payload: Ipr | Complaint) -> str | None:
    if isinstance(payload, Ipr):
        return find_ipr(ctx, payload)
    filed = find_complaint(ctx, payload)
    return filed.reference if filed else None

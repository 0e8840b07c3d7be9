"""One try at an entry, without a ledger: its flow, and the portal look-up that settles it.

`file_entry` runs the entry's flow (`submit_ipr` or `file_complaint`) under the retry policy,
logging in again when the session expires; `look_up` asks the portal's own records for the
entry (IPR management, complaint history) the same way, after a submit whose outcome is
unknown. The runner (bot/run/runner.py) moves the ledger around these two, and `ippbot replay`
(bot/run/replay.py) runs them against a recording, so a replay works an entry exactly as a run does.

Neither catches anything: what an error means (retry later, fail, stays in doubt) is the
caller's to decide. `ctx.before_submit` and `ctx.after_click` are the caller's hooks too.
"""

from __future__ import annotations

import tenacity

from bot.models import Complaint, Filed, Ipr
from flows.context import FlowContext
from flows.file_complaint import file_complaint, find_complaint
from flows.guard import relogging
from flows.submit_ipr import find_ipr, submit_ipr


def file_entry(ctx: FlowContext, payload: Ipr | Complaint, retrying: tenacity.Retrying) -> Filed:
    """File the entry (each flow looks it up first) under `retrying`, logging in again when the session expires."""
    return retrying(relogging(ctx, lambda: _flow(ctx, payload)))


def look_up(ctx: FlowContext, payload: Ipr | Complaint, retrying: tenacity.Retrying) -> str | None:
    """The entry's reference on the portal, or None when the portal's own records prove it absent."""
    return retrying(relogging(ctx, lambda: _find(ctx, payload)))


def _flow(ctx: FlowContext, payload: Ipr | Complaint) -> Filed:
    if isinstance(payload, Ipr):
        return submit_ipr(ctx, payload)
    return file_complaint(ctx, payload)


def _find(ctx: FlowContext, payload: Ipr | Complaint) -> str | None:
    if isinstance(payload, Ipr):
        return find_ipr(ctx, payload)
    filed = find_complaint(ctx, payload)
    return filed.reference if filed else None

"""Acting on the wait: a counter-notice answered (with a note and evidence), a complaint or one listing withdrawn.

Each is one final click, sent once (`PortalPage.submit_with`): `ctx.before_submit` runs right
before it, and anything but the portal's own answer after it is `SubmitOutcomeUnknown`. What
the portal's records then say is for the caller to read (`flows.read_status.read_complaint`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.logs import step
from flows.context import FlowContext
from flows.pages.complaint import ComplaintDetail


def answer(ctx: FlowContext, reference: str, url: str, *, accept: bool, note: str = "",
           evidence: Sequence[Path] = ()) -> None:
    """Accept or reject the counter-notice on one listing of complaint `reference`."""
    with step(ctx.log, "answers", "answer", accept=accept):
        ComplaintDetail(ctx).answer(reference, url, accept, note=note, evidence=evidence)


def withdraw(ctx: FlowContext, reference: str, url: str = "") -> None:
    """Withdraw complaint `reference`, or only its listing `url`."""
    with step(ctx.log, "answers", "withdraw", listing=bool(url)):
        detail = ComplaintDetail(ctx)
        if url:
            detail.withdraw_listing(reference, url)
        else:
            detail.withdraw(reference)

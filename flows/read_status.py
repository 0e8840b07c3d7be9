"""Reading the portal back: IPR review outcomes, complaints, each listing, counter-notices waiting."""

from __future__ import annotations

from bot.logs import step
from bot.models import ComplaintStatus, IprStatus
from flows.context import FlowContext
from flows.pages.complaint import ComplaintDetail, History
from flows.pages.ipr import IprManage

FINAL_COMPLAINT = frozenset({"rejected", "closed", "withdrawn"})


def read_iprs(ctx: FlowContext) -> list[IprStatus]:
    """Every IPR of the account with its review status (and rejection reason)."""
    with step(ctx.log, "read_status", "iprs"):
        return IprManage(ctx).search("")


def read_complaints(ctx: FlowContext, *, open_only: bool = False) -> list[ComplaintStatus]:
    """Every complaint with each listing's status; `open_only` skips finished complaints' listings."""
    with step(ctx.log, "read_status", "complaints"):
        history = History(ctx).search("")
        detail = ComplaintDetail(ctx)
        out = []
        for row in history:
            status = detail.status_code("status", row.get("status", ""))
            if open_only and status in FINAL_COMPLAINT:
                out.append(ComplaintStatus(reference=row["reference"], ipr_reference=row.get("ipr", ""),
                                           status=status))
                continue
            out.append(detail.read(row["reference"], row.get("ipr", "")))
        return out


def counter_notices_waiting(complaints: list[ComplaintStatus]) -> list[tuple[str, str]]:
    """(complaint reference, listing URL) for every counter-notice waiting for the complainant."""
    return [(c.reference, li.url) for c in complaints for li in c.listings if li.status == "awaiting_complainant"]


def answer_counter_notice(ctx: FlowContext, reference: str, url: str, *, accept: bool) -> None:
    """Accept or reject the counter-notice on one listing of a complaint."""
    with step(ctx.log, "read_status", "answer_counter_notice", accept=accept):
        ComplaintDetail(ctx).answer(reference, url, accept)

"""Reading the portal back: IPR review outcomes, complaints, each listing, counter-notices waiting, Good Faith."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date

from bot.logs import step
from bot.models import ComplaintStatus, IprStatus, Standing
from flows.context import FlowContext
from flows.pages.complaint import ComplaintDetail, History
from flows.pages.goodfaith import GoodFaith
from flows.pages.ipr import IprManage

FINAL_COMPLAINT = frozenset({"rejected", "closed", "withdrawn"})
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def read_iprs(ctx: FlowContext) -> list[IprStatus]:
    """Every IPR of the account with its review status (and rejection reason)."""
    with step(ctx.log, "read_status", "iprs"):
        return IprManage(ctx).search("")


def read_history(ctx: FlowContext) -> list[dict[str, str]]:
    """Complaint history, one page: each complaint's reference, IPR, status, marketplace and listing count."""
    with step(ctx.log, "read_status", "history"):
        return History(ctx).search("")


def read_complaints(ctx: FlowContext, *, open_only: bool = False,
                    known_final: Collection[str] = ()) -> list[ComplaintStatus]:
    """Every complaint with each listing's status, read from its page.

    Only what may have changed is opened: a finished complaint's page is skipped when `open_only`,
    or when its reference is in `known_final` (read once already, finished); such a complaint comes
    back without listings.
    """
    with step(ctx.log, "read_status", "complaints"):
        history = History(ctx).search("")
        detail = ComplaintDetail(ctx)
        out = []
        for row in history:
            status = detail.status_code("status", row.get("status", ""))
            if status in FINAL_COMPLAINT and (open_only or row["reference"] in known_final):
                out.append(ComplaintStatus(reference=row["reference"], ipr_reference=row.get("ipr", ""),
                                           status=status))
                continue
            out.append(detail.read(row["reference"], row.get("ipr", "")))
        return out


def read_complaint(ctx: FlowContext, reference: str) -> ComplaintStatus:
    """One complaint with every listing, from its page."""
    with step(ctx.log, "read_status", "complaint"):
        return ComplaintDetail(ctx).read(reference)


def read_standing(ctx: FlowContext) -> Standing:
    """The account's Good Faith figures from the portal's Good Faith page."""
    with step(ctx.log, "read_status", "standing"):
        return GoodFaith(ctx).read()


def read_portal_date(ctx: FlowContext) -> date | None:
    """The portal's own date as the page open now shows it (`common.portal_date`), or None where it shows none."""
    shown = ctx.selectors.page("common").get(ctx.page, "portal_date")
    if shown.count() != 1:
        return None
    found = ISO_DATE.search(shown.inner_text())
    return date.fromisoformat(found.group()) if found else None


def counter_notices_waiting(complaints: list[ComplaintStatus]) -> list[tuple[str, str]]:
    """(complaint reference, listing URL) for every counter-notice waiting for the complainant."""
    return [(c.reference, li.url) for c in complaints for li in c.listings if li.state == "counter_noticed"]


def answer_counter_notice(ctx: FlowContext, reference: str, url: str, *, accept: bool) -> None:
    """Accept or reject the counter-notice on one listing."""
    with step(ctx.log, "read_status", "answer_counter_notice", accept=accept):
        ComplaintDetail(ctx).answer(reference, url, accept)

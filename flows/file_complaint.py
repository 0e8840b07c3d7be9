"""The complaint flow: look for the same listings under the same IPR in the history; only if they
are not there, fill the form, read every URL's check result, and file.
"""

from __future__ import annotations

from bot.errors import PortalRejected
from bot.logs import step
from bot.models import Complaint, Filed, Refusal
from flows.context import FlowContext
from flows.pages.complaint import ComplaintCheck, ComplaintDetail, ComplaintForm, History


def find_complaint(ctx: FlowContext, complaint: Complaint) -> Filed | None:
    """The complaint already filed for these listings under this IPR, if there is one."""
    with step(ctx.log, "file_complaint", "lookup"):
        rows = History(ctx).search(complaint.listings[0])
        wanted = set(complaint.listings)
        for row in rows:
            if complaint.ipr not in row.get("ipr", ""):
                continue
            filed = ComplaintDetail(ctx).read(row["reference"])
            if {li.url for li in filed.listings} == wanted:
                refused = tuple(Refusal(url=li.url, reason=li.note) for li in filed.listings if li.status == "refused")
                return Filed(reference=row["reference"], existing=True, refused=refused)
    return None


def file_complaint(ctx: FlowContext, complaint: Complaint) -> Filed:
    """File one complaint of at most the portal's number of listings; return its reference and refusals."""
    existing = find_complaint(ctx, complaint)
    if existing:
        ctx.log.info("complaint.already_filed", reference=existing.reference)
        return existing
    form = ComplaintForm(ctx)
    with step(ctx.log, "file_complaint", "fill", listings=len(complaint.listings)):
        form.open()
        form.fill_complaint(complaint)
        form.submit_and_verify()
    check = ComplaintCheck(ctx)
    refused = tuple(check.refusals())
    for refusal in refused:
        ctx.log.warning("complaint.listing_refused", url=refusal.url, reason=refusal.reason)
    if check.accepted_count() == 0:
        raise PortalRejected("the portal refused every listing: " + "; ".join(r.reason for r in refused[:3]),
                             entry=ctx.entry or None, step="file_complaint.check", url=ctx.page.url)
    with step(ctx.log, "file_complaint", "submit"):
        check.confirm()
        page = ComplaintDetail(ctx)
        reference = page.confirmation(page.reference, "confirmation")
    ctx.log.info("complaint.filed", reference=reference, refused=len(refused))
    return Filed(reference=reference, refused=refused)


def file_complaints(ctx: FlowContext, complaint: Complaint) -> list[Filed]:
    """File a complaint of any size: more listings than the portal takes become several complaints."""
    return [file_complaint(ctx, part) for part in complaint.chunks()]

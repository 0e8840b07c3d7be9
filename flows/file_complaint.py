"""The complaint flow: look for the same listings under the same IPR in the history; only if they
are not there, fill the form, read every URL's check result, and file.
"""

from __future__ import annotations

from bot.errors import IprNotApproved, IprNotOffered, PortalRejected
from bot.logs import step
from bot.models import Complaint, Filed, Refusal
from flows.context import FlowContext
from flows.pages.complaint import ComplaintCheck, ComplaintDetail, ComplaintForm, History
from flows.pages.ipr import IprManage


def find_complaint(ctx: FlowContext, complaint: Complaint) -> Filed | None:
    """The complaint already filed for these listings under this IPR, if there is one."""
    with step(ctx.log, "file_complaint", "lookup"):
        rows = History(ctx).search(complaint.listings[0])
        wanted = set(complaint.listings)
        for row in rows:
            if not names_ipr(row.get("ipr", ""), complaint):
                continue
            filed = ComplaintDetail(ctx).read(row["reference"])
            if {li.url for li in filed.listings} == wanted:
                refused = tuple(Refusal(url=li.url, reason=li.note) for li in filed.listings if li.status == "refused")
                return Filed(reference=row["reference"], existing=True, refused=refused)
    return None


def file_complaint(ctx: FlowContext, complaint: Complaint) -> Filed:
    """File one complaint of at most the portal's number of listings; return its reference and refusals."""
    existing = None if ctx.absent_at_start else find_complaint(ctx, complaint)  # the run's one read showed none
    if existing:
        ctx.log.info("complaint.already_filed", reference=existing.reference)
        return existing
    form = ComplaintForm(ctx)
    with step(ctx.log, "file_complaint", "fill", listings=len(complaint.listings)):
        form.open()
        try:
            form.fill_complaint(complaint)
        except IprNotOffered as exc:
            review = _in_review(ctx, complaint)
            if review is None:
                raise
            raise review from exc
        form.submit_and_verify()
    check = ComplaintCheck(ctx)
    if (made := check.record()) is not None:
        ctx.record_made(made)  # the check step's own record: "Not submitted" until the final submit
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


def names_ipr(shown: str, complaint: Complaint) -> bool:
    """Whether a history row's IPR column (``name (number)``) is this complaint's IPR."""
    if complaint.on_portal is not None:
        return shown.strip() == complaint.on_portal.label
    return complaint.ipr in shown


def _in_review(ctx: FlowContext, complaint: Complaint) -> IprNotApproved | None:
    """`IprNotApproved` when IPR management shows the complaint's IPR still in review, else None."""
    wanted = complaint.on_portal
    if wanted is None:
        rows = IprManage(ctx).search(complaint.ipr)
    else:  # by its reference; a right without a number is searched for among all of them
        rows = [r for r in IprManage(ctx).search(wanted.registration_number) if r.reference == wanted.reference]
    pending = [r.reference for r in rows if r.status == "pending"]
    if not pending:
        return None
    return IprNotApproved(f"IPR {pending[0]} is still in review; the complaint waits until it is approved "
                          "(then `ippbot sync` wakes it)", entry=ctx.entry or None, step="file_complaint.fill")


def file_complaints(ctx: FlowContext, complaint: Complaint) -> list[Filed]:
    """File a complaint of any size: more listings than the portal takes become several complaints."""
    return [file_complaint(ctx, part) for part in complaint.chunks()]

"""The IPR flow: look the right up in IPR management, and only if it is not there, submit it (or its correction)."""

from __future__ import annotations

from bot.logs import step
from bot.models import Filed, Ipr
from flows.context import FlowContext
from flows.pages.ipr import IprConfirmation, IprForm, IprManage


def find_ipr(ctx: FlowContext, ipr: Ipr) -> str | None:
    """The reference of this IPR when the portal already has it (drafts do not count).

    By its registration number in IPR management; a right without one (an unregistered work) by
    its name there, then by ippbot's marker on the record's own page (`Ipr.marker`). A correction
    (`Ipr.edit_reference`) is there once its record is no longer rejected and shows its number.
    """
    with step(ctx.log, "submit_ipr", "lookup"):
        if ipr.edit_reference:
            return _corrected(ctx, ipr, ipr.edit_reference)
        found = _by_number(ctx, ipr) if ipr.registration_number else _by_marker(ctx, ipr)
    return found[0] if found else None


def _by_number(ctx: FlowContext, ipr: Ipr) -> list[str]:
    rows = IprManage(ctx).search(ipr.registration_number)
    return [r.reference for r in rows if r.registration_number == ipr.registration_number and r.status != "draft"]


def _corrected(ctx: FlowContext, ipr: Ipr, reference: str) -> str | None:
    """`reference` when the portal holds the correction already: the record is back in review (or
    approved) under the corrected number; None while it is still the rejected one."""
    rows = IprManage(ctx).search(ipr.registration_number)
    done = [r for r in rows if r.reference == reference and r.registration_number == ipr.registration_number
            and r.status not in ("rejected", "draft")]
    return reference if done else None


def _by_marker(ctx: FlowContext, ipr: Ipr) -> list[str]:
    rows = IprManage(ctx).search("")
    named = [r.reference for r in rows if not r.registration_number and r.name == ipr.name and r.status != "draft"]
    page = IprConfirmation(ctx)
    return [reference for reference in named if page.shows(reference, ipr.marker)]


def submit_ipr(ctx: FlowContext, ipr: Ipr) -> Filed:
    """Submit one IPR with its documents, unless the portal already has it; return its reference."""
    existing = None if ctx.absent_at_start else find_ipr(ctx, ipr)  # the run's one read showed none
    if existing:
        ctx.log.info("ipr.already_filed", reference=existing)
        return Filed(reference=existing, existing=True)
    form = IprForm(ctx)
    with step(ctx.log, "submit_ipr", "fill", ipr_type=ipr.type, correcting=ipr.edit_reference):
        if ipr.edit_reference:  # a rejected IPR corrected: through its own record's edit form, not as a new IPR
            IprManage(ctx).open_edit(ipr.edit_reference)
        else:
            form.open(type=ipr.type)
        form.fill_ipr(ipr)
    with step(ctx.log, "submit_ipr", "submit"):
        form.submit_ipr()
        page = IprConfirmation(ctx)
        reference = page.confirmation(page.reference, "confirmation")
    ctx.log.info("ipr.filed", reference=reference)
    return Filed(reference=reference)

"""Each portal journey, end to end in Chromium against the served mock portal."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from support import DOCS, IPRS, MockPortal, aliexpress, approved, make_ctx

from bot.errors import IprNotApproved, IprNotOffered
from bot.models import Complaint
from flows.context import FlowContext
from flows.file_complaint import file_complaint, file_complaints
from flows.pages.ipr import IprForm
from flows.read_status import answer_counter_notice, counter_notices_waiting, read_complaints, read_iprs
from flows.session import ensure_session
from flows.submit_ipr import submit_ipr


def test_register_stores_a_private_session(member: FlowContext, portal: MockPortal) -> None:
    """Registration verifies the emailed code, uploads the identity document and keeps the session 0600."""
    account = portal.state()["accounts"][0]
    assert account["status"] == "pending_verification" and account["identity_doc_type"] == "business_registration"
    session = member.settings.session_file
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    assert stat.S_IMODE(session.parent.stat().st_mode) == 0o700


def test_stored_session_is_reused(member: FlowContext, browser: Browser) -> None:
    """A new context with the stored session reaches the User Center without logging in."""
    context = browser.new_context(storage_state=member.settings.session_file)
    page = context.new_page()
    ensure_session(make_ctx(page, member.settings))
    expect(page).to_have_url(member.base_url + "/user")
    context.close()


@pytest.mark.parametrize("kind", sorted(IPRS))
def test_submit_each_ipr_type(member: FlowContext, portal: MockPortal, kind: str) -> None:
    """Each IPR type is submitted with its fields and real files, and its reference read back."""
    filed = submit_ipr(member, IPRS[kind])
    [record] = portal.state()["iprs"]
    assert (record["ref"], record["type"], record["status"]) == (filed.reference, kind, "pending")
    sent = sorted(f["filename"] for f in record["files"])
    assert sent == sorted(Path(p).name for p in IPRS[kind].documents)
    assert record["registration_number"] == IPRS[kind].registration_number


def test_ipr_already_on_the_portal_is_not_filed_again(member: FlowContext, portal: MockPortal) -> None:
    """A second submit of the same IPR finds it in IPR management and files nothing."""
    first = submit_ipr(member, IPRS["trademark"])
    second = submit_ipr(member, IPRS["trademark"])
    assert second.existing and second.reference == first.reference
    assert len(portal.state()["iprs"]) == 1


def test_complaint_reports_refused_urls(member: FlowContext, portal: MockPortal) -> None:
    """URLs the portal refuses at its check are reported with the reason, and the rest are filed."""
    ipr = approved(member, portal)
    listings = (*aliexpress(3), "https://item.taobao.com/item.htm?id=1")
    filed = file_complaint(member, Complaint(platform="aliexpress", ipr=ipr.registration_number,
                                             reason="counterfeit", listings=listings,
                                             evidence=(DOCS / "evidence-comparison.png",)))
    [complaint] = portal.state()["complaints"]
    assert complaint["ref"] == filed.reference and complaint["status"] == "submitted"
    assert [r.url for r in filed.refused] == [listings[3]]
    assert "does not belong to AliExpress" in filed.refused[0].reason
    assert [li["status"] for li in complaint["listings"]] == ["pending"] * 3 + ["refused"]
    assert complaint["evidence"][0]["filename"] == "evidence-comparison.png"


def test_complaint_over_the_limit_is_split(member: FlowContext, portal: MockPortal) -> None:
    """305 listings become two complaints of 300 and 5."""
    ipr = approved(member, portal)
    filed = file_complaints(member, Complaint(platform="aliexpress", ipr=ipr.registration_number,
                                              reason="trademark_misuse", listings=aliexpress(305)))
    sizes = sorted(len(c["listings"]) for c in portal.state()["complaints"])
    assert len(filed) == 2 and sizes == [5, 300]


def test_complaint_already_filed_is_found_in_history(member: FlowContext, portal: MockPortal) -> None:
    """Filing the same listings under the same IPR again records the existing reference."""
    ipr = approved(member, portal)
    complaint = Complaint(platform="aliexpress", ipr=ipr.registration_number, reason="trademark_misuse",
                          listings=aliexpress(4))
    first = file_complaint(member, complaint)
    again = file_complaint(member, complaint)
    assert again.existing and again.reference == first.reference
    assert len(portal.state()["complaints"]) == 1


def test_statuses_and_counter_notice_answer(member: FlowContext, portal: MockPortal) -> None:
    """Review outcomes and listing statuses are read back, and a counter-notice is answered."""
    ipr = approved(member, portal)
    assert [(i.status, i.registration_number) for i in read_iprs(member)] == [("approved", "12345678")]
    filed = file_complaint(member, Complaint(platform="aliexpress", ipr=ipr.registration_number,
                                             reason="trademark_misuse", listings=aliexpress(40)))
    portal.advance(4)
    [status] = read_complaints(member)
    waiting = counter_notices_waiting([status])
    assert status.reference == filed.reference and waiting
    assert {li.status for li in status.listings} == {"removed", "awaiting_complainant"}
    answer_counter_notice(member, filed.reference, waiting[0][1], accept=True)
    listing = next(li for li in portal.state()["complaints"][0]["listings"] if li["url"] == waiting[0][1])
    assert listing["status"] == "restored"


def test_complaint_on_an_ipr_in_review_waits_with_its_own_error(member: FlowContext, portal: MockPortal) -> None:
    """An IPR still in review is named as such, not reported as a selectors problem."""
    submit_ipr(member, IPRS["trademark"])
    complaint = Complaint(platform="aliexpress", ipr=IPRS["trademark"].registration_number,
                          reason="trademark_misuse", listings=aliexpress(2))
    with pytest.raises(IprNotApproved, match="still in review"):
        file_complaint(member, complaint)


def test_complaint_on_an_ipr_the_form_does_not_offer(member: FlowContext, portal: MockPortal) -> None:
    """An IPR the account never filed gets an error that says so and what to check."""
    complaint = Complaint(platform="aliexpress", ipr="99999999", reason="trademark_misuse", listings=aliexpress(2))
    with pytest.raises(IprNotOffered, match="offers no approved IPR '99999999'"):
        file_complaint(member, complaint)


def test_complaint_on_a_doubled_ipr_uses_the_first_approved_copy(member: FlowContext, portal: MockPortal) -> None:
    """Two approved copies of one number: the complaint is filed on the first, not refused."""
    ipr = IPRS["trademark"]
    first = submit_ipr(member, ipr).reference
    form = IprForm(member)  # a second copy past the look-up, as a person filing it by hand would
    form.open(type=ipr.type)
    form.fill_ipr(ipr)
    form.submit_ipr()
    portal.advance(7)
    filed = file_complaint(member, Complaint(platform="aliexpress", ipr=ipr.registration_number,
                                             reason="trademark_misuse", listings=aliexpress(2)))
    complaint = next(c for c in portal.state()["complaints"] if c["ref"] == filed.reference)
    assert complaint["ipr_ref"] == first

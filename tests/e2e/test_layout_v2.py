"""The redesigned portal (`--layout v2`): v1 selectors stop at the first change, naming the selector
file and key, and file nothing; the v2 selectors set (a data edit only) carries every journey.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from support import DOCS, IPRS, MockPortal, aliexpress, make_ctx

from bot.errors import PortalChanged
from bot.models import Complaint
from bot.settings import Settings
from flows.answers import answer, withdraw
from flows.context import FlowContext
from flows.file_complaint import file_complaint
from flows.read_status import answer_counter_notice, counter_notices_waiting, read_complaints, read_iprs
from flows.register import mock_mailbox, register
from flows.session import login
from flows.submit_ipr import submit_ipr

QUICK_MISS_MS = 1500


def v1_selectors(page: Page, settings: Settings) -> FlowContext:
    """A flow context with the v1 selectors on `page`, quick to give up on an element that is not there."""
    return make_ctx(page, settings.model_copy(update={"timeout_ms": QUICK_MISS_MS}))


def test_registration_with_v1_selectors_names_file_and_key(page: Page, v2_settings: Settings,
                                                           portal_v2: MockPortal) -> None:
    """Registering with the v1 selectors stops at the first renamed field and creates no account."""
    with pytest.raises(PortalChanged) as caught:
        register(v1_selectors(page, v2_settings), mock_mailbox(portal_v2.url))
    assert (caught.value.selector_file, caught.value.key) == ("selectors/register.toml", "location")
    assert "selectors/register.toml: location: matches no element" in str(caught.value)
    assert portal_v2.state()["accounts"] == []


def test_login_with_v1_selectors_names_file_and_key(v2_member: FlowContext) -> None:
    """Logging in with the v1 selectors fails on the log-in page's email field."""
    v2_member.page.context.clear_cookies()
    with pytest.raises(PortalChanged) as caught:
        login(v1_selectors(v2_member.page, v2_member.settings))
    assert (caught.value.selector_file, caught.value.key) == ("selectors/login.toml", "email")


def test_ipr_with_v1_selectors_files_nothing(v2_member: FlowContext, portal_v2: MockPortal) -> None:
    """An IPR submitted with the v1 selectors stops at the IPR management look-up and files nothing."""
    with pytest.raises(PortalChanged) as caught:
        submit_ipr(v1_selectors(v2_member.page, v2_member.settings), IPRS["trademark"])
    assert (caught.value.selector_file, caught.value.key) == ("selectors/ipr_manage.toml", "table")
    assert portal_v2.state()["iprs"] == []


def test_complaint_with_v1_selectors_files_nothing(v2_member: FlowContext, portal_v2: MockPortal) -> None:
    """A complaint filed with the v1 selectors stops at the history look-up and files nothing."""
    submit_ipr(v2_member, IPRS["trademark"])
    portal_v2.advance(7)
    complaint = Complaint(platform="aliexpress", ipr=IPRS["trademark"].registration_number,
                          reason="counterfeit", listings=aliexpress(3))
    with pytest.raises(PortalChanged) as caught:
        file_complaint(v1_selectors(v2_member.page, v2_member.settings), complaint)
    assert (caught.value.selector_file, caught.value.key) == ("selectors/history.toml", "table")
    assert portal_v2.state()["complaints"] == []


def test_every_journey_works_with_the_v2_selectors(v2_member: FlowContext, portal_v2: MockPortal) -> None:
    """With the v2 selectors set: every IPR type, a complaint with a refused URL, statuses, a counter-notice."""
    filed = {kind: submit_ipr(v2_member, ipr).reference for kind, ipr in IPRS.items()}
    assert sorted((i["type"], i["ref"]) for i in portal_v2.state()["iprs"]) == sorted(filed.items())
    portal_v2.advance(7)
    assert {(i.reference, i.status) for i in read_iprs(v2_member)} >= {(filed["trademark"], "approved")}
    listings = (*aliexpress(40), "https://item.taobao.com/item.htm?id=1")
    complaint = file_complaint(v2_member, Complaint(platform="aliexpress", reason="trademark_misuse",
                                                    ipr=IPRS["trademark"].registration_number, listings=listings))
    assert [r.url for r in complaint.refused] == [listings[-1]]
    assert "does not belong to AliExpress" in complaint.refused[0].reason
    portal_v2.advance(4)
    [status] = read_complaints(v2_member)
    assert status.reference == complaint.reference
    [(reference, url), *_] = counter_notices_waiting([status])
    answer_counter_notice(v2_member, reference, url, accept=False)
    [stored] = portal_v2.state()["complaints"]
    assert next(li for li in stored["listings"] if li["url"] == url)["status"] == "platform_review"


def test_the_wait_works_with_the_v2_selectors(v2_member: FlowContext, portal_v2: MockPortal) -> None:
    """With the v2 selectors: a counter-notice's statement and deadline read, answered with a note and evidence,
    and one listing withdrawn."""
    submit_ipr(v2_member, IPRS["trademark"])
    portal_v2.advance(7)
    complaint = file_complaint(v2_member, Complaint(platform="aliexpress", reason="trademark_misuse",
                                                    ipr=IPRS["trademark"].registration_number,
                                                    listings=aliexpress(40)))
    portal_v2.advance(4)
    [status] = read_complaints(v2_member)
    noticed = [li for li in status.listings if li.state == "counter_noticed"]
    assert noticed and all(li.statement and li.deadline and li.chance == 1 for li in noticed)
    answer(v2_member, complaint.reference, noticed[0].url, accept=False, note="Fake goods",
           evidence=[DOCS / "trademark-certificate.pdf"])
    withdraw(v2_member, complaint.reference, noticed[1].url)
    [stored] = portal_v2.state()["complaints"]
    by_url = {li["url"]: li for li in stored["listings"]}
    assert (by_url[noticed[0].url]["response"], by_url[noticed[0].url]["response_note"]) == ("reject", "Fake goods")
    assert by_url[noticed[1].url]["status"] == "withdrawn"

"""Portal validation errors the models cannot catch: each surfaces as `PortalRejected` naming the field
and the portal's own message, and the portal stores nothing.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from support import DOCS, IPRS, MockPortal, aliexpress, approved, make_ctx

from bot.errors import PortalRejected
from bot.models import Complaint
from bot.settings import Settings
from flows.context import FlowContext
from flows.file_complaint import file_complaint
from flows.register import mock_mailbox, register
from flows.submit_ipr import submit_ipr


@pytest.fixture
def agent(page: Page, settings: Settings, portal: MockPortal) -> FlowContext:
    """A flow context whose account is registered as an authorized agent, not the right holder."""
    ctx = make_ctx(page, settings.model_copy(update={"registrant_category": "authorized_agent"}))
    assert register(ctx, mock_mailbox(portal.url)) == "registered"
    return ctx


def test_software_copyright_without_screenshot_is_rejected(member: FlowContext, portal: MockPortal) -> None:
    """A software copyright with only its certificate is refused on the screenshot, and nothing is stored."""
    bare = IPRS["copyright"].model_copy(update={"documents": (DOCS / "copyright-certificate.pdf",)})
    with pytest.raises(PortalRejected) as caught:
        submit_ipr(member, bare)
    assert list(caught.value.field_errors) == ["additional_files"]
    assert "Add a screenshot of the running software" in caught.value.field_errors["additional_files"]
    assert caught.value.step == "ipr_form.submit"
    assert portal.state()["iprs"] == []


def test_agent_without_power_of_attorney_is_rejected(agent: FlowContext, portal: MockPortal) -> None:
    """An authorized agent's IPR without a power of attorney is refused on that field, and nothing is stored."""
    with pytest.raises(PortalRejected) as caught:
        submit_ipr(agent, IPRS["trademark"])
    assert caught.value.field_errors == {
        "power_of_attorney": "Power of attorney: Authorized agents must upload a power of attorney."}
    assert "Authorized agents must upload a power of attorney" in str(caught.value)
    assert portal.state()["iprs"] == []


def test_agent_with_power_of_attorney_is_filed(agent: FlowContext, portal: MockPortal) -> None:
    """The same IPR with the power of attorney attached is filed, the document with it."""
    with_letter = IPRS["trademark"].model_copy(update={"power_of_attorney": DOCS / "power-of-attorney.pdf"})
    filed = submit_ipr(agent, with_letter)
    [record] = portal.state()["iprs"]
    assert record["ref"] == filed.reference
    assert "power-of-attorney.pdf" in {f["filename"] for f in record["files"]}


TAOBAO_LISTING = "https://item.taobao.com/item.htm?id=7"


@pytest.mark.parametrize(("kind", "platform", "reason", "listing", "field", "message"), [
    ("trademark", "aliexpress", "patent_infringement", aliexpress(1)[0], "reason",
     "This reason cannot be used with a trademark"),
    ("other", "taobao", "other", TAOBAO_LISTING, "ipr", "accepts only IPR registered in Mainland China"),
])
def test_complaint_the_portal_refuses_is_rejected(member: FlowContext, portal: MockPortal, kind: str, platform: str,
                                                  reason: str, listing: str, field: str, message: str) -> None:
    """A complaint whose reason or marketplace does not fit its IPR is refused on that field; nothing is stored."""
    ipr = approved(member, portal, kind)
    complaint = Complaint(platform=platform, ipr=ipr.registration_number, reason=reason, listings=(listing,))
    with pytest.raises(PortalRejected) as caught:
        file_complaint(member, complaint)
    assert list(caught.value.field_errors) == [field]
    assert message in caught.value.field_errors[field]
    assert portal.state()["complaints"] == []

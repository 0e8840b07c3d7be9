"""The flows under the portal's faults: retried when safe, reconciled when unknown, never filed twice."""

from __future__ import annotations

from collections import Counter

import pytest
from reset_proxy import ResetProxy
from support import DOCS, IPRS, MockPortal, aliexpress, approved, file_ipr, file_until_settled, numbered

from bot.errors import NeedsHuman
from bot.models import Complaint, Ipr
from flows.context import FlowContext
from flows.register import mock_mailbox, register
from flows.session import login
from flows.submit_ipr import submit_ipr


def assert_each_once(portal: MockPortal, iprs: list[Ipr]) -> None:
    counts = Counter(i["registration_number"] for i in portal.state()["iprs"])
    assert counts == Counter(i.registration_number for i in iprs)


def test_duplicate_trap_is_reconciled_not_refiled(member: FlowContext, portal: MockPortal) -> None:
    """When the portal stores the IPR but fails the answer, the retry finds it and files nothing twice."""
    portal.faults(commit_then_fail=1, seed=1)
    filed = file_ipr(member, IPRS["trademark"])
    assert filed.existing
    assert [i["ref"] for i in portal.state()["iprs"]] == [filed.reference]
    assert portal.fired()["commit_then_fail"] == 1


def test_duplicate_trap_on_complaints(member: FlowContext, portal: MockPortal) -> None:
    """A complaint stored behind a failed answer is found in the history, not filed again."""
    ipr = approved(member, portal)
    complaint = Complaint(platform="aliexpress", ipr=ipr.registration_number, reason="trademark_misuse",
                          listings=aliexpress(5))
    portal.faults(commit_then_fail=1, seed=2)
    filed = file_until_settled(member, complaint)
    assert filed.existing
    assert [c["ref"] for c in portal.state()["complaints"]] == [filed.reference]


def test_partial_trap_with_errors_files_each_once(member: FlowContext, portal: MockPortal) -> None:
    """With 40% of submissions trapped and 30% of posts failing, every IPR lands exactly once."""
    portal.faults(commit_then_fail=0.4, error_rate=0.3, seed=7)
    iprs = numbered(5)
    for ipr in iprs:
        file_ipr(member, ipr)
    assert_each_once(portal, iprs)


def test_rate_limit_is_waited_out(member: FlowContext, portal: MockPortal) -> None:
    """429 answers with Retry-After are waited out and the IPRs still land once each."""
    portal.faults(rate_limit=6, rate_window_s=1)
    iprs = numbered(2)
    for ipr in iprs:
        file_ipr(member, ipr)
    assert_each_once(portal, iprs)
    assert portal.fired().get("rate_limit", 0) >= 1


def test_latency_is_tolerated(member: FlowContext, portal: MockPortal) -> None:
    """Slow answers (with jitter) do not break a submission."""
    portal.faults(latency_ms=150, jitter_ms=100, seed=3)
    assert not file_ipr(member, IPRS["patent"]).existing
    assert len(portal.state()["iprs"]) == 1


def test_session_expiry_mid_journey_logs_in_again(member: FlowContext, portal: MockPortal) -> None:
    """A session dropped mid-journey is renewed by logging in again, and the IPR lands once."""
    portal.faults(session_expiry=6)
    iprs = numbered(3)
    for ipr in iprs:
        file_ipr(member, ipr)
    assert_each_once(portal, iprs)
    assert portal.fired()["session_expiry"] >= 1


def test_slider_at_registration_needs_a_human(ctx: FlowContext, portal: MockPortal) -> None:
    """With the slider check on, registration stops for a person and creates no account."""
    portal.faults(captcha="slider")
    with pytest.raises(NeedsHuman, match="slider"):
        register(ctx, mock_mailbox(portal.url))
    assert portal.state()["accounts"] == []


def test_slider_at_login_needs_a_human(member: FlowContext, portal: MockPortal) -> None:
    """With the log-in slider on, logging in stops for a person."""
    portal.faults(captcha_login="on")
    member.page.context.clear_cookies()
    with pytest.raises(NeedsHuman):
        login(member)


def test_the_reset_is_real_chromium_files_twice_by_itself(member: FlowContext, portal: MockPortal) -> None:
    """The fault the suite relies on: the browser's own post, reset on a reused connection, is stored twice."""
    with ResetProxy.for_url(portal.url, reset_share=1.0, seed=1) as proxy:
        member.settings = member.settings.model_copy(update={"portal_url": proxy.url})
        member.send_once = False  # the browser posts by itself, as before ippbot sent the final post
        submit_ipr(member, IPRS["trademark"])
        assert proxy.stats.resets >= 1
    numbers = Counter(i["registration_number"] for i in portal.state()["iprs"])
    assert numbers[IPRS["trademark"].registration_number] >= 2  # re-sent, maybe more than once


def test_ippbots_own_post_is_sent_once_through_every_reset(member: FlowContext, portal: MockPortal) -> None:
    """With every reused-connection post reset, each IPR is still stored once and found again by its number."""
    with ResetProxy.for_url(portal.url, reset_share=1.0, seed=1, reset_when="any") as proxy:
        member.settings = member.settings.model_copy(update={"portal_url": proxy.url})
        iprs = [IPRS["trademark"].model_copy(update={"registration_number": f"{55500000 + i}"}) for i in range(3)]
        for ipr in iprs:
            file_until_settled(member, ipr)
        assert proxy.stats.resets >= 3
    numbers = Counter(i["registration_number"] for i in portal.state()["iprs"])
    assert numbers == Counter(i.registration_number for i in iprs)


UNREGISTERED = Ipr(type="copyright", name="DemoBrand photo set", registered=False, registration_place="CN",
                   rights_holder="Demo Brand Ltd", work_type="photo", documents=(DOCS / "copyright-certificate.pdf",))


def test_unregistered_work_is_found_again_by_its_marker(member: FlowContext, portal: MockPortal) -> None:
    """A work with no registration number, stored behind a failed answer, is found by ippbot's marker, not refiled."""
    portal.faults(commit_then_fail=1, seed=1)
    filed = file_ipr(member, UNREGISTERED)
    assert filed.existing
    records = [i for i in portal.state()["iprs"] if i["name"] == UNREGISTERED.name]
    assert [r["ref"] for r in records] == [filed.reference]
    assert UNREGISTERED.marker in str(records[0])


def test_two_unregistered_works_of_one_name_are_told_apart(member: FlowContext, portal: MockPortal) -> None:
    """Two works of the same name but different keys are two records: each marker finds only its own."""
    first, second = (UNREGISTERED.model_copy(update={"key": key}) for key in ("work-a", "work-b"))
    assert not file_ipr(member, first).existing
    assert not file_ipr(member, second).existing
    assert file_ipr(member, first).existing
    assert len([i for i in portal.state()["iprs"] if i["name"] == UNREGISTERED.name]) == 2

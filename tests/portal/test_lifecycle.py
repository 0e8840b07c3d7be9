"""The complaint's life on the portal's clock: review, seller window, counter-notices, closing, Good Faith.

Every test starts on a Monday at 09:00 and gets its IPR approved a week later (a Monday
again), so the working days below are: the complaint is filed on Monday, reviewed on
Tuesday, counter-notices arrive on Thursday and the seller window ends on Friday.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from fixtures.portal.rules import dice

from .conftest import PortalUser, aliexpress

URLS = aliexpress(*range(5000, 5040))


def filed(member: PortalUser, urls: list[str] = URLS, **overrides: object) -> str:
    """Get a trademark approved and file a complaint against `urls` on Monday; its reference."""
    ipr = member.approved_ipr()
    return member.file_complaint(ipr, urls, **overrides)


def member_of(open_client: Callable[..., TestClient], **config: object) -> PortalUser:
    """A signed-up member of a fresh portal built with `config`."""
    return PortalUser(open_client(**config)).signed_up()


def counter_noticed(member: PortalUser, cp: str) -> list[dict[str, Any]]:
    """The listings of a complaint that are waiting for the complainant's answer."""
    return [li for li in member.complaint(cp)["listings"] if li["status"] == "awaiting_complainant"]


# review


def test_complaint_is_reviewed_after_one_working_day(member: PortalUser) -> None:
    """A complaint filed on Monday is under review until Tuesday, then accepted and waits for sellers."""
    cp = filed(member)
    member.advance(0.9)
    assert member.complaint(cp)["status"] == "submitted"
    member.advance(0.1)
    complaint = member.complaint(cp)
    assert complaint["status"] == "awaiting_seller" and complaint["reject_reason"] is None
    assert datetime.fromisoformat(complaint["seller_due_at"]).weekday() == 4  # Friday
    assert set(member.listings(cp).values()) == {"pending"}
    subjects = [m["subject"] for m in member.client.get(
        "/__mock/mailbox", params={"email": member.email}).json()]
    assert subjects[0] == f"Complaint {cp} accepted"


def test_friday_complaint_is_reviewed_on_monday(member: PortalUser) -> None:
    """A complaint filed on Friday is reviewed on the next working day, Monday."""
    ipr = member.approved_ipr()
    member.advance(4)
    cp = member.file_complaint(ipr, aliexpress(1))
    member.advance(2)
    assert member.complaint(cp)["status"] == "submitted"
    member.advance(1)
    assert member.complaint(cp)["status"] == "awaiting_seller"


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"reason": "other", "note": ""}, "Reason 'Other' needs the infringement explained"),
    ({"reason": "counterfeit", "files": []}, "Counterfeit complaints need evidence"),
])
def test_review_rejects_an_unfounded_complaint(member: PortalUser, overrides: dict[str, object],
                                               reason: str) -> None:
    """'Other' without a note, and counterfeit without evidence, are rejected with a reason."""
    cp = filed(member, aliexpress(1, 2), **overrides)
    member.advance(1)
    complaint = member.complaint(cp)
    assert complaint["status"] == "rejected" and complaint["reject_reason"].startswith(reason)
    assert complaint["closed_at"] == complaint["review_due_at"]
    assert set(member.listings(cp).values()) == {"rejected"}
    assert "Complaint rejected" in member.get(f"/complaint/{cp}").text


def test_other_with_a_note_and_misuse_without_evidence_are_accepted(member: PortalUser) -> None:
    """'Other' explained in the note, and trademark misuse without evidence, are accepted."""
    ipr = member.approved_ipr()
    explained = member.file_complaint(ipr, aliexpress(1), reason="other", note="Uses our logo")
    misuse = member.file_complaint(ipr, aliexpress(2), reason="trademark_misuse", files=[])
    member.advance(1)
    assert member.complaint(explained)["status"] == "awaiting_seller"
    assert member.complaint(misuse)["status"] == "awaiting_seller"


def test_complaint_on_an_ipr_that_expired_is_rejected(member: PortalUser) -> None:
    """A complaint whose IPR expires before the review is rejected."""
    ipr = member.approved_ipr(expiration_date="2031-05-01")
    cp = member.file_complaint(ipr, aliexpress(1))
    member.client.post("/__mock/clock", json={"set": "2031-05-05T09:00:00+00:00"})
    complaint = member.complaint(cp)
    assert complaint["status"] == "rejected"
    assert complaint["reject_reason"] == "The IPR this complaint relies on is no longer valid."


# sellers and counter-notices


def test_counter_notices_come_two_working_days_after_acceptance(member: PortalUser) -> None:
    """On Thursday some listings (about one in ten) get a counter-notice; the rest still wait."""
    cp = filed(member)
    member.advance(2)
    assert set(member.listings(cp).values()) == {"pending"}
    member.advance(1)
    statuses = list(member.listings(cp).values())
    noticed = statuses.count("awaiting_complainant")
    assert 1 <= noticed <= 10 and statuses.count("pending") == len(URLS) - noticed
    listing = counter_noticed(member, cp)[0]
    assert datetime.fromisoformat(listing["response_due_at"]).weekday() == 1  # next Tuesday
    page = member.get(f"/complaint/{cp}").text
    assert page.count("Accept counter-notice") == noticed


def test_counter_notices_are_chosen_by_url(open_client: Callable[..., TestClient]) -> None:
    """The same URLs get counter-notices on every run of the portal, whatever their order."""
    runs = []
    for urls in (URLS, list(reversed(URLS))):
        member = member_of(open_client)
        cp = filed(member, urls)
        member.advance(3)
        runs.append({url for url, s in member.listings(cp).items() if s == "awaiting_complainant"})
    assert runs[0] == runs[1] and runs[0]


def test_unanswered_listings_are_removed_when_the_seller_window_ends(member: PortalUser) -> None:
    """On Friday every listing without a counter-notice is removed; counter-noticed ones wait."""
    cp = filed(member)
    member.advance(3)
    before = member.listings(cp)
    member.advance(1)
    after = member.complaint(cp)
    for listing in after["listings"]:
        if before[listing["url"]] == "pending":
            assert listing["status"] == "removed"
            assert listing["outcome_reason"] == "No counter-notice in time"
            assert listing["updated_at"] == after["seller_due_at"]
        else:
            assert listing["status"] == "awaiting_complainant"
    assert after["status"] == "awaiting_seller"


def test_accepting_a_counter_notice_restores_the_listing(member: PortalUser) -> None:
    """The complainant accepting a counter-notice puts the listing back online."""
    cp = filed(member)
    member.advance(3)
    listing = counter_noticed(member, cp)[0]
    response = member.answer(cp, listing["id"], "accept")
    assert response.status_code == 303
    assert response.headers["location"] == f"/complaint/{cp}?answered=1"
    after = next(li for li in member.complaint(cp)["listings"] if li["id"] == listing["id"])
    assert after["status"] == "restored" and after["response"] == "accept"
    assert after["outcome_reason"] == "Counter-notice accepted by the complainant"


def test_rejecting_a_counter_notice_goes_to_platform_review(open_client: Callable[..., TestClient]) -> None:
    """A rejected counter-notice is reviewed by the platform for 2 working days, then decided by URL."""
    member = member_of(open_client, counter_notice_percent=100)
    cp = filed(member, URLS[:12])
    member.advance(3)
    for listing in counter_noticed(member, cp):
        assert member.answer(cp, listing["id"], "reject").status_code == 303
    assert set(member.listings(cp).values()) == {"platform_review"}
    member.advance(3.9)  # answered on Thursday: Friday and Monday are its 2 working days
    assert set(member.listings(cp).values()) == {"platform_review"}
    member.advance(0.1)
    outcomes = {li["url"]: (li["status"], li["outcome_reason"]) for li in member.complaint(cp)["listings"]}
    assert {s for s, _ in outcomes.values()} == {"removed", "restored"}
    assert {r for _, r in outcomes.values()} == {"Removed after platform review",
                                                  "Counter-notice upheld by the platform"}
    again = member_of(open_client, counter_notice_percent=100)
    cp2 = filed(again, URLS[:12])
    again.advance(3)
    for listing in counter_noticed(again, cp2):
        again.answer(cp2, listing["id"], "reject")
    again.advance(4)
    assert again.listings(cp2) == {url: s for url, (s, _) in outcomes.items()}


def test_unanswered_counter_notice_restores_after_three_working_days(member: PortalUser) -> None:
    """A counter-notice the complainant does not answer in 3 working days restores the listing."""
    cp = filed(member)
    member.advance(3)
    waiting = {li["url"] for li in counter_noticed(member, cp)}
    member.advance(4)  # Thursday + 4 days = Monday: 2 working days
    assert {li["url"] for li in counter_noticed(member, cp)} == waiting
    member.advance(1)
    listings = member.complaint(cp)["listings"]
    restored = {li["url"] for li in listings if li["status"] == "restored"}
    assert restored == waiting
    assert {li["outcome_reason"] for li in listings if li["url"] in waiting} == {
        "Counter-notice not answered in time"}


def test_answering_is_refused_when_nothing_waits(member: PortalUser) -> None:
    """Answering a listing without a counter-notice, or with an unknown answer, is refused with 409."""
    cp = filed(member)
    member.advance(3)
    pending = next(li for li in member.complaint(cp)["listings"] if li["status"] == "pending")
    assert member.answer(cp, pending["id"], "accept").status_code == 409
    noticed = counter_noticed(member, cp)[0]
    assert member.answer(cp, noticed["id"], "maybe").status_code == 409
    assert member.listings(cp)[pending["url"]] == "pending"


def test_complaint_closes_when_every_listing_is_final(member: PortalUser) -> None:
    """The complaint closes once its last listing has an outcome and the sellers' last chance is over (27 working
    days after its acceptance), at that time."""
    cp = filed(member, [*URLS, "https://www.amazon.com/dp/1"])
    member.advance(4)
    assert member.complaint(cp)["status"] == "awaiting_seller"
    for listing in counter_noticed(member, cp):
        member.answer(cp, listing["id"], "accept")
    assert member.complaint(cp)["status"] == "awaiting_seller"  # every listing final, the last chance still open
    member.advance(34)  # filed Monday, accepted Tuesday: 27 working days later is a Thursday, 38 days on
    complaint = member.complaint(cp)
    assert complaint["status"] == "closed"
    accepted = datetime.fromisoformat(complaint["review_due_at"])
    assert (datetime.fromisoformat(complaint["closed_at"]) - accepted).days == 37
    assert set(member.listings(cp).values()) == {"removed", "restored", "refused"}
    page = member.get(f"/complaint/{cp}").text
    assert 'data-status="closed"' in page and "Withdraw complaint" not in page


def test_outcome_does_not_depend_on_when_the_portal_looks(open_client: Callable[..., TestClient]) -> None:
    """Moving the clock a month at once gives the same outcomes and times as moving it day by day."""
    results = []
    for steps in ([45], [1] * 45):
        member = member_of(open_client)
        cp = filed(member)
        for days in steps:
            member.advance(days)
        complaint = member.complaint(cp)
        start = datetime.fromisoformat(complaint["submitted_at"])
        results.append((complaint["status"], sorted(member.listings(cp).items()),
                        (datetime.fromisoformat(complaint["closed_at"]) - start).days))
    assert results[0] == results[1]
    assert results[0][0] == "closed" and results[0][2] == 38  # filed Monday; the last chance ends 27 working days
    # after the Tuesday it was accepted: a Thursday, 38 days after the filing


# Good Faith


def figures(member: PortalUser) -> dict[str, str]:
    """The Good Faith page's figures: takedown, counter-notice and status."""
    page = member.get("/goodfaith").text
    found = dict(re.findall(r'data-testid="([\w-]+)">([^<]*)<', page))
    found["qualifies"] = "yes" if 'data-qualifies="yes"' in page else "no"
    return found


def test_good_faith_qualifies_with_full_takedown(open_client: Callable[..., TestClient]) -> None:
    """With every listing removed and no counter-notice, an account with enough listings qualifies."""
    member = member_of(open_client, counter_notice_percent=0)
    filed(member, URLS[:12])
    member.advance(4)
    assert figures(member) == {"takedown-rate": "100.0%", "counter-notice-rate": "0.0%",
                               "good-faith-status": "Qualifies", "qualifies": "yes"}


def test_good_faith_needs_enough_listings(open_client: Callable[..., TestClient]) -> None:
    """Below the minimum number of decided listings the account does not qualify yet."""
    member = member_of(open_client, counter_notice_percent=0)
    filed(member, URLS[:9])
    member.advance(4)
    result = figures(member)
    assert result["takedown-rate"] == "100.0%" and result["qualifies"] == "no"
    assert result["good-faith-status"] == "Not enough complaints yet (at least 10 listings)"


def test_good_faith_fails_with_successful_counter_notices(open_client: Callable[..., TestClient]) -> None:
    """Counter-notices accepted on every listing give 0% takedown, 100% counter-notices: no."""
    member = member_of(open_client, counter_notice_percent=100)
    cp = filed(member, URLS[:10])
    member.advance(3)
    for listing in counter_noticed(member, cp):
        member.answer(cp, listing["id"], "accept")
    assert figures(member) == {"takedown-rate": "0.0%", "counter-notice-rate": "100.0%",
                               "good-faith-status": "Does not qualify", "qualifies": "no"}


def test_good_faith_figures_follow_the_listings(member: PortalUser) -> None:
    """The rates are removed / decided and restored-after-counter-notice / decided."""
    cp = filed(member)
    member.advance(8)
    listings = member.listings(cp)
    removed = sum(s == "removed" for s in listings.values())
    assert 0 < removed < len(listings)
    result = figures(member)
    assert result["takedown-rate"] == f"{100 * removed / len(listings):.1f}%"
    assert result["counter-notice-rate"] == f"{100 * (len(listings) - removed) / len(listings):.1f}%"
    assert result["qualifies"] == ("yes" if removed / len(listings) >= 0.9 and
                                   1 - removed / len(listings) <= 0.05 else "no")


def urls_with(count: int, counter_notice: bool) -> list[str]:
    """AliExpress URLs that do (or do not) draw a counter-notice at the default 10%."""
    pool = aliexpress(*range(7000, 8000))
    return [u for u in pool if (dice(u, "counter-notice") < 10) == counter_notice][:count]


@pytest.mark.parametrize(("removed", "restored", "qualifies"), [(19, 1, "yes"), (9, 1, "no")])
def test_good_faith_thresholds(member: PortalUser, removed: int, restored: int, qualifies: str) -> None:
    """95% takedown with 5% counter-notices qualifies; 90% with 10% does not (counter-notices over 5%)."""
    cp = filed(member, urls_with(removed, False) + urls_with(restored, True))
    member.advance(8)
    assert sorted(member.listings(cp).values()) == ["removed"] * removed + ["restored"] * restored
    result = figures(member)
    total = removed + restored
    assert result["takedown-rate"] == f"{100 * removed / total:.1f}%"
    assert result["counter-notice-rate"] == f"{100 * restored / total:.1f}%"
    assert result["qualifies"] == qualifies


def test_good_faith_counts_the_last_three_months(open_client: Callable[..., TestClient]) -> None:
    """Complaints older than three months no longer count."""
    member = member_of(open_client, counter_notice_percent=0)
    filed(member, URLS[:12])
    member.advance(4)
    assert figures(member)["qualifies"] == "yes"
    member.advance(92)
    assert figures(member)["good-faith-status"].startswith("Not enough complaints yet")

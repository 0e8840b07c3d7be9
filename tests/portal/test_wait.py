"""The wait on the portal: counter-notices with the seller's statement, answers with a note and evidence,
single-listing withdrawal, and the duplicate trap on answers and withdrawals.

Every test starts on a Monday (tests/portal/test_lifecycle.py explains the working days): the
complaint is filed on Monday, accepted on Tuesday, and counter-notices arrive on Thursday.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from fixtures.portal.lifecycle import STATEMENTS

from .conftest import PortalUser, aliexpress, csrf_of, doc
from .test_faults import fired, set_faults, status_or_drop

URLS = aliexpress(*range(6000, 6012))


def noticed_complaint(open_client: Callable[..., TestClient]) -> tuple[PortalUser, str]:
    """A member whose complaint of 12 listings has every listing counter-noticed (Thursday)."""
    member = PortalUser(open_client(counter_notice_percent=100)).signed_up()
    cp = member.file_complaint(member.approved_ipr(), URLS)
    member.advance(3)
    return member, cp


def listing(member: PortalUser, cp: str, index: int = 0) -> dict[str, Any]:
    return member.complaint(cp)["listings"][index]


def test_counter_notice_carries_statement_chance_and_deadline(open_client: Callable[..., TestClient]) -> None:
    """A counter-notice shows the seller's statement, its chance (1 of 3) and the answer-by date, and is mailed."""
    member, cp = noticed_complaint(open_client)
    first = listing(member, cp)
    assert first["statement"] in STATEMENTS and first["chance"] == 1
    page = member.get(f"/complaint/{cp}").text
    assert first["statement"] in page and "1 of 3" in page
    assert f"<td>{first['response_due_at'][:10]}</td>" in page
    subjects = [m["subject"] for m in member.client.get("/__mock/mailbox", params={"email": member.email}).json()]
    assert f"Counter-notice on {first['url']}" in subjects


def test_answer_keeps_its_note_and_evidence(open_client: Callable[..., TestClient]) -> None:
    """A rejection posted with a note and an evidence file keeps both on the listing, and the page shows the answer."""
    member, cp = noticed_complaint(open_client)
    first = listing(member, cp)
    page = member.get(f"/complaint/{cp}")
    response = member.client.post(f"/complaint/listing/{first['id']}/respond",
                                  data={"answer": "reject", "note": "Not an authorised reseller",
                                        "csrf_token": csrf_of(page.text)},
                                  files=[("evidence", doc("trademark-certificate.pdf"))])
    assert response.status_code == 303
    after = listing(member, cp)
    assert after["status"] == "platform_review" and after["response_note"] == "Not an authorised reseller"
    assert [f["filename"] for f in json.loads(after["response_evidence"])] == ["trademark-certificate.pdf"]
    assert "<td>Rejected</td>" in member.get(f"/complaint/{cp}").text


def test_one_listing_is_withdrawn_and_the_rest_go_on(open_client: Callable[..., TestClient]) -> None:
    """Withdrawing one listing leaves it online (withdrawn) and the complaint's other listings as they were."""
    member, cp = noticed_complaint(open_client)
    first = listing(member, cp)
    response = member.post_form(f"/complaint/{cp}", {}, action=f"/complaint/listing/{first['id']}/withdraw")
    assert response.status_code == 303
    assert response.headers["location"] == f"/complaint/{cp}?withdrawn_listing=1"
    statuses = list(member.listings(cp).values())
    assert statuses[0] == "withdrawn" and set(statuses[1:]) == {"awaiting_complainant"}
    assert member.complaint(cp)["status"] == "awaiting_seller"
    again = member.post_form(f"/complaint/{cp}", {}, action=f"/complaint/listing/{first['id']}/withdraw")
    assert again.status_code == 409


def test_withdrawing_every_listing_withdraws_the_complaint(member: PortalUser) -> None:
    """Once every listing is withdrawn one by one, the complaint is withdrawn too."""
    cp = member.file_complaint(member.approved_ipr(), list(URLS[:2]))
    for item in member.complaint(cp)["listings"]:
        member.post_form(f"/complaint/{cp}", {}, action=f"/complaint/listing/{item['id']}/withdraw")
    assert member.complaint(cp)["status"] == "withdrawn"
    assert set(member.listings(cp).values()) == {"withdrawn"}


def test_removed_listing_cannot_be_withdrawn(member: PortalUser) -> None:
    """A listing already removed is final: withdrawing it is refused with 409 and changes nothing."""
    cp = member.file_complaint(member.approved_ipr(), list(URLS[:4]))
    member.advance(4)
    removed = next(li for li in member.complaint(cp)["listings"] if li["status"] == "removed")
    response = member.post_form(f"/complaint/{cp}", {}, action=f"/complaint/listing/{removed['id']}/withdraw")
    assert response.status_code == 409
    assert member.listings(cp)[removed["url"]] == "removed"


def test_duplicate_trap_drops_the_answer_after_storing_it(open_client: Callable[..., TestClient]) -> None:
    """Under commit_then_fail=1 an answer is stored and its reply lost; answering again is refused (409)."""
    member, cp = noticed_complaint(open_client)
    first = listing(member, cp)
    set_faults(member.client, commit_then_fail=1, seed=3)
    assert status_or_drop(lambda: member.answer(cp, first["id"], "accept")) in {502, None}
    assert fired(member.client) == {"commit_then_fail": 1}
    set_faults(member.client)
    assert listing(member, cp)["status"] == "restored"
    assert member.answer(cp, first["id"], "accept").status_code == 409


def test_duplicate_trap_drops_the_withdrawals_after_storing_them(open_client: Callable[..., TestClient]) -> None:
    """Under commit_then_fail=1 a listing's and a complaint's withdrawal are stored and their replies lost."""
    member, cp = noticed_complaint(open_client)
    first = listing(member, cp)
    set_faults(member.client, commit_then_fail=1, seed=4)
    action = f"/complaint/listing/{first['id']}/withdraw"
    assert status_or_drop(lambda: member.post_form(f"/complaint/{cp}", {}, action=action)) in {502, None}
    assert status_or_drop(lambda: member.withdraw(cp)) in {502, None}
    assert fired(member.client) == {"commit_then_fail": 2}
    set_faults(member.client)
    assert member.complaint(cp)["status"] == "withdrawn"
    assert member.withdraw(cp).status_code == 409


def reject_every_waiting(member: PortalUser, cp: str) -> set[str]:
    """Reject each counter-notice that waits; the URLs answered."""
    waiting = [li for li in member.complaint(cp)["listings"] if li["status"] == "awaiting_complainant"]
    for li in waiting:
        assert member.answer(cp, li["id"], "reject").status_code == 303
    return {li["url"] for li in waiting}


def test_a_seller_who_loses_tries_again_up_to_the_third_chance(open_client: Callable[..., TestClient]) -> None:
    """A listing removed at the platform's review is counter-noticed again 2 working days later (chance 2, then 3,
    each with its statement, deadline and mail, the earlier answer cleared); never a 4th; the complaint closes
    only once the last chance (27 working days after acceptance) is over."""
    member = PortalUser(open_client(counter_notice_percent=100, later_counter_notice_percent=100)).signed_up()
    cp = member.file_complaint(member.approved_ipr(), URLS)
    member.advance(3)  # Thursday: chance 1 on every listing
    rounds: list[set[str]] = []
    for chance in (1, 2, 3):
        waiting = [li for li in member.complaint(cp)["listings"] if li["status"] == "awaiting_complainant"]
        assert waiting and {li["chance"] for li in waiting} == {chance}
        assert all(li["statement"] in STATEMENTS and li["response"] is None and li["response_due_at"]
                   for li in waiting)
        rounds.append(reject_every_waiting(member, cp))
        member.advance(7)  # the platform's review (2 working days), then the seller's return (2 more)
    assert rounds[1] < rounds[0] and rounds[2] < rounds[1]  # only those removed try again
    subjects = [m["body"] for m in member.client.get("/__mock/mailbox", params={"email": member.email}).json()]
    assert any("chance 3 of 3" in body for body in subjects) and not any("chance 4" in body for body in subjects)
    assert "awaiting_complainant" not in member.listings(cp).values()
    assert member.complaint(cp)["status"] == "awaiting_seller"  # the last chance is not over yet
    member.advance(30)
    complaint = member.complaint(cp)
    assert complaint["status"] == "closed" and complaint["closed_at"] > max(li["updated_at"]
                                                                             for li in complaint["listings"])


def test_a_seller_who_let_the_window_pass_gets_no_later_chance(open_client: Callable[..., TestClient]) -> None:
    """A listing removed because its seller said nothing in the first window is never counter-noticed later."""
    member = PortalUser(open_client(counter_notice_percent=0, later_counter_notice_percent=100)).signed_up()
    cp = member.file_complaint(member.approved_ipr(), URLS)
    member.advance(45)
    assert set(member.listings(cp).values()) == {"removed"}
    assert all(li["chance"] is None for li in member.complaint(cp)["listings"])
    assert member.complaint(cp)["status"] == "closed"

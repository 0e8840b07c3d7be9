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

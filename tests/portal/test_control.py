"""The control API (`/__mock/...`): state, mailbox, clock, reset, as ../shared/CONTRACT.md names them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

from starlette.testclient import TestClient

from .conftest import PASSWORD, PortalUser, aliexpress, doc, portal_of


def now_of(client: TestClient) -> datetime:
    """The portal's clock."""
    return datetime.fromisoformat(client.get("/__mock/state").json()["now"])


# state


def test_state_shows_the_account_as_registered(user: PortalUser) -> None:
    """The state holds each account with its id, status and the fields it was registered with."""
    user.signed_up(contact_email="legal@brand.example", location="hong_kong",
                   identity_type="individual", phone="+852 5555 0000", complainant_name="Li Wei")
    (account,) = user.state()["accounts"]
    assert account["id"] == 1 and account["status"] == "pending_verification"
    assert {k: account[k] for k in ("login_email", "contact_email", "location", "identity_type",
                                    "registrant_category", "complainant_name", "phone",
                                    "identity_doc_type")} == {
        "login_email": "owner@brand.example", "contact_email": "legal@brand.example",
        "location": "hong_kong", "identity_type": "individual",
        "registrant_category": "right_holder", "complainant_name": "Li Wei",
        "phone": "+852 5555 0000", "identity_doc_type": "business_registration"}
    assert account["created_at"] and account["verified_at"] and account["activated_at"] is None


def test_state_shows_iprs_and_complaints_as_submitted(member: PortalUser) -> None:
    """IPRs and complaints appear with their references, fields, documents and listings."""
    ipr_ref = member.approved_ipr(brand_info="Since 1999")
    cp = member.file_complaint(ipr_ref, aliexpress(7), note="Same bottle",
                               files=[("evidence", doc("test-purchase.pdf"))])
    state = member.state()
    (ipr,) = state["iprs"]
    assert ipr["ref"] == ipr_ref and ipr["type"] == "trademark" and ipr["account_id"] == 1
    assert ipr["registration_place"] == "CN" and ipr["rights_holder"] == "Demo Brand Ltd"
    assert ipr["details"]["brand_info"] == "Since 1999" and ipr["details"]["classes"] == "9, 25"
    (complaint,) = state["complaints"]
    assert complaint["ref"] == cp and complaint["ipr_ref"] == ipr_ref
    assert (complaint["platform"], complaint["complaint_type"], complaint["note"]) == (
        "aliexpress", "product_listing", "Same bottle")
    assert [e["filename"] for e in complaint["evidence"]] == ["test-purchase.pdf"]
    assert [(li["position"], li["url"]) for li in complaint["listings"]] == [(1, aliexpress(7)[0])]
    assert state["layout"] == "v1"
    assert state["max_submissions_in_flight"] == {"1": 1}


def test_state_never_shows_secrets(member: PortalUser) -> None:
    """Neither the password, its hash, the session token nor the CSRF token is in the state."""
    member.approved_ipr()
    text = member.client.get("/__mock/state").text
    conn = portal_of(member.client).conn
    (stored_hash,) = conn.execute("SELECT password_hash FROM accounts").fetchone()
    (csrf,) = conn.execute("SELECT csrf FROM sessions WHERE account_id IS NOT NULL").fetchone()
    token = member.client.cookies["IPP_SESSION"]
    for secret in (PASSWORD, stored_hash, stored_hash.split("$")[1], token, csrf):
        assert secret not in text
    assert "password" not in text and "token" not in text and "sessions" not in json.loads(text)


# mailbox


def test_mailbox_is_newest_first(open_client: Callable[..., TestClient]) -> None:
    """The mailbox lists an address's messages newest first: the newest code, then the older one."""
    user = PortalUser(open_client(code_resend_s=0))
    user.register()
    user.resend()
    user.verify()
    user.upload_identity()
    user.approved_ipr()
    messages = user.client.get("/__mock/mailbox", params={"email": "Owner@Brand.example"}).json()
    assert [m["subject"] for m in messages] == [
        "IPR IPR-000001 approved", "Your IPP verification code", "Your IPP verification code"]
    assert messages[0]["code"] is None and messages[1]["code"] == user.codes()[0]
    assert [m["sent_at"] for m in messages] == sorted((m["sent_at"] for m in messages), reverse=True)


def test_mailbox_of_an_unknown_address_is_empty(client: TestClient) -> None:
    """An address that got no mail has an empty mailbox."""
    assert client.get("/__mock/mailbox", params={"email": "nobody@brand.example"}).json() == []


def test_notices_go_to_both_addresses(user: PortalUser) -> None:
    """Review results go to the login email and the contact email."""
    user.signed_up(contact_email="legal@brand.example")
    user.approved_ipr()
    legal = user.client.get("/__mock/mailbox", params={"email": "legal@brand.example"}).json()
    assert [m["subject"] for m in legal] == ["IPR IPR-000001 approved"]


# clock


def test_clock_moves_forward_by_days_and_seconds(client: TestClient) -> None:
    """advance_days and advance_seconds move the clock by that much."""
    before = now_of(client)
    response = client.post("/__mock/clock", json={"advance_days": 2, "advance_seconds": 60})
    assert response.status_code == 200
    moved = datetime.fromisoformat(response.json()["now"]) - before
    assert timedelta(days=2, seconds=60) <= moved < timedelta(days=2, seconds=70)


def test_clock_never_moves_back(client: TestClient) -> None:
    """A negative advance is refused with 400, and setting a past time leaves the clock where it is."""
    before = now_of(client)
    response = client.post("/__mock/clock", json={"advance_days": -1})
    assert response.status_code == 400
    assert "only moves forward" in response.json()["error"]
    assert client.post("/__mock/clock", json={"set": "2001-01-01T00:00:00+00:00"}).status_code == 200
    assert now_of(client) >= before


def test_clock_set_moves_to_a_future_time(client: TestClient) -> None:
    """Setting a future time puts the clock there."""
    response = client.post("/__mock/clock", json={"set": "2040-02-03T04:05:06+00:00"})
    assert response.json()["now"].startswith("2040-02-03T04:05")


def test_clock_refuses_a_malformed_request(client: TestClient) -> None:
    """A clock request that is not JSON, or not numbers, is refused with 400."""
    assert client.post("/__mock/clock", content=b"soon").status_code == 400
    assert client.post("/__mock/clock", json={"advance_days": "two"}).status_code == 400
    assert client.post("/__mock/clock", json={"set": "tomorrow"}).status_code == 400


def test_pages_show_the_portal_date(client: TestClient) -> None:
    """Pages show the portal's date, which follows the clock."""
    client.post("/__mock/clock", json={"set": "2040-02-03T04:05:06+00:00"})
    assert "<time>2040-02-03</time>" in client.get("/login.htm").text


# reset


def test_reset_empties_everything(open_client: Callable[..., TestClient]) -> None:
    """Reset removes records, mail, files, sessions and the clock offset, and restores the start-up faults."""
    client = open_client(faults="seed=3")
    member = PortalUser(client).signed_up()
    member.file_complaint(member.approved_ipr(), aliexpress(1))
    client.post("/__mock/faults", json={"latency_ms": 5})
    shifted = now_of(client)
    files_dir = portal_of(client).files_dir
    assert any(files_dir.iterdir())
    assert client.post("/__mock/reset").json() == {"ok": True}
    state = member.state()
    assert (state["accounts"], state["iprs"], state["complaints"]) == ([], [], [])
    assert member.codes() == []
    assert not any(files_dir.iterdir())
    assert now_of(client) < shifted - timedelta(days=7)
    assert client.get("/__mock/faults").json() == {"spec": {"seed": 3.0}, "fired": {}}
    assert member.get("/user").status_code == 303
    assert member.register().status_code == 303


def test_unknown_control_route_is_404(client: TestClient) -> None:
    """An unknown control route answers a plain 404."""
    response = client.get("/__mock/nothing")
    assert response.status_code == 404
    assert "<html" not in response.text


def test_requests_are_counted_by_route(client: TestClient) -> None:
    """Every request the portal answers is counted by method and route (records as {ref}), the control API's
    aside, and counted afresh on POST or reset."""
    client.post("/__mock/requests")
    for path in ("/login", "/login", "/ipr/IPR-000001", "/static/portal.css"):
        client.get(path)
    counted = client.get("/__mock/requests").json()
    assert counted["by_route"]["GET /login"] == 2
    assert counted["by_route"]["GET /ipr/{ref}"] == 1
    assert counted["total"] == 4
    client.post("/__mock/reset")
    assert client.get("/__mock/requests").json() == {"total": 0, "by_route": {}}

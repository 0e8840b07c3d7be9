"""Accounts: registration and its rules, the emailed code, statuses, log-in, sessions, the slider."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from .conftest import (
    PASSWORD,
    PortalUser,
    csrf_of,
    field_errors,
    portal_of,
    ref_of,
    slider_token,
)

REQUIRED = ["location", "identity_type", "registrant_category", "complainant_name",
            "login_email", "password", "password_confirm", "phone"]


# registration form


@pytest.mark.parametrize("name", REQUIRED)
def test_each_required_field_is_refused_when_missing(user: PortalUser, name: str) -> None:
    """Leaving out a required field shows 'This field is required.' under it and stores nothing."""
    response = user.register(**{name: None})
    assert response.status_code == 422
    assert field_errors(response.text)[name] == "This field is required."
    assert user.state()["accounts"] == []


def test_every_required_field_is_reported_at_once(user: PortalUser) -> None:
    """An empty form names every required field, the agreement included, but not the contact email."""
    response = user.post_form("/register.htm", {})
    errors = field_errors(response.text)
    assert response.status_code == 422
    assert set(errors) == {*REQUIRED, "agree"}
    assert errors["agree"] == "Accept the agreement to register."


def test_contact_email_is_optional_and_defaults_to_login_email(user: PortalUser) -> None:
    """Without a contact email the account's contact email is its login email."""
    assert user.register(contact_email=None).status_code == 303
    assert user.account()["contact_email"] == user.email


def test_agreement_must_be_accepted(user: PortalUser) -> None:
    """Registration without the agreement box is refused with its own message."""
    response = user.register(agree=None)
    assert response.status_code == 422
    assert field_errors(response.text) == {"agree": "Accept the agreement to register."}
    assert user.state()["accounts"] == []


@pytest.mark.parametrize("field", ["login_email", "contact_email"])
@pytest.mark.parametrize("bad", ["not-an-email", "a@b", "two words@brand.example"])
def test_bad_email_is_refused(user: PortalUser, field: str, bad: str) -> None:
    """A malformed login or contact email is refused under that field."""
    response = user.register(**{field: bad})
    assert response.status_code == 422
    assert field_errors(response.text) == {field: "Enter a valid email address."}


@pytest.mark.parametrize("bad", ["12", "phone me", "+44 (20) 7946"])
def test_bad_phone_is_refused(user: PortalUser, bad: str) -> None:
    """A phone number that is not digits with a country code is refused."""
    response = user.register(phone=bad)
    assert response.status_code == 422
    assert field_errors(response.text)["phone"].startswith("Enter a phone number")


@pytest.mark.parametrize(("password", "message"), [
    ("Sh0rt", "Use 8 to 20 characters."),
    ("Waytoolongpassword1234", "Use 8 to 20 characters."),
    ("With Space1", "Do not use spaces."),
    ("alllowercase1", "Use at least one upper-case letter, one lower-case letter and one digit."),
    ("ALLUPPERCASE1", "Use at least one upper-case letter, one lower-case letter and one digit."),
    ("NoDigitsHere", "Use at least one upper-case letter, one lower-case letter and one digit."),
])
def test_each_password_rule_is_enforced(user: PortalUser, password: str, message: str) -> None:
    """A password breaking one of the rules is refused with that rule's message."""
    response = user.register(password=password, password_confirm=password)
    assert response.status_code == 422
    assert field_errors(response.text) == {"password": message}
    assert user.state()["accounts"] == []


def test_password_rules_are_shown_on_the_form(user: PortalUser) -> None:
    """The registration page lists the password rules."""
    assert "8 to 20 characters" in user.get("/register.htm").text


def test_password_mismatch_is_refused(user: PortalUser) -> None:
    """A confirmation that differs from the password is refused under the confirmation."""
    response = user.register(password_confirm=PASSWORD + "x")
    assert response.status_code == 422
    assert field_errors(response.text) == {"password_confirm": "The passwords do not match."}


def test_unknown_option_is_refused(user: PortalUser) -> None:
    """A location that is not one of the options is refused."""
    response = user.register(location="atlantis")
    assert field_errors(response.text) == {"location": "Choose one of the options."}


def test_duplicate_login_email_is_refused(user: PortalUser) -> None:
    """A second account on the same login email (any case) is refused and not stored."""
    assert user.register().status_code == 303
    response = PortalUser(user.client, email="OWNER@Brand.example").register()
    assert response.status_code == 422
    assert "already exists" in field_errors(response.text)["login_email"]
    assert len(user.state()["accounts"]) == 1


def test_form_keeps_values_but_not_passwords(user: PortalUser) -> None:
    """A refused form shows the values typed, except the passwords."""
    response = user.register(phone="12")
    assert 'value="Demo Brand Ltd"' in response.text
    assert PASSWORD not in response.text


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_registration_without_valid_csrf_is_forbidden(client: TestClient, user: PortalUser,
                                                      token: str | None) -> None:
    """A registration post with a missing or wrong CSRF token gets 403 and stores nothing."""
    client.get("/register.htm")
    data = user.registration()
    if token:
        data["csrf_token"] = token
    response = client.post("/register.htm", data=data)
    assert response.status_code == 403
    assert "Form expired" in response.text
    assert user.state()["accounts"] == []
    assert user.codes() == []


def test_csrf_token_of_another_session_is_refused(client: TestClient, user: PortalUser) -> None:
    """A token taken from one session does not work with another session's cookie."""
    token = csrf_of(client.get("/register.htm").text)
    client.cookies.clear()
    response = client.post("/register.htm", data={**user.registration(), "csrf_token": token})
    assert response.status_code == 403
    assert user.state()["accounts"] == []


# the emailed code


def test_registration_sends_a_six_digit_code_and_waits_for_it(user: PortalUser) -> None:
    """A registration stores an unverified account, mails a 6-digit code and asks for it."""
    response = user.register()
    assert response.status_code == 303
    assert response.headers["location"] == "/register/verify?email=owner%40brand.example"
    assert user.account()["status"] == "email_unverified"
    (code,) = user.codes()
    assert len(code) == 6 and code.isdigit()


def test_wrong_code_counts_attempts_up_to_five(user: PortalUser) -> None:
    """Each wrong code says how many attempts are left; after five even the right code fails."""
    user.register()
    good = user.code()
    wrong = "000000" if good != "000000" else "111111"
    messages = [field_errors(user.verify(wrong).text)["code"] for _ in range(5)]
    assert messages == [f"The code is wrong. {n} attempts left." for n in (4, 3, 2, 1)] + [
        "Too many wrong codes. Ask for a new code."]
    response = user.verify(good)
    assert response.status_code == 422
    assert field_errors(response.text)["code"] == "Too many wrong codes. Ask for a new code."
    assert user.account()["status"] == "email_unverified"


def test_expired_code_is_refused(open_client: Callable[..., TestClient]) -> None:
    """A code used after its lifetime is refused as expired."""
    user = PortalUser(open_client(code_ttl_s=0))
    user.register()
    response = user.verify()
    assert response.status_code == 422
    assert field_errors(response.text)["code"] == "The code has expired. Ask for a new code."
    assert user.account()["status"] == "email_unverified"


def test_resend_waits_for_the_cool_down(user: PortalUser) -> None:
    """Asking for a new code right away is refused with 429 and a wait message; no code is sent."""
    user.register()
    response = user.resend()
    assert response.status_code == 429
    assert field_errors(response.text)["code"].startswith("Wait ")
    assert "seconds before asking for a new code" in response.text
    assert len(user.codes()) == 1


def test_resend_after_the_cool_down_replaces_the_code(open_client: Callable[..., TestClient]) -> None:
    """After the cool-down a new code is mailed (newest first) and only it verifies."""
    user = PortalUser(open_client(code_resend_s=0))
    user.register()
    first = user.code()
    response = user.resend()
    assert response.status_code == 200
    assert "We sent a new code" in response.text
    codes = user.codes()
    assert len(codes) == 2 and codes[1] == first
    if codes[0] != first:
        assert user.verify(first).status_code == 422
    assert user.verify(codes[0]).status_code == 303


def test_resend_resets_the_attempts(open_client: Callable[..., TestClient]) -> None:
    """After five wrong codes a new code can still verify the account."""
    user = PortalUser(open_client(code_resend_s=0))
    user.register()
    for _ in range(5):
        user.verify("999999" if user.code() != "999999" else "000000")
    user.resend()
    assert user.verify().status_code == 303
    assert user.account()["status"] == "pending_identity"


def test_verify_page_of_a_verified_account_goes_to_log_in(member: PortalUser) -> None:
    """The code page of an account already verified redirects to log-in."""
    response = member.get(f"/register/verify?email={member.email}")
    assert response.status_code == 303
    assert response.headers["location"] == "/login.htm"


# statuses


def test_account_statuses_from_code_to_active(user: PortalUser) -> None:
    """email_unverified -> pending_identity -> pending_verification -> active after the first IPR."""
    user.register()
    assert user.account()["status"] == "email_unverified"
    response = user.verify()
    assert response.headers["location"] == "/user/identity"
    assert user.account()["status"] == "pending_identity"
    assert user.upload_identity().status_code == 303
    account = user.account()
    assert account["status"] == "pending_verification"
    assert account["identity_doc_type"] == "business_registration"
    user.approved_ipr()
    account = user.account()
    assert account["status"] == "active" and account["activated_at"]


def test_ipr_review_waits_for_the_identity_document(user: PortalUser) -> None:
    """An IPR of an account without its identity document stays pending until the document comes."""
    user.register()
    user.verify()
    ref = ref_of(user.submit_ipr())
    user.advance(10)
    assert user.ipr(ref)["status"] == "pending"
    assert user.account()["status"] == "pending_identity"
    uploaded = user.state()["now"][:19]
    user.upload_identity()
    ipr, account = user.ipr(ref), user.account()
    assert ipr["status"] == "approved" and account["status"] == "active"
    assert ipr["reviewed_at"][:19] >= uploaded and account["activated_at"] == ipr["reviewed_at"]


def test_rejected_first_ipr_leaves_the_account_pending(member: PortalUser) -> None:
    """The account is not activated by a rejected IPR."""
    member.submit_ipr(registration_number="12")
    member.advance(7)
    assert member.state()["iprs"][0]["status"] == "rejected"
    assert member.account()["status"] == "pending_verification"


def test_identity_document_needs_a_type_and_a_file(member: PortalUser) -> None:
    """An identity upload without a document type or file is refused under each field."""
    response = member.post_form("/user/identity", {"doc_type": "diploma"})
    assert response.status_code == 422
    assert field_errors(response.text) == {"doc_type": "Choose the kind of document.",
                                           "document": "Upload your identity document."}


def test_user_center_shows_the_status(member: PortalUser) -> None:
    """The User Center shows the account's status."""
    page = member.get("/user").text
    assert 'data-status="pending_verification"' in page
    assert "Pending verification" in page


# log-in and log-out


def test_log_in_with_wrong_password_is_refused(member: PortalUser) -> None:
    """A wrong password is refused without saying which of email or password was wrong."""
    member.logout()
    response = member.login("Wr0ngPassword")
    assert response.status_code == 422
    assert field_errors(response.text) == {"password": "The email or password is wrong."}
    assert member.get("/user").status_code == 303


def test_log_in_with_unknown_email_is_refused(client: TestClient) -> None:
    """An email with no account gets the same message as a wrong password."""
    response = PortalUser(client, "nobody@brand.example").login()
    assert field_errors(response.text) == {"password": "The email or password is wrong."}


def test_log_in_goes_to_the_page_asked_for(member: PortalUser) -> None:
    """Log-in with ?next= lands on that page; an outside address lands on the User Center."""
    member.logout()
    page = member.get("/login.htm?next=/ipr/manage").text
    response = member.client.post("/login.htm?next=/ipr/manage",
                                  data={"email": member.email, "password": PASSWORD,
                                        "csrf_token": csrf_of(page)})
    assert response.headers["location"] == "/ipr/manage"
    member.logout()
    for target in ("//evil.example", "https://evil.example"):
        page = member.get("/login.htm").text
        response = member.client.post("/login.htm", params={"next": target},
                                      data={"email": member.email, "password": PASSWORD,
                                            "csrf_token": csrf_of(page)})
        assert response.headers["location"] == "/user", target
        member.logout()


def test_log_in_of_an_unverified_account_goes_to_verify(user: PortalUser) -> None:
    """An account whose email is not verified is sent to the code page, not logged in."""
    user.register()
    response = user.login()
    assert response.status_code == 303
    assert response.headers["location"] == "/register/verify?email=owner%40brand.example"
    assert user.get("/user").status_code == 303


def test_log_out_drops_the_session_on_the_server(member: PortalUser) -> None:
    """After log-out the old session cookie no longer logs anybody in."""
    old = member.client.cookies["IPP_SESSION"]
    assert member.get("/user").status_code == 200
    response = member.logout()
    assert response.status_code == 303 and response.headers["location"] == "/login.htm"
    assert member.client.cookies["IPP_SESSION"] != old
    member.client.cookies.clear()
    member.client.cookies.set("IPP_SESSION", old)
    response = member.get("/user")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login.htm?next=/user")


def test_session_cookie_is_http_only(client: TestClient) -> None:
    """The session cookie is HttpOnly (scripts cannot read it) and SameSite=Lax."""
    header = client.get("/login.htm").headers["set-cookie"].lower()
    assert header.startswith("ipp_session=")
    assert "httponly" in header and "samesite=lax" in header


def test_pages_need_log_in(client: TestClient) -> None:
    """A logged-out visitor asking for a user page is sent to log-in with the page as next."""
    for path in ("/user", "/ipr/manage", "/complaint/history", "/goodfaith"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login.htm?next={path}"


def test_idle_session_expires(member: PortalUser) -> None:
    """An idle session is dropped: the next page goes to log-in with next and expired=1."""
    portal_of(member.client).config.session_idle_s = 0
    response = member.get("/ipr/manage?q=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login.htm?next=/ipr/manage%3Fq%3D1&expired=1"
    portal_of(member.client).config.session_idle_s = 1800
    page = member.get(response.headers["location"])
    assert "Your session has expired. Please log in again." in page.text
    assert member.get("/user").status_code == 303


def test_anonymous_form_expires_when_idle(open_client: Callable[..., TestClient]) -> None:
    """With no idle time allowed even the log-in form expires: its post gets 403."""
    user = PortalUser(open_client(session_idle_s=0))
    assert user.login().status_code == 403


# the slider


@pytest.fixture
def slider_user(open_client: Callable[..., TestClient]) -> PortalUser:
    """A person on a portal whose registration asks for the slider."""
    return PortalUser(open_client(captcha="slider"))


def test_registration_without_the_slider_is_refused(slider_user: PortalUser) -> None:
    """With the slider on, a registration that did not solve it is refused with a message."""
    response = slider_user.register()
    assert response.status_code == 422
    assert field_errors(response.text) == {"slider": "Complete the slider check."}
    assert slider_user.state()["accounts"] == []


def test_human_like_slider_lets_registration_through(slider_user: PortalUser) -> None:
    """A drag with enough moves, time and distance solves the slider; registration then passes."""
    page = slider_user.get("/register.htm").text
    assert slider_user.solve_slider(page).json() == {"ok": True}
    data = {**slider_user.registration(), "csrf_token": csrf_of(page),
            "slider_token": slider_token(page)}
    response = slider_user.client.post("/register.htm", data=data)
    assert response.status_code == 303
    assert slider_user.account()["status"] == "email_unverified"


@pytest.mark.parametrize("body", [{"moves": 1}, {"duration_ms": 50}, {"position": 0.6}])
def test_bot_like_slider_is_not_solved(slider_user: PortalUser, body: dict[str, float]) -> None:
    """A drag with one move, too fast or not to the end is not accepted, so registration fails."""
    page = slider_user.get("/register.htm").text
    assert slider_user.solve_slider(page, **body).json() == {"ok": False}
    token = slider_token(page)
    response = slider_user.client.post("/register.htm", data={
        **slider_user.registration(), "csrf_token": csrf_of(page), "slider_token": token})
    assert response.status_code == 422
    assert field_errors(response.text) == {"slider": "Complete the slider check."}


def test_slider_needs_the_csrf_header(slider_user: PortalUser) -> None:
    """A slider answer without the page's x-csrf-token header is not accepted."""
    page = slider_user.get("/register.htm").text
    token = slider_token(page)
    response = slider_user.client.post("/captcha/slider", json={
        "token": token, "moves": 20, "position": 1, "duration_ms": 500})
    assert response.json() == {"ok": False}


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"moves": "many"}'])
def test_slider_refuses_a_malformed_answer(slider_user: PortalUser, body: bytes) -> None:
    """A slider answer that is not a JSON object of numbers gets 400, not a server error."""
    page = slider_user.get("/register.htm").text
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    response = slider_user.client.post("/captcha/slider", content=body,
                                       headers={"x-csrf-token": csrf})
    assert response.status_code == 400
    assert response.json() == {"ok": False}


def test_solved_slider_works_once(slider_user: PortalUser) -> None:
    """A solved slider token is used up by one registration post."""
    page = slider_user.get("/register.htm").text
    slider_user.solve_slider(page)
    token = slider_token(page)
    data = {**slider_user.registration(phone="12"), "csrf_token": csrf_of(page),
            "slider_token": token}
    first = slider_user.client.post("/register.htm", data=data)
    assert set(field_errors(first.text)) == {"phone"}
    second = slider_user.client.post("/register.htm", data={**data, "phone": "+44 20 7946 0000"})
    assert field_errors(second.text) == {"slider": "Complete the slider check."}


def test_slider_guards_log_in_when_asked(open_client: Callable[..., TestClient]) -> None:
    """With captcha_login, log-in needs the slider; solved, it logs in."""
    user = PortalUser(open_client(captcha_login=True)).signed_up()
    user.logout()
    response = user.login()
    assert response.status_code == 422
    assert field_errors(response.text) == {"slider": "Complete the slider check."}
    page = user.get("/login.htm").text
    user.solve_slider(page)
    token = slider_token(page)
    response = user.client.post("/login.htm", data={
        "email": user.email, "password": PASSWORD, "csrf_token": csrf_of(page),
        "slider_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/user"
    assert user.get("/user").status_code == 200


def test_log_in_has_no_slider_by_default(slider_user: PortalUser) -> None:
    """The registration slider does not guard log-in unless captcha_login is on."""
    assert "slider-check" not in slider_user.get("/login.htm").text
    assert "slider-check" in slider_user.get("/register.htm").text

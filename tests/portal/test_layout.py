"""Layout v2: the same portal after a redesign: same field names and journey, other words and ids."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from .conftest import PortalUser, aliexpress, field_errors, ref_of

PAGES = ["/register.htm", "/login.htm", "/user/identity", "/ipr/submit?type=trademark",
         "/ipr/submit?type=copyright", "/ipr/submit?type=other", "/complaint/submit"]


@pytest.fixture
def both(open_client: Callable[..., TestClient]) -> dict[str, PortalUser]:
    """A signed-up member on a v1 portal and one on a v2 portal."""
    return {layout: PortalUser(open_client(layout=layout)).signed_up() for layout in ("v1", "v2")}


def names(html: str) -> set[str]:
    """The names of the form fields on a page."""
    return set(re.findall(r'\bname="([^"]+)"', html)) - {"csrf-token"}


def ids(html: str) -> set[str]:
    """The element ids on a page."""
    return set(re.findall(r'\bid="([^"]+)"', html))


def test_whole_journey_works_on_v2(open_client: Callable[..., TestClient]) -> None:
    """Registration, IPR approval, a complaint and its outcome work on v2 with the same field names."""
    member = PortalUser(open_client(layout="v2")).signed_up()
    assert member.state()["layout"] == "v2"
    ipr = member.approved_ipr()
    assert member.account()["status"] == "active"
    checked = member.check_complaint(ipr, aliexpress(1, 2, 3))
    page = member.get(checked.headers["location"]).text
    assert "Link check results" in page and "3 of 3 listings accepted." in page
    confirmed = member.confirm(checked.headers["location"])
    cp = ref_of(confirmed)
    done = member.get(confirmed.headers["location"]).text
    assert "Takedown request filed" in done and f'<span class="case-id">{cp}</span>' in done
    member.advance(45)  # past the sellers' last chance, 27 working days after acceptance
    assert member.complaint(cp)["status"] == "closed"


def test_v2_has_the_same_field_names_on_every_form(both: dict[str, PortalUser]) -> None:
    """Every form has the same field names in both layouts."""
    for page in PAGES:
        v1, v2 = (names(both[layout].get(page).text) for layout in ("v1", "v2"))
        assert v1 == v2, page


def test_v2_words_and_ids_differ(both: dict[str, PortalUser]) -> None:
    """The register page's button, labels and ids differ: v1 ones are absent from v2 and back."""
    v1 = both["v1"].get("/register.htm").text
    v2 = both["v2"].get("/register.htm").text
    assert "Agree and register" in v1 and 'id="f-login_email"' in v1 and ">Login email<" in v1
    assert "Agree and register" not in v2 and 'id="f-login_email"' not in v2
    assert ">Login email<" not in v2
    assert "Accept and create account" in v2 and 'id="v2_login_email"' in v2
    assert ">Account e-mail<" in v2 and "Accept and create account" not in v1
    assert not ids(v1) & ids(v2) - {"content"}


def test_v2_buttons_differ_on_the_journey(both: dict[str, PortalUser]) -> None:
    """The IPR and complaint pages name their buttons differently in v2."""
    for page, v1_word, v2_word in [("/ipr/submit?type=trademark", "Save Draft", "Keep as draft"),
                                   ("/complaint/submit", "Submit and verify", "Check links"),
                                   ("/user", "User Center", "My workspace"),
                                   ("/ipr/manage", "IPR management", "My rights")]:
        v1, v2 = (both[layout].get(page).text for layout in ("v1", "v2"))
        assert v1_word in v1 and v1_word not in v2, page
        assert v2_word in v2 and v2_word not in v1, page


def test_v2_orders_fields_differently(both: dict[str, PortalUser]) -> None:
    """v2 puts the registration fields in another order (files and checkboxes stay last)."""
    v1, v2 = (both[layout].get("/register.htm").text for layout in ("v1", "v2"))
    order = [re.findall(r'<(?:input|select)[^>]*\bname="(\w+)"', page) for page in (v1, v2)]
    assert order[0] != order[1]
    assert order[1][-1] == "agree" and order[0][-1] == "agree"


def test_v2_errors_are_shown_per_field(open_client: Callable[..., TestClient]) -> None:
    """Field errors on v2 are shown under each field with v2's own classes."""
    user = PortalUser(open_client(layout="v2"))
    response = user.register(phone="12", agree=None)
    assert field_errors(response.text) == {
        "phone": "Enter a phone number with its country code, e.g. +86 138 0000 0000.",
        "agree": "Accept the agreement to register."}
    assert 'class="fld__err"' in response.text and "Some fields need attention:" in response.text
    assert 'class="field-error"' not in response.text

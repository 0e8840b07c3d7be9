"""Fixtures for the portal's HTTP tests: an app on a temp data dir, a client, and a user.

`PortalUser` is the tests' page-level vocabulary: it opens a page, takes its CSRF token and
posts the page's form, as a person with a browser would; `GET /__mock/state` is how a test
looks behind the pages. Time moves only through the portal's clock (`POST /__mock/clock`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from fixtures.portal.app import create_app
from fixtures.portal.config import PortalConfig
from fixtures.portal.web import Portal

DOCS = Path(__file__).resolve().parents[2] / "fixtures" / "documents"
PASSWORD = "Str0ngPassw0rd"
ERROR_RE = re.compile(r'<p class="[^"]*" id="(?:f-|v2_)?(\w+)-error">([^<]*)</p>')

pytestmark = pytest.mark.portal


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/portal is a portal test."""
    for item in items:
        if "tests/portal/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.portal)


def csrf_of(html: str) -> str:
    """The CSRF token in a page's form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def field_errors(html: str) -> dict[str, str]:
    """The message shown under each field of a page, by field name (`slider` for the slider)."""
    return {name: unescape(message) for name, message in ERROR_RE.findall(html)}


def slider_token(html: str) -> str:
    """The slider challenge's token on a page."""
    found = re.search(r'data-token="([^"]+)"', html)
    assert found, "no slider on the page"
    return found.group(1)


def ref_of(response: Any) -> str:
    """The reference in a redirect such as `/ipr/IPR-000001?submitted=1`."""
    return str(response.headers["location"]).split("?")[0].split("/")[2]


def doc(name: str) -> tuple[str, bytes, str]:
    """A sample document as an upload tuple."""
    data = (DOCS / name).read_bytes()
    kind = "application/pdf" if name.endswith(".pdf") else "image/png"
    return (name, data, kind)


def portal_of(client: TestClient) -> Portal:
    """The Portal object behind a test client (to change its configuration mid-test)."""
    portal: Portal = client.app.state.portal  # type: ignore[attr-defined]
    return portal


class PortalUser:
    """A person using the portal through an HTTP client (the tests' page-level vocabulary)."""

    def __init__(self, client: TestClient, email: str = "owner@brand.example") -> None:
        self.client = client
        self.email = email

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def post_form(self, page_url: str, data: dict[str, Any], files: Any = None,
                  action: str | None = None) -> Any:
        """Open a page, take its CSRF token and post its form (to `action` or the page itself)."""
        page = self.client.get(page_url)
        data = {**data, "csrf_token": csrf_of(page.text)}
        return self.client.post(action or page_url, data=data, files=files)

    # accounts

    def registration(self, **overrides: str | None) -> dict[str, str]:
        """The registration form's values; an override of None leaves the field out."""
        data = {"location": "others", "identity_type": "enterprise",
                "registrant_category": "right_holder", "complainant_name": "Demo Brand Ltd",
                "login_email": self.email, "contact_email": "", "password": PASSWORD,
                "password_confirm": PASSWORD, "phone": "+44 20 7946 0000", "agree": "yes"}
        data.update(overrides)  # type: ignore[arg-type]
        return {k: v for k, v in data.items() if v is not None}

    def register(self, **overrides: str | None) -> Any:
        return self.post_form("/register.htm", self.registration(**overrides))

    def codes(self) -> list[str]:
        """The verification codes in the mailbox, newest first."""
        messages = self.client.get("/__mock/mailbox", params={"email": self.email}).json()
        return [m["code"] for m in messages if m["code"]]

    def code(self) -> str:
        return self.codes()[0]

    def verify(self, code: str | None = None) -> Any:
        url = f"/register/verify?email={self.email}"
        return self.post_form(url, {"code": code or self.code(), "action": "verify"})

    def resend(self) -> Any:
        return self.post_form(f"/register/verify?email={self.email}", {"action": "resend"})

    def upload_identity(self) -> Any:
        return self.post_form("/user/identity", {"doc_type": "business_registration"},
                              files={"document": doc("identity.pdf")})

    def signed_up(self, **overrides: str | None) -> PortalUser:
        """Register, verify and upload the identity document."""
        assert self.register(**overrides).status_code == 303
        assert self.verify().status_code == 303
        assert self.upload_identity().status_code == 303
        return self

    def login(self, password: str = PASSWORD) -> Any:
        return self.post_form("/login.htm", {"email": self.email, "password": password})

    def logout(self) -> Any:
        return self.post_form("/", {}, action="/logout")

    def solve_slider(self, html: str, **body: Any) -> Any:
        """Drag the slider on a page as a person does (override `moves`, `position`... to fail)."""
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', html)
        assert csrf, "no CSRF meta tag on the page"
        payload = {"token": slider_token(html), "moves": 24, "position": 1.0, "duration_ms": 640,
                   **body}
        return self.client.post("/captcha/slider", content=json.dumps(payload),
                                headers={"content-type": "application/json",
                                         "x-csrf-token": csrf.group(1)})

    # IPRs

    def ipr_form(self, ipr_type: str = "trademark", action: str = "submit",
                 **overrides: str | None) -> dict[str, str]:
        """The IPR form's values for a type; an override of None leaves the field out."""
        data: dict[str, str | None] = dict(IPR_DEFAULTS[ipr_type], action=action)
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    def submit_ipr(self, ipr_type: str = "trademark", action: str = "submit", files: Any = None,
                   **overrides: str | None) -> Any:
        data = self.ipr_form(ipr_type, action, **overrides)
        if files is None:
            files = [("certificate", doc(f"{ipr_type}-certificate.pdf"))]
            if ipr_type == "copyright" and data.get("work_type") == "software":
                files.append(("additional_files", doc("software-screenshot.png")))
        return self.post_form(f"/ipr/submit?type={ipr_type}", data, files=files)

    def edit_ipr(self, ref: str, data: dict[str, str], files: Any = None) -> Any:
        return self.post_form(f"/ipr/{ref}/edit", data, files=files)

    def advance(self, days: float) -> None:
        assert self.client.post("/__mock/clock", json={"advance_days": days}).status_code == 200

    def state(self) -> dict[str, Any]:
        return self.client.get("/__mock/state").json()

    def account(self) -> dict[str, Any]:
        return next(a for a in self.state()["accounts"] if a["login_email"] == self.email)

    def ipr(self, ref: str) -> dict[str, Any]:
        return next(i for i in self.state()["iprs"] if i["ref"] == ref)

    def approved_ipr(self, ipr_type: str = "trademark", **overrides: str | None) -> str:
        """Submit an IPR and move the clock until it is approved; return its reference."""
        response = self.submit_ipr(ipr_type, **overrides)
        assert response.status_code == 303, response.text
        self.advance(7)
        ref = ref_of(response)
        assert self.ipr(ref)["status"] == "approved", self.ipr(ref)
        return ref

    # complaints

    def check_complaint(self, ipr_ref: str, urls: list[str], **overrides: Any) -> Any:
        data = {"platform": "aliexpress", "ipr": ipr_ref, "complaint_type": "product_listing",
                "reason": "counterfeit", "urls": "\n".join(urls), "note": ""}
        files = overrides.pop("files", [("evidence", doc("evidence-comparison.png"))])
        data.update(overrides)
        return self.post_form("/complaint/submit", data, files=files)

    def confirm(self, check_url: str) -> Any:
        return self.post_form(check_url, {})

    def file_complaint(self, ipr_ref: str, urls: list[str], **overrides: Any) -> str:
        """Check and confirm a complaint; return its reference."""
        checked = self.check_complaint(ipr_ref, urls, **overrides)
        assert checked.status_code == 303, checked.text
        check_url = checked.headers["location"]
        confirmed = self.confirm(check_url)
        assert confirmed.status_code == 303, confirmed.text
        return check_url.split("/")[2]

    def complaint(self, ref: str) -> dict[str, Any]:
        return next(c for c in self.state()["complaints"] if c["ref"] == ref)

    def listings(self, ref: str) -> dict[str, str]:
        """Each listing URL of a complaint with its status."""
        return {li["url"]: li["status"] for li in self.complaint(ref)["listings"]}

    def answer(self, complaint_ref: str, listing_id: int, answer: str) -> Any:
        """Accept or reject the counter-notice on one listing, from the complaint's page."""
        return self.post_form(f"/complaint/{complaint_ref}", {"answer": answer},
                              action=f"/complaint/listing/{listing_id}/respond")

    def withdraw(self, complaint_ref: str) -> Any:
        return self.post_form(f"/complaint/{complaint_ref}", {},
                              action=f"/complaint/{complaint_ref}/withdraw")


IPR_DEFAULTS: dict[str, dict[str, str]] = {
    "trademark": {"registration_place": "CN", "name": "DEMOBRAND",
                  "registration_number": "12345678", "rights_holder": "Demo Brand Ltd",
                  "expiration_date": "2031-05-01", "mark_kind": "word", "classes": "9, 25",
                  "brand_info": ""},
    "copyright": {"registration_place": "CN", "name": "DemoBrand catalogue photos",
                  "registration_number": "2020SR123456", "rights_holder": "Demo Brand Ltd",
                  "registered": "yes", "work_type": "photo"},
    "patent": {"registration_place": "CN", "name": "Folding bottle",
               "registration_number": "ZL201910123456.7", "rights_holder": "Demo Brand Ltd",
               "expiration_date": "2035-01-01", "patent_type": "design"},
    "other": {"registration_place": "US", "name": "DemoBrand trade dress",
              "registration_number": "TD-2020-001", "rights_holder": "Demo Brand Ltd",
              "valid_from": "2020-01-01", "valid_to": "2032-12-31",
              "content": "Trade dress of the DemoBrand bottle"},
}


def aliexpress(*numbers: int) -> list[str]:
    """AliExpress product URLs for item numbers."""
    return [f"https://www.aliexpress.com/item/{n}.html" for n in numbers]


def make_app(tmp_path: Path, **config: Any) -> Any:
    """The portal app on a fresh data dir."""
    return create_app(PortalConfig(data_dir=tmp_path / "portal", **config))


def start_on_monday(client: TestClient) -> None:
    """Put the portal's clock on the next Monday, 09:00 UTC, so working-day sums repeat."""
    now = datetime.fromisoformat(client.get("/__mock/state").json()["now"])
    monday = (now + timedelta(days=7 - now.weekday())).replace(hour=9, minute=0, second=0,
                                                              microsecond=0)
    assert client.post("/__mock/clock", json={"set": monday.isoformat()}).status_code == 200


def today(client: TestClient) -> date:
    """The portal's date."""
    return datetime.fromisoformat(client.get("/__mock/state").json()["now"]).date()


@pytest.fixture
def open_client(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """Open a client of a fresh portal built with PortalConfig values (clock on a Monday)."""
    with ExitStack() as stack:
        count = 0

        def opener(**config: Any) -> TestClient:
            nonlocal count
            count += 1
            app = make_app(tmp_path / f"portal-{count}", **config)
            test_client = stack.enter_context(TestClient(app, follow_redirects=False))
            start_on_monday(test_client)
            return test_client

        yield opener


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """A client of a fresh portal (layout v1, no faults)."""
    with TestClient(make_app(tmp_path), follow_redirects=False) as test_client:
        start_on_monday(test_client)
        yield test_client


@pytest.fixture
def user(client: TestClient) -> PortalUser:
    """A person about to use the fresh portal."""
    return PortalUser(client)


@pytest.fixture
def member(user: PortalUser) -> PortalUser:
    """A registered, verified user with an identity document on file."""
    return user.signed_up()

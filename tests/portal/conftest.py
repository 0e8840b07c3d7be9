"""Fixtures for the portal's HTTP tests: an app on a temp data dir, a client, and a user who drives it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from fixtures.portal.app import create_app
from fixtures.portal.config import PortalConfig

DOCS = Path(__file__).resolve().parents[2] / "fixtures" / "documents"
PASSWORD = "Str0ngPassw0rd"

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


def doc(name: str) -> tuple[str, bytes, str]:
    """A sample document as an upload tuple."""
    data = (DOCS / name).read_bytes()
    kind = "application/pdf" if name.endswith(".pdf") else "image/png"
    return (name, data, kind)


class PortalUser:
    """A person using the portal through an HTTP client (the tests' page-level vocabulary)."""

    def __init__(self, client: TestClient, email: str = "owner@brand.example") -> None:
        self.client = client
        self.email = email

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def post_form(self, page_url: str, data: dict[str, Any], files: Any = None, action: str | None = None) -> Any:
        """Open a page, take its CSRF token and post its form (to `action` or the page itself)."""
        page = self.client.get(page_url)
        data = {**data, "csrf_token": csrf_of(page.text)}
        return self.client.post(action or page_url, data=data, files=files)

    def register(self, **overrides: str) -> Any:
        data = {"location": "others", "identity_type": "enterprise", "registrant_category": "right_holder",
                "complainant_name": "Demo Brand Ltd", "login_email": self.email, "contact_email": "",
                "password": PASSWORD, "password_confirm": PASSWORD, "phone": "+44 20 7946 0000", "agree": "yes"}
        data.update(overrides)
        return self.post_form("/register.htm", data)

    def code(self) -> str:
        messages = self.client.get("/__mock/mailbox", params={"email": self.email}).json()
        return next(m["code"] for m in messages if m["code"])

    def verify(self, code: str | None = None) -> Any:
        url = f"/register/verify?email={self.email}"
        return self.post_form(url, {"code": code or self.code(), "action": "verify"})

    def upload_identity(self) -> Any:
        return self.post_form("/user/identity", {"doc_type": "business_registration"},
                              files={"document": doc("identity.pdf")})

    def signed_up(self) -> PortalUser:
        """Register, verify and upload the identity document."""
        assert self.register().status_code == 303
        assert self.verify().status_code == 303
        assert self.upload_identity().status_code == 303
        return self

    def login(self, password: str = PASSWORD) -> Any:
        return self.post_form("/login.htm", {"email": self.email, "password": password})

    def submit_ipr(self, ipr_type: str = "trademark", action: str = "submit", files: Any = None,
                   **overrides: str) -> Any:
        data = dict(IPR_DEFAULTS[ipr_type], action=action)
        data.update(overrides)
        if files is None:
            files = [("certificate", doc(f"{ipr_type}-certificate.pdf"))]
            if ipr_type == "copyright" and data.get("work_type") == "software":
                files.append(("additional_files", doc("software-screenshot.png")))
        return self.post_form(f"/ipr/submit?type={ipr_type}", data, files=files)

    def advance(self, days: float) -> None:
        assert self.client.post("/__mock/clock", json={"advance_days": days}).status_code == 200

    def state(self) -> dict[str, Any]:
        return self.client.get("/__mock/state").json()

    def approved_ipr(self, ipr_type: str = "trademark", **overrides: str) -> str:
        """Submit an IPR and move the clock until it is approved; return its reference."""
        response = self.submit_ipr(ipr_type, **overrides)
        assert response.status_code == 303, response.text
        self.advance(7)
        ref = response.headers["location"].split("/")[2].split("?")[0]
        ipr = next(i for i in self.state()["iprs"] if i["ref"] == ref)
        assert ipr["status"] == "approved", ipr
        return ref

    def check_complaint(self, ipr_ref: str, urls: list[str], **overrides: Any) -> Any:
        data = {"platform": "aliexpress", "ipr": ipr_ref, "complaint_type": "product_listing",
                "reason": "counterfeit", "urls": "\n".join(urls), "note": ""}
        files = overrides.pop("files", [("evidence", doc("evidence-comparison.png"))])
        data.update(overrides)
        return self.post_form("/complaint/submit", data, files=files)

    def file_complaint(self, ipr_ref: str, urls: list[str], **overrides: Any) -> str:
        """Check and confirm a complaint; return its reference."""
        checked = self.check_complaint(ipr_ref, urls, **overrides)
        assert checked.status_code == 303, checked.text
        check_url = checked.headers["location"]
        confirmed = self.post_form(check_url, {})
        assert confirmed.status_code == 303, confirmed.text
        return check_url.split("/")[2]


IPR_DEFAULTS: dict[str, dict[str, str]] = {
    "trademark": {"registration_place": "CN", "name": "DEMOBRAND", "registration_number": "12345678",
                  "rights_holder": "Demo Brand Ltd", "expiration_date": "2031-05-01", "mark_kind": "word",
                  "classes": "9, 25", "brand_info": ""},
    "copyright": {"registration_place": "CN", "name": "DemoBrand catalogue photos",
                  "registration_number": "2020SR123456", "rights_holder": "Demo Brand Ltd",
                  "registered": "yes", "work_type": "photo"},
    "patent": {"registration_place": "CN", "name": "Folding bottle", "registration_number": "ZL201910123456.7",
               "rights_holder": "Demo Brand Ltd", "expiration_date": "2035-01-01", "patent_type": "design"},
    "other": {"registration_place": "US", "name": "DemoBrand trade dress", "registration_number": "TD-2020-001",
              "rights_holder": "Demo Brand Ltd", "valid_from": "2020-01-01", "valid_to": "2032-12-31",
              "content": "Trade dress of the DemoBrand bottle"},
}


def make_app(tmp_path: Path, **config: Any) -> Any:
    """The portal app on a fresh data dir."""
    return create_app(PortalConfig(data_dir=tmp_path / "portal", **config))


def start_on_monday(client: TestClient) -> None:
    """Put the portal's clock on the next Monday, 09:00 UTC, so working-day sums are the same every run."""
    now = datetime.fromisoformat(client.get("/__mock/state").json()["now"])
    monday = (now + timedelta(days=7 - now.weekday())).replace(hour=9, minute=0, second=0, microsecond=0)
    assert client.post("/__mock/clock", json={"set": monday.isoformat()}).status_code == 200


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

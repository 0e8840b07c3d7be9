"""The protocol floor: files IPRs and complaints on the portal with plain HTTP (httpx, keep-alive).

What a browser cannot do with less: log in once, then for every filing fetch its form (for the
CSRF token), post the fields and files as multipart, follow the 303 and read the reference from
the confirmation. A complaint is two posts: `/complaint/submit` (the per-URL check page follows)
and `/complaint/<ref>/check` (the complaint's page with its reference follows). No look-up
before filing, no evidence kept: this client is the yardstick `bench/` divides by, not a bot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
IPR_REF = re.compile(r'data-testid="reference">(IPR-\d{6})<')
COMPLAINT_REF = re.compile(r'data-testid="reference">(CP-\d{6})<')
CHECK_PATH = re.compile(r"^/complaint/(CP-\d{6})/check$")


class FloorError(RuntimeError):
    """The portal did not answer as a correct filing would (the floor must never be wrong)."""


@dataclass(frozen=True)
class Trademark:
    """The fields of one trademark filing (the bench's IPR entries are all trademarks)."""

    name: str
    registration_number: str
    document: Path
    registration_place: str = "CN"
    rights_holder: str = "Bench Brand Ltd"
    expiration_date: str = "2034-01-01"
    mark_kind: str = "word"
    classes: str = "9"


@dataclass(frozen=True)
class ListingComplaint:
    """The fields of one complaint: an approved IPR (its portal reference) and the listings."""

    ipr_ref: str
    listings: tuple[str, ...]
    platform: str = "aliexpress"
    complaint_type: str = "product_listing"
    reason: str = "trademark_misuse"
    note: str = ""


class HttpClient:
    """One logged-in keep-alive session on the portal."""

    def __init__(self, base_url: str = "", timeout_s: float = 30.0, *, http: httpx.Client | None = None) -> None:
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout_s)

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.http.close()

    def login(self, email: str, password: str) -> None:
        """Log in; the session cookie stays in the client."""
        token = self._token("/login.htm")
        answer = self.http.post("/login.htm", data={"csrf_token": token, "email": email, "password": password},
                                follow_redirects=True)
        if answer.url.path.startswith("/login"):
            raise FloorError(f"log-in refused ({answer.status_code})")

    def file_ipr(self, ipr: Trademark) -> str:
        """Submit one trademark with its certificate; return the portal's reference."""
        path = "/ipr/submit?type=trademark"
        fields = {"csrf_token": self._token(path), "action": "submit", "registration_place": ipr.registration_place,
                  "name": ipr.name, "registration_number": ipr.registration_number,
                  "rights_holder": ipr.rights_holder, "expiration_date": ipr.expiration_date,
                  "mark_kind": ipr.mark_kind, "classes": ipr.classes}
        files = {"certificate": (ipr.document.name, ipr.document.read_bytes(), "application/pdf")}
        answer = self.http.post(path, data=fields, files=files, follow_redirects=True)
        return _reference(answer, IPR_REF)

    def file_complaint(self, complaint: ListingComplaint) -> str:
        """Both posts of a complaint (check, then confirm); return the portal's reference."""
        fields = {"csrf_token": self._token("/complaint/submit"), "platform": complaint.platform,
                  "ipr": complaint.ipr_ref, "complaint_type": complaint.complaint_type,
                  "reason": complaint.reason, "urls": "\n".join(complaint.listings), "note": complaint.note}
        # multipart, as the browser posts this form (it carries the evidence input)
        checked = self.http.post("/complaint/submit", data=fields, files={"evidence": ("", b"", "")},
                                 follow_redirects=True)
        found = CHECK_PATH.match(checked.url.path)
        if checked.status_code != 200 or found is None or "Confirm and submit" not in checked.text:
            raise FloorError(f"no check page after the complaint form ({checked.status_code} {checked.url})")
        token = _csrf(checked.text)
        filed = self.http.post(f"/complaint/{found.group(1)}/check", data={"csrf_token": token}, follow_redirects=True)
        return _reference(filed, COMPLAINT_REF)

    def _token(self, path: str) -> str:
        answer = self.http.get(path)
        if answer.status_code != 200:
            raise FloorError(f"GET {path}: {answer.status_code}")
        return _csrf(answer.text)


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    if found is None:
        raise FloorError("no CSRF token on the page")
    return found.group(1)


def _reference(answer: httpx.Response, pattern: re.Pattern[str]) -> str:
    found = pattern.search(answer.text)
    if answer.status_code != 200 or found is None:
        raise FloorError(f"no reference after the submission ({answer.status_code} {answer.url})")
    return found.group(1)

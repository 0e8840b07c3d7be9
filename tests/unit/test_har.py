"""HAR scrubbing: cookies, tokens, passwords and codes leave the file; everything else stays."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.logs import clear_secrets, register_secret
from bot.run.har import is_secret_field, scrub_har

pytestmark = pytest.mark.unit

PASSWORD = "canary-Pa55word!"
COOKIE = "sid-canary-7f3e9a11"
CODE = "731904"
CSRF = "csrf-canary-Qx81LmZ0"
SLIDER = "slider-canary-55aa"
BEARER = "bearer-canary-9d9d"
REGISTERED = "registered-canary-4242"
BOUNDARY = "----WebKitFormBoundaryAbC123"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
CANARIES = (PASSWORD, COOKIE, CODE, CSRF, SLIDER, BEARER, REGISTERED)


def header(name: str, value: str) -> dict[str, str]:
    return {"name": name, "value": value}


def entry(method: str, url: str, *, request: dict[str, Any] | None = None,
          response: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"startedDateTime": "2026-11-28T02:00:00.000Z", "time": 12,
            "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1",
                        "cookies": [{"name": "IPP_SESSION", "value": COOKIE}],
                        "headers": [header("Cookie", f"IPP_SESSION={COOKIE}"), header("Accept", "text/html")],
                        "queryString": [], "headersSize": -1, "bodySize": 0, **(request or {})},
            "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "cookies": [],
                         "headers": [header("Content-Type", "text/html")],
                         "content": {"size": 0, "mimeType": "text/html", "text": ""},
                         "redirectURL": "", "headersSize": -1, "bodySize": 0, **(response or {})},
            "cache": {}, "timings": {"send": 0, "wait": 10, "receive": 2}}


def login_page() -> dict[str, Any]:
    html = (f'<html><head><meta name="csrf-token" content="{CSRF}"></head><body><form method="post">'
            f'<input type="hidden" name="csrf_token" value="{CSRF}"><input name="email" value="brand@example.com">'
            f'<input type="password" name="password" value=""></form><p>{REGISTERED}</p></body></html>')
    return entry("GET", "https://portal.example/login.htm", response={
        "cookies": [{"name": "IPP_SESSION", "value": COOKIE, "httpOnly": True}],
        "headers": [header("Content-Type", "text/html; charset=utf-8"),
                    header("Set-Cookie", f"IPP_SESSION={COOKIE}; HttpOnly")],
        "content": {"size": len(html), "mimeType": "text/html; charset=utf-8", "text": html}})


def login_post() -> dict[str, Any]:
    body = f"csrf_token={CSRF}&email=brand%40example.com&password={PASSWORD.replace('!', '%21')}&next=%2Fuser"
    return entry("POST", "https://portal.example/login.htm", request={"postData": {
        "mimeType": "application/x-www-form-urlencoded", "text": body,
        "params": [{"name": "csrf_token", "value": CSRF}, {"name": "email", "value": "brand@example.com"},
                   {"name": "password", "value": PASSWORD}, {"name": "next", "value": "/user"}]}})


def multipart(fields: dict[str, str]) -> str:
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             for name, value in fields.items()]
    file_part = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="identity"; filename="id.pdf"\r\n'
                 "Content-Type: application/pdf\r\n\r\n%PDF-1.4 body\r\n")
    return "".join(parts) + file_part + f"--{BOUNDARY}--\r\n"


def verify_post() -> dict[str, Any]:
    body = multipart({"csrf_token": CSRF, "code": CODE, "password_confirm": PASSWORD, "email": "brand@example.com"})
    return entry("POST", "https://portal.example/register/verify?email=brand%40example.com", request={"postData": {
        "mimeType": f"multipart/form-data; boundary={BOUNDARY}", "text": body, "params": []}})


def slider_post() -> dict[str, Any]:
    body = json.dumps({"slider_token": SLIDER, "distance": 212})
    return entry("POST", "https://portal.example/captcha/slider", request={
        "headers": [header("X-CSRF-Token", CSRF), header("Authorization", f"Bearer {BEARER}"),
                    header("Content-Type", "application/json")],
        "postData": {"mimeType": "application/json", "text": body}},
        response={"content": {"size": 30, "mimeType": "application/json",
                              "text": json.dumps({"ok": True, "token": SLIDER})}})


def image() -> dict[str, Any]:
    return entry("GET", f"https://portal.example/static/logo.png?v={REGISTERED}", response={"content": {
        "size": len(PNG), "mimeType": "image/png", "encoding": "base64", "text": base64.b64encode(PNG).decode()}})


def page_in_base64() -> dict[str, Any]:
    html = f'<meta name="csrf-token" content="{CSRF}"><p>session {COOKIE}</p>'
    return entry("GET", "https://portal.example/user", response={"content": {
        "size": len(html), "mimeType": "text/html", "encoding": "base64",
        "text": base64.b64encode(html.encode()).decode()}})


@pytest.fixture(autouse=True)
def secrets() -> Iterator[None]:
    """The session cookie and one more value are registered, as the flows register them."""
    clear_secrets()
    register_secret(COOKIE)
    register_secret(REGISTERED)
    yield
    clear_secrets()


@pytest.fixture
def har(tmp_path: Path) -> Path:
    """A HAR of a log-in, a verification, a slider check, a page and an image, full of canaries."""
    path = tmp_path / "entry.har"
    entries = [login_page(), login_post(), verify_post(), slider_post(), page_in_base64(), image()]
    data = {"log": {"version": "1.2", "creator": {"name": "Playwright", "version": "1.65"}, "entries": entries}}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def entries_of(path: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["log"]["entries"]
    return entries


def decoded_texts(path: Path) -> str:
    """Every base64 body of the HAR, decoded, so a canary cannot hide in one."""
    bodies = [e["response"]["content"] for e in entries_of(path)]
    return " ".join(base64.b64decode(c["text"]).decode("latin-1") for c in bodies if c.get("encoding") == "base64")


def test_no_canary_survives(har: Path) -> None:
    """Password, cookie, code, CSRF token, slider token, bearer token and registered values are all gone."""
    scrub_har(har)
    text = har.read_text(encoding="utf-8") + decoded_texts(har)
    for canary in CANARIES:
        assert canary not in text, canary


def test_the_har_keeps_its_entries(har: Path) -> None:
    """The scrubbed file is still a HAR with the same requests, in the same order."""
    before = [(e["request"]["method"], e["response"]["status"]) for e in entries_of(har)]
    scrub_har(har)
    after = entries_of(har)
    assert [(e["request"]["method"], e["response"]["status"]) for e in after] == before
    assert [e["request"]["url"] for e in after][:4] == [
        "https://portal.example/login.htm", "https://portal.example/login.htm",
        "https://portal.example/register/verify?email=brand%40example.com", "https://portal.example/captcha/slider"]


def test_cookies_and_secret_headers_are_blanked(har: Path) -> None:
    """Cookie arrays are emptied and Cookie, Set-Cookie, Authorization and X-CSRF-Token say [redacted]."""
    scrub_har(har)
    for item in entries_of(har):
        for message in (item["request"], item["response"]):
            assert message["cookies"] == []
            for h in message["headers"]:
                if h["name"].lower() in ("cookie", "set-cookie", "authorization", "x-csrf-token"):
                    assert h["value"] == "[redacted]"
    assert header("Accept", "text/html") in entries_of(har)[0]["request"]["headers"]


def test_form_fields_are_replaced_in_place(har: Path) -> None:
    """Secret form fields become [redacted] as a browser would send it; other fields keep their bytes."""
    scrub_har(har)
    login = entries_of(har)[1]["request"]["postData"]
    assert login["text"] == ("csrf_token=%5Bredacted%5D&email=brand%40example.com&password=%5Bredacted%5D"
                             "&next=%2Fuser")
    assert [p["value"] for p in login["params"]] == ["[redacted]", "brand@example.com", "[redacted]", "/user"]


def test_multipart_fields_are_replaced_and_files_kept(har: Path) -> None:
    """In a multipart body the code, password and token are replaced and the file part is untouched."""
    scrub_har(har)
    body = entries_of(har)[2]["request"]["postData"]["text"]
    expected = multipart({"csrf_token": "[redacted]", "code": "[redacted]", "password_confirm": "[redacted]",
                          "email": "brand@example.com"})
    assert body == expected


def test_page_tokens_match_what_the_form_posts(har: Path) -> None:
    """The page's meta and hidden csrf_token read [redacted], the value its form post now carries."""
    scrub_har(har)
    html = entries_of(har)[0]["response"]["content"]["text"]
    assert '<meta name="csrf-token" content="[redacted]">' in html
    assert '<input type="hidden" name="csrf_token" value="[redacted]">' in html
    assert '<input name="email" value="brand@example.com">' in html
    assert '<input type="password" name="password" value="">' in html


def test_binary_bodies_are_left_alone(har: Path) -> None:
    """An image body is kept byte for byte (only its URL's registered value is masked)."""
    scrub_har(har)
    logo = entries_of(har)[5]
    assert base64.b64decode(logo["response"]["content"]["text"]) == PNG
    assert logo["request"]["url"] == "https://portal.example/static/logo.png?v=[redacted]"


def test_rewrite_is_atomic_and_private(har: Path) -> None:
    """The HAR is replaced in one move, readable by its owner only, with no temporary file left."""
    scrub_har(har)
    assert [p.name for p in har.parent.iterdir()] == [har.name]
    assert stat.S_IMODE(har.stat().st_mode) == 0o600


@pytest.mark.parametrize(("name", "secret"), [
    ("password", True), ("Password_Confirm", True), ("code", True), ("csrf_token", True), ("csrf-token", True),
    ("slider_token", True), ("x-xsrf-token", True), ("api_key", True),
    ("status_code", False), ("email", False), ("q", False), ("registration_number", False),
])
def test_secret_fields_follow_the_logs_rule(name: str, secret: bool) -> None:
    """The named fields and whatever bot.logs calls sensitive are secret; ordinary fields are not."""
    assert is_secret_field(name) is secret

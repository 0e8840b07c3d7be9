"""Faults on request: latency, jitter, 5xx, the duplicate trap, 429, session expiry, maintenance.

Waits are observed by replacing the fault layer's `asyncio.sleep` with a recorder (the
`waits` fixture), so no test waits for real except the one that checks latency is real.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.testclient import TestClient

from fixtures.portal import __main__ as cli
from fixtures.portal import faults as faults_module
from fixtures.portal.faults import FaultSpecError, parse_spec

from .conftest import PortalUser, aliexpress, field_errors, make_app


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait the fault layer asks for, in seconds; nothing actually waits."""
    recorded: list[float] = []

    async def record(seconds: float) -> None:
        recorded.append(round(seconds, 6))

    monkeypatch.setattr(faults_module, "asyncio", SimpleNamespace(sleep=record))
    return recorded


def set_faults(client: TestClient, **spec: Any) -> dict[str, Any]:
    """Put a fault spec in force through the control API."""
    response = client.post("/__mock/faults", json=spec)
    assert response.status_code == 200, response.text
    return response.json()


def fired(client: TestClient) -> dict[str, int]:
    """How often each fault fired, from the control API."""
    return client.get("/__mock/faults").json()["fired"]


def status_or_drop(call: Callable[[], Any]) -> int | None:
    """The status of a request, or None when the portal dropped the connection mid-answer."""
    try:
        return int(call().status_code)
    except ConnectionAbortedError:
        return None


# latency and jitter


def test_latency_is_real(open_client: Callable[..., TestClient]) -> None:
    """With latency_ms=50 a page takes at least 50 ms to answer."""
    client = open_client(faults="latency_ms=50")
    started = time.perf_counter()
    assert client.get("/login.htm").status_code == 200
    assert time.perf_counter() - started >= 0.05


def test_latency_applies_to_pages_not_to_control_or_static(
        open_client: Callable[..., TestClient], waits: list[float]) -> None:
    """Every page waits latency_ms; control routes and static files never wait."""
    client = open_client(faults="latency_ms=50")
    waits.clear()
    client.get("/__mock/state")
    client.get("/static/style-v1.css")
    assert waits == []
    client.get("/login.htm")
    client.post("/login.htm")
    assert waits == [0.05, 0.05]


def test_jitter_is_bounded(open_client: Callable[..., TestClient], waits: list[float]) -> None:
    """With jitter each wait lies between latency_ms and latency_ms + jitter_ms, and they differ."""
    client = open_client(faults="latency_ms=20,jitter_ms=30,seed=3")
    waits.clear()
    for _ in range(30):
        client.get("/login.htm")
    assert len(waits) == 30
    assert all(0.02 <= w <= 0.05 for w in waits)
    assert max(waits) - min(waits) > 0.015


def test_slow_upload_waits_on_multipart_posts_only(member: PortalUser, waits: list[float]) -> None:
    """slow_upload_ms delays upload posts, not plain posts or pages."""
    set_faults(member.client, slow_upload_ms=40)
    waits.clear()
    member.get("/user")
    member.login("wrong")  # a plain form post (and the page before it)
    assert waits == []
    assert member.submit_ipr().status_code == 303
    assert waits == [0.04]


# 5xx without storing


def test_error_rate_answers_503_and_stores_nothing(member: PortalUser) -> None:
    """With error_rate=1 every form post gets 503 and nothing is stored; pages still load."""
    set_faults(member.client, error_rate=1)
    response = member.submit_ipr()
    assert response.status_code == 503
    assert "Nothing was saved." in response.text
    assert member.get("/ipr/manage").status_code == 200
    assert PortalUser(member.client, "new@brand.example").register().status_code == 503
    state = member.state()
    assert state["iprs"] == [] and len(state["accounts"]) == 1
    assert fired(member.client) == {"error_rate": 2}


def test_error_rate_zero_changes_nothing(member: PortalUser) -> None:
    """With error_rate=0 posts go through."""
    set_faults(member.client, error_rate=0)
    assert member.submit_ipr().status_code == 303
    assert fired(member.client) == {}


def test_route_scoped_fault_hits_only_its_route(open_client: Callable[..., TestClient]) -> None:
    """error_rate:/ipr/submit=1 fails IPR submissions only: registration and the rest still work."""
    member = PortalUser(open_client(faults="error_rate:/ipr/submit=1")).signed_up()
    assert member.submit_ipr().status_code == 503
    assert member.submit_ipr(action="draft").status_code == 503
    assert member.login().status_code == 303
    assert member.state()["iprs"] == []
    assert fired(member.client) == {"error_rate": 2}


def test_longest_route_prefix_wins(open_client: Callable[..., TestClient], waits: list[float]) -> None:
    """A route value applies under its prefix, the longest prefix wins, and the global value elsewhere."""
    client = open_client(faults="latency_ms=5,latency_ms:/ipr=30,latency_ms:/ipr/submit=60")
    waits.clear()
    for path in ("/login.htm", "/ipr/manage", "/ipr/submit", "/ipr/IPR-000001"):
        client.get(path)
    assert waits == [0.005, 0.03, 0.06, 0.03]


# the duplicate trap


def test_commit_then_fail_stores_the_ipr_but_fails_the_answer(member: PortalUser) -> None:
    """With commit_then_fail=1 an IPR submission is stored while the answer is 502 or dropped."""
    set_faults(member.client, commit_then_fail=1)
    assert status_or_drop(member.submit_ipr) in {502, None}
    (ipr,) = member.state()["iprs"]
    assert ipr["status"] == "pending" and ipr["registration_number"] == "12345678"
    assert fired(member.client) == {"commit_then_fail": 1}


def test_commit_then_fail_answers_both_ways(member: PortalUser) -> None:
    """Across seeds the trap answers sometimes 502 and sometimes with a dropped connection."""
    outcomes = set()
    for seed in range(20):
        set_faults(member.client, commit_then_fail=1, seed=seed)
        outcomes.add(status_or_drop(member.submit_ipr))
        if outcomes == {502, None}:
            break
    assert outcomes == {502, None}
    assert {i["status"] for i in member.state()["iprs"]} == {"pending"}


def test_commit_then_fail_stores_the_complaint_but_fails_the_answer(member: PortalUser) -> None:
    """The complaint's check step passes; its final submit is stored while the answer fails."""
    ipr = member.approved_ipr()
    set_faults(member.client, commit_then_fail=1)
    checked = member.check_complaint(ipr, aliexpress(1, 2))
    assert checked.status_code == 303
    assert status_or_drop(lambda: member.confirm(checked.headers["location"])) in {502, None}
    (complaint,) = member.state()["complaints"]
    assert complaint["status"] == "submitted"
    assert [li["status"] for li in complaint["listings"]] == ["pending", "pending"]
    assert fired(member.client) == {"commit_then_fail": 1}


def test_commit_then_fail_spares_posts_that_store_nothing(member: PortalUser) -> None:
    """A form with errors, a draft or a log-in is answered normally under commit_then_fail=1."""
    set_faults(member.client, commit_then_fail=1)
    refused = member.submit_ipr(name=None)
    assert refused.status_code == 422
    assert field_errors(refused.text) == {"name": "This field is required."}
    assert member.submit_ipr(action="draft").status_code == 303
    assert member.login().status_code == 303
    assert fired(member.client) == {}
    assert [i["status"] for i in member.state()["iprs"]] == ["draft"]


# rate limit, session expiry, maintenance


def test_rate_limit_answers_429_with_retry_after(open_client: Callable[..., TestClient]) -> None:
    """Past rate_limit requests a minute the portal answers 429 with Retry-After; control routes are free."""
    client = open_client(faults="rate_limit=3")
    for _ in range(3):
        assert client.get("/login.htm").status_code == 200
        assert client.get("/__mock/state").status_code == 200
    response = client.get("/login.htm")
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert "Too many requests" in response.text
    assert client.post("/login.htm").status_code == 429
    assert fired(client) == {"rate_limit": 2}


def test_session_expiry_drops_the_session_after_n_requests(member: PortalUser) -> None:
    """With session_expiry=3 a logged-in session serves 3 requests, then sends the user to log in."""
    set_faults(member.client, session_expiry=3)
    member.client.cookies.clear()
    assert member.login().status_code == 303
    for _ in range(3):
        assert member.get("/user").status_code == 200
    response = member.get("/user")
    assert response.status_code == 303
    assert response.headers["location"] == "/login.htm?next=/user&expired=1"
    assert fired(member.client) == {"session_expiry": 1}
    assert member.login().status_code == 303
    assert member.get("/user").status_code == 200


def test_session_expiry_jitter_gives_each_session_its_own_count(member: PortalUser) -> None:
    """With session_expiry=6 and a jitter of 4, sessions last 2 to 10 requests each, not all the same."""
    set_faults(member.client, session_expiry=6, session_expiry_jitter=4, seed=3)
    served = []
    for _ in range(12):
        member.client.cookies.clear()
        assert member.login().status_code == 303
        count = 0
        while member.get("/user").status_code == 200:
            count += 1
            assert count <= 10
        served.append(count)
    assert min(served) >= 2 and len(set(served)) > 1, served
    assert fired(member.client) == {"session_expiry": 12}


def test_maintenance_closes_every_page_but_not_control(member: PortalUser) -> None:
    """With maintenance on every page and post is a 503 page with Retry-After; control routes work."""
    set_faults(member.client, maintenance="on")
    for response in (member.get("/"), member.get("/user"), member.client.post("/login.htm")):
        assert response.status_code == 503
        assert response.headers["retry-after"] == "30"
        assert "Scheduled maintenance" in response.text
    assert member.client.get("/__mock/state").status_code == 200
    assert member.client.get("/static/slider.js").status_code == 200
    set_faults(member.client, maintenance="off")
    assert member.get("/user").status_code == 200


def test_maintenance_retry_after_is_configurable(open_client: Callable[..., TestClient]) -> None:
    """maintenance_retry_after sets the Retry-After of the maintenance page."""
    client = open_client(faults="maintenance=on,maintenance_retry_after=120")
    assert client.get("/login.htm").headers["retry-after"] == "120"


def test_human_checks_switch_at_run_time(user: PortalUser) -> None:
    """The captcha and captcha_login faults turn the slider on for registration and log-in."""
    assert "slider-check" not in user.get("/register.htm").text
    set_faults(user.client, captcha="slider", captcha_login="on")
    assert "slider-check" in user.get("/register.htm").text
    assert "slider-check" in user.get("/login.htm").text
    assert field_errors(user.register().text) == {"slider": "Complete the slider check."}


# seeds and specs


def statuses(client: TestClient, count: int = 24) -> list[int]:
    """The statuses of `count` plain posts (503 when the dice fail one, else 403 for no CSRF)."""
    return [client.post("/login.htm").status_code for _ in range(count)]


def test_same_seed_gives_the_same_faults(open_client: Callable[..., TestClient]) -> None:
    """Two portals with the same seed fail the same requests; another seed fails others."""
    first = statuses(open_client(faults="error_rate=0.5,seed=7"))
    second = statuses(open_client(faults="error_rate=0.5,seed=7"))
    other = statuses(open_client(faults="error_rate=0.5,seed=8"))
    assert first == second
    assert set(first) == {403, 503}
    assert other != first


def test_putting_a_spec_in_force_reseeds_the_dice(client: TestClient) -> None:
    """Posting the same spec again repeats the same faults from the start."""
    set_faults(client, error_rate=0.5, seed=11)
    first = statuses(client)
    set_faults(client, error_rate=0.5, seed=11)
    assert statuses(client) == first


@pytest.mark.parametrize("body", [
    {"bogus": 1}, {"error_rate": 2}, {"error_rate": "lots"}, {"commit_then_fail": -0.1},
    {"maintenance": "maybe"}, {"captcha": "on"}, {"rate_limit:/ipr": 5}, {"seed:/x": 1},
    {"error_rate:ipr/submit": 1}, {"error_rate:": 1},
])
def test_bad_spec_is_refused_with_400(client: TestClient, body: dict[str, Any]) -> None:
    """An unknown name, a bad value or a bad route is refused with 400, and the old spec stays in force."""
    set_faults(client, latency_ms=0, seed=1)
    response = client.post("/__mock/faults", json=body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert client.get("/__mock/faults").json()["spec"] == {"latency_ms": 0, "seed": 1}


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]"])
def test_spec_must_be_a_json_object(client: TestClient, raw: bytes) -> None:
    """A fault spec that is not a JSON object is refused with 400."""
    response = client.post("/__mock/faults", content=raw)
    assert response.status_code == 400 and response.json()["error"]


def test_command_line_spec_is_parsed_and_checked() -> None:
    """The command-line spec reads name=value pairs, route prefixes included, and refuses bad ones."""
    assert parse_spec("commit_then_fail=0.3, error_rate=0.1,seed=7,maintenance=true") == {
        "commit_then_fail": 0.3, "error_rate": 0.1, "seed": 7.0, "maintenance": "on"}
    assert parse_spec("error_rate:/ipr/submit=1") == {"error_rate:/ipr/submit": 1.0}
    for bad in ("bogus=1", "latency_ms", "latency_ms=fast", "error_rate=1.5", "latency_ms:ipr=5"):
        with pytest.raises(FaultSpecError):
            parse_spec(bad)


def test_bad_start_up_spec_is_refused(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad --faults makes the command line exit 2 with a message, and the app refuse to build."""
    assert cli.main(["--faults", "bogus=1", "--port", "0", "--data-dir", str(tmp_path)]) == 2
    assert "bad --faults: unknown fault 'bogus'" in capsys.readouterr().err
    with pytest.raises(FaultSpecError):
        make_app(tmp_path, faults="error_rate=2")


def test_fault_counters_report_what_fired(open_client: Callable[..., TestClient]) -> None:
    """GET /__mock/faults shows the spec in force and how often each fault fired."""
    client = open_client(faults="error_rate:/login.htm=1,rate_limit=5")
    for _ in range(6):
        client.post("/login.htm")
    assert client.get("/__mock/faults").json() == {
        "spec": {"error_rate:/login.htm": 1.0, "rate_limit": 5.0},
        "fired": {"error_rate": 5, "rate_limit": 1}}
    assert client.get("/__mock/state").json()["faults"]["fired"] == {"error_rate": 5, "rate_limit": 1}


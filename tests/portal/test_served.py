"""The portal as its own process: `python -m fixtures.portal` announces its URL, serves, and keeps its state."""

from __future__ import annotations

import queue
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import IPR_DEFAULTS, PASSWORD, csrf_of, doc

ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"^portal listening on (http://127\.0\.0\.1:(\d+))$")
START_TIMEOUT_S = 20


class Served:
    """One portal process; `url` is set once it announces where it listens."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fixtures.portal", "--port", "0", "--data-dir", str(data_dir),
             *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.output: list[str] = []
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._pump, daemon=True)
        self.reader.start()
        self.url = ""

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for_url(self) -> str:
        """Read the output (with a timeout, never sleeping) until the URL is announced."""
        while True:
            try:
                line = self.lines.get(timeout=START_TIMEOUT_S)
            except queue.Empty:
                raise AssertionError(f"no URL announced in {START_TIMEOUT_S} s: {self.output}") from None
            if line is None:
                raise AssertionError(f"portal exited {self.proc.wait()}: {self.output}")
            self.output.append(line)
            if found := READY.match(line):
                self.url = found.group(1)
                return self.url

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=10)

    def stop(self) -> None:
        """Kill the process (SIGKILL: the portal gets no chance to flush anything)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self.reader.join(timeout=10)
        if self.proc.stdout:
            self.proc.stdout.close()


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    """Start portal processes and wait for their URL; every one is killed at the end of the test."""
    started: list[Served] = []

    def start(data_dir: Path, *args: str) -> Served:
        served = Served(data_dir, *args)
        started.append(served)
        served.wait_for_url()
        return served

    try:
        yield start
    finally:
        for served in started:
            served.stop()


def register(http: httpx.Client, email: str) -> None:
    """Register and verify an account over HTTP, as the bot does."""
    page = http.get("/register.htm")
    form = {"location": "others", "identity_type": "enterprise",
            "registrant_category": "right_holder", "complainant_name": "Demo Brand Ltd",
            "login_email": email, "password": PASSWORD, "password_confirm": PASSWORD,
            "phone": "+44 20 7946 0000", "agree": "yes", "csrf_token": csrf_of(page.text)}
    assert http.post("/register.htm", data=form).status_code == 303
    code = http.get("/__mock/mailbox", params={"email": email}).json()[0]["code"]
    verify = f"/register/verify?email={email}"
    page = http.get(verify)
    answer = http.post(verify, data={"code": code, "action": "verify",
                                     "csrf_token": csrf_of(page.text)})
    assert answer.status_code == 303


def test_served_portal_keeps_its_state_across_a_restart(serve: Callable[..., Served],
                                                        tmp_path: Path) -> None:
    """A portal killed and started again on the same data dir still has its accounts and its clock."""
    first = serve(tmp_path / "data")
    with first.client() as http:
        register(http, "owner@brand.example")
        moved = http.post("/__mock/clock", json={"advance_days": 30}).json()["now"]
        assert http.get("/__mock/state").json()["accounts"][0]["status"] == "pending_identity"
    first.stop()

    second = serve(tmp_path / "data")
    with second.client() as http:
        state = http.get("/__mock/state").json()
        assert [(a["login_email"], a["status"]) for a in state["accounts"]] == [
            ("owner@brand.example", "pending_identity")]
        assert state["now"] >= moved
        page = http.get("/login.htm")
        login = http.post("/login.htm", data={"email": "owner@brand.example", "password": PASSWORD,
                                              "csrf_token": csrf_of(page.text)})
        assert login.status_code == 303 and login.headers["location"] == "/user"


def test_served_trap_stores_the_ipr_and_breaks_the_answer(serve: Callable[..., Served],
                                                          tmp_path: Path) -> None:
    """Over a real socket, commit_then_fail stores the IPR while the client sees a 502 or a dropped answer."""
    served = serve(tmp_path)
    with served.client() as http:
        register(http, "owner@brand.example")
        page = http.get("/user/identity")
        http.post("/user/identity", data={"doc_type": "passport", "csrf_token": csrf_of(page.text)},
                  files={"document": doc("identity.pdf")})
        assert http.post("/__mock/faults", json={"commit_then_fail": 1}).status_code == 200
        page = http.get("/ipr/submit?type=trademark")
        form = {**IPR_DEFAULTS["trademark"], "action": "submit", "csrf_token": csrf_of(page.text)}
        try:
            status: int | None = http.post("/ipr/submit?type=trademark", data=form, files={
                "certificate": doc("trademark-certificate.pdf")}).status_code
        except httpx.TransportError:
            status = None
        assert status in {502, None}
        state = http.get("/__mock/state").json()
        assert [(i["registration_number"], i["status"]) for i in state["iprs"]] == [("12345678", "pending")]
        assert state["faults"]["fired"] == {"commit_then_fail": 1}


def test_served_portal_takes_its_options(serve: Callable[..., Served], tmp_path: Path) -> None:
    """--layout, --captcha and --faults reach the served portal."""
    served = serve(tmp_path, "--layout", "v2", "--captcha", "slider", "--faults", "seed=5,latency_ms=1")
    with served.client() as http:
        page = http.get("/register.htm").text
        assert "Accept and create account" in page and "slider-check" in page
        assert http.get("/__mock/faults").json()["spec"] == {"seed": 5.0, "latency_ms": 1.0}


def test_bad_faults_exit_2_with_a_message(tmp_path: Path) -> None:
    """`--faults bogus=1` exits 2 and says which fault is unknown."""
    result = subprocess.run(
        [sys.executable, "-m", "fixtures.portal", "--port", "0", "--data-dir", str(tmp_path),
         "--faults", "bogus=1"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "bad --faults: unknown fault 'bogus'" in result.stderr
    assert "portal listening" not in result.stdout


def test_busy_port_exits_3(tmp_path: Path) -> None:
    """A port already taken makes the portal exit 3 with a hint to use --port 0."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "fixtures.portal", "--port", str(port), "--data-dir",
             str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    assert "try --port 0" in result.stderr

"""What the browser-level suites share: the served mock portal, its control API, settings, and an operator.

`tests/` is on the import path (pyproject's pytest `pythonpath`), so e2e and reliability tests
`import support`. The served portal's fixtures are in tests/portal_fixtures.py and the others in each
suite's conftest; the pieces they are built from live here.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import zipfile
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import structlog
import yaml
from playwright.sync_api import Browser, Page

from bot.commands.demo import start_portal
from bot.locators import Selectors
from bot.models import Complaint, Filed, Ipr
from bot.retry import build_retrying
from bot.run.attempt import attempt
from bot.settings import DEFAULT_SELECTORS_DIR, Settings
from flows.context import FlowContext
from flows.register import mock_mailbox, register
from flows.submit_ipr import submit_ipr

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "fixtures" / "documents"
PASSWORD = "E2e-Passw0rd"
EMAIL = "brand@e2e.example"
SOAK = os.environ.get("IPPBOT_SOAK") == "1"  # make soak: the reliability suite at full size
V2_SELECTORS = ROOT / "tests" / "e2e" / "selectors_v2"

IPRS = {
    "trademark": Ipr(type="trademark", name="DEMOBRAND", registration_number="12345678", registration_place="CN",
                     rights_holder="Demo Brand Ltd", expiration_date=date(2031, 5, 1), classes=(9, 25),
                     documents=(DOCS / "trademark-certificate.pdf",)),
    "copyright": Ipr(type="copyright", name="DemoBrand software", registration_number="2020SR123456",
                     registration_place="CN", rights_holder="Demo Brand Ltd", work_type="software",
                     documents=(DOCS / "copyright-certificate.pdf", DOCS / "software-screenshot.png")),
    "patent": Ipr(type="patent", name="Folding bottle", registration_number="ZL201910123456.7",
                  registration_place="CN", rights_holder="Demo Brand Ltd", expiration_date=date(2035, 1, 1),
                  patent_type="design", documents=(DOCS / "patent-certificate.pdf",)),
    "other": Ipr(type="other", name="DemoBrand trade dress", registration_number="TD-2020-001",
                 registration_place="US", rights_holder="Demo Brand Ltd", valid_from=date(2020, 1, 1),
                 valid_to=date(2032, 12, 31), content="Trade dress of the bottle",
                 documents=(DOCS / "other-certificate.pdf",)),
}


def aliexpress(n: int, start: int = 1000) -> tuple[str, ...]:
    """n AliExpress item URLs."""
    return tuple(f"https://www.aliexpress.com/item/{start + i}.html" for i in range(n))


def approved(member: FlowContext, portal: MockPortal, kind: str = "trademark") -> Ipr:
    """Submit an IPR and move the portal's clock past its review."""
    submit_ipr(member, IPRS[kind])
    portal.advance(7)
    return IPRS[kind]


def numbered(n: int) -> list[Ipr]:
    """n distinct trademarks."""
    return [IPRS["trademark"].model_copy(update={"registration_number": f"{23456780 + i}"}) for i in range(n)]


def file_until_settled(ctx: FlowContext, payload: Ipr | Complaint, tries: int = 3) -> Filed:
    """File an entry on the runner's own path (`bot.run.attempt.attempt`), again only once the
    portal's records prove it absent, as the ledger puts such an entry back in line."""
    retrying = build_retrying(ctx.settings, log=structlog.get_logger("e2e"))
    for _ in range(tries):
        tried = attempt(ctx, payload, retrying)
        if tried.filed is not None:
            return tried.filed
        if tried.found:
            return Filed(reference=tried.found, existing=True)
        if not tried.absent:
            assert tried.error is not None
            raise tried.error
    raise AssertionError(f"not settled after {tries} tries")


def file_ipr(ctx: FlowContext, ipr: Ipr) -> Filed:
    """Submit an IPR the way the runner does: retries, re-login, reconciliation."""
    return file_until_settled(ctx, ipr)




class ServedPortal:
    """The mock portal as a separate process (`bot.commands.demo.start_portal`); `url` is where it listens."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.proc, self.url = start_portal(data_dir, *args)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


class MockPortal:
    """A test's handle on the served portal's control API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = httpx.get(f"{self.url}/__mock/state", timeout=30).json()
        return state

    def advance(self, days: float) -> None:
        httpx.post(f"{self.url}/__mock/clock", json={"advance_days": days}).raise_for_status()

    def faults(self, **spec: Any) -> dict[str, Any]:
        answer = httpx.post(f"{self.url}/__mock/faults", json=spec)
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result

    def fired(self) -> dict[str, int]:
        """How often each fault fired since the spec was put in force."""
        fired: dict[str, int] = httpx.get(f"{self.url}/__mock/faults").json()["fired"]
        return fired

    def requests(self, *, reset: bool = False) -> dict[str, Any]:
        """The requests the portal answered since the last count afresh (`reset`: count afresh after reading)."""
        counted: dict[str, Any] = httpx.get(f"{self.url}/__mock/requests", timeout=30).json()
        if reset:
            httpx.post(f"{self.url}/__mock/requests", timeout=30)
        return counted

    def mailbox(self, email: str) -> list[dict[str, Any]]:
        """Messages sent to `email`, newest first."""
        messages: list[dict[str, Any]] = httpx.get(f"{self.url}/__mock/mailbox", params={"email": email}).json()
        return messages

    def reset(self) -> None:
        """Empty the portal and put its clock on the next Monday, 09:00 UTC."""
        httpx.post(f"{self.url}/__mock/reset").raise_for_status()
        now = datetime.fromisoformat(self.state()["now"])
        monday = (now + timedelta(days=7 - now.weekday())).replace(hour=9, minute=0, second=0, microsecond=0)
        httpx.post(f"{self.url}/__mock/clock", json={"set": monday.isoformat()}).raise_for_status()


def make_settings(portal_url: str, data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test: its own data dir, fast retries, the test account."""
    fields: dict[str, Any] = {"portal_url": portal_url, "data_dir": data_dir, "email": EMAIL,
                              "password": PASSWORD, "timeout_ms": 10_000, "retry_base_s": 0.05,
                              "retry_max_s": 0.5, "retry_attempts": 6}
    fields.update(overrides)
    return Settings(_env_file=None, **fields)


def make_ctx(page: Page, settings: Settings, selectors_dir: Path = DEFAULT_SELECTORS_DIR) -> FlowContext:
    """A flow context on a test's page, with the run's default timeout."""
    page.set_default_timeout(settings.timeout_ms)
    return FlowContext(page=page, selectors=Selectors.load(selectors_dir), settings=settings,
                       log=structlog.get_logger("e2e"), entry="e2e")


class Operator:
    """Runs ippbot's commands as an operator's cron job would, with its own data dir and account."""

    def __init__(self, portal: MockPortal, data_dir: Path, email: str = EMAIL) -> None:
        self.portal = portal
        self.data_dir = data_dir
        self.email = email
        self.env = {**os.environ, "IPPBOT_PORTAL_URL": portal.url, "IPPBOT_DATA_DIR": str(data_dir),
                    "IPPBOT_EMAIL": email, "IPPBOT_PASSWORD": PASSWORD,
                    "IPPBOT_RETRY_BASE_S": "0.05", "IPPBOT_RETRY_MAX_S": "1", "IPPBOT_TIMEOUT_MS": "10000",
                    "IPPBOT_LOG_FORMAT": "json"}

    def ippbot(self, *args: str, extra_env: dict[str, str] | None = None,
               check: bool = False) -> subprocess.CompletedProcess[str]:
        """Run one ippbot command to its end."""
        done = subprocess.run([sys.executable, "-m", "bot.commands.cli", *args], cwd=ROOT,
                              env={**self.env, **(extra_env or {})}, capture_output=True, text=True,
                              timeout=1800, check=False)
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    def start(self, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start one ippbot command in the background."""
        return subprocess.Popen([sys.executable, "-m", "bot.commands.cli", *args], cwd=ROOT,
                                env={**self.env, **(extra_env or {})}, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def status(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = json.loads(self.ippbot("status", "--json", check=True).stdout)
        return rows

    def states(self) -> Counter[str]:
        return Counter(r["state"] for r in self.status())


def assert_each_once(portal: MockPortal, *operators: Operator) -> None:
    """Every record is on the portal exactly once, and the ledgers and the portal agree."""
    state = portal.state()
    # a complaint still "checking" is the portal's check step, before the final submit: not a filing
    # (a check page lost to a reset is made again; the portal never shows the old one)
    state["complaints"] = [c for c in state["complaints"] if c["status"] != "checking"]
    refs = Counter([i["ref"] for i in state["iprs"]] + [c["ref"] for c in state["complaints"]])
    confirmed = [r["portal_ref"] for op in operators for r in op.status() if r["state"] == "confirmed"]
    assert sorted(confirmed) == sorted(refs), (confirmed, refs)
    # an IPR by its number; a work without one by its name
    numbers = Counter((i["account_id"], i["registration_number"] or i["name"]) for i in state["iprs"])
    assert all(n == 1 for n in numbers.values()), [k for k, n in numbers.items() if n > 1]
    listings = Counter(li["url"] for c in state["complaints"] for li in c["listings"])
    assert all(n == 1 for n in listings.values()), [u for u, n in listings.items() if n > 1]


def kill_at_random(operator: Operator, seed: int, times: int) -> None:
    """Start runs and kill each with -9 at a random moment 1-4 s in (if it has not ended by then)."""
    rng = random.Random(seed)
    for _ in range(times):
        proc = operator.start("run")
        try:
            proc.wait(timeout=rng.uniform(1.0, 4.0))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def write_batch(path: Path, iprs: int, complaints_per_ipr: int = 0, listings: int = 3, start: int = 0) -> Path:
    """A batch of trademarks (real sample certificate) and complaints against them."""
    batch: dict[str, list[dict[str, Any]]] = {"iprs": [], "complaints": []}
    for i in range(start, start + iprs):
        number = f"{40000000 + i}"
        batch["iprs"].append({"type": "trademark", "name": f"MARK{i}", "registration_number": number,
                              "registration_place": "CN", "rights_holder": "Demo Brand Ltd",
                              "expiration_date": "2034-01-01", "classes": [9],
                              "documents": [str(DOCS / "trademark-certificate.pdf")]})
        for j in range(complaints_per_ipr):
            urls = [f"https://www.aliexpress.com/item/{7000000 + i * 1000 + j * 100 + k}.html" for k in range(listings)]
            batch["complaints"].append({"platform": "aliexpress", "ipr": number, "reason": "trademark_misuse",
                                        "listings": urls})
    path.write_text(yaml.safe_dump(batch), encoding="utf-8")
    return path


def every_file(root: Path, skip: Path | None = None) -> list[tuple[str, bytes]]:
    """(name, content) of every file under `root`, the members of zip files (traces) included."""
    out: list[tuple[str, bytes]] = []
    for path in root.rglob("*"):
        if not path.is_file() or path == skip:
            continue
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                out += [(f"{path}:{m}", archive.read(m)) for m in archive.namelist()]
        else:
            out.append((str(path), path.read_bytes()))
    return out


def settings_env(settings: Settings) -> dict[str, str]:
    """The IPPBOT_* variables that give a separate `ippbot` process these settings."""
    fields = {"portal_url": settings.portal_url, "data_dir": settings.data_dir, "email": settings.email,
              "password": settings.password.get_secret_value(), "timeout_ms": settings.timeout_ms,
              "selectors_dir": settings.resolved_selectors_dir(), "log_format": "json"}
    return {f"IPPBOT_{name.upper()}": str(value) for name, value in fields.items()}


def run_ippbot(*argv: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the `ippbot` console script as an operator does, with only the given IPPBOT_* variables."""
    outside = {name: value for name, value in os.environ.items() if not name.startswith("IPPBOT_")}
    script = Path(sys.executable).parent / "ippbot"
    return subprocess.run([str(script), *argv], env={**outside, **env}, cwd=cwd, capture_output=True,
                          text=True, timeout=240, check=False)


def size(quick: int, full: int) -> int:
    """How many entries a test works: `full` under make soak, else `quick`."""
    return full if SOAK else quick


def registered(portal: MockPortal, browser: Browser, data_dir: Path, email: str) -> Operator:
    """An operator whose account `email` is registered and whose session is stored."""
    settings = make_settings(portal.url, data_dir, email=email)
    context = browser.new_context()
    try:
        assert register(make_ctx(context.new_page(), settings), mock_mailbox(portal.url)) == "registered"
    finally:
        context.close()
    return Operator(portal, data_dir, email)

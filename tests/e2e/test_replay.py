"""QA replay: a recorded entry re-runs from its HAR with the portal gone; a trace's viewer is served."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect
from structlog.testing import capture_logs
from support import DOCS, EMAIL, MockPortal, ServedPortal, make_ctx, make_settings, registered, write_batch

from bot.models import Entry, Ipr
from bot.run.artifacts import EntryResult, RunDir, RunSummary, StepTiming, new_run_id
from bot.run.har import scrub_har
from flows.register import mock_mailbox, register
from flows.submit_ipr import submit_ipr

ROOT = Path(__file__).resolve().parents[2]
KEY = "ipr:trademark:CN:55501234"
IPR = Ipr(type="trademark", name="REPLAYMARK", registration_number="55501234", registration_place="CN",
          rights_holder="Demo Brand Ltd", expiration_date=date(2031, 5, 1), classes=(9,),
          documents=(DOCS / "trademark-certificate.pdf",))


@dataclass(frozen=True)
class Recorded:
    """A run folder holding one IPR entry recorded against a portal that is gone now."""

    run: RunDir
    reference: str
    cookie: str

    @property
    def har(self) -> Path:
        return self.run.har(KEY)

    def copy(self, where: Path) -> Recorded:
        """The same recording in another folder, to tamper with."""
        shutil.copytree(self.run.root, where / self.run.run_id)
        return Recorded(RunDir(where, self.run.run_id), self.reference, self.cookie)


@pytest.fixture(scope="module")
def recorded(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    """Record `submit_ipr` on a portal of its own with a HAR, write the run's files, then stop that portal."""
    base = tmp_path_factory.mktemp("replay")
    portal = ServedPortal(base / "portal")
    try:
        MockPortal(portal.url).reset()
        settings = make_settings(portal.url, base / "data")
        register_account(browser, settings)
        recording = record_entry(browser, settings, RunDir(settings.runs_dir, new_run_id()).create())
    finally:
        portal.stop()  # from here on, there is no portal
    return recording


def register_account(browser: Browser, settings: Any) -> None:
    context = browser.new_context()
    try:
        assert register(make_ctx(context.new_page(), settings), mock_mailbox(settings.portal_url)) == "registered"
    finally:
        context.close()


def record_entry(browser: Browser, settings: Any, run: RunDir) -> Recorded:
    """Submit the IPR in a context that records a HAR, as the runner does, and keep what the runner keeps."""
    context = browser.new_context(storage_state=settings.session_file, record_har_path=run.har(KEY),
                                  record_har_content="embed")
    ctx = make_ctx(context.new_page(), settings)
    ctx.follow_post = True  # as a run with --har: the browser follows the portal's 303, which the replay plays back
    with capture_logs() as events:
        filed = submit_ipr(ctx, IPR)
    cookie = context.cookies()[0]["value"]
    context.close()  # writes the HAR
    steps = [StepTiming(flow=e["flow"], step=e["step"], duration_ms=e["duration_ms"], outcome=e["outcome"])
             for e in events if e["event"] == "step.end"]
    entry = Entry(key=KEY, kind="ipr", payload=IPR, source="replay-test:0")
    run.entry(KEY).write_text(entry.model_dump_json(), encoding="utf-8")
    result = EntryResult(key=KEY, kind="ipr", state="confirmed", portal_ref=filed.reference, attempts=1,
                         steps=steps, har=run.relative(run.har(KEY)))
    run.write_summary(RunSummary(run_id=run.run_id, started_at="2026-11-28T02:00:00+00:00",
                                 portal_url=settings.portal_url, trace_mode="off", entries=[result]))
    scrub_har(run.har(KEY))
    return Recorded(run, filed.reference, cookie)


def ippbot(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `ippbot` as QA does, with no IPPBOT_* settings at all (nothing points at a portal)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPPBOT_")} | {"IPPBOT_LOG_FORMAT": "json"}
    return subprocess.run([sys.executable, "-m", "bot.commands.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180, check=False)


def edit_har(path: Path, change: Any) -> None:
    har = json.loads(path.read_text(encoding="utf-8"))
    har["log"]["entries"] = change(har["log"]["entries"])
    path.write_text(json.dumps(har), encoding="utf-8")


def is_confirmation(entry: dict[str, Any]) -> bool:
    return entry["request"]["method"] == "GET" and "submitted=1" in entry["request"]["url"]


def test_recording_is_scrubbed(recorded: Recorded) -> None:
    """The recorded HAR keeps no session cookie, and the portal it came from is gone."""
    text = recorded.har.read_text(encoding="utf-8")
    assert recorded.cookie not in text
    summary = recorded.run.read_summary()
    with pytest.raises(httpx.ConnectError):
        httpx.get(summary.portal_url, timeout=5)


def test_replay_takes_the_same_steps_to_the_same_outcome(recorded: Recorded) -> None:
    """Replaying the HAR with no portal gives the recorded steps and reference, exit code 0."""
    done = ippbot("replay", str(recorded.har))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == f"same steps, same outcome: {recorded.reference}"


def test_replay_reports_a_changed_reference(recorded: Recorded, tmp_path: Path) -> None:
    """A HAR whose confirmation page shows another reference gives a different outcome, exit code 1."""
    tampered = recorded.copy(tmp_path)

    def change_reference(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for entry in filter(is_confirmation, entries):
            content = entry["response"]["content"]
            content["text"] = content["text"].replace(recorded.reference, "IPR-999999")
        return entries

    edit_har(tampered.har, change_reference)
    done = ippbot("replay", str(tampered.har))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"different outcome: recorded {recorded.reference}, replayed IPR-999999" in done.stdout


def test_replay_reports_a_missing_request(recorded: Recorded, tmp_path: Path) -> None:
    """A HAR without the confirmation page refuses that request, and the first different step is named."""
    tampered = recorded.copy(tmp_path)
    edit_har(tampered.har, lambda entries: [e for e in entries if not is_confirmation(e)])
    done = ippbot("replay", str(tampered.har))
    assert done.returncode == 1, done.stdout + done.stderr
    first = done.stdout.splitlines()[0]
    assert first == ("step 3 differs: recorded 'submit_ipr.submit: ok', "
                     "replayed 'submit_ipr.submit: SubmitOutcomeUnknown'"), done.stdout
    assert "refused 1 request(s) the HAR does not hold: GET " in done.stdout


@pytest.fixture
def trace(browser: Browser, tmp_path: Path) -> Path:
    """A small trace with DOM snapshots of one page."""
    context = browser.new_context()
    context.tracing.start(screenshots=False, snapshots=True)
    page = context.new_page()
    page.set_content("<h1>Confirmation</h1><p>Reference IPR-000042</p>")
    path = tmp_path / "traces" / "entry.zip"
    context.tracing.stop(path=path)
    context.close()
    return path


def first_line_with(process: subprocess.Popen[str], prefix: str, timeout_s: float = 60) -> str:
    """The first line of the process's output that starts with `prefix` (read by a thread, with a deadline)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or []], daemon=True).start()
    while True:
        line = lines.get(timeout=timeout_s)
        if line.startswith(prefix):
            return line.strip()


def test_replay_serves_a_trace_until_interrupted(trace: Path, browser: Browser) -> None:
    """`ippbot replay TRACE.zip` prints a localhost URL that answers and shows the trace; Ctrl-C stops it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPPBOT_")} | {"PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "bot.commands.cli", "replay", str(trace)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = first_line_with(process, "trace viewer: ").removeprefix("trace viewer: ")
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(url, timeout=10).status_code == 200
        page = browser.new_page()
        page.goto(url)
        expect(page.get_by_text("Set content").first).to_be_visible(timeout=30_000)
        page.close()
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=5)


def test_replay_sends_nothing_to_any_portal(recorded: Recorded) -> None:
    """With ippbot's own final post in place, a replay reaches no portal: a listener on its port sees nothing."""
    port = httpx.URL(recorded.run.read_summary().portal_url).port
    accepted: list[object] = []
    with socket.create_server(("127.0.0.1", port or 80)) as listener:
        listener.settimeout(0.2)
        stop = threading.Event()

        def count() -> None:
            while not stop.is_set():
                try:
                    accepted.append(listener.accept()[0])
                except TimeoutError:
                    continue

        counter = threading.Thread(target=count, daemon=True)
        counter.start()
        done = ippbot("replay", str(recorded.har))
        stop.set()
        counter.join(timeout=5)
    assert done.returncode == 0, done.stdout + done.stderr
    assert accepted == []


def test_a_new_ipr_recorded_by_a_run_replays(portal: MockPortal, browser: Browser, tmp_path: Path) -> None:
    """`ippbot run --har` files a new IPR without its look-up page (the run's one read of IPR management showed it
    absent, and the summary says so): its HAR replays to the same steps and outcome, with no portal."""
    operator = registered(portal, browser, tmp_path / "data", EMAIL)
    operator.ippbot("enqueue", str(write_batch(tmp_path / "b.yaml", iprs=1)), check=True)
    operator.ippbot("run", "--har", check=True)
    [summary] = (tmp_path / "data" / "runs").glob("*/summary.json")
    [entry] = json.loads(summary.read_text(encoding="utf-8"))["entries"]
    assert entry["absent_at_start"] is True and "lookup" not in {step["step"] for step in entry["steps"]}
    replayed = ippbot("replay", str(summary.parent / entry["har"]))
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert f"same steps, same outcome: {entry['portal_ref']}" in replayed.stdout

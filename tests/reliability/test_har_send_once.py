"""`ippbot run --har` sends each final post once too, and its context closes after the duplicate trap (issue #10).

The trap stores the submission, then answers 502 or drops the connection; the run reconciles and
finds the record. A run recording a HAR used to hang there on closing the context (Playwright's
HAR recorder waited for ever on the size of the 502 that ippbot's route fulfilled), so --har let
the browser post by itself. Each run here must end well within its time limit, file the entry
once, and leave its HAR. The fault dice are seeded: seed 3 gives the 502 and seed 0 the drop for
this batch (each test checks that its branch fired, so a change in the portal's dice shows here).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import ROOT, Operator, assert_each_once, write_batch

RUN_LIMIT_S = 90  # a run of one entry takes seconds; the hang never ended

# The hang at its smallest (Playwright 1.65): a route fulfils a navigation with a 5-byte body and a bare
# content-type; the HAR recorder works out its encoded body size as Chromium's byte count minus its own
# guess of the headers, -1 here, which is also its marker for "not known yet", so `context.close()` waits
# for ever. `bot.run.evidence.close` closes the pages first, which ends that wait.
FIVE_BYTES = """
import sys
from playwright.sync_api import sync_playwright
from bot.browser import find_browser, launch_args
from bot.run.evidence import close

with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path=find_browser(browser_path=None, headless=True), args=launch_args(True))
    context = browser.new_context(record_har_path=sys.argv[1], record_har_content="embed")
    page = context.new_page()
    answer = {"status": 502, "body": b"abcde", "content_type": "text/plain"}
    page.route("http://ippbot.test/**", lambda route: route.fulfill(**answer))
    page.goto("http://ippbot.test/submit")
    close(context)
    browser.close()
"""


def ippbot(operator: Operator, *args: str) -> subprocess.CompletedProcess[str]:
    """One ippbot command, failed (not hung) when it outlives `RUN_LIMIT_S`."""
    try:
        return subprocess.run([sys.executable, "-m", "bot.commands.cli", *args], cwd=ROOT, env=operator.env,
                              capture_output=True, text=True, timeout=RUN_LIMIT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        last = (exc.stderr or b"")[-2000:]
        pytest.fail(f"ippbot {' '.join(args)} still running after {RUN_LIMIT_S}s (the HAR hang of #10?): {last!r}")


def test_a_context_that_recorded_a_fulfilled_answer_closes(tmp_path: Path) -> None:
    """The smallest case of the hang: a HAR context whose route fulfilled a 5-byte answer closes, its HAR whole."""
    har = tmp_path / "five.har"
    done = subprocess.run([sys.executable, "-c", FIVE_BYTES, str(har)], cwd=ROOT, capture_output=True, text=True,
                          timeout=RUN_LIMIT_S, check=False)
    assert done.returncode == 0, done.stderr
    [entry] = json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]
    assert entry["response"]["status"] == 502 and entry["response"]["content"]["text"] == "abcde"


def har_of(operator: Operator) -> tuple[Path, dict[str, Any]]:
    """The one entry's HAR, as the run's summary names it, and that HAR read."""
    [summary] = (operator.data_dir / "runs").glob("*/summary.json")
    [entry] = json.loads(summary.read_text(encoding="utf-8"))["entries"]
    path = summary.parent / entry["har"]
    har: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return path, har


def the_post(har: dict[str, Any]) -> dict[str, Any]:
    """The HAR's one final post (the IPR form's)."""
    [post] = [e for e in har["log"]["entries"] if e["request"]["method"] == "POST"]
    return post


def run_under_the_trap(operator: Operator, tmp_path: Path, seed: int, branch: str) -> subprocess.CompletedProcess[str]:
    """Enqueue one IPR, arm the trap (every submission stored, then failed), run with --har; check `branch` fired."""
    operator.ippbot("enqueue", str(write_batch(tmp_path / "b.yaml", iprs=1)), check=True)
    operator.portal.faults(commit_then_fail=1, seed=seed)
    done = ippbot(operator, "run", "--har")
    assert operator.portal.fired() == {"commit_then_fail": 1}
    assert branch in done.stdout + done.stderr, f"seed {seed} no longer gives {branch!r}; pick another seed"
    return done


def test_a_502_after_storing_ends_the_run_once_filed_with_its_har(operator: Operator, tmp_path: Path) -> None:
    """Stored, then answered 502: the --har run ends, the IPR is filed once, and its HAR replays."""
    done = run_under_the_trap(operator, tmp_path, seed=3, branch="the portal answered 502")
    assert done.returncode == 0, done.stdout + done.stderr
    assert operator.states() == {"confirmed": 1}
    assert_each_once(operator.portal, operator)
    path, har = har_of(operator)
    assert the_post(har)["response"]["status"] == 502
    assert "Bad gateway" in the_post(har)["response"]["content"]["text"]
    replayed = ippbot(operator, "replay", str(path))
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "same steps, same outcome" in replayed.stdout


def test_a_dropped_answer_after_storing_ends_the_run_once_filed_with_its_har(operator: Operator,
                                                                            tmp_path: Path) -> None:
    """Stored, then the connection dropped: the --har run ends, the look-up finds the IPR, filed once; it replays."""
    done = run_under_the_trap(operator, tmp_path, seed=0, branch="Server disconnected without sending a response")
    assert done.returncode == 0, done.stdout + done.stderr
    assert operator.states() == {"confirmed": 1}
    assert_each_once(operator.portal, operator)
    path, har = har_of(operator)
    assert the_post(har)["response"].get("_failureText") == "net::ERR_FAILED"  # ippbot's route failed it
    replayed = ippbot(operator, "replay", str(path))  # the browser's post fails as recorded, then the look-up
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "same steps, same outcome" in replayed.stdout

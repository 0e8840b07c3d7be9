"""The run report as an operator sees it: opened from disk in Chromium, with its thumbnails and chart."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.run.artifacts import EntryResult, RunDir, RunSummary, StepTiming
from bot.run.report import write_report

ROOT = Path(__file__).resolve().parents[2]
RUN_ID = "20261128T020000-000"
SHOT_WIDTH = 640


def step(flow: str, name: str, ms: int, outcome: str = "ok") -> StepTiming:
    return StepTiming(flow=flow, step=name, duration_ms=ms, outcome=outcome)


def confirmation_png(browser: Browser, path: Path, reference: str) -> None:
    """A real PNG: a screenshot of a small confirmation page."""
    page = browser.new_page(viewport={"width": SHOT_WIDTH, "height": 400})
    page.goto(f"data:text/html,<h1>IPR submitted</h1><p>Reference {reference}</p>")
    page.screenshot(path=path)
    page.close()


@pytest.fixture
def run(browser: Browser, tmp_path: Path) -> RunDir:
    """A run folder with a synthetic summary of five entries and one real confirmation screenshot."""
    run = RunDir(tmp_path / "runs", RUN_ID).create()
    key = "ipr:trademark:CN:12345678"
    confirmation_png(browser, run.screenshot(key), "IPR-000001")
    ipr = [step("submit_ipr", "lookup", 320), step("submit_ipr", "fill", 1450), step("submit_ipr", "submit", 610)]
    entries = [
        EntryResult(key=key, kind="ipr", state="confirmed", portal_ref="IPR-000001", attempts=1, duration_ms=2400,
                    steps=ipr, screenshot=run.relative(run.screenshot(key)), har="har/a.har"),
        EntryResult(key="complaint:aliexpress:4f2a", kind="complaint", state="confirmed", portal_ref="CP-000001",
                    attempts=1, duration_ms=5100, refused=[{"url": "https://www.aliexpress.com/item/1.html",
                                                            "reason": "The listing was already removed"}],
                    steps=[step("file_complaint", "lookup", 400), step("file_complaint", "fill", 3900),
                           step("file_complaint", "submit", 800)]),
        EntryResult(key="ipr:patent:CN:ZL2019", kind="ipr", state="unknown", attempts=1, duration_ms=16_000,
                    error="no confirmation after the submit: the answer was cut off (entry=x, step=y, url=z)",
                    steps=[*ipr[:2], step("submit_ipr", "submit", 15_000, "SubmitOutcomeUnknown")],
                    trace="traces/b.zip"),
        EntryResult(key="<script>alert(1)</script>", kind="ipr", state="failed", attempts=1, duration_ms=900,
                    error="selectors/ipr_form.toml: submit: matches no element (entry=x)",
                    steps=[ipr[0], step("submit_ipr", "fill", 500, "PortalChanged")]),
        EntryResult(key="complaint:taobao:77", kind="complaint", state="needs_human", attempts=2,
                    error="the portal shows a slider check meant for a person",
                    steps=[step("login", "log_in", 1200, "NeedsHuman")]),
    ]
    run.write_summary(RunSummary(run_id=RUN_ID, started_at="2026-11-28T02:00:00+00:00",
                                 finished_at="2026-11-28T02:01:10+00:00", portal_url="http://127.0.0.1:8765",
                                 trace_mode="retain-on-failure", counts={"confirmed": 2, "unknown": 1},
                                 entries=entries))
    return run


def check_report(page: Page, report: Path) -> None:
    """The counts, the table, a loaded thumbnail and the chart are on the page."""
    page.goto(report.as_uri())
    expect(page.locator("#run-id")).to_have_text(RUN_ID)
    confirmed = page.locator("#counts .tile.state-confirmed")
    expect(confirmed).to_be_visible()
    expect(confirmed).to_contain_text("2")
    expect(page.locator("#counts .tile")).to_have_count(4)
    expect(page.locator("#entries tbody tr")).to_have_count(5)
    expect(page.get_by_role("cell", name="<script>alert(1)</script>")).to_be_visible()
    expect(page.locator("#entries")).to_contain_text("the portal did not confirm; checked its records")
    thumbnail = page.get_by_role("img", name="confirmation page of ipr:trademark:CN:12345678")
    expect(thumbnail).to_be_visible()
    expect(thumbnail).to_have_js_property("naturalWidth", SHOT_WIDTH)
    chart = page.get_by_role("img", name="Time per flow step")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.bar")).to_have_count(7)


def test_report_opens_in_chromium(run: RunDir, page: Page, tmp_path: Path) -> None:
    """report.html shows counts, entries, a loaded thumbnail and the step chart, and runs no script."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.set_viewport_size({"width": 1280, "height": 900})
    check_report(page, write_report(run))
    page.screenshot(path=tmp_path / "report.png", full_page=True)
    assert errors == []
    expect(page.locator("script")).to_have_count(0)


def test_report_command_writes_elsewhere_with_working_links(run: RunDir, page: Page, tmp_path: Path) -> None:
    """`ippbot report --run ID --out DIR` writes report.html and summary.json there; its thumbnails still load."""
    out = tmp_path / "published"
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPPBOT_")}
    env |= {"IPPBOT_DATA_DIR": str(run.root.parent.parent), "IPPBOT_LOG_FORMAT": "json"}
    done = subprocess.run([sys.executable, "-m", "bot.commands.cli", "report", "--run", RUN_ID, "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"report: {out / 'report.html'}", f"summary: {out / 'summary.json'}"]
    assert (out / "summary.json").is_file()
    check_report(page, out / "report.html")

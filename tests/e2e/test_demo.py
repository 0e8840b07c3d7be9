"""`ippbot demo`: the whole story on embedded defaults ends with a summary and a report that opens."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Page, expect
from support import ROOT


def test_demo_tells_the_whole_story(tmp_path: Path, page: Page) -> None:
    """The demo registers, files every IPR and complaint once, answers every counter-notice (one by the operator,
    the rest by the policy at the next sync), withdraws a listing, prints the standing, and its report opens."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPPBOT_")}
    env["IPPBOT_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run([sys.executable, "-m", "bot.commands.cli", "demo"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900, check=False)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "account demo@brand.example: registered" in out
    assert "enqueued 10 entries" in out
    assert "rejected the counter-notice on" in out
    assert "policy reject: filed: answer of" in out and "IN DOUBT" not in out and "not filed:" not in out
    after = out.split("== sync: the policy (reject) answers the rest", 1)[1]
    assert re.search(r"^synced .*; 0 counter-notices wait for an answer$", after, flags=re.MULTILINE), after
    assert "filed: withdrawal of CP-" in after and "the listing is withdrawn" in after
    assert re.search(r"^good faith: takedown rate [\d.]+%", out.split("== the standing", 1)[1], flags=re.MULTILINE)
    assert out.count("confirmed ") >= 10 and "not done; ledger: 10 confirmed" in out
    reports = re.findall(r"^report: (\S+)$", out, flags=re.MULTILINE)
    assert reports, out
    page.goto(Path(reports[-1]).as_uri())
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("confirmed")
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000

"""What the command-line tests share: ippbot run as a terminal runs it (a session of its own, so a
signal to its process group reaches ippbot and Playwright's driver, not pytest), and what it said.

`support.Operator` runs commands as a cron job does; these helpers add the terminal's side: the
lines a person reads (stderr without the JSON log lines), and a run's report and summary.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from support import ROOT, Operator

REPORT = re.compile(r"report: (\S+report\.html)")


def in_session(operator: Operator, *args: str, extra_env: dict[str, str] | None = None,
               timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run one ippbot command to its end in a session (and process group) of its own."""
    return subprocess.run([sys.executable, "-m", "bot.commands.cli", *args], cwd=ROOT,
                          env={**operator.env, **(extra_env or {})}, capture_output=True, text=True,
                          timeout=timeout, check=False, start_new_session=True)


def said(stderr: str) -> list[str]:
    """The lines on stderr meant for a person: every line but the JSON log lines."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("{")]


def report_of(line: str) -> Path:
    """The report a line names (`...; report: PATH`)."""
    found = REPORT.search(line)
    assert found, line
    return Path(found.group(1))


def summary_of(report: Path) -> dict[str, Any]:
    """The summary.json beside a run's report."""
    summary: dict[str, Any] = json.loads((report.parent / "summary.json").read_text(encoding="utf-8"))
    return summary

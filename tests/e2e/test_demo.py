"""`ippbot demo`: the whole story on embedded defaults ends with a summary, a report that opens, and runs QA can replay.

The demo takes about a minute: it runs once for the module, and each test reads what it left.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from support import ROOT

from bot.run.artifacts import RunDir


@dataclass(frozen=True)
class Demo:
    """What one `ippbot demo` printed, and the data folder it used."""

    out: str
    data_dir: Path

    @property
    def runs(self) -> list[RunDir]:
        runs_dir = self.data_dir / "demo" / "runs"
        return [RunDir(runs_dir, summary.parent.name) for summary in sorted(runs_dir.glob("*/summary.json"))]

    def replay_command(self, suffix: str) -> list[str]:
        """The `ippbot replay PATH` command of the demo's last lines whose path ends with `suffix`."""
        commands = [shlex.split("ippbot replay " + line.rsplit(": ippbot replay ", 1)[1])
                    for line in self.out.splitlines()[-2:] if ": ippbot replay " in line]
        found = [command for command in commands if command[-1].endswith(suffix)]
        assert len(found) == 1, self.out.splitlines()[-3:]
        return found[0]


def ippbot(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run `ippbot` with only IPPBOT_DATA_DIR set, as on a fresh checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPPBOT_")}
    env["IPPBOT_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "bot.commands.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900, check=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """One `ippbot demo`, run to its end with exit code 0."""
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    done = ippbot("demo", data_dir=data_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    return Demo(done.stdout, data_dir)


def test_demo_tells_the_whole_story(demo: Demo, page: Page, tmp_path: Path) -> None:
    """The demo registers, files every IPR and complaint once, answers every counter-notice (one by the operator,
    the rest by the policy at the next sync), withdraws a listing, prints the standing, and its report opens."""
    out = demo.out
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
    expect(page.locator("#entries")).to_contain_text("confirmed")  # the run's entries, below the standing
    expect(page.locator("#standing")).to_contain_text("takedown rate")  # rewritten by the last sync: the whole story
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_every_demo_run_leaves_a_har_and_a_trace_per_entry(demo: Demo) -> None:
    """Both runs record as `ippbot run --har --trace on`: each entry's summary names a HAR and a trace that exist."""
    assert len(demo.runs) == 2, demo.out
    for run in demo.runs:
        summary = run.read_summary()
        assert summary.trace_mode == "on" and summary.entries, summary
        for entry in summary.entries:
            assert entry.har == run.relative(run.har(entry.key)) and run.har(entry.key).stat().st_size > 0, entry
            assert entry.trace == run.relative(run.trace(entry.key)) and run.trace(entry.key).stat().st_size > 0, entry


def test_demo_ends_with_replay_commands_for_an_entry_of_its_last_run(demo: Demo) -> None:
    """The last two lines give `ippbot replay` for one entry's HAR and its trace, both in the last run's folder."""
    har, trace = Path(demo.replay_command(".har")[-1]), Path(demo.replay_command(".zip")[-1])
    last = demo.runs[-1]
    key = next(e.key for e in last.read_summary().entries if e.har and last.root / e.har == har)
    assert (har, trace) == (last.har(key), last.trace(key)) and last.entry(key).is_file()
    assert demo.out.splitlines()[-2].startswith(f"replay {key} from its HAR")


def test_the_printed_replay_command_replays_the_entry_with_no_portal(demo: Demo) -> None:
    """The HAR command, run as printed (the demo's portal is gone), takes the recorded steps to the same reference."""
    command = demo.replay_command(".har")
    assert command[:2] == ["ippbot", "replay"], command
    done = ippbot(*command[1:], data_dir=demo.data_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.match(r"same steps, same outcome: CP-\d+$", done.stdout.splitlines()[0]), done.stdout

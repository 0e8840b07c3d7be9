"""Ctrl-C and SIGTERM at each step of an entry: one line, exit 130 or 143, a report that says so, and the
next run settles what was left, each entry on the portal exactly once.

The signal comes from the runner's own test hook (`IPPBOT_TEST_SIGNAL_AT`, as `IPPBOT_TEST_KILL_AT`
does for kill -9), at a named step: to ippbot alone (as `kill -INT PID` does), or to its whole
process group (as Ctrl-C at a terminal does, which takes Playwright's driver, and with it the
browser, down at once).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT, Operator, assert_each_once, write_batch
from support_cli import in_session, report_of, said, summary_of

CASES = [  # step, signal, to whom, what the entry in flight is left as
    ("before_form", "SIGINT", "group", {"claimed"}),
    ("after_fields", "SIGINT", "self", {"claimed"}),
    ("after_fields", "SIGTERM", "group", {"claimed"}),
    ("after_submitting_committed", "SIGTERM", "group", {"unknown", "submitting", "confirmed"}),
    ("after_click", "SIGINT", "group", {"unknown", "submitting", "confirmed"}),
    ("after_click", "SIGTERM", "self", {"confirmed"}),  # the browser lives: the submit runs on to its answer
    ("after_confirmation", "SIGINT", "self", {"confirmed"}),
    ("between_entries", "SIGTERM", "self", set()),
]
ENTRIES = 3


def assert_one_clean_line(done: subprocess.CompletedProcess[str], name: str) -> str:
    """The process said exactly one line, `ippbot: interrupted by NAME ...`, and nothing a person should not see."""
    lines = said(done.stderr)
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"ippbot: interrupted by {name} "), lines
    assert done.stdout == ""
    for noise in ("Traceback", "--no-sandbox", "TargetClosedError", "Future exception"):
        assert noise not in done.stdout + done.stderr, noise
    return lines[0]


@pytest.mark.parametrize(("step", "name", "to", "left"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_a_signal_stops_the_run_at_a_safe_point(operator: Operator, tmp_path: Path, step: str, name: str, to: str,
                                                left: set[str]) -> None:
    """At each step, a signal ends the run with one line, 128 + its number, and a report marked interrupted;
    the next run settles what was left and files every entry exactly once."""
    operator.ippbot("enqueue", str(write_batch(tmp_path / "batch.yaml", iprs=ENTRIES)), check=True)
    stopped = in_session(operator, "run", extra_env={"IPPBOT_TEST_SIGNAL_AT": f"{step}:{name}:{to}"})
    assert stopped.returncode == 128 + signal.Signals[name], stopped.stdout + stopped.stderr
    line = assert_one_clean_line(stopped, name)
    assert "at a safe point" in line
    report = report_of(line)
    assert "This run was interrupted" in report.read_text(encoding="utf-8")
    summary = summary_of(report)
    assert summary["interrupted"] == name
    in_flight = {e["state"] for e in summary["entries"]}
    assert in_flight <= left, in_flight
    if in_flight & {"claimed", "submitting", "unknown"}:
        assert "the next `ippbot run` settles it" in line
    operator.ippbot("run", check=True)
    assert operator.states() == {"confirmed": ENTRIES}
    assert_each_once(operator.portal, operator)


def test_sigterm_stops_the_worker_at_a_safe_point(operator: Operator, tmp_path: Path) -> None:
    """A worker that gets SIGTERM mid-entry says so in one line after its start-up line, exits 143, and
    leaves nothing the next run cannot settle."""
    operator.ippbot("enqueue", str(write_batch(tmp_path / "batch.yaml", iprs=ENTRIES)), check=True)  # a trigger
    stopped = in_session(operator, "worker", extra_env={"IPPBOT_TEST_SIGNAL_AT": "before_form:SIGTERM"})
    assert stopped.returncode == 143, stopped.stdout + stopped.stderr
    assert stopped.stdout.startswith(f"ippbot worker: working {operator.email}'s entries from the queue in ")
    assert "Ctrl-C or SIGTERM stops it at a safe point" in stopped.stdout
    line = said(stopped.stderr)
    assert len(line) == 1 and line[0].startswith("ippbot: interrupted by SIGTERM (a stop request) at a safe point: "
                                                 "left ipr:"), stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert "This run was interrupted" in report_of(line[0]).read_text(encoding="utf-8")
    operator.ippbot("run", check=True)
    assert operator.states() == {"confirmed": ENTRIES}
    assert_each_once(operator.portal, operator)


def test_stale_triggers_start_no_run(operator: Operator, tmp_path: Path) -> None:
    """Triggers left in the queue after the work was done make no run and no run folder."""
    operator.ippbot("enqueue", str(write_batch(tmp_path / "batch.yaml", iprs=1)), check=True)
    operator.ippbot("run", check=True)
    runs = sorted(operator.data_dir.glob("runs/*"))
    trigger = ("from bot import logs\nfrom bot.commands.worker import queue\nfrom bot.settings import load_settings\n"
               "settings = load_settings()\nlogs.configure(settings)\nq = queue(settings)\n"
               "for _ in range(5):\n    q.trigger(settings.email)\n"
               "for _ in range(6):\n    q.huey.execute(q.huey.dequeue())\n")
    done = subprocess.run([sys.executable, "-c", trigger], cwd=ROOT, env=operator.env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count('"event": "worker.nothing_to_do"') == 6
    assert sorted(operator.data_dir.glob("runs/*")) == runs


COMMANDS = [("sync", "SIGINT", "group"), ("sync", "SIGTERM", "self"), ("account login", "SIGINT", "group"),
            ("selectors check", "SIGTERM", "group")]


@pytest.mark.parametrize(("command", "name", "to"), COMMANDS, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in COMMANDS])
def test_a_signal_ends_a_portal_command_in_one_line(operator: Operator, command: str, name: str, to: str) -> None:
    """Ctrl-C or SIGTERM to a command that only talks to the portal: one line, 128 + the signal's number, and the
    command works when run again."""
    stopped = in_session(operator, *command.split(), extra_env={"IPPBOT_TEST_SIGNAL_AT": f"{command}:{name}:{to}"})
    assert stopped.returncode == 128 + signal.Signals[name], stopped.stdout + stopped.stderr
    line = assert_one_clean_line(stopped, name)
    assert f"({command} stopped; nothing is left half-done: run it again)" in line
    assert in_session(operator, *command.split()).returncode == 0

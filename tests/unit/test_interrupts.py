"""Interrupts: a signal is noted and ends the run at a safe point; a wait it interrupts ends at once."""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from pathlib import Path

import pytest
import structlog

from bot import logs
from bot.errors import Interrupted
from bot.run.interrupts import SIGNAL_HOOK_ENV, Stop, active, handling_signals, how, signal_point

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("isolated")]  # tests/unit/conftest.py


def test_a_signal_is_noted_and_the_next_safe_point_raises() -> None:
    """Outside a wait, SIGTERM only notes the stop; the next check raises Interrupted with exit code 143."""
    stop = Stop()
    with handling_signals(stop):
        os.kill(os.getpid(), signal.SIGTERM)
        assert (stop.requested, stop.signal_name, how(stop)) == (True, "SIGTERM", "a stop request")
        with pytest.raises(Interrupted) as caught:
            stop.check()
    assert caught.value.exit_code == 143
    assert str(caught.value) == "interrupted by SIGTERM"


def test_the_first_signal_names_the_stop() -> None:
    """Ctrl-C after SIGTERM leaves the stop SIGTERM's (143), as the operator first asked."""
    stop = Stop()
    with handling_signals(stop):
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
    assert stop.interrupted().exit_code == 143


def test_ctrl_c_ends_a_back_off_at_once() -> None:
    """A back-off of a minute ends as soon as Ctrl-C comes, with Interrupted (exit code 130)."""
    stop = Stop()
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    with handling_signals(stop), pytest.raises(Interrupted) as caught:
        timer.start()
        stop.sleep(60)
    assert time.monotonic() - started < 10
    assert (caught.value.exit_code, how(stop)) == (130, "Ctrl-C")


def test_a_back_off_in_another_thread_ends_when_the_stop_is_asked() -> None:
    """A worker's thread, which no signal handler can raise in, wakes from its back-off when the stop is asked."""
    stop, ended = Stop(), []

    def back_off() -> None:
        try:
            stop.sleep(60)
        except Interrupted as exc:
            ended.append(exc)

    worker = threading.Thread(target=back_off)
    worker.start()
    stop.request(signal.SIGTERM)
    worker.join(10)
    assert [e.exit_code for e in ended] == [143]


def test_the_handlers_are_put_back_after_the_block() -> None:
    """Outside the block, SIGINT and SIGTERM go where they went before, and no stop is active."""
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with handling_signals(Stop()) as stop:
        assert active() is stop
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    assert active() is None


@pytest.mark.parametrize(("hook", "step", "noted"), [
    ("after_fields:SIGTERM", "after_fields", "SIGTERM"),
    ("after_fields:SIGINT", "before_form", ""),
    ("between_entries", "between_entries", "SIGINT"),
])
def test_the_test_hook_signals_at_the_named_step_only(monkeypatch: pytest.MonkeyPatch, hook: str, step: str,
                                                       noted: str) -> None:
    """`IPPBOT_TEST_SIGNAL_AT=step:SIGNAL` sends that signal (SIGINT when unnamed) at that step, and nowhere else."""
    monkeypatch.setenv(SIGNAL_HOOK_ENV, hook)
    stop = Stop()
    with handling_signals(stop):
        signal_point(step)
    assert stop.signal_name == noted


def test_after_a_stop_the_console_is_quiet_and_the_log_file_is_not(tmp_path: Path) -> None:
    """Once a stop is asked, log events no longer reach the terminal; the run's log file still gets them."""
    console, log_file = io.StringIO(), tmp_path / "log.jsonl"
    logs.configure(logs.LogParams(log_format="json"), stream=console, log_file=log_file)
    log = structlog.get_logger("test")
    log.warning("before.stop")
    Stop().request(signal.SIGINT)
    log.warning("after.stop", error="Target page, context or browser has been closed")
    assert "before.stop" in console.getvalue()
    assert "after.stop" not in console.getvalue()
    assert "after.stop" in log_file.read_text(encoding="utf-8")

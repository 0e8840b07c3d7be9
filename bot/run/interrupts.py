"""Interrupts: Ctrl-C and SIGTERM stop a run at its next safe point, not wherever they land.

Python's default turns Ctrl-C into a `KeyboardInterrupt` raised at any line, Playwright's half-done
calls then fail with pages of "Target closed" and Chromium's launch command, and the run leaves no
report. Instead `ippbot run` and `ippbot worker` route SIGINT and SIGTERM to a `Stop` for as long
as they work (`handling_signals`):

* the signal is only noted (the first one names the exit code, 130 or 143) and the console's
  log lines are muted from then on (`bot.logs.mute_console`: what fails now fails because of the
  stop; the run's log.jsonl still has every line);
* the runner asks `Stop.check()` at its safe points (before a claim, before an entry's form,
  before "submitting" is committed) and ends there with `Interrupted`; a submit already committed
  runs on to its answer;
* a wait that could last (a back-off, the Playwright Inspector, the slider check) is
  `Stop.interruptible()`: the signal raises `Interrupted` in it at once. In the main thread that
  is the signal handler raising, which Playwright's sync API supports in the middle of a call
  (the exception comes out of the call; the connection stays usable). In another thread (the
  worker's) a sleep waits on an event the handler sets.

Ctrl-C at a terminal goes to the whole process group: Playwright's driver closes the browser at
once, so the entry in flight fails as the stop is noted; the runner knows why and leaves it as
the ledger has it (`claimed`, `submitting` or `unknown`), for the next run's recovery.

A test asks for a signal at one of the runner's named steps with `IPPBOT_TEST_SIGNAL_AT`
(`step:SIGINT`, `step:SIGTERM`, with `:group` to signal the process group as a terminal does),
as `IPPBOT_TEST_KILL_AT` asks for SIGKILL (`bot.run.runner.kill_point`).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from bot.errors import Interrupted
from bot.logs import mute_console

SIGNALS = (signal.SIGINT, signal.SIGTERM)
SIGNAL_HOOK_ENV = "IPPBOT_TEST_SIGNAL_AT"  # tests only: `step:SIGINT[:group]`, see `signal_point`
HOW = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "a stop request"}


class Stop:
    """A request to stop at the next safe point, made by a signal (or a test), read by the run."""

    def __init__(self) -> None:
        self.signal_number: int | None = None
        self._event = threading.Event()
        self._waiting = 0  # > 0 while the main thread is in an interruptible wait

    @property
    def requested(self) -> bool:
        """Whether a stop was asked for."""
        return self.signal_number is not None

    @property
    def signal_name(self) -> str:
        """The signal that asked first (SIGINT, SIGTERM), or "" when none did."""
        return signal.Signals(self.signal_number).name if self.signal_number is not None else ""

    def request(self, signum: int) -> None:
        """Note a stop (signal handlers call this); inside an interruptible wait of the main thread,
        end that wait now by raising `Interrupted`."""
        if self.signal_number is None:
            self.signal_number = signum
        mute_console()
        if self._waiting and threading.current_thread() is threading.main_thread():
            raise self.interrupted()
        # Never waited on by the main thread (it sleeps in `time.sleep`), so setting it from the
        # handler cannot meet the event's own lock held by the code the signal interrupted.
        self._event.set()

    def interrupted(self, detail: str = "") -> Interrupted:
        """The error that ends a stopped command."""
        number = self.signal_number if self.signal_number is not None else signal.SIGINT
        return Interrupted(signal.Signals(number).name, number, detail)

    def noted(self, timeout_s: float) -> bool:
        """Wait (in a thread other than the main one) until a stop has been asked for; whether it was."""
        return self._event.wait(timeout_s)

    def check(self) -> None:
        """A safe point: raise `Interrupted` if a stop was asked for."""
        if self.requested:
            raise self.interrupted()

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """A wait a signal may cut short (the Inspector, the slider, a back-off): in the main thread, the
        signal raises in the block; elsewhere the wait itself must look (`sleep` does)."""
        self.check()
        counted = threading.current_thread() is threading.main_thread()
        self._waiting += counted
        try:
            yield
        finally:
            self._waiting -= counted

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`, unless a stop is asked for first (then `Interrupted`)."""
        if threading.current_thread() is threading.main_thread():
            with self.interruptible():
                time.sleep(max(seconds, 0))  # allowed: the back-off the portal or the policy asked for
        else:
            self._event.wait(max(seconds, 0))
        self.check()


_active: Stop | None = None


def active() -> Stop | None:
    """The `Stop` the process's signals go to now, if a command installed one."""
    return _active


@contextmanager
def routing(stop: Stop) -> Iterator[Stop]:
    """Make `stop` the process's (`active()`) for the length of the block, for waits that look for it;
    whoever handles the signals (`handling_signals`, the worker's consumer) calls `stop.request`."""
    global _active  # signals belong to the process, as does the Stop they go to
    outer, _active = _active, stop
    try:
        yield stop
    finally:
        _active = outer


@contextmanager
def handling_signals(stop: Stop) -> Iterator[Stop]:
    """Route SIGINT and SIGTERM to `stop` for the length of the block (only the main thread can)."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.request(signum)

    previous = {number: signal.signal(number, handler) for number in SIGNALS}
    try:
        with routing(stop):
            yield stop
    finally:
        for number, before in previous.items():
            signal.signal(number, before)


def how(stop: Stop) -> str:
    """How the operator asked for the stop, in their words ("Ctrl-C", "a stop request")."""
    if stop.signal_number is None:
        return ""
    return HOW.get(signal.Signals(stop.signal_number), stop.signal_name)


def signal_point(step: str) -> None:
    """Send this process (or its group) the signal a test names for this step (never set in production)."""
    wanted = os.environ.get(SIGNAL_HOOK_ENV, "")
    name, _, rest = wanted.partition(":")
    if not wanted or name != step:
        return
    signame, _, target = rest.partition(":")
    number = signal.Signals[signame or "SIGINT"]
    if target == "group":
        os.killpg(os.getpgrp(), number)
    else:
        os.kill(os.getpid(), number)
    stop = active()
    if stop is not None and threading.current_thread() is not threading.main_thread():
        stop.noted(timeout_s=10)  # the main thread handles it: go on once it has, as a run in the main thread does

"""QA replay: re-run a recorded entry against its HAR with no portal, or serve a trace's viewer.

``ippbot replay RUN_DIR/har/NAME.har`` takes the entry (``entries/NAME.json``) and the portal URL
(``summary.json``) of that run, opens a fresh browser context that cannot reach any network, and
runs the entry as the runner does, on the runner's own path (`bot.run.attempt.attempt`): its flow
(`submit_ipr` or `file_complaint`) under the retry policy (with no waiting), and the portal
look-up when the submit's outcome is unknown. Every request is answered from the HAR; one the
HAR does not hold is refused. The steps (``step.end`` events) and the outcome (reference, or
error class) are compared with the summary's record.

Every answer comes from the recording (`bot.run.harplayer.HarPlayer`); the context is offline.

``ippbot replay TRACE.zip`` runs ``playwright show-trace --host 127.0.0.1 --port 0`` (Playwright's
CLI driver serves the viewer offline; no browser is needed) and prints the viewer's URL once it
answers, then serves until Ctrl-C.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import cast

import httpx
import structlog
from playwright.sync_api import sync_playwright
from structlog.typing import FilteringBoundLogger

from bot.browser import open_browser
from bot.errors import EXIT_FAILED, EXIT_OK, EnvironmentProblem, InputError
from bot.models import Entry, Ipr
from bot.retry import build_retrying
from bot.run.artifacts import EntryResult, RunDir, RunSummary, StepTiming
from bot.run.attempt import Attempt, attempt
from bot.run.contexts import StepRecorder, flow_context
from bot.run.harplayer import HarPlayer
from bot.settings import Settings

VIEWER_READY_TIMEOUT_S = 60.0


# -- what a replay compares ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """How an entry ended: the portal's reference, or the class of the error (None: not recorded)."""

    reference: str | None = None
    error: str | None = None

    def __str__(self) -> str:
        if self.reference:
            return self.reference
        return self.error or "not filed (error not recorded)"

    def matches(self, replayed: Outcome) -> bool:
        """Whether `replayed` is this outcome (an unrecorded error class matches any error)."""
        if self.reference or replayed.reference:
            return self.reference == replayed.reference
        return self.error is None or self.error == replayed.error


def recorded_outcome(entry: EntryResult) -> Outcome:
    """What the run recorded for an entry: its reference when confirmed, else its last failed step's error."""
    if entry.state == "confirmed" and entry.portal_ref:
        return Outcome(reference=entry.portal_ref)
    failed = [s.outcome for s in entry.steps if s.outcome not in ("", "ok")]
    return Outcome(error=failed[-1] if failed else None)


def step_names(steps: list[StepTiming]) -> list[str]:
    """Steps as ``flow.step: outcome``, durations left out."""
    return [f"{s.flow}.{s.step}: {s.outcome}" for s in steps]


@dataclass(frozen=True)
class Verdict:
    """The comparison of a replay with its recording."""

    same: bool
    text: str


def compare(recorded: list[str], replayed: list[str], was: Outcome, now: Outcome) -> Verdict:
    """The verdict: ``same steps, same outcome: REF``, or the first difference."""
    for index, (before, after) in enumerate(zip(recorded, replayed, strict=False), start=1):
        if before != after:
            return Verdict(False, f"step {index} differs: recorded {before!r}, replayed {after!r}")
    common = min(len(recorded), len(replayed))
    if len(recorded) > common:
        return Verdict(False, f"the replay stopped after {common} steps; the recording went on: {recorded[common]!r}")
    if len(replayed) > common:
        return Verdict(False, f"the replay went on after the recorded {common} steps: {replayed[common]!r}")
    if not was.matches(now):
        return Verdict(False, f"same steps, different outcome: recorded {was}, replayed {now}")
    return Verdict(True, f"same steps, same outcome: {now}")


# -- replaying an entry ---------------------------------------------------------------------------------


def recording_logger(recorder: StepRecorder) -> FilteringBoundLogger:
    """A logger whose events go through `recorder` at every level, then on to the process's log."""
    logger = structlog.wrap_logger(structlog.get_logger("ippbot.replay"), processors=[recorder],
                                   wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    return cast(FilteringBoundLogger, logger)


@dataclass
class Recording:
    """One entry of a recorded run: where its files are and what the run says about it."""

    har: Path
    run: RunDir
    summary: RunSummary
    result: EntryResult
    entry: Entry

    @classmethod
    def find(cls, har: Path) -> Recording:
        """The recording a HAR under ``RUN_DIR/har/`` belongs to; `InputError` naming what is missing."""
        if not har.is_file():
            raise InputError(f"{har}: no such HAR file")
        root = har.resolve().parent.parent
        run = RunDir(root.parent, root.name)
        if not run.summary.is_file():
            raise InputError(f"{har}: no summary.json in {root} (expected RUN_DIR/har/NAME.har)")
        summary = run.read_summary()
        # An entry worked twice in a run has one HAR, its last attempt's: compare with the last result.
        result = next((e for e in reversed(summary.entries) if e.har and (root / e.har).resolve() == har.resolve()),
                      None)
        entry_file = root / "entries" / f"{har.stem}.json"
        if result is None or not entry_file.is_file():
            raise InputError(f"{har}: the run's summary.json or entries/ has no entry for this HAR")
        entry = Entry.model_validate_json(entry_file.read_text(encoding="utf-8"))
        return cls(har, run, summary, result, entry)


@dataclass
class Replayed:
    """What happened when an entry was replayed."""

    steps: list[StepTiming]
    outcome: Outcome
    refused: list[str] = field(default_factory=list)


def replay_entry(recording: Recording, settings: Settings) -> Replayed:
    """Run the recorded entry again against its HAR, with no network, and record what happens."""
    _check_files(recording.entry)
    recorder, player = StepRecorder(), HarPlayer.load(recording.har)
    with tempfile.TemporaryDirectory(prefix="ippbot-replay-") as scratch, sync_playwright() as playwright:
        # A session renewed during the replay is kept in a scratch folder, never the operator's.
        own = settings.model_copy(update={"portal_url": recording.summary.portal_url, "data_dir": Path(scratch)})
        with open_browser(own, playwright) as browser, closing(browser.new_context()) as context:
            player.attach(context)
            ctx = flow_context(context.new_page(), own, recording.entry.key,
                               log=recording_logger(recorder).bind(replay=True))
            ctx.send_once = False  # route.fetch would bypass the player and reach the portal: the browser posts
            ctx.absent_at_start = recording.result.absent_at_start  # the run skipped the look-up: so does the replay
            tried = attempt(ctx, recording.entry.payload, build_retrying(own, sleep=_no_wait, log=ctx.log))
    return Replayed(recorder.pop(recording.entry.key), outcome_of(tried), player.refused)


def outcome_of(tried: Attempt) -> Outcome:
    """What a replayed attempt came to, in the terms the recording keeps."""
    if tried.filed is not None:
        return Outcome(reference=tried.filed.reference)
    if tried.found:
        return Outcome(reference=tried.found)
    error = tried.lookup_error or tried.error
    return Outcome(error=type(error).__name__ if error else None)


def _check_files(entry: Entry) -> None:
    """The entry's documents must be here: the flow uploads them again."""
    payload = entry.payload
    if isinstance(payload, Ipr):
        files = [*payload.documents, *filter(None, [payload.power_of_attorney])]
    else:
        files = list(payload.evidence)
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise InputError(f"entry {entry.key!r}: its files are not on this machine: {', '.join(missing)}")


def _no_wait(_seconds: float) -> None:
    """The replay's retries do not wait: the HAR answers at once."""


def replay_har(har: Path, settings: Settings, echo: Callable[[str], None] = print) -> int:
    """Replay the entry a HAR recorded, print the verdict; exit code 0 when the same, 1 otherwise."""
    recording = Recording.find(har)
    replayed = replay_entry(recording, settings)
    verdict = compare(step_names(recording.result.steps), step_names(replayed.steps),
                      recorded_outcome(recording.result), replayed.outcome)
    echo(verdict.text)
    if replayed.refused:
        echo(f"refused {len(replayed.refused)} request(s) the HAR does not hold: " + "; ".join(replayed.refused[:3]))
    return EXIT_OK if verdict.same else EXIT_FAILED


# -- serving a trace ----------------------------------------------------------------------------------


def serve_trace(trace: Path, echo: Callable[[str], None] = print,
                ready_timeout_s: float = VIEWER_READY_TIMEOUT_S) -> int:
    """Serve Playwright's trace viewer for `trace` on localhost, print its URL, serve until Ctrl-C."""
    if not trace.is_file():
        raise InputError(f"{trace}: no such trace file")
    command = [sys.executable, "-m", "playwright", "show-trace", "--host", "127.0.0.1", "--port", "0", str(trace)]
    viewer = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,  # noqa: S603
                              start_new_session=True)  # its own group: the driver's node child goes with it
    try:
        with _sigterm_as_interrupt():
            lines = _lines(viewer)
            url = _viewer_url(lines, ready_timeout_s)
            echo(f"trace viewer: {_answering(url)}")
            echo("serving until Ctrl-C")
            viewer.wait()
    except KeyboardInterrupt:
        pass
    finally:
        _stop(viewer)
    return EXIT_OK


def _lines(process: subprocess.Popen[str]) -> queue.Queue[str | None]:
    """The process's output, line by line (None when it ends), read by a thread so nothing blocks."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in process.stdout or []:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _viewer_url(lines: queue.Queue[str | None], timeout_s: float) -> str:
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=timeout_s)
        except queue.Empty:
            raise EnvironmentProblem("the trace viewer did not start in time",
                                     fix="run `python -m playwright show-trace TRACE.zip` to see why") from None
        if line is None:
            raise EnvironmentProblem("the trace viewer stopped: " + " ".join(seen).strip()[-300:],
                                     fix="check that `python -m playwright show-trace` runs here")
        seen.append(line.strip())
        if line.startswith("Listening on "):
            return line.split()[-1]


def _answering(url: str) -> str:
    """The viewer's page URL (after its redirect), once it answers 200."""
    response = httpx.get(url, follow_redirects=True, timeout=30)
    if response.status_code != httpx.codes.OK:
        raise EnvironmentProblem(f"the trace viewer at {url} answered {response.status_code}")
    return str(response.url)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while serving, so the viewer is stopped either way."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# -- the command ----------------------------------------------------------------------------------------


def replay(path: Path, settings: Settings, echo: Callable[[str], None] = print) -> int:
    """``ippbot replay PATH``: a ``.har`` is replayed, a ``.zip`` trace is served."""
    if path.suffix == ".har":
        return replay_har(path, settings, echo)
    if path.suffix == ".zip":
        return serve_trace(path, echo)
    raise InputError(f"{path}: expected an entry's .har (RUN_DIR/har/) or a trace .zip (RUN_DIR/traces/)")

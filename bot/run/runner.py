"""The run: work the ledger's entries for one account, one at a time, in one browser.

What a run does, in order:
1. take the account's lease (a second run on the same account stops here);
2. hand back what a crashed run left (`recover_stale`) and settle every entry in doubt
   (`unknown`) against the portal's own records before anything new is filed;
3. claim due entries one by one; for each: a fresh context with the stored session, the
   entry's flow (`bot.run.attempt.attempt`, which looks the record up before it files),
   "submitting" committed right before the final click, then confirmed with the portal's reference;
4. write the run's artifacts (summary.json, traces, HARs, confirmation screenshots).

Outcomes: a transient error before the click goes back to pending with back-off; after the
click the entry is `unknown` and is reconciled at once (`bot.run.attempt.settle`); a permanent
one fails with the portal's reason. The run never files on a guess.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from playwright.sync_api import Page, sync_playwright
from structlog.typing import FilteringBoundLogger

from bot import logs
from bot.browser import BrowserSession, open_browser
from bot.errors import (
    AccountBusy,
    ConfigError,
    IppbotError,
    PermanentPortalError,
    PortalError,
    PortalRejected,
    SubmitOutcomeUnknown,
)
from bot.locators import Selectors
from bot.retry import build_retrying, next_attempt_delay
from bot.run.artifacts import EntryResult, RunDir, RunSummary, new_run_id
from bot.run.attempt import Attempt, attempt, settle
from bot.run.contexts import StepRecorder, flow_context
from bot.run.evidence import Evidence
from bot.run.pause import failure_inspector
from bot.run.preflight import check_data_dir, check_portal
from bot.settings import Settings
from bot.store.ledger import Ledger
from bot.store.records import Record
from flows.context import FlowContext
from flows.session import ensure_session

LEASE_TTL_S = 300.0
KILL_HOOK_ENV = "IPPBOT_TEST_KILL_AT"  # tests only: SIGKILL this process at the named step


@dataclass
class RunOptions:
    """What the command line adds to the settings for one run."""

    limit: int | None = None
    on_failure: Callable[[Page, BaseException], None] | None = None  # default: the Inspector when asked
    progress: Callable[[Record], None] | None = None
    run_id: str = field(default_factory=new_run_id)
    console_level: str | None = None
    max_wait_s: float = 300.0  # a run waits this long at most for entries backing off, then ends
    sleep: Callable[[float], None] = time.sleep  # allowed: injectable wait while the portal asks us to back off


def kill_point(step: str) -> None:
    """Die here, hard, when a reliability test names this step (never set in production)."""
    if os.environ.get(KILL_HOOK_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


class Runner:
    """One run over one account's due entries."""

    def __init__(self, settings: Settings, ledger: Ledger, options: RunOptions | None = None) -> None:
        self.settings = settings
        self.ledger = ledger
        self.options = options or RunOptions()
        self.account = settings.email
        self.holder = f"run {self.options.run_id} on {socket.gethostname()} pid {os.getpid()}"
        self.run_dir = RunDir(settings.runs_dir, self.options.run_id)
        self.recorder = StepRecorder()
        self.evidence = Evidence(settings, self.run_dir)
        self.log: FilteringBoundLogger = structlog.get_logger("ippbot.run")
        self.summary = RunSummary(run_id=self.options.run_id, started_at=_now_iso(),
                                  portal_url=settings.portal_url, trace_mode=settings.trace)
        self.selectors = Selectors.load(settings.resolved_selectors_dir())
        self.rng = random.Random()

    # -- the run --------------------------------------------------------------------------------
    def run(self) -> RunSummary:
        """Work every due entry (up to the limit); returns the run's summary."""
        check_data_dir(self.settings)
        check_portal(self.settings)
        self.run_dir.create()
        logs.configure(self.settings, log_file=self.run_dir.log, observers=[self.recorder],
                       console_level=self.options.console_level)
        self._take_lease()
        try:
            self.ledger.recover_stale()
            with sync_playwright() as pw, open_browser(self.settings, pw) as browser:
                self._preflight(browser)
                self._settle_in_doubt(browser)
                self._work(browser)
        finally:
            self.ledger.release_lease(self.account, self.holder)
            self._finish()
        return self.summary

    def _take_lease(self) -> None:
        """Take the account's lease; a lease left by a killed run on this machine is taken over."""
        if self.ledger.acquire_lease(self.account, self.holder, LEASE_TTL_S):
            return
        holder = self.ledger.lease_holder(self.account)
        if holder is not None and _dead_local_holder(holder):
            self.log.warning("lease.taken_over", account=self.account, dead_holder=holder)
            self.ledger.release_lease(self.account, holder)
            if self.ledger.acquire_lease(self.account, self.holder, LEASE_TTL_S):
                return
        raise AccountBusy(self.account)

    def _preflight(self, browser: BrowserSession) -> None:
        """Log in again now if the stored session has expired (retried: the portal may be busy)."""
        with self.evidence.context(browser, None) as context:
            ctx = self._flow_ctx(context.new_page(), "preflight")
            try:
                build_retrying(self.settings, log=ctx.log)(lambda: ensure_session(ctx))
            except PortalRejected as exc:
                raise ConfigError(f"log-in to {self.settings.portal_url} as {self.account} failed "
                                  f"({'; '.join(exc.field_errors.values()) or exc.reason}); check IPPBOT_EMAIL and "
                                  "IPPBOT_PASSWORD, or register the account: ippbot account register") from exc

    def _settle_in_doubt(self, browser: BrowserSession) -> None:
        for record in self.ledger.in_doubt(self.account):
            if record.state == "unknown":
                self._reconcile(browser, record)

    def _work(self, browser: BrowserSession) -> None:
        done = 0
        while self.options.limit is None or done < self.options.limit:
            self.ledger.renew_lease(self.account, self.holder, LEASE_TTL_S)
            kill_point("between_entries")
            record = self.ledger.claim_next(self.account, holder=self.holder)
            if record is None:
                if self._wait_for_next_due():
                    continue
                return
            self._work_entry(browser, record)
            done += 1

    def _wait_for_next_due(self) -> bool:
        """Wait for the next entry backing off (the portal asked us to wait); False when none is due soon."""
        due = self.ledger.next_due(self.account)
        if due is None:
            return False
        wait = (due - datetime.now(UTC)).total_seconds()
        if wait > self.options.max_wait_s:
            self.log.info("run.leaving_for_later", next_due=due.isoformat(), wait_s=round(wait))
            return False
        self.log.info("run.backing_off", wait_s=round(max(wait, 0), 1))
        self.options.sleep(max(wait, 0))
        return True

    # -- one entry ------------------------------------------------------------------------------
    def _work_entry(self, browser: BrowserSession, record: Record) -> None:
        started = time.monotonic()
        entry = record.entry.model_copy(update={"payload": self.ledger.payload_to_file(record)})
        self.run_dir.entry(record.key).write_text(entry.model_dump_json(indent=2), encoding="utf-8")  # for replay
        result = EntryResult(key=record.key, kind=record.kind, state=record.state, attempts=record.attempts)
        with self.evidence.context(browser, record.key) as context:
            page = context.new_page()
            failed = self._attempt(page, record, result)
            self.evidence.keep(context, page, result, failed)
        final = self.ledger.get(record.key)
        result.state, result.attempts = final.state, final.attempts
        result.portal_ref, result.error = final.portal_ref, final.error
        result.duration_ms = round((time.monotonic() - started) * 1000)
        result.steps = self.recorder.pop(record.key)
        # one result per entry: a second try in the same run (after proof it was not filed) replaces the first
        self.summary.entries = [e for e in self.summary.entries if e.key != record.key] + [result]
        if self.options.progress:
            self.options.progress(final)

    def _attempt(self, page: Page, record: Record, result: EntryResult) -> bool:
        """Run the entry's flow and move the ledger by its outcome; True when it did not confirm."""
        state = {"version": record.version}
        ctx = self._flow_ctx(page, record.key)
        ctx.before_submit = lambda: self._submitting(record.key, state)
        ctx.after_click = lambda: kill_point("after_click")
        kill_point("before_form")  # before the flow's first try opens anything

        def unknown(exc: BaseException) -> None:
            self.ledger.mark_unknown(record.key, logs.mask_secrets(str(exc)), version=state["version"])

        payload = self.ledger.payload_to_file(record)
        outcome = attempt(ctx, payload, build_retrying(self.settings, log=ctx.log), on_unknown=unknown)
        if outcome.filed is not None:
            kill_point("after_confirmation")
            self.ledger.confirm(record.key, outcome.filed.reference, existing=outcome.filed.existing,
                                version=state["version"])
            result.existing = outcome.filed.existing
            result.refused = [r.model_dump() for r in outcome.filed.refused]
            return False
        assert outcome.error is not None
        result.error_class = type(outcome.error).__name__
        if outcome.clicked:
            return self._settled(record.key, outcome)
        self._failed(record, state, outcome.error, page)
        return True

    def _submitting(self, key: str, state: dict[str, int]) -> None:
        """Commit "submitting" before the click; the flow clicks only after this returns."""
        kill_point("after_fields")
        state["version"] = self.ledger.mark_submitting(key, version=state["version"]).version
        kill_point("after_submitting_committed")

    def _failed(self, record: Record, state: dict[str, int], exc: BaseException, page: Page) -> None:
        """A failure before the click: back in line with back-off, or failed for good."""
        if not isinstance(exc, IppbotError):  # a bug or a browser crash: never lose what the ledger knows
            exc = PortalError(f"{type(exc).__name__}: {exc}", entry=record.key)
        current = self.ledger.get(record.key)
        message = logs.mask_secrets(str(exc))
        (self.options.on_failure or failure_inspector(self.settings))(page, exc)
        if isinstance(exc, PermanentPortalError):
            self.ledger.fail(record.key, message, version=state["version"])
        else:
            delay = next_attempt_delay(current.attempts, self.settings, self.rng)
            self.ledger.retry_later(record.key, message, delay, version=state["version"])
        self.log.warning("entry.failed", entry=record.key, error=type(exc).__name__, detail=message)

    # -- reconciliation -------------------------------------------------------------------------
    def _reconcile(self, browser: BrowserSession, record: Record) -> None:
        """Settle an entry a crashed run left `unknown`, before anything new is filed."""
        with self.evidence.context(browser, record.key) as context:
            ctx = self._flow_ctx(context.new_page(), record.key)
            error = SubmitOutcomeUnknown(record.error or "left unknown by an earlier run", entry=record.key)
            payload = self.ledger.payload_to_file(record)
            self._settled(record.key, settle(ctx, payload, build_retrying(self.settings, log=ctx.log), error))

    def _settled(self, key: str, outcome: Attempt) -> bool:
        """Move an unknown entry by what the portal's records said: found -> confirmed, absent -> pending.

        True unless found. A look-up that failed leaves the entry unknown: the next run settles it first.
        """
        if outcome.in_doubt:
            return True
        record = self.ledger.get(key)
        self.ledger.reconcile(key, outcome.found, proof_absent=outcome.absent, version=record.version)
        return outcome.found is None

    # -- browser contexts and evidence ------------------------------------------------------------
    def _flow_ctx(self, page: Page, key: str) -> FlowContext:
        return flow_context(page, self.settings, key, selectors=self.selectors, log=self.log)

    # -- the end ----------------------------------------------------------------------------------
    def _finish(self) -> None:
        self.summary.finished_at = _now_iso()
        self.summary.counts = {str(k): v for k, v in self.ledger.counts().items()}
        self.run_dir.write_summary(self.summary)


def _dead_local_holder(holder: str) -> bool:
    """Whether a lease holder named like ours is a process of this machine that no longer runs."""
    parts = holder.split()
    if len(parts) != 6 or parts[2] != "on" or parts[3] != socket.gethostname() or not parts[5].isdigit():
        return False
    try:
        os.kill(int(parts[5]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

"""The run: work the ledger's entries for one account, one at a time, in one browser.

What a run does, in order:
1. take the account's lease (a second run on the same account stops here);
2. hand back what a crashed run left (`recover_stale`) and settle every entry in doubt
   (`unknown`) against the portal's own records before anything new is filed;
3. claim due entries one by one, each at most once a run; for each: a fresh page in the run's
   one context (`bot.run.evidence`; a context each with `--har`), the entry's flow
   (`bot.run.attempt.attempt`, which looks the record up before it files), "submitting"
   committed right before the final click, then confirmed with the portal's reference;
4. write the run's artifacts (summary.json, traces, HARs, confirmation screenshots).

Outcomes: a transient error before the click goes back to pending with back-off; after the
click the entry is `unknown` and is reconciled at once (`bot.run.attempt.settle`): found, it is
confirmed; proven absent, it goes back in line with the same back-off. A human check nobody could
take (a slider in a headless run) parks the entry (`needs_human`, parked: `ippbot retry`); any
other permanent error fails it with the portal's reason. The run never files on a guess.

Attempts over time, not in a burst: `IPPBOT_MAX_ATTEMPTS` counts the runs an entry may take. A
run claims an entry once (each step of that attempt tried `IPPBOT_RETRY_ATTEMPTS` times); put
back, the entry waits a back-off that doubles with its attempts, across runs (`bot.run.backoff`).
When the head of the line is an entry this run has tried, the run ends; when it is one backing
off from an earlier run, the run waits for it (up to `RunOptions.max_wait_s`). A Retry-After the
portal gave (a 429, its maintenance page) holds for the whole account and across runs
(`Ledger.hold_off`): the run waits it out when it is short, else ends, and the next run honours it. What an entry
ended with is said by its root cause (a 503 after the click, not "reconciled: not on the portal").

Interrupts (`bot.run.interrupts`): Ctrl-C or SIGTERM stops the run at its next safe point
(before a claim, before an entry's form, before "submitting" is committed; a submit already
committed runs on to its answer). When the signal reached the browser too (Ctrl-C goes to the
whole process group), whatever fails then fails because of the stop: nothing is retried,
marked failed or handed to the Inspector; the entry stays as the ledger has it (`claimed`,
`submitting`, `unknown`) for the next run's `recover_stale` and reconciliation. The summary
records the stop (`RunSummary.interrupted`) and the run ends with `Interrupted`.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog
import tenacity
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright
from structlog.typing import FilteringBoundLogger

from bot import logs
from bot.browser import BrowserSession, open_browser
from bot.errors import (
    ConfigError,
    IppbotError,
    LeaseNotHeld,
    NeedsHuman,
    PermanentPortalError,
    PortalError,
    PortalRejected,
    RateLimited,
    SubmitOutcomeUnknown,
    first_line,
)
from bot.locators import Selectors
from bot.models import Complaint, Ipr
from bot.retry import build_retrying
from bot.run.artifacts import EntryResult, RunDir, RunSummary, new_run_id
from bot.run.attempt import Attempt, attempt, settle
from bot.run.backoff import Backoff, aware
from bot.run.causes import plain_message, root_cause, wait_reason
from bot.run.contexts import StepRecorder, flow_context
from bot.run.evidence import Evidence
from bot.run.index import PortalIndex
from bot.run.interrupts import Stop, signal_point
from bot.run.leases import take_lease
from bot.run.pause import failure_inspector
from bot.run.preflight import check_data_dir, check_portal
from bot.settings import Settings
from bot.store.ledger import Ledger
from bot.store.records import Record
from flows.context import FlowContext
from flows.read_status import read_history, read_iprs
from flows.session import ensure_session

KILL_HOOK_ENV = "IPPBOT_TEST_KILL_AT"  # tests only: SIGKILL this process at the named step
RECONCILED_ABSENT = "reconciled: not on the portal"  # what the ledger writes on an entry it put back so


@dataclass
class RunOptions:
    """What the command line adds to the settings for one run."""

    limit: int | None = None
    on_failure: Callable[[Page, BaseException], None] | None = None  # default: the Inspector when asked
    progress: Callable[[Record], None] | None = None
    run_id: str = field(default_factory=new_run_id)
    console_level: str | None = None
    max_wait_s: float = 300.0  # a run waits this long at most for an entry backing off, then ends
    sleep: Callable[[float], None] | None = None  # default: `stop.sleep`, which a stop cuts short
    stop: Stop = field(default_factory=Stop)  # `bot.run.interrupts.handling_signals` routes signals to it
    dry_run: bool = False  # up to each final click and no further (`bot.run.dryrun`)


def kill_point(step: str) -> None:
    """Die here, hard, when a reliability test names this step; or send the signal a test names (never
    set in production)."""
    if os.environ.get(KILL_HOOK_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)
    signal_point(step)


class Runner:
    """One run over one account's due entries."""

    def __init__(self, settings: Settings, ledger: Ledger, options: RunOptions | None = None) -> None:
        self.settings = settings
        self.ledger = ledger
        self.options = options or RunOptions()
        self.account = settings.email
        self.holder = f"run {self.options.run_id} on {socket.gethostname()} pid {os.getpid()}"
        self.token = 0  # the lease's fencing token, once taken (`run`)
        self.run_dir = RunDir(settings.runs_dir, self.options.run_id)
        self.recorder = StepRecorder()
        self.evidence = Evidence(settings, self.run_dir)
        self.log: FilteringBoundLogger = structlog.get_logger("ippbot.run")
        self.summary = RunSummary(run_id=self.options.run_id, account=self.account, started_at=_now_iso(),
                                  portal_url=settings.portal_url, trace_mode=settings.trace)
        self.selectors = Selectors.load(settings.resolved_selectors_dir())
        self.stop = self.options.stop
        self.sleep = self.options.sleep or self.stop.sleep
        self.backoff = Backoff(settings)
        self.tried: set[str] = set()
        self.last_submit: float | None = None  # monotonic time of this run's last submission (its pace)
        self.index: PortalIndex | None = None  # the account's IPRs as the run's one read found them (bot.run.index)

    # -- the run --------------------------------------------------------------------------------
    def run(self) -> RunSummary:
        """Work every due entry (up to the limit); returns the run's summary.

        Raises `Interrupted` when a stop was asked for (the summary is written first).
        """
        check_data_dir(self.settings)
        check_portal(self.settings)
        self.run_dir.create()
        logs.configure(self.settings, log_file=self.run_dir.log, observers=[self.recorder],
                       console_level=self.options.console_level)
        self.token = take_lease(self.ledger, self.account, self.holder, self.settings.lease_ttl_s, self.log)
        try:
            self.stop.check()
            self._in_browser()
        except Exception as exc:  # once stopped, whatever failed failed because of the stop
            if not self.stop.requested:
                raise
            logs.mute_console()
            self.log.info("run.interrupted", signal=self.stop.signal_name, error=first_line(exc))
        finally:
            self.ledger.release_lease(self.account, self.holder)
            self._finish()
        if self.stop.requested:
            raise self.stop.interrupted()
        return self.summary

    def _in_browser(self) -> None:
        self.ledger.recover_stale()
        self.backoff.load(self.ledger, self.account)
        if not self._portal_lets_us():
            return
        with sync_playwright() as pw, open_browser(self.settings, pw) as browser, self.evidence.warm(browser):
            try:
                self._preflight(browser)
            except RateLimited as exc:  # told to wait longer than a step waits: the account is held, the run ends
                if not self._hold_for(exc):
                    raise
                return
            self._settle_in_doubt(browser)
            self._work(browser)

    def _preflight(self, browser: BrowserSession) -> None:
        """Log in again now if the stored session has expired (retried: the portal may be busy)."""
        with self.evidence.page(browser, None) as page:
            ctx = self._flow_ctx(page, "preflight")
            try:
                self._retrying(ctx)(lambda: ensure_session(ctx))
                if self.ledger.has_new(self.account, "ipr"):
                    self.index = PortalIndex.of(self._retrying(ctx)(lambda: read_iprs(ctx)))
                if self.ledger.has_new(self.account, "complaint"):
                    self.index = self.index or PortalIndex()
                    self.index.read_history(self._retrying(ctx)(lambda: read_history(ctx)))
            except PortalRejected as exc:
                raise ConfigError(f"log-in to {self.settings.portal_url} as {self.account} failed "
                                  f"({'; '.join(exc.field_errors.values()) or exc.reason}); check IPPBOT_EMAIL and "
                                  "IPPBOT_PASSWORD, or register the account: ippbot account register") from exc

    def _settle_in_doubt(self, browser: BrowserSession) -> None:
        for record in self.ledger.in_doubt(self.account):
            self.stop.check()
            if not self._portal_lets_us():  # a look-up was told to wait: the rest are looked up later
                return
            if record.state == "unknown":
                self._reconcile(browser, record)

    def _work(self, browser: BrowserSession) -> None:
        done = 0
        while self.options.limit is None or done < self.options.limit:
            self._renew()
            kill_point("between_entries")
            self.stop.check()
            if not self._portal_lets_us() or not self._head_may_go():
                return
            record = self.ledger.claim_next(self.account, holder=self.holder)
            if record is None:
                if self._wait_for_next_due():
                    continue
                return
            self.backoff.claimed(record.key)
            self._work_entry(browser, record)
            done += 1

    def _portal_lets_us(self) -> bool:
        """Whether the account may send now: a Retry-After the portal gave it (this run or an earlier one) is
        waited out when it is short; when it is not, the run ends and says until when."""
        held = self.ledger.held_off(self.account)
        if held is None:
            return True
        self.log.info("run.portal_asked_to_wait", account=self.account, until=held.until.isoformat(), why=held.reason)
        return self._wait_until(held.until)

    def _head_may_go(self) -> bool:
        """Whether the entry heading the line may be claimed now: never twice a run, and not before its
        back-off (waited for when it is short; it ends the run when it is not)."""
        due = self.ledger.next_due(self.account)
        head = self.backoff.at(due) if due is not None else None
        if head is None:
            return True
        if head.key in self.tried:
            self.log.info("run.each_entry_once", next_entry=head.key, not_before=head.not_before.isoformat())
            return False
        return self._wait_until(head.not_before)

    def _wait_for_next_due(self) -> bool:
        """Wait for the next entry backing off (the portal asked us to wait); False when none is due soon."""
        due = self.ledger.next_due(self.account)
        return due is not None and self._wait_until(due)

    def _wait_until(self, moment: datetime) -> bool:
        """Wait until `moment` when it is near enough (`max_wait_s`); False when the run should end instead."""
        wait = (moment - datetime.now(UTC)).total_seconds()
        if wait <= 0:
            return True
        if wait > self.options.max_wait_s:
            self.log.info("run.leaving_for_later", next_due=moment.isoformat(), wait_s=round(wait))
            return False
        self.log.info("run.backing_off", wait_s=round(wait, 1))
        self.sleep(wait)
        self._renew()
        return True

    def _renew(self) -> None:
        """Renew the account's lease with the run's fencing token (lapsed meanwhile is fine while no one took it
        since); `LeaseNotHeld` once another worker has: the run stops, its browser closes."""
        if not self.ledger.renew_lease(self.account, self.holder, self.settings.lease_ttl_s, token=self.token):
            raise LeaseNotHeld(self.account, self.holder)

    # -- one entry ------------------------------------------------------------------------------
    def _work_entry(self, browser: BrowserSession, record: Record) -> None:
        started = time.monotonic()
        self.tried.add(record.key)
        entry = record.entry.model_copy(update={"payload": self.ledger.payload_to_file(record)})
        self.run_dir.entry(record.key).write_text(entry.model_dump_json(indent=2), encoding="utf-8")  # for replay
        result = EntryResult(key=record.key, kind=record.kind, state=record.state, attempts=record.attempts)
        try:
            with self.evidence.page(browser, record.key) as page:
                failed = self._attempt(page, record, result)
                self._keep(page, result, failed)
        finally:  # an interrupted entry is in the summary too, as the ledger left it
            self._record(record.key, result, started)

    def _attempt(self, page: Page, record: Record, result: EntryResult) -> bool:
        """Run the entry's flow and move the ledger by its outcome; True when it did not confirm."""
        state = {"version": record.version}
        ctx = self._flow_ctx(page, record.key)
        ctx.before_submit = lambda: self._submitting(record.key, state)
        ctx.after_click = lambda: kill_point("after_click")
        ctx.fence = lambda: self._fence(record.key, state["version"])
        kill_point("before_form")  # before the flow's first try opens anything
        self.stop.check()

        def unknown(exc: BaseException) -> None:
            if self.stop.requested:  # the stop (or the browser it took down) cut the answer off
                why = f"interrupted by {self.stop.signal_name} after the submit click: the next run looks it up"
                self.ledger.mark_unknown(record.key, why, version=state["version"])
                return
            self.ledger.mark_unknown(record.key, logs.mask_secrets(str(exc)), version=state["version"])
            self._inspect(page, exc)  # the page shows what answered the click, or the filled form when nothing did

        payload = self.ledger.payload_to_file(record)
        ctx.absent_at_start = result.absent_at_start = self._absent_at_start(record, payload)  # replay does as we did
        outcome = attempt(ctx, payload, self._retrying(ctx), on_unknown=unknown)
        if self.index is not None and (outcome.filed is not None or outcome.clicked):
            self._index_add(payload)  # filed, or maybe filed: no second entry of it passes as absent
        if outcome.filed is not None:
            kill_point("after_confirmation")
            self.ledger.confirm(record.key, outcome.filed.reference, existing=outcome.filed.existing,
                                version=state["version"])
            result.existing = outcome.filed.existing
            result.refused = [r.model_dump() for r in outcome.filed.refused]
            return False
        assert outcome.error is not None
        error = root_cause(outcome.error)
        result.error_class = type(error).__name__
        if outcome.clicked:
            return self._settled(record.key, outcome, result)
        if self.stop.requested:  # the stop cut it short, or took the browser with it: it stays claimed
            raise self.stop.interrupted()
        self._failed(record, state, error, page)
        return True

    def _index_add(self, payload: Ipr | Complaint) -> None:
        assert self.index is not None
        if isinstance(payload, Ipr):
            self.index.add(payload.registration_number, payload.name)
        else:
            self.index.add_complaint(payload)

    def _absent_at_start(self, record: Record, payload: Ipr | Complaint) -> bool:
        """An entry never tried before this claim (its first attempt) that the run's one read of IPR management
        or complaint history did not show: no look-up page for it."""
        if record.attempts != 1 or self.index is None:
            return False
        return self.index.absent(payload) if isinstance(payload, Ipr) else self.index.complaint_absent(payload)

    def _submitting(self, key: str, state: dict[str, int]) -> None:
        """Commit "submitting" before the click; the flow clicks only after this returns.

        The last safe point of an entry: once "submitting" is committed, the submit goes on to its answer.
        """
        kill_point("after_fields")
        self.pace()
        self.stop.check()
        state["version"] = self.ledger.mark_submitting(key, version=state["version"], token=self.token).version
        self.last_submit = time.monotonic()
        kill_point("after_submitting_committed")

    def _fence(self, key: str, version: int) -> None:
        """Right before the final post: the lease is still this run's (renewed) and the entry as committed."""
        kill_point("before_post")
        self.ledger.fence(key, holder=self.holder, token=self.token, version=version, ttl_s=self.settings.lease_ttl_s)

    def pace(self) -> None:
        """The account's own pace (`IPPBOT_SUBMISSIONS_PER_MINUTE`, or its accounts-file entry): wait out the
        gap since the last submission of this run (a stop cuts the wait short)."""
        per_minute = self.settings.submissions_per_minute
        if per_minute and self.last_submit is not None:
            self.sleep(self.last_submit + 60.0 / per_minute - time.monotonic())

    def _failed(self, record: Record, state: dict[str, int], exc: BaseException, page: Page) -> None:
        """A failure before the click: back in line with back-off, or failed for good."""
        if not isinstance(exc, IppbotError):  # a bug or a browser crash: never lose what the ledger knows
            exc = PortalError(f"{type(exc).__name__}: {exc}", entry=record.key)
        current = self.ledger.get(record.key)
        message = logs.mask_secrets(str(exc))
        self._inspect(page, exc)
        if isinstance(exc, NeedsHuman):  # a human check nobody could take: parked, `ippbot retry` puts it back
            self.ledger.park(record.key, message, version=state["version"])
        elif isinstance(exc, PermanentPortalError):
            self.ledger.fail(record.key, message, version=state["version"])
        else:
            delay = max(self.backoff.delay(record.key, current.attempts), self._hold_for(exc))
            self.ledger.retry_later(record.key, message, delay, version=state["version"])
        self.log.warning("entry.failed", entry=record.key, error=type(exc).__name__, detail=message)

    def _hold_for(self, exc: BaseException) -> float:
        """The portal's Retry-After, if `exc` carries one, held for the whole account (in the ledger, so the
        next run honours it too); its seconds, else 0."""
        if not isinstance(exc, RateLimited) or exc.retry_after_s is None:
            return 0.0
        until = datetime.now(UTC) + timedelta(seconds=exc.retry_after_s)
        self.ledger.hold_off(self.account, until, wait_reason(exc))
        return exc.retry_after_s

    def _inspect(self, page: Page, exc: BaseException) -> None:
        """Hand the failed page to the operator (the Inspector, in a headed run with pause-on-failure)."""
        hook = self.options.on_failure or failure_inspector(self.settings, stop=self.stop)
        hook(page, exc)

    def _keep(self, page: Page, result: EntryResult, failed: bool) -> None:
        """The entry's evidence; once stopped, the browser may be gone with it, and then there is none."""
        try:
            self.evidence.keep(page, result, failed)
        except PlaywrightError:
            if not self.stop.requested:
                raise

    def _record(self, key: str, result: EntryResult, started: float) -> None:
        """Complete the entry's result from the ledger, note its back-off, and tell the progress bar."""
        final = self.ledger.get(key)
        result.state, result.attempts = final.state, final.attempts
        result.portal_ref = final.portal_ref
        result.error = self._shown_error(final, result)
        if final.state == "pending" and not result.reconciled:  # settled at the start: it goes now
            put_back = (self.backoff.proven_absent(final, put_back_at=aware(final.updated_at))
                        if result.proven_absent else self.backoff.retried_later(final))
            result.next_try_at = put_back.not_before.isoformat(timespec="seconds")
        result.duration_ms = round((time.monotonic() - started) * 1000)
        result.steps = self.recorder.pop(key)
        # one result per entry: filed after it was reconciled, it is the one entry, reconciled and filed
        earlier = [e for e in self.summary.entries if e.key == key]
        result.reconciled = result.reconciled or any(e.reconciled for e in earlier)
        self.summary.entries = [e for e in self.summary.entries if e.key != key] + [result]
        if self.options.progress and not self.stop.requested:
            self.options.progress(final)

    def _shown_error(self, final: Record, result: EntryResult) -> str | None:
        """The entry's last error by its root cause: for one proven absent after its click, what
        answered the click, not the ledger's "reconciled: not on the portal"."""
        error = final.error
        if not result.proven_absent or not error or RECONCILED_ABSENT not in error or not result.cause:
            return error
        return error.replace(RECONCILED_ABSENT, f"not filed: {result.cause}")

    # -- reconciliation -------------------------------------------------------------------------
    def _reconcile(self, browser: BrowserSession, record: Record) -> None:
        """Settle an entry a crashed run left `unknown`, before anything new is filed."""
        started = time.monotonic()
        result = EntryResult(key=record.key, kind=record.kind, state=record.state, attempts=record.attempts,
                             reconciled=True)
        try:
            with self.evidence.page(browser, record.key) as page:
                ctx = self._flow_ctx(page, record.key)
                error = SubmitOutcomeUnknown(record.error or "left unknown by an earlier run", entry=record.key)
                payload = self.ledger.payload_to_file(record)
                self._settled(record.key, settle(ctx, payload, self._retrying(ctx), error), result)
        finally:
            self._record(record.key, result, started)

    def _settled(self, key: str, outcome: Attempt, result: EntryResult) -> bool:
        """Move an unknown entry by what the portal's records said: found -> confirmed, absent -> pending.

        True unless found. A look-up that failed leaves the entry unknown: the next run settles it first.
        """
        if outcome.error is not None and not result.reconciled:
            result.cause = plain_message(outcome.error)  # "no confirmation after the submit: the portal answered 503"
        if outcome.in_doubt:  # the look-up failed: unknown it stays; a Retry-After it met holds the account
            if outcome.lookup_error is not None:
                self._hold_for(root_cause(outcome.lookup_error))
            return True
        record = self.ledger.get(key)
        self.ledger.reconcile(key, outcome.found, proof_absent=outcome.absent, version=record.version)
        result.proven_absent = outcome.absent
        return outcome.found is None

    # -- browser contexts and evidence ------------------------------------------------------------
    def _flow_ctx(self, page: Page, key: str) -> FlowContext:
        """The entry's flow context; a record the portal's check step makes is noted in the ledger at once
        (the final submit files it; a dry run or a stop leaves it, and `ippbot status` counts it)."""
        ctx = flow_context(page, self.settings, key, selectors=self.selectors, log=self.log)
        ctx.record_made = lambda reference: self.ledger.note_check(key, reference)
        return ctx

    def _retrying(self, ctx: FlowContext) -> tenacity.Retrying:
        """The retry policy for one flow: its waits end early when a stop is asked for."""
        return build_retrying(self.settings, log=ctx.log, sleep=self.sleep)

    # -- the end ----------------------------------------------------------------------------------
    def _finish(self) -> None:
        self.summary.finished_at = _now_iso()
        self.summary.counts = {str(k): v for k, v in self.ledger.counts().items()}
        self.summary.interrupted = self.stop.signal_name or None
        if (held := self.ledger.held_off(self.account)) is not None:
            self.summary.held_until, self.summary.held_why = held.until.isoformat(timespec="seconds"), held.reason
        self.run_dir.write_summary(self.summary)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

"""The dry run (`ippbot run --dry-run`): each due entry worked up to its final click, and no further.

It is the run (`bot.run.runner.Runner`) with three parts swapped, so the lease, the log-in, the
browser contexts, the evidence, the retry policy and the summary are the run's own:

* it reconciles nothing: no `recover_stale`, no settling of `unknown` entries (those an earlier run
  left in flight are listed as `in_doubt`, for the next real run to settle);
* it claims nothing: the entries a run would take are read from the ledger (`due`), and no call
  that moves one is made, so no state, attempt or history line changes;
* the flow's `before_submit` hook, which a run uses to commit "submitting" right before the final
  click, raises `WouldSubmit` instead: the form is filled (for a complaint, the portal's per-URL
  check page is passed), the click is never made. The page is then kept as the screenshot.

What it says of each entry is a `Would` (`bot.run.artifacts`): would_file, on_portal (the look-up
found it: its reference), would_wait / blocked (the ledger's hold for the complaint's IPR, read
only; or the portal shows the IPR in review), later (backing off), in_doubt, needs_human (a human
check met; the rest of the account's entries are not tried, and nothing is parked), not_filled
(why, in plain words). The check step leaves a complaint record in "checking" on the portal; the
look-up never takes one for a filing (the portal's history leaves them out).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from playwright.sync_api import sync_playwright

from bot.browser import BrowserSession, open_browser
from bot.errors import IprNotApproved, NeedsHuman
from bot.models import Complaint, Ipr
from bot.run.artifacts import NOT_FILLABLE, EntryResult, RunSummary, StepTiming, Verdict, Would
from bot.run.attempt import Attempt, attempt
from bot.run.backoff import aware
from bot.run.causes import plain_message, root_cause
from bot.run.report import VERDICTS, plain_error
from bot.run.runner import Runner
from bot.store.records import Record
from flows.context import FlowContext
from flows.pages.complaint import ComplaintCheck

LOOKED_AT = ("pending", "waiting", "blocked", "claimed", "submitting", "unknown")  # what a run would take up
IN_FLIGHT = ("claimed", "submitting", "unknown")  # left by an earlier run: a run settles them first
HUMAN_CHECK_HINT = ("a person completes it with `ippbot run --dry-run --headed --pause-on-failure` "
                    "(this dry run parked nothing)")


class WouldSubmit(Exception):  # noqa: N818 - not an error: the dry run's stop at the final click
    """Raised by the dry run's `before_submit` hook, right before the final click: filled, not sent.

    Not an `IppbotError`, so the retry policy never retries it; it never leaves this module.
    """


def what(payload: Ipr | Complaint) -> Would:
    """What filing `payload` would file (verdict would_file): its kind, and a complaint's platform, IPR, listings."""
    if isinstance(payload, Ipr):
        return Would(verdict="would_file", kind="ipr", ipr=payload.registration_number or payload.name)
    return Would(verdict="would_file", kind="complaint", platform=payload.platform, ipr=payload.ipr,
                 listings=len(payload.listings))


class DryRunner(Runner):
    """One dry run over one account's due entries: the run's pieces, stopping at every final click."""

    human_check: str | None = None  # the human check met (log-in slider): the rest is not tried

    def _in_browser(self) -> None:
        """Log in, then each entry to its final click: no recover_stale, no reconciliation."""
        self.summary.dry_run = True
        with sync_playwright() as pw, open_browser(self.settings, pw) as browser, self.evidence.warm(browser):
            self._check_in(browser)
            self._look_at_all(browser)

    def _check_in(self, browser: BrowserSession) -> None:
        """The run's pre-flight log-in; a human check there is reported, not parked."""
        try:
            self._preflight(browser)
        except NeedsHuman as exc:
            self._met_human_check(exc)

    def _met_human_check(self, exc: NeedsHuman) -> None:
        self.human_check = f"{plain_message(exc)}; {HUMAN_CHECK_HINT}"
        self.log.warning("dry_run.human_check", detail=self.human_check)

    def _look_at_all(self, browser: BrowserSession) -> None:
        for record in self.due():
            self.ledger.renew_lease(self.account, self.holder, self.settings.lease_ttl_s)
            self.stop.check()
            self._look_at(browser, record)

    def due(self) -> list[Record]:
        """The account's entries a run would take up (its own and the unpinned), oldest first, up to the limit."""
        records = [self.ledger.get(row.key) for row in self.ledger.rows() if row.state in LOOKED_AT]
        mine = [r for r in records if r.account is None or r.account.lower() == self.account.lower()]
        return mine[: self.options.limit] if self.options.limit else mine

    # -- one entry ------------------------------------------------------------------------------
    def _look_at(self, browser: BrowserSession, record: Record) -> None:
        started = time.monotonic()
        result = EntryResult(key=record.key, kind=record.kind, state=record.state, attempts=record.attempts)
        try:
            payload = self.ledger.payload_to_file(record)
            result.would = self._without_browser(record, payload) or self._fill(browser, payload, result)
        finally:
            result.duration_ms = round((time.monotonic() - started) * 1000)
            result.steps = [_stopped_is_done(s) for s in self.recorder.pop(record.key)]
            self.summary.entries.append(result)
            if self.options.progress and not self.stop.requested:
                self.options.progress(record)

    def _without_browser(self, record: Record, payload: Ipr | Complaint) -> Would | None:
        """The verdict the ledger alone gives (held, backing off, in flight, after a human check), or None."""
        would = what(payload)
        if record.state in IN_FLIGHT:
            why = f"left {record.state} by an earlier run: the next run settles it against the portal first"
            return would.model_copy(update={"verdict": "in_doubt", "why": why})
        hold = self.ledger.hold(record) if isinstance(payload, Complaint) else None
        if hold is not None:
            verdict: Verdict = "would_wait" if hold.state == "waiting" else "blocked"
            return would.model_copy(update={"verdict": verdict, "why": _would(hold.why)})
        not_before = aware(record.next_attempt_at)
        if record.state == "pending" and not_before > datetime.now(UTC) + timedelta(seconds=self.options.max_wait_s):
            why = f"backing off: not tried before {not_before.isoformat(timespec='seconds')}"
            return would.model_copy(update={"verdict": "later", "why": why})
        if self.human_check is not None:
            return would.model_copy(update={"verdict": "needs_human", "why": f"not tried: {self.human_check}"})
        return None

    def _fill(self, browser: BrowserSession, payload: Ipr | Complaint, result: EntryResult) -> Would:
        """The entry's flow (look-up, form, check page) up to the final click; its verdict, its evidence kept."""
        with self.evidence.page(browser, result.key) as page:
            ctx = self._flow_ctx(page, result.key)
            ctx.before_submit = lambda: _stop_at_click(ctx, payload, result)
            would = self._verdict(what(payload), attempt(ctx, payload, self._retrying(ctx)))
            would = would.model_copy(update={"refused": len(result.refused)})
            result.existing = would.verdict == "on_portal"
            self._keep(page, result, failed=would.verdict not in ("would_file", "on_portal"))
        return would

    def _verdict(self, would: Would, outcome: Attempt) -> Would:
        """What the flow's outcome says: stopped at the click, found on the portal, held, or why not."""
        if outcome.filed is not None:
            if not outcome.filed.existing:  # never: the hook stops every final click
                raise RuntimeError(f"a dry run filed {outcome.filed.reference}: flows/pages/base.py submit_with "
                                   "must call ctx.before_submit before its click")
            return would.model_copy(update={"verdict": "on_portal", "reference": outcome.filed.reference,
                                            "why": f"already on the portal ({outcome.filed.reference})"})
        error = root_cause(outcome.error) if outcome.error is not None else None
        if isinstance(error, WouldSubmit):
            return would
        if isinstance(error, IprNotApproved):
            return would.model_copy(update={"verdict": "would_wait", "why": _would(plain_message(error))})
        if isinstance(error, NeedsHuman):
            self._met_human_check(error)
            return would.model_copy(update={"verdict": "needs_human", "why": self.human_check})
        why = plain_error(type(error).__name__, plain_message(error)) if error else "no outcome"
        return would.model_copy(update={"verdict": "not_filled", "why": why})


def _stop_at_click(ctx: FlowContext, payload: Ipr | Complaint, result: EntryResult) -> NoReturn:
    """The dry run's `before_submit`: right before the final click, note the listings the portal's check
    page refused (a complaint's), and stop: nothing is sent."""
    if isinstance(payload, Complaint):
        result.refused = [refusal.model_dump() for refusal in ComplaintCheck(ctx).refusals()]
    raise WouldSubmit


def _stopped_is_done(timing: StepTiming) -> StepTiming:
    """A step that ended at the dry run's stop before the click did what a dry run asks of it: "ok" in the chart."""
    return timing.model_copy(update={"outcome": "ok"}) if timing.outcome == WouldSubmit.__name__ else timing


def _would(why: str) -> str:
    """A hold's reason as a dry run says it: "waiting for IPR X (...)" -> "would wait for IPR X (...)"."""
    return "would wait" + why.removeprefix("waiting") if why.startswith("waiting for") else why


# -- what the command says --------------------------------------------------------------------


def filled_all(summary: RunSummary) -> bool:
    """Whether every entry could be filled to its final click (or would wait, or needs nothing): exit 0."""
    return not any(e.would is not None and e.would.verdict in NOT_FILLABLE for e in summary.entries)


def dry_run_lines(summary: RunSummary) -> list[str]:
    """The dry run as the command prints it: one line in all, then one per entry with its verdict."""
    counts: dict[str, int] = {}
    for entry in summary.entries:
        label = VERDICTS[entry.would.verdict if entry.would else "not_filled"][0]
        counts[label] = counts.get(label, 0) + 1
    looked = len(summary.entries)
    tally = ", ".join(f"{label}: {n}" for label, n in counts.items()) or "nothing due"
    head = (f"dry run {summary.run_id}: {looked} {'entry' if looked == 1 else 'entries'} looked at ({tally}); "
            "nothing was filed and no entry moved")
    return [head, *(f"  {e.key}: {entry_line(e.would)}" for e in summary.entries if e.would)]


def entry_line(would: Would) -> str:
    """One entry's verdict in words: what it would file, or why not."""
    if would.verdict != "would_file":
        return would.why or VERDICTS[would.verdict][0]
    if would.kind == "ipr":
        return f"would file the IPR {would.ipr}"
    listings = f"{would.listings} listing{'' if would.listings == 1 else 's'}"
    refused = f" ({would.refused} refused by the portal's check)" if would.refused else ""
    return f"would file a complaint on {would.platform} under IPR {would.ipr}, {listings}{refused}"

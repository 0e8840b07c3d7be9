"""Answers and withdrawals, each filed exactly once: the machinery under `ippbot respond` and `ippbot withdraw`.

For each `Target`, under the account's lease (`held_lease`; a run holding it stops us, or we wait):

1. read the complaint's page (`read_complaint`, retried): what the portal's records say now;
2. if the ledger has this action in doubt, or the records already show it, settle it from them
   (`verdict`): shown -> done, nothing filed again; proven absent -> it may be filed;
3. commit `submitting` (`Ledger.begin_action`) in `ctx.before_submit`, right before the final
   click, which `flows.answers` sends once (`PortalPage.submit_with`);
4. after the click, read the records again: shown -> done. An answer lost on the way (a dropped
   connection, a 502: `SubmitOutcomeUnknown`) is `unknown` first, then read (on a fresh page): shown -> done,
   proven absent -> `not_filed` and tried again (at most `TRIES` clicks), a read that fails ->
   `needs_human`. Nothing is ever filed again on a guess.

`verdict` is pure: what a complaint's page says of one target (shown, absent, or why it cannot be).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import tenacity

from bot.errors import EnvironmentProblem, PortalError, SubmitOutcomeUnknown
from bot.models import ComplaintStatus
from bot.retry import build_retrying
from bot.run.contexts import command_flow
from bot.run.leases import dead_local_holder
from bot.run.runner import kill_point
from bot.settings import Settings
from bot.store.actions import IN_DOUBT, ActionKind
from bot.store.ledger import Ledger
from flows.answers import answer, withdraw
from flows.context import FlowContext
from flows.guard import relogging
from flows.read_status import read_complaint
from flows.session import ensure_session, stored_session

__all__ = ["Outcome", "Target", "act", "held_lease", "verdict"]

TRIES = 2  # final clicks per target, a second only once the records proved the first absent
LEASE_POLL_S = 2.0
OPEN_LISTING = frozenset({"pending", "counter_noticed", "answered"})
OPEN_COMPLAINT = frozenset({"submitted", "awaiting_seller"})
ANSWER_WORDS = {"accept": "accepted", "reject": "rejected"}

Seen = Literal["shown", "absent", "cannot"]
Result = Literal["filed", "already", "refused", "in_doubt"]


@dataclass(frozen=True)
class Target:
    """One thing to file: an answer to a listing's counter-notice, or a withdrawal (of a listing, or of the
    whole complaint when `url` is empty)."""

    kind: ActionKind
    complaint: str
    url: str = ""
    decision: str = "withdraw"  # accept or reject for an answer
    note: str = ""
    evidence: tuple[Path, ...] = ()

    @property
    def what(self) -> str:
        """The target as the operator reads it."""
        where = f"{self.complaint} {self.url}".strip() if self.url else f"complaint {self.complaint}"
        return f"{'answer' if self.kind == 'answer' else 'withdrawal'} of {where}"


@dataclass(frozen=True)
class Outcome:
    """How one target ended: filed now, already on the portal, refused (why), or in doubt for a person."""

    target: Target
    result: Result
    detail: str

    @property
    def line(self) -> str:
        """One line for the operator."""
        words = {"filed": "filed", "already": "already on the portal", "refused": "not filed",
                 "in_doubt": "IN DOUBT"}
        return f"{words[self.result]}: {self.target.what}: {self.detail}"


@dataclass
class _Try:
    """The action begun for the click in flight (its ledger id), if `before_submit` ran."""

    action_id: int | None = None
    chance: int = 0
    clicks: int = 0
    seen: list[ComplaintStatus] = field(default_factory=list)


def verdict(target: Target, status: ComplaintStatus) -> tuple[Seen, str]:
    """What the complaint's page says of `target`: shown (it is done), absent (it may be filed), or why it cannot."""
    if target.kind == "withdraw" and not target.url:
        if status.status == "withdrawn":
            return "shown", "the complaint is withdrawn"
        if status.status in OPEN_COMPLAINT:
            return "absent", "the complaint is open"
        return "cannot", f"the complaint is {status.status}: only an open complaint can be withdrawn"
    listing = next((li for li in status.listings if li.url == target.url), None)
    if listing is None:
        return "cannot", f"complaint {status.reference} has no listing {target.url}"
    if target.kind == "withdraw":
        if listing.state == "withdrawn":
            return "shown", "the listing is withdrawn"
        if listing.state in OPEN_LISTING and status.status in OPEN_COMPLAINT:
            return "absent", f"the listing is {listing.state}"
        return "cannot", f"the listing is {listing.state}: only an open listing can be withdrawn"
    if listing.answer == target.decision:
        return "shown", f"the counter-notice is {ANSWER_WORDS[target.decision]} (the listing is {listing.state})"
    if listing.answer:
        return "cannot", f"the counter-notice was {ANSWER_WORDS.get(listing.answer, listing.answer)} already"
    if listing.state == "counter_noticed":
        return "absent", "the counter-notice waits for an answer"
    return "cannot", f"no counter-notice waits for an answer: the listing is {listing.state}"


def act(settings: Settings, ledger: Ledger, targets: Sequence[Target], *, wait: bool,
        say: Callable[[str], None] = print, sleep: Callable[[float], None] = time.sleep) -> list[Outcome]:
    """File every target once, under the account's lease, in one browser; what became of each."""
    holder = f"respond {uuid.uuid4().hex[:8]} on {socket.gethostname()} pid {os.getpid()}"
    with held_lease(ledger, settings.email, holder, wait=wait, say=say, sleep=sleep, ttl_s=settings.lease_ttl_s), \
            command_flow(settings, "respond", storage_state=stored_session(settings.session_file),
                         logger="ippbot.respond") as ctx:
        ensure_session(ctx)
        retrying = build_retrying(settings, log=ctx.log)
        outcomes = []
        for target in targets:
            ledger.renew_lease(settings.email, holder, settings.lease_ttl_s)
            outcomes.append(_one(ctx, ledger, retrying, target))
        return outcomes


@contextmanager
def held_lease(ledger: Ledger, account: str, holder: str, *, wait: bool, say: Callable[[str], None],
               sleep: Callable[[float], None], ttl_s: float = 300.0) -> Iterator[None]:
    """The account's lease for the block (`ttl_s` at a time): a run holding it stops us (exit 3), or with `wait`
    we wait for it."""
    told = False
    while not ledger.acquire_lease(account, holder, ttl_s):
        other = ledger.lease_holder(account)
        if other is not None and dead_local_holder(other):
            ledger.release_lease(account, other)  # a killed run's lease: taken over, as a run does
            continue
        if not wait:
            raise EnvironmentProblem(f"another ippbot process ({other}) holds account {account}'s lease; "
                                     "nothing was filed", fix="try again once it ends, or pass --wait")
        if not told:
            say(f"waiting for {other} to release account {account}'s lease ...")
            told = True
        sleep(LEASE_POLL_S)
    try:
        yield
    finally:
        ledger.release_lease(account, holder)


def _one(ctx: FlowContext, ledger: Ledger, retrying: tenacity.Retrying, target: Target) -> Outcome:
    """One target: look, settle what is in doubt, click at most `TRIES` times, look again."""
    attempt = _Try()
    while True:
        try:
            status = _look(ctx, retrying, target)
        except PortalError as exc:
            return _unreadable(ledger, attempt, target, exc)
        ledger.keep_listings(ctx.settings.email, [status])
        seen, why = verdict(target, status)
        attempt.chance = _chance(target, status, attempt.chance)
        settled = _settle(ledger, target, attempt, seen, why)
        if settled is not None:
            return settled
        if attempt.clicks >= TRIES:
            return Outcome(target, "refused", f"still not on the portal after {attempt.clicks} tries: {why}")
        try:
            _click(ctx, ledger, target, attempt)
        except PortalError as exc:  # before the click: nothing was sent
            return Outcome(target, "refused", f"nothing was sent: {exc.message}")


def _look(ctx: FlowContext, retrying: tenacity.Retrying, target: Target) -> ComplaintStatus:
    return retrying(relogging(ctx, lambda: read_complaint(ctx, target.complaint)))


def _chance(target: Target, status: ComplaintStatus, known: int) -> int:
    """The counter-notice's chance an answer is for (0 for a withdrawal), kept from the first look."""
    if target.kind != "answer" or known:
        return known
    listing = next((li for li in status.listings if li.url == target.url), None)
    return (listing.chance or 1) if listing is not None else 1


def _settle(ledger: Ledger, target: Target, attempt: _Try, seen: Seen, why: str) -> Outcome | None:
    """What the records just read settle: an Outcome, or None when it may (still) be filed."""
    action = ledger.action_for(target.kind, target.complaint, target.url, attempt.chance)
    if seen == "shown":
        if action is not None and action.state != "done":
            ledger.settle_action(action.id, "done", f"on the portal: {why}")
        return Outcome(target, "filed" if attempt.clicks else "already", why)
    if seen == "cannot":
        if action is not None and action.state in IN_DOUBT:
            ledger.settle_action(action.id, "refused", why)
        return Outcome(target, "refused", why)
    if action is not None and action.state in IN_DOUBT:
        ledger.settle_action(action.id, "not_filed", f"not on the portal: {why}")
    return None


def _click(ctx: FlowContext, ledger: Ledger, target: Target, attempt: _Try) -> None:
    """The final click, with `submitting` committed right before it; an unknown answer is noted, then looked up."""
    def begin() -> None:
        row = ledger.begin_action(ctx.settings.email, target.kind, target.complaint, target.url, attempt.chance,
                                  decision=target.decision, note=target.note, evidence=target.evidence)
        attempt.action_id = row.id
        kill_point("after_submitting_committed")  # the reliability suite's kill -9 points, as a run's

    attempt.action_id = None
    before, ctx.before_submit = ctx.before_submit, begin
    after, ctx.after_click = ctx.after_click, lambda: kill_point("after_click")
    attempt.clicks += 1
    try:
        _file(ctx, target)
    except (PortalError, OSError) as exc:
        if attempt.action_id is None and not isinstance(exc, SubmitOutcomeUnknown):
            raise  # before the click: nothing was sent
        if attempt.action_id is not None:
            ledger.settle_action(attempt.action_id, "unknown", f"no answer after the click: {exc}")
        ctx.log.warning("submit.outcome_unknown", target=target.what, error=str(exc))
        _fresh_page(ctx)
    finally:
        ctx.before_submit, ctx.after_click = before, after


def _fresh_page(ctx: FlowContext) -> None:
    """A new page for the look-up: the old one may still be navigating to the browser's error page after the
    aborted post, which would cut the look-up's own navigation short."""
    old = ctx.page
    ctx.page = old.context.new_page()
    old.close()


def _file(ctx: FlowContext, target: Target) -> None:
    if target.kind == "answer":
        answer(ctx, target.complaint, target.url, accept=target.decision == "accept", note=target.note,
               evidence=target.evidence)
    else:
        withdraw(ctx, target.complaint, target.url)


def _unreadable(ledger: Ledger, attempt: _Try, target: Target, exc: PortalError) -> Outcome:
    """The records could not be read: after a click, a person must look; before it, nothing was sent."""
    if attempt.action_id is None:
        return Outcome(target, "refused", f"the complaint's page could not be read: {exc.message}")
    ledger.settle_action(attempt.action_id, "needs_human", f"cannot tell: the records could not be read: {exc}")
    return Outcome(target, "in_doubt", "clicked, and the portal's records could not be read: look at "
                   f"complaint {target.complaint} on the portal before answering again ({exc.message})")

"""`ippbot sync`: read review outcomes, complaint and listing states and the Good Faith standing into the ledger.

IPR review results wake the complaints waiting for them; complaint statuses and the
counter-notices waiting for an answer are reported. Every IPR of the account the portal lists,
those filed by hand before ippbot too, is kept as a known record (`Ledger.keep_portal_iprs`):
`ippbot enqueue` checks complaints against them, and a complaint on one waits for its review.
Every listing of every complaint is kept in the ledger's names, with the date it changed
(`Ledger.keep_listings`); a complaint read once finished, with every listing final, is not opened
again. The Good Faith page is read, one reading a day kept (`Ledger.keep_standing`).
Reading only reads the portal, and writes only known records and review statuses: safe beside a run.

Then the counter-notice policy (`bot.run.policy`): the unanswered counter-notices within
`IPPBOT_COUNTER_NOTICE_POLICY_DAYS` working days of their deadline are answered as their complaint's
policy says, through the exactly-once path of `ippbot respond` (`bot.run.answers.act`) and under the
account's lease: if a run holds it, nothing is answered and the result says so (the next sync
answers them). Those whose policy is `ask` become reminders (a log line, and a line of the output).
The day is the portal's own where its pages show it, else the machine's.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date
from typing import cast

import structlog

from bot.errors import EnvironmentProblem
from bot.models import ComplaintStatus, CounterNoticePolicy, IprStatus, Standing
from bot.run.answers import Outcome, Target, act
from bot.run.contexts import command_flow
from bot.run.policy import plan
from bot.settings import Settings
from bot.store.ledger import Ledger
from bot.store.listings import working_days_left
from bot.store.records import ListingRow
from flows.read_status import (
    counter_notices_waiting,
    read_complaints,
    read_iprs,
    read_portal_date,
    read_standing,
)
from flows.session import ensure_session, stored_session

POLICY_NOTE = "Answered by the complainant's counter-notice policy."


@dataclass
class SyncResult:
    """What a sync read and changed."""

    iprs: list[IprStatus] = field(default_factory=list)
    complaints: list[ComplaintStatus] = field(default_factory=list)
    standing: Standing | None = None
    updated: int = 0
    listings_changed: int = 0
    portal_date: date | None = None  # the portal's own day, where its pages show it
    answered: list[Outcome] = field(default_factory=list)  # what the counter-notice policy filed
    reminders: list[ListingRow] = field(default_factory=list)  # `ask`: due soon, for the operator
    left_for_later: str = ""  # why the policy's answers wait for the next sync (a run holds the lease)

    @property
    def today(self) -> date:
        """The day deadlines are counted from: the portal's where shown, else the machine's."""
        return self.portal_date or date.today()

    @property
    def duplicate_iprs(self) -> dict[str, list[str]]:
        """Registration numbers the portal holds more than once (references), drafts aside: a person should look.

        Rights without a number are not compared here (two works may share a name); ippbot's marker finds its own.
        """
        seen: dict[str, list[str]] = {}
        for ipr in self.iprs:
            if ipr.status != "draft" and ipr.registration_number:
                seen.setdefault(ipr.registration_number, []).append(ipr.reference)
        return {number: refs for number, refs in seen.items() if len(refs) > 1}

    @property
    def counter_notices(self) -> list[tuple[str, str]]:
        """(complaint reference, listing URL) waiting for the complainant's answer."""
        return counter_notices_waiting(self.complaints)


def read_portal(settings: Settings, known_final: Collection[str] = ()) -> SyncResult:
    """Log in if need be and read every IPR, every complaint's listings (but those in `known_final`,
    finished and read already) and the Good Faith standing from the portal."""
    with command_flow(settings, "sync", storage_state=stored_session(settings.session_file),
                      logger="ippbot.sync") as ctx:
        ensure_session(ctx)
        result = SyncResult(iprs=read_iprs(ctx), complaints=read_complaints(ctx, known_final=known_final),
                            standing=read_standing(ctx))
        result.portal_date = read_portal_date(ctx)
        return result


def apply(ledger: Ledger, result: SyncResult, account: str) -> SyncResult:
    """Record what the portal said on the ledger's confirmed entries, and keep the account's IPRs as
    known records (those filed by hand too, for `ippbot enqueue` to check complaints against)."""
    ledger.keep_portal_iprs(account, result.iprs)
    result.listings_changed = ledger.keep_listings(account, result.complaints)
    if result.standing is not None:
        ledger.keep_standing(account, result.standing)
    by_ref = {i.reference: i.status for i in result.iprs} | {c.reference: c.status for c in result.complaints}
    for row in ledger.rows():
        status = by_ref.get(row.portal_ref or "")
        if row.state == "confirmed" and status and status != row.portal_status:
            ledger.set_portal_status(row.key, status)
            result.updated += 1
    _keep_copies(ledger, result)
    return result


def _keep_copies(ledger: Ledger, result: SyncResult) -> None:
    """Every further record of an entry's IPR goes in the ledger beside the entry's own reference."""
    doubled = {ref: refs for refs in result.duplicate_iprs.values() for ref in refs}
    for row in ledger.rows():
        if row.kind == "ipr" and row.state == "confirmed" and row.portal_ref in doubled:
            ledger.note_copies(row.key, doubled[row.portal_ref])


def sync(settings: Settings, ledger: Ledger, *, say: Callable[[str], None] = print) -> SyncResult:
    """Read the portal, update the ledger, then answer by the counter-notice policy what falls due."""
    result = apply(ledger, read_portal(settings, ledger.finished_complaints(settings.email)), settings.email)
    return apply_policy(settings, ledger, result, say=say)


def apply_policy(settings: Settings, ledger: Ledger, result: SyncResult, *,
                 say: Callable[[str], None] = print) -> SyncResult:
    """File the policy's answers once each (under the lease; a run holding it leaves them for the next sync)
    and keep the reminders for what waits on the operator."""
    overrides = cast(dict[str, CounterNoticePolicy], ledger.complaint_policies())
    chosen = plan(ledger.listings(account=settings.email, state="counter_noticed"), result.today,
                  default=settings.counter_notice_policy, days=settings.counter_notice_policy_days,
                  overrides=overrides)
    result.reminders = chosen.reminders
    log = structlog.get_logger("ippbot.sync")
    for row in chosen.reminders:
        log.warning("counter_notice.reminder", complaint=row.complaint, url=row.url,
                    deadline=row.deadline.isoformat() if row.deadline else None,
                    working_days_left=working_days_left(result.today, row.deadline) if row.deadline else None)
    targets = [Target("answer", row.complaint, row.url, decision, note=POLICY_NOTE) for row, decision in chosen.answers]
    if targets:
        try:
            result.answered = act(settings, ledger, targets, wait=False, say=say)
        except EnvironmentProblem as busy:  # a run holds the account's lease (act waits for no one here)
            result.left_for_later = f"{busy.message}: the policy's {len(targets)} answers wait for the next sync"
            log.warning("counter_notice.policy_deferred", reason=busy.message, answers=len(targets))
    return result


def read_standing_now(settings: Settings) -> Standing:
    """Log in if need be and read the Good Faith page alone (`ippbot standing`)."""
    with command_flow(settings, "standing", storage_state=stored_session(settings.session_file),
                      logger="ippbot.standing") as ctx:
        ensure_session(ctx)
        return read_standing(ctx)

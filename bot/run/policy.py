"""The counter-notice policy: what `ippbot sync` answers of the counter-notices no one answered, and when.

`IPPBOT_COUNTER_NOTICE_POLICY` is `ask` (answer none: list them, and remind the operator), `reject`
or `accept`; a complaint of a batch may say otherwise (`counter_notice:` on it, kept in its entry).
The policy acts only on a counter-notice within `IPPBOT_COUNTER_NOTICE_POLICY_DAYS` working days of
its deadline, so that the operator has the first look, and never on one whose deadline has passed
(the portal has restored that listing) or is unknown, or that has an answer already.

`plan` is pure: from the ledger's listings, the day and the policies it says which counter-notices
get which answer and which are reminders. `bot.run.sync` files the answers through the one
exactly-once path of `ippbot respond` (`bot.run.answers.act`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from bot.models import CounterNoticePolicy
from bot.store.listings import working_days_left
from bot.store.records import ListingRow

__all__ = ["Plan", "plan", "policy_of"]


@dataclass(frozen=True)
class Plan:
    """What the policy does today: the answers to file (row, accept or reject) and the reminders (`ask`)."""

    answers: list[tuple[ListingRow, CounterNoticePolicy]] = field(default_factory=list)
    reminders: list[ListingRow] = field(default_factory=list)


def policy_of(row: ListingRow, default: CounterNoticePolicy,
              overrides: Mapping[str, CounterNoticePolicy]) -> CounterNoticePolicy:
    """The policy for a listing: its complaint's own (`counter_notice:` in the batch), else the setting's."""
    return overrides.get(row.complaint, default)


def plan(rows: Iterable[ListingRow], today: date, *, default: CounterNoticePolicy, days: int,
         overrides: Mapping[str, CounterNoticePolicy]) -> Plan:
    """Which unanswered counter-notices fall within `days` working days of their deadline, and what each gets."""
    answers: list[tuple[ListingRow, CounterNoticePolicy]] = []
    reminders: list[ListingRow] = []
    for row in rows:
        if not _due(row, today, days):
            continue
        chosen = policy_of(row, default, overrides)
        if chosen == "ask":
            reminders.append(row)
        else:
            answers.append((row, chosen))
    return Plan(answers, reminders)


def _due(row: ListingRow, today: date, days: int) -> bool:
    """An unanswered counter-notice whose (known) deadline is today or within `days` working days."""
    if row.state != "counter_noticed" or row.answer or row.deadline is None:
        return False
    return 0 <= working_days_left(today, row.deadline) <= days

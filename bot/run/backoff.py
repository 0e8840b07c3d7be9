"""Back-off of entries put back in line: when each may be tried again, so attempts come over time.

`IPPBOT_MAX_ATTEMPTS` counts the runs an entry may take: a run claims each entry at most once,
and an entry put back waits before its next attempt a back-off that doubles with its attempts
(`bot.retry.next_attempt_delay`, the attempts being the ledger's, so it grows across runs).

The ledger holds that wait for an entry put back before its submit click (`retry_later` sets its
`next_attempt_at`). An entry whose click went unanswered and which the portal's records then
proved absent is due again at once in the ledger (`reconcile`), so the run holds its wait here:
`PutBack.not_before`, from when it was put back (the last row of its history, `unknown ->
pending`, for one an earlier run put back). Each delay is drawn from a generator seeded with the
entry's key and attempts, so every run computes the same moment for the same entry.

The ledger hands out the entry that has waited longest (`claim_next`, ordered by
`next_attempt_at`); `Backoff.at(due)` says which known entry heads the line at that moment, so
the runner can stop (tried in this run) or wait (backing off) instead of claiming it early.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.retry import next_attempt_delay
from bot.settings import Settings
from bot.store.ledger import Ledger
from bot.store.records import Record


@dataclass(frozen=True)
class PutBack:
    """An entry back in line: its place in the ledger's line, and when it may go again."""

    key: str
    due: datetime  # its next_attempt_at as the ledger holds it
    not_before: datetime


@dataclass
class Backoff:
    """The entries a run knows to be backing off, by key."""

    settings: Settings
    entries: dict[str, PutBack] = field(default_factory=dict)
    _by_due: dict[datetime, str] = field(default_factory=dict)  # a look-up before every claim: no scan

    def delay(self, key: str, attempts: int) -> float:
        """Seconds between an entry's failed attempt number `attempts` and its next one."""
        return next_attempt_delay(attempts, self.settings, random.Random(f"{key}#{attempts}"))

    def load(self, ledger: Ledger, account: str) -> None:
        """Learn the entries an earlier run proved absent after their click (due at once in the ledger)."""
        for row in ledger.rows():
            if row.state != "pending" or not row.attempts:
                continue
            history = ledger.history(row.key)
            last = history[-1] if history else None
            if last is None or (last.from_state, last.to_state) != ("unknown", "pending"):
                continue
            record = ledger.get(row.key)
            if record.account is None or record.account.lower() == account.lower():
                self.proven_absent(record, put_back_at=aware(last.at))

    def proven_absent(self, record: Record, *, put_back_at: datetime) -> PutBack:
        """Note an entry the portal's records proved absent after its click, put back `put_back_at`."""
        wait = timedelta(seconds=self.delay(record.key, record.attempts))
        return self._note(PutBack(record.key, aware(record.next_attempt_at), put_back_at + wait))

    def retried_later(self, record: Record) -> PutBack:
        """Note an entry the ledger put back with its own wait (`retry_later`)."""
        due = aware(record.next_attempt_at)
        return self._note(PutBack(record.key, due, due))

    def claimed(self, key: str) -> None:
        """Forget an entry once it is claimed again."""
        entry = self.entries.pop(key, None)
        if entry is not None and self._by_due.get(entry.due) == key:
            del self._by_due[entry.due]

    def at(self, due: datetime) -> PutBack | None:
        """The known entry whose place in line is `due` (the head of the line, given `next_due`)."""
        key = self._by_due.get(aware(due))
        return self.entries.get(key) if key is not None else None

    def _note(self, entry: PutBack) -> PutBack:
        self.claimed(entry.key)
        self.entries[entry.key] = entry
        self._by_due[entry.due] = entry.key
        return entry


def aware(moment: datetime) -> datetime:
    """A ledger time as an aware UTC datetime (SQLite hands them back naive, in UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

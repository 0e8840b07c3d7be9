"""Records: what the ledger hands back, as frozen pydantic models (an entry, a status line, a history row).

Pure models: they import no SQL, so callers of the ledger (the runner, the reports, the
commands) read them without the ledger's machinery. `bot.store.queries` builds them from rows.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from bot.models import Complaint, Entry, Ipr, Kind
from bot.store.states import HumanReason, State

__all__ = ["ActionRow", "ListingRow", "Record", "StandingRow", "StatusRow", "Transition"]


class Record(BaseModel):
    """An entry as the ledger holds it: the batch entry plus where it stands."""

    model_config = ConfigDict(frozen=True)

    key: str
    kind: Kind
    state: State
    attempts: int
    version: int
    payload: Ipr | Complaint
    source: str
    depends_on: str | None
    account: str | None
    claimed_by: str | None
    portal_ref: str | None
    portal_status: str | None
    error: str | None
    next_attempt_at: datetime
    created_at: datetime
    updated_at: datetime
    human_reason: HumanReason | None = None  # a needs_human entry's case: parked (retry it) or cannot_tell (resolve it)

    @property
    def entry(self) -> Entry:
        """The batch entry this record was added from."""
        return Entry(
            key=self.key,
            kind=self.kind,
            payload=self.payload,
            source=self.source,
            depends_on=self.depends_on,
        )


class StatusRow(BaseModel):
    """One line of `ippbot status`; `model_dump(mode="json")` is its `--json` object."""

    model_config = ConfigDict(frozen=True)

    key: str
    kind: Kind
    state: State
    attempts: int
    portal_ref: str | None
    portal_status: str | None
    error: str | None
    source: str
    updated_at: datetime
    copies: tuple[str, ...] = ()  # further records the portal holds for this entry: the operator withdraws them
    human_reason: HumanReason | None = None  # a needs_human entry's case: parked or cannot_tell
    listings: dict[str, int] = {}  # a complaint's listings per state, as the last sync read them (ippbot status)
    account: str | None = None  # the portal account that files it (None: not pinned, the configured one)


class Transition(BaseModel):
    """One row of an entry's history: a state change, when, and why."""

    model_config = ConfigDict(frozen=True)

    key: str
    from_state: State | None
    to_state: State
    at: datetime
    detail: str


class ListingRow(BaseModel):
    """One listing of a complaint as the last `ippbot sync` read it, in the ledger's names."""

    model_config = ConfigDict(frozen=True)

    account: str
    complaint: str
    url: str
    complaint_status: str
    state: str  # one of bot.store.listings.LISTING_STATES
    changed_on: date | None  # the portal's date of its last change
    seen_at: datetime  # when a sync first saw it in this state
    deadline: date | None = None  # a counter-notice's: the complainant answers by then
    chance: int | None = None  # a counter-notice's: which of the seller's chances
    statement: str | None = None  # a counter-notice's: the seller's statement
    answer: str | None = None  # the complainant's answer the portal shows: accept or reject


class StandingRow(BaseModel):
    """One day's reading of the account's Good Faith figures (rates in per cent)."""

    model_config = ConfigDict(frozen=True)

    account: str
    day: date
    takedown_rate: float
    counter_notice_success_rate: float
    qualifies: bool
    listings: int | None
    read_at: datetime


class ActionRow(BaseModel):
    """One answer or withdrawal ippbot files, and where it stands (`bot.store.actions`)."""

    model_config = ConfigDict(frozen=True)

    id: int
    account: str
    kind: str  # answer or withdraw
    complaint: str
    url: str  # "" for a whole complaint's withdrawal
    chance: int
    decision: str  # accept, reject or withdraw
    note: str
    evidence: tuple[str, ...]
    state: str  # submitting, done, unknown, needs_human
    detail: str | None
    updated_at: datetime

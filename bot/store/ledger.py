"""Ledger: the one source of truth for every entry, its state, its history and account leases.

Written with SQLAlchemy Core (no ORM) so the same code runs on PostgreSQL later. On SQLite
it runs WAL with ``synchronous=FULL``, a busy timeout and foreign keys on (set on every
connection), and each transaction starts with ``BEGIN IMMEDIATE`` so a read-then-write never
meets another writer half-way. Opening a ledger brings its schema to the newest migration.

`Ledger` is the public API, and every public method is one transaction. Its parts, one
concern a module in `bot.store`: `states` (the state machine, drawn), `records` (what it
hands back), `queries` (reads), `moves` (the conditional updates and their audit rows),
`operator` (the calls that hand an entry to a person and back), `known` (the IPRs complaints
rest on, the portal's records among them), `corrections` (a rejected IPR corrected, and the
enqueue that applies it), `listings` (the wait's known records: listings, Good Faith),
`actions` (answers, withdrawals), `waits` (the portal's Retry-After, per account), `schema`
and `migrate` (the tables, the engine and their numbered migrations).

The calls and the moves each one makes (`bot.store.states` draws the machine; `LEGAL` is it)::

    add                (new) -> pending
    enqueue            (new) -> pending, and a correction (corrects: KEY): confirmed -> pending (an IPR
                       the review rejected), failed -> pending, dead -> pending
    claim_next         pending -> claimed, pending -> waiting, pending -> blocked, and first
                       what recheck does
    mark_submitting    claimed -> submitting, committed BEFORE the submit click
    confirm            submitting -> confirmed; with existing=True also claimed -> confirmed
    retry_later        claimed -> pending, or claimed -> dead once attempts are used up
    fail               claimed -> failed
    park               claimed -> needs_human (parked: a human check met in a headless run)
    mark_unknown       submitting -> unknown
    reconcile          unknown -> confirmed, unknown -> pending, unknown -> dead, unknown -> needs_human
    needs_human        unknown -> needs_human (cannot tell)
    give_up            pending -> dead, waiting -> dead, blocked -> dead
    set_portal_status  for the complaints of an IPR now reviewed, what recheck does
    recheck            waiting -> pending, blocked -> pending (their IPR is approved),
                       waiting -> blocked, blocked -> waiting
    retry              failed -> pending, dead -> pending, needs_human -> pending (parked)
    resolve            unknown -> confirmed, needs_human -> confirmed (cannot tell, --filed REF),
                       unknown -> pending, needs_human -> pending (--not-filed)
    cancel             pending -> cancelled, waiting -> cancelled, blocked -> cancelled,
                       failed -> cancelled, dead -> cancelled, needs_human -> cancelled (parked)
    recover_stale      claimed -> pending, claimed -> dead, submitting -> unknown
    move               any move `LEGAL` has, with no data (for tools and tests)

Every change is a conditional update on the entry's `version` (`bot.store.moves`): a stale
worker whose entry was recovered and claimed again is refused (`StaleEntry`) instead of
overwriting.

One worker per account: a lease row (`acquire_lease`, `renew_lease`, `release_lease`) with
an expiry. `claim_next` records the lease holder on the entry; `recover_stale` hands back what
a lost lease left behind. Time comes in as `now` or from the injected `clock`; it is never
read anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert

from bot.errors import LeaseNotHeld, LedgerError
from bot.models import Complaint, Entry, Ipr
from bot.settings import Settings
from bot.store.actions import ActionCalls
from bot.store.corrections import CorrectionCalls
from bot.store.known import KnownCalls
from bot.store.leasing import LeaseCalls
from bot.store.listings import ListingCalls
from bot.store.migrate import upgrade
from bot.store.moves import (
    _claim,
    _expect,
    _insert_new,
    _move,
    _reconciled_state,
    _require,
    _set_review,
    _settle_held,
)
from bot.store.operator import OperatorCalls
from bot.store.queries import (
    _all_copies,
    _busy,
    _copies_of,
    _due,
    _earliest_due,
    _get,
    _hold,
    _holds,
    _ipr_on_portal,
    _live_holder,
    _record,
    _state_counts,
    _status_rows,
    _transitions,
    _unknown_of,
)
from bot.store.records import Record, StatusRow, Transition
from bot.store.schema import copy_table, make_engine, opened
from bot.store.states import ANY, CANNOT_TELL, STATES, State
from bot.store.waits import WaitCalls

__all__ = ["Ledger"]

LEDGER_FILE = "ledger.sqlite3"
DEFAULT_MAX_ATTEMPTS = 5

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The default clock: now, in UTC."""
    return datetime.now(UTC)


class Ledger(OperatorCalls, KnownCalls, CorrectionCalls, ListingCalls, ActionCalls, WaitCalls, LeaseCalls):
    """The ledger on one database. Every public method is one transaction."""

    def __init__(self, url: str, *, clock: Clock = utc_now, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._engine = make_engine(url)
        self._clock = clock
        self._max_attempts = max_attempts
        upgrade(self._engine)  # to the newest migration (bot.store.migrate), saying so once for an old ledger

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock = utc_now, max_attempts: int | None = None) -> Ledger:
        """The ledger of `IPPBOT_LEDGER_URL` (PostgreSQL), else the data dir's (`DATA_DIR/ledger.sqlite3`),
        created if need be; `EnvironmentProblem` with the fix when it cannot be opened."""
        attempts = max_attempts or settings.max_attempts
        if settings.ledger_url is not None:
            return opened(lambda: cls(settings.ledger_url or "", clock=clock, max_attempts=attempts),
                           settings.ledger_url, "check that the database answers and IPPBOT_LEDGER_URL names it")
        path = Path(settings.data_dir) / LEDGER_FILE

        def in_data_dir() -> Ledger:
            path.parent.mkdir(parents=True, exist_ok=True)
            return cls(f"sqlite:///{path}", clock=clock, max_attempts=attempts)

        return opened(in_data_dir, str(path), f"make {path.parent} writable or set IPPBOT_DATA_DIR")

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for reports and checks; change nothing through it)."""
        return self._engine

    @property
    def queues_jobs(self) -> bool:
        """Whether adding entries queues their jobs in the same transaction (PostgreSQL: the fleet's queue)."""
        return self._engine.dialect.name == "postgresql"

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # Adding ----------------------------------------------------------------------------

    def add(
        self, entries: Iterable[Entry], *, account: str | None = None, now: datetime | None = None
    ) -> tuple[int, int]:
        """Add entries in ONE transaction; a key already known is skipped, not changed.

        Returns (added, skipped). If anything fails part-way, nothing is added. `account`
        pins the entries to one account; by default any account's worker may claim them.
        """
        entries = list(entries)
        if any(isinstance(e.payload, Ipr) and e.payload.corrects for e in entries):
            raise LedgerError("a correction (corrects:) goes through Ledger.enqueue, which applies it")
        with self._engine.begin() as conn:
            added = _insert_new(conn, entries, account, self._now(now))
        return added, len(entries) - added

    # The worker's moves ----------------------------------------------------------------

    def claim_next(self, account: str, now: datetime | None = None, *, holder: str | None = None) -> Record | None:
        """Claim the due pending entry for `account` that has waited longest (attempts + 1), or None.

        Due: `next_attempt_at` <= now. A complaint whose IPR the ledger holds but the portal
        has not approved goes to `waiting` (or `blocked`, when it cannot be) instead and is
        skipped; held complaints whose IPR is now approved come back first (`recheck`). With
        `holder`, that holder must hold the account's live lease (else `LeaseNotHeld`); without,
        the live holder is recorded.
        """
        at = self._now(now)
        with self._engine.begin() as conn:
            claimer = _live_holder(conn, account, holder, at)
            _settle_held(conn, at)
            for row in _due(conn, account, at):
                hold = _hold(conn, row.depends_on, row.account or account) if row.kind == "complaint" else None
                if hold is not None:
                    _move(conn, row, hold.state, at, hold.why, error=hold.why)
                    continue
                if _claim(conn, row, account, claimer, at):
                    return _record(_get(conn, row.key))
        return None

    def mark_submitting(self, key: str, *, version: int | None = None, token: int | None = None,
                        now: datetime | None = None) -> Record:
        """claimed -> submitting. Call it, and let it commit, BEFORE clicking submit.

        Refused with `LeaseNotHeld` if the claiming worker's lease is no longer live, or (with `token`, the
        fencing token its lease was taken with: `bot.store.leasing`) has passed to another holder since.
        """
        at = self._now(now)
        with self._engine.begin() as conn:
            row = _expect(conn, key, version, "submitting", {"claimed"})
            if row.claimed_by is not None and not _holds(conn, row.account, row.claimed_by, at, token):
                raise LeaseNotHeld(row.account or "", row.claimed_by)
            _move(conn, row, "submitting", at, "about to click submit")
            return _record(_get(conn, key))

    def confirm(
        self,
        key: str,
        ref: str,
        existing: bool = False,
        *,
        version: int | None = None,
        now: datetime | None = None,
    ) -> Record:
        """submitting -> confirmed with the portal's reference; with `existing=True` also
        claimed -> confirmed (the pre-submit lookup found it already on the portal).
        """
        _require(ref, "a confirmed entry needs the portal's reference")
        allowed: set[State] = {"submitting", "claimed"} if existing else {"submitting"}
        detail = f"already on the portal as {ref}" if existing else f"filed as {ref}"
        return self._step(key, "confirmed", allowed, version, now, detail, portal_ref=ref)

    def retry_later(
        self,
        key: str,
        error: str,
        delay_s: float,
        *,
        version: int | None = None,
        now: datetime | None = None,
    ) -> Record:
        """claimed -> pending, due again in `delay_s` (a transient failure BEFORE the click);
        claimed -> dead instead once `max_attempts` are used up.
        """
        at = self._now(now)
        with self._engine.begin() as conn:
            row = _expect(conn, key, version, "pending", {"claimed"})
            self._pending_or_dead(conn, row, at, error, delay_s)
            return _record(_get(conn, key))

    def fail(self, key: str, reason: str, *, version: int | None = None, now: datetime | None = None) -> Record:
        """claimed -> failed: the portal refused it for good (`reason` says why)."""
        _require(reason, "a failure needs its reason")
        return self._step(key, "failed", {"claimed"}, version, now, reason, error=reason)

    def mark_unknown(
        self, key: str, error: str, *, version: int | None = None, now: datetime | None = None
    ) -> Record:
        """submitting -> unknown: the click happened but no confirmation came back."""
        return self._step(key, "unknown", {"submitting"}, version, now, error, error=error)

    def reconcile(
        self,
        key: str,
        found_ref: str | None,
        proof_absent: bool = False,
        *,
        version: int | None = None,
        now: datetime | None = None,
    ) -> Record:
        """Settle an unknown entry from the portal's own records.

        Found (`found_ref`) -> confirmed. Proven absent -> pending, due now (dead once
        `max_attempts` are used up). Neither -> needs_human: never resubmit on a guess.
        """
        if found_ref and proof_absent:
            raise LedgerError(f"entry {key!r}: found as {found_ref} and proven absent at once")
        at = self._now(now)
        with self._engine.begin() as conn:
            target = _reconciled_state(found_ref, proof_absent)
            row = _expect(conn, key, version, target, {"unknown"})
            if found_ref:
                _move(conn, row, "confirmed", at, f"reconciled: on the portal as {found_ref}",
                      portal_ref=found_ref)
            elif proof_absent:
                self._pending_or_dead(conn, row, at, "reconciled: not on the portal", 0.0)
            else:
                why = "cannot tell: the portal's records did not show whether the submission went through"
                _move(conn, row, "needs_human", at, why, error=why, human_reason=CANNOT_TELL)
            return _record(_get(conn, key))

    def needs_human(
        self, key: str, reason: str, *, version: int | None = None, now: datetime | None = None
    ) -> Record:
        """unknown -> needs_human, cannot tell: only a person can say what happened (`ippbot resolve`)."""
        why = f"cannot tell: {reason}"
        return self._step(key, "needs_human", {"unknown"}, version, now, why, error=why, human_reason=CANNOT_TELL)

    def give_up(self, key: str, reason: str, *, now: datetime | None = None) -> Record:
        """pending, waiting or blocked -> dead, on an operator's word (`reason` says why)."""
        _require(reason, "giving up needs a reason")
        return self._step(key, "dead", {"pending", "waiting", "blocked"}, None, now, reason, error=reason)

    def move(
        self,
        key: str,
        target: State,
        *,
        detail: str = "",
        version: int | None = None,
        now: datetime | None = None,
    ) -> Record:
        """Any move the state machine allows, with no data: for tools and tests.

        The named methods above are what workers call; they add each move's data and
        narrower preconditions. Raises `IllegalTransition` for a move `LEGAL` lacks.
        """
        return self._step(key, target, ANY, version, now, detail or f"moved to {target}")

    def set_portal_status(self, key: str, status: str, *, now: datetime | None = None) -> Record:
        """Record the portal's review outcome of a confirmed entry (`ippbot sync`).

        An IPR's outcome moves the complaints held for it (`recheck`): approved, back in line;
        rejected or expired, blocked.
        """
        at = self._now(now)
        with self._engine.begin() as conn:
            row = _get(conn, key)
            if row.state != "confirmed":
                why = f"entry {key!r} is {row.state}: only a confirmed entry has a review status"
                raise LedgerError(why)
            _set_review(conn, key, status, at)
            if row.kind == "ipr":
                _settle_held(conn, at)
            return _record(_get(conn, key))

    def recover_stale(self, now: datetime | None = None) -> list[Record]:
        """Hand back entries whose worker lost its lease (crashed, or taken over).

        claimed -> pending (or dead once attempts are used up): nothing was clicked.
        submitting -> unknown: the click may have gone through; reconcile it first.
        An entry claimed while no lease was live counts as lost whenever no lease on its
        account is live. Every account's entries are looked at, each against its own account's
        lease, so a run never takes a live run's entries, whichever account it works; it only
        moves them in the ledger (an entry made `unknown` is reconciled by its own account's
        run, `in_doubt(account)`). Returns the entries moved.
        """
        at = self._now(now)
        moved: list[str] = []
        with self._engine.begin() as conn:
            for row in _busy(conn):
                if _holds(conn, row.account, row.claimed_by, at):
                    continue
                lost = f"the lease of {row.claimed_by or 'its worker'} on {row.account} ran out"
                if row.state == "claimed":
                    self._pending_or_dead(conn, row, at, f"{lost} before the submit click", 0.0)
                else:
                    why = f"{lost} after the submit click; it may be on the portal"
                    _move(conn, row, "unknown", at, why, error=why)
                moved.append(row.key)
            return [_record(_get(conn, key)) for key in moved]

    # Reading ---------------------------------------------------------------------------

    def get(self, key: str) -> Record:
        """One entry; `UnknownEntry` if there is none with that key."""
        with self._engine.connect() as conn:
            return _record(_get(conn, key))

    def rows(self) -> list[StatusRow]:
        """Every entry for `ippbot status`, oldest first."""
        with self._engine.connect() as conn:
            return _status_rows(conn)

    def counts(self) -> dict[State, int]:
        """How many entries are in each state (every state listed, zeros too)."""
        with self._engine.connect() as conn:
            found = _state_counts(conn)
        return {state: found.get(state, 0) for state in STATES}

    def history(self, key: str) -> list[Transition]:
        """An entry's state changes, oldest first."""
        with self._engine.connect() as conn:
            return _transitions(conn, key)

    def next_due(self, account: str) -> datetime | None:
        """When the earliest pending entry `account` may claim falls due (its own and the
        unpinned ones, as `claim_next` sees them), or None if none is pending.
        """
        with self._engine.connect() as conn:
            earliest = _earliest_due(conn, account)
        return None if earliest is None else earliest.replace(tzinfo=UTC)

    def note_copies(self, key: str, refs: Iterable[str], *, now: datetime | None = None) -> list[str]:
        """Keep the further records the portal holds for entry `key` (not its own reference); returns them all."""
        at = self._now(now)
        with self._engine.begin() as conn:
            own = _get(conn, key).portal_ref
            known = set(_copies_of(conn, key))
            new = [{"key": key, "portal_ref": r, "seen_at": at} for r in dict.fromkeys(refs) if r not in known | {own}]
            if new:
                conn.execute(insert(copy_table), new)
            return _copies_of(conn, key)

    def copies(self) -> dict[str, list[str]]:
        """Every entry the portal holds more than once: key -> the further references, to withdraw."""
        with self._engine.connect() as conn:
            return _all_copies(conn)

    def payload_to_file(self, record: Record) -> Ipr | Complaint:
        """The entry's payload as the run files it: a complaint with its IPR as ippbot filed it; a corrected
        IPR with the portal record whose edit form takes the correction (`Ipr.edit_reference`)."""
        if isinstance(record.payload, Ipr):
            edit = record.portal_ref if record.payload.corrects else None
            return record.payload.model_copy(update={"edit_reference": edit}) if edit else record.payload
        with self._engine.connect() as conn:
            return record.payload.model_copy(update={"on_portal": _ipr_on_portal(conn, record.depends_on)})

    def in_doubt(self, account: str) -> list[Record]:
        """`account`'s entries in `unknown`: to reconcile against that account's portal records
        before anything else. Another account's are not for it: looked up on this account,
        they would be "proven absent" and filed twice.
        """
        with self._engine.connect() as conn:
            return [_record(row) for row in _unknown_of(conn, account)]

    # Internals -------------------------------------------------------------------------

    def _now(self, now: datetime | None) -> datetime:
        at = self._clock() if now is None else now
        if at.tzinfo is None:
            raise ValueError("the ledger takes aware datetimes (UTC); got a naive one")
        return at

    def _step(
        self,
        key: str,
        target: State,
        allowed: Iterable[State],
        version: int | None,
        now: datetime | None,
        detail: str,
        **values: Any,
    ) -> Record:
        at = self._now(now)
        with self._engine.begin() as conn:
            row = _expect(conn, key, version, target, set(allowed))
            _move(conn, row, target, at, detail, **values)
            return _record(_get(conn, key))

    def _pending_or_dead(self, conn: Connection, row: Row[Any], now: datetime, error: str, delay_s: float) -> None:
        if row.attempts >= self._max_attempts:
            why = f"gave up after {row.attempts} attempts; last: {error}"
            _move(conn, row, "dead", now, why, error=why)
        else:
            due = now + timedelta(seconds=max(delay_s, 0.0))
            _move(conn, row, "pending", now, error, error=error, next_attempt_at=due)


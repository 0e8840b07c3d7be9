"""Ledger: the one source of truth for every entry, its state, its history and account leases.

Written with SQLAlchemy Core (no ORM) so the same code runs on PostgreSQL later. On SQLite
it runs WAL with ``synchronous=FULL``, a busy timeout and foreign keys on (set on every
connection), and each transaction starts with ``BEGIN IMMEDIATE`` so a read-then-write never
meets another writer half-way.

The state machine (every move is also a row in ``transitions``)::

          add
           |
           v        claim_next            mark_submitting               confirm
        pending -----------------> claimed --------------> submitting -----------> confirmed
         |  ^ ^                     | | |                      |                     ^    ^
         |  | |     retry_later,    | | |                      | mark_unknown,       |    |
         |  | +---- recover_stale --+ | +-- fail --> failed    | recover_stale       |    |
         |  |                         |                        v                     |    |
         |  |                         +--- confirm(existing=True) -------------------+    |
         |  |                                                unknown -- reconcile: found -+
         |  +------------ reconcile: proven absent ------------+  |
         v  |                                                     +-- reconcile: cannot tell
        waiting   a complaint whose IPR is not approved yet:          (or needs_human) --> needs_human
                  parked by claim_next, woken once it is

        dead: from claimed (retry_later, recover_stale) and from unknown (reconcile: proven
        absent) once `max_attempts` are used up; from pending or waiting by give_up. It says why.

Every legal move, with the call that makes it (`LEGAL` is the machine; nothing else is)::

    pending -> claimed       claim_next
    pending -> waiting       claim_next (the complaint's IPR is not approved)
    pending -> dead          give_up
    waiting -> pending       claim_next, set_portal_status (the IPR is now approved)
    waiting -> dead          give_up
    claimed -> submitting    mark_submitting: committed BEFORE the submit click
    claimed -> pending       retry_later (transient, before the click), recover_stale
    claimed -> failed        fail (permanent, with the portal's reason)
    claimed -> confirmed     confirm(existing=True): the pre-submit lookup found it
    claimed -> dead          retry_later, recover_stale: attempts used up
    submitting -> confirmed  confirm, with the portal's reference
    submitting -> unknown    mark_unknown (crash, timeout, lost session after the click),
                             recover_stale (the worker's lease ran out)
    unknown -> confirmed     reconcile: found on the portal
    unknown -> pending       reconcile: proven absent (only with proof)
    unknown -> dead          reconcile: proven absent, attempts used up
    unknown -> needs_human   reconcile: cannot tell; needs_human

`confirmed`, `failed`, `dead` and `needs_human` have no way out for the bot (a person resolves
`needs_human`). What the portal's review later says about a confirmed entry goes in its own
column, `portal_status` (`set_portal_status`, from `ippbot sync`), not in the state.

Every change is a conditional update (``UPDATE ... WHERE key = ? AND state = ? AND version
= ?``, rowcount checked): a worker passes the `version` it was given, so a stale worker whose
entry was recovered and claimed again is refused (`StaleEntry`) instead of overwriting.

One worker per account: a lease row (`acquire_lease`, `renew_lease`, `release_lease`) with
an expiry. `claim_next` records the lease holder on the entry; `recover_stale` hands back what
a lost lease left behind. Time comes in as `now` or from the injected `clock`; it is never
read anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, Connection, Engine, Row, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.errors import (
    EnvironmentProblem,
    IllegalTransition,
    LeaseNotHeld,
    LedgerError,
    StaleEntry,
    UnknownEntry,
)
from bot.models import Complaint, Ipr
from bot.settings import Settings
from bot.store.batch import Entry, Kind
from bot.store.schema import (
    STATES,
    State,
    entry_table,
    lease_table,
    make_engine,
    metadata,
    transition_table,
)

__all__ = [
    "FINAL",
    "LEGAL",
    "STATES",
    "Ledger",
    "Record",
    "State",
    "StatusRow",
    "Transition",
]

LEGAL: dict[State, frozenset[State]] = {
    "pending": frozenset({"claimed", "waiting", "dead"}),
    "waiting": frozenset({"pending", "dead"}),
    "claimed": frozenset({"submitting", "pending", "failed", "confirmed", "dead"}),
    "submitting": frozenset({"confirmed", "unknown"}),
    "unknown": frozenset({"confirmed", "pending", "dead", "needs_human"}),
    "confirmed": frozenset(),
    "failed": frozenset(),
    "needs_human": frozenset(),
    "dead": frozenset(),
}
FINAL: frozenset[State] = frozenset(s for s, targets in LEGAL.items() if not targets)
ANY: frozenset[State] = frozenset(STATES)
APPROVED = "approved"  # the portal's review status that lets complaints go
LEDGER_FILE = "ledger.sqlite3"
DEFAULT_MAX_ATTEMPTS = 5

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The default clock: now, in UTC."""
    return datetime.now(UTC)


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


class Transition(BaseModel):
    """One row of an entry's history: a state change, when, and why."""

    model_config = ConfigDict(frozen=True)

    key: str
    from_state: State | None
    to_state: State
    at: datetime
    detail: str


class Ledger:
    """The ledger on one database. Every public method is one transaction."""

    def __init__(
        self,
        url: str,
        *,
        clock: Clock = utc_now,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._engine = make_engine(url)
        self._clock = clock
        self._max_attempts = max_attempts
        metadata.create_all(self._engine)

    @classmethod
    def open(
        cls, settings: Settings, *, clock: Clock = utc_now, max_attempts: int | None = None
    ) -> Ledger:
        """The ledger in the data dir (`DATA_DIR/ledger.sqlite3`), created if need be."""
        path = Path(settings.data_dir) / LEDGER_FILE
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return cls(f"sqlite:///{path}", clock=clock, max_attempts=max_attempts or settings.max_attempts)
        except (OSError, OperationalError) as exc:
            raise EnvironmentProblem(
                f"cannot open the ledger at {path}: {exc}",
                fix=f"make {path.parent} writable or set IPPBOT_DATA_DIR",
            ) from exc

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for reports and checks; change nothing through it)."""
        return self._engine

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
        at = self._now(now)
        entries = list(entries)
        with self._engine.begin() as conn:
            seq = conn.execute(select(func.coalesce(func.max(entry_table.c.seq), 0))).scalar_one()
            known = _known_keys(conn, [entry.key for entry in entries])
            new: list[Entry] = []
            for entry in entries:
                if entry.key not in known:
                    known.add(entry.key)
                    new.append(entry)
            # one statement each for all rows (10,000 entries: 6.5 s one by one; docs/BENCHMARKS.md)
            if new:
                conn.execute(insert(entry_table), [_entry_row(e, account, seq + i, at) for i, e in enumerate(new, 1)])
                conn.execute(insert(transition_table), [_added_row(e, at) for e in new])
        return len(new), len(entries) - len(new)

    # The worker's moves ----------------------------------------------------------------

    def claim_next(
        self, account: str, now: datetime | None = None, *, holder: str | None = None
    ) -> Record | None:
        """Claim the due pending entry for `account` that has waited longest (attempts + 1), or None.

        Due: `next_attempt_at` <= now. A complaint whose IPR the ledger holds but the portal
        has not approved goes to `waiting` instead and is skipped; waiting complaints whose
        IPR is now approved come back first. With `holder`, that holder must hold the
        account's live lease (else `LeaseNotHeld`); without, the live holder is recorded.
        """
        at = self._now(now)
        with self._engine.begin() as conn:
            claimer = _live_holder(conn, account, holder, at)
            _wake_waiting(conn, at)
            for row in _due(conn, account, at):
                blocker = _blocker(conn, row.depends_on) if row.kind == "complaint" else None
                if blocker is not None:
                    _move(conn, row, "waiting", at, blocker, error=blocker)
                    continue
                if _claim(conn, row, account, claimer, at):
                    return _record(_get(conn, row.key))
        return None

    def mark_submitting(
        self, key: str, *, version: int | None = None, now: datetime | None = None
    ) -> Record:
        """claimed -> submitting. Call it, and let it commit, BEFORE clicking submit.

        Refused with `LeaseNotHeld` if the claiming worker's lease is no longer live.
        """
        at = self._now(now)
        with self._engine.begin() as conn:
            row = _expect(conn, key, version, "submitting", {"claimed"})
            if row.claimed_by is not None and not _holds(conn, row.account, row.claimed_by, at):
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

    def fail(
        self, key: str, reason: str, *, version: int | None = None, now: datetime | None = None
    ) -> Record:
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
                why = "reconcile could not tell whether the submission went through"
                _move(conn, row, "needs_human", at, why, error=why)
            return _record(_get(conn, key))

    def needs_human(
        self, key: str, reason: str, *, version: int | None = None, now: datetime | None = None
    ) -> Record:
        """unknown -> needs_human: only a person can tell what happened."""
        return self._step(key, "needs_human", {"unknown"}, version, now, reason, error=reason)

    def give_up(self, key: str, reason: str, *, now: datetime | None = None) -> Record:
        """pending or waiting -> dead, on an operator's word (`reason` says why)."""
        _require(reason, "giving up needs a reason")
        return self._step(key, "dead", {"pending", "waiting"}, None, now, reason, error=reason)

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

        An IPR becoming `approved` wakes the complaints waiting for it.
        """
        at = self._now(now)
        with self._engine.begin() as conn:
            row = _get(conn, key)
            if row.state != "confirmed":
                why = f"entry {key!r} is {row.state}: only a confirmed entry has a review status"
                raise LedgerError(why)
            conn.execute(
                update(entry_table)
                .where(entry_table.c.key == key, entry_table.c.state == "confirmed")
                .values(portal_status=status, updated_at=at)
            )
            if row.kind == "ipr" and status == APPROVED:
                _wake_waiting(conn, at)
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
            busy = ("claimed", "submitting")
            for row in conn.execute(select(entry_table).where(entry_table.c.state.in_(busy))).all():
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

    # Leases ----------------------------------------------------------------------------

    def acquire_lease(
        self, account: str, holder: str, ttl_s: float, now: datetime | None = None
    ) -> bool:
        """Take the account's lease for `ttl_s` seconds: True if now held by `holder`.

        Atomic: inserted when there is none, taken over when it has expired, extended when
        `holder` has it already; refused while another holder's lease is live. After a
        takeover, call `recover_stale` for what the old holder left behind.
        """
        at = self._now(now)
        until = at + _ttl(ttl_s)
        with self._engine.begin() as conn:
            taken = conn.execute(
                update(lease_table)
                .where(lease_table.c.account == account)
                .where(or_(lease_table.c.expires_at <= at, lease_table.c.holder == holder))
                .values(holder=holder, expires_at=until)
            ).rowcount
            if taken:
                return True
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(lease_table).values(account=account, holder=holder, expires_at=until)
                    )
            except IntegrityError:
                return False
            return True

    def renew_lease(
        self, account: str, holder: str, ttl_s: float, now: datetime | None = None
    ) -> bool:
        """Extend a live lease `holder` holds; False if it expired or is someone else's."""
        at = self._now(now)
        with self._engine.begin() as conn:
            return bool(
                conn.execute(
                    update(lease_table)
                    .where(lease_table.c.account == account, lease_table.c.holder == holder)
                    .where(lease_table.c.expires_at > at)
                    .values(expires_at=at + _ttl(ttl_s))
                ).rowcount
            )

    def lease_holder(self, account: str, now: datetime | None = None) -> str | None:
        """Who holds the account's live lease, if anyone."""
        with self._engine.connect() as conn:
            row = _live_lease(conn, account, self._now(now))
        return str(row.holder) if row is not None else None

    def release_lease(self, account: str, holder: str) -> bool:
        """Give the lease up; False if `holder` did not hold it."""
        with self._engine.begin() as conn:
            return bool(
                conn.execute(
                    delete(lease_table).where(
                        lease_table.c.account == account, lease_table.c.holder == holder
                    )
                ).rowcount
            )

    # Reading ---------------------------------------------------------------------------

    def get(self, key: str) -> Record:
        """One entry; `UnknownEntry` if there is none with that key."""
        with self._engine.connect() as conn:
            return _record(_get(conn, key))

    def rows(self) -> list[StatusRow]:
        """Every entry for `ippbot status`, oldest first."""
        columns = [entry_table.c[name] for name in StatusRow.model_fields]
        with self._engine.connect() as conn:
            found = conn.execute(select(*columns).order_by(entry_table.c.seq)).mappings().all()
        return [StatusRow.model_validate(dict(row)) for row in found]

    def counts(self) -> dict[State, int]:
        """How many entries are in each state (every state listed, zeros too)."""
        query = select(entry_table.c.state, func.count()).group_by(entry_table.c.state)
        with self._engine.connect() as conn:
            found: dict[str, int] = dict(conn.execute(query).all())
        return {state: found.get(state, 0) for state in STATES}

    def history(self, key: str) -> list[Transition]:
        """An entry's state changes, oldest first."""
        query = (
            select(transition_table)
            .where(transition_table.c.key == key)
            .order_by(transition_table.c.id)
        )
        with self._engine.connect() as conn:
            found = conn.execute(query).mappings().all()
        return [Transition.model_validate(dict(row)) for row in found]

    def next_due(self, account: str) -> datetime | None:
        """When the earliest pending entry `account` may claim falls due (its own and the
        unpinned ones, as `claim_next` sees them), or None if none is pending.
        """
        query = select(func.min(entry_table.c.next_attempt_at)).where(
            entry_table.c.state == "pending", _claimable_by(account)
        )
        with self._engine.connect() as conn:
            earliest = conn.execute(query).scalar_one_or_none()
        return None if earliest is None else earliest.replace(tzinfo=UTC)

    def in_doubt(self, account: str) -> list[Record]:
        """`account`'s entries in `unknown`: to reconcile against that account's portal records
        before anything else. Another account's are not for it: looked up on this account,
        they would be "proven absent" and filed twice.
        """
        query = select(entry_table).where(
            entry_table.c.state == "unknown", _same_account(account)
        )
        with self._engine.connect() as conn:
            return [_record(row) for row in conn.execute(query.order_by(entry_table.c.seq))]

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

    def _pending_or_dead(
        self, conn: Connection, row: Row[Any], now: datetime, error: str, delay_s: float
    ) -> None:
        if row.attempts >= self._max_attempts:
            why = f"gave up after {row.attempts} attempts; last: {error}"
            _move(conn, row, "dead", now, why, error=why)
        else:
            due = now + timedelta(seconds=max(delay_s, 0.0))
            _move(conn, row, "pending", now, error, error=error, next_attempt_at=due)


# Moves ----------------------------------------------------------------------------------


def _expect(
    conn: Connection,
    key: str,
    version: int | None,
    target: State,
    allowed: set[State],
) -> Row[Any]:
    """The entry's row, if the caller's view (`version`) is current and the move is legal."""
    row = _get(conn, key)
    if version is not None and row.version != version:
        raise StaleEntry(key, f"it is at version {row.version} ({row.state}), not {version}")
    legal = target in LEGAL[row.state]
    if not legal or row.state not in allowed:
        why = "" if not legal else f"this call moves only from {', '.join(sorted(allowed))}"
        raise IllegalTransition(key, row.state, target, why)
    return row


def _move(
    conn: Connection, row: Row[Any], target: State, now: datetime, detail: str, **values: Any
) -> None:
    """The one conditional update every state change goes through, plus its audit row."""
    if target not in LEGAL[row.state]:
        raise IllegalTransition(row.key, row.state, target)
    changed = conn.execute(
        update(entry_table)
        .where(
            entry_table.c.key == row.key,
            entry_table.c.state == row.state,
            entry_table.c.version == row.version,
        )
        .values(state=target, version=row.version + 1, updated_at=now, **values)
    ).rowcount
    if changed != 1:
        raise StaleEntry(row.key, f"moved by someone else while going {row.state} -> {target}")
    _audit(conn, row.key, row.state, target, now, detail)


def _audit(
    conn: Connection, key: str, source: State | None, target: State, at: datetime, detail: str
) -> None:
    conn.execute(
        insert(transition_table).values(
            key=key, from_state=source, to_state=target, at=at, detail=detail
        )
    )


def _entry_row(entry: Entry, account: str | None, seq: int, now: datetime) -> dict[str, Any]:
    """A new entry's row: pending, no attempt yet, due now."""
    payload = entry.payload
    return {
        "key": entry.key,
        "kind": entry.kind,
        "account": account,
        "payload": payload.model_dump(mode="json"),
        "state": "pending",
        "attempts": 0,
        "version": 1,
        "portal_ref": None,
        "portal_status": None,
        "error": None,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
        "source": entry.source,
        "depends_on": entry.depends_on,
        "ipr_number": payload.registration_number if isinstance(payload, Ipr) else None,
        "claimed_by": None,
        "seq": seq,
    }


def _added_row(entry: Entry, now: datetime) -> dict[str, Any]:
    """The first row of a new entry's history."""
    return {"key": entry.key, "from_state": None, "to_state": "pending", "at": now,
            "detail": f"added from {entry.source}"}


def _known_keys(conn: Connection, keys: list[str], chunk: int = 500) -> set[str]:
    """Which of `keys` the ledger already holds (asked `chunk` at a time: SQLite caps parameters)."""
    known: set[str] = set()
    for start in range(0, len(keys), chunk):
        part = keys[start:start + chunk]
        known.update(conn.execute(select(entry_table.c.key).where(entry_table.c.key.in_(part))).scalars())
    return known


def _claim(conn: Connection, row: Row[Any], account: str, holder: str | None, now: datetime) -> bool:
    """Claim one due entry; False if another worker got it first (possible on PostgreSQL)."""
    values = {"attempts": row.attempts + 1, "account": account, "claimed_by": holder}
    try:
        _move(conn, row, "claimed", now, f"attempt {row.attempts + 1} by {holder}", **values)
    except StaleEntry:
        return False
    return True


def _reconciled_state(found_ref: str | None, proof_absent: bool) -> State:
    return "confirmed" if found_ref else ("pending" if proof_absent else "needs_human")


# Queries --------------------------------------------------------------------------------


def _find(conn: Connection, key: str) -> Row[Any] | None:
    return conn.execute(select(entry_table).where(entry_table.c.key == key)).first()


def _get(conn: Connection, key: str) -> Row[Any]:
    row = _find(conn, key)
    if row is None:
        raise UnknownEntry(key)
    return row


def _due(conn: Connection, account: str, now: datetime) -> list[Row[Any]]:
    query = (
        select(entry_table)
        .where(entry_table.c.state == "pending", entry_table.c.next_attempt_at <= now)
        .where(_claimable_by(account))
        # longest due first, then in the order added: an entry handed back after a crash or a
        # reconcile is due "now", so it goes behind the others instead of meeting the same fate
        # again at once (a run killed at one step over and over spreads over entries, and a
        # poison entry still dies after max_attempts while the rest of the batch goes on)
        .order_by(entry_table.c.next_attempt_at, entry_table.c.seq)
    )
    return list(conn.execute(query).all())


def _claimable_by(account: str) -> ColumnElement[bool]:
    """Entries `account` may claim: its own, and those pinned to no account."""
    return or_(entry_table.c.account.is_(None), _same_account(account))


def _same_account(account: str) -> ColumnElement[bool]:
    """Entries pinned to `account`, however its email was typed when they were added (the portal
    ignores case, and `Settings` reads the email lower-cased since ledgers were first written)."""
    return func.lower(entry_table.c.account) == account.lower()


def _blocker(conn: Connection, depends_on: str | None) -> str | None:
    """Why a complaint must wait for its IPR, or None when it may go.

    It waits while the ledger holds that IPR (by key or registration number) and none of
    its records is confirmed and approved. An IPR the ledger does not hold is taken to be
    on the portal already; the complaint flow's own IPR lookup settles that.
    """
    if depends_on is None:
        return None
    query = select(entry_table.c.key, entry_table.c.state, entry_table.c.portal_status).where(
        entry_table.c.kind == "ipr",
        or_(entry_table.c.key == depends_on, entry_table.c.ipr_number == depends_on),
    )
    iprs = conn.execute(query).all()
    if not iprs or any(i.state == "confirmed" and i.portal_status == APPROVED for i in iprs):
        return None
    first = iprs[0]
    review = first.portal_status or "not reviewed yet"
    return f"waiting for IPR {first.key} ({first.state}, review: {review})"


def _wake_waiting(conn: Connection, now: datetime) -> None:
    waiting = conn.execute(select(entry_table).where(entry_table.c.state == "waiting")).all()
    for row in waiting:
        if _blocker(conn, row.depends_on) is None:
            _move(conn, row, "pending", now, "its IPR is approved", error=None)  # keeps its place in line


def _live_lease(conn: Connection, account: str | None, now: datetime) -> Row[Any] | None:
    query = select(lease_table).where(
        lease_table.c.account == account, lease_table.c.expires_at > now
    )
    return conn.execute(query).first()


def _holds(conn: Connection, account: str | None, holder: str | None, now: datetime) -> bool:
    """Whether `holder` (or, for None, anyone) holds a live lease on `account`."""
    lease = _live_lease(conn, account, now)
    return lease is not None and (holder is None or lease.holder == holder)


def _live_holder(conn: Connection, account: str, holder: str | None, now: datetime) -> str | None:
    lease = _live_lease(conn, account, now)
    if holder is not None and (lease is None or lease.holder != holder):
        raise LeaseNotHeld(account, holder)
    return lease.holder if lease is not None else None


def _record(row: Row[Any] | Mapping[str, Any]) -> Record:
    data = dict(row._mapping) if isinstance(row, Row) else dict(row)
    model = Ipr if data["kind"] == "ipr" else Complaint
    data["payload"] = model.model_validate(data["payload"])
    return Record.model_validate({name: data[name] for name in Record.model_fields})


def _require(value: str, message: str) -> None:
    if not value or not value.strip():
        raise LedgerError(message)


def _ttl(ttl_s: float) -> timedelta:
    if ttl_s <= 0:
        raise ValueError("a lease needs a positive ttl_s")
    return timedelta(seconds=ttl_s)

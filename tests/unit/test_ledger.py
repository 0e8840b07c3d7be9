"""Ledger: the state machine enforced, stale writers refused, leases exclusive, SQLite durable; on SQLite and
PostgreSQL alike (`ledger_url`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import product
from pathlib import Path

import pytest
from postgres import fresh_database
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from bot.errors import (
    EnvironmentProblem,
    IllegalTransition,
    LeaseNotHeld,
    LedgerError,
    StaleEntry,
    UnknownEntry,
)
from bot.models import Complaint, Entry, Ipr
from bot.settings import Settings
from bot.store import ledger as ledger_module
from bot.store.ledger import Ledger
from bot.store.schema import LEDGER_LOCK
from bot.store.states import BY_OPERATOR, FINAL, LEGAL, STATES, State

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
ACCOUNT = "brand@example.com"
OTHER = "other-brand@example.com"


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ipr_entry(number: str = "30612345", key: str | None = None) -> Entry:
    ipr = Ipr(
        type="trademark",
        name="ACME",
        registration_number=number,
        registration_place="CN",
        rights_holder="Demo Brand Ltd",
        expiration_date="2034-05-01",  # type: ignore[arg-type]
        classes=(9,),
        documents=(Path("/docs/certificate.pdf"),),
    )
    return Entry(key=key or ipr.identity, kind="ipr", payload=ipr, source="b.yaml:iprs[0]")


def complaint_entry(key: str, depends_on: str | None = None) -> Entry:
    complaint = Complaint(
        platform="taobao",
        ipr="30612345",
        reason="trademark_misuse",
        listings=(f"https://item.taobao.com/item.htm?id={abs(hash(key)) % 10**9}",),
    )
    return Entry(key=key, kind="complaint", payload=complaint, source="b.yaml:c", depends_on=depends_on)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each ledger test on both back ends: a SQLite file in tmp_path, and a PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        return
    with fresh_database() as url:
        yield url


@pytest.fixture
def make_ledger(ledger_url: str) -> Iterator[Callable[..., Ledger]]:
    """Ledgers on one database, with a clock stopped at T0."""
    opened: list[Ledger] = []

    def make(max_attempts: int = 3) -> Ledger:
        opened.append(Ledger(ledger_url, clock=lambda: T0, max_attempts=max_attempts))
        return opened[-1]

    yield make
    for each in opened:
        each.close()


@pytest.fixture
def ledger(make_ledger: Callable[..., Ledger]) -> Ledger:
    return make_ledger()


def state_of(ledger: Ledger, key: str) -> State:
    return ledger.get(key).state


# Putting an entry in each state through the worker's own calls -------------------------


IPR_KEY = "ipr:trademark:CN:30612345"


def put_in(ledger: Ledger, state: State) -> str:
    """An entry brought to `state` the way a run would; returns its key."""
    if state in ("waiting", "blocked"):
        ledger.add([complaint_entry("c-1", depends_on=IPR_KEY), ipr_entry()])
        ledger.claim_next(ACCOUNT)  # the complaint waits; its IPR is claimed instead
        if state == "blocked":  # the IPR is filed and the portal's review rejects it
            ledger.confirm(IPR_KEY, "IPR-1", existing=True)
            ledger.set_portal_status(IPR_KEY, "rejected")
        assert state_of(ledger, "c-1") == state
        return "c-1"
    ledger.add([ipr_entry(key="e-1")])
    steps: dict[State, list[Callable[[], object]]] = {
        "pending": [],
        "claimed": [lambda: ledger.claim_next(ACCOUNT)],
        "submitting": [lambda: ledger.claim_next(ACCOUNT), lambda: ledger.mark_submitting("e-1")],
        "confirmed": [
            lambda: ledger.claim_next(ACCOUNT),
            lambda: ledger.confirm("e-1", "IPR-1", existing=True),
        ],
        "failed": [lambda: ledger.claim_next(ACCOUNT), lambda: ledger.fail("e-1", "refused")],
        "dead": [lambda: ledger.give_up("e-1", "operator said so")],
        "cancelled": [lambda: ledger.cancel("e-1", "not wanted")],
    }
    to_unknown = [*steps["submitting"], lambda: ledger.mark_unknown("e-1", "timeout after click")]
    steps["unknown"] = to_unknown
    steps["needs_human"] = [*to_unknown, lambda: ledger.reconcile("e-1", None)]
    for step in steps[state]:
        step()
    assert state_of(ledger, "e-1") == state
    return "e-1"


# The state machine ----------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), list(product(STATES, STATES)))
def test_the_state_machine_allows_exactly_its_moves(ledger: Ledger, source: State, target: State) -> None:
    """Every legal move is made and every other one refused, leaving the entry untouched."""
    key = put_in(ledger, source)
    before = ledger.get(key)
    if target in LEGAL[source]:
        after = ledger.move(key, target, detail="test")
        assert (after.state, after.version) == (target, before.version + 1)
        assert ledger.history(key)[-1].from_state == source
    else:
        with pytest.raises(IllegalTransition, match=f"from {source} to {target}"):
            ledger.move(key, target)
        assert ledger.get(key) == before


def test_final_states_have_no_way_out() -> None:
    """confirmed, failed, dead, needs_human and cancelled are final for the bot (a person may move some on:
    a confirmed IPR only by enqueuing its correction once the portal's review rejected it)."""
    assert set(FINAL) == {"confirmed", "failed", "dead", "needs_human", "cancelled"}
    assert {s for s in FINAL if LEGAL[s]} == {"confirmed", "failed", "dead", "needs_human"}
    assert LEGAL["confirmed"] == {"pending"}
    assert all((s, t) in BY_OPERATOR for s in FINAL for t in LEGAL[s])


def test_the_docstring_lists_every_legal_move() -> None:
    """The module docstring's table names every move LEGAL allows, so the drawing stays true."""
    doc = ledger_module.__doc__ or ""
    for source, targets in LEGAL.items():
        for target in targets:
            assert f"{source} -> {target}" in doc


def confirm_and_approve_ipr(ledger: Ledger, _key: str) -> None:
    """The waiting complaint's IPR is filed and the portal's review approves it."""
    ledger.confirm("ipr:trademark:CN:30612345", "IPR-1", existing=True)
    ledger.set_portal_status("ipr:trademark:CN:30612345", "approved")


def confirm_and_reject_ipr(ledger: Ledger, _key: str) -> None:
    """The waiting complaint's IPR is filed and the portal's review rejects it."""
    ledger.confirm(IPR_KEY, "IPR-1", existing=True)
    ledger.set_portal_status(IPR_KEY, "rejected")


def correct_rejected_ipr(ledger: Ledger, key: str) -> None:
    """The portal's review rejects the IPR, and the operator enqueues it corrected (`corrects: KEY`)."""
    ledger.set_portal_status(key, "rejected")
    entry = ipr_entry(key="unused", number="30699999")
    fixed = entry.model_copy(update={"key": key, "payload": entry.payload.model_copy(update={"corrects": key})})
    ledger.enqueue([fixed])


NAMED_MOVES: list[tuple[State, State, int, Callable[[Ledger, str], object]]] = [
    ("pending", "claimed", 3, lambda lg, k: lg.claim_next(ACCOUNT)),
    ("pending", "dead", 3, lambda lg, k: lg.give_up(k, "withdrawn")),
    ("waiting", "pending", 3, confirm_and_approve_ipr),
    ("waiting", "dead", 3, lambda lg, k: lg.give_up(k, "IPR rejected")),
    ("claimed", "submitting", 3, lambda lg, k: lg.mark_submitting(k)),
    ("claimed", "pending", 3, lambda lg, k: lg.retry_later(k, "timeout", 30)),
    ("claimed", "failed", 3, lambda lg, k: lg.fail(k, "number unknown")),
    ("claimed", "confirmed", 3, lambda lg, k: lg.confirm(k, "IPR-9", existing=True)),
    ("claimed", "dead", 1, lambda lg, k: lg.retry_later(k, "timeout", 30)),
    ("submitting", "confirmed", 3, lambda lg, k: lg.confirm(k, "IPR-9")),
    ("submitting", "unknown", 3, lambda lg, k: lg.mark_unknown(k, "connection dropped")),
    ("unknown", "confirmed", 3, lambda lg, k: lg.reconcile(k, "IPR-9")),
    ("unknown", "pending", 3, lambda lg, k: lg.reconcile(k, None, proof_absent=True)),
    ("unknown", "dead", 1, lambda lg, k: lg.reconcile(k, None, proof_absent=True)),
    ("unknown", "needs_human", 3, lambda lg, k: lg.needs_human(k, "two records look alike")),
    # a complaint held for its IPR, as the IPR's review comes in
    ("waiting", "blocked", 3, confirm_and_reject_ipr),
    ("blocked", "pending", 3, lambda lg, k: lg.set_portal_status(IPR_KEY, "approved")),
    ("blocked", "waiting", 3, lambda lg, k: lg.set_portal_status(IPR_KEY, "pending_review")),
    ("blocked", "dead", 3, lambda lg, k: lg.give_up(k, "the brand gave up")),
    # the run hands an entry to a person, and the person's moves
    ("claimed", "needs_human", 3, lambda lg, k: lg.park(k, "a slider check at log-in")),
    ("failed", "pending", 3, lambda lg, k: lg.retry(k)),
    ("dead", "pending", 3, lambda lg, k: lg.retry(k)),
    ("confirmed", "pending", 3, correct_rejected_ipr),
    ("unknown", "confirmed", 3, lambda lg, k: lg.resolve(k, "IPR-9")),
    ("unknown", "pending", 3, lambda lg, k: lg.resolve(k, None)),
    ("needs_human", "confirmed", 3, lambda lg, k: lg.resolve(k, "IPR-9")),
    ("needs_human", "pending", 3, lambda lg, k: lg.resolve(k, None)),
    *[(s, "cancelled", 3, lambda lg, k: lg.cancel(k, "not wanted"))
      for s in ("pending", "waiting", "blocked", "failed", "dead")],
]


def parked(ledger: Ledger) -> str:
    """An IPR entry a run parked at a human check; returns its key."""
    ledger.add([ipr_entry(key="e-1")])
    ledger.claim_next(ACCOUNT)
    ledger.park("e-1", "a slider check at log-in")
    return "e-1"


def pending_complaint_on_a_failed_ipr(ledger: Ledger) -> str:
    """A complaint enqueued after its IPR failed for good; returns its key."""
    ledger.add([ipr_entry()])
    ledger.claim_next(ACCOUNT)
    ledger.fail(IPR_KEY, "registration number unknown")
    ledger.add([complaint_entry("c-1", depends_on=IPR_KEY)])
    return "c-1"


# Moves from a source that put_in does not make: (source, target, set-up returning the key, call).
SET_UP_MOVES: list[tuple[State, State, Callable[[Ledger], str], Callable[[Ledger, str], object]]] = [
    ("pending", "blocked", pending_complaint_on_a_failed_ipr, lambda lg, k: lg.claim_next(ACCOUNT)),
    ("needs_human", "pending", parked, lambda lg, k: lg.retry(k)),
    ("needs_human", "cancelled", parked, lambda lg, k: lg.cancel(k, "not wanted")),
]


@pytest.mark.parametrize(("source", "target", "set_up", "call"), SET_UP_MOVES, ids=lambda v: str(v))
def test_each_named_call_makes_its_move_from_its_own_source(
    ledger: Ledger,
    source: State,
    target: State,
    set_up: Callable[[Ledger], str],
    call: Callable[[Ledger, str], object],
) -> None:
    """The calls make their moves from a parked entry, and claim_next blocks a complaint on a failed IPR."""
    key = set_up(ledger)
    assert state_of(ledger, key) == source
    call(ledger, key)
    assert state_of(ledger, key) == target


@pytest.mark.parametrize(("source", "target", "max_attempts", "call"), NAMED_MOVES, ids=lambda v: str(v))
def test_each_named_call_makes_its_move(
    make_ledger: Callable[..., Ledger],
    source: State,
    target: State,
    max_attempts: int,
    call: Callable[[Ledger, str], object],
) -> None:
    """The worker's calls make the moves the docstring says they make."""
    ledger = make_ledger(max_attempts)
    key = put_in(ledger, source)
    call(ledger, key)
    assert state_of(ledger, key) == target


def test_named_calls_cover_every_legal_move_but_pending_to_waiting() -> None:
    """Between them the named calls make every legal move (pending -> waiting is claim_next's)."""
    made = {(source, target) for source, target, _, _ in NAMED_MOVES + SET_UP_MOVES}
    legal = {(s, t) for s, targets in LEGAL.items() for t in targets}
    assert legal - made == {("pending", "waiting")}


@pytest.mark.parametrize(
    ("state", "call"),
    [
        ("claimed", lambda lg, k: lg.confirm(k, "IPR-1")),  # not submitted: only with existing=True
        ("unknown", lambda lg, k: lg.give_up(k, "tired")),  # may be on the portal: reconcile it
        ("pending", lambda lg, k: lg.mark_submitting(k)),
        ("submitting", lambda lg, k: lg.retry_later(k, "x", 1)),  # never retried after the click
        ("confirmed", lambda lg, k: lg.fail(k, "late")),
        ("submitting", lambda lg, k: lg.park(k, "slider")),  # clicked already: not a human check
        ("pending", lambda lg, k: lg.retry(k)),
        ("blocked", lambda lg, k: lg.retry(k)),  # it goes on by itself once its IPR is approved
        ("needs_human", lambda lg, k: lg.retry(k)),  # cannot tell: may be on the portal, resolve it
        ("needs_human", lambda lg, k: lg.cancel(k, "tired")),
        ("pending", lambda lg, k: lg.resolve(k, None)),
        ("failed", lambda lg, k: lg.resolve(k, "IPR-1")),
        ("claimed", lambda lg, k: lg.cancel(k, "tired")),  # a run has it
        ("submitting", lambda lg, k: lg.cancel(k, "tired")),
        ("unknown", lambda lg, k: lg.cancel(k, "tired")),
        ("confirmed", lambda lg, k: lg.cancel(k, "tired")),  # filed: withdraw it on the portal
        ("cancelled", lambda lg, k: lg.cancel(k, "again")),
        ("waiting", lambda lg, k: lg.retry(k)),
    ],
)
def test_named_calls_refuse_moves_outside_their_own(
    ledger: Ledger, state: State, call: Callable[[Ledger, str], object]
) -> None:
    """A named call refuses a source state it does not handle, even where LEGAL has a move."""
    key = put_in(ledger, state)
    with pytest.raises(IllegalTransition):
        call(ledger, key)
    assert state_of(ledger, key) == state


def test_every_move_is_audited(ledger: Ledger) -> None:
    """Each change leaves a transitions row with from, to, time and detail."""
    ledger.add([ipr_entry(key="e-1")])
    ledger.claim_next(ACCOUNT, later(5))
    ledger.retry_later("e-1", "portal timeout", 60, now=later(10))
    steps = [(t.from_state, t.to_state, t.at, t.detail) for t in ledger.history("e-1")]
    assert steps == [
        (None, "pending", T0, "added from b.yaml:iprs[0]"),
        ("pending", "claimed", later(5), "attempt 1 by None"),
        ("claimed", "pending", later(10), "portal timeout"),
    ]


def test_confirm_needs_a_reference_and_reconcile_cannot_have_it_both_ways(ledger: Ledger) -> None:
    """A confirmation without the portal's reference, or found-and-absent, is refused."""
    key = put_in(ledger, "unknown")
    with pytest.raises(LedgerError, match="reference"):
        ledger.confirm(key, " ")
    with pytest.raises(LedgerError, match="at once"):
        ledger.reconcile(key, "IPR-1", proof_absent=True)
    assert state_of(ledger, key) == "unknown"


def test_unknown_keys_are_named(ledger: Ledger) -> None:
    """Asking for an entry the ledger does not hold raises UnknownEntry with the key."""
    with pytest.raises(UnknownEntry, match="nope"):
        ledger.fail("nope", "x")


# Stale writers --------------------------------------------------------------------------


def test_a_stale_worker_holding_an_old_version_is_refused(make_ledger: Callable[..., Ledger]) -> None:
    """A worker whose entry was recovered and claimed by another cannot move it any more."""
    first, second = make_ledger(), make_ledger()
    first.add([ipr_entry(key="e-1")])
    assert first.acquire_lease(ACCOUNT, "run-1", ttl_s=60, now=T0)
    mine = first.claim_next(ACCOUNT, T0, holder="run-1")
    assert mine is not None
    assert second.acquire_lease(ACCOUNT, "run-2", ttl_s=60, now=later(61))
    second.recover_stale(later(61))
    theirs = second.claim_next(ACCOUNT, later(62), holder="run-2")
    assert theirs is not None and theirs.state == "claimed"
    with pytest.raises(StaleEntry, match="version"):
        first.mark_submitting("e-1", version=mine.version, now=later(63))
    assert second.get("e-1") == theirs


def test_the_conditional_update_refuses_a_row_read_before_another_write(ledger: Ledger) -> None:
    """The one UPDATE every move goes through matches on state and version, checking rowcount."""
    ledger.add([ipr_entry(key="e-1")])
    with ledger.engine.connect() as conn:
        stale_row = ledger_module._get(conn, "e-1")
    ledger.claim_next(ACCOUNT)
    with pytest.raises(StaleEntry, match="someone else"), ledger.engine.begin() as conn:
        ledger_module._move(conn, stale_row, "waiting", T0, "stale")
    assert state_of(ledger, "e-1") == "claimed"


def test_submitting_after_the_lease_ran_out_is_refused(ledger: Ledger) -> None:
    """No submit click without a live lease: mark_submitting raises LeaseNotHeld."""
    ledger.add([ipr_entry(key="e-1")])
    ledger.acquire_lease(ACCOUNT, "run-1", ttl_s=60, now=T0)
    ledger.claim_next(ACCOUNT, T0, holder="run-1")
    with pytest.raises(LeaseNotHeld):
        ledger.mark_submitting("e-1", now=later(60))
    assert state_of(ledger, "e-1") == "claimed"


# Adding ---------------------------------------------------------------------------------


def test_add_is_idempotent_by_key(ledger: Ledger) -> None:
    """Adding the same entries again adds nothing and leaves their state alone."""
    entries = [ipr_entry(), complaint_entry("c-1"), complaint_entry("c-2")]
    assert ledger.add(entries) == (3, 0)
    ledger.claim_next(ACCOUNT)
    assert ledger.add(entries) == (0, 3)
    assert ledger.counts()["claimed"] == 1
    assert ledger.add([complaint_entry("c-3"), complaint_entry("c-3")]) == (1, 1)


def test_add_is_all_or_nothing(ledger: Ledger) -> None:
    """If adding fails part-way, none of the entries is in the ledger."""

    def entries() -> Iterator[Entry]:
        yield ipr_entry()
        yield complaint_entry("c-1")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        ledger.add(entries())
    assert ledger.rows() == []
    assert sum(ledger.counts().values()) == 0


# Claiming -------------------------------------------------------------------------------


def test_claims_come_oldest_first_and_count_attempts(ledger: Ledger) -> None:
    """claim_next hands out entries in the order they were added, one attempt each."""
    ledger.add([complaint_entry("c-1"), complaint_entry("c-2")])
    ledger.add([complaint_entry("c-3")])
    claimed = [ledger.claim_next(ACCOUNT) for _ in range(4)]
    assert [c.key if c else None for c in claimed] == ["c-1", "c-2", "c-3", None]
    assert all(c.attempts == 1 and c.account == ACCOUNT for c in claimed if c)


def test_retry_later_backs_off_until_next_attempt_at(ledger: Ledger) -> None:
    """An entry retried later is not handed out again before its next attempt is due."""
    ledger.add([complaint_entry("c-1"), complaint_entry("c-2")])
    ledger.claim_next(ACCOUNT, T0)
    ledger.retry_later("c-1", "portal timeout", 120, now=later(1))
    assert ledger.next_due(ACCOUNT) == T0  # c-2 is due already
    assert (ledger.claim_next(ACCOUNT, later(2)) or pytest.fail()).key == "c-2"
    assert ledger.next_due(ACCOUNT) == later(121)
    assert ledger.claim_next(ACCOUNT, later(120)) is None
    again = ledger.claim_next(ACCOUNT, later(121))
    assert again is not None and (again.key, again.attempts, again.error) == ("c-1", 2, "portal timeout")


def test_attempts_run_out_into_dead_saying_why(make_ledger: Callable[..., Ledger]) -> None:
    """After max_attempts transient failures the entry is dead, with the last error."""
    ledger = make_ledger(max_attempts=2)
    ledger.add([complaint_entry("c-1")])
    for _ in range(2):
        ledger.claim_next(ACCOUNT)
        record = ledger.retry_later("c-1", "HTTP 503", 0)
    assert record.state == "dead"
    assert record.error == "gave up after 2 attempts; last: HTTP 503"


def test_entries_pinned_to_an_account_go_only_to_it(ledger: Ledger) -> None:
    """An entry added for one account is not claimed by another account's worker."""
    ledger.add([complaint_entry("c-1")], account="other@example.com")
    assert ledger.claim_next(ACCOUNT) is None
    assert (ledger.claim_next("other@example.com") or pytest.fail()).key == "c-1"


def test_claiming_for_a_holder_needs_its_live_lease(ledger: Ledger) -> None:
    """claim_next(holder=...) refuses a worker that does not hold the account's lease."""
    ledger.add([complaint_entry("c-1")])
    with pytest.raises(LeaseNotHeld):
        ledger.claim_next(ACCOUNT, holder="run-1")
    ledger.acquire_lease(ACCOUNT, "run-1", 60)
    assert (ledger.claim_next(ACCOUNT, holder="run-1") or pytest.fail()).claimed_by == "run-1"


# Waiting complaints ---------------------------------------------------------------------


def test_a_complaint_waits_until_its_ipr_is_approved(ledger: Ledger) -> None:
    """A complaint whose IPR is pending, or confirmed but not yet approved, waits; approval wakes it."""
    ipr_key = "ipr:trademark:CN:30612345"
    ledger.add([complaint_entry("c-1", depends_on=ipr_key), ipr_entry()])
    assert (ledger.claim_next(ACCOUNT) or pytest.fail()).key == ipr_key
    assert state_of(ledger, "c-1") == "waiting"
    assert "waiting for IPR ipr:trademark:CN:30612345" in (ledger.get("c-1").error or "")
    ledger.confirm(ipr_key, "IPR-1", existing=True)
    ledger.set_portal_status(ipr_key, "pending_review")
    assert ledger.claim_next(ACCOUNT) is None
    ledger.set_portal_status(ipr_key, "approved")
    assert state_of(ledger, "c-1") == "pending"
    assert (ledger.claim_next(ACCOUNT) or pytest.fail()).key == "c-1"


def test_a_complaint_waits_on_an_ipr_known_by_registration_number(ledger: Ledger) -> None:
    """depends_on may be the IPR's registration number, matched against IPR entries."""
    ledger.add([ipr_entry(key="my-tm"), complaint_entry("c-1", depends_on="30612345")])
    ledger.claim_next(ACCOUNT)
    assert ledger.claim_next(ACCOUNT) is None
    assert state_of(ledger, "c-1") == "waiting"


def test_a_complaint_whose_ipr_the_ledger_does_not_hold_goes_ahead(ledger: Ledger) -> None:
    """An IPR not in the ledger is taken to be on the portal already; the flow checks it."""
    ledger.add([complaint_entry("c-1", depends_on="7777777")])
    assert (ledger.claim_next(ACCOUNT) or pytest.fail()).key == "c-1"


def test_only_confirmed_entries_get_a_review_status(ledger: Ledger) -> None:
    """set_portal_status refuses an entry the portal has not confirmed."""
    ledger.add([ipr_entry(key="e-1")])
    with pytest.raises(LedgerError, match="only a confirmed entry"):
        ledger.set_portal_status("e-1", "approved")


# Leases ---------------------------------------------------------------------------------


def test_a_lease_is_exclusive_until_it_expires(ledger: Ledger) -> None:
    """Only one holder has an account's lease; another takes it over once it has expired."""
    assert ledger.acquire_lease(ACCOUNT, "run-1", ttl_s=60, now=T0)
    assert not ledger.acquire_lease(ACCOUNT, "run-2", ttl_s=60, now=later(59))
    assert ledger.acquire_lease(ACCOUNT, "run-1", ttl_s=60, now=later(59))  # extends its own
    assert not ledger.acquire_lease(ACCOUNT, "run-2", ttl_s=60, now=later(118))
    assert ledger.acquire_lease(ACCOUNT, "run-2", ttl_s=60, now=later(119))
    assert ledger.acquire_lease("other@example.com", "run-1", ttl_s=60, now=later(119))


def test_only_the_live_holder_renews_or_releases(ledger: Ledger) -> None:
    """Renewal needs the live lease; release needs the holder; then anyone may take it."""
    ledger.acquire_lease(ACCOUNT, "run-1", ttl_s=60, now=T0)
    assert ledger.renew_lease(ACCOUNT, "run-1", ttl_s=60, now=later(30))
    assert not ledger.renew_lease(ACCOUNT, "run-2", ttl_s=60, now=later(30))
    assert not ledger.renew_lease(ACCOUNT, "run-1", ttl_s=60, now=later(90))  # expired at 90
    assert not ledger.release_lease(ACCOUNT, "run-2")
    assert ledger.release_lease(ACCOUNT, "run-1")
    assert ledger.acquire_lease(ACCOUNT, "run-2", ttl_s=60, now=later(31))


def test_two_ledgers_on_one_file_share_the_lease(make_ledger: Callable[..., Ledger]) -> None:
    """Two runs (two connections to one file) cannot both hold an account."""
    first, second = make_ledger(), make_ledger()
    assert first.acquire_lease(ACCOUNT, "run-1", ttl_s=60, now=T0)
    assert not second.acquire_lease(ACCOUNT, "run-2", ttl_s=60, now=T0)


# Recovering what a lost worker left -----------------------------------------------------


def test_recover_stale_hands_back_a_lost_workers_entries(ledger: Ledger) -> None:
    """claimed goes back to pending; submitting becomes unknown (it may have been clicked)."""
    ledger.add([complaint_entry("c-1"), complaint_entry("c-2")])
    ledger.acquire_lease(ACCOUNT, "run-1", ttl_s=60, now=T0)
    ledger.claim_next(ACCOUNT, T0, holder="run-1")
    ledger.mark_submitting("c-1", now=later(1))
    ledger.claim_next(ACCOUNT, later(2), holder="run-1")
    assert ledger.recover_stale(later(59)) == []
    moved = {r.key: r for r in ledger.recover_stale(later(60))}
    assert (moved["c-1"].state, moved["c-2"].state) == ("unknown", "pending")
    assert "may be on the portal" in (moved["c-1"].error or "")
    assert "before the submit click" in (moved["c-2"].error or "")
    assert ledger.in_doubt(ACCOUNT)[0].key == "c-1"


def test_recover_stale_after_a_takeover(ledger: Ledger) -> None:
    """Entries claimed under a lease another run has since taken over are recovered."""
    ledger.add([complaint_entry("c-1")])
    ledger.acquire_lease(ACCOUNT, "run-1", ttl_s=60, now=T0)
    ledger.claim_next(ACCOUNT, T0, holder="run-1")
    ledger.acquire_lease(ACCOUNT, "run-2", ttl_s=60, now=later(61))
    assert [r.key for r in ledger.recover_stale(later(62))] == ["c-1"]


def test_recover_stale_leaves_a_live_workers_entries_alone(ledger: Ledger) -> None:
    """While the claiming worker's lease is live, its entries stay where they are."""
    ledger.add([complaint_entry("c-1")])
    ledger.acquire_lease(ACCOUNT, "run-1", ttl_s=60, now=T0)
    ledger.claim_next(ACCOUNT, T0, holder="run-1")
    ledger.renew_lease(ACCOUNT, "run-1", ttl_s=60, now=later(50))
    assert ledger.recover_stale(later(100)) == []
    assert state_of(ledger, "c-1") == "claimed"


def test_an_entry_handed_back_after_a_crash_goes_behind_the_others(ledger: Ledger) -> None:
    """A run killed on an entry, again and again, spreads the lost attempts over the batch:
    no entry dies of kills it did not cause, and every entry is claimed once before any twice."""
    ledger.add([complaint_entry(f"c-{i}") for i in range(3)])
    claimed = []
    for crash in range(6):  # six runs, each killed right after its first claim
        at = later(crash * 100)
        ledger.recover_stale(at)
        ledger.acquire_lease(ACCOUNT, f"run-{crash}", ttl_s=60, now=at)
        record = ledger.claim_next(ACCOUNT, at, holder=f"run-{crash}")
        assert record is not None
        claimed.append(record.key)
    assert claimed == ["c-0", "c-1", "c-2"] * 2
    ledger.recover_stale(later(1000))
    assert {state_of(ledger, f"c-{i}") for i in range(3)} == {"pending"}


def test_a_poison_entry_still_dies_after_max_attempts(make_ledger: Callable[..., Ledger]) -> None:
    """Alone in the line (it crashes every run), an entry is given up after max_attempts claims."""
    ledger = make_ledger(max_attempts=3)
    ledger.add([complaint_entry("c-0")])
    for crash in range(3):
        at = later(crash * 100)
        ledger.recover_stale(at)
        ledger.acquire_lease(ACCOUNT, f"run-{crash}", ttl_s=60, now=at)
        assert ledger.claim_next(ACCOUNT, at, holder=f"run-{crash}") is not None
    ledger.recover_stale(later(1000))
    assert state_of(ledger, "c-0") == "dead"


def test_recover_stale_leaves_another_accounts_live_run_alone(ledger: Ledger) -> None:
    """A run of one account hands back nothing of a live run of another account in the same ledger."""
    ledger.add([complaint_entry("a-1")], account=ACCOUNT)
    ledger.add([complaint_entry("b-1")], account=OTHER)
    for account, holder in ((ACCOUNT, "run-a"), (OTHER, "run-b")):
        ledger.acquire_lease(account, holder, ttl_s=60, now=T0)
        ledger.claim_next(account, T0, holder=holder)
    ledger.mark_submitting("b-1", now=later(1))
    ledger.renew_lease(OTHER, "run-b", ttl_s=60, now=later(50))
    assert [r.key for r in ledger.recover_stale(later(70))] == ["a-1"]
    assert state_of(ledger, "b-1") == "submitting"


# Several accounts in one ledger ---------------------------------------------------------


def test_in_doubt_lists_only_the_accounts_own_entries(ledger: Ledger) -> None:
    """Each account reconciles only its own unknown entries: another's looked up on it would seem absent."""
    ledger.add([complaint_entry("a-1")], account=ACCOUNT)
    ledger.add([complaint_entry("b-1"), complaint_entry("b-2")], account=OTHER)
    for key, account in (("a-1", ACCOUNT), ("b-1", OTHER), ("b-2", OTHER)):
        claimed = ledger.claim_next(account, T0)
        assert claimed is not None and claimed.key == key
        ledger.mark_submitting(key, now=later(1))
        ledger.mark_unknown(key, "no confirmation", now=later(2))
    assert [r.key for r in ledger.in_doubt(ACCOUNT)] == ["a-1"]
    assert [r.key for r in ledger.in_doubt(OTHER)] == ["b-1", "b-2"]
    assert ledger.in_doubt("nobody@example.com") == []


def test_next_due_sees_only_what_the_account_may_claim(ledger: Ledger) -> None:
    """next_due counts the account's own pending entries and unpinned ones, never another account's."""
    ledger.add([complaint_entry("b-1")], account=OTHER, now=T0)
    assert ledger.next_due(ACCOUNT) is None
    assert ledger.next_due(OTHER) == T0
    ledger.add([complaint_entry("a-1")], account=ACCOUNT, now=T0)
    ledger.claim_next(ACCOUNT, T0)
    ledger.retry_later("a-1", "portal timeout", 300, now=later(1))
    assert ledger.next_due(ACCOUNT) == later(301)
    assert ledger.next_due(OTHER) == T0
    ledger.add([complaint_entry("any-1")], now=later(5))  # pinned to no account: either may claim it
    assert ledger.next_due(ACCOUNT) == later(5)


# Status and storage ---------------------------------------------------------------------


def test_status_rows_and_counts(ledger: Ledger) -> None:
    """rows() gives what `ippbot status --json` prints; counts() lists every state."""
    ledger.add([ipr_entry(key="e-1"), complaint_entry("c-1")])
    ledger.claim_next(ACCOUNT)
    ledger.fail("e-1", "registration number unknown")
    row = ledger.rows()[0].model_dump(mode="json")
    assert {"key", "kind", "state", "attempts", "portal_ref", "error"} <= set(row)
    assert (row["key"], row["state"], row["attempts"]) == ("e-1", "failed", 1)
    assert row["error"] == "registration number unknown"
    counts = ledger.counts()
    assert list(counts) == list(STATES)
    assert (counts["failed"], counts["pending"], sum(counts.values())) == (1, 1, 2)


def test_payloads_come_back_as_the_models_they_went_in_as(ledger: Ledger) -> None:
    """What is stored as JSON is read back as the same Ipr or Complaint."""
    entries = [ipr_entry(key="e-1"), complaint_entry("c-1", depends_on="e-1")]
    ledger.add(entries)
    assert [ledger.get(e.key).entry for e in entries] == entries


def test_the_ledger_file_is_wal_with_synchronous_full(tmp_path: Path) -> None:
    """On SQLite the ledger runs WAL, synchronous=FULL, a busy timeout and foreign keys."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    ledger.add([ipr_entry()])
    with sqlite3.connect(tmp_path / "ledger.sqlite3") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with ledger.engine.connect() as conn:
        pragma = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("synchronous", "busy_timeout", "foreign_keys")
        }
    assert pragma == {"synchronous": 2, "busy_timeout": 30_000, "foreign_keys": 1}  # 2 is FULL
    ledger.close()


@pytest.mark.postgres
def test_on_postgres_every_transaction_holds_the_ledger_lock() -> None:
    """On PostgreSQL a transaction of the ledger holds its advisory lock: another one waits for it, as on SQLite."""
    with fresh_database() as url, Ledger(url) as ledger:
        other = create_engine(url, connect_args={"options": "-c lock_timeout=200"})
        try:
            with ledger.engine.begin(), other.connect() as waiting, \
                    pytest.raises(OperationalError, match="lock timeout"):
                waiting.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LEDGER_LOCK})")
            with other.connect() as free:  # the ledger's transaction is over: the lock is free again
                free.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LEDGER_LOCK})")
        finally:
            other.dispose()


def test_open_puts_the_ledger_in_the_data_dir(tmp_path: Path) -> None:
    """Ledger.open creates DATA_DIR and the ledger file in it."""
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    with Ledger.open(settings) as opened:
        opened.add([ipr_entry()])
    assert (tmp_path / "data" / "ledger.sqlite3").is_file()


def test_open_on_an_unusable_data_dir_is_an_environment_problem(tmp_path: Path) -> None:
    """A data dir that cannot be created is reported with a fix (exit code 3)."""
    (tmp_path / "file").write_text("not a folder")
    settings = Settings(_env_file=None, data_dir=tmp_path / "file" / "data")  # type: ignore[call-arg]
    with pytest.raises(EnvironmentProblem, match="IPPBOT_DATA_DIR"):
        Ledger.open(settings)


def test_open_on_a_database_that_does_not_answer_is_one_line_without_its_password() -> None:
    """IPPBOT_LEDGER_URL naming a database that does not answer: an environment problem (exit 3) with the fix,
    the URL shown without its password."""
    settings = Settings(_env_file=None, ledger_url="postgresql+psycopg://ippbot:s3cret-pw@127.0.0.1:9/fleet")  # type: ignore[call-arg]
    with pytest.raises(EnvironmentProblem, match="IPPBOT_LEDGER_URL") as refused:
        Ledger.open(settings)
    assert "postgresql+psycopg://ippbot:***@127.0.0.1:9/fleet" in str(refused.value)
    assert "s3cret-pw" not in str(refused.value)


@pytest.mark.postgres
def test_open_on_postgres_makes_the_ledger_there(tmp_path: Path) -> None:
    """IPPBOT_LEDGER_URL names the fleet's PostgreSQL database: the ledger lives there, not in the data dir."""
    with fresh_database() as url:
        settings = Settings(_env_file=None, ledger_url=url, data_dir=tmp_path / "data")  # type: ignore[call-arg]
        with Ledger.open(settings) as opened:
            opened.add([ipr_entry()])
            assert opened.engine.dialect.name == "postgresql"
        with Ledger.open(settings) as again:
            assert again.counts()["pending"] == 1
    assert not (tmp_path / "data" / "ledger.sqlite3").exists()


def test_naive_times_are_refused(ledger: Ledger) -> None:
    """Times must be aware; a naive datetime is a bug in the caller, not local time."""
    with pytest.raises(ValueError, match="aware"):
        ledger.claim_next(ACCOUNT, datetime(2026, 3, 1, 22, 0))


def test_entries_pinned_to_an_email_typed_in_capitals_are_still_that_accounts(ledger: Ledger) -> None:
    """A ledger written when IPPBOT_EMAIL was `Brand@Example.com` is worked by `brand@example.com`."""
    ledger.add([complaint_entry("c-1"), complaint_entry("c-2")], account="Brand@Example.COM")
    ledger.acquire_lease(ACCOUNT, "run-1", ttl_s=60, now=T0)
    assert ledger.next_due(ACCOUNT) == T0
    first = ledger.claim_next(ACCOUNT, T0, holder="run-1")
    assert first is not None and first.key == "c-1"
    ledger.mark_submitting("c-1", now=later(1))
    ledger.mark_unknown("c-1", "cut off", now=later(2))
    assert [r.key for r in ledger.in_doubt(ACCOUNT)] == ["c-1"]
    assert ledger.in_doubt(OTHER) == []

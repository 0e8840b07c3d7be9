"""Fencing: a lease's token grows with each new holder, and a worker with an older token can neither submit, renew
nor send its post; the fleet's heartbeats; on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_ledger import ACCOUNT, T0, ipr_entry, later, ledger_url, make_ledger, state_of  # noqa: F401 (fixtures)

from bot.errors import LeaseNotHeld, StaleEntry
from bot.store.ledger import Ledger

pytestmark = pytest.mark.unit

A, B = "run a on host-a pid 1", "run b on host-b pid 2"


@pytest.fixture
def book(make_ledger: Callable[..., Ledger]) -> Ledger:  # noqa: F811 (the fixture imported above)
    """A ledger on each back end, its clock stopped at T0."""
    return make_ledger()


def submitting(ledger: Ledger, key: str, holder: str, token: int) -> int:
    """Claim `key` for `holder` and commit `submitting` with `token`: the entry's version."""
    ledger.add([ipr_entry(key=key)])
    record = ledger.claim_next(ACCOUNT, T0, holder=holder)
    assert record is not None and record.key == key
    return ledger.mark_submitting(key, version=record.version, token=token, now=T0).version


def test_the_token_grows_only_when_the_lease_changes_hands(book: Ledger) -> None:
    """Taking a lease gives token 1; the same holder keeps it; the next holder after expiry or release gets more."""
    assert book.acquire_lease(ACCOUNT, A, 60, now=T0) == 1
    assert book.acquire_lease(ACCOUNT, A, 60, now=later(30)) == 1
    assert book.acquire_lease(ACCOUNT, B, 60, now=later(30)) is None
    assert book.acquire_lease(ACCOUNT, B, 60, now=later(91)) == 2
    assert book.release_lease(ACCOUNT, B)
    assert book.lease_holder(ACCOUNT, now=later(92)) is None
    assert book.acquire_lease(ACCOUNT, A, 60, now=later(92)) == 3


def test_a_lapsed_lease_nobody_took_is_renewed_with_its_token(book: Ledger) -> None:
    """A run that waited past its lease renews it while no one took it since; once someone did, it cannot."""
    token = book.acquire_lease(ACCOUNT, A, 60, now=T0)
    assert token is not None
    assert book.renew_lease(ACCOUNT, A, 60, now=later(100), token=token)
    assert book.lease_holder(ACCOUNT, now=later(150)) == A
    assert book.acquire_lease(ACCOUNT, B, 60, now=later(161)) == token + 1
    assert not book.renew_lease(ACCOUNT, A, 60, now=later(162), token=token)
    assert book.release_lease(ACCOUNT, B)
    assert not book.renew_lease(ACCOUNT, A, 60, now=later(163), token=token)


def test_submitting_with_an_old_token_is_refused(book: Ledger) -> None:
    """A lease taken over and taken back by the same name still refuses the first holder's token."""
    old = book.acquire_lease(ACCOUNT, A, 60, now=T0)
    assert old == 1
    book.add([ipr_entry(key="e-1")])
    record = book.claim_next(ACCOUNT, T0, holder=A)
    assert record is not None
    book.release_lease(ACCOUNT, A)
    assert book.acquire_lease(ACCOUNT, B, 60, now=T0) == 2
    book.release_lease(ACCOUNT, B)
    assert book.acquire_lease(ACCOUNT, A, 60, now=T0) == 3
    with pytest.raises(LeaseNotHeld):
        book.mark_submitting("e-1", version=record.version, token=old, now=T0)
    assert state_of(book, "e-1") == "claimed"


def test_the_fence_lets_the_current_holder_post_and_renews(book: Ledger) -> None:
    """Right before the post, the holder with the current token passes, and its lease runs on from there."""
    token = book.acquire_lease(ACCOUNT, A, 60, now=T0)
    assert token is not None
    version = submitting(book, "e-1", A, token)
    book.fence("e-1", holder=A, token=token, version=version, ttl_s=60, now=later(50))
    assert book.lease_holder(ACCOUNT, now=later(100)) == A


def test_the_fence_stops_a_paused_worker_after_a_takeover(book: Ledger) -> None:
    """A worker paused past its lease: the new holder recovers its entry, and the old one's fence refuses the post."""
    token = book.acquire_lease(ACCOUNT, A, 60, now=T0)
    assert token is not None
    version = submitting(book, "e-1", A, token)
    assert book.acquire_lease(ACCOUNT, B, 60, now=later(61)) == token + 1
    with pytest.raises(LeaseNotHeld):  # before the new holder even moved the entry
        book.fence("e-1", holder=A, token=token, version=version, ttl_s=60, now=later(62))
    assert [r.key for r in book.recover_stale(now=later(62))] == ["e-1"]
    with pytest.raises(LeaseNotHeld):
        book.fence("e-1", holder=A, token=token, version=version, ttl_s=60, now=later(63))
    assert state_of(book, "e-1") == "unknown"


def test_the_fence_refuses_an_entry_moved_meanwhile(book: Ledger) -> None:
    """A lapsed lease nobody took, but the entry recovered meanwhile: the post is refused (StaleEntry), not renewed."""
    token = book.acquire_lease(ACCOUNT, A, 60, now=T0)
    assert token is not None
    version = submitting(book, "e-1", A, token)
    book.recover_stale(now=later(61))
    with pytest.raises(StaleEntry):
        book.fence("e-1", holder=A, token=token, version=version, ttl_s=60, now=later(62))
    assert book.lease_holder(ACCOUNT, now=later(62)) is None  # the refused fence renewed nothing


def test_the_fleet_shows_live_workers_and_what_each_works(book: Ledger) -> None:
    """Workers alive by their heartbeat, each with the accounts its runs hold; a silent or gone worker is not shown."""
    book.beat("host-a pid 1", host="host-a", pid=1, concurrency=2, queue="q", now=T0)
    book.beat("host-b pid 2", host="host-b", pid=2, concurrency=1, queue="q", now=T0)
    book.beat("host-c pid 3", host="host-c", pid=3, concurrency=1, queue="q", now=later(-100))
    book.acquire_lease(ACCOUNT, A, 60, now=T0)
    book.acquire_lease("other@example.com", "run c on host-a pid 1", 60, now=T0)
    fleet = book.fleet(30, now=later(5))
    assert [(w.name, w.accounts) for w in fleet] == [
        ("host-a pid 1", ("brand@example.com", "other@example.com")), ("host-b pid 2", ())]
    book.beat("host-b pid 2", host="host-b", pid=2, concurrency=1, queue="q", now=later(20))
    book.worker_gone("host-a pid 1")
    assert [w.name for w in book.fleet(30, now=later(40))] == ["host-b pid 2"]

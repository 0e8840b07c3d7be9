"""Back-off of entries put back in line: it doubles with the attempts, across runs, and heads of the line are known."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.models import Entry, Ipr
from bot.retry import next_attempt_delay
from bot.run.backoff import Backoff
from bot.settings import Settings
from bot.store.ledger import Ledger

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ACCOUNT = "brand@example.com"


def settings(base: float = 1.0, cap: float = 60.0) -> Settings:
    return Settings(_env_file=None, retry_base_s=base, retry_max_s=cap)


def entry(number: str) -> Entry:
    ipr = Ipr(type="trademark", name="ACME", registration_number=number, registration_place="CN",
              rights_holder="Demo Brand Ltd", expiration_date="2034-05-01",  # type: ignore[arg-type]
              classes=(9,), documents=(Path("/docs/certificate.pdf"),))
    return Entry(key=f"ipr:{number}", kind="ipr", payload=ipr, source="b.yaml:iprs[0]")


@given(attempts=st.integers(min_value=1, max_value=30), seed=st.integers())
def test_each_wait_is_between_half_and_all_of_its_ceiling(attempts: int, seed: int) -> None:
    """The wait after attempt n lies between half and all of min(cap, base * 2**n)."""
    ceiling = min(60.0, 2.0**attempts)
    assert ceiling / 2 <= next_attempt_delay(attempts, settings(), random.Random(seed)) <= ceiling


def test_five_attempts_span_more_than_a_ten_second_outage() -> None:
    """Whatever the dice, the four waits before a fifth attempt add up to more than ten seconds (base 1 s)."""
    for seed in range(200):
        rng = random.Random(seed)
        assert sum(next_attempt_delay(n, settings(), rng) for n in range(1, 5)) >= 15 / 1


def test_every_run_computes_the_same_wait_for_an_entry() -> None:
    """The wait is drawn from the entry's key and attempts, so a later run finds the same moment."""
    assert Backoff(settings()).delay("ipr:1", 3) == Backoff(settings()).delay("ipr:1", 3)
    assert Backoff(settings()).delay("ipr:1", 3) != Backoff(settings()).delay("ipr:2", 3)


def put_back_absent(ledger: Ledger, key: str, at: datetime) -> None:
    """The ledger's moves for an entry whose click went unanswered and which the portal proved absent."""
    assert ledger.acquire_lease(ACCOUNT, "run", 300, now=at)
    record = ledger.claim_next(ACCOUNT, now=at, holder="run")
    assert record is not None and record.key == key
    ledger.mark_submitting(key, now=at)
    ledger.mark_unknown(key, "no confirmation after the submit: the portal answered 503", now=at)
    ledger.reconcile(key, None, proof_absent=True, now=at + timedelta(seconds=1))
    ledger.release_lease(ACCOUNT, "run")


def test_a_later_run_learns_the_back_off_of_an_entry_proven_absent(tmp_path: Path) -> None:
    """An entry an earlier run proved absent after its click waits its back-off once it heads the line;
    until then the entry ahead of it goes first."""
    with Ledger(f"sqlite:///{tmp_path / 'l.sqlite3'}", clock=lambda: T0) as ledger:
        ledger.add([entry("1"), entry("2")], account=ACCOUNT, now=T0)
        put_back_absent(ledger, "ipr:1", T0)
        backoff = Backoff(settings())
        backoff.load(ledger, ACCOUNT)
        assert list(backoff.entries) == ["ipr:1"]
        assert backoff.at(due(ledger)) is None  # ipr:2 heads the line, and may go
        ledger.give_up("ipr:2", "out of the way", now=T0)
        head = backoff.at(due(ledger))
        assert head is not None and head.key == "ipr:1"
        assert head.not_before == T0 + timedelta(seconds=1 + backoff.delay("ipr:1", 1))


def test_a_claimed_entry_is_forgotten(tmp_path: Path) -> None:
    """Once claimed again, an entry no longer heads the line as one backing off."""
    with Ledger(f"sqlite:///{tmp_path / 'l.sqlite3'}", clock=lambda: T0) as ledger:
        ledger.add([entry("1")], account=ACCOUNT, now=T0)
        put_back_absent(ledger, "ipr:1", T0)
        backoff = Backoff(settings())
        put_back = backoff.proven_absent(ledger.get("ipr:1"), put_back_at=T0)
        assert backoff.at(put_back.due) == put_back
        backoff.claimed("ipr:1")
        assert backoff.at(put_back.due) is None


def due(ledger: Ledger) -> datetime:
    moment = ledger.next_due(ACCOUNT)
    assert moment is not None
    return moment

"""The portal's Retry-After holds for the whole account and across runs: kept in the ledger, honoured by every run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ledger_entries import complaint_entry, ipr_entry

from bot.errors import LeaseNotHeld
from bot.run.runner import Runner, RunOptions
from bot.settings import Settings
from bot.store.ledger import Ledger

pytestmark = pytest.mark.unit

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
ACCOUNT = "brand@example.com"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", clock=lambda: T0) as opened:
        yield opened


def test_a_wait_is_kept_until_it_is_over_and_only_a_longer_one_replaces_it(ledger: Ledger) -> None:
    """Kept for the account alone; a shorter word does not shorten it; once over, it is forgotten."""
    ledger.hold_off(ACCOUNT, T0 + timedelta(seconds=120), "429, Retry-After 120")
    ledger.hold_off(ACCOUNT, T0 + timedelta(seconds=30), "429, Retry-After 30")
    held = ledger.held_off(ACCOUNT)
    assert held is not None and (held.until, held.reason) == (T0 + timedelta(seconds=120), "429, Retry-After 120")
    assert ledger.held_off("other@example.com") is None
    ledger.hold_off(ACCOUNT, T0 + timedelta(seconds=600), "maintenance, Retry-After 600")
    assert ledger.held_off(ACCOUNT, T0 + timedelta(seconds=599)) is not None
    assert ledger.held_off(ACCOUNT, T0 + timedelta(seconds=600)) is None
    assert ledger.held_off(ACCOUNT) is None  # forgotten once over


def runner(tmp_path: Path, ledger: Ledger, sleeps: list[float], max_wait_s: float) -> Runner:
    settings = Settings(_env_file=None, data_dir=tmp_path, email=ACCOUNT)  # type: ignore[call-arg]
    return Runner(settings, ledger, RunOptions(sleep=sleeps.append, max_wait_s=max_wait_s))


def test_the_next_run_honours_a_wait_the_last_one_was_given(tmp_path: Path) -> None:
    """A short wait is waited out before anything is sent; a long one ends the run (it sends nothing)."""
    with Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as ledger:
        ledger.hold_off(ACCOUNT, datetime.now(UTC) + timedelta(seconds=40), "429")
        sleeps: list[float] = []
        waiting = runner(tmp_path, ledger, sleeps, max_wait_s=300)
        token = ledger.acquire_lease(ACCOUNT, waiting.holder, 300)  # as the run holds it
        assert token is not None
        waiting.token = token
        assert waiting._portal_lets_us()
        [waited] = sleeps
        assert 35 < waited <= 40
        ledger.hold_off(ACCOUNT, datetime.now(UTC) + timedelta(hours=2), "maintenance")
        later: list[float] = []
        assert not runner(tmp_path, ledger, later, max_wait_s=300)._portal_lets_us()
        assert later == []


def test_what_a_run_of_an_account_would_find(ledger: Ledger) -> None:
    """`has_work`: an account's entries a run can do something with (and those pinned to none); `has_new`: those
    of a kind never tried. Another account's, or confirmed ones, are nothing to it."""
    other = "other@example.com"
    assert not ledger.has_work(ACCOUNT) and not ledger.has_new(ACCOUNT, "ipr")
    ledger.add([ipr_entry()], account=other)
    assert not ledger.has_work(ACCOUNT) and ledger.has_work(other.upper())
    ledger.add([ipr_entry("ipr:trademark:CN:9", "9")], account=ACCOUNT)
    assert ledger.has_work(ACCOUNT) and ledger.has_new(ACCOUNT, "ipr") and not ledger.has_new(ACCOUNT, "complaint")
    assert ledger.acquire_lease(ACCOUNT, "run 1", 300)
    claimed = ledger.claim_next(ACCOUNT, holder="run 1")
    assert claimed is not None and claimed.key == "ipr:trademark:CN:9"
    assert not ledger.has_new(ACCOUNT, "ipr") and ledger.has_work(ACCOUNT)  # claimed: being worked, not new
    submitting = ledger.mark_submitting(claimed.key, version=claimed.version)
    ledger.confirm(claimed.key, "IPR-000001", version=submitting.version)
    assert not ledger.has_work(ACCOUNT) and ledger.has_work(other)
    ledger.add([complaint_entry("complaint:taobao:a")])  # pinned to no account: any account's run may take it
    assert ledger.has_new(ACCOUNT, "complaint") and ledger.has_new(other, "complaint")


def test_a_run_whose_lease_ran_out_while_it_waited_stops(tmp_path: Path) -> None:
    """After waiting out the portal's word, a run whose lease another run took meanwhile goes no further."""
    with Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as ledger:
        ledger.hold_off(ACCOUNT, datetime.now(UTC) + timedelta(seconds=40), "429")
        sleeps: list[float] = []
        waiting = runner(tmp_path, ledger, sleeps, max_wait_s=300)
        an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
        waiting.token = ledger.acquire_lease(ACCOUNT, waiting.holder, 300, now=an_hour_ago) or 0
        assert ledger.acquire_lease(ACCOUNT, "run other on elsewhere pid 9", 300)  # it lapsed, and was taken
        with pytest.raises(LeaseNotHeld):
            waiting._portal_lets_us()
        assert len(sleeps) == 1


def test_a_run_whose_lapsed_lease_nobody_took_goes_on(tmp_path: Path) -> None:
    """A wait of about the lease's length lets it lapse: while no other run took it, the run renews it and goes on."""
    with Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as ledger:
        ledger.hold_off(ACCOUNT, datetime.now(UTC) + timedelta(seconds=40), "429")
        sleeps: list[float] = []
        waiting = runner(tmp_path, ledger, sleeps, max_wait_s=300)
        an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
        waiting.token = ledger.acquire_lease(ACCOUNT, waiting.holder, 300, now=an_hour_ago) or 0
        assert ledger.lease_holder(ACCOUNT) is None  # lapsed
        assert waiting._portal_lets_us()
        assert ledger.lease_holder(ACCOUNT) == waiting.holder

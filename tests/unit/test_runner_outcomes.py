"""How the runner moves an entry whose attempt failed before its click: back in line after a growing
back-off, failed for good, or parked for a person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.errors import NeedsHuman, PortalMaintenance, PortalRejected, PortalServerError, RateLimited
from bot.models import Entry, Ipr
from bot.run.runner import Runner, RunOptions
from bot.settings import Settings
from bot.store.ledger import Ledger

pytestmark = pytest.mark.unit

KEY = "ipr:trademark:CN:30612345"


def entry() -> Entry:
    ipr = Ipr(type="trademark", name="ACME", registration_number="30612345", registration_place="CN",
              rights_holder="Demo Brand Ltd", expiration_date="2034-05-01",  # type: ignore[arg-type]
              classes=(9,), documents=(Path("/docs/certificate.pdf"),))
    return Entry(key=KEY, kind="ipr", payload=ipr, source="b.yaml:iprs[0]")


def failed_with(tmp_path: Path, error: Exception) -> Any:
    """The ledger's record of the entry after an attempt that ended with `error` before the click."""
    settings = Settings(_env_file=None, data_dir=tmp_path, retry_base_s=2, retry_max_s=100)
    with Ledger.open(settings) as ledger:
        ledger.add([entry()], account=settings.email)
        assert ledger.acquire_lease(settings.email, "test", 300)
        claimed = ledger.claim_next(settings.email, holder="test")
        assert claimed is not None
        runner = Runner(settings, ledger, RunOptions(on_failure=lambda _page, _exc: None))
        runner._failed(claimed, {"version": claimed.version}, error, page=None)  # type: ignore[arg-type]
        return ledger.get(KEY)


def test_a_transient_error_puts_the_entry_back_after_its_back_off(tmp_path: Path) -> None:
    """A 503 before the click puts the entry back, due after at least half its first back-off (2 s * 2 / 2)."""
    before = datetime.now(UTC)
    record = failed_with(tmp_path, PortalServerError("the portal answered 503", status=503))
    due = record.next_attempt_at.replace(tzinfo=UTC)
    assert (record.state, record.error) == ("pending", "the portal answered 503")
    assert before + timedelta(seconds=2) <= due <= datetime.now(UTC) + timedelta(seconds=4)


def test_maintenance_waits_at_least_what_the_portal_asks(tmp_path: Path) -> None:
    """The maintenance page's Retry-After is the least an entry put back waits."""
    before = datetime.now(UTC)
    record = failed_with(tmp_path, PortalMaintenance("the portal asks us to come back later (maintenance) (503)",
                                                     retry_after_s=90))
    assert record.next_attempt_at.replace(tzinfo=UTC) >= before + timedelta(seconds=90)


@pytest.mark.parametrize(("error", "reason"), [
    (RateLimited("the portal asks us to slow down (429)", retry_after_s=3599), "429, Retry-After 3599 s"),
    (PortalMaintenance("the portal asks us to come back later (maintenance) (503)", retry_after_s=600),
     "maintenance, Retry-After 600 s"),
])
def test_a_long_retry_after_holds_the_account_with_a_short_reason(tmp_path: Path, error: RateLimited,
                                                                  reason: str) -> None:
    """The account's wait keeps the portal's word in short (what, and its Retry-After), which the run's line and
    `ippbot status` put after "the portal asked this account to wait until ..."."""
    failed_with(tmp_path, error)
    with Ledger.open(Settings(_env_file=None, data_dir=tmp_path)) as ledger:
        held = ledger.held_off(Settings(_env_file=None, data_dir=tmp_path).email)
    assert held is not None and held.reason == reason


def test_a_refusal_fails_the_entry(tmp_path: Path) -> None:
    """The portal's refusal fails the entry for good, with the portal's words."""
    record = failed_with(tmp_path, PortalRejected("Power of attorney: required"))
    assert (record.state, record.error) == ("failed", "Power of attorney: required")


def test_a_human_check_nobody_could_take_parks_the_entry(tmp_path: Path) -> None:
    """A slider nobody could complete parks the entry for a person (`ippbot retry` puts it back), not failed."""
    record = failed_with(tmp_path, NeedsHuman("the portal shows a slider check meant for a person"))
    assert (record.state, record.error) == ("needs_human", "parked: the portal shows a slider check meant for a person")

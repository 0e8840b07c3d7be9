"""Sync: duplicates flagged, review outcomes recorded, and `ippbot sync` on one ledger for every account."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.commands import sync as sync_module
from bot.models import IprStatus
from bot.run.sync import SyncResult
from bot.settings import Settings
from bot.store.ledger import Ledger

pytestmark = pytest.mark.unit


def ipr(reference: str, number: str, status: str = "approved") -> IprStatus:
    return IprStatus(reference=reference, registration_number=number, status=status)


def test_a_registration_number_held_twice_is_flagged() -> None:
    """Two non-draft records with one registration number are reported with both references."""
    result = SyncResult(iprs=[ipr("IPR-000001", "123"), ipr("IPR-000002", "456"), ipr("IPR-000003", "123")])
    assert result.duplicate_iprs == {"123": ["IPR-000001", "IPR-000003"]}


def test_drafts_are_not_duplicates() -> None:
    """A draft beside the filed record is not a duplicate filing."""
    result = SyncResult(iprs=[ipr("IPR-000001", "123"), ipr("IPR-000002", "123", status="draft")])
    assert result.duplicate_iprs == {}


def test_sync_of_every_account_opens_the_ledger_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`ippbot sync` with an accounts file syncs each account and writes the all-accounts page on one ledger,
    opened once."""
    accounts_file = tmp_path / "accounts.toml"
    accounts_file.write_text("".join(f'[[account]]\nemail = "{name}@agency.example"\npassword_env = "PW_{name}"\n\n'
                                     for name in ("acme", "zeta")), encoding="utf-8")
    monkeypatch.setenv("PW_acme", "acme-secret")
    monkeypatch.setenv("PW_zeta", "zeta-secret")
    settings = Settings(_env_file=None, data_dir=tmp_path, accounts_file=accounts_file)  # type: ignore[call-arg]
    opened: list[Ledger] = []
    real_open = Ledger.open

    def counting_open(of: Settings, **options: Any) -> Ledger:
        opened.append(real_open(of, **options))
        return opened[-1]

    synced: list[tuple[str, Ledger]] = []

    def fake_sync(of: Settings, ledger: Ledger, say: Callable[[str], None]) -> SyncResult:
        synced.append((of.email, ledger))
        return SyncResult()

    monkeypatch.setattr(sync_module, "check_portal", lambda s: None)
    monkeypatch.setattr(sync_module, "sync", fake_sync)
    monkeypatch.setattr(sync_module.Ledger, "open", counting_open)
    assert sync_module.sync_command(settings) == 0
    assert len(opened) == 1
    assert synced == [("acme@agency.example", opened[0]), ("zeta@agency.example", opened[0])]
    assert f"all accounts: {settings.runs_dir / 'all-accounts.html'}" in capsys.readouterr().out

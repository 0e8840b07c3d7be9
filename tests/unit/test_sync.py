"""Sync's reading of the portal: duplicates flagged, review outcomes recorded on the ledger."""

from __future__ import annotations

import pytest

from bot.models import IprStatus
from bot.run.sync import SyncResult

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

"""`ippbot counter-notices`: what waits for an answer, from the ledger as the last sync left it (no portal)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.commands.counter_notices import counter_notices
from bot.models import ComplaintStatus, ListingStatus
from bot.settings import Settings
from bot.store.ledger import Ledger

pytestmark = pytest.mark.unit

ACCOUNT = "brand@example.com"
MONDAY = date(2026, 3, 2)


def listing(url: str, state: str, deadline: date | None = None) -> ListingStatus:
    return ListingStatus(url=url, status=state, state=state, deadline=deadline, chance=1 if deadline else None,
                         statement="We are a reseller." if deadline else "")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", email=ACCOUNT)
    with Ledger.open(settings) as ledger:
        ledger.keep_listings(ACCOUNT, [ComplaintStatus(reference="CP-000001", ipr_reference="IPR-1",
                                                       status="awaiting_seller", listings=(
            listing("https://www.aliexpress.com/item/1.html", "removed"),
            listing("https://www.aliexpress.com/item/2.html", "counter_noticed", date(2026, 3, 3)),
            listing("https://www.aliexpress.com/item/3.html", "counter_noticed", date(2026, 3, 6))))],
            now=datetime(2026, 3, 2, tzinfo=UTC))
        ledger.keep_listings("other@example.com", [ComplaintStatus(
            reference="CP-000002", ipr_reference="IPR-2", status="awaiting_seller",
            listings=(listing("https://www.aliexpress.com/item/4.html", "counter_noticed", MONDAY),))])
    return settings


def listed(settings: Settings, capsys: pytest.CaptureFixture[str], due: int | None = None) -> list[dict[str, object]]:
    assert counter_notices(settings, as_json=True, sync_first=False, due=due, today=MONDAY) == 0
    rows: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return rows


def test_json_lists_the_accounts_counter_notices_with_deadline_and_statement(
        settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    """Each waiting counter-notice of the account: complaint, URL, deadline, working days left, chance, statement."""
    first, second = listed(settings, capsys)
    assert first == {"complaint": "CP-000001", "url": "https://www.aliexpress.com/item/2.html",
                     "deadline": "2026-03-03", "working_days_left": 1, "chance": 1,
                     "statement": "We are a reseller.", "since": None, "account": "brand@example.com"}
    assert (second["url"], second["working_days_left"]) == ("https://www.aliexpress.com/item/3.html", 4)


def test_due_within_keeps_the_near_deadlines(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    """--due-within 1 keeps the one due tomorrow; 0 keeps none."""
    assert [row["url"] for row in listed(settings, capsys, due=1)] == ["https://www.aliexpress.com/item/2.html"]
    assert listed(settings, capsys, due=0) == []


def test_the_table_and_an_empty_list(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The table has a header and a row each; with none waiting, one line says so."""
    counter_notices(settings, as_json=False, sync_first=False, due=None, today=MONDAY)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["COMPLAINT", "DEADLINE", "LEFT", "CHANCE"] and len(lines) == 3
    assert "We are a reseller." in lines[1] and "2026-03-03" in lines[1]
    empty = Settings(_env_file=None, data_dir=tmp_path / "empty", email=ACCOUNT)
    counter_notices(empty, as_json=False, sync_first=False, due=None, today=MONDAY)
    assert capsys.readouterr().out == "no counter-notice waits for an answer (as the last ippbot sync read them)\n"

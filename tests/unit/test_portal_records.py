"""What the ledger keeps of the portal's records: further copies of an entry, and a complaint's IPR as filed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.models import Complaint, Entry, Ipr, IprStatus
from bot.run.sync import SyncResult, apply
from bot.store.ledger import Ledger

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
ACCOUNT = "brand@example.com"


def ipr_entry(number: str = "30612345", key: str = "tm") -> Entry:
    ipr = Ipr(type="trademark", name="ACME", registration_number=number, registration_place="CN",
              rights_holder="Demo Brand Ltd", expiration_date=date(2034, 5, 1), classes=(9,),
              documents=(Path("/docs/certificate.pdf"),))
    return Entry(key=key, kind="ipr", payload=ipr, source="b.yaml:iprs[0]")


def complaint_entry(key: str, depends_on: str) -> Entry:
    complaint = Complaint(platform="aliexpress", ipr="30612345", reason="trademark_misuse",
                          listings=("https://www.aliexpress.com/item/1.html",))
    return Entry(key=key, kind="complaint", payload=complaint, source="b.yaml:c", depends_on=depends_on)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", clock=lambda: T0)
    yield opened
    opened.close()


def filed(ledger: Ledger, key: str, ref: str) -> None:
    """Take the entry that is due through to confirmed as `ref`."""
    record = ledger.claim_next(ACCOUNT) or pytest.fail("nothing due")
    assert record.key == key
    ledger.mark_submitting(key)
    ledger.confirm(key, ref)


def test_the_ledger_keeps_every_further_copy_once(ledger: Ledger) -> None:
    """Copies of an entry are kept beside its own reference, each once, its own never among them."""
    ledger.add([ipr_entry(key="tm")], account=ACCOUNT)
    filed(ledger, "tm", "IPR-000001")
    assert ledger.note_copies("tm", ["IPR-000001", "IPR-000004"]) == ["IPR-000004"]
    assert ledger.note_copies("tm", ["IPR-000004", "IPR-000007"]) == ["IPR-000004", "IPR-000007"]
    assert ledger.copies() == {"tm": ["IPR-000004", "IPR-000007"]}


def test_sync_records_an_ipr_the_portal_holds_twice(ledger: Ledger) -> None:
    """A registration number shown twice in IPR management: the entry keeps the other reference."""
    ledger.add([ipr_entry("30612345", key="tm")], account=ACCOUNT)
    filed(ledger, "tm", "IPR-000002")
    iprs = [IprStatus(reference=r, registration_number="30612345", status="approved") for r in ("IPR-000002",
                                                                                                "IPR-000005")]
    apply(ledger, SyncResult(iprs=iprs), ACCOUNT)
    assert ledger.copies() == {"tm": ["IPR-000005"]}


def test_works_without_a_number_are_not_taken_for_copies_of_each_other() -> None:
    """Two rights with no registration number are not one right held twice."""
    iprs = [IprStatus(reference=r, registration_number="", status="approved") for r in ("IPR-000001", "IPR-000002")]
    assert SyncResult(iprs=iprs).duplicate_iprs == {}


def test_a_complaint_is_filed_with_its_ipr_as_ippbot_filed_it(ledger: Ledger) -> None:
    """The run hands the complaint flow its IPR's portal reference, name and number from the ledger."""
    ledger.add([ipr_entry("30612345", key="tm"), complaint_entry("c-1", depends_on="tm")], account=ACCOUNT)
    filed(ledger, "tm", "IPR-000003")
    payload = ledger.payload_to_file(ledger.get("c-1"))
    assert isinstance(payload, Complaint)
    assert payload.on_portal is not None
    assert (payload.on_portal.reference, payload.on_portal.label) == ("IPR-000003", "ACME (30612345)")


def test_a_complaint_on_an_ipr_filed_elsewhere_names_it_by_number(ledger: Ledger) -> None:
    """An IPR ippbot did not file (by hand, before ippbot) leaves the complaint to find it by its number."""
    ledger.add([complaint_entry("c-1", depends_on="30612345")], account=ACCOUNT)
    payload = ledger.payload_to_file(ledger.get("c-1"))
    assert isinstance(payload, Complaint)
    assert payload.on_portal is None


def test_status_rows_show_the_copies_to_withdraw(ledger: Ledger) -> None:
    """`ippbot status --json` carries each entry's further copies on the portal."""
    ledger.add([ipr_entry(key="tm")], account=ACCOUNT)
    filed(ledger, "tm", "IPR-000001")
    ledger.note_copies("tm", ["IPR-000009"])
    assert [(row.key, row.copies) for row in ledger.rows()] == [("tm", ("IPR-000009",))]


def test_check_records_left_unfiled_are_told_apart_from_filings(ledger: Ledger) -> None:
    """A check record that became its entry's filing is not left over; a dry run's or a stopped run's is;
    one of an entry a run may still be submitting is not counted yet."""
    ledger.add([complaint_entry("c-1", "tm"), complaint_entry("c-2", "tm"), complaint_entry("c-3", "tm")],
               account=ACCOUNT)
    ledger.note_check("c-1", "CP-000001")  # a dry run's check, then the real run's, which was filed
    ledger.note_check("c-1", "CP-000002")
    filed(ledger, "c-1", "CP-000002")
    ledger.note_check("c-2", "CP-000003")  # a dry run's: c-2 is still pending
    ledger.note_check("c-2", "CP-000003")  # noted once
    claimed = ledger.claim_next(ACCOUNT)
    assert claimed is not None and claimed.key == "c-2"
    assert ledger.left_checks() == [("c-1", "CP-000001")]  # c-2 is claimed: its check may still be filed
    ledger.retry_later("c-2", "stopped before the click", 0)
    assert ledger.left_checks() == [("c-1", "CP-000001"), ("c-2", "CP-000003")]

"""The run's one read of the portal's lists (`bot.run.index.PortalIndex`): what it proves absent, what not."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.models import Complaint, Ipr, IprStatus
from bot.run.index import PortalIndex

pytestmark = pytest.mark.unit

URLS = tuple(f"https://www.aliexpress.com/item/{k}.html" for k in range(1, 4))


def complaint(ipr: str = "40000001", urls: tuple[str, ...] = URLS) -> Complaint:
    return Complaint(platform="aliexpress", ipr=ipr, reason="trademark_misuse", listings=urls)  # type: ignore[arg-type]


def trademark(number: str) -> Ipr:
    return Ipr(type="trademark", name="MARKW", registration_number=number, registration_place="CN",
               rights_holder="Demo Brand Ltd", expiration_date="2034-01-01",  # type: ignore[arg-type]
               classes=(9,), documents=(Path("/docs/c.pdf"),))


def test_a_complaint_is_absent_only_when_no_row_could_be_it() -> None:
    """A row of the same IPR and listing count could be a copy (looked up); another IPR or count cannot."""
    index = PortalIndex()
    index.read_history([{"reference": "CP-000001", "ipr": "MARKW (40000001)", "listings": "5"},
                        {"reference": "CP-000002", "ipr": "OTHER (40000009)", "listings": "3"}])
    assert index.complaint_absent(complaint(urls=URLS[:2]))  # a copy never names more listings than we do
    assert not index.complaint_absent(complaint(urls=tuple(f"https://www.aliexpress.com/item/{k}.html"
                                                           for k in range(10, 15))))
    assert not index.complaint_absent(complaint(urls=tuple(f"https://www.aliexpress.com/item/{k}.html"
                                                           for k in range(10, 16))))  # 5 of 6 shown: maybe
    assert not index.complaint_absent(complaint(ipr="40000009"))


def test_nothing_is_proven_without_the_read_or_its_counts() -> None:
    """Before the read, or when the history shows no listing count, every complaint is looked up."""
    assert not PortalIndex().complaint_absent(complaint())
    uncounted = PortalIndex()
    uncounted.read_history([{"reference": "CP-000001", "ipr": "MARKW (40000001)"}])
    assert not uncounted.complaint_absent(complaint())
    assert uncounted.complaint_absent(complaint(ipr="40000009")) is not False  # another IPR: absent all the same


def test_what_the_run_filed_is_not_absent_again() -> None:
    """A complaint this run filed: a second entry of the same listings is looked up; other listings are not."""
    index = PortalIndex()
    index.read_history([])
    index.add_complaint(complaint())
    assert not index.complaint_absent(complaint())
    assert index.complaint_absent(complaint(urls=URLS[:2]))


def test_ipr_read_and_filed() -> None:
    """An IPR the read showed, or this run filed, is not absent; another number is."""
    index = PortalIndex.of([IprStatus(reference="IPR-000001", name="MARKW", registration_number="40000001",
                                      status="approved")])
    assert not index.absent(trademark("40000001")) and index.absent(trademark("40000002"))
    index.add("40000002", "MARKW")
    assert not index.absent(trademark("40000002"))

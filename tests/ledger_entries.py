"""Ledger entries for the ledger's unit suites: one trademark and complaints that depend on it."""

from __future__ import annotations

from pathlib import Path

from bot.models import Complaint, Entry, Ipr

IPR_KEY = "ipr:trademark:CN:30612345"


def ipr_entry(key: str = IPR_KEY, number: str = "30612345") -> Entry:
    """A trademark entry (its certificate path need not exist: nothing is uploaded here)."""
    ipr = Ipr(type="trademark", name="ACME", registration_number=number, registration_place="CN",
              rights_holder="Demo Brand Ltd", expiration_date="2034-05-01",  # type: ignore[arg-type]
              classes=(9,), documents=(Path("/docs/certificate.pdf"),))
    return Entry(key=key, kind="ipr", payload=ipr, source="b.yaml:iprs[0]")


def complaint_entry(key: str, depends_on: str = IPR_KEY) -> Entry:
    """A Taobao complaint on the trademark, its listing URL derived from `key`."""
    complaint = Complaint(platform="taobao", ipr="30612345", reason="trademark_misuse",
                          listings=(f"https://item.taobao.com/item.htm?id={len(key)}",))
    return Entry(key=key, kind="complaint", payload=complaint, source="b.yaml:c", depends_on=depends_on)

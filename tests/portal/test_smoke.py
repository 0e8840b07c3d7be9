"""The whole journey once, end to end over HTTP."""

from __future__ import annotations

from .conftest import PortalUser


def test_whole_journey(member: PortalUser) -> None:
    """Register, get a trademark approved, file a complaint and follow its listings to an outcome."""
    ref = member.approved_ipr("trademark")
    assert member.state()["accounts"][0]["status"] == "active"
    urls = [f"https://www.aliexpress.com/item/{1000 + i}.html" for i in range(30)]
    cp = member.file_complaint(ref, urls)
    member.advance(4)
    complaint = next(c for c in member.state()["complaints"] if c["ref"] == cp)
    statuses = {li["status"] for li in complaint["listings"]}
    assert "removed" in statuses and "awaiting_complainant" in statuses, statuses

"""The benchmarks' protocol floor (`bench/http_client.py`) files what the bot files: proven here, so its times count."""

from __future__ import annotations

from bench.http_client import HttpClient, ListingComplaint, Trademark

from .conftest import DOCS, PASSWORD, PortalUser

LISTINGS = tuple(f"https://www.aliexpress.com/item/100500{i}.html" for i in range(3))


def test_the_floor_files_an_ipr_and_a_complaint_as_the_portal_stores_them(member: PortalUser) -> None:
    """A trademark with its certificate, then a complaint of three listings against it once approved."""
    floor = HttpClient(http=member.client)
    floor.login(member.email, PASSWORD)
    ipr_ref = floor.file_ipr(Trademark("FLOORMARK", "40000001", DOCS / "trademark-certificate.pdf"))
    ipr = member.ipr(ipr_ref)
    assert (ipr["status"], ipr["registration_number"], ipr["type"]) == ("pending", "40000001", "trademark")
    assert [f["field"] for f in ipr["files"]] == ["certificate"]
    member.advance(7)
    assert member.ipr(ipr_ref)["status"] == "approved"

    complaint_ref = floor.file_complaint(ListingComplaint(ipr_ref, LISTINGS))
    complaint = next(c for c in member.state()["complaints"] if c["ref"] == complaint_ref)
    assert (complaint["status"], complaint["ipr_ref"]) == ("submitted", ipr_ref)
    assert complaint["reason"] == "trademark_misuse"
    assert [(li["url"], li["status"]) for li in complaint["listings"]] == [(url, "pending") for url in LISTINGS]
    assert len(member.state()["complaints"]) == 1

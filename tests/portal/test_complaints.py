"""Complaints: the "submit and verify" form, the per-URL check, the final submit, history, withdrawal."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import pytest
from starlette.testclient import TestClient

from .conftest import PortalUser, aliexpress, csrf_of, doc, field_errors, ref_of

ROW_RE = re.compile(r'<tr data-line="(\d+)" data-ok="(yes|no)">\s*<td>\d+</td><td class="url">'
                    r'([^<]*)</td><td>([^<]*)</td>')


def check_rows(html: str) -> list[tuple[int, str, str]]:
    """The per-URL results on a v1 check page: (line, url, result)."""
    return [(int(line), unescape(url), unescape(result)) for line, _, url, result in ROW_RE.findall(html)]


@pytest.fixture
def owner(member: PortalUser) -> tuple[PortalUser, str]:
    """A member with an approved Chinese trademark, and its reference."""
    return member, member.approved_ipr()


def test_complaint_needs_every_field(owner: tuple[PortalUser, str]) -> None:
    """An empty complaint form names each required field and stores nothing."""
    member, _ = owner
    response = member.post_form("/complaint/submit", {})
    assert response.status_code == 422
    required = ("platform", "ipr", "complaint_type", "reason", "urls")
    assert field_errors(response.text) == dict.fromkeys(required, "This field is required.")
    assert member.state()["complaints"] == []


def test_complaint_needs_an_approved_ipr(member: PortalUser) -> None:
    """A complaint resting on an IPR that is not approved is refused, and the form says none is approved."""
    ref = ref_of(member.submit_ipr())
    assert "You have no approved IPR yet" in member.get("/complaint/submit").text
    response = member.check_complaint(ref, aliexpress(1))
    assert response.status_code == 422
    assert field_errors(response.text)["ipr"] == "Choose one of your approved IPRs."
    assert member.state()["complaints"] == []


def test_expired_ipr_cannot_carry_a_complaint(member: PortalUser) -> None:
    """An IPR that expired is no longer offered for complaints."""
    ref = member.approved_ipr(expiration_date="2031-05-01")
    member.client.post("/__mock/clock", json={"set": "2031-05-03T09:00:00+00:00"})
    assert member.ipr(ref)["status"] == "expired"
    response = member.check_complaint(ref, aliexpress(1))
    assert field_errors(response.text)["ipr"] == "Choose one of your approved IPRs."


def test_ipr_of_another_account_cannot_be_used(owner: tuple[PortalUser, str]) -> None:
    """A complaint cannot rest on another account's approved IPR."""
    member, ref = owner
    member.logout()
    PortalUser(member.client, "other@brand.example").signed_up()
    response = member.check_complaint(ref, aliexpress(1))
    assert field_errors(response.text)["ipr"] == "Choose one of your approved IPRs."


@pytest.mark.parametrize("platform", ["taobao", "tmall", "1688"])
def test_china_only_platforms_refuse_a_foreign_ipr(member: PortalUser, platform: str) -> None:
    """Taobao, Tmall and 1688 refuse an IPR not registered in mainland China."""
    ref = member.approved_ipr(registration_place="US", registration_number="1234567")
    response = member.check_complaint(ref, ["https://item.taobao.com/item.htm?id=1"], platform=platform)
    assert response.status_code == 422
    assert field_errors(response.text)["ipr"].endswith(
        "accepts only IPR registered in Mainland China.")


@pytest.mark.parametrize("platform", ["aliexpress", "alibaba", "tmall_hk"])
def test_international_platforms_accept_a_foreign_ipr(member: PortalUser, platform: str) -> None:
    """AliExpress, Alibaba.com and Tmall Global take an IPR registered outside China."""
    ref = member.approved_ipr(registration_place="US", registration_number="1234567")
    response = member.check_complaint(ref, ["https://example.com/x"], platform=platform)
    assert response.status_code == 303


@pytest.mark.parametrize(("ipr_type", "reason", "allowed"), [
    ("trademark", "image_copy", False), ("trademark", "patent_infringement", False),
    ("trademark", "trademark_misuse", True), ("copyright", "counterfeit", False),
    ("copyright", "content_copy", True), ("patent", "design_copy", True),
    ("patent", "image_copy", False), ("other", "other", True), ("other", "counterfeit", False),
])
def test_reason_must_fit_the_ipr_type(member: PortalUser, ipr_type: str, reason: str,
                                      allowed: bool) -> None:
    """A complaint reason is accepted only with the IPR types it belongs to."""
    ref = member.approved_ipr(ipr_type)
    response = member.check_complaint(ref, aliexpress(1), reason=reason)
    if allowed:
        assert response.status_code == 303
    else:
        assert field_errors(response.text) == {
            "reason": f"This reason cannot be used with a {ipr_type.replace('other', 'others')}."}


def test_more_than_300_urls_are_refused(owner: tuple[PortalUser, str]) -> None:
    """A complaint with 301 URLs is refused as a whole and stores nothing."""
    member, ref = owner
    response = member.check_complaint(ref, aliexpress(*range(301)))
    assert response.status_code == 422
    assert field_errors(response.text) == {"urls": "Enter at most 300 URLs (301 given)."}
    assert member.state()["complaints"] == []


def test_exactly_300_urls_are_accepted(owner: tuple[PortalUser, str]) -> None:
    """A complaint with 300 URLs is checked, and the check page lists 300 results."""
    member, ref = owner
    response = member.check_complaint(ref, [*aliexpress(*range(300)), "", "   "])
    assert response.status_code == 303
    page = member.get(response.headers["location"]).text
    rows = check_rows(page)
    assert len(rows) == 300 and [line for line, _, _ in rows] == list(range(1, 301))
    assert {result for _, _, result in rows} == {"Accepted"}
    assert "300 of 300 listings accepted." in page
    cp = response.headers["location"].split("/")[2]
    assert member.confirm(response.headers["location"]).status_code == 303
    assert set(member.listings(cp).values()) == {"pending"}
    assert len(member.listings(cp)) == 300


def test_url_list_is_not_limited_by_the_upload_size(open_client: Callable[..., TestClient]) -> None:
    """A portal with a small file limit still takes 300 URLs: the limit is for files, not text."""
    member = PortalUser(open_client(max_upload_bytes=2048)).signed_up()
    response = member.check_complaint(member.approved_ipr(), aliexpress(*range(300)))
    assert response.status_code == 303


def test_check_page_gives_a_result_per_url(owner: tuple[PortalUser, str]) -> None:
    """Each URL gets its own result: accepted, wrong domain, malformed, duplicate, not a product."""
    member, ref = owner
    urls = ["https://www.aliexpress.com/item/1001.html", "https://www.amazon.com/dp/B000123",
            "not a url", "https://www.aliexpress.com/item/1001.html/",
            "https://www.aliexpress.com/store/9001", "ftp://www.aliexpress.com/item/2.html",
            "https://[::1/item/3.html", "https://www.aliexpress.com/item/1002.html"]
    response = member.check_complaint(ref, urls)
    assert response.status_code == 303
    page = member.get(response.headers["location"]).text
    assert check_rows(page) == [
        (1, urls[0], "Accepted"),
        (2, urls[1], "Refused: The domain www.amazon.com does not belong to AliExpress."),
        (3, urls[2], "Refused: Not a well-formed URL."),
        (4, urls[3], "Refused: Duplicate of line 1."),
        (5, urls[4], "Refused: Not a product listing URL of AliExpress."),
        (6, urls[5], "Refused: Not a well-formed URL."),
        (7, urls[6], "Refused: Not a well-formed URL."),
        (8, urls[7], "Accepted"),
    ]
    assert "2 of 8 listings accepted; 6 refused." in page


def test_store_front_complaint_takes_store_urls(owner: tuple[PortalUser, str]) -> None:
    """A store-front complaint accepts store URLs and refuses product URLs."""
    member, ref = owner
    response = member.check_complaint(ref, ["https://www.aliexpress.com/store/9001",
                                            "https://www.aliexpress.com/item/1.html"],
                                      complaint_type="store_front")
    rows = check_rows(member.get(response.headers["location"]).text)
    assert [result for _, _, result in rows] == [
        "Accepted", "Refused: Not a store front URL of AliExpress."]


def test_each_platform_accepts_its_own_product_urls(owner: tuple[PortalUser, str]) -> None:
    """A product URL of each marketplace is accepted on that marketplace and refused on another."""
    member, ref = owner
    urls = {"taobao": "https://item.taobao.com/item.htm?id=600123",
            "tmall": "https://detail.tmall.com/item.htm?spm=a1&id=600123",
            "tmall_hk": "https://detail.tmall.hk/hk/item.htm?id=600123",
            "1688": "https://detail.1688.com/offer/600123.html",
            "alibaba": "https://www.alibaba.com/product-detail/Bottle_600123.html",
            "aliexpress": "https://www.aliexpress.com/item/600123.html"}
    for platform, url in urls.items():
        other = urls["aliexpress" if platform != "aliexpress" else "taobao"]
        response = member.check_complaint(ref, [url, other], platform=platform)
        rows = check_rows(member.get(response.headers["location"]).text)
        assert rows[0][2] == "Accepted", platform
        assert rows[1][2].startswith("Refused: The domain"), platform


def test_more_than_four_evidence_files_are_refused(owner: tuple[PortalUser, str]) -> None:
    """A complaint with five evidence files is refused under the evidence field."""
    member, ref = owner
    files = [("evidence", doc("evidence-comparison.png"))] * 5
    response = member.check_complaint(ref, aliexpress(1), files=files)
    assert response.status_code == 422
    assert field_errors(response.text) == {"evidence": "Attach at most 4 files."}
    assert member.state()["complaints"] == []
    four = member.check_complaint(ref, aliexpress(1), files=files[:4])
    assert four.status_code == 303


def test_evidence_file_type_is_checked(owner: tuple[PortalUser, str]) -> None:
    """An evidence file that is not PDF, JPG or PNG is refused."""
    member, ref = owner
    response = member.check_complaint(ref, aliexpress(1), files=[("evidence", ("notes.docx", b"PK", "x"))])
    assert field_errors(response.text) == {
        "evidence": "notes.docx: only PDF, JPG or PNG files are accepted."}


def test_confirm_files_accepted_and_refused_listings(owner: tuple[PortalUser, str]) -> None:
    """The final submit files the complaint: accepted URLs pending, refused ones kept as refused."""
    member, ref = owner
    urls = [*aliexpress(1, 2), "https://www.amazon.com/dp/B000123"]
    cp = member.file_complaint(ref, urls, note="Fake bottles")
    complaint = member.complaint(cp)
    assert complaint["status"] == "submitted" and complaint["submitted_at"]
    assert complaint["platform"] == "aliexpress" and complaint["ipr_ref"] == ref
    assert complaint["reason"] == "counterfeit" and complaint["note"] == "Fake bottles"
    assert [e["filename"] for e in complaint["evidence"]] == ["evidence-comparison.png"]
    assert [(li["url"], li["status"]) for li in complaint["listings"]] == [
        (urls[0], "pending"), (urls[1], "pending"), (urls[2], "refused")]
    assert complaint["listings"][2]["check_reason"].startswith("The domain www.amazon.com")


def test_checked_complaint_is_not_filed_until_confirmed(owner: tuple[PortalUser, str]) -> None:
    """A complaint only checked is 'checking', absent from history, and never reviewed."""
    member, ref = owner
    response = member.check_complaint(ref, aliexpress(1))
    cp = response.headers["location"].split("/")[2]
    assert member.complaint(cp)["status"] == "checking"
    assert "No complaint found." in member.get("/complaint/history").text
    assert member.get(f"/complaint/{cp}").status_code == 404
    member.advance(10)
    assert member.complaint(cp)["status"] == "checking"


def test_confirmation_shows_the_reference(owner: tuple[PortalUser, str]) -> None:
    """The page after the final submit says the complaint was submitted and shows its reference."""
    member, ref = owner
    checked = member.check_complaint(ref, aliexpress(1))
    confirmed = member.confirm(checked.headers["location"])
    cp = checked.headers["location"].split("/")[2]
    assert confirmed.headers["location"] == f"/complaint/{cp}?submitted=1"
    page = member.get(confirmed.headers["location"]).text
    assert "Complaint submitted" in page
    assert f'data-testid="reference">{cp}<' in page


def test_confirming_twice_files_once(owner: tuple[PortalUser, str]) -> None:
    """Posting the check page's form again does not file the complaint a second time."""
    member, ref = owner
    checked = member.check_complaint(ref, aliexpress(1, 2))
    check_url = checked.headers["location"]
    form = {"csrf_token": csrf_of(member.get(check_url).text)}
    first = member.client.post(check_url, data=form)
    before = member.state()["complaints"]
    second = member.client.post(check_url, data=form)  # the same page posted again
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == check_url.removesuffix("/check")
    assert member.state()["complaints"] == before
    assert len(before) == 1 and len(before[0]["listings"]) == 2


def test_nothing_to_file_when_every_url_is_refused(owner: tuple[PortalUser, str]) -> None:
    """A check with no accepted URL offers no final submit, and posting it files nothing."""
    member, ref = owner
    checked = member.check_complaint(ref, ["https://www.amazon.com/dp/1"])
    page = member.get(checked.headers["location"]).text
    assert "No listing can be filed." in page and "Confirm and submit" not in page
    response = member.post_form(checked.headers["location"], {})
    assert response.headers["location"] == checked.headers["location"]
    assert member.state()["complaints"][0]["status"] == "checking"


def test_history_lists_and_finds_complaints(owner: tuple[PortalUser, str]) -> None:
    """Complaint history lists filed complaints and finds one by reference or by listing URL."""
    member, ref = owner
    first = member.file_complaint(ref, aliexpress(1, 2))
    second = member.file_complaint(ref, aliexpress(3))
    page = member.get("/complaint/history").text
    assert page.index(f'data-ref="{second}"') < page.index(f'data-ref="{first}"')
    by_ref = member.get("/complaint/history", params={"q": first.lower()}).text
    assert f'data-ref="{first}"' in by_ref and f'data-ref="{second}"' not in by_ref
    by_url = member.get("/complaint/history", params={"q": aliexpress(3)[0]}).text
    assert f'data-ref="{second}"' in by_url and f'data-ref="{first}"' not in by_url
    assert "No complaint found." in member.get("/complaint/history", params={"q": "CP-999999"}).text


def test_withdraw_keeps_the_listings_online(owner: tuple[PortalUser, str]) -> None:
    """A withdrawn complaint's open listings become withdrawn, refused ones stay refused."""
    member, ref = owner
    cp = member.file_complaint(ref, [*aliexpress(1, 2), "https://www.amazon.com/dp/1"])
    response = member.withdraw(cp)
    assert response.status_code == 303
    assert response.headers["location"] == f"/complaint/{cp}?withdrawn=1"
    complaint = member.complaint(cp)
    assert complaint["status"] == "withdrawn" and complaint["closed_at"]
    assert [li["status"] for li in complaint["listings"]] == ["withdrawn", "withdrawn", "refused"]
    member.advance(10)
    assert member.complaint(cp)["status"] == "withdrawn"
    assert set(member.listings(cp).values()) == {"withdrawn", "refused"}


def test_finished_complaint_cannot_be_withdrawn(owner: tuple[PortalUser, str]) -> None:
    """Withdrawing a complaint a second time is refused with 409."""
    member, ref = owner
    cp = member.file_complaint(ref, aliexpress(1))
    member.withdraw(cp)
    response = member.post_form("/complaint/history", {}, action=f"/complaint/{cp}/withdraw")
    assert response.status_code == 409
    assert "already finished" in response.text


def test_withdraw_needs_csrf(owner: tuple[PortalUser, str], client: TestClient) -> None:
    """A withdrawal posted without the CSRF token is refused and changes nothing."""
    member, ref = owner
    cp = member.file_complaint(ref, aliexpress(1))
    assert client.post(f"/complaint/{cp}/withdraw").status_code == 403
    assert member.complaint(cp)["status"] == "submitted"

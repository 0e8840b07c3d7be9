"""IPR Submission and IPR management: the four types, documents, drafts, the list and the review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from .conftest import IPR_DEFAULTS, PortalUser, doc, field_errors, ref_of, today

REQUIRED = "This field is required."
TYPE_FIELDS = {
    "trademark": {"mark_kind", "classes"},
    "copyright": {"registered", "work_type"},
    "patent": {"patent_type"},
    "other": {"valid_from", "valid_to", "content"},
}


# submitting


@pytest.mark.parametrize("ipr_type", ["trademark", "copyright", "patent", "other"])
def test_each_type_submits_with_its_own_fields(member: PortalUser, ipr_type: str) -> None:
    """Each IPR type is stored pending, with its own fields and its certificate, due in 3 days."""
    response = member.submit_ipr(ipr_type)
    assert response.status_code == 303
    assert response.headers["location"].endswith("?submitted=1")
    ipr = member.ipr(ref_of(response))
    assert ipr["type"] == ipr_type and ipr["status"] == "pending"
    assert ipr["registration_number"] == IPR_DEFAULTS[ipr_type]["registration_number"]
    assert TYPE_FIELDS[ipr_type] <= set(ipr["details"])
    assert all(ipr["details"][k] == IPR_DEFAULTS[ipr_type][k] for k in TYPE_FIELDS[ipr_type])
    assert [f["field"] for f in ipr["files"]] == ["certificate"] + (
        ["additional_files"] if ipr["details"].get("work_type") == "software" else [])
    assert ipr["submitted_at"] and ipr["review_due_at"] > ipr["submitted_at"]


def test_submission_without_csrf_is_forbidden(member: PortalUser) -> None:
    """An IPR posted without the page's CSRF token gets 403 and stores nothing."""
    response = member.client.post("/ipr/submit?type=trademark", data=member.ipr_form(),
                                   files=[("certificate", doc("trademark-certificate.pdf"))])
    assert response.status_code == 403
    assert member.state()["iprs"] == []


def test_other_type_expires_at_the_end_of_validity(member: PortalUser) -> None:
    """An IPR of type Others takes its expiration date from 'valid to'; a copyright has none."""
    other = member.ipr(ref_of(member.submit_ipr("other")))
    copyright_ = member.ipr(ref_of(member.submit_ipr("copyright")))
    assert other["expiration_date"] == IPR_DEFAULTS["other"]["valid_to"]
    assert copyright_["expiration_date"] is None


def test_confirmation_shows_the_reference(member: PortalUser) -> None:
    """The page after a submission says it was submitted and shows its reference."""
    response = member.submit_ipr()
    page = member.get(response.headers["location"]).text
    assert "IPR submitted" in page
    assert f'data-testid="reference">{ref_of(response)}<' in page


@pytest.mark.parametrize("ipr_type", ["trademark", "copyright", "patent", "other"])
def test_each_type_names_its_required_fields(member: PortalUser, ipr_type: str) -> None:
    """Submitting an empty form of a type names every field that type requires, and stores nothing."""
    response = member.post_form(f"/ipr/submit?type={ipr_type}", {"action": "submit"})
    assert response.status_code == 422
    common = {"registration_place", "name", "registration_number", "rights_holder"}
    if ipr_type in {"trademark", "patent"}:
        common.add("expiration_date")
    expected = dict.fromkeys(common | TYPE_FIELDS[ipr_type], REQUIRED)
    expected["certificate"] = "Upload the registration certificate."
    assert field_errors(response.text) == expected
    assert member.state()["iprs"] == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("classes", "9, 46", "Enter Nice classes from 1 to 45, separated by commas."),
    ("classes", "nine", "Enter Nice classes from 1 to 45, separated by commas."),
    ("expiration_date", "2031/05/01", "Enter a date as YYYY-MM-DD."),
    ("registration_place", "XX", "Choose one of the options."),
    ("mark_kind", "sound", "Choose one of the options."),
])
def test_trademark_values_are_checked(member: PortalUser, field: str, value: str,
                                      message: str) -> None:
    """A trademark with a bad class, date or option is refused under that field."""
    response = member.submit_ipr(**{field: value})
    assert response.status_code == 422
    assert field_errors(response.text) == {field: message}


def test_validity_must_end_after_it_starts(member: PortalUser) -> None:
    """An IPR of type Others whose validity ends before it starts is refused."""
    response = member.submit_ipr("other", valid_from="2030-01-01", valid_to="2029-01-01")
    assert field_errors(response.text) == {"valid_to": "The end of validity must come after its start."}


def test_unregistered_copyright_needs_a_claim_statement_not_a_number(member: PortalUser) -> None:
    """An unregistered work needs the claim statement instead of a certificate and no number."""
    form = {"registered": "no", "registration_number": None}
    refused = member.submit_ipr("copyright", files=[], **form)
    assert field_errors(refused.text) == {
        "claim_statement": "Upload a copyright claim statement for an unregistered work."}
    response = member.submit_ipr("copyright", files=[("claim_statement", doc("copyright-certificate.pdf"))],
                                 **form)
    assert response.status_code == 303
    ipr = member.ipr(ref_of(response))
    assert ipr["registration_number"] == "" and ipr["details"]["registered"] == "no"
    member.advance(3)
    assert member.ipr(ref_of(response))["status"] == "approved"


def test_registered_copyright_needs_its_number(member: PortalUser) -> None:
    """A registered work without a registration number is refused."""
    response = member.submit_ipr("copyright", registration_number=None)
    assert field_errors(response.text) == {"registration_number": REQUIRED}


def test_software_needs_a_screenshot(member: PortalUser) -> None:
    """A software copyright without a screenshot of the running software is refused."""
    response = member.submit_ipr("copyright", work_type="software",
                                 files=[("certificate", doc("copyright-certificate.pdf"))])
    assert response.status_code == 422
    assert field_errors(response.text) == {
        "additional_files": "Add a screenshot of the running software that shows ownership."}
    assert member.submit_ipr("copyright", work_type="software").status_code == 303


def test_authorized_agent_needs_a_power_of_attorney(user: PortalUser) -> None:
    """An authorized agent's IPR is refused without a power of attorney and stored with one."""
    user.signed_up(registrant_category="authorized_agent")
    refused = user.submit_ipr()
    assert field_errors(refused.text) == {
        "power_of_attorney": "Authorized agents must upload a power of attorney."}
    response = user.submit_ipr(files=[("certificate", doc("trademark-certificate.pdf")),
                                      ("power_of_attorney", doc("power-of-attorney.pdf"))])
    assert response.status_code == 303
    fields = [f["field"] for f in user.ipr(ref_of(response))["files"]]
    assert fields == ["certificate", "power_of_attorney"]


def test_right_holder_needs_no_power_of_attorney(member: PortalUser) -> None:
    """A right holder's IPR goes through without a power of attorney."""
    assert member.submit_ipr().status_code == 303


# documents


def test_file_type_is_checked(member: PortalUser) -> None:
    """A certificate that is not PDF, JPG or PNG is refused and nothing is stored."""
    response = member.submit_ipr(files=[("certificate", ("certificate.txt", b"hello", "text/plain"))])
    assert response.status_code == 422
    assert field_errors(response.text) == {
        "certificate": "certificate.txt: only PDF, JPG or PNG files are accepted."}
    assert member.state()["iprs"] == []


def test_file_size_is_checked(open_client: Callable[..., TestClient]) -> None:
    """A file over the size limit is refused with the limit in the message."""
    member = PortalUser(open_client(max_upload_bytes=2048)).signed_up()
    big = ("big.pdf", b"%PDF-1.4\n" + b"0" * 2100, "application/pdf")
    response = member.submit_ipr(files=[("certificate", big)])
    assert response.status_code == 422
    assert field_errors(response.text) == {"certificate": "big.pdf: the file is larger than 2 KB."}
    assert member.state()["iprs"] == []


def test_default_size_limit_is_5_mb(member: PortalUser) -> None:
    """On the default portal the limit is 5 MB, and the message says so."""
    big = ("big.pdf", b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), "application/pdf")
    response = member.submit_ipr(files=[("certificate", big)])
    assert field_errors(response.text) == {"certificate": "big.pdf: the file is larger than 5 MB."}


def test_empty_file_is_refused(member: PortalUser) -> None:
    """An empty certificate file is refused."""
    response = member.submit_ipr(files=[("certificate", ("empty.pdf", b"", "application/pdf"))])
    assert field_errors(response.text) == {"certificate": "empty.pdf: the file is empty."}
    assert member.state()["iprs"] == []


def test_documents_are_recorded(member: PortalUser) -> None:
    """Each stored document keeps its name, size and checksum."""
    response = member.submit_ipr(files=[("certificate", doc("trademark-certificate.pdf")),
                                        ("additional_files", doc("evidence-comparison.png")),
                                        ("additional_files", doc("test-purchase.pdf"))])
    files = member.ipr(ref_of(response))["files"]
    assert [(f["field"], f["filename"]) for f in files] == [
        ("certificate", "trademark-certificate.pdf"), ("additional_files", "evidence-comparison.png"),
        ("additional_files", "test-purchase.pdf")]
    assert files[0]["size"] == len(doc("trademark-certificate.pdf")[1]) and files[0]["readable"]


# drafts and editing


def test_draft_is_saved_with_missing_fields(member: PortalUser) -> None:
    """Save Draft stores the IPR as a draft even with required fields and documents missing."""
    response = member.post_form("/ipr/submit?type=trademark", {"name": "HALF DONE", "action": "draft"})
    assert response.status_code == 303
    assert response.headers["location"].endswith("?saved=1")
    ipr = member.ipr(ref_of(response))
    assert ipr["status"] == "draft" and ipr["name"] == "HALF DONE"
    assert ipr["submitted_at"] is None and ipr["review_due_at"] is None
    member.advance(10)
    assert member.ipr(ref_of(response))["status"] == "draft"


def test_draft_still_checks_the_values_it_has(member: PortalUser) -> None:
    """A draft with a malformed value is refused like a submission."""
    response = member.post_form("/ipr/submit?type=trademark", {"classes": "99", "action": "draft"})
    assert response.status_code == 422
    assert set(field_errors(response.text)) == {"classes"}


def test_draft_edited_and_submitted_goes_pending(member: PortalUser) -> None:
    """A draft, opened again, shows its values and keeps its certificate; submitted, it is pending."""
    draft = member.submit_ipr(action="draft", registration_number=None, classes=None)
    ref = ref_of(draft)
    form = member.get(f"/ipr/{ref}/edit").text
    assert 'value="DEMOBRAND"' in form and "trademark-certificate.pdf" in form
    response = member.edit_ipr(ref, member.ipr_form())
    assert response.status_code == 303
    ipr = member.ipr(ref)
    assert ipr["status"] == "pending" and ipr["registration_number"] == "12345678"
    assert [f["filename"] for f in ipr["files"]] == ["trademark-certificate.pdf"]
    assert len(member.state()["iprs"]) == 1


def test_draft_without_certificate_cannot_be_submitted(member: PortalUser) -> None:
    """Submitting a draft that has no certificate on file asks for it."""
    ref = ref_of(member.submit_ipr(action="draft", files=[]))
    response = member.edit_ipr(ref, member.ipr_form())
    assert field_errors(response.text) == {"certificate": "Upload the registration certificate."}
    assert member.ipr(ref)["status"] == "draft"


def test_pending_ipr_cannot_be_edited(member: PortalUser) -> None:
    """An IPR waiting for review cannot be edited."""
    ref = ref_of(member.submit_ipr())
    assert member.get(f"/ipr/{ref}/edit").status_code == 404


def test_ipr_of_another_account_is_not_shown(member: PortalUser) -> None:
    """One account cannot open another account's IPR."""
    ref = ref_of(member.submit_ipr())
    member.logout()
    PortalUser(member.client, "other@brand.example").signed_up()
    assert member.get(f"/ipr/{ref}").status_code == 404
    assert member.get(f"/ipr/{ref}/edit").status_code == 404


# the list


def test_list_shows_each_ipr_with_its_status(member: PortalUser) -> None:
    """IPR management lists every IPR of the account with its status."""
    draft = ref_of(member.submit_ipr(action="draft"))
    pending = ref_of(member.submit_ipr(registration_number="87654321"))
    page = member.get("/ipr/manage").text
    assert f'data-ref="{draft}" data-status="draft"' in page
    assert f'data-ref="{pending}" data-status="pending"' in page
    assert "Pending verification" in page and "Draft" in page


def test_list_is_searchable_by_registration_number(member: PortalUser) -> None:
    """Searching IPR management by a registration number shows only the IPRs with it."""
    first = ref_of(member.submit_ipr())
    second = ref_of(member.submit_ipr(registration_number="87654321"))
    page = member.get("/ipr/manage", params={"q": "87654321"}).text
    assert f'data-ref="{second}"' in page and f'data-ref="{first}"' not in page
    by_ref = member.get("/ipr/manage", params={"q": first}).text
    assert f'data-ref="{first}"' in by_ref and f'data-ref="{second}"' not in by_ref
    assert "No IPR found." in member.get("/ipr/manage", params={"q": "999"}).text


def test_same_registration_number_twice_is_stored_twice(member: PortalUser) -> None:
    """The portal does not refuse a repeated submission: two records with one number (the bot must guard)."""
    first, second = member.submit_ipr(), member.submit_ipr()
    assert first.status_code == second.status_code == 303
    assert ref_of(first) != ref_of(second)
    numbers = [(i["registration_number"], i["status"]) for i in member.state()["iprs"]]
    assert numbers == [("12345678", "pending"), ("12345678", "pending")]


# the review


def test_review_comes_after_three_working_days(member: PortalUser) -> None:
    """A Monday submission is still pending on Wednesday and approved on Thursday, with a notice."""
    ref = ref_of(member.submit_ipr())
    member.advance(2)
    assert member.ipr(ref)["status"] == "pending"
    member.advance(1)
    ipr = member.ipr(ref)
    assert ipr["status"] == "approved" and ipr["reject_reason"] is None
    assert ipr["reviewed_at"] == ipr["review_due_at"]
    subjects = [m["subject"] for m in member.client.get(
        "/__mock/mailbox", params={"email": member.email}).json()]
    assert subjects[0] == f"IPR {ref} approved"


def test_review_skips_the_weekend(member: PortalUser) -> None:
    """A Friday submission is reviewed on Wednesday: the weekend does not count."""
    member.advance(4)
    ref = ref_of(member.submit_ipr())
    member.advance(4)
    assert member.ipr(ref)["status"] == "pending"
    member.advance(1)
    assert member.ipr(ref)["status"] == "approved"


def test_expired_registration_is_rejected(member: PortalUser) -> None:
    """An IPR whose expiration date is already past is rejected with that reason."""
    yesterday = (today(member.client) - timedelta(days=1)).isoformat()
    ref = ref_of(member.submit_ipr(expiration_date=yesterday))
    member.advance(3)
    ipr = member.ipr(ref)
    assert ipr["status"] == "rejected"
    assert ipr["reject_reason"] == f"The registration expired on {yesterday}."


def test_unreadable_certificate_is_rejected(member: PortalUser) -> None:
    """An IPR whose certificate cannot be read is rejected with that reason."""
    ref = ref_of(member.submit_ipr(files=[("certificate", doc("unreadable.pdf"))]))
    member.advance(3)
    ipr = member.ipr(ref)
    assert ipr["status"] == "rejected"
    assert ipr["reject_reason"].startswith("The certificate could not be read.")


@pytest.mark.parametrize(("ipr_type", "place", "number", "hint"), [
    ("trademark", "CN", "123", "7 to 9 digits"),
    ("trademark", "US", "123456789", "7 or 8 digits"),
    ("trademark", "EU", "12345678", "9 digits"),
    ("trademark", "WIPO", "12345", "6 or 7 digits"),
    ("trademark", "DE", "TM12", "4 to 12 digits"),
    ("patent", "CN", "CN-1234", "e.g. ZL201910123456.7"),
    ("patent", "US", "10-123", "e.g. US10123456B2"),
    ("copyright", "CN", "SR-123456", "e.g. 2020SR123456"),
    ("copyright", "US", "123456", "e.g. VA0001234567"),
    ("other", "US", "!!", "letters, digits, - / ."),
])
def test_malformed_registration_number_is_rejected(member: PortalUser, ipr_type: str, place: str,
                                                   number: str, hint: str) -> None:
    """A registration number that does not fit its type and place is rejected, naming the format."""
    ref = ref_of(member.submit_ipr(ipr_type, registration_place=place, registration_number=number))
    member.advance(3)
    ipr = member.ipr(ref)
    assert ipr["status"] == "rejected"
    assert ipr["reject_reason"].startswith(f"Registration number {number!r} is not a valid")
    assert ipr["reject_reason"].endswith(f"({hint}).")


def test_well_formed_numbers_of_each_place_are_approved(member: PortalUser) -> None:
    """Registration numbers in each type's and place's format are approved."""
    cases = [("trademark", "US", "1234567"), ("trademark", "EU", "123456789"),
             ("trademark", "WIPO", "123456"), ("trademark", "JP", "5123456"),
             ("patent", "US", "US10123456B2"), ("patent", "CN", "201910123456.X"),
             ("copyright", "US", "VA0001234567"), ("copyright", "CN", "国作登字-2020-F-00012345")]
    refs = [ref_of(member.submit_ipr(t, registration_place=p, registration_number=n))
            for t, p, n in cases]
    member.advance(3)
    statuses = {i["ref"]: (i["status"], i["reject_reason"]) for i in member.state()["iprs"]}
    assert [statuses[r] for r in refs] == [("approved", None)] * len(cases)


def test_rejection_shows_in_the_list_with_its_reason(member: PortalUser) -> None:
    """IPR management shows a rejected IPR, its reason and an Edit link."""
    ref = ref_of(member.submit_ipr(registration_number="123"))
    member.advance(3)
    page = member.get("/ipr/manage").text
    assert f'data-ref="{ref}" data-status="rejected"' in page
    assert "is not a valid trademark number for Mainland China (7 to 9 digits)" in page
    assert f'href="/ipr/{ref}/edit"' in page


def test_rejected_ipr_is_edited_and_resubmitted(member: PortalUser) -> None:
    """A rejected IPR corrected and submitted again goes back to pending, then is approved."""
    ref = ref_of(member.submit_ipr(registration_number="123"))
    member.advance(3)
    assert member.ipr(ref)["status"] == "rejected"
    response = member.edit_ipr(ref, member.ipr_form(registration_number="12345678"))
    assert response.status_code == 303
    ipr = member.ipr(ref)
    assert ipr["status"] == "pending" and ipr["reject_reason"] is None
    member.advance(4)  # resubmitted on a Thursday: Fri, Mon, Tue are its 3 working days
    assert member.ipr(ref)["status"] == "pending"
    member.advance(1)
    assert member.ipr(ref)["status"] == "approved"
    assert len(member.state()["iprs"]) == 1


def test_approved_ipr_expires_when_its_date_passes(member: PortalUser) -> None:
    """An approved IPR becomes expired once the clock passes its expiration date."""
    expires = today(member.client) + timedelta(days=10)
    ref = ref_of(member.submit_ipr(expiration_date=expires.isoformat()))
    member.advance(10)
    assert member.ipr(ref)["status"] == "approved"
    member.advance(1)
    assert member.ipr(ref)["status"] == "expired"

"""The morning report after the whole story, opened in Chromium: filing, counter-notices, removals, a rejected IPR.

One good trademark with two AliExpress complaints (some listings counter-noticed by the portal's
dice, the rest removed when the sellers' windows end) and one trademark the review rejects, whose
complaint is blocked. `ippbot report` then writes the page the operator reads, which must agree
with the portal: every waiting counter-notice with its deadline, the Good Faith rates as
`ippbot standing --json` reads them, readable names. A full-page screenshot is kept in tmp_path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect
from support import DOCS, MockPortal, Operator, make_ctx, make_settings
from wait_support import NUMBER, counter_notices, portal_listings, wait_batch

from flows.register import mock_mailbox, register

BAD = "TM-1234"  # a CN mark has 7 to 9 digits: the review rejects it


def rejected_batch(path: Path) -> Path:
    """A trademark whose number the review refuses, and one complaint on it (blocked once it is refused)."""
    ipr = {"type": "trademark", "name": "BADMARK", "registration_number": BAD, "registration_place": "CN",
           "rights_holder": "Demo Brand Ltd", "expiration_date": "2034-01-01", "classes": [9],
           "documents": [str(DOCS / "trademark-certificate.pdf")]}
    complaint = {"platform": "aliexpress", "ipr": BAD, "reason": "trademark_misuse",
                 "listings": ["https://www.aliexpress.com/item/9900001.html"]}
    path.write_text(yaml.safe_dump({"iprs": [ipr], "complaints": [complaint]}), encoding="utf-8")
    return path


@pytest.fixture
def operator(portal: MockPortal, page: Page, tmp_path: Path) -> Operator:
    """The story told: both batches filed, reviews done, a week of sellers' windows over, synced."""
    data_dir = tmp_path / "data"
    assert register(make_ctx(page, make_settings(portal.url, data_dir)), mock_mailbox(portal.url)) == "registered"
    operator = Operator(portal, data_dir)
    operator.ippbot("enqueue", str(wait_batch(tmp_path / "wait.yaml")), str(rejected_batch(tmp_path / "bad.yaml")),
                    check=True)
    operator.ippbot("run")
    portal.advance(7)
    operator.ippbot("sync", check=True)
    operator.ippbot("run")
    portal.advance(7)
    operator.ippbot("sync", check=True)
    return operator


def test_the_morning_report_tells_the_whole_story(operator: Operator, page: Page, tmp_path: Path) -> None:
    """Counter-notices with deadlines, the portal's Good Faith rates, readable names and every listing are shown."""
    done = operator.ippbot("report", check=True)
    report = Path(done.stdout.splitlines()[0].removeprefix("report: "))
    assert json.loads((report.parent / "report.json").read_text(encoding="utf-8"))["account"]["notices"]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(report.as_uri())

    waiting = counter_notices(operator)
    assert waiting
    rows = page.locator("#counter-notices tbody tr")
    expect(rows).to_have_count(len(waiting))
    for notice in waiting:
        row = rows.filter(has_text=notice["url"])
        expect(row).to_have_count(1)
        expect(row.locator(".deadline")).to_have_text(notice["deadline"])

    standing = json.loads(operator.ippbot("standing", "--json", check=True).stdout)
    expect(page.locator("#takedown-rate .n")).to_have_text(f"{standing['takedown_rate']:.1f} %")
    expect(page.locator("#counter-notice-rate .n")).to_have_text(f"{standing['counter_notice_success_rate']:.1f} %")
    expect(page.get_by_role("img", name="Good Faith readings")).to_be_visible()

    expect(page.locator("#funnel-ipr")).to_contain_text(f"MARKW ({NUMBER})")
    expect(page.locator("#entries")).to_contain_text(f"aliexpress · MARKW ({NUMBER}) · 5 listings")
    expect(page.locator("#confirmations figcaption").first).to_contain_text(f"aliexpress · MARKW ({NUMBER})")
    attention = page.locator("#attention")
    expect(attention.locator("tr", has_text="rejected by review")).to_contain_text(f"BADMARK ({BAD})")
    expect(attention.locator("tr", has_text="blocked")).to_contain_text(f"aliexpress · BADMARK ({BAD}) · 1 listing")

    listings = portal_listings(operator.portal)
    table = page.locator("#listings tbody tr")
    expect(table).to_have_count(len(listings))
    page.get_by_label("Listing state").select_option("removed")
    removed = sum(li["status"] == "removed" for li in listings.values())
    expect(page.locator("#listings tbody tr:visible")).to_have_count(removed)
    page.get_by_label("Listing state").select_option("")
    first_url = next(iter(listings))[1]
    page.get_by_label("Listing URL").fill(first_url.rsplit("/", 1)[1])
    expect(page.locator("#listings tbody tr:visible")).to_have_count(1)
    expect(page.locator("#contents")).to_contain_text("screenshots of the account's filings")
    page.get_by_label("Listing URL").fill("")
    page.screenshot(path=tmp_path / "morning-report.png", full_page=True)
    assert (tmp_path / "morning-report.png").stat().st_size > 0


def test_the_report_prints_without_its_controls(operator: Operator, page: Page) -> None:
    """Printed, the page hides the filter's controls and keeps every section and listing."""
    report = Path(operator.ippbot("report", check=True).stdout.splitlines()[0].removeprefix("report: "))
    page.goto(report.as_uri())
    page.emulate_media(media="print")
    expect(page.get_by_label("Listing state")).to_be_hidden()
    expect(page.locator("#counter-notices")).to_be_visible()
    expect(page.locator("#listings tbody tr:visible")).to_have_count(len(portal_listings(operator.portal)))

"""The least a browser can do to file an IPR: a lower bound for any browser client, not a way to file.

One page kept for a whole block, the form opened straight by its URL, every text field set by
one script, the certificate attached, Submit clicked, the reference read. No look-up before
filing, no fresh page, no evidence, no ledger: none of what ippbot guarantees. What this
costs over the HTTP floor is what driving a browser itself costs on this machine; benchmark 1
measures it alongside, in the same rotation.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, sync_playwright

from bench.harness import since_ms
from bench.http_client import Trademark
from bot.browser import open_browser
from bot.settings import Settings
from flows.session import stored_session

FILL = """(values) => {
  const form = document.querySelector("form[enctype]");
  for (const [name, value] of Object.entries(values)) form.elements[name].value = value;
}"""
REFERENCE = re.compile(r"IPR-\d{6}")


def file_iprs(settings: Settings, iprs: list[Trademark]) -> list[float]:
    """File each IPR in one page of one browser (the account's stored session); each one's time in ms."""
    with sync_playwright() as pw, open_browser(settings, pw) as browser, \
            browser.context(stored_session(settings.session_file)) as context:
        page = browser.new_page(context)  # assets blocked before its first request, as ippbot's pages
        spent = []
        for ipr in iprs:
            started = time.perf_counter()
            _file(page, ipr)
            spent.append(since_ms(started))
        return spent


def _file(page: Page, ipr: Trademark) -> str:
    page.goto("/ipr/submit?type=trademark", wait_until="domcontentloaded")
    page.evaluate(FILL, {"registration_place": ipr.registration_place, "name": ipr.name,
                         "registration_number": ipr.registration_number, "rights_holder": ipr.rights_holder,
                         "expiration_date": ipr.expiration_date, "mark_kind": ipr.mark_kind, "classes": ipr.classes})
    page.set_input_files("input[name=certificate]", ipr.document)
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.click("button[name=action][value=submit]")
    reference = page.inner_text("[data-testid=reference]")
    if not REFERENCE.fullmatch(reference):
        raise RuntimeError(f"no reference after the submission: {reference!r} at {page.url}")
    return reference

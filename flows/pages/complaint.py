"""Page objects of complaints: the form, the per-URL check, a complaint's page, the history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Locator

from bot.errors import IprNotOffered, PortalChanged
from bot.models import Complaint, ComplaintStatus, ListingStatus, Refusal
from flows.pages.base import PortalPage


class ComplaintForm(PortalPage):
    """`/complaint/submit`, step one: marketplace, IPR, type, reason, listings, evidence."""

    name = "complaint_form"

    def fill_complaint(self, complaint: Complaint) -> None:
        """Fill the form for one complaint (at most the portal's number of listings)."""
        self.choose("platform", complaint.platform)
        self._choose_ipr(complaint)
        self.pick("complaint_type", complaint.type)
        self.choose("reason", complaint.reason)
        self.fill("urls", "\n".join(complaint.listings))
        self.fill("note", complaint.note)
        self.attach("evidence", complaint.evidence)

    def _choose_ipr(self, complaint: Complaint) -> None:
        """Choose the complaint's IPR among the approved ones the form offers.

        By its portal reference when ippbot filed it (the option's value); else by the number or
        name the batch gives. Two approved copies of one number: the first filed is used.
        """
        select = self.el("ipr")
        options = select.locator("option")
        offered = dict(zip(options.evaluate_all("os => os.map(o => o.value)"), options.all_inner_texts(), strict=True))
        value = self._option_for(complaint, {v: t for v, t in offered.items() if v})
        select.select_option(value=value)

    def _option_for(self, complaint: Complaint, offered: dict[str, str]) -> str:
        wanted = complaint.on_portal
        if wanted is not None and wanted.reference in offered:
            return wanted.reference
        handle = wanted.registration_number or wanted.name if wanted else complaint.ipr
        matching = [value for value, text in offered.items() if handle and handle in text]
        if len(matching) > 1:
            self.ctx.log.warning("complaint.ipr_held_twice", ipr=handle, using=matching[0], copies=matching)
        if matching:
            return matching[0]
        raise IprNotOffered(f"the complaint form offers no approved IPR {handle!r} (approved: {len(offered)}); "
                            "it may be in review, rejected or expired: see `ippbot status` and IPR management",
                            **self._where("fill"))

    def submit_and_verify(self) -> None:
        """Send the form for the per-URL check (nothing is filed yet)."""
        self.click_and_wait("check", "check")


class ComplaintCheck(PortalPage):
    """Step two: the result of every URL, then the final submit."""

    name = "complaint_check"
    _rows: list[dict[str, str]] | None = None

    def results(self) -> list[dict[str, str]]:
        """The check table's rows, read once: the page does not change until the final submit."""
        if self._rows is None:
            self._rows = self.table("table")
        return self._rows

    def record(self) -> str | None:
        """The record the check step made (the complaint-to-be, not filed until the final submit), by the page's
        address; None when the address does not show it."""
        found = self.sel.pattern("record").search(urlsplit(self.page.url).path)
        return found.group("reference") if found else None

    def refusals(self) -> list[Refusal]:
        """The URLs the portal refused, each with its reason."""
        refused = self.sel.pattern("refused")
        out = []
        for row in self.results():
            found = refused.search(row.get("result", ""))
            if found:
                out.append(Refusal(url=row["url"], reason=found.group("reason")))
        return out

    def accepted_count(self) -> int:
        """How many URLs the portal accepted."""
        accepted = self.sel.pattern("accepted")
        return sum(1 for row in self.results() if accepted.search(row.get("result", "")))

    def confirm(self) -> None:
        """The final submit."""
        self.submit("confirm", "confirm")


class ComplaintDetail(PortalPage):
    """One complaint: its reference, status and listings; counter-notice answers; withdrawals.

    A listing's row is found by its URL cell, exactly (a URL may be the start of another's).
    """

    name = "complaint_detail"

    def reference(self) -> str:
        """The reference number shown after the final submit."""
        return self.shown_reference()

    def read(self, reference: str, ipr_reference: str = "") -> ComplaintStatus:
        """The complaint's status and every listing's, in the portal's codes and the ledger's names."""
        self.open(ref=reference)
        status = self.status_code("status", self.el("status").inner_text().strip())
        listings = tuple(self._listing(row) for row in self.table("listings"))
        return ComplaintStatus(reference=reference, ipr_reference=ipr_reference, status=status, listings=listings)

    def _listing(self, row: dict[str, str]) -> ListingStatus:
        label, answer = row["status"], row.get("answer", "")
        return ListingStatus(
            url=row["url"], status=self.status_code("listing_status", label), note=row.get("note", ""),
            state=self.listing_state(label), changed_on=_day(row.get("changed", "")),
            statement=row.get("statement", ""), chance=self._chance(row.get("chance", "")),
            deadline=_day(row.get("deadline", "")), answer=self.status_code("answer", answer) if answer else "")

    def listing_state(self, label: str) -> str:
        """The ledger's name for a listing status the portal shows as `label` (`PortalChanged` if none)."""
        for table in ("listing_state", "listing_state_also"):
            for code, text in self.sel.data.options.get(table, {}).items():
                if text == label:
                    return code
        raise PortalChanged(self.sel.file, "options.listing_state", f"no ledger state for the label {label!r}")

    def _chance(self, text: str) -> int | None:
        found = self.sel.pattern("chance").search(text) if text else None
        return int(found.group("chance")) if found else None

    def answer(self, reference: str, url: str, accept: bool, *, note: str = "",
               evidence: Sequence[Path] = ()) -> None:
        """Accept or reject the counter-notice on one listing, with a note and evidence files (the final click)."""
        row = self._row(reference, url)
        if note:
            self.sel.get(row, "answer_note").fill(note)
        self.ctx.uploads.clear()
        if evidence:
            self._set_files(self.sel.get(row, "answer_evidence"), "answer_evidence", evidence)
        self.submit_with(self.sel.get(row, "accept" if accept else "reject"), "answer")

    def withdraw(self, reference: str) -> None:
        """Withdraw the whole complaint (the final click)."""
        self.open(ref=reference)
        self.ctx.uploads.clear()
        self.submit("withdraw", "withdraw")

    def withdraw_listing(self, reference: str, url: str) -> None:
        """Withdraw one listing of the complaint (the final click)."""
        row = self._row(reference, url)
        self.ctx.uploads.clear()
        self.submit_with(self.sel.get(row, "withdraw_listing"), "withdraw_listing")

    def _row(self, reference: str, url: str) -> Locator:
        """The listing's row on the complaint's page, opened afresh."""
        self.open(ref=reference)
        urls = [row.get("url", "") for row in self.table("listings")]
        if urls.count(url) != 1:
            raise PortalChanged(self.sel.file, "listings", f"{urls.count(url)} rows show {url}")
        return self.el("listings").locator("tbody tr").nth(urls.index(url))


class History(PortalPage):
    """Complaint history, searchable by reference number or listing URL."""

    name = "history"

    def search(self, query: str) -> list[dict[str, str]]:
        """The rows (reference, ipr, status) matching a reference or a listing URL."""
        self.open(q=query)
        if self.sel.get(self.page, "empty").count():
            return []
        return self.table("table")


def _day(text: str) -> date | None:
    """An ISO date the page shows, or None for an empty cell."""
    try:
        return date.fromisoformat(text.strip()[:10]) if text.strip() else None
    except ValueError:
        return None

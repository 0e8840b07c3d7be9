"""Page objects of IPR Submission and IPR management."""

from __future__ import annotations

from urllib.parse import urljoin

from playwright.sync_api import Error as PlaywrightError

from bot.errors import PortalChanged
from bot.models import Ipr, IprStatus
from flows.pages.base import PortalPage


class IprForm(PortalPage):
    """`/ipr/submit?type=...`: one IPR's form, with its type's own fields and documents."""

    name = "ipr_form"

    def fill_ipr(self, ipr: Ipr) -> None:
        """Fill the common fields, the type's own fields and attach the documents."""
        self.choose("registration_place", ipr.registration_place)
        self.fill("name", ipr.name)
        self.fill("registration_number", ipr.registration_number)
        self.fill("rights_holder", ipr.rights_holder)
        getattr(self, f"_fill_{ipr.type}")(ipr)
        self.fill("additional_info", ipr.additional_info_sent)
        self._attach_documents(ipr)

    def _fill_trademark(self, ipr: Ipr) -> None:
        self.fill("expiration_date", _iso(ipr.expiration_date))
        self.choose("mark_kind", ipr.mark_kind)
        self.fill("classes", ", ".join(str(c) for c in ipr.classes))
        self.fill("brand_info", ipr.brand_info)

    def _fill_copyright(self, ipr: Ipr) -> None:
        self.pick("registered", "yes" if ipr.registered else "no")
        self.choose("work_type", ipr.work_type or "")

    def _fill_patent(self, ipr: Ipr) -> None:
        self.fill("expiration_date", _iso(ipr.expiration_date))
        self.choose("patent_type", ipr.patent_type or "")

    def _fill_other(self, ipr: Ipr) -> None:
        self.fill("valid_from", _iso(ipr.valid_from))
        self.fill("valid_to", _iso(ipr.valid_to))
        self.fill("content", ipr.content)

    def _attach_documents(self, ipr: Ipr) -> None:
        first, *more = ipr.documents
        self.attach("claim_statement" if ipr.type == "copyright" and not ipr.registered else "certificate", [first])
        self.attach("additional_files", more)
        if ipr.power_of_attorney:
            self.attach("power_of_attorney", [ipr.power_of_attorney])

    def submit_ipr(self) -> None:
        """The final Submit."""
        self.submit("submit", "submit")


class IprConfirmation(PortalPage):
    """The page after Submit, showing the reference number."""

    name = "ipr_confirmation"

    def reference(self) -> str:
        """The reference number the portal gave the IPR."""
        return self.shown_reference()

    def shows(self, reference: str, text: str) -> bool:
        """Whether the IPR's page lists `text` among its fields (ippbot's marker in its additional information)."""
        self.open(ref=reference)
        return text in self.el("details").inner_text()


class IprManage(PortalPage):
    """`/ipr/manage`: the account's IPRs, searchable by registration number."""

    name = "ipr_manage"

    def search(self, registration_number: str) -> list[IprStatus]:
        """The IPRs with this registration number (all IPRs for an empty one)."""
        self.open(q=registration_number)
        if self.sel.get(self.page, "empty").count():
            return []
        return [self._row(row) for row in self.table("table")]

    def open_edit(self, reference: str) -> None:
        """Open the edit form of IPR `reference` (a rejected one) from its row, as a person would."""
        self.open(q="")
        row = self.el("table").locator("tbody tr").filter(has_text=reference)
        if row.count() != 1:
            raise PortalChanged(self.sel.file, "table", f"{row.count()} rows show {reference}")
        link = self.sel.get(row, "edit")
        try:
            href = link.get_attribute("href") or ""
            response = self.page.goto(urljoin(self.page.url, href), wait_until="domcontentloaded")
        except PlaywrightError as exc:
            raise self._convert(exc, "open_edit") from exc
        self.check_landing(response, "open_edit")

    def _row(self, row: dict[str, str]) -> IprStatus:
        """One row of the table, its labels turned into our names (type and place where shown)."""
        return IprStatus(reference=row["reference"], registration_number=row["registration_number"],
                         status=self.status_code("status", row["status"]), reason=row.get("reason", ""),
                         name=row.get("name", ""), registration_place=row.get("place", ""),
                         type=self.status_code("type", row["type"]) if row.get("type") else "")


def _iso(value: object) -> str:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else ""

"""Index: the account's IPRs and complaints read from the portal once a run, so that an entry never tried needs no
look-up of its own.

The guarantee stays: nothing is filed that the portal already has. The run reads IPR management
once at its start (one page, however many IPRs it files: the list shows every record's
registration number and name), and an IPR entry that was never tried and that the read does not
show is known to be absent; its flow skips the look-up page (`FlowContext.absent_at_start`).
Everything else is looked up one by one as before: an entry tried before (it may be in doubt),
a correction (its record is known), a right the read shows. What the run files is added to the
index as it goes, so two entries of one right (explicit keys) never both pass as absent. The
one window left is a person filing the same right by hand during the run, which the per-entry
look-up had too, between its look-up and its click.

Complaints the same way, from one read of complaint history. Its rows show no listing URLs, but
they show what a copy of the complaint must share: its IPR (`name (number)`), and a listing count
no higher than its own (the mock counts refused URLs too; a portal counting only accepted ones
shows fewer, never more). A complaint never tried for which no row has both is absent;
one that some row could be is looked up one by one, as before (a false "maybe" costs one page,
never a second filing). A portal whose history shows no count proves nothing absent. What the run
files is kept by its exact listings, so a second entry of the same listings is looked up.

Both reads take the list as whole: the mock's IPR management and complaint history show every
record on one page, and `../shared/domain/ipp-portal.md` says nothing of paging either way. A
portal that paged them would need the read to follow every page before it proves anything absent
(KNOWN LIMIT until a real portal's pages are seen).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.models import Complaint, Ipr, IprStatus
from flows.file_complaint import names_ipr

__all__ = ["PortalIndex"]


@dataclass
class PortalIndex:
    """The registration numbers (and the names of rights without one) the portal held at the run's start."""

    numbers: set[str] = field(default_factory=set)
    unnumbered: set[str] = field(default_factory=set)
    complaints: list[tuple[str, int | None]] | None = None  # (the IPR shown, listing count); None: not read
    filed: set[frozenset[str]] = field(default_factory=set)  # the listings of each complaint this run filed

    @classmethod
    def of(cls, iprs: list[IprStatus]) -> PortalIndex:
        """The index of one read of IPR management (drafts carry nothing: they are not records)."""
        index = cls()
        for ipr in iprs:
            if ipr.status != "draft":
                index.add(ipr.registration_number, ipr.name)
        return index

    def add(self, number: str, name: str) -> None:
        """A right the portal holds (read, or filed by this run)."""
        if number:
            self.numbers.add(number)
        else:
            self.unnumbered.add(name)

    def absent(self, ipr: Ipr) -> bool:
        """Whether the portal held no record of this right at the run's start (nor filed since)."""
        if ipr.edit_reference:
            return False
        if ipr.registration_number:
            return ipr.registration_number not in self.numbers
        return ipr.name not in self.unnumbered

    def read_history(self, rows: list[dict[str, str]]) -> None:
        """The complaints one read of complaint history showed: the IPR each names and its listing count."""
        self.complaints = [(row.get("ipr", ""), _count(row.get("listings", ""))) for row in rows]

    def add_complaint(self, complaint: Complaint) -> None:
        """A complaint filed by this run: its listings exactly (the run knows them, unlike the history's rows)."""
        self.filed.add(frozenset(complaint.listings))

    def complaint_absent(self, complaint: Complaint) -> bool:
        """Whether no complaint the portal held at the run's start (nor filed since) could be this one."""
        if self.complaints is None or frozenset(complaint.listings) in self.filed:
            return False
        return not any(names_ipr(shown, complaint) and (count is None or count <= len(complaint.listings))
                       for shown, count in self.complaints)


def _count(text: str) -> int | None:
    """A listing count as the history shows it; None when it shows none (then nothing is proven)."""
    return int(text) if text.strip().isdigit() else None

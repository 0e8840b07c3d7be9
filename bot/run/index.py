"""Index: the account's IPRs read from the portal once a run, so that an IPR never tried needs no look-up of its own.

The guarantee stays: nothing is filed that the portal already has. The run reads IPR management
once at its start (one page, however many IPRs it files: the list shows every record's
registration number and name), and an IPR entry that was never tried and that the read does not
show is known to be absent; its flow skips the look-up page (`FlowContext.absent_at_start`).
Everything else is looked up one by one as before: an entry tried before (it may be in doubt),
a correction (its record is known), a right the read shows. What the run files is added to the
index as it goes, so two entries of one right (explicit keys) never both pass as absent. The
one window left is a person filing the same right by hand during the run, which the per-entry
look-up had too, between its look-up and its click.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.models import Ipr, IprStatus

__all__ = ["PortalIndex"]


@dataclass
class PortalIndex:
    """The registration numbers (and the names of rights without one) the portal held at the run's start."""

    numbers: set[str] = field(default_factory=set)
    unnumbered: set[str] = field(default_factory=set)

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

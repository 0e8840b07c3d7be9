"""`ippbot sync`: read review outcomes and complaint statuses back from the portal into the ledger.

IPR review results wake the complaints waiting for them; complaint statuses and the
counter-notices waiting for an answer are reported. Every IPR of the account the portal lists,
those filed by hand before ippbot too, is kept as a known record (`Ledger.keep_portal_iprs`):
`ippbot enqueue` checks complaints against them, and a complaint on one waits for its review.
It only reads the portal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.models import ComplaintStatus, IprStatus
from bot.run.contexts import command_flow
from bot.settings import Settings
from bot.store.ledger import Ledger
from flows.read_status import counter_notices_waiting, read_complaints, read_iprs
from flows.session import ensure_session, stored_session


@dataclass
class SyncResult:
    """What a sync read and changed."""

    iprs: list[IprStatus] = field(default_factory=list)
    complaints: list[ComplaintStatus] = field(default_factory=list)
    updated: int = 0

    @property
    def duplicate_iprs(self) -> dict[str, list[str]]:
        """Registration numbers the portal holds more than once (references), drafts aside: a person should look.

        Rights without a number are not compared here (two works may share a name); ippbot's marker finds its own.
        """
        seen: dict[str, list[str]] = {}
        for ipr in self.iprs:
            if ipr.status != "draft" and ipr.registration_number:
                seen.setdefault(ipr.registration_number, []).append(ipr.reference)
        return {number: refs for number, refs in seen.items() if len(refs) > 1}

    @property
    def counter_notices(self) -> list[tuple[str, str]]:
        """(complaint reference, listing URL) waiting for the complainant's answer."""
        return counter_notices_waiting(self.complaints)


def read_portal(settings: Settings) -> SyncResult:
    """Log in if need be and read every IPR and open complaint from the portal."""
    with command_flow(settings, "sync", storage_state=stored_session(settings.session_file),
                      logger="ippbot.sync") as ctx:
        ensure_session(ctx)
        return SyncResult(iprs=read_iprs(ctx), complaints=read_complaints(ctx, open_only=True))


def apply(ledger: Ledger, result: SyncResult, account: str) -> SyncResult:
    """Record what the portal said on the ledger's confirmed entries, and keep the account's IPRs as
    known records (those filed by hand too, for `ippbot enqueue` to check complaints against)."""
    ledger.keep_portal_iprs(account, result.iprs)
    by_ref = {i.reference: i.status for i in result.iprs} | {c.reference: c.status for c in result.complaints}
    for row in ledger.rows():
        status = by_ref.get(row.portal_ref or "")
        if row.state == "confirmed" and status and status != row.portal_status:
            ledger.set_portal_status(row.key, status)
            result.updated += 1
    _keep_copies(ledger, result)
    return result


def _keep_copies(ledger: Ledger, result: SyncResult) -> None:
    """Every further record of an entry's IPR goes in the ledger beside the entry's own reference."""
    doubled = {ref: refs for refs in result.duplicate_iprs.values() for ref in refs}
    for row in ledger.rows():
        if row.kind == "ipr" and row.state == "confirmed" and row.portal_ref in doubled:
            ledger.note_copies(row.key, doubled[row.portal_ref])


def sync(settings: Settings, ledger: Ledger) -> SyncResult:
    """Read the portal and update the ledger."""
    return apply(ledger, read_portal(settings), settings.email)

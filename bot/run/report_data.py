"""The report's account view: what the ledger knows of the account, as plain data the page and report.json show.

`snapshot` reads the ledger once (entries, copies held twice on the portal, the listings and Good
Faith readings the sync keeps); everything after it is a pure function of that snapshot and a
day, so tests build a `Snapshot` by hand. `account_view` gathers:

* `attention`: what needs the operator today, first the counter-notices by deadline in working
  days left (`bot.store.listings.working_days_left`), then entries needs_human, failed, blocked or
  held twice on the portal, each with its reason and the command that settles it
  (`bot.store.states.OPERATOR_DOES`), then IPRs that expire within `EXPIRY_DAYS`;
* `funnel`: per marketplace and per IPR, listings filed -> removed, or counter-noticed -> restored,
  and the takedown rate over the decided ones (as the portal's Good Faith page counts it);
* the Good Faith standing and its readings (`bot.run.standing_view`);
* every listing, with its complaint's readable name.

Readable names (`names`): an IPR is its name and number; a complaint its marketplace, its IPR
and its listing count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.logs import mask_secrets
from bot.models import Complaint, Ipr
from bot.run.standing_view import StandingView, standing_view
from bot.store.ledger import Ledger
from bot.store.listings import working_days_left
from bot.store.records import ListingRow, Record, StandingRow
from bot.store.states import OPERATOR_DOES

EXPIRY_DAYS = 90  # an IPR expiring sooner is shown: a complaint on an expired IPR is refused
ATTENTION_STATES = ("needs_human", "failed", "blocked")
COUNTER_NOTICED = ("counter_noticed", "answered", "restored")  # listings a seller answered


@dataclass(frozen=True)
class Snapshot:
    """What the ledger held for one account when the report was written."""

    account: str
    records: Sequence[Record]
    copies: dict[str, list[str]] = field(default_factory=dict)
    listings: Sequence[ListingRow] = ()
    standings: Sequence[StandingRow] = ()


@dataclass(frozen=True)
class Notice:
    """A counter-notice waiting for the complainant's answer."""

    complaint: str
    name: str
    url: str
    deadline: str
    days_left: int | None
    statement: str
    command: str


@dataclass(frozen=True)
class Attention:
    """An entry that waits for the operator: why, and the command that settles it."""

    key: str
    name: str
    state: str
    reason: str
    command: str


@dataclass(frozen=True)
class Expiring:
    """An IPR that expires soon (or has expired)."""

    key: str
    name: str
    expires: str
    days_left: int


@dataclass(frozen=True)
class Stage:
    """One row of the funnel: a marketplace's or an IPR's listings by outcome."""

    name: str
    filed: int
    pending: int
    removed: int
    counter_noticed: int
    restored: int
    takedown_rate: float | None  # per cent of the decided listings (removed + restored); None before any


@dataclass(frozen=True)
class Listing:
    """One listing of the account as the last sync read it."""

    url: str
    complaint: str
    name: str
    state: str
    changed_on: str
    deadline: str


@dataclass(frozen=True)
class AccountView:
    """The account's whole standing, as the report shows it."""

    account: str
    today: str
    notices: list[Notice]
    attention: list[Attention]
    expiring: list[Expiring]
    by_marketplace: list[Stage]
    by_ipr: list[Stage]
    standing: StandingView
    listings: list[Listing]
    listing_states: list[str]


def snapshot(ledger: Ledger, account: str) -> Snapshot:
    """Read what the report needs of `account` from the ledger (entries pinned to it, and unpinned ones)."""
    records = [ledger.get(row.key) for row in ledger.rows() if row.account in (None, account)]
    keys = {r.key for r in records}
    return Snapshot(account=account, records=records,
                    copies={k: v for k, v in ledger.copies().items() if k in keys},
                    listings=ledger.listings(account=account), standings=ledger.standings(account))


def account_view(snap: Snapshot, today: date) -> AccountView:
    """Everything the account part of the report shows, from a snapshot, on `today`."""
    named = names(snap.records)
    by_ref = complaint_names(snap.records, named)
    listings = [_listing(row, by_ref) for row in snap.listings]
    return AccountView(
        account=snap.account, today=today.isoformat(), notices=notices(snap.listings, today, by_ref),
        attention=attention(snap.records, snap.copies, named), expiring=expiring(snap.records, today),
        by_marketplace=funnel(snap.listings, _marketplaces(snap.records)),
        by_ipr=funnel(snap.listings, _iprs(snap.records, named)),
        standing=standing_view(snap.standings), listings=listings,
        listing_states=sorted({row.state for row in snap.listings}),
    )


# -- readable names ---------------------------------------------------------------------------


def names(records: Iterable[Record]) -> dict[str, str]:
    """Entry key -> readable name: "MARKW (40000001)"; "aliexpress · MARKW (40000001) · 5 listings"."""
    records = list(records)
    iprs = {r.payload.registration_number or r.payload.name: ipr_name(r.payload)
            for r in records if isinstance(r.payload, Ipr)}
    return {r.key: ipr_name(r.payload) if isinstance(r.payload, Ipr) else complaint_name(r.payload, iprs)
            for r in records}


def ipr_name(ipr: Ipr) -> str:
    """An IPR's name and number."""
    return f"{ipr.name} ({ipr.registration_number})" if ipr.registration_number else ipr.name


def complaint_name(complaint: Complaint, iprs: dict[str, str]) -> str:
    """A complaint's marketplace, IPR (by name when the ledger has it) and listing count."""
    count = len(complaint.listings)
    return f"{complaint.platform} · {iprs.get(complaint.ipr, complaint.ipr)} · {count} listing{'s' * (count != 1)}"


def complaint_names(records: Iterable[Record], named: dict[str, str]) -> dict[str, str]:
    """Portal reference of each filed complaint -> its readable name."""
    return {r.portal_ref: named[r.key] for r in records if r.kind == "complaint" and r.portal_ref}


# -- what needs the operator -------------------------------------------------------------------


def notices(rows: Iterable[ListingRow], today: date, by_ref: dict[str, str]) -> list[Notice]:
    """The counter-notices waiting for an answer, soonest deadline first (those without one last)."""
    waiting = [row for row in rows if row.state == "counter_noticed"]
    waiting.sort(key=lambda row: (row.deadline is None, row.deadline or today, row.complaint, row.url))
    return [Notice(complaint=row.complaint, name=by_ref.get(row.complaint, row.complaint), url=row.url,
                   deadline=row.deadline.isoformat() if row.deadline else "",
                   days_left=working_days_left(today, row.deadline) if row.deadline else None,
                   statement=mask_secrets(row.statement or ""),
                   command=f"ippbot respond {row.url} --complaint {row.complaint} --accept|--reject")
            for row in waiting]


def attention(records: Iterable[Record], copies: dict[str, list[str]], named: dict[str, str]) -> list[Attention]:
    """Entries needs_human, failed or blocked, IPRs the review rejected, and entries held twice on the portal:
    each with its reason and command."""
    found = [Attention(key=r.key, name=named.get(r.key, r.key), state=r.state,
                       reason=mask_secrets(r.error or _why(r)), command=OPERATOR_DOES[r.state])
             for r in records if r.state in ATTENTION_STATES]
    found += [Attention(key=r.key, name=named.get(r.key, r.key), state="rejected by review",
                        reason=mask_secrets(r.error or "the portal's review rejected the IPR"),
                        command=f"enqueue it corrected, with corrects: {r.key}")
              for r in records if r.kind == "ipr" and r.state == "confirmed" and r.portal_status == "rejected"]
    found += [Attention(key=key, name=named.get(key, key), state="held twice",
                        reason=f"the portal holds it {len(refs) + 1} times: {', '.join(refs)} besides its own",
                        command=f"withdraw {', '.join(refs)} on the portal (a person does: ippbot files once)")
              for key, refs in sorted(copies.items())]
    return found


def _why(record: Record) -> str:
    return f"{record.state}{f' ({record.human_reason})' if record.human_reason else ''}"


def expiring(records: Iterable[Record], today: date, within: int = EXPIRY_DAYS) -> list[Expiring]:
    """IPR entries (not cancelled) whose right expires within `within` days, or has expired; soonest first."""
    found = [Expiring(key=r.key, name=ipr_name(r.payload), expires=r.payload.expiration_date.isoformat(),
                      days_left=(r.payload.expiration_date - today).days)
             for r in records if isinstance(r.payload, Ipr) and r.state != "cancelled"
             and r.payload.expiration_date is not None and (r.payload.expiration_date - today).days <= within]
    return sorted(found, key=lambda e: e.expires)


# -- the funnel ---------------------------------------------------------------------------------


def funnel(rows: Iterable[ListingRow], group_of: dict[str, str]) -> list[Stage]:
    """One stage per group (complaint reference -> group name, e.g. its marketplace), by name."""
    groups: dict[str, list[str]] = {}
    for row in rows:
        groups.setdefault(group_of.get(row.complaint, "unknown"), []).append(row.state)
    return [stage(name, states) for name, states in sorted(groups.items())]


def stage(name: str, states: Sequence[str]) -> Stage:
    """A group's listings by outcome, with the takedown rate over the decided ones."""
    removed, restored = states.count("removed"), states.count("restored")
    decided = removed + restored
    return Stage(name=name, filed=len(states), pending=states.count("pending"), removed=removed,
                 counter_noticed=sum(s in COUNTER_NOTICED for s in states), restored=restored,
                 takedown_rate=round(100 * removed / decided, 1) if decided else None)


def _marketplaces(records: Iterable[Record]) -> dict[str, str]:
    return {r.portal_ref: r.payload.platform for r in records if isinstance(r.payload, Complaint) and r.portal_ref}


def _iprs(records: Iterable[Record], named: dict[str, str]) -> dict[str, str]:
    records = list(records)
    by_number = {r.payload.registration_number or r.payload.name: named[r.key]
                 for r in records if isinstance(r.payload, Ipr)}
    return {r.portal_ref: by_number.get(r.payload.ipr, r.payload.ipr)
            for r in records if isinstance(r.payload, Complaint) and r.portal_ref}


def _listing(row: ListingRow, by_ref: dict[str, str]) -> Listing:
    return Listing(url=mask_secrets(row.url), complaint=row.complaint, name=by_ref.get(row.complaint, row.complaint),
                   state=row.state, changed_on=row.changed_on.isoformat() if row.changed_on else "",
                   deadline=row.deadline.isoformat() if row.deadline else "")

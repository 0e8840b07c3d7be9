"""The all-accounts page: an agency's accounts side by side, each with what needs the operator and a link to its report.

One line per account, from the same figures its own report shows (`bot.run.report_data.account_view`
over `snapshot`): its entries per state, the counter-notices waiting and the soonest deadline in
working days, the entries that wait for a person, the IPRs expiring soon, its listings filed,
removed and restored, and its Good Faith rates against the thresholds. Each line links the
account's latest report. `write_all_accounts` writes `all-accounts.html` and `all-accounts.json`
into the runs folder (`DATA_DIR/runs/`, beside the run folders, which the links are relative to);
`ippbot run`, `ippbot sync` and `ippbot report` write it when the accounts file has more than one
account. The page needs no script and nothing from outside, and says at its foot what it holds.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.files import write_atomically
from bot.run.artifacts import latest_run
from bot.run.report import templates
from bot.run.report_data import AccountView, account_view, snapshot
from bot.store.ledger import Ledger

__all__ = ["AccountLine", "AllAccounts", "account_line", "write_all_accounts"]

PAGE = "all-accounts.html"


@dataclass(frozen=True)
class AccountLine:
    """One account's line: its figures today and the link to its latest report."""

    account: str
    report: str  # relative to the page; "" before the account's first run
    entries: int
    states: dict[str, int]
    notices: int
    soonest_days_left: int | None  # working days to the soonest counter-notice deadline
    attention: int
    expiring: int
    filed: int
    removed: int
    restored: int
    takedown_rate: float | None  # the Good Faith page's, as the last sync read it
    counter_notice_success_rate: float | None
    standing_ok: bool | None  # both rates within the thresholds; None before any reading
    standing_day: str


@dataclass(frozen=True)
class AllAccounts:
    """The page's data (also `all-accounts.json`)."""

    today: str
    accounts: list[AccountLine]
    needs_you: int  # counter-notices and entries waiting for a person, over every account


def account_line(view: AccountView, states: dict[str, int], report: str) -> AccountLine:
    """An account's line from its report's view and its entries' states."""
    days = [n.days_left for n in view.notices if n.days_left is not None]
    stages = view.by_marketplace
    s = view.standing
    return AccountLine(
        account=view.account, report=report, entries=sum(states.values()), states=states,
        notices=len(view.notices), soonest_days_left=min(days, default=None), attention=len(view.attention),
        expiring=len(view.expiring), filed=sum(x.filed for x in stages), removed=sum(x.removed for x in stages),
        restored=sum(x.restored for x in stages), takedown_rate=s.takedown_rate,
        counter_notice_success_rate=s.counter_notice_success_rate,
        standing_ok=(s.takedown_ok and s.counter_notice_ok) if s.day else None, standing_day=s.day,
    )


def write_all_accounts(runs_dir: Path, ledger: Ledger, accounts: list[str], today: date | None = None) -> Path:
    """Write `all-accounts.html` and `.json` into `runs_dir` for `accounts`, in the order given; the page's path."""
    on = today or date.today()
    rows = ledger.rows()
    lines = []
    for email in accounts:
        states = {str(state): n for state, n in Counter(r.state for r in rows if r.account in (None, email)).items()}
        latest = latest_run(runs_dir, email)
        page = latest.root / "report.html" if latest is not None else None
        link = page.relative_to(runs_dir).as_posix() if page is not None and page.is_file() else ""
        lines.append(account_line(account_view(snapshot(ledger, email), on), states, link))
    data = AllAccounts(today=on.isoformat(), accounts=lines,
                       needs_you=sum(line.notices + line.attention for line in lines))
    runs_dir.mkdir(parents=True, exist_ok=True)
    target = runs_dir / PAGE
    write_atomically(target, templates().get_template(PAGE).render(d=data))
    write_atomically(runs_dir / "all-accounts.json", json.dumps(dataclasses.asdict(data), indent=2))
    return target

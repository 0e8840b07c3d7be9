"""The wait, end to end: `ippbot sync`, `status`, `standing`, `counter-notices`, `respond` and `withdraw` as
processes against the served portal, whose records (`GET /__mock/state`) the ledger must agree with.

Each test files one trademark and two complaints (listings chosen so that some get a counter-notice,
by the portal's own dice), then moves the portal's clock a week on: the other listings are removed
when the seller window ends, and the counter-notices wait for the complainant's answer.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Page
from support import DOCS, MockPortal, Operator, make_ctx, make_settings

from fixtures.portal.rules import dice
from flows.register import mock_mailbox, register

# the portal's listing statuses -> the ledger's names
LEDGER_NAMES = {"pending": "pending", "awaiting_complainant": "counter_noticed", "platform_review": "answered",
                "removed": "removed", "restored": "restored", "refused": "rejected", "rejected": "rejected",
                "withdrawn": "withdrawn"}
NUMBER = "40000001"


def item(k: int) -> str:
    return f"https://www.aliexpress.com/item/{k}.html"


def urls(noticed: int, plain: int, start: int) -> list[str]:
    """`noticed` URLs the portal counter-notices and `plain` ones it does not, from item `start` on."""
    picked: dict[bool, list[str]] = {True: [], False: []}
    k = start
    while len(picked[True]) < noticed or len(picked[False]) < plain:
        url = item(k)
        chosen = dice(url, "counter-notice") < 10  # the portal's default share, 10%
        if len(picked[chosen]) < (noticed if chosen else plain):
            picked[chosen].append(url)
        k += 1
    return picked[True] + picked[False]


def wait_batch(path: Path) -> Path:
    """One trademark and two complaints: 3 counter-noticed listings and 2 plain, then 2 and 2 (9 listings)."""
    ipr = {"type": "trademark", "name": "MARKW", "registration_number": NUMBER, "registration_place": "CN",
           "rights_holder": "Demo Brand Ltd", "expiration_date": "2034-01-01", "classes": [9],
           "documents": [str(DOCS / "trademark-certificate.pdf")]}
    complaints = [{"platform": "aliexpress", "ipr": NUMBER, "reason": "trademark_misuse", "listings": urls(*n)}
                  for n in ((3, 2, 7100000), (2, 2, 7200000))]
    path.write_text(yaml.safe_dump({"iprs": [ipr], "complaints": complaints}), encoding="utf-8")
    return path


@pytest.fixture
def operator(portal: MockPortal, page: Page, tmp_path: Path) -> Operator:
    """An operator whose batch is filed and whose sellers' windows are over: 5 counter-notices wait, 4 removed."""
    data_dir = tmp_path / "data"
    assert register(make_ctx(page, make_settings(portal.url, data_dir)), mock_mailbox(portal.url)) == "registered"
    operator = Operator(portal, data_dir)
    operator.ippbot("enqueue", str(wait_batch(tmp_path / "wait.yaml")), check=True)
    operator.ippbot("run", check=True)
    portal.advance(7)
    operator.ippbot("sync", check=True)
    operator.ippbot("run", check=True)
    assert operator.states() == {"confirmed": 3}
    portal.advance(7)  # reviewed Tuesday, counter-notices Thursday, the rest removed Friday
    return operator


def portal_listings(portal: MockPortal) -> dict[tuple[str, str], dict[str, Any]]:
    """(complaint reference, URL) -> the portal's listing record."""
    return {(c["ref"], li["url"]): li for c in portal.state()["complaints"] for li in c["listings"]}


def portal_counts(portal: MockPortal) -> dict[str, dict[str, int]]:
    """complaint reference -> {ledger name: listings}, from the portal's records."""
    counts: dict[str, Counter[str]] = {}
    for (ref, _url), listing in portal_listings(portal).items():
        counts.setdefault(ref, Counter())[LEDGER_NAMES[listing["status"]]] += 1
    return {ref: dict(c) for ref, c in counts.items()}


def ledger_counts(operator: Operator) -> dict[str, dict[str, int]]:
    return {row["portal_ref"]: row["listings"] for row in operator.status() if row["kind"] == "complaint"}


def waiting_on_portal(portal: MockPortal) -> set[tuple[str, str]]:
    return {key for key, li in portal_listings(portal).items() if li["status"] == "awaiting_complainant"}


def counter_notices(operator: Operator, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(operator.ippbot("counter-notices", "--json", *args, check=True).stdout)
    return rows


def test_sync_reads_every_listing_and_status_counts_them(operator: Operator) -> None:
    """After the sellers' windows, sync keeps every listing's state; status --json counts agree with the portal."""
    done = operator.ippbot("sync", check=True)
    assert "listings changed state" in done.stdout and "5 counter-notices wait for an answer" in done.stdout
    assert ledger_counts(operator) == portal_counts(operator.portal)
    assert {c["counter_noticed"] for c in portal_counts(operator.portal).values()} == {3, 2}
    text = operator.ippbot("status", check=True).stdout
    assert "COMPLAINT" in text and "counter_noticed 3, removed 2" in text
    operator.portal.advance(2)  # the unanswered counter-notices run out: restored
    operator.ippbot("sync", check=True)
    assert ledger_counts(operator) == portal_counts(operator.portal)
    assert {tuple(sorted(c)) for c in ledger_counts(operator).values()} == {("removed", "restored")}


def test_standing_matches_the_good_faith_page(operator: Operator) -> None:
    """`standing --json` gives the portal's Good Faith figures in per cent, and whether the account qualifies."""
    operator.portal.advance(2)  # every listing decided: 4 removed, 5 restored after unanswered counter-notices
    statuses = Counter(li["status"] for li in portal_listings(operator.portal).values())
    decided = statuses["removed"] + statuses["restored"]
    read = json.loads(operator.ippbot("standing", "--json", check=True).stdout)
    assert read == {"takedown_rate": round(100 * statuses["removed"] / decided, 1),
                    "counter_notice_success_rate": round(100 * statuses["restored"] / decided, 1),
                    "qualifies": False, "listings": decided,
                    "status": "Not enough complaints yet (at least 10 listings)"}
    assert (decided, read["takedown_rate"]) == (9, 44.4)
    line = operator.ippbot("standing", check=True).stdout
    assert "takedown rate 44.4%" in line and "does not qualify" in line


def test_counter_notices_lists_exactly_what_waits_on_the_portal(operator: Operator) -> None:
    """`counter-notices --sync --json` lists the portal's waiting counter-notices, each with its deadline and statement."""
    listed = counter_notices(operator, "--sync")
    assert {(n["complaint"], n["url"]) for n in listed} == waiting_on_portal(operator.portal)
    records = portal_listings(operator.portal)
    for notice in listed:
        record = records[(notice["complaint"], notice["url"])]
        assert notice["deadline"] == record["response_due_at"][:10]
        assert notice["statement"] == record["statement"] and notice["chance"] == 1
    operator.portal.advance(2)  # the answers' deadline passes: none waits any more
    assert counter_notices(operator) == listed  # from the ledger, as the last sync left it
    assert counter_notices(operator, "--sync") == []

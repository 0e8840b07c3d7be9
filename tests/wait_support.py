"""The wait's shared test pieces: a batch whose listings the portal counter-notices in part, filed and
taken through the sellers' windows, and the portal's listing records read in the ledger's names.

Used by tests/e2e/test_the_wait.py and tests/reliability/test_wait_actions.py.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from support import DOCS, MockPortal, Operator

from fixtures.portal.rules import dice

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


def through_the_sellers_windows(operator: Operator, tmp_path: Path) -> Operator:
    """File the batch (its IPR reviewed, its complaints filed) and move a week on: 5 counter-notices wait, 4 removed."""
    operator.ippbot("enqueue", str(wait_batch(tmp_path / "wait.yaml")), check=True)
    operator.ippbot("run", check=True)
    operator.portal.advance(7)
    operator.ippbot("sync", check=True)
    operator.ippbot("run", check=True)
    assert operator.states() == {"confirmed": 3}
    operator.portal.advance(7)  # reviewed Tuesday, counter-notices Thursday, the rest removed Friday
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


def waiting_on_portal(portal: MockPortal) -> set[tuple[str, str]]:
    return {key for key, li in portal_listings(portal).items() if li["status"] == "awaiting_complainant"}


def counter_notices(operator: Operator, *args: str) -> list[dict[str, Any]]:
    """`ippbot counter-notices --json` (with `args`), parsed."""
    rows: list[dict[str, Any]] = json.loads(operator.ippbot("counter-notices", "--json", *args, check=True).stdout)
    return rows

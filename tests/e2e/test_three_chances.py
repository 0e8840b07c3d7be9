"""The seller's three chances, end to end: a listing counter-noticed, answered, removed at the platform's review,
counter-noticed again, and so on to the third chance; each round answered once, by the operator (`ippbot respond`)
or by a policy (`ippbot sync`), and the ledger agreeing with the portal's records at every step.

The listings are chosen by the portal's own dice: counter-noticed at first, removed at each platform review,
and their sellers try again (the portal's default shares: 10% counter-noticed, 50% try again).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from support import DOCS, Operator
from wait_support import NUMBER, counter_notices, item, portal_counts, portal_listings, waiting_on_portal

from fixtures.portal.rules import dice

POLICY_DAYS = {"IPPBOT_COUNTER_NOTICE_POLICY_DAYS": "3"}  # every answer is due within 3 working days


def fighting_sellers(n: int, start: int = 7300000) -> list[str]:
    """`n` listings whose sellers counter-notice, lose at the platform's review and try again, to the third chance."""
    found: list[str] = []
    k = start
    while len(found) < n:
        url = item(k)
        if dice(url, "counter-notice") < 10 and dice(url, "platform") >= 50 and dice(url, "chance-2") < 50 \
                and dice(url, "platform-2") >= 50 and dice(url, "chance-3") < 50:
            found.append(url)
        k += 1
    return found


def batch(path: Path, listings: list[str]) -> Path:
    ipr = {"type": "trademark", "name": "MARKW", "registration_number": NUMBER, "registration_place": "CN",
           "rights_holder": "Demo Brand Ltd", "expiration_date": "2034-01-01", "classes": [9],
           "documents": [str(DOCS / "trademark-certificate.pdf")]}
    complaint = {"platform": "aliexpress", "ipr": NUMBER, "reason": "trademark_misuse", "listings": listings}
    path.write_text(yaml.safe_dump({"iprs": [ipr], "complaints": [complaint]}), encoding="utf-8")
    return path


def agrees(operator: Operator) -> None:
    """The ledger's listings, as `status --json` counts them, are the portal's."""
    ledger = {row["portal_ref"]: row["listings"] for row in operator.status() if row["kind"] == "complaint"}
    assert ledger == portal_counts(operator.portal)


def waiting_chances(operator: Operator) -> dict[str, int]:
    """URL -> the chance of its counter-notice, as `ippbot counter-notices --json` lists them (after a sync)."""
    listed = counter_notices(operator, "--sync")
    assert {(n["complaint"], n["url"]) for n in listed} == waiting_on_portal(operator.portal)
    return {n["url"]: n["chance"] for n in listed}


def test_three_rounds_each_answered_once(operator: Operator, tmp_path: Path) -> None:
    """Round 1 rejected by the operator, round 2 by the reject policy, round 3 accepted by the accept policy: each
    answer on the portal once, for its own chance; the complaint closes after the last chance, restored."""
    portal = operator.portal
    listings = fighting_sellers(2)
    operator.ippbot("enqueue", str(batch(tmp_path / "b.yaml", listings)), check=True)
    operator.ippbot("run", check=True)
    portal.advance(7)
    operator.ippbot("sync", check=True)
    operator.ippbot("run", check=True)
    portal.advance(7)  # accepted Tuesday, counter-notices Thursday
    assert waiting_chances(operator) == dict.fromkeys(listings, 1)
    for url in listings:  # round 1: the operator
        operator.ippbot("respond", url, "--reject", "--note", "Not a reseller", check=True)
    agrees(operator)
    portal.advance(7)  # the platform's review removes them; the sellers come back 2 working days later
    assert waiting_chances(operator) == dict.fromkeys(listings, 2)
    agrees(operator)
    done = operator.ippbot("sync", extra_env={"IPPBOT_COUNTER_NOTICE_POLICY": "reject", **POLICY_DAYS}, check=True)
    assert done.stdout.count("policy reject: filed: answer of") == 2  # round 2: the reject policy
    records = portal_listings(portal)
    assert {(li["status"], li["response"], li["chance"]) for key, li in records.items() if key[1] in listings} == \
        {("platform_review", "reject", 2)}
    portal.advance(7)
    assert waiting_chances(operator) == dict.fromkeys(listings, 3)
    done = operator.ippbot("sync", extra_env={"IPPBOT_COUNTER_NOTICE_POLICY": "accept", **POLICY_DAYS}, check=True)
    assert done.stdout.count("policy accept: filed: answer of") == 2  # round 3: the accept policy
    again = operator.ippbot("sync", extra_env={"IPPBOT_COUNTER_NOTICE_POLICY": "accept", **POLICY_DAYS}, check=True)
    assert "policy accept: filed" not in again.stdout
    agrees(operator)
    portal.advance(30)  # past the last chance: the complaint closes
    operator.ippbot("sync", check=True)
    agrees(operator)
    [complaint] = portal.state()["complaints"]
    assert complaint["status"] == "closed"
    assert {li["status"] for li in complaint["listings"]} == {"restored"}
    assert [m for m in portal.mailbox(operator.email) if "chance 3 of 3" in m["body"]]

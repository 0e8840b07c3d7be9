"""The wait, end to end: `ippbot sync`, `status`, `standing`, `counter-notices`, `respond` and `withdraw` as
processes against the served portal, whose records (`GET /__mock/state`) the ledger must agree with.

Each test files one trademark and two complaints (listings chosen so that some get a counter-notice,
by the portal's own dice), then moves the portal's clock a week on: the other listings are removed
when the seller window ends, and the counter-notices wait for the complainant's answer.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from support import DOCS, Operator
from wait_support import (
    counter_notices,
    portal_counts,
    portal_listings,
    through_the_sellers_windows,
    waiting_on_portal,
)

from bot.settings import Settings
from bot.store.ledger import Ledger


@pytest.fixture
def operator(operator: Operator, tmp_path: Path) -> Operator:
    """An operator whose batch is filed and whose sellers' windows are over: 5 counter-notices wait, 4 removed."""
    return through_the_sellers_windows(operator, tmp_path)


def ledger_counts(operator: Operator) -> dict[str, dict[str, int]]:
    return {row["portal_ref"]: row["listings"] for row in operator.status() if row["kind"] == "complaint"}


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
    operator.ippbot("sync", check=True)  # sync keeps the day's reading too: still one a day
    with Ledger.open(Settings(_env_file=None, data_dir=operator.data_dir)) as ledger:
        [kept] = ledger.standings(operator.email)
    assert (kept.takedown_rate, kept.counter_notice_success_rate, kept.qualifies) == (44.4, 55.6, False)


def test_counter_notices_lists_exactly_what_waits_on_the_portal(operator: Operator) -> None:
    """`counter-notices --sync --json` lists the portal's waiting counter-notices, with deadline and statement."""
    listed = counter_notices(operator, "--sync")
    assert {(n["complaint"], n["url"]) for n in listed} == waiting_on_portal(operator.portal)
    records = portal_listings(operator.portal)
    for notice in listed:
        record = records[(notice["complaint"], notice["url"])]
        assert notice["deadline"] == record["response_due_at"][:10]
        assert notice["statement"] == record["statement"] and notice["chance"] == 1
    assert counter_notices(operator, "--due-within", "100") == listed
    assert counter_notices(operator, "--due-within", "0") == []  # the portal's clock runs weeks ahead of ours
    operator.portal.advance(2)  # the answers' deadline passes: none waits any more
    assert counter_notices(operator) == listed  # from the ledger, as the last sync left it
    assert counter_notices(operator, "--sync") == []


def waiting_by_complaint(operator: Operator) -> dict[str, list[str]]:
    """complaint reference -> the URLs of its waiting counter-notices (after a sync)."""
    by_ref: dict[str, list[str]] = {}
    for notice in counter_notices(operator, "--sync"):
        by_ref.setdefault(notice["complaint"], []).append(notice["url"])
    return dict(sorted(by_ref.items(), key=lambda kv: -len(kv[1])))  # the complaint with 3 first


def test_respond_rejects_and_accepts_once_each(operator: Operator) -> None:
    """`respond --reject` (with a note and evidence) and `--accept` change the portal's records once; again: nothing."""
    (ref, (rejected, accepted, _)), _ = waiting_by_complaint(operator).items()
    evidence = str(DOCS / "trademark-certificate.pdf")
    done = operator.ippbot("respond", rejected, "--reject", "--note", "Not a reseller", "--evidence", evidence,
                           check=True)
    assert done.stdout.startswith(f"filed: answer of {ref} {rejected}")
    operator.ippbot("respond", accepted, "--accept", check=True)
    records = portal_listings(operator.portal)
    first, second = records[(ref, rejected)], records[(ref, accepted)]
    assert (first["status"], first["response"], first["response_note"]) == ("platform_review", "reject",
                                                                             "Not a reseller")
    assert [f["filename"] for f in json.loads(first["response_evidence"])] == ["trademark-certificate.pdf"]
    assert (second["status"], second["response"]) == ("restored", "accept")
    again = operator.ippbot("respond", rejected, "--reject", check=True)
    assert again.stdout.startswith(f"already on the portal: answer of {ref} {rejected}")
    assert portal_listings(operator.portal)[(ref, rejected)]["responded_at"] == first["responded_at"]
    assert {(n["complaint"], n["url"]) for n in counter_notices(operator)} == waiting_on_portal(operator.portal)
    refused = operator.ippbot("respond", accepted, "--reject")
    assert refused.returncode == 1 and "was accepted already" in refused.stdout


def test_withdraw_a_listing_then_a_whole_complaint(operator: Operator) -> None:
    """`withdraw REF --listing URL` takes back one listing; `withdraw REF` the rest of the complaint, once."""
    (first_ref, _), (second_ref, (url, *_)) = waiting_by_complaint(operator).items()
    operator.ippbot("withdraw", second_ref, "--listing", url, check=True)
    statuses = {u: li["status"] for (r, u), li in portal_listings(operator.portal).items() if r == second_ref}
    assert statuses[url] == "withdrawn" and Counter(statuses.values()) == {"withdrawn": 1, "awaiting_complainant": 1,
                                                                        "removed": 2}
    operator.ippbot("withdraw", first_ref, check=True)
    complaint = next(c for c in operator.portal.state()["complaints"] if c["ref"] == first_ref)
    assert complaint["status"] == "withdrawn"
    assert Counter(li["status"] for li in complaint["listings"]) == {"withdrawn": 3, "removed": 2}
    again = operator.ippbot("withdraw", first_ref, check=True)
    assert again.stdout.startswith(f"already on the portal: withdrawal of complaint {first_ref}")
    operator.ippbot("sync", check=True)
    assert ledger_counts(operator) == portal_counts(operator.portal)


def said_waiting(process: subprocess.Popen[str]) -> str:
    """Read the process's stderr up to the line that says it waits for the lease (or to its end)."""
    assert process.stderr is not None
    for line in process.stderr:
        if "waiting for" in line:
            return line
    return ""


def test_respond_while_a_run_holds_the_lease(operator: Operator) -> None:
    """While a run holds the account's lease, respond exits 3 with one line; with --wait it answers once it is free."""
    (ref, (url, *_)), _ = waiting_by_complaint(operator).items()
    settings = Settings(_env_file=None, data_dir=operator.data_dir)
    run = "run 20261201T000000-1 on another-host pid 1"
    with Ledger.open(settings) as ledger:
        assert ledger.acquire_lease(operator.email, run, 300)
        busy = operator.ippbot("respond", url, "--reject")
        assert busy.returncode == 3 and len(busy.stderr.strip().splitlines()) == 1
        assert "holds account" in busy.stderr and "--wait" in busy.stderr
        assert portal_listings(operator.portal)[(ref, url)]["status"] == "awaiting_complainant"
        waiting = operator.start("respond", url, "--reject", "--wait")
        said = said_waiting(waiting)  # respond says it waits, and waits
        assert "waiting for run 20261201T000000-1" in said and waiting.poll() is None
        ledger.release_lease(operator.email, run)
        out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, out + err
    assert out.startswith(f"filed: answer of {ref} {url}")
    assert portal_listings(operator.portal)[(ref, url)]["status"] == "platform_review"

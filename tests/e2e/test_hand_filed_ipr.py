"""An IPR filed by hand on the portal before ippbot: unknown until `ippbot sync`, then complained on like any other.

The account's own person filed a trademark on the portal (here: the flow, with no ledger
behind it). A listings file on it is refused until a sync has read the account's IPRs; once
it has, the complaint waits for that IPR's review, goes once the portal approves it, and the
IPR itself is never filed again by ippbot.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page
from support import IPRS, MockPortal, Operator, aliexpress, make_ctx, make_settings

from flows.register import mock_mailbox, register
from flows.submit_ipr import submit_ipr


def test_an_ipr_filed_by_hand_is_known_after_a_sync_and_complained_on(
        portal: MockPortal, page: Page, tmp_path: Path) -> None:
    """Refused before the sync (with the hint), enqueued after it, held while in review, filed once approved."""
    data_dir = tmp_path / "data"
    member = make_ctx(page, make_settings(portal.url, data_dir))
    assert register(member, mock_mailbox(portal.url)) == "registered"
    by_hand = submit_ipr(member, IPRS["trademark"])  # nobody enqueued it: the ledger does not know it
    operator = Operator(portal, data_dir)
    listings = tmp_path / "listings.csv"
    listings.write_text("ipr,platform,url,reason\n" + "".join(
        f"{IPRS['trademark'].registration_number},aliexpress,{url},trademark_misuse\n" for url in aliexpress(3)),
        encoding="utf-8")

    refused = operator.ippbot("enqueue", str(listings))
    assert refused.returncode == 2
    assert "listings.csv: line 2, ipr: IPR '12345678' is in no batch" in refused.stderr
    assert "if it was filed by hand, run ippbot sync" in refused.stderr
    assert operator.status() == []

    operator.ippbot("sync", check=True)
    assert "enqueued 1 entry" in operator.ippbot("enqueue", str(listings), check=True).stdout
    operator.ippbot("run")
    [held] = operator.status()
    assert held["state"] == "waiting"
    assert f"waiting for IPR {by_hand.reference} on the portal (not filed by ippbot" in held["error"]

    portal.advance(7)
    operator.ippbot("sync", check=True)
    operator.ippbot("run", check=True)
    assert operator.states() == {"confirmed": 1}
    state = portal.state()
    assert [i["registration_number"] for i in state["iprs"]] == ["12345678"]
    [complaint] = state["complaints"]
    assert sorted(li["url"] for li in complaint["listings"]) == sorted(aliexpress(3))

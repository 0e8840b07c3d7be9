"""Round trips: a run reads IPR management once, not once per IPR, and still files nothing the portal has.

Counted where the portal sees them (`GET /__mock/requests`): a far-away portal charges a round
trip for every request, so a run's cost is its requests per entry, not its milliseconds here.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from playwright.sync_api import Page
from support import IPRS, Operator, assert_each_once, make_ctx, make_settings, write_batch

from flows.session import login
from flows.submit_ipr import submit_ipr

IPRS_FILED = 10



def test_a_run_reads_ipr_management_once(operator: Operator, tmp_path: Path) -> None:
    """Ten new IPRs: one read of IPR management for the run, one form, one post and one confirmation each."""
    operator.ippbot("enqueue", str(write_batch(tmp_path / "b.yaml", iprs=IPRS_FILED)), check=True)
    operator.portal.requests(reset=True)
    operator.ippbot("run", check=True)
    counted = operator.portal.requests()["by_route"]
    assert counted["GET /ipr/manage"] == 1
    assert (counted["GET /ipr/submit"], counted["POST /ipr/submit"], counted["GET /ipr/{ref}"]) == \
        (IPRS_FILED, IPRS_FILED, IPRS_FILED)
    assert_each_once(operator.portal, operator)


def test_what_the_portal_has_is_still_never_filed_again(operator: Operator, page: Page, tmp_path: Path) -> None:
    """A right filed by hand before the run, and one right given twice under two keys: each on the portal once."""
    member = make_ctx(page, make_settings(operator.portal.url, operator.data_dir))
    login(member)  # the operator's own browser: a person files one by hand
    by_hand = submit_ipr(member, IPRS["trademark"])
    batch = tmp_path / "b.yaml"
    twice = yaml.safe_load(write_batch(tmp_path / "one.yaml", iprs=1).read_text(encoding="utf-8"))["iprs"][0]
    mark = IPRS["trademark"]
    batch.write_text(yaml.safe_dump({"iprs": [
        {**twice, "key": "first-copy"}, {**twice, "key": "second-copy"},
        {"type": "trademark", "name": mark.name, "registration_number": mark.registration_number,
         "registration_place": "CN", "rights_holder": mark.rights_holder, "expiration_date": "2031-05-01",
         "classes": [9, 25], "documents": [str(p) for p in mark.documents]},
    ]}), encoding="utf-8")
    operator.ippbot("enqueue", str(batch), check=True)
    operator.ippbot("run", check=True)
    rows = {r["key"]: r for r in operator.status()}
    assert rows[mark.identity]["portal_ref"] == by_hand.reference
    numbers = [i["registration_number"] for i in operator.portal.state()["iprs"]]
    assert sorted(numbers) == sorted([twice["registration_number"], mark.registration_number])
    assert rows["first-copy"]["portal_ref"] == rows["second-copy"]["portal_ref"]


def test_a_run_reads_complaint_history_once(operator: Operator, tmp_path: Path) -> None:
    """New complaints: one read of complaint history for the run, no look-up page each; a complaint already on the
    portal (filed before, its entry then lost) still is looked up, found, and never filed again."""
    operator.ippbot("enqueue", str(write_batch(tmp_path / "b.yaml", iprs=2, complaints_per_ipr=3)), check=True)
    operator.ippbot("run", check=True)
    operator.portal.advance(7)
    operator.ippbot("sync", check=True)
    operator.portal.requests(reset=True)
    operator.ippbot("run", check=True)
    counted = operator.portal.requests()["by_route"]
    assert counted["GET /complaint/history"] == 1
    assert len(operator.portal.state()["complaints"]) == 6
    again = Operator(operator.portal, tmp_path / "again")  # a second ledger, on the same account
    again.ippbot("enqueue", str(write_batch(tmp_path / "b.yaml", iprs=2, complaints_per_ipr=3)), check=True)
    again.ippbot("run", check=True)  # its IPRs: found on the portal
    again.ippbot("sync", check=True)  # approved: its complaints may go
    again.portal.requests(reset=True)
    again.ippbot("run", check=True)
    assert again.portal.requests()["by_route"]["GET /complaint/history"] == 1 + 6  # the read, then each looked up
    assert len(operator.portal.state()["complaints"]) == 6 and len(operator.portal.state()["iprs"]) == 2
    assert all(row["state"] == "confirmed" for row in again.status())

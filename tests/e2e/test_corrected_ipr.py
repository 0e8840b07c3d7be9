"""A rejected IPR, corrected: the operator's `corrects: KEY` is filed through the record's edit form, and the
complaints blocked on it go on once the correction is approved.

The trademark goes in with a registration number the portal's review refuses (a CN mark has 7 to 9
digits); its complaint, which names that number, is blocked. The operator enqueues the IPR
again with the right number and `corrects:` its key. At every step the portal's records and the
ledger agree: one IPR record, corrected in place, and one complaint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from support import DOCS, Operator, aliexpress

KEY = "ipr:trademark:CN:TM-1234"



def trademark(number: str, **more: Any) -> dict[str, Any]:
    return {"type": "trademark", "name": "ACME", "registration_number": number, "registration_place": "CN",
            "rights_holder": "Demo Brand Ltd", "expiration_date": "2034-01-01", "classes": [9],
            "documents": [str(DOCS / "trademark-certificate.pdf")], **more}


def batch(path: Path, **content: Any) -> Path:
    path.write_text(yaml.safe_dump(content), encoding="utf-8")
    return path


def portal_iprs(operator: Operator) -> list[tuple[str, str]]:
    return [(i["registration_number"], i["status"]) for i in operator.portal.state()["iprs"]]


def test_a_rejected_ipr_corrected_is_filed_in_place_and_its_complaint_goes_on(
        operator: Operator, tmp_path: Path) -> None:
    """Rejected, blocked; corrected with a new number through the same record; approved; the complaint filed once."""
    complaint = {"platform": "aliexpress", "ipr": "TM-1234", "reason": "trademark_misuse", "listings": aliexpress(3)}
    operator.ippbot("enqueue", str(batch(tmp_path / "b.yaml", iprs=[trademark("TM-1234")], complaints=[complaint])),
                    check=True)
    operator.ippbot("run", check=True)
    operator.portal.advance(7)
    operator.ippbot("sync", check=True)
    operator.ippbot("run")
    rows = {r["key"]: r for r in operator.status()}
    assert rows[KEY]["state"] == "confirmed"
    [held] = [r for k, r in rows.items() if k != KEY]
    assert held["state"] == "blocked"
    assert f"corrects: {KEY}" in held["error"]
    assert portal_iprs(operator) == [("TM-1234", "rejected")]

    fixed = batch(tmp_path / "fixed.yaml", iprs=[trademark("30612399", corrects=KEY)])
    said = operator.ippbot("enqueue", str(fixed), check=True).stdout
    reference = rows[KEY]["portal_ref"]
    assert f"fixed.yaml:iprs[0] corrects {KEY}: the next run files the correction through the portal's edit " \
           f"form of {reference}" in said
    operator.ippbot("run")
    assert portal_iprs(operator) == [("30612399", "pending")]  # the same record, corrected: no second IPR
    corrected = {r["key"]: r for r in operator.status()}[KEY]
    assert (corrected["state"], corrected["portal_ref"]) == ("confirmed", reference)

    operator.portal.advance(7)
    operator.ippbot("sync", check=True)
    operator.ippbot("run", check=True)
    assert operator.states() == {"confirmed": 2}
    assert portal_iprs(operator) == [("30612399", "approved")]
    [filed] = operator.portal.state()["complaints"]
    assert sorted(li["url"] for li in filed["listings"]) == sorted(aliexpress(3))
    history = operator.ippbot("history", KEY, check=True).stdout
    assert "corrected from" in history

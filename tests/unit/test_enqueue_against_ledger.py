"""`ippbot enqueue` of listing files whose IPRs came earlier: checked against the ledger and the portal's records.

The ledger was filled the day before: IPR entries from a YAML batch (one of them since
expired), and the account's IPRs on the portal as `ippbot sync` read them, some filed by
hand. Each listing file below has one mistake; each is refused with exit 2, names the file,
the line and the field, and adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.commands import cli
from bot.models import Entry, Ipr, IprStatus
from bot.store.ledger import Ledger

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("isolated", "cli_env")]  # tests/unit/conftest.py

ACCOUNT = "brand@example.com"
DOCS = Path(__file__).resolve().parents[2] / "fixtures" / "documents"
EVIDENCE = DOCS / "evidence-comparison.png"
YESTERDAY = date.today() - timedelta(days=1)
HEADER = "ipr,platform,url,reason,type,evidence,note"
ITEM = "https://item.taobao.com/item.htm?id=5001"
ALI_ITEM = "https://www.aliexpress.com/item/1005001.html"


def trademark(number: str, place: str = "CN", expires: date = date(2034, 5, 1)) -> Ipr:
    return Ipr(type="trademark", name=f"ACME {number}", registration_number=number, registration_place=place,
               rights_holder="Demo Brand Ltd", expiration_date=expires, classes=(9,),
               documents=(DOCS / "trademark-certificate.pdf",))


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """Yesterday's ledger: three trademark entries and four IPRs on the portal, two of them filed by hand."""
    (tmp_path / ".ippbot").mkdir()
    with Ledger(f"sqlite:///{tmp_path / '.ippbot' / 'ledger.sqlite3'}") as opened:
        iprs = [trademark("30612345"), trademark("US-778899", place="US"), trademark("30699999", expires=YESTERDAY)]
        opened.add([Entry(key=f"ipr:trademark:{i.registration_place}:{i.registration_number}", kind="ipr",
                          payload=i, source=f"yesterday.yaml:iprs[{n}]") for n, i in enumerate(iprs)], account=ACCOUNT)
        opened.keep_portal_iprs(ACCOUNT, [
            IprStatus(reference="IPR-000001", registration_number="30612345", status="approved", type="trademark",
                      registration_place="CN"),
            IprStatus(reference="IPR-000007", registration_number="2019SR0001", status="approved", type="copyright",
                      registration_place="CN"),
            IprStatus(reference="IPR-000008", registration_number="DE3020190001", status="approved",
                      type="trademark", registration_place="DE"),
            IprStatus(reference="IPR-000009", registration_number="31111111", status="expired", type="trademark",
                      registration_place="CN"),
        ])
        yield opened


def enqueue(tmp_path: Path, name: str, *rows: str) -> tuple[int, str]:
    """`ippbot enqueue` of a listings CSV with these rows; its exit code and what it said on stderr."""
    path = tmp_path / name
    path.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit) as ended:
        cli.main(["enqueue", str(path)])
    return int(ended.value.code or 0), ""


BAD_FILES = {
    "us_trademark_on_taobao.csv": (f"US-778899,taobao,{ITEM},trademark_misuse,,,",
                                   ["line 2, platform", "taobao accepts only IPRs registered in CN",
                                    "IPR US-778899 (the ledger's entry ipr:trademark:US:US-778899, from "
                                    "yesterday.yaml:iprs[1]) is registered in US"]),
    "patent_reason_on_a_trademark.csv": (f"30612345,aliexpress,{ALI_ITEM},patent_infringement,,,",
                                         ["line 2, reason", "'patent_infringement' is not a reason for a trademark",
                                          "use counterfeit, model_not_exist, other, trademark_misuse"]),
    "ipr_nobody_has_seen.csv": (f"40404040,aliexpress,{ALI_ITEM},trademark_misuse,,,",
                                ["line 2, ipr", "IPR '40404040' is in no batch of this call, not in the ledger",
                                 "if it was filed by hand, run ippbot sync"]),
    "ipr_expired_since_yesterday.csv": (f"30699999,taobao,{ITEM},trademark_misuse,,,",
                                        ["line 2, ipr", "IPR 30699999 (the ledger's entry", "has expired"]),
    "ipr_expired_on_the_portal.csv": (f"31111111,taobao,{ITEM},trademark_misuse,,,",
                                      ["line 2, ipr", "IPR 31111111 (the portal's IPR-000009, expired", "has expired"]),
    "hand_filed_german_mark_on_tmall.csv": ("DE3020190001,tmall,https://detail.tmall.com/item.htm?id=77,"
                                            "trademark_misuse,,,",
                                            ["line 2, platform", "tmall accepts only IPRs registered in CN",
                                             "IPR-000008", "is registered in DE"]),
    "counterfeit_on_a_hand_filed_copyright.csv": (f"2019SR0001,aliexpress,{ALI_ITEM},counterfeit,,{EVIDENCE},",
                                                  ["line 2, reason", "'counterfeit' is not a reason for a copyright",
                                                   "(IPR 2019SR0001 (the portal's IPR-000007"]),
    "search_page.csv": ("30612345,taobao,https://s.taobao.com/search?q=acme+charger,trademark_misuse,,,",
                        ["line 2, url", "a search or category page, not a listing",
                         "item.taobao.com/item.htm?id=<number>"]),
    "category_page.csv": ("30612345,aliexpress,https://www.aliexpress.com/category/509/cellphones.html,"
                          "trademark_misuse,,,",
                          ["line 2, url", "a search or category page, not a listing",
                           "www.aliexpress.com/item/<number>.html"]),
    "store_page_in_a_listing_complaint.csv": ("30612345,taobao,https://shop12345.taobao.com/,trademark_misuse,,,",
                                              ["line 2, url", "a store page, but the complaint is product_listing",
                                               "make it a store_front complaint"]),
    "item_page_in_a_store_complaint.csv": (f"30612345,taobao,{ITEM},trademark_misuse,store_front,,",
                                           ["line 2, url", "not a store page of taobao: expected shop<number>"]),
    "counterfeit_without_evidence.csv": (f"30612345,aliexpress,{ALI_ITEM},counterfeit,,,",
                                         ["line 2, evidence", "a counterfeit complaint needs evidence"]),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_listing_file_is_checked_against_what_the_ledger_knows(
        ledger: Ledger, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    """A mistake against yesterday's ledger or the portal's records exits 2, says where and why, adds nothing."""
    row, fragments = BAD_FILES[name]
    before = ledger.counts()
    code, _ = enqueue(tmp_path, name, row)
    said = capsys.readouterr().err
    assert code == 2
    assert f"{name}: line 2" in said
    for fragment in fragments:
        assert fragment in said
    assert ledger.counts() == before


def test_one_bad_file_among_good_ones_adds_nothing(
        ledger: Ledger, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """All or nothing across files: a good listing file given with a bad one is not enqueued either."""
    good = tmp_path / "good.csv"
    good.write_text(f"{HEADER}\n30612345,taobao,{ITEM},trademark_misuse,,,\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\n40404040,taobao,{ITEM},trademark_misuse,,,\n", encoding="utf-8")
    with pytest.raises(SystemExit) as ended:
        cli.main(["enqueue", str(good), str(bad)])
    assert ended.value.code == 2
    assert "bad.csv: line 2, ipr" in capsys.readouterr().err
    assert ledger.counts()["pending"] == 3


@pytest.mark.parametrize(("number", "platform", "url", "reason"), [
    ("30612345", "taobao", ITEM, "trademark_misuse"),  # an IPR entry of the ledger
    ("2019SR0001", "aliexpress", ALI_ITEM, "image_copy"),  # a copyright filed by hand, synced
    ("DE3020190001", "aliexpress", ALI_ITEM, "trademark_misuse"),  # a German mark where any place goes
])
def test_a_listing_file_on_a_known_ipr_is_enqueued(
        ledger: Ledger, tmp_path: Path, number: str, platform: str, url: str, reason: str) -> None:
    """A complaint on an IPR the ledger or the portal's records know is enqueued, resting on that IPR."""
    code, _ = enqueue(tmp_path, "listings.csv", f"{number},{platform},{url},{reason},,,")
    assert code == 0
    complaints = [r for r in ledger.rows() if r.kind == "complaint"]
    assert len(complaints) == 1
    assert ledger.get(complaints[0].key).depends_on in {number, f"ipr:trademark:CN:{number}"}

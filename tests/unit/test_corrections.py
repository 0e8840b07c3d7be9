"""Corrected IPRs (`corrects: KEY`): the entry keeps its key and history and takes the new fields, or is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from ledger_entries import IPR_KEY, complaint_entry, ipr_entry

from bot.commands import cli
from bot.errors import InputError, LedgerError
from bot.models import Entry, Ipr
from bot.store.batch import load_batch
from bot.store.ledger import Ledger

pytestmark = [pytest.mark.unit]

ACCOUNT = "brand@example.com"
DOCS = Path(__file__).resolve().parents[2] / "fixtures" / "documents"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as opened:
        yield opened


def correction(key: str = IPR_KEY, number: str = "30699999") -> Entry:
    """The operator's corrected trademark for entry `key`, with a new registration number."""
    entry = ipr_entry(key="unused", number=number)
    assert isinstance(entry.payload, Ipr)
    return Entry(key=key, kind="ipr", payload=entry.payload.model_copy(update={"corrects": key}),
                 source="fixed.yaml:iprs[0]")


def rejected(ledger: Ledger) -> None:
    """The trademark filed as IPR-1, a complaint on it by number, and the portal's review rejecting it."""
    ledger.add([ipr_entry(), complaint_entry("c-1", depends_on="30612345")], account=ACCOUNT)
    ledger.claim_next(ACCOUNT)
    ledger.confirm(IPR_KEY, "IPR-1", existing=True)
    ledger.set_portal_status(IPR_KEY, "rejected")
    ledger.claim_next(ACCOUNT)  # the complaint is looked at, and blocked on the rejected IPR
    assert ledger.get("c-1").state == "blocked"


def test_a_rejected_ipr_corrected_is_filed_through_its_record_and_its_complaints_follow(ledger: Ledger) -> None:
    """Back in line with its key, history and portal record (to edit), new number and all; the complaint that
    named the old number waits for it, and goes once the correction is approved."""
    rejected(ledger)
    done = ledger.enqueue([correction()], account=ACCOUNT)
    assert (done.added, done.skipped) == (0, 0)
    assert [c.key for c in done.corrected] == [IPR_KEY]
    assert "edit form of IPR-1" in done.corrected[0].then
    record = ledger.get(IPR_KEY)
    assert (record.state, record.attempts, record.portal_ref, record.portal_status) == ("pending", 0, "IPR-1", None)
    to_file = ledger.payload_to_file(record)
    assert isinstance(to_file, Ipr)
    assert (to_file.registration_number, to_file.edit_reference) == ("30699999", "IPR-1")
    assert "corrected from fixed.yaml:iprs[0]" in ledger.history(IPR_KEY)[-1].detail
    assert ledger.get("c-1").depends_on == IPR_KEY
    claimed = ledger.claim_next(ACCOUNT)
    assert claimed is not None and claimed.key == IPR_KEY
    assert ledger.get("c-1").state == "waiting"
    ledger.confirm(IPR_KEY, "IPR-1", existing=True)
    ledger.set_portal_status(IPR_KEY, "approved")
    assert ledger.get("c-1").state == "pending"


def test_a_failed_ipr_corrected_is_filed_anew(ledger: Ledger) -> None:
    """An IPR the portal refused before filing takes the new fields and is filed as new (no record to edit)."""
    ledger.add([ipr_entry()], account=ACCOUNT)
    ledger.claim_next(ACCOUNT)
    ledger.fail(IPR_KEY, "the certificate could not be read")
    ledger.enqueue([correction()])
    record = ledger.get(IPR_KEY)
    assert (record.state, record.portal_ref, record.error) == ("pending", None, None)
    to_file = ledger.payload_to_file(record)
    assert isinstance(to_file, Ipr) and to_file.edit_reference is None


def test_an_ipr_not_filed_yet_takes_the_new_fields_where_it_is(ledger: Ledger) -> None:
    """A pending IPR corrected stays pending, its fields replaced, with a line in its history."""
    ledger.add([ipr_entry()])
    ledger.enqueue([correction()])
    record = ledger.get(IPR_KEY)
    assert record.state == "pending"
    assert isinstance(record.payload, Ipr) and record.payload.registration_number == "30699999"
    assert (ledger.history(IPR_KEY)[-1].from_state, ledger.history(IPR_KEY)[-1].to_state) == ("pending", "pending")


@pytest.mark.parametrize(("make", "said"), [
    (lambda lg: None, "names no entry in the ledger"),
    (lambda lg: lg.add([complaint_entry(IPR_KEY)]), "a complaint, not an IPR"),
    (lambda lg: (lg.add([ipr_entry()]), lg.claim_next(ACCOUNT)), "is claimed: a run is working it"),
    (lambda lg: (lg.add([ipr_entry()]), lg.claim_next(ACCOUNT), lg.confirm(IPR_KEY, "IPR-1", existing=True),
                 lg.set_portal_status(IPR_KEY, "approved")),
     "is on the portal as IPR-1 and its review did not reject it (approved)"),
    (lambda lg: (lg.add([ipr_entry()]), lg.cancel(IPR_KEY, "not wanted")), "is cancelled: it was cancelled"),
])
def test_a_correction_that_cannot_apply_is_refused_and_nothing_is_added(
        ledger: Ledger, make: object, said: str) -> None:
    """Refused with the batch entry and why; the new entries of the same enqueue are not added either."""
    make(ledger)  # type: ignore[operator]
    before = ledger.counts()
    with pytest.raises(InputError, match=re.escape("fixed.yaml:iprs[0]: corrects: ")) as refused:
        ledger.enqueue([correction(), ipr_entry("another", number="31234567")])
    assert said in str(refused.value)
    assert ledger.counts() == before


def test_add_leaves_corrections_to_enqueue(ledger: Ledger) -> None:
    """`add` would skip a correction's known key silently: it refuses it instead."""
    with pytest.raises(LedgerError, match=re.escape("Ledger.enqueue")):
        ledger.add([correction()])


def test_a_batch_correction_takes_the_key_it_corrects(tmp_path: Path) -> None:
    """In a batch, `corrects: KEY` makes the entry's key KEY, and a complaint of the same batch rests on it."""
    batch = tmp_path / "fixed.yaml"
    batch.write_text(yaml.safe_dump({
        "iprs": [{"type": "trademark", "name": "ACME", "registration_number": "30699999", "registration_place": "CN",
                  "rights_holder": "Demo Brand Ltd", "expiration_date": "2034-05-01", "classes": [9],
                  "documents": [str(DOCS / "trademark-certificate.pdf")], "corrects": IPR_KEY}],
        "complaints": [{"platform": "taobao", "ipr": "30699999", "reason": "trademark_misuse",
                        "listings": ["https://item.taobao.com/item.htm?id=42"]}],
    }), encoding="utf-8")
    ipr, complaint = load_batch(batch)
    assert ipr.key == IPR_KEY
    assert complaint.depends_on == IPR_KEY


@pytest.mark.usefixtures("isolated", "cli_env")
def test_enqueue_says_what_each_correction_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`ippbot enqueue` names each entry a file corrects and what happens to it next."""
    (tmp_path / ".ippbot").mkdir()
    with Ledger(f"sqlite:///{tmp_path / '.ippbot' / 'ledger.sqlite3'}") as opened:
        rejected(opened)
    test_a_batch_correction_takes_the_key_it_corrects(tmp_path)
    with pytest.raises(SystemExit) as ended:
        cli.main(["enqueue", str(tmp_path / "fixed.yaml")])
    out = capsys.readouterr().out
    assert ended.value.code == 0
    assert f"fixed.yaml:iprs[0] corrects {IPR_KEY}: the next run files the correction through the portal's " \
           "edit form of IPR-1" in out
    assert "enqueued 1 entry, skipped 0 already in the ledger, corrected 1" in out

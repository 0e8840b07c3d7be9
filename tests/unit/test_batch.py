"""Batch files: every problem named by file, entry and field; good files give stable keys."""

from __future__ import annotations

import random
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.errors import InputError
from bot.models import Complaint, Entry, Ipr
from bot.store.batch import load_batch, load_batches

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
BAD = Path(__file__).parent / "bad_batches"
SAMPLE = ROOT / "fixtures" / "batches" / "sample.yaml"
DOCS = ROOT / "fixtures" / "documents"
TODAY = date(2026, 6, 1)
CORPUS = tomllib.loads((BAD / "cases.toml").read_text())


def taobao(n: int) -> str:
    return f"https://item.taobao.com/item.htm?id={1000 + n}"


def trademark(**change: Any) -> dict[str, Any]:
    """A valid trademark IPR as a batch would give it, with `change` applied."""
    ipr: dict[str, Any] = {
        "type": "trademark",
        "name": "ACME",
        "registration_number": "30612345",
        "registration_place": "CN",
        "rights_holder": "Demo Brand Ltd",
        "expiration_date": "2034-05-01",
        "classes": [9, 25],
        "documents": [str(DOCS / "trademark-certificate.pdf")],
    }
    return ipr | change


def complaint(**change: Any) -> dict[str, Any]:
    """A valid taobao complaint against `trademark()`, with `change` applied."""
    body: dict[str, Any] = {
        "platform": "taobao",
        "ipr": "30612345",
        "reason": "trademark_misuse",
        "listings": [taobao(1), taobao(2)],
    }
    return body | change


def write(folder: Path, name: str, doc: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    return path


def problem(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        load_batch(path, today=TODAY)
    return str(caught.value)


# The corpus of bad files ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CORPUS["cases"]))
def test_bad_batch_names_file_entry_and_field(name: str) -> None:
    """Each bad file is refused with its name, the entry, the field and the reason."""
    message = problem(BAD / name)
    lines = message.splitlines()
    assert name in lines[0]
    for fragment in CORPUS["cases"][name]:
        assert fragment in message
    assert len(lines) - 1 == CORPUS["counts"].get(name, 1)
    assert all(name in line for line in lines[1:])


def test_every_bad_file_has_a_case() -> None:
    """No file in the corpus goes untested (helper files live in files/)."""
    on_disk = {p.name for p in BAD.iterdir() if p.is_file() and p.name != "cases.toml"}
    assert on_disk == set(CORPUS["cases"])
    assert len(on_disk) >= 30


def test_problems_of_several_files_come_in_one_error(tmp_path: Path) -> None:
    """All files' problems are gathered in one error, each line naming its own file."""
    with pytest.raises(InputError) as caught:
        load_batches([BAD / "expired.yaml", BAD / "csv_wrong_domain.csv"], today=TODAY)
    lines = str(caught.value).splitlines()
    assert "2 problems" in lines[0]
    assert "expired.yaml: iprs[0].expiration_date" in lines[1]
    assert "csv_wrong_domain.csv: line 3, url" in lines[2]


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    """A batch file that is not there is named, not a traceback."""
    assert "cannot be read" in problem(tmp_path / "nope.yaml")


def test_a_document_over_5_mb_is_refused(tmp_path: Path) -> None:
    """A certificate larger than the portal's 5 MB limit is refused before any upload."""
    big = tmp_path / "big.pdf"
    with big.open("wb") as handle:
        handle.write(b"%PDF-1.4\n")
        handle.truncate(5 * 1024 * 1024 + 1)
    path = write(tmp_path, "b.yaml", {"iprs": [trademark(documents=["big.pdf"])]})
    assert "iprs[0].documents[0]: big.pdf is 5,242,881 bytes" in problem(path)


# Good files -----------------------------------------------------------------------------


def test_sample_batch_gives_every_ipr_type_and_split_complaints() -> None:
    """The demo's sample has all four IPR types and its 310-listing complaint split in two."""
    entries = load_batch(SAMPLE, today=TODAY)
    iprs = [e.payload for e in entries if isinstance(e.payload, Ipr)]
    complaints = [e.payload for e in entries if isinstance(e.payload, Complaint)]
    assert sorted(i.type for i in iprs) == ["copyright", "other", "patent", "trademark"]
    assert {c.platform for c in complaints} >= {"taobao", "aliexpress", "tmall", "1688"}
    assert [len(c.listings) for c in complaints if c.platform == "taobao"] == [300, 10]
    assert all(len(c.listings) <= 300 for c in complaints)


def test_sample_batch_paths_are_absolute_and_exist() -> None:
    """Document and evidence paths come back absolute, resolved from the batch's folder."""
    for entry in load_batch(SAMPLE, today=TODAY):
        payload = entry.payload
        files = payload.documents if isinstance(payload, Ipr) else payload.evidence
        assert all(f.is_absolute() and f.is_file() and ".." not in f.parts for f in files)


def test_ipr_keys_are_their_identity_and_complaints_depend_on_them() -> None:
    """An IPR's key is its identity; a complaint depends on its IPR's key when in the batch."""
    entries = load_batch(SAMPLE, today=TODAY)
    keys = {e.payload.registration_number: e.key for e in entries if isinstance(e.payload, Ipr)}
    assert keys["30612345"] == "ipr:trademark:CN:30612345"
    for entry in entries:
        if isinstance(entry.payload, Complaint):
            assert entry.depends_on == keys[entry.payload.ipr]
            assert entry.kind == "complaint"


def test_same_file_twice_gives_the_same_keys() -> None:
    """Loading a batch again gives exactly the same keys, so enqueuing it again adds nothing."""
    first = [e.key for e in load_batch(SAMPLE, today=TODAY)]
    assert first == [e.key for e in load_batch(SAMPLE, today=TODAY)]
    assert len(set(first)) == len(first)


def test_listing_order_does_not_change_complaint_keys(tmp_path: Path) -> None:
    """The same URLs in another order make the same chunks with the same keys."""
    urls = [taobao(n) for n in range(650)]
    shuffled = random.Random(7).sample(urls, len(urls))
    one = write(tmp_path, "one.yaml", {"complaints": [complaint(listings=urls)]})
    two = write(tmp_path, "two.yaml", {"complaints": [complaint(listings=shuffled)]})
    assert [e.key for e in load_batch(one)] == [e.key for e in load_batch(two)]


def test_650_listings_become_three_complaints(tmp_path: Path) -> None:
    """650 listings are split into complaints of 300, 300 and 50, with distinct keys."""
    path = write(tmp_path, "big.yaml", {"complaints": [complaint(listings=[taobao(n) for n in range(650)])]})
    entries = load_batch(path)
    assert [len(e.payload.listings) for e in entries if isinstance(e.payload, Complaint)] == [300, 300, 50]
    assert len({e.key for e in entries}) == 3
    assert [e.source.rsplit(" ", 1)[-1] for e in entries] == ["1/3", "2/3", "3/3"]


def test_an_explicit_key_is_kept_and_numbered_when_split(tmp_path: Path) -> None:
    """An entry's own key wins; a split complaint's parts get #1, #2, ..."""
    doc = {
        "iprs": [trademark(key="acme-tm")],
        "complaints": [complaint(key="sweep-1", listings=[taobao(n) for n in range(301)])],
    }
    entries = load_batch(write(tmp_path, "k.yaml", doc))
    assert [e.key for e in entries] == ["acme-tm", "sweep-1#1", "sweep-1#2"]
    assert entries[1].depends_on == "acme-tm"


def test_complaint_without_its_ipr_depends_on_the_registration_number(tmp_path: Path) -> None:
    """A complaint whose IPR is not in the batch waits on the registration number itself."""
    entries = load_batch(write(tmp_path, "c.yaml", {"complaints": [complaint()]}))
    assert entries[0].depends_on == "30612345"


def test_csv_rows_group_into_complaints_with_the_yaml_keys(tmp_path: Path) -> None:
    """CSV rows group by IPR, platform, type, reason, evidence and note; same key as YAML."""
    csv_file = tmp_path / "listings.csv"
    csv_file.write_text(
        "ipr,platform,url,reason\n"
        f"30612345,taobao,{taobao(1)},trademark_misuse\n"
        "30612345,aliexpress,https://www.aliexpress.com/item/1005.html,trademark_misuse\n"
        f"30612345,taobao,{taobao(2)},trademark_misuse\n"
    )
    yaml_file = write(tmp_path, "same.yaml", {"complaints": [complaint()]})
    from_csv = load_batch(csv_file)
    assert [len(e.payload.listings) for e in from_csv if isinstance(e.payload, Complaint)] == [2, 1]
    assert from_csv[0].key == load_batch(yaml_file)[0].key
    assert from_csv[0].source == f"{csv_file}:line 2"


def test_csv_rules_use_the_iprs_of_a_yaml_given_alongside(tmp_path: Path) -> None:
    """Enqueued together, a CSV's complaints are checked against the YAML's IPRs."""
    iprs = write(tmp_path, "iprs.yaml", {"iprs": [trademark(registration_place="US")]})
    csv_file = tmp_path / "listings.csv"
    csv_file.write_text(f"ipr,platform,url,reason\n30612345,taobao,{taobao(1)},image_copy\n")
    with pytest.raises(InputError) as caught:
        load_batches([iprs, csv_file])
    message = str(caught.value)
    assert "listings.csv: line 2, reason: 'image_copy' is not a reason for a trademark" in message
    assert "listings.csv: line 2, platform: taobao accepts only IPRs registered in CN" in message


def test_yaml_scalars_are_read_as_text(tmp_path: Path) -> None:
    """Unquoted 1688 is a platform, 0123456 keeps its zero and NO stays Norway."""
    path = tmp_path / "text.yaml"
    doc = trademark(registration_place="NO", registration_number="0123456")
    text = yaml.safe_dump({"iprs": [doc]}).replace("'0123456'", "0123456").replace("'NO'", "NO")
    text += "complaints:\n- {platform: 1688, ipr: 5, reason: other, note: see, listings: [https://detail.1688.com/offer/1.html]}\n"
    path.write_text(text)
    ipr, filed = (e.payload for e in load_batch(path))
    assert isinstance(ipr, Ipr) and isinstance(filed, Complaint)
    assert (ipr.registration_number, ipr.registration_place) == ("0123456", "NO")
    assert (filed.platform, filed.ipr) == ("1688", "5")


def test_an_entry_kind_must_match_its_payload() -> None:
    """An Entry cannot say 'ipr' and carry a complaint."""
    with pytest.raises(ValueError, match="does not match"):
        Entry(key="k", kind="ipr", payload=Complaint.model_validate(complaint()), source="x:y")


# Property: whatever is wrong, an InputError or the whole batch --------------------------

GARBAGE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.dates(),
    st.lists(st.text(max_size=8), max_size=3),
    st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=2),
)


def valid_doc() -> dict[str, Any]:
    return {
        "iprs": [trademark(), trademark(registration_number="30612346", classes=[3])],
        "complaints": [
            complaint(),
            complaint(platform="aliexpress", listings=["https://www.aliexpress.com/item/1005.html"]),
        ],
    }


def paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a document a mutation can touch."""
    found = [here] if here else []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in children:
        found += paths(child, (*here, key))
    return found


def mutate(doc: dict[str, Any], where: tuple[Any, ...], how: str, garbage: Any) -> None:
    parent: Any = doc
    for step in where[:-1]:
        parent = parent[step]
    last = where[-1]
    if how == "drop":
        del parent[last]
    elif how == "garbage":
        parent[last] = garbage
    elif isinstance(parent[last], dict):
        parent[last]["registration_numbr"] = garbage


def expected_sources(doc: Any, file: Path) -> set[str] | None:
    """Sources a full load must return, or None when the shape itself is broken."""
    if not isinstance(doc, dict):
        return None
    sources = set()
    for section in ("iprs", "complaints"):
        items = doc.get(section) or []
        if not isinstance(items, list):
            return None
        sources |= {f"{file}:{section}[{i}]" for i in range(len(items))}
    return sources


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_batches_raise_input_error_or_load_whole(data: st.DataObject, tmp_path: Path) -> None:
    """Dropped fields, wrong types and garbage give an InputError, never a partial list."""
    doc = valid_doc()
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        spots = paths(doc)
        if not spots:
            break
        where = data.draw(st.sampled_from(spots))
        mutate(doc, where, data.draw(st.sampled_from(["drop", "garbage", "typo"])), data.draw(GARBAGE))
    path = write(tmp_path, "mutated.yaml", doc)
    try:
        entries = load_batch(path, today=TODAY)
    except InputError as exc:
        event("refused")
        assert re.search(r"\d+ problems? in ", str(exc))
        return
    event("loaded whole")
    assert {e.source for e in entries} == expected_sources(doc, path)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=10_000), junk=st.text(max_size=30))
def test_truncated_or_spliced_files_raise_only_input_error(cut: int, junk: str, tmp_path: Path) -> None:
    """A sample file cut short or with junk spliced in loads whole or raises InputError."""
    text = SAMPLE.read_text()
    cut = cut % len(text)
    path = tmp_path / "cut.yaml"
    path.write_text(text[:cut].replace("../documents", str(DOCS)) + junk)
    try:
        load_batch(path, today=TODAY)
        event("loaded")
    except InputError:
        event("refused")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=st.integers(min_value=0, max_value=3), col=st.integers(min_value=0, max_value=3), cell=st.text(max_size=30))
def test_mutated_csv_raises_input_error_or_loads_every_row(row: int, col: int, cell: str, tmp_path: Path) -> None:
    """One garbage cell in a CSV gives an InputError, or every row comes back as a listing."""
    rows = [["ipr", "platform", "url", "reason"]]
    rows += [["30612345", "taobao", taobao(n), "trademark_misuse"] for n in range(3)]
    rows[row][col] = cell
    path = tmp_path / "mutated.csv"
    path.write_text("\n".join(",".join(f'"{c.replace(chr(34), chr(34) * 2)}"' for c in r) for r in rows) + "\n")
    try:
        entries = load_batch(path, today=TODAY)
    except InputError:
        event("refused")
        return
    event("loaded whole")
    listings = sum(len(e.payload.listings) for e in entries if isinstance(e.payload, Complaint))
    assert listings == 3

"""docs/BATCH.md, the batch format in the project's own words: its example enqueues, and it shows every
message of the bad-batch corpus (tests/unit/bad_batches/cases.toml) as `ippbot enqueue` gives it."""

from __future__ import annotations

import re
import shutil
import tomllib
from datetime import date
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.models import REASONS_BY_TYPE, TYPE_FIELDS
from bot.store.batch import CSV_COLUMNS, load_batch
from bot.store.listing_urls import MARKET_DOMAINS

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "BATCH.md").read_text(encoding="utf-8")
CORPUS = Path(__file__).parent / "bad_batches"
CASES: dict[str, list[str]] = tomllib.loads((CORPUS / "cases.toml").read_text(encoding="utf-8"))["cases"]


def block(language: str, index: int = 0) -> str:
    """The `index`th fenced block of that language in the doc."""
    return re.findall(rf"```{language}\n(.*?)```", DOC, re.DOTALL)[index]


@pytest.mark.parametrize("language", ["yaml", "csv"])
def test_the_examples_enqueue_as_they_are(tmp_path: Path, language: str) -> None:
    """The doc's YAML and CSV examples, next to the sample documents, are valid batches (about 20 lines)."""
    shutil.copytree(ROOT / "fixtures" / "documents", tmp_path / "documents")
    path = tmp_path / f"example.{language}"
    path.write_text(block(language), encoding="utf-8")
    entries = load_batch(path, today=date(2026, 3, 1))
    assert [e.kind for e in entries] == (["ipr", "complaint"] if language == "yaml" else ["complaint"])
    assert len(block("yaml").splitlines()) <= 25


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_message_of_the_corpus_is_in_the_doc(name: str) -> None:
    """Each bad batch's message, as enqueue gives it (its file and folders aside), is shown in the doc."""
    with pytest.raises(InputError) as caught:
        load_batch(CORPUS / name, today=date(2026, 3, 1))
    doc = _folders_aside(DOC)
    for line in str(caught.value).splitlines()[1:]:
        message = _folders_aside(line.split(": ", 1)[1].replace(f"{CORPUS}/", ""))
        message = re.sub(r"\b\w+\.yaml:(iprs|complaints)\[", r"catalogue.yaml:\1[", message)
        assert message in doc, message


def _folders_aside(text: str) -> str:
    """`file not found: /any/folder/photos/x.png` as `file not found: photos/x.png` (the doc's folders are made up)."""
    return re.sub(r"(file not found: )(?:/srv/batches/|/[^`\s]*/bad_batches/)", r"\1", text)


def test_the_tables_name_every_type_reason_platform_and_column() -> None:
    """Every IPR type and its fields, every reason, every platform and its domains, every CSV column."""
    for ipr_type, fields in TYPE_FIELDS.items():
        assert f"| `{ipr_type}` |" in DOC
        assert all(f"`{field}`" in DOC for field in fields)
    for ipr_type, reasons in REASONS_BY_TYPE.items():
        row = next(line for line in DOC.splitlines() if line.startswith(f"| `{ipr_type}` | `")
                   and "reason" not in line and "Nice" not in line and "work_type" not in line
                   and "patent_type" not in line and "valid_from" not in line)
        assert all(f"`{reason}`" in row for reason in reasons), row
    for platform, domains in MARKET_DOMAINS.items():
        assert all(f"`{domain}`" in DOC for domain in domains) and f"`{platform}`" in DOC
    assert f"`{','.join(CSV_COLUMNS[:4])}`" in DOC and all(f"`{c}`" in DOC or c in DOC for c in CSV_COLUMNS)

"""The `[expect]` table of a selector file, and how `selectors check` judges what each key matched."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.locators import Selectors
from bot.run.selectors_check import CheckReport, KeyResult, judge
from bot.settings import DEFAULT_SELECTORS_DIR, REPO_ROOT

pytestmark = pytest.mark.unit

DETAIL = """
status = { test_id = "status" }
listings = { role = "table", name = "Listings" }
table = { role = "table", name = "History" }
empty = { text = "Nothing found." }
accept = { role = "button", name = "Accept" }
withdraw = { role = "button", name = "Withdraw" }

[expect]
optional = ["withdraw"]
either = [["table", "empty"]]
in_rows = { accept = "listings" }
"""


def load(tmp_path: Path, text: str) -> Selectors:
    (tmp_path / "detail.toml").write_text(text)
    return Selectors.load(tmp_path)


def test_expect_table_gives_each_key_its_rule(tmp_path: Path) -> None:
    """Keys named in [expect] follow its rule; every other key must match exactly one element."""
    expect = load(tmp_path, DETAIL).page("detail").data.expect
    rules = {key: expect.rule(key) for key in ("status", "withdraw", "table", "empty", "accept")}
    assert rules == {"status": "one", "withdraw": "optional", "table": "either", "empty": "either",
                     "accept": "in_rows"}
    assert expect.in_rows == {"accept": "listings"}


@pytest.mark.parametrize(("table", "problem"), [
    ('optional = ["ghost"]', "detail.toml: expect: names no selector ghost"),
    ('optional = "withdraw"', "detail.toml: expect.optional: must be a list of keys"),
    ('either = [["table"]]', "detail.toml: expect.either: must be a list of groups of keys"),
    ('in_rows = { accept = 3 }', "detail.toml: expect.in_rows: must be a table"),
    ('optional = ["empty"]\neither = [["table", "empty"]]', "detail.toml: expect: a key may follow one rule only"),
    ('sometimes = ["status"]', "detail.toml: expect: may hold only optional, either and in_rows"),
])
def test_a_bad_expect_table_names_file_and_problem(tmp_path: Path, table: str, problem: str) -> None:
    """A malformed [expect] table is a ConfigError naming the file and what is wrong."""
    text = 'status = { test_id = "status" }\ntable = { css = "table" }\nempty = { text = "None." }\n'
    text += 'withdraw = { css = "button" }\naccept = { css = "a" }\n'
    with pytest.raises(ConfigError, match=problem.replace(".", r"\.").replace("[", r"\[")):
        load(tmp_path, f"{text}\n[expect]\n{table}\n")


@pytest.mark.parametrize("folder", [DEFAULT_SELECTORS_DIR, REPO_ROOT / "tests" / "e2e" / "selectors_v2"])
def test_both_selector_sets_say_the_same_about_states(folder: Path) -> None:
    """The v1 and v2 selector sets load, and mark the same keys as state-dependent."""
    pages = Selectors.load(folder).pages
    assert pages["history"].data.expect.either == (("table", "empty"),)
    assert pages["complaint_detail"].data.expect.optional == {"reference", "withdraw"}
    assert pages["common"].spec("slider_solved").value == ".slider-check.solved"


def test_judging_each_rule(tmp_path: Path) -> None:
    """One element is ok; none fails a plain key but not an optional one; several fail any key."""
    page = load(tmp_path, DETAIL).page("detail")
    counts = {"status": [("/a", 0)], "listings": [("/a", 1)], "withdraw": [("/a", 0)], "accept": [("/a", 2)],
              "table": [("/a", 0)], "empty": [("/a", 1)]}
    verdicts = {r.key: r.problem for r in judge(page, counts)}
    assert verdicts == {"status": "matches no element on /a", "listings": None, "withdraw": None,
                        "accept": "matches 2 elements in one row of listings on /a", "table, empty": None}


def test_either_group_needs_exactly_one(tmp_path: Path) -> None:
    """An either group fails when none of its keys, or more than one, matches on a page."""
    page = load(tmp_path, DETAIL).page("detail")
    [group] = [r for r in judge(page, {"table": [("/h", 0)], "empty": [("/h", 0)]}) if r.key == "table, empty"]
    assert group.problem == ("expected exactly one of them to match one element on /h; "
                             "table matches no element, empty matches no element")
    assert group.keys == 2


def test_a_key_on_several_pages_needs_one_somewhere_and_several_nowhere(tmp_path: Path) -> None:
    """Across a page's variants (one form per IPR type), a key is ok when it shows once on at least one."""
    page = load(tmp_path, DETAIL).page("detail")
    ok = judge(page, {"status": [("/t", 1), ("/c", 0)]})
    missing = judge(page, {"status": [("/t", 0), ("/c", 0)]})
    assert ok == [KeyResult(page.file, "status")]
    assert missing[0].problem == "matches no element on any of 2 pages (/t, /c)"


def test_report_lists_problems_by_file_and_key() -> None:
    """The report prints one line per broken key, one per sound file and one per file not checked."""
    report = CheckReport(portal_url="http://portal", results=[
        KeyResult("selectors/a.toml", "x"), KeyResult("selectors/b.toml", "y", "matches no element on /b"),
        KeyResult("selectors/b.toml", "z")], not_checked={"selectors/c.toml": "needs a complaint on the account"})
    assert not report.ok
    assert report.lines() == [
        "selectors check against http://portal",
        "ok           selectors/a.toml (1 key)",
        "BROKEN       selectors/b.toml: y: matches no element on /b",
        "not checked  selectors/c.toml: needs a complaint on the account",
        "3 keys checked: 2 ok, 1 broken; 1 file not checked",
    ]

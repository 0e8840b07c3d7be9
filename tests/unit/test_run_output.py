"""What `ippbot run` says: the summary line in words, the interrupt's one line, and a progress bar of entries."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bot.commands.run import interrupted_detail, ledger_counts, progress_bar, summary_line
from bot.run.artifacts import EntryResult, RunSummary

pytestmark = pytest.mark.unit

REPORT = Path("/data/runs/r1/report.html")


def summary(*entries: EntryResult, **counts: int) -> RunSummary:
    return RunSummary(run_id="r1", started_at="2026-03-02T01:00:00+00:00", portal_url="http://p", trace_mode="off",
                      entries=list(entries), counts=counts)


def result(key: str, state: str, **fields: Any) -> EntryResult:
    return EntryResult(key=key, kind="ipr", state=state, **fields)


def test_one_entry_is_one_entry() -> None:
    """A run that worked one entry says "1 entry", and two say "2 entries"."""
    assert summary_line(summary(result("a", "confirmed"), confirmed=1)) == \
        "run r1: 1 entry worked, 0 not done; ledger: 1 confirmed"
    assert summary_line(summary(result("a", "confirmed"), result("b", "failed"), confirmed=1, failed=1)) == \
        "run r1: 2 entries worked, 1 not done (1 failed); ledger: 1 confirmed, 1 failed"


def test_reconciled_entries_are_counted_and_said() -> None:
    """An entry settled from an earlier run's doubt counts as worked, and the line says how many were."""
    line = summary_line(summary(result("a", "confirmed", reconciled=True), result("b", "confirmed"), confirmed=2))
    assert line == "run r1: 2 entries worked (1 reconciled from an earlier run), 0 not done; ledger: 2 confirmed"


def test_entries_back_in_line_say_when_they_go_again() -> None:
    """Entries put back say so, last, with the first moment one is tried again."""
    line = summary_line(summary(result("a", "pending", next_try_at="2026-03-02T01:00:09+00:00"),
                                result("b", "unknown"), result("c", "confirmed"), pending=1, unknown=1, confirmed=1))
    assert line == ("run r1: 3 entries worked, 2 not done (1 unknown, 1 back in line, the first tried again from "
                    "2026-03-02T01:00:09+00:00); ledger: 1 pending, 1 unknown, 1 confirmed")


def test_an_empty_run_says_so() -> None:
    """A run with nothing due says it worked no entries."""
    assert summary_line(summary()) == "run r1: 0 entries worked, 0 not done; ledger: empty"


def test_an_account_the_portal_holds_says_until_when_and_why_once() -> None:
    """The held account's line ends with the wait and its short reason, said once."""
    held = summary(result("a", "pending"), pending=1).model_copy(
        update={"held_until": "2026-03-02T02:00:00+00:00", "held_why": "429, Retry-After 3599 s"})
    assert summary_line(held).endswith(
        "; ledger: 1 pending; the portal asked this account to wait until 2026-03-02T02:00:00+00:00 "
        "(429, Retry-After 3599 s): nothing is sent for it before then, and the next run goes on")


def test_the_ledgers_counts_skip_empty_states() -> None:
    """Entries per state in the ledger's order, states with none left out, "empty" for none at all."""
    assert ledger_counts({"pending": 2, "claimed": 0, "confirmed": 1}) == "2 pending, 1 confirmed"
    assert ledger_counts({"pending": 0}) == "empty"


@pytest.mark.parametrize(("entries", "counts", "said"), [
    ([result("ipr:1", "submitting")], {"submitting": 1, "pending": 2},
     "(Ctrl-C) at a safe point: left ipr:1 (submitting), and 2 entries not worked yet: the next `ippbot run` "
     "settles it first, then works the rest"),
    ([result("ipr:1", "claimed")], {"claimed": 1},
     "(Ctrl-C) at a safe point: left ipr:1 (claimed): the next `ippbot run` settles it"),
    ([result("ipr:1", "confirmed")], {"confirmed": 1, "pending": 1},
     "(Ctrl-C) at a safe point: no entry was in flight; 1 entry not worked yet: the next `ippbot run` works it"),
    ([], {"confirmed": 3}, "(Ctrl-C) at a safe point: no entry was in flight, and none is left to work"),
])
def test_the_interrupt_line_names_what_was_left(entries: list[EntryResult], counts: dict[str, int],
                                                 said: str) -> None:
    """The interrupt's line names the entries left in flight, counts the rest, and says the next run settles them."""
    assert interrupted_detail(summary(*entries, **counts), "Ctrl-C", REPORT) == f"{said}; report: {REPORT}"


class FakeLedger:
    """Rows in the states the bar counts."""

    def __init__(self, *states: str) -> None:
        self.states = states

    def rows(self) -> list[Any]:
        return [type("Row", (), {"state": state})() for state in self.states]


def test_the_progress_bar_counts_entries_and_shows_keys_as_typed() -> None:
    """The bar's total is the entries due, an entry worked twice moves it once, and a key with an emoji
    code or markup in it shows as typed."""
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=140, color_system=None)
    key = "ipr:copyright:CN:[b]2020SR1"
    record = type("Record", (), {"key": key, "state": "confirmed"})()
    with progress_bar(FakeLedger("pending", "pending", "waiting"), True, console=console) as advance:  # type: ignore[arg-type]
        advance(record)  # type: ignore[arg-type]
        advance(record)  # type: ignore[arg-type]
    out = screen.getvalue()
    assert key in out
    assert "1/2" in out and "2/2" not in out

"""The operator's commands: ippbot retry, resolve, cancel and history, on a ledger in a temporary data dir."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ledger_entries import IPR_KEY, complaint_entry, ipr_entry

from bot.commands import cli
from bot.run.artifacts import EntryResult, RunDir, RunSummary
from bot.store.ledger import Ledger

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("isolated", "cli_env")]  # tests/unit/conftest.py

T0 = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
ACCOUNT = "brand@example.com"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """The ledger the commands open (DATA_DIR is ./.ippbot in the test's folder), its clock at T0."""
    (tmp_path / ".ippbot").mkdir()
    with Ledger(f"sqlite:///{tmp_path / '.ippbot' / 'ledger.sqlite3'}", clock=lambda: T0) as opened:
        yield opened


def ippbot(*argv: str) -> int:
    """Run the CLI as the console script does; return its exit code."""
    with pytest.raises(SystemExit) as ended:
        cli.main(list(argv))
    code = ended.value.code
    return code if isinstance(code, int) else 1


def parked(ledger: Ledger, key: str) -> None:
    ledger.add([ipr_entry(key)])
    ledger.claim_next(ACCOUNT)
    ledger.park(key, "a slider check at log-in")


def cannot_tell(ledger: Ledger, key: str) -> None:
    ledger.add([ipr_entry(key)])
    ledger.claim_next(ACCOUNT)
    ledger.mark_submitting(key)
    ledger.mark_unknown(key, "connection reset after the click")
    ledger.reconcile(key, None)


def failed(ledger: Ledger, key: str) -> None:
    ledger.add([ipr_entry(key)])
    ledger.claim_next(ACCOUNT)
    ledger.fail(key, "registration number unknown")


def blocked_complaint(ledger: Ledger) -> None:
    """c-1 is blocked: its IPR was rejected by the portal's review."""
    ledger.add([complaint_entry("c-1"), ipr_entry()])
    ledger.claim_next(ACCOUNT)
    ledger.confirm(IPR_KEY, "IPR-1", existing=True)
    ledger.set_portal_status(IPR_KEY, "rejected")


def states(ledger: Ledger) -> dict[str, str]:
    return {row.key: row.state for row in ledger.rows()}


# ippbot retry --------------------------------------------------------------------------------


def test_retry_with_no_key_and_no_state_says_what_it_would_take_and_does_nothing(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each --state with its count and keys; every entry and its history stay as they were."""
    failed(ledger, "f-1")
    parked(ledger, "p-1")
    cannot_tell(ledger, "n-1")
    before = (states(ledger), [len(ledger.history(k)) for k in ("f-1", "p-1", "n-1")])
    assert ippbot("retry") == 0
    out = capsys.readouterr().out
    assert "nothing was changed" in out
    assert "--state failed: 1 (f-1)" in out
    assert "--state dead: 0" in out
    assert "--state needs_human: 1 (p-1) parked; not 1 (n-1) that cannot tell (ippbot resolve KEY)" in out
    assert (states(ledger), [len(ledger.history(k)) for k in ("f-1", "p-1", "n-1")]) == before


def test_retry_by_state_puts_parked_entries_back_and_names_resolve_for_the_others(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    """--state needs_human: parked ones back in line with attempts afresh; one that cannot tell is left, exit 1."""
    parked(ledger, "p-1")
    cannot_tell(ledger, "n-1")
    assert ippbot("retry", "--state", "needs_human") == 1
    captured = capsys.readouterr()
    assert "p-1: back in line (was needs_human after 1 attempts)" in captured.out
    assert "ippbot resolve n-1 --filed REF or --not-filed" in captured.err
    assert (ledger.get("p-1").state, ledger.get("p-1").attempts) == ("pending", 0)
    assert ledger.get("n-1").state == "needs_human"
    assert "retried by the operator" in ledger.history("p-1")[-1].detail


def test_retry_of_every_parked_entry_exits_0(ledger: Ledger) -> None:
    """When every entry asked for is back in line the command succeeds."""
    parked(ledger, "p-1")
    parked(ledger, "p-2")
    assert ippbot("retry", "--state", "needs_human") == 0
    assert states(ledger) == {"p-1": "pending", "p-2": "pending"}


def test_retry_of_an_unknown_key_changes_nothing_and_names_it(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 with one line naming the key; the known key beside it is not retried either."""
    failed(ledger, "f-1")
    assert ippbot("retry", "f-1", "nope") == 2
    assert capsys.readouterr().err.strip().splitlines() == ["ippbot: no entry with key 'nope' in the ledger"]
    assert ledger.get("f-1").state == "failed"


def test_retry_by_key_and_state_leaves_the_keys_in_another_state(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    """With both, only the keys in that state move; the others are named and left alone."""
    failed(ledger, "f-1")
    parked(ledger, "p-1")
    assert ippbot("retry", "f-1", "p-1", "--state", "failed") == 1
    assert "p-1: needs_human, not failed: left alone" in capsys.readouterr().err
    assert states(ledger) == {"f-1": "pending", "p-1": "needs_human"}


def test_retry_of_blocked_complaints_says_why_instead_of_moving_them(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each one still blocked says why (exit 1); once its IPR is approved it has gone on by itself."""
    blocked_complaint(ledger)
    assert ippbot("retry", "--state", "blocked") == 1
    err = capsys.readouterr().err
    assert f"c-1: still blocked: IPR {IPR_KEY} was rejected by the portal's review" in err
    assert "it goes on by itself once its IPR is approved" in err
    assert ledger.get("c-1").state == "blocked"
    ledger.set_portal_status(IPR_KEY, "approved")
    assert ippbot("retry", "c-1") == 0
    assert ledger.get("c-1").state == "pending"


# ippbot resolve ------------------------------------------------------------------------------


def test_resolve_filed_confirms_an_entry_in_doubt_with_the_reference(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    """--filed REF: confirmed with that reference, a line in its history."""
    cannot_tell(ledger, "n-1")
    assert ippbot("resolve", "n-1", "--filed", "IPR-42") == 0
    assert "n-1: confirmed as IPR-42 (was needs_human)" in capsys.readouterr().out
    record = ledger.get("n-1")
    assert (record.state, record.portal_ref) == ("confirmed", "IPR-42")
    assert ledger.history("n-1")[-1].detail == "resolved by the operator: on the portal as IPR-42"


def test_resolve_not_filed_puts_an_unknown_entry_back_in_line(ledger: Ledger) -> None:
    """--not-filed: pending again, attempts counted afresh."""
    ledger.add([ipr_entry("u-1")])
    ledger.claim_next(ACCOUNT)
    ledger.mark_submitting("u-1")
    ledger.mark_unknown("u-1", "timeout after the click")
    assert ippbot("resolve", "u-1", "--not-filed") == 0
    assert (ledger.get("u-1").state, ledger.get("u-1").attempts) == ("pending", 0)


@pytest.mark.parametrize("options", [[], ["--filed", "IPR-1", "--not-filed"], ["--filed", " "]])
def test_resolve_needs_exactly_one_answer(
    ledger: Ledger, capsys: pytest.CaptureFixture[str], options: list[str]
) -> None:
    """Neither, both, or a blank reference is bad usage (exit 2), and nothing moves."""
    cannot_tell(ledger, "n-1")
    assert ippbot("resolve", "n-1", *options) == 2
    assert "--filed REF" in capsys.readouterr().err
    assert ledger.get("n-1").state == "needs_human"


def test_resolve_refuses_a_parked_entry_and_an_unknown_key(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    """A parked entry sent nothing (exit 1, naming retry); a key not in the ledger is exit 2."""
    parked(ledger, "p-1")
    assert ippbot("resolve", "p-1", "--filed", "IPR-1") == 1
    assert "ippbot retry p-1" in capsys.readouterr().err
    assert ippbot("resolve", "nope", "--not-filed") == 2
    assert "'nope'" in capsys.readouterr().err
    assert ledger.get("p-1").state == "needs_human"


# ippbot cancel -------------------------------------------------------------------------------


def test_cancel_gives_entries_up_and_refuses_one_on_the_portal(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pending one is cancelled with the reason; the confirmed one is refused (exit 1) with what to do."""
    ledger.add([ipr_entry("done"), ipr_entry("later")])
    ledger.claim_next(ACCOUNT)
    ledger.confirm("done", "IPR-1", existing=True)
    assert ippbot("cancel", "later", "done", "--reason", "the brand sold the mark") == 1
    captured = capsys.readouterr()
    assert "later: cancelled (was pending); it will not be filed" in captured.out
    assert "withdraw it there" in captured.err
    assert states(ledger) == {"done": "confirmed", "later": "cancelled"}
    assert ledger.history("later")[-1].detail == "the brand sold the mark"
    assert ippbot("cancel", "later") == 0
    assert "later: cancelled already" in capsys.readouterr().out


def test_cancel_with_an_unknown_key_cancels_nothing(ledger: Ledger, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 2 naming the key; the known keys beside it stay as they were."""
    ledger.add([ipr_entry("later")])
    assert ippbot("cancel", "later", "nope") == 2
    assert "no entry with key 'nope'" in capsys.readouterr().err
    assert ledger.get("later").state == "pending"


def test_cancel_refuses_an_entry_that_may_be_on_the_portal(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    """A needs_human that cannot tell is resolved first: exit 1, naming ippbot resolve."""
    cannot_tell(ledger, "n-1")
    assert ippbot("cancel", "n-1") == 1
    assert "ippbot resolve n-1" in capsys.readouterr().err
    assert ledger.get("n-1").state == "needs_human"


# ippbot history ------------------------------------------------------------------------------


def test_history_prints_every_move_and_each_runs_artifacts(
    ledger: Ledger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The moves with time and reason, what the state means, and the run's screenshot (a gone trace marked)."""
    failed(ledger, "f-1")
    run = RunDir(tmp_path / ".ippbot" / "runs", "20260301T220000-000").create()
    run.screenshot("f-1").write_bytes(b"png")
    result = EntryResult(key="f-1", kind="ipr", state="failed", attempts=1, error="registration number unknown",
                         screenshot=run.relative(run.screenshot("f-1")), trace=run.relative(run.trace("f-1")))
    other = EntryResult(key="f-10", kind="ipr", state="confirmed")
    run.write_summary(RunSummary(run_id=run.run_id, started_at="2026-03-01T22:00:00Z", portal_url="http://portal",
                                 trace_mode="retain-on-failure", entries=[other, result]))
    assert ippbot("history", "f-1") == 0
    out = capsys.readouterr().out
    assert "f-1: ipr, failed, 1 attempts; added from b.yaml:iprs[0]" in out
    assert "what to do: correct what the portal refused, then ippbot retry KEY" in out
    assert "2026-03-01 22:00:00 UTC        (new) -> pending      added from b.yaml:iprs[0]" in out
    assert "claimed -> failed       registration number unknown" in out
    assert "run 20260301T220000-000: failed after attempt 1: registration number unknown" in out
    assert f"screenshot: {run.screenshot('f-1')}\n" in out
    assert f"trace: {run.trace('f-1')} (gone)" in out
    assert "f-10" not in out


def test_history_of_an_unknown_key_is_bad_input(ledger: Ledger, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 2 with one line naming the key."""
    assert ippbot("history", "nope") == 2
    assert capsys.readouterr().err.strip() == "ippbot: no entry with key 'nope' in the ledger"


def test_help_lists_the_operators_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """`ippbot --help` names retry, resolve, cancel and history."""
    assert ippbot("--help") == 0
    out = capsys.readouterr().out
    for command in ("retry", "resolve", "cancel", "history"):
        assert command in out

"""Answers and withdrawals without a browser: what a complaint's page says of a target, the ledger's actions,
the account's lease, and `respond`'s refusals of bad usage (exit 2, one line, nothing filed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.commands import cli
from bot.errors import EnvironmentProblem, LedgerError
from bot.models import ComplaintStatus, ListingStatus
from bot.run.answers import Target, held_lease, verdict
from bot.settings import Settings
from bot.store.ledger import Ledger

pytestmark = pytest.mark.unit

ACCOUNT = "brand@example.com"
URL = "https://www.aliexpress.com/item/1.html"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def page(status: str = "awaiting_seller", state: str = "counter_noticed", answer: str = "") -> ComplaintStatus:
    listing = ListingStatus(url=URL, status=state, state=state, answer=answer, chance=1)
    return ComplaintStatus(reference="CP-000001", ipr_reference="IPR-1", status=status, listings=(listing,))


REJECT = Target("answer", "CP-000001", URL, "reject")


@pytest.mark.parametrize(("target", "shown", "seen"), [
    (REJECT, page(), "absent"),
    (REJECT, page(state="answered", answer="reject"), "shown"),
    (REJECT, page(state="removed", answer="reject"), "shown"),  # decided after the platform's review: still ours
    (REJECT, page(state="restored", answer="accept"), "cannot"),  # answered the other way already
    (REJECT, page(state="restored"), "cannot"),  # the deadline passed: nothing to answer
    (Target("answer", "CP-000001", URL + "?x", "accept"), page(), "cannot"),  # no such listing
    (Target("withdraw", "CP-000001", URL), page(), "absent"),
    (Target("withdraw", "CP-000001", URL), page(state="withdrawn"), "shown"),
    (Target("withdraw", "CP-000001", URL), page(state="removed"), "cannot"),
    (Target("withdraw", "CP-000001"), page(), "absent"),
    (Target("withdraw", "CP-000001"), page(status="withdrawn", state="withdrawn"), "shown"),
    (Target("withdraw", "CP-000001"), page(status="closed", state="removed"), "cannot"),
])
def test_verdict_reads_the_portals_records(target: Target, shown: ComplaintStatus, seen: str) -> None:
    """Shown: it is on the portal; absent: it may be filed; cannot: nothing to file (the reason says why)."""
    assert verdict(target, shown)[0] == seen


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", clock=lambda: T0)


def test_an_action_in_doubt_is_not_begun_again(ledger: Ledger) -> None:
    """submitting and unknown refuse a second begin; once proven absent (not_filed) it may be begun again."""
    first = ledger.begin_action(ACCOUNT, "answer", "CP-000001", URL, 1, decision="reject", note="n",
                                evidence=[Path("/e/a.pdf")])
    assert (first.state, first.evidence, first.note) == ("submitting", ("/e/a.pdf",), "n")
    with pytest.raises(LedgerError, match="look it up on the portal"):
        ledger.begin_action(ACCOUNT, "answer", "CP-000001", URL, 1, decision="reject")
    ledger.settle_action(first.id, "unknown", "the answer was lost")
    with pytest.raises(LedgerError):
        ledger.begin_action(ACCOUNT, "answer", "CP-000001", URL, 1, decision="reject")
    ledger.settle_action(first.id, "not_filed", "not on the portal")
    again = ledger.begin_action(ACCOUNT, "answer", "CP-000001", URL, 1, decision="reject")
    assert (again.id, again.state) == (first.id, "submitting")
    ledger.settle_action(again.id, "done", "on the portal")
    with pytest.raises(LedgerError):
        ledger.begin_action(ACCOUNT, "answer", "CP-000001", URL, 1, decision="reject")
    assert [a.state for a in ledger.actions(ACCOUNT)] == ["done"]
    assert ledger.action_for("answer", "CP-000001", URL, 2) is None  # a later chance is another action


def test_a_held_lease_stops_the_command_with_exit_3(ledger: Ledger) -> None:
    """While a run holds the account's lease, acting is refused as an environment problem (exit 3), nothing done."""
    assert ledger.acquire_lease(ACCOUNT, "run 1 on elsewhere pid 1", 300)
    with pytest.raises(EnvironmentProblem, match=r"holds account brand@example\.com's lease") as refused, \
            held_lease(ledger, ACCOUNT, "respond", wait=False, say=print, sleep=lambda _s: None):
        pytest.fail("must not get here")
    assert "--wait" in str(refused.value)
    assert ledger.lease_holder(ACCOUNT) == "run 1 on elsewhere pid 1"


def test_with_wait_it_goes_once_the_lease_is_free(ledger: Ledger) -> None:
    """With --wait it says it waits once, polls, and goes once the run released the lease; then it lets go."""
    assert ledger.acquire_lease(ACCOUNT, "run 1 on elsewhere pid 1", 300)
    said: list[str] = []
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            ledger.release_lease(ACCOUNT, "run 1 on elsewhere pid 1")

    with held_lease(ledger, ACCOUNT, "respond x", wait=True, say=said.append, sleep=sleep):
        assert ledger.lease_holder(ACCOUNT) == "respond x"
    assert len(sleeps) == 3 and len(said) == 1 and "waiting for run 1" in said[0]
    assert ledger.lease_holder(ACCOUNT) is None


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as ended:
        cli.main(list(args))
    return int(ended.value.code or 0), capsys.readouterr().err


@pytest.fixture
def two_complaints(cli_env: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A data dir whose ledger has URL in two complaints; the portal is never reached."""
    cli_env.setenv("IPPBOT_DATA_DIR", str(tmp_path / "data"))
    cli_env.setenv("IPPBOT_EMAIL", ACCOUNT)
    cli_env.setenv("IPPBOT_PORTAL_URL", "http://127.0.0.1:9")
    with Ledger.open(Settings(_env_file=None, data_dir=tmp_path / "data")) as ledger:
        ledger.keep_listings(ACCOUNT, [page(), page().model_copy(update={"reference": "CP-000002"})])
    return tmp_path


@pytest.mark.parametrize(("args", "said"), [
    (["respond", URL, "--reject"], f"{URL} stands in complaints CP-000001, CP-000002: pass --complaint REF"),
    (["respond", "https://www.aliexpress.com/item/9.html", "--accept"], "no complaint in the ledger lists"),
    (["respond", URL], "respond takes URL... with --accept or --reject"),
    (["respond", URL, "--accept", "--reject"], "--accept or --reject, not both"),
    (["respond", URL, "--reject", "--complaint", "CP-000001", "--evidence", "/nowhere.pdf"],
     "no such evidence file: /nowhere.pdf"),
])
def test_bad_usage_exits_2_with_one_line(two_complaints: Path, capsys: pytest.CaptureFixture[str],
                                        args: list[str], said: str) -> None:
    """Bad usage is refused before the portal is reached: exit 2 and one line that says what to give."""
    code, err = run_cli(capsys, *args)
    assert code == 2 and said in err and len(err.strip().splitlines()) == 1


def test_a_decisions_file_is_checked_row_by_row(two_complaints: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A CSV row without a valid decision is refused with its file and line; nothing is filed (exit 2)."""
    csv = two_complaints / "decisions.csv"
    csv.write_text(f"url,decision,complaint\n{URL},reject,CP-000001\n{URL},maybe,CP-000002\n", encoding="utf-8")
    code, err = run_cli(capsys, "respond", "--file", str(csv))
    assert code == 2 and f"{csv}:3: needs a url and a decision of accept or reject" in err


def test_a_portal_that_is_down_exits_3_with_one_line(two_complaints: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With good usage and the portal down, respond and withdraw say so in one line and exit 3."""
    for args in (["respond", URL, "--reject", "--complaint", "CP-000001"], ["withdraw", "CP-000001"]):
        code, err = run_cli(capsys, *args)
        assert code == 3 and "unreachable" in err and len(err.strip().splitlines()) == 1

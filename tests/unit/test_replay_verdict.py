"""Replay, without a browser: the verdict's wording, outcomes, and the order HAR answers are served in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.commands import cli
from bot.errors import InputError
from bot.run.artifacts import EntryResult, StepTiming
from bot.run.harplayer import HarPlayer
from bot.run.replay import Outcome, Recording, compare, recorded_outcome, step_names

pytestmark = pytest.mark.unit

STEPS = ["submit_ipr.lookup: ok", "submit_ipr.fill: ok", "submit_ipr.submit: ok"]


def answer(method: str, url: str, status: int, text: str = "", at: str = "2026-11-28T02:00:00.000Z") -> dict[str, Any]:
    return {"startedDateTime": at, "request": {"method": method, "url": url},
            "response": {"status": status, "headers": [], "content": {"text": text}}}


def test_same_steps_and_outcome_is_one_line() -> None:
    """A faithful replay says so, with the reference."""
    verdict = compare(STEPS, STEPS, Outcome(reference="IPR-000001"), Outcome(reference="IPR-000001"))
    assert (verdict.same, verdict.text) == (True, "same steps, same outcome: IPR-000001")


def test_the_first_different_step_is_named() -> None:
    """A replay that fails a step names the step, as recorded and as replayed."""
    replayed = [*STEPS[:2], "submit_ipr.submit: SubmitOutcomeUnknown"]
    verdict = compare(STEPS, replayed, Outcome(reference="IPR-000001"), Outcome(error="SubmitOutcomeUnknown"))
    assert not verdict.same
    assert verdict.text == ("step 3 differs: recorded 'submit_ipr.submit: ok', "
                            "replayed 'submit_ipr.submit: SubmitOutcomeUnknown'")


def test_a_shorter_or_longer_replay_is_a_difference() -> None:
    """Missing or extra steps are differences, naming the first step only one side took."""
    stopped = compare(STEPS, STEPS[:2], Outcome(reference="R"), Outcome(error="PortalTimeout"))
    assert stopped.text == "the replay stopped after 2 steps; the recording went on: 'submit_ipr.submit: ok'"
    extra = compare(STEPS[:2], STEPS, Outcome(error="X"), Outcome(error="X"))
    assert extra.text == "the replay went on after the recorded 2 steps: 'submit_ipr.submit: ok'"


def test_a_different_outcome_is_a_difference() -> None:
    """Same steps but another reference is reported as such."""
    verdict = compare(STEPS, STEPS, Outcome(reference="IPR-000001"), Outcome(reference="IPR-999999"))
    assert not verdict.same
    assert verdict.text == "same steps, different outcome: recorded IPR-000001, replayed IPR-999999"


def test_the_recorded_outcome_is_the_reference_or_the_last_failed_step() -> None:
    """A confirmed entry's outcome is its reference; any other's, the error of its last failed step."""
    steps = [StepTiming(flow="submit_ipr", step="lookup", duration_ms=5, outcome="PortalServerError"),
             StepTiming(flow="submit_ipr", step="lookup", duration_ms=5, outcome="PortalTimeout")]
    confirmed = EntryResult(key="k", kind="ipr", state="confirmed", portal_ref="IPR-7", steps=steps)
    pending = EntryResult(key="k", kind="ipr", state="pending", steps=steps)
    assert recorded_outcome(confirmed) == Outcome(reference="IPR-7")
    assert recorded_outcome(pending) == Outcome(error="PortalTimeout")
    assert step_names(steps) == ["submit_ipr.lookup: PortalServerError", "submit_ipr.lookup: PortalTimeout"]


def test_an_unrecorded_error_matches_any_error_but_not_a_reference() -> None:
    """When the run did not record an error class, any failure matches; a reference does not."""
    assert Outcome().matches(Outcome(error="PortalRejected"))
    assert not Outcome().matches(Outcome(reference="IPR-1"))


def test_repeated_requests_get_their_answers_in_recorded_order() -> None:
    """The n-th request for a URL gets the n-th answer; a GET then keeps the last; a POST is never replayed twice."""
    url = "http://portal/ipr/manage?q=1"
    player = HarPlayer([answer("GET", url, 200, "found", at="2026-11-28T02:00:02.000Z"),
                        answer("GET", url, 503, at="2026-11-28T02:00:01.000Z"),
                        answer("POST", "http://portal/ipr/submit", 303)])
    assert [(player.take("GET", url) or {})["response"]["status"] for _ in range(3)] == [503, 200, 200]
    assert player.take("POST", "http://portal/ipr/submit") is not None
    assert player.take("POST", "http://portal/ipr/submit") is None
    assert player.take("GET", "http://portal/elsewhere") is None


def test_a_har_outside_a_run_folder_is_refused(tmp_path: Path) -> None:
    """A HAR with no summary.json two folders up is bad input, named in the error."""
    har = tmp_path / "loose.har"
    har.write_text('{"log": {"entries": []}}', encoding="utf-8")
    with pytest.raises(InputError, match=r"no summary\.json"):
        Recording.find(har)


def test_replay_command_wants_a_har_or_a_trace(cli_env: pytest.MonkeyPatch, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """`ippbot replay` of anything but a .har or a .zip says what it expects and exits 2."""
    with pytest.raises(SystemExit) as ended:
        cli.main(["replay", str(tmp_path / "runs" / "r1")])
    assert ended.value.code == 2
    assert "expected an entry's .har (RUN_DIR/har/) or a trace .zip" in capsys.readouterr().err

"""The run report: counts, badges, plain-word errors, escaping, relative links and the step chart."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from bot.commands import cli
from bot.logs import clear_secrets, register_secret
from bot.run.artifacts import EntryResult, RunDir, RunSummary, StepTiming
from bot.run.report import (
    STATES,
    build_report,
    duration_text,
    plain_error,
    relative_link,
    render,
    write_report,
)

pytestmark = pytest.mark.unit

HOSTILE = '<script>alert("key")</script>'
CANARY = "canary-Secret-0042"


def timing(flow: str, step: str, ms: int, outcome: str = "ok") -> StepTiming:
    return StepTiming(flow=flow, step=step, duration_ms=ms, outcome=outcome)


def ipr_steps(submit: str = "ok") -> list[StepTiming]:
    return [timing("submit_ipr", "lookup", 200), timing("submit_ipr", "fill", 900),
            timing("submit_ipr", "submit", 400, submit)]


def summary_of(entries: list[EntryResult]) -> RunSummary:
    return RunSummary(run_id="20261128T020000-000", started_at="2026-11-28T02:00:00+00:00",
                      finished_at="2026-11-28T02:03:05+00:00", portal_url="http://127.0.0.1:8765",
                      trace_mode="retain-on-failure", counts={"confirmed": 7, "pending": 2}, entries=entries)


def one_of_each_state() -> list[EntryResult]:
    """An entry in every state, the confirmed one with its evidence files."""
    entries = [EntryResult(key=f"ipr:{state}", kind="ipr", state=state, attempts=1, duration_ms=1500,
                           steps=ipr_steps(), error=None if state == "confirmed" else f"went {state}")
               for state in STATES]
    entries[0] = entries[0].model_copy(update={"portal_ref": "IPR-000001", "screenshot": "screenshots/a.png",
                                               "trace": "traces/a.zip", "har": "har/a.har"})
    return entries


@pytest.fixture
def run(tmp_path: Path) -> RunDir:
    """An empty run folder."""
    return RunDir(tmp_path / "runs", "20261128T020000-000").create()


@pytest.fixture(autouse=True)
def no_secrets() -> Iterator[None]:
    """Each test starts and ends with no registered secret."""
    clear_secrets()
    yield
    clear_secrets()


def test_tiles_count_each_state_once_per_entry() -> None:
    """Each state that occurs gets one tile with the number of entries in it, in the usual order."""
    entries = [*one_of_each_state(), EntryResult(key="ipr:more", kind="ipr", state="confirmed")]
    report = build_report(summary_of(entries))
    counts = {tile.state: tile.count for tile in report.tiles}
    assert counts == {state: 2 if state == "confirmed" else 1 for state in STATES}
    assert [tile.state for tile in report.tiles] == list(STATES)


def test_every_state_has_its_coloured_badge() -> None:
    """The table shows each state as a badge with its own label and colour."""
    html = render(build_report(summary_of(one_of_each_state())))
    for state, (label, colour) in STATES.items():
        assert f'<span class="badge state-{state}" style="background: {colour}">{label}</span>' in html


def test_an_entry_worked_twice_shows_its_last_result() -> None:
    """An entry that went back to pending and was confirmed later counts once, as confirmed."""
    first = EntryResult(key="ipr:again", kind="ipr", state="pending", attempts=1, steps=ipr_steps("PortalTimeout"))
    second = first.model_copy(update={"state": "confirmed", "attempts": 2, "portal_ref": "IPR-000009"})
    report = build_report(summary_of([first, second]))
    assert [(row.state, row.portal_ref) for row in report.rows] == [("confirmed", "IPR-000009")]
    assert [bar.count for bar in report.bars] == [2, 2, 2]


def test_a_hostile_key_is_escaped() -> None:
    """A key holding markup is shown as text, never as a tag."""
    entry = EntryResult(key=HOSTILE, kind="ipr", state="failed", error=HOSTILE, steps=ipr_steps("PortalRejected"))
    html = render(build_report(summary_of([entry])))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;key&#34;)&lt;/script&gt;" in html


def test_the_page_forbids_scripts_and_outside_assets() -> None:
    """The page carries a policy that allows no script and nothing from the network."""
    html = render(build_report(summary_of(one_of_each_state())))
    assert "default-src 'none'" in html
    assert not re.search(r"<script|<link|https?://(?!127\.0\.0\.1:8765|www\.w3\.org)", html)


def test_links_are_relative_to_the_run_folder() -> None:
    """Screenshots, traces and HAR files are linked relatively, with the command that opens them."""
    html = render(build_report(summary_of(one_of_each_state())))
    assert '<img src="screenshots/a.png"' in html
    assert '<a href="traces/a.zip">open</a> <code>ippbot replay traces/a.zip</code>' in html
    assert '<a href="har/a.har">open</a> <code>ippbot replay har/a.har</code>' in html


@pytest.mark.parametrize("path", ["/etc/passwd", "../other/x.png", "javascript:alert(1)", "C:\\x.png", ""])
def test_unsafe_paths_are_not_linked(path: str) -> None:
    """A path that is absolute, leaves the run folder or names a scheme gets no link."""
    assert relative_link(path, PurePosixPath(".")) is None


def test_a_report_elsewhere_links_back_into_the_run(run: RunDir, tmp_path: Path) -> None:
    """With another output folder, links climb back to the run's files, and summary.json goes beside it."""
    (run.root / "screenshots" / "a.png").write_bytes(b"png")
    run.write_summary(summary_of(one_of_each_state()))
    out = tmp_path / "published"
    page = write_report(run, out)
    html = page.read_text(encoding="utf-8")
    [src] = re.findall(r'<img src="([^"]+)"', html)
    assert src.startswith("../") and (out / src).resolve() == (run.root / "screenshots" / "a.png").resolve()
    assert json.loads((out / "summary.json").read_text())["run_id"] == run.run_id


def test_the_chart_has_one_bar_per_flow_step() -> None:
    """The chart draws one bar per flow step across entries, the longest total the widest."""
    complaint = EntryResult(key="c:1", kind="complaint", state="confirmed", steps=[
        timing("file_complaint", "lookup", 100), timing("file_complaint", "fill", 30_000)])
    entries = [*one_of_each_state(), complaint]
    report = build_report(summary_of(entries))
    html = render(report)
    assert len(re.findall(r'<rect class="bar"', html)) == len(report.bars) == 5
    widest = max(report.bars, key=lambda bar: bar.width)
    assert widest.label == "file_complaint · fill" and widest.total == "30.0 s"


def test_the_chart_shows_total_and_median() -> None:
    """Each bar is labelled with its step's total and median time and how often it ran."""
    entries = [EntryResult(key=f"k{i}", kind="ipr", state="confirmed", steps=[timing("submit_ipr", "fill", ms)])
               for i, ms in enumerate((100, 300, 2000))]
    [bar] = build_report(summary_of(entries)).bars
    assert (bar.total, bar.median, bar.count) == ("2.4 s", "300 ms", 3)


@pytest.mark.parametrize(("kind", "message", "expected"), [
    ("SubmitOutcomeUnknown", "no confirmation after the submit: cut off (entry=k, step=s, url=u)",
     "the portal did not confirm; checked its records"),
    ("PortalChanged", "selectors/ipr_form.toml: submit: matches no element (entry=k, step=s)",
     "the portal's pages changed: selector selectors/ipr_form.toml/submit (matches no element)"),
    ("NeedsHuman", "the portal shows a slider check meant for a person (entry=k)",
     "waits for a person: the portal shows a slider check meant for a person"),
    ("PortalServerError", "gave up after 5 attempts; last: the portal answered 503 (entry=k)",
     "gave up after 5 attempts; last: the portal had a server error or dropped the connection"),
    (None, "its IPR is not approved yet", "its IPR is not approved yet"),
])
def test_errors_read_as_plain_sentences(kind: str | None, message: str, expected: str) -> None:
    """Error classes become sentences an operator understands, without the entry/step/url suffix."""
    assert plain_error(kind, message) == expected


def test_the_state_names_the_error_when_a_later_step_failed() -> None:
    """An unknown entry reads as an unconfirmed submit even when its reconciling look-up timed out."""
    steps = [*ipr_steps("SubmitOutcomeUnknown"), timing("submit_ipr", "lookup", 10_000, "PortalTimeout")]
    entry = EntryResult(key="k", kind="ipr", state="unknown", error="no confirmation after the submit", steps=steps)
    [row] = build_report(summary_of([entry])).rows
    assert row.error == "the portal did not confirm; checked its records"


def test_registered_secrets_never_reach_the_page() -> None:
    """A secret registered with bot.logs is masked in error texts and refusal reasons."""
    register_secret(CANARY)
    entry = EntryResult(key="k", kind="complaint", state="failed", error=f"login as {CANARY} failed",
                        refused=[{"url": f"https://www.aliexpress.com/item/1.html?t={CANARY}", "reason": CANARY}])
    html = render(build_report(summary_of([entry])))
    assert CANARY not in html and "[redacted]" in html


def test_step_timings_come_from_the_log_when_the_summary_has_none(run: RunDir) -> None:
    """Entries without steps in summary.json get them from log.jsonl's step.end events."""
    run.write_summary(summary_of([EntryResult(key="ipr:1", kind="ipr", state="confirmed")]))
    events = [{"event": "step.start", "entry": "ipr:1", "flow": "submit_ipr", "step": "fill"},
              {"event": "step.end", "entry": "ipr:1", "flow": "submit_ipr", "step": "fill", "duration_ms": 700,
               "outcome": "ok"},
              {"event": "step.end", "entry": "preflight", "flow": "login", "step": "check_session",
               "duration_ms": 50, "outcome": "ok"}]
    run.log.write_text("\n".join(json.dumps(e) for e in events) + "\nnot json\n", encoding="utf-8")
    html = write_report(run).read_text(encoding="utf-8")
    assert len(re.findall(r'<rect class="bar"', html)) == 1
    assert "submit_ipr · fill" in html and "total 700 ms" in html


def test_the_header_names_the_run() -> None:
    """The header shows run id, portal, start, end and duration."""
    html = render(build_report(summary_of([])))
    for text in ("20261128T020000-000", "http://127.0.0.1:8765", "2026-11-28 02:00:00 UTC",
                 "2026-11-28 02:03:05 UTC", "3 min 05 s", "No entry was worked in this run."):
        assert text in html


@pytest.mark.parametrize(("ms", "text"), [(850, "850 ms"), (1_234, "1.2 s"), (184_000, "3 min 04 s")])
def test_durations_read_naturally(ms: int, text: str) -> None:
    """Durations are shown in the unit that reads best."""
    assert duration_text(ms) == text


def test_report_command_without_a_run_is_bad_input(cli_env: pytest.MonkeyPatch, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """`ippbot report --run ID` for a run that is not there names it on stderr and exits 2."""
    cli_env.setenv("IPPBOT_DATA_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as ended:
        cli.main(["report", "--run", "r1"])
    assert ended.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"ippbot: no run 'r1' under {tmp_path / 'runs'} (no summary.json)")


def test_report_command_writes_the_latest_run(cli_env: pytest.MonkeyPatch, run: RunDir,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """`ippbot report` with no --run writes the latest run's report beside its summary."""
    run.write_summary(summary_of(one_of_each_state()))
    cli_env.setenv("IPPBOT_DATA_DIR", str(run.root.parent.parent))
    with pytest.raises(SystemExit) as ended:
        cli.main(["report"])
    assert ended.value.code == 0
    assert capsys.readouterr().out.splitlines() == [f"report: {run.report}", f"summary: {run.summary}"]
    assert run.report.is_file()


def test_an_interrupted_run_says_so_and_what_it_left() -> None:
    """A run stopped by Ctrl-C shows a banner saying so, how many entries it left in flight, and that the
    next run settles them; the header says when it was interrupted."""
    entries = [EntryResult(key="ipr:left", kind="ipr", state="submitting"),
               EntryResult(key="ipr:done", kind="ipr", state="confirmed")]
    html = render(build_report(summary_of(entries).model_copy(update={"interrupted": "SIGINT"})))
    assert "This run was interrupted" in html
    assert "It was stopped by Ctrl-C (SIGINT) at a safe point" in html
    assert "1 entry was left in flight" in html and "the next <code>ippbot run</code> settles it" in html
    assert "<dt>Interrupted</dt>" in html
    assert "This run was interrupted" not in render(build_report(summary_of(entries)))


def test_a_key_with_an_emoji_code_shows_as_typed() -> None:
    """A key with `:copyright:` in it is shown as typed, not as an emoji."""
    key = "ipr:copyright:CN:2020SR123456"
    html = render(build_report(summary_of([EntryResult(key=key, kind="ipr", state="confirmed")])))
    assert f'<span class="key">{key}</span>' in html


@pytest.mark.parametrize(("kind", "message", "expected"), [
    ("PortalServerError", "not filed: no confirmation after the submit: the portal answered 503",
     "not filed: the portal had a server error or dropped the connection"),
    ("PortalServerError", "gave up after 5 attempts; last: not filed: no confirmation after the submit: the portal "
     "answered 503", "gave up after 5 attempts; last: not filed: the portal had a server error or dropped the "
     "connection"),
    ("PortalMaintenance", "the portal asks us to come back later (maintenance) (503) (entry=k)",
     "the portal was down for maintenance"),
])
def test_a_submit_proven_not_filed_reads_by_its_root_cause(kind: str, message: str, expected: str) -> None:
    """An entry whose unanswered click the portal's records proved went nowhere reads by what answered it."""
    assert plain_error(kind, message) == expected


def test_an_entry_back_in_line_says_when_it_goes_again() -> None:
    """An entry put back with a back-off says when it is tried again."""
    entry = EntryResult(key="k", kind="ipr", state="pending", error="not filed: the portal answered 503",
                        error_class="PortalServerError", next_try_at="2026-11-28T02:03:09+00:00")
    [row] = build_report(summary_of([entry])).rows
    assert row.error.endswith("; back in line, tried again from 2026-11-28 02:03:09 UTC")

"""The run report: `report.html`, one self-contained page an operator reads over coffee, and `report.json`.

`write_report(run)` reads the run's `summary.json` (and `log.jsonl` for step timings the
summary lacks) and writes `report.html` beside it, or into another folder with its links still
pointing at the run's files, with the page's data as `report.json` beside it (summary.json keeps
its name and fields). Given the ledger and the account (`ledger=`, `account=`), the page opens with
the account's whole standing (`bot.run.report_data`, `bot.run.standing_view`; templates
`account.html` and `listings.html`): what needs the operator today (counter-notices by working
days left, entries to settle with the command that does it, IPRs expiring within 90 days), the
funnel per marketplace and per IPR, Good Faith standing against its thresholds with an inline SVG
chart, and every listing, filterable by state and searchable by URL.

The page is plain HTML with inline CSS and inline SVG, and no external asset. Its one script
(the listings filter, `listing_filter.html`, a dozen lines, only with the account part) is
allowed by its SHA-256 in the Content-Security-Policy, which forbids every other script, so a
hostile entry key or listing URL can do nothing even if it got past the escaping (Jinja2
autoescape). It prints readably (print CSS) and says at its foot what it contains. It shows:

* a header: run id, portal, start, end, duration; a banner when the run was interrupted (Ctrl-C,
  SIGTERM), saying what that left and that the next run settles it;
* for a dry run (`ippbot run --dry-run`), a banner saying nothing was filed, one tile per verdict
  (`VERDICTS`), and per entry what it would have filed (kind, platform, IPR, listings, the filled
  form's screenshot) or why not;
* one coloured tile per state with its count;
* the entries: readable name (`report_data.names`), key, kind, state badge, portal reference,
  attempts, duration, and the last error in plain words (`bot.run.report_words.plain_error`);
* retries counted by reason, as Scrapy prints `retry/reason_count/...` (`retry_counts`);
* listings the portal refused, with its reasons;
* confirmation thumbnails, traces and HAR files, as relative links, with the command that
  replays each;
* a bar chart of the time spent in each flow step, total and median across entries.

Errors are shown through `bot.logs.mask_secrets` even though the summary is already clean.
The view is built as plain data first (`build_report`), so tests check it without a browser.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import json
import os
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape

from bot.errors import InputError
from bot.files import write_atomically
from bot.logs import mask_secrets
from bot.run.artifacts import EntryResult, RunDir, RunSummary, StepTiming, Would, latest_run
from bot.run.report_data import AccountView, account_view, names, snapshot
from bot.run.report_words import CONTEXT_SUFFIX, error_class
from bot.run.report_words import plain_error as plain_error  # bot.run.dryrun and the tests import it from here
from bot.store.ledger import Ledger

# State -> (label, colour); the order is the order of the tiles.
STATES: dict[str, tuple[str, str]] = {
    "confirmed": ("confirmed", "#1a7f37"),
    "failed": ("failed", "#cf222e"),
    "needs_human": ("needs a person", "#bc4c00"),
    "unknown": ("unknown", "#8250df"),
    "dead": ("gave up", "#424a53"),
    "pending": ("pending", "#0969da"),
    "waiting": ("waiting for IPR", "#1b7c83"),
    "blocked": ("blocked", "#953800"),
    "claimed": ("in progress", "#6e7781"),
    "submitting": ("submitting", "#9a6700"),
    "cancelled": ("cancelled", "#57606a"),
}
# A dry run's verdict -> (label, colour), as STATES; the order is the order of the tiles.
VERDICTS: dict[str, tuple[str, str]] = {
    "would_file": ("would be filed", "#1a7f37"),
    "on_portal": ("already on the portal", "#0969da"),
    "would_wait": ("would wait for its IPR", "#1b7c83"),
    "blocked": ("blocked", "#953800"),
    "later": ("not due yet", "#6e7781"),
    "in_doubt": ("settled first by the next run", "#8250df"),
    "needs_human": ("needs a person", "#bc4c00"),
    "not_filled": ("could not be filled", "#cf222e"),
}
OTHER_STATE = ("other", "#6e7781")
FLOW_COLOURS = {"submit_ipr": "#0969da", "file_complaint": "#8250df", "login": "#6e7781"}

SIGNALS = {"SIGINT": "Ctrl-C (SIGINT)", "SIGTERM": "SIGTERM"}
FINAL_STATES = ("failed", "dead", "needs_human")  # an entry's last failed step there was not retried

HERE = PurePosixPath(".")
CHART_WIDTH, CHART_LABEL, CHART_BAR, CHART_ROW = 960, 210, 430, 30


@dataclass(frozen=True)
class Tile:
    """One state's count."""

    state: str
    label: str
    colour: str
    count: int


@dataclass(frozen=True)
class Row:
    """One entry of the table."""

    key: str
    kind: str
    state: str
    label: str
    colour: str
    portal_ref: str
    existing: bool
    attempts: int
    duration: str
    error: str
    detail: str
    screenshot: str | None
    trace: str | None
    har: str | None
    would: str = ""  # a dry run's verdict (label), with its colour, what it would file, and why not
    would_colour: str = ""
    would_file: str = ""
    would_why: str = ""
    name: str = ""  # readable: the IPR's name and number; the complaint's marketplace, IPR and listing count


@dataclass(frozen=True)
class Refused:
    """A listing the portal refused, with its reason."""

    key: str
    url: str
    link: str | None
    reason: str


@dataclass(frozen=True)
class Artifact:
    """An entry's trace or HAR file: its link and the command that opens or replays it."""

    href: str
    command: str


@dataclass(frozen=True)
class Artifacts:
    """One entry's trace and HAR, either of which may be missing."""

    key: str
    trace: Artifact | None
    har: Artifact | None


@dataclass(frozen=True)
class Bar:
    """One flow step in the chart, with its geometry."""

    label: str
    colour: str
    count: int
    failed: int
    total: str
    median: str
    y: int
    width: int


@dataclass(frozen=True)
class Report:
    """Everything the page shows, as plain data."""

    run_id: str
    portal_url: str
    started: str
    finished: str
    duration: str
    trace_mode: str
    tiles: list[Tile]
    ledger: str
    rows: list[Row]
    refused: list[Refused]
    thumbnails: list[Row]
    artifacts: list[Artifacts]
    bars: list[Bar]
    chart_height: int
    run_folder: str
    interrupted: str = ""  # how the run was stopped (Ctrl-C, SIGTERM), or "" when it ran to its end
    in_flight: int = 0  # entries an interrupt left claimed, submitting or unknown
    dry_run: bool = False  # `ippbot run --dry-run`: the rows say what would have been filed
    retries: list[tuple[str, int]] = dataclasses.field(default_factory=list)  # Scrapy-style retry counters
    account: AccountView | None = None  # the account's whole standing, when the ledger was at hand
    names: dict[str, str] = dataclasses.field(default_factory=dict)  # entry key -> readable name


# -- the public entry points ------------------------------------------------------------------


def write_report(run: RunDir, out_dir: Path | None = None, *, ledger: Ledger | None = None,
                 account: str | None = None, today: date | None = None) -> Path:
    """Write `report.html` and `report.json` for `run` (into `out_dir` with summary.json beside it, if given).

    With the `ledger` (and the `account` it reports on), the page shows the account's whole standing
    on `today` (default: the date now) besides the run.
    """
    summary = load_summary(run)
    target = out_dir or run.root
    target.mkdir(parents=True, exist_ok=True)
    prefix = PurePosixPath(Path(os.path.relpath(run.root, target)).as_posix())
    view = account_view(snapshot(ledger, account), today or date.today()) \
        if ledger is not None and account is not None else None
    named = names(ledger.get(row.key) for row in ledger.rows()) if ledger is not None else {}
    report = build_report(summary, prefix, run.root, account=view, names=named)
    page = target / "report.html"
    write_atomically(page, render(report))
    write_atomically(target / "report.json", json.dumps(dataclasses.asdict(report), indent=2, ensure_ascii=False))
    if target.resolve() != run.root.resolve():
        write_atomically(target / "summary.json", summary.model_dump_json(indent=2))
    return page


def find_run(runs_dir: Path, run_id: str | None, account: str | None = None) -> RunDir:
    """The run named `run_id`, or the latest (`account`'s when given); `InputError` when there is none."""
    if run_id is None:
        latest = latest_run(runs_dir, account)
        if latest is None:
            whose = f" of account {account}" if account else ""
            raise InputError(f"no run{whose} with a summary.json under {runs_dir}")
        return latest
    run = RunDir(runs_dir, run_id)
    if not run.summary.is_file():
        raise InputError(f"no run {run_id!r} under {runs_dir} (no summary.json)")
    return run


def load_summary(run: RunDir) -> RunSummary:
    """The run's summary, with step timings taken from log.jsonl for entries that lack them."""
    summary = run.read_summary()
    if all(entry.steps for entry in summary.entries) or not run.log.is_file():
        return summary
    logged = steps_from_log(run.log)
    entries = [e if e.steps else e.model_copy(update={"steps": logged.get(e.key, [])}) for e in summary.entries]
    return summary.model_copy(update={"entries": entries})


def steps_from_log(log: Path) -> dict[str, list[StepTiming]]:
    """Each entry's `step.end` events in a run's log.jsonl, as step timings."""
    steps: dict[str, list[StepTiming]] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        timing = StepTiming.from_event(event) if isinstance(event, dict) else None
        if timing is not None and event.get("entry"):
            steps.setdefault(str(event["entry"]), []).append(timing)
    return steps


# -- the view -----------------------------------------------------------------------------------


def build_report(summary: RunSummary, prefix: PurePosixPath = HERE, run_root: Path | None = None, *,
                 account: AccountView | None = None, names: dict[str, str] | None = None) -> Report:
    """The page's content from a summary; links are relative, under `prefix` (the run's folder).

    An entry worked more than once in the run (it went back to pending) shows its last result;
    the chart counts the time of every attempt.
    """
    entries = last_results(summary.entries)
    rows = [dataclasses.replace(_row(entry, prefix), name=(names or {}).get(entry.key, "")) for entry in entries]
    bars, height = chart(summary.entries)
    return Report(
        run_id=summary.run_id, portal_url=summary.portal_url, started=_when(summary.started_at),
        finished=_when(summary.finished_at), duration=_span(summary.started_at, summary.finished_at),
        trace_mode=summary.trace_mode, tiles=_tiles(summary.dry_run, entries),
        ledger=", ".join(f"{n} {_state(s)[0]}" for s, n in _ordered(summary.counts) if n),
        rows=rows, refused=_refused(entries), thumbnails=[r for r in rows if r.screenshot],
        artifacts=_artifacts(entries, prefix), bars=bars, chart_height=height,
        run_folder=str(run_root) if run_root else "",
        interrupted=SIGNALS.get(summary.interrupted, summary.interrupted) if summary.interrupted else "",
        in_flight=sum(e.state in ("claimed", "submitting", "unknown") for e in entries) if not summary.dry_run else 0,
        dry_run=summary.dry_run, retries=retry_counts(summary.entries), account=account,
        names={e.key: (names or {})[e.key] for e in entries if e.key in (names or {})},
    )


def retry_counts(entries: Sequence[EntryResult]) -> list[tuple[str, int]]:
    """`retry/count` and `retry/reason_count/<error class>`, as Scrapy prints them: every failed step of the
    run but the last of an entry that ended needing a person (failed, dead, needs_human)."""
    reasons: dict[str, int] = {}
    for entry in entries:
        failed = [s.outcome for s in entry.steps if s.outcome not in ("", "ok")]
        for outcome in failed[:-1] if entry.state in FINAL_STATES else failed:
            reasons[outcome] = reasons.get(outcome, 0) + 1
    if not reasons:
        return []
    counted = [(f"retry/reason_count/{kind}", n) for kind, n in sorted(reasons.items())]
    return [("retry/count", sum(reasons.values())), *counted]


def last_results(entries: Sequence[EntryResult]) -> list[EntryResult]:
    """Each entry's last result in the run, in the order entries were first worked."""
    last: dict[str, EntryResult] = {}
    for entry in entries:
        last[entry.key] = entry
    return list(last.values())


def tiles(states: Iterable[str], table: dict[str, tuple[str, str]] = STATES) -> list[Tile]:
    """One tile per state (or dry-run verdict, with `VERDICTS`) that occurs, in the usual order, with its count."""
    counts: dict[str, int] = {}
    for state in states:
        counts[state] = counts.get(state, 0) + 1
    return [Tile(state, *_state(state, table), count) for state, count in _ordered(counts, table)]


def _tiles(dry_run: bool, entries: Sequence[EntryResult]) -> list[Tile]:
    if not dry_run:
        return tiles(e.state for e in entries)
    return tiles((e.would.verdict if e.would else "not_filled" for e in entries), VERDICTS)


def chart(entries: Sequence[EntryResult]) -> tuple[list[Bar], int]:
    """One bar per flow step (in first-seen order): total time across entries, with the median."""
    durations: dict[tuple[str, str], list[StepTiming]] = {}
    for entry in entries:
        for timing in entry.steps:
            durations.setdefault((timing.flow, timing.step), []).append(timing)
    longest = max((sum(t.duration_ms for t in ts) for ts in durations.values()), default=0) or 1
    bars = []
    for index, ((flow, step), timings) in enumerate(durations.items()):
        total = sum(t.duration_ms for t in timings)
        bars.append(Bar(label=f"{flow} · {step}", colour=FLOW_COLOURS.get(flow, "#6e7781"), count=len(timings),
                        failed=sum(t.outcome != "ok" for t in timings), total=duration_text(total),
                        median=duration_text(round(statistics.median(t.duration_ms for t in timings))),
                        y=index * CHART_ROW, width=max(2, round(CHART_BAR * total / longest))))
    return bars, len(bars) * CHART_ROW


def duration_text(ms: int) -> str:
    """850 ms, 1.2 s, 3 min 04 s."""
    if ms < 1000:
        return f"{ms} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes} min {seconds:02d} s"


def _row(entry: EntryResult, prefix: PurePosixPath) -> Row:
    label, colour = _state(entry.state)
    kind = error_class(entry)
    shown = entry.error if entry.state != "confirmed" and entry.would is None else None
    return Row(**_would(entry.would), key=entry.key, kind=entry.kind, state=entry.state, label=label, colour=colour,
               portal_ref=entry.portal_ref or "", existing=entry.existing, attempts=entry.attempts,
               duration=duration_text(entry.duration_ms) if entry.duration_ms else "",
               error=_with_next_try(plain_error(kind, shown), entry) if shown else "",
               detail=CONTEXT_SUFFIX.sub("", mask_secrets(shown or "")),
               screenshot=relative_link(entry.screenshot, prefix), trace=relative_link(entry.trace, prefix),
               har=relative_link(entry.har, prefix))


def _would(would: Would | None) -> dict[str, str]:
    """A dry run's verdict as the row shows it: its label and colour, what it would file, and why not."""
    if would is None:
        return {}
    label, colour = VERDICTS.get(would.verdict, OTHER_STATE)
    filed = [would.kind, would.platform and f"on {would.platform}", would.ipr and f"IPR {would.ipr}",
             would.listings and f"{would.listings} listing{'' if would.listings == 1 else 's'}"]
    return {"would": label, "would_colour": colour, "would_file": ", ".join(str(p) for p in filed if p),
            "would_why": mask_secrets(would.why)}


def _with_next_try(error: str, entry: EntryResult) -> str:
    if entry.state == "pending" and entry.next_try_at:
        return f"{error}; back in line, tried again from {_when(entry.next_try_at)}"
    return error


def _refused(entries: Sequence[EntryResult]) -> list[Refused]:
    out = []
    for entry in entries:
        for item in entry.refused:
            url = mask_secrets(item.get("url", ""))
            link = url if urlsplit(url).scheme in ("http", "https") else None
            out.append(Refused(entry.key, url, link, mask_secrets(item.get("reason", ""))))
    return out


def _artifacts(entries: Sequence[EntryResult], prefix: PurePosixPath) -> list[Artifacts]:
    found = [Artifacts(e.key, _artifact(e.trace, prefix), _artifact(e.har, prefix)) for e in entries]
    return [a for a in found if a.trace or a.har]


def _artifact(path: str | None, prefix: PurePosixPath) -> Artifact | None:
    href = relative_link(path, prefix)
    return Artifact(href, f"ippbot replay {path}") if path and href else None


def relative_link(path: str | None, prefix: PurePosixPath) -> str | None:
    """A summary path (relative to the run) as a URL-quoted link from the report; None if unsafe."""
    if not path:
        return None
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts or ":" in path or "\\" in path:
        return None
    return quote((prefix / relative).as_posix())


def _state(state: str, table: dict[str, tuple[str, str]] = STATES) -> tuple[str, str]:
    return table.get(state, (state or OTHER_STATE[0], OTHER_STATE[1]))


def _ordered(counts: dict[str, int], table: dict[str, tuple[str, str]] = STATES) -> list[tuple[str, int]]:
    known = [(s, counts[s]) for s in table if s in counts]
    return known + sorted((s, n) for s, n in counts.items() if s not in table)


def _when(iso: str | None) -> str:
    if not iso:
        return "not finished"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    zone = moment.strftime(" %Z") if moment.tzinfo else ""
    return moment.strftime("%Y-%m-%d %H:%M:%S") + zone


def _span(start: str, end: str | None) -> str:
    try:
        seconds = (datetime.fromisoformat(end or "") - datetime.fromisoformat(start)).total_seconds()
    except (TypeError, ValueError):
        return ""
    return duration_text(round(seconds * 1000))


def render(report: Report) -> str:
    """The page's HTML (every value escaped), from the template file `bot/run/templates/report.html`."""
    template = templates().get_template("report.html")
    script = templates().get_template("listing_filter.html").render() if report.account else ""
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() if script else ""
    return template.render(r=report, width=CHART_WIDTH, label_w=CHART_LABEL, row_h=CHART_ROW, script=script,
                           script_hash=digest)


@functools.cache
def templates() -> Environment:
    """The report's templates, shipped as package data and loaded once a process."""
    return Environment(loader=PackageLoader("bot.run", "templates"), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)

"""A run's artifacts: where each file goes under `DATA_DIR/runs/<run-id>/`, and the summary's schema.

    runs/<run-id>/
      log.jsonl                  every log line of the run (JSON, secrets redacted)
      summary.json               `RunSummary`: counts per state and one `EntryResult` per entry worked
      report.html                the operator's report (bot.run.report)
      entries/<name>.json        the entry's payload as enqueued, for QA replay
      traces/<name>.zip          Playwright trace (per --trace)
      har/<name>.har             network log, scrubbed of cookies, tokens and passwords (--har)
      screenshots/<name>.png     the confirmation page: evidence of filing (a dry run: the filled form)

`<name>` is the entry's key made safe for a file name (`file_name`). The folder is created
0700: a trace may show the portal's pages as the account sees them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.files import write_atomically


def file_name(key: str) -> str:
    """An entry key as a safe, unique file name: readable part plus a short hash."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip("-.")[:60] or "entry"
    return f"{readable}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def new_run_id(now: datetime | None = None) -> str:
    """A sortable run id: the UTC time, to the millisecond."""
    moment = now or datetime.now(UTC)
    return moment.strftime("%Y%m%dT%H%M%S") + f"-{moment.microsecond // 1000:03d}"


class StepTiming(BaseModel):
    """How long one flow step took and how it ended."""

    flow: str
    step: str
    duration_ms: int
    outcome: str

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> StepTiming | None:
        """The timing a `step.end` log event carries, or None for any other event."""
        if event.get("event") != "step.end":
            return None
        return cls(flow=str(event.get("flow", "")), step=str(event.get("step", "")),
                   duration_ms=int(event.get("duration_ms", 0)), outcome=str(event.get("outcome", "")))


# What a dry run (`bot.run.dryrun`) found it would do with an entry, in the order the report shows them.
Verdict = Literal["would_file", "on_portal", "would_wait", "blocked", "later", "in_doubt", "needs_human",
                  "not_filled"]
NOT_FILLABLE: frozenset[Verdict] = frozenset({"needs_human", "not_filled"})  # a dry run with one of these exits 1


class Would(BaseModel):
    """A dry run's verdict on one entry: what it would have filed (kind, platform, IPR, listings), or why not."""

    verdict: Verdict
    kind: str
    platform: str | None = None  # a complaint's marketplace
    ipr: str | None = None  # a complaint's IPR; an IPR's registration number (or name, without one)
    listings: int = 0  # a complaint's listing count
    refused: int = 0  # of those, how many the portal's check page refused (listed in `EntryResult.refused`)
    reference: str | None = None  # on_portal: the record the look-up found
    why: str = ""  # every verdict but would_file: in plain words


class EntryResult(BaseModel):
    """What happened to one entry in a run."""

    key: str
    kind: str
    state: str
    portal_ref: str | None = None
    existing: bool = False
    attempts: int = 0
    duration_ms: int = 0
    error: str | None = None
    error_class: str | None = None  # the exception's class name (PortalRejected, SubmitOutcomeUnknown, ...)
    refused: list[dict[str, str]] = Field(default_factory=list)
    steps: list[StepTiming] = Field(default_factory=list)
    screenshot: str | None = None
    trace: str | None = None
    har: str | None = None
    reconciled: bool = False  # settled at the run's start: an earlier run left it unknown
    absent_at_start: bool = False  # the run's one read of IPR management showed it absent: no look-up page
    next_try_at: str | None = None  # back in line: not tried again before then (ISO, UTC)
    would: Would | None = None  # a dry run's verdict (the entry's state is then the ledger's, unchanged)
    # what the run knew while it worked the entry, not kept in summary.json
    proven_absent: bool = Field(default=False, exclude=True)  # its click went unanswered; not on the portal
    cause: str | None = Field(default=None, exclude=True)  # what answered that click (a 503, a reset)


class RunSummary(BaseModel):
    """The run as a whole: when, against what, and every entry's result."""

    run_id: str
    account: str | None = None  # the account it worked (None in a summary written before runs named it)
    started_at: str
    finished_at: str | None = None
    portal_url: str
    trace_mode: str
    counts: dict[str, int] = Field(default_factory=dict)
    entries: list[EntryResult] = Field(default_factory=list)
    interrupted: str | None = None  # the signal that stopped the run at a safe point (SIGINT, SIGTERM)
    dry_run: bool = False  # `ippbot run --dry-run`: nothing was filed and no entry moved
    held_until: str | None = None  # the portal asked the account to wait until then (a long Retry-After)
    held_why: str | None = None  # what it said (a 429, the maintenance page)


class RunDir:
    """The paths of one run's artifacts."""

    def __init__(self, runs_dir: Path, run_id: str) -> None:
        self.run_id = run_id
        self.root = runs_dir / run_id

    def create(self) -> RunDir:
        """Make the run's folders, readable by the owner only."""
        for sub in ("", "entries", "traces", "har", "screenshots"):
            (self.root / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        return self

    @property
    def log(self) -> Path:
        return self.root / "log.jsonl"

    @property
    def summary(self) -> Path:
        return self.root / "summary.json"

    @property
    def report(self) -> Path:
        return self.root / "report.html"

    def entry(self, key: str) -> Path:
        return self.root / "entries" / f"{file_name(key)}.json"

    def trace(self, key: str) -> Path:
        return self.root / "traces" / f"{file_name(key)}.zip"

    def har(self, key: str) -> Path:
        return self.root / "har" / f"{file_name(key)}.har"

    def screenshot(self, key: str) -> Path:
        return self.root / "screenshots" / f"{file_name(key)}.png"

    def relative(self, path: Path) -> str:
        """A path inside the run as the summary records it (relative to the run's folder)."""
        return path.relative_to(self.root).as_posix()

    def write_summary(self, summary: RunSummary) -> None:
        """Write summary.json atomically."""
        write_atomically(self.summary, summary.model_dump_json(indent=2))

    def read_summary(self) -> RunSummary:
        """Read summary.json back."""
        return RunSummary.model_validate_json(self.summary.read_text(encoding="utf-8"))


def latest_run(runs_dir: Path, account: str | None = None) -> RunDir | None:
    """The most recent run with a summary, if any; `account`'s when given (one whose summary names no
    account, written before summaries named it, counts as anyone's)."""
    for name in sorted((p.parent.name for p in runs_dir.glob("*/summary.json")), reverse=True):
        run = RunDir(runs_dir, name)
        if account is None or _worked_by(run) in (None, account):
            return run
    return None


def _worked_by(run: RunDir) -> str | None:
    try:
        return run.read_summary().account
    except (OSError, ValueError):  # half-written by a run killed mid-write: not the one to report
        return ""

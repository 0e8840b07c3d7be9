"""Benchmark 5: the cost of the evidence: `--trace off`, `retain-on-failure` (the default), `on`, `--har`.

The same runner on the same ledger, one mode after another in blocks of `BLOCK` entries, so
the machine's noise falls on every mode. `--har` is measured as the command line gives it:
the default trace mode plus a HAR. A sixth mode keeps no evidence at all (trace off and no
confirmation screenshot, `NoEvidence`), which prices the screenshot itself. Every entry
here files (none fails), so `retain-on-failure` records and then drops each trace.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from bench.harness import (
    RunTimes,
    bench_account,
    bench_main,
    blocks,
    median,
    ratio,
    run_entries,
)
from bench.results import Goal, Result, ms, times
from bot.run.artifacts import EntryResult
from bot.run.runner import Runner

BLOCK = 5
GOAL = 1.15
MODES: dict[str, dict[str, Any]] = {
    "no evidence (trace off, no screenshot)": {"trace": "off"},
    "--trace off": {"trace": "off"},
    "--trace retain-on-failure (default)": {"trace": "retain-on-failure"},
    "--trace on": {"trace": "on"},
    "--har (with the default trace)": {"trace": "retain-on-failure", "har": True},
}
NONE, OFF, DEFAULT = list(MODES)[:3]


class NoEvidence(Runner):
    """A run that keeps no confirmation screenshot (the bench's baseline; ippbot always keeps one)."""

    def _keep(self, page: Page, result: EntryResult, failed: bool) -> None:
        return None


def measure(entries: int) -> Result:
    """`entries` IPRs in each mode."""
    with bench_account("evidence", len(MODES) * entries, prefix=48) as bench:
        runs = {mode: RunTimes() for mode in MODES}
        for block in blocks(entries, BLOCK):
            for mode, options in MODES.items():
                runner = NoEvidence if mode == NONE else None
                runs[mode].add(run_entries(bench.settings.model_copy(update=options), block, runner_class=runner))
    return _result(runs)


def _result(runs: dict[str, RunTimes]) -> Result:
    off = median(runs[OFF].all())
    result = Result("5. The cost of the evidence")
    result.rows.append(["mode", "per entry (median)", "× --trace off"])
    result.rows += [[f"{mode} ({len(run.all())})", ms(median(run.all())), times(ratio(median(run.all()), off))]
                    for mode, run in runs.items()]
    default = ratio(median(runs[DEFAULT].all()), off)
    result.goals.append(Goal(f"the default (retain-on-failure) ≤ {GOAL:.2f}× --trace off", times(default),
                             default <= GOAL))
    bad = {mode: run.states for mode, run in runs.items() if set(run.states) != {"confirmed"}}
    if bad:
        result.notes.append(f"Entries not confirmed: {bad}")
    return result


if __name__ == "__main__":
    bench_main(measure, default_entries=60)

"""Benchmark 2: one browser a run (ippbot's runner) against the naive loop that launches a browser per entry.

Both are ippbot's own `Runner` on the same ledger, with the same flows and evidence; the naive
one (`BrowserPerEntry`) launches and closes a browser, with the run's executable and flags,
around every entry, and its time per entry includes that launch. They take turns in blocks
of `BLOCK` entries.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any, cast

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
from bot.browser import BrowserSession, open_browser
from bot.run.runner import Runner
from bot.store.records import Record

BLOCK = 5
GOAL = 0.25


class BrowserPerEntry(Runner):
    """The naive loop: the same run, but every entry in a browser launched for it alone."""

    def _work_entry(self, browser: BrowserSession, record: Record) -> None:
        started = time.monotonic()
        playwright = cast(Any, SimpleNamespace(chromium=browser.browser.browser_type))
        with open_browser(self.settings, playwright) as fresh:
            super()._work_entry(fresh, record)
        self.summary.entries[-1].duration_ms = round((time.monotonic() - started) * 1000)


def measure(entries: int) -> Result:
    """`entries` IPRs each way, in alternating blocks."""
    with bench_account("reuse", 2 * entries, prefix=45) as bench:
        reused, naive = RunTimes(), RunTimes()
        for block in blocks(entries, BLOCK):
            reused.add(run_entries(bench.settings, block))
            naive.add(run_entries(bench.settings, block, runner_class=BrowserPerEntry))
    if reused.states != {"confirmed": len(reused.all())} or naive.states != {"confirmed": len(naive.all())}:
        raise RuntimeError(f"entries did not all confirm: {reused.states} {naive.states}")
    one, per_entry = median(reused.all()), median(naive.all())
    result = Result("2. One browser a run against a browser per entry")
    result.rows += [["loop", "per entry (median)", "× naive"],
                    [f"ippbot: one browser and context a run, a page per entry ({len(reused.all())})", ms(one),
                     times(ratio(one, per_entry))],
                    [f"naive: a browser launched per entry ({len(naive.all())})", ms(per_entry), times(1.0)]]
    result.goals.append(Goal(f"ippbot ≤ {GOAL}× the naive loop", times(ratio(one, per_entry)),
                             ratio(one, per_entry) <= GOAL))
    return result


if __name__ == "__main__":
    bench_main(measure, default_entries=40)

"""Benchmark 4: memory over a long night: N entries in one run, peak PSS of the bot and its browser every 50.

One `Runner` run works N IPRs (the headless shell, as ippbot picks it). A sampler reads the
PSS of this process and every process under it, the portal left out, every 0.25 s; after
every `WINDOW` entries the window's peak is kept, with the window's median time per entry,
so a leak shows as memory or time creeping up. The growth compared is from the window that
ends at entry 100 to the last one; `make bench` runs the full 1,000.

Beside it, the window's peaks of the USS (private memory) of the same processes, in all and by
kind: the bot, Playwright's driver, Chromium's renderers and the rest of Chromium. PSS shares a
page among every process that maps it, so it moves when other Chromium processes start or end on
a shared machine; USS does not, and the kinds say which part grows.
"""

from __future__ import annotations

import time

from bench.harness import (
    PssSampler,
    bench_account,
    bench_main,
    median,
)
from bench.results import Goal, Result, ms
from bot.run.runner import Runner, RunOptions
from bot.store.ledger import Ledger
from bot.store.records import Record

WINDOW = 50
KINDS = ("bot", "driver", "chromium", "renderers")
FROM_ENTRY = 100
GROWTH_GOAL = 0.10
CEILING_MB = 1024


def measure(entries: int) -> Result:
    """N entries in one run; the peaks per window."""
    with bench_account("night", entries, prefix=47) as bench:
        settings = bench.settings
        windows: list[tuple[int, int, float]] = []  # (entries done, peak kB, median ms per entry)
        private: list[dict[str, int]] = []  # each window's USS peaks, in all and by kind
        last = [time.monotonic()]
        durations: list[float] = []

        def progress(_record: Record) -> None:
            now = time.monotonic()
            durations.append((now - last[0]) * 1000)
            last[0] = now
            if len(durations) % WINDOW == 0:
                windows.append((len(durations), sampler.take_peak(), median(durations[-WINDOW:])))
                private.append(sampler.take_uss_peaks())

        with PssSampler(exclude=[bench.portal.proc.pid]) as sampler, Ledger.open(settings) as ledger:
            summary = Runner(settings, ledger, RunOptions(progress=progress, console_level="warning")).run()
    confirmed = sum(1 for e in summary.entries if e.state == "confirmed")
    return _result(windows, private, entries, confirmed)


def _result(windows: list[tuple[int, int, float]], private: list[dict[str, int]], entries: int,
            confirmed: int) -> Result:
    result = Result(f"4. Memory over a long night ({entries:,} entries in one run)")
    result.rows.append(["entries done", "peak PSS in the window, bot + browser", "time per entry (window median)",
                        "peak USS, all", *(f"peak USS: {kind}" for kind in KINDS)])
    for (done, kb, per), uss in zip(windows, private, strict=True):
        result.rows.append([f"{done:,}", f"{kb / 1024:,.0f} MB", ms(per), _mb(uss.get("all", 0)),
                            *(_mb(uss.get(kind, 0)) for kind in KINDS)])
    if not windows:
        result.notes.append(f"Fewer than {WINDOW} entries: nothing to compare.")
        return result
    start = next((kb for done, kb, _ in windows if done >= FROM_ENTRY), None)
    end, peak = windows[-1][1], max(kb for _, kb, _ in windows)
    if start is not None:
        growth, reached = end / start - 1, windows[-1][0]
        short = "" if reached >= 1000 else f" (a shorter night: {reached:,} entries, not 1,000)"
        result.goals.append(Goal(f"growth ≤ {GROWTH_GOAL:.0%} from entry {FROM_ENTRY} to entry 1,000",
                                 f"{growth:+.1%} from entry {FROM_ENTRY} to entry {reached:,}{short}",
                                 growth <= GROWTH_GOAL))
    result.goals.append(Goal(f"under {CEILING_MB:,} MB in all with the headless shell", f"peak {peak / 1024:,.0f} MB",
                             peak / 1024 < CEILING_MB))
    result.notes.append(_uss_growth(windows, private))
    result.notes.append(f"{confirmed:,} of {entries:,} entries confirmed. The time per entry here is the interval "
                        "between two entries' ends, so it includes claiming the next entry from the ledger.")
    return result


def _mb(kb: int) -> str:
    return f"{kb / 1024:,.0f} MB"


def _uss_growth(windows: list[tuple[int, int, float]], private: list[dict[str, int]]) -> str:
    """USS growth from the window ending at entry 100 to the last, in all and by kind."""
    start = next((uss for (done, _, _), uss in zip(windows, private, strict=True) if done >= FROM_ENTRY), None)
    if start is None:
        return "USS: too few entries to compare."
    end = private[-1]
    parts = [f"{kind} {_mb(start.get(kind, 0))} → {_mb(end.get(kind, 0))}" for kind in KINDS]
    total = end.get("all", 0) / max(start.get("all", 0), 1) - 1
    return (f"Peak USS (private memory, not shared with other processes) from entry {FROM_ENTRY} to entry "
            f"{windows[-1][0]:,}: {total:+.1%} in all; " + ", ".join(parts) + ".")


if __name__ == "__main__":
    bench_main(measure, default_entries=1000)

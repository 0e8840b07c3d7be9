"""Benchmark 1: ippbot's runner against the protocol floor (`bench/http_client.py`), IPRs then complaints.

One portal and two accounts: the bot's, whose entries `Runner` works in this process as
`ippbot run` does, and the floor's, whose same forms `HttpClient` posts. They take turns in
blocks of `BLOCK` entries (a run of `BLOCK` for the bot, then `BLOCK` HTTP filings), so the
machine's noise falls on both. The bot's time per entry is the summary's `duration_ms`: a
fresh page in the run's warm context, the look-up, the form, the submission, the ledger's
moves and the evidence; the run's start-up (browser, pre-flight) is reported apart. Complaints
follow once the portal's clock has passed the reviews and `ippbot sync` has read them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench import bare
from bench.harness import (
    CERTIFICATE,
    PASSWORD,
    RunTimes,
    bench_account,
    bench_main,
    blocks,
    listings,
    median,
    ratio,
    register,
    run_entries,
    settings_for,
    since_ms,
    sync_ledger,
    tenth,
)
from bench.http_client import HttpClient, ListingComplaint, Trademark
from bench.results import Goal, Result, ms, times
from bot.settings import Settings

BLOCK = 10
GOAL = 20.0
BOT_PREFIX, FLOOR_PREFIX, BARE_PREFIX = 41, 42, 43


def measure(entries: int) -> Result:
    """`entries` IPRs and `entries` complaints each way; the ratios per kind."""
    with bench_account("floor", entries, prefix=BOT_PREFIX, complaints=True) as bench:
        bot, portal = bench.settings, bench.portal
        floor = settings_for(portal.url, bench.root / "floor", "floor@bench.example")
        register(floor)
        bot_times, others = RunTimes(), RunTimes()
        with HttpClient(portal.url) as http:
            http.login(floor.email, PASSWORD)
            refs: list[str] = []

            def http_iprs(start: int, stop: int) -> None:
                for ipr in _trademarks(FLOOR_PREFIX, start, stop):
                    started = time.perf_counter()
                    refs.append(http.file_ipr(ipr))
                    others.entries.setdefault("ipr", []).append(since_ms(started))

            def bare_iprs(start: int, stop: int) -> None:
                iprs = _trademarks(BARE_PREFIX, start, stop)
                others.entries.setdefault("bare", []).extend(bare.file_iprs(floor, iprs))

            def http_complaints(start: int, stop: int) -> None:
                for i in range(start, stop):
                    started = time.perf_counter()
                    http.file_complaint(ListingComplaint(refs[i], tuple(listings(i, FLOOR_PREFIX))))
                    others.entries.setdefault("complaint", []).append(since_ms(started))

            _alternate(bot, bot_times, [http_iprs, bare_iprs], entries)
            portal.advance_days(7)
            sync_ledger(bot)
            _alternate(bot, bot_times, [http_complaints], entries)
        _check(bot_times, portal.state(), entries)
    return _result(bot_times, others)


def _trademarks(prefix: int, start: int, stop: int) -> list[Trademark]:
    return [Trademark(f"BENCH{prefix}-{i}", f"{prefix * 1_000_000 + i}", CERTIFICATE) for i in range(start, stop)]


def _alternate(bot: Settings, bot_times: RunTimes, turns: list[Callable[[int, int], None]], entries: int) -> None:
    """Blocks of `BLOCK` entries: a bot run, then each other client's turn at the same entries."""
    start = 0
    for block in blocks(entries, BLOCK):
        bot_times.add(run_entries(bot, block))
        for turn in turns:
            turn(start, start + block)
        start += block


def _check(bot: RunTimes, state: dict[str, object], entries: int) -> None:
    """Every entry of every client landed, once."""
    if bot.states != {"confirmed": 2 * entries}:
        raise RuntimeError(f"the bot's entries did not all confirm: {bot.states}")
    iprs, complaints = state["iprs"], state["complaints"]
    assert isinstance(iprs, list) and isinstance(complaints, list)
    if len(iprs) != 3 * entries or len(complaints) != 2 * entries:
        raise RuntimeError(f"the portal holds {len(iprs)} IPRs and {len(complaints)} complaints")


def _result(bot: RunTimes, floor: RunTimes) -> Result:
    result = Result("1. ippbot against the protocol floor (HTTP)")
    result.rows.append(["entry", "per entry (median)", "HTTP floor (median)", "× floor (medians)", "× floor (means)",
                        "× floor (10th percentiles)"])
    for kind, label, values in (("ipr", "IPR, ippbot", bot.entries["ipr"]),
                                ("complaint", "complaint, ippbot", bot.entries["complaint"]),
                                ("ipr", "IPR, a bare browser (lower bound: bench/bare.py)", floor.entries["bare"])):
        f = floor.entries[kind]
        by_median = ratio(median(values), median(f))
        result.rows.append([f"{label} ({len(values)})", ms(median(values)), ms(median(f)), times(by_median),
                            times(ratio(sum(values) / len(values), sum(f) / len(f))),
                            times(ratio(tenth(values), tenth(f)))])
        if "ippbot" in label:
            result.goals.append(Goal(f"{kind}: ippbot ≤ {GOAL:.0f}× the HTTP floor", times(by_median),
                                     by_median <= GOAL))
    steps = ", ".join(f"{name} {median(values):.0f} ms" for name, values in sorted(bot.steps.items()))
    result.notes.append(f"ippbot is `bot.run.runner.Runner` in the benchmark's process, as `ippbot run` runs "
                        "it; its time per entry is the entry's `duration_ms` in the run's summary.json. "
                        "Steps (medians): "
                        f"{steps}. Start-up (browser launch, pre-flight) took "
                        f"{bot.startup_s / max(bot.runs, 1) * 1000:,.0f} ms a run, once a run and not counted per "
                        f"entry; the bot worked {bot.runs} runs of up to {BLOCK} entries here, alternating with the "
                        "other clients' turns at the same entries. The floor's few milliseconds swell more than the "
                        "browser's under load (each hop between processes waits for a core), so the ratio is lower "
                        "on a busy machine; the 10th percentiles show it nearer a quiet one.")
    return result


if __name__ == "__main__":
    bench_main(measure, default_entries=100)

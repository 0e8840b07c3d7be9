"""Benchmark 7: requests and time per new entry, per kind, near and far: ippbot, the HTTP floor, a bare script.

A far-away portal charges a round trip for every request (150-300 ms from Europe), so what a
night costs is its requests per entry. One portal, two accounts, side by side in one run, first
with no latency and then with the portal's `latency_ms=200` fault (every page and post waits
200 ms; the mock never delays static files or its control API): ippbot's `Runner` (one read of
IPR management, or complaint history, a run; per entry the form, the post and the
confirmation, a complaint's check page too, in one warm context), the protocol floor
(`bench/http_client.py`: the same pages without a browser) and, for IPRs, a bare Playwright
script (`bench/bare.py`: one page, no look-up, no evidence, no ledger). The portal counts every
request it answers (`GET /__mock/requests`), static files included.

Requests are given two ways: per entry over the whole run (the run's fixed costs, a log-in or
the one read and the stylesheet, spread over its entries) and per entry once the run is going
(from the end of its first entry to the end of its last, divided by the entries between: what
one more entry costs). The issue's goals compare the second with the floor's, and time per entry
(medians of each entry's own time) with the floor and the bare script.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench import bare
from bench.harness import (
    CERTIFICATE,
    PASSWORD,
    bench_account,
    bench_main,
    listings,
    median,
    ratio,
    register,
    run_entries,
    settings_for,
    since_ms,
    sync_ledger,
)
from bench.http_client import HttpClient, ListingComplaint, Trademark
from bench.results import Goal, Result, ms, times

LATENCIES = (0, 200)
FAR_GOAL, NEAR_GOAL = 1.5, 1.3  # ippbot at most 1.5 times the floor at 200 ms; 1.3 times the bare script at 0
BOT_PREFIX, FLOOR_PREFIX, BARE_PREFIX = 47, 48, 49
KINDS = ("ipr", "complaint")


@dataclass
class Client:
    """What one client did for one kind at one latency: the portal's counts and each entry's time."""

    total: int = 0  # every request of the run (its log-in or reads included)
    marginal: float = 0.0  # requests per entry once the run was going
    times_ms: list[float] = field(default_factory=list)
    routes: dict[str, int] = field(default_factory=dict)

    def per_entry(self, entries: int) -> float:
        return self.total / entries if entries else 0.0


def counted(url: str, *, reset: bool = False) -> dict[str, Any]:
    """The portal's request counts (and count afresh after reading, when asked)."""
    found: dict[str, Any] = httpx.get(f"{url}/__mock/requests", timeout=30).json()
    if reset:
        httpx.post(f"{url}/__mock/requests", timeout=30).raise_for_status()
    return found


def _latency(url: str, ms_: int) -> None:
    httpx.post(f"{url}/__mock/faults", json={"latency_ms": ms_} if ms_ else {}, timeout=30).raise_for_status()


def _trademarks(prefix: int, start: int, stop: int) -> list[Trademark]:
    return [Trademark(name=f"BENCH{prefix}-{i}", registration_number=f"{prefix * 1_000_000 + i}",
                      document=CERTIFICATE) for i in range(start, stop)]


def _bot(settings: Any, url: str, entries: int) -> Client:
    """One ippbot run of `entries` due entries; counts read after each entry."""
    after: list[int] = []
    counted(url, reset=True)
    run = run_entries(settings, entries, between=lambda: after.append(counted(url)["total"]))
    found = counted(url)
    client = Client(total=found["total"], times_ms=run.all(), routes=found["by_route"])
    client.marginal = (after[-1] - after[0]) / (len(after) - 1) if len(after) > 1 else float(found["total"])
    return client


def _each(url: str, items: list[Any], file: Callable[[Any], object], before: int) -> Client:
    """File each item with `file`, timed; `before` requests (a log-in) counted to the run."""
    client = Client()
    counted(url, reset=True)
    for item in items:
        started = time.perf_counter()
        file(item)
        client.times_ms.append(since_ms(started))
    found = counted(url)
    client.total, client.routes = before + found["total"], found["by_route"]
    client.marginal = found["total"] / len(items)
    return client


def _bare(floor: Any, url: str, iprs: list[Trademark]) -> Client:
    counted(url, reset=True)
    spent = bare.file_iprs(floor, iprs)
    found = counted(url)
    return Client(total=found["total"], marginal=found["total"] / len(iprs), times_ms=spent,
                  routes=found["by_route"])


def measure(entries: int) -> Result:
    """`entries` new IPRs and complaints each way, at each latency."""
    runs: dict[tuple[str, str, int], Client] = {}
    with bench_account("requests", entries * len(LATENCIES), prefix=BOT_PREFIX, complaints=True) as bench:
        url = bench.portal.url
        floor = settings_for(url, bench.root / "floor", "floor@bench.example")
        register(floor)
        with HttpClient(url) as http:
            counted(url, reset=True)
            http.login(floor.email, PASSWORD)
            login = counted(url)["total"]
            refs: list[str] = []
            for n, latency in enumerate(LATENCIES):
                _latency(url, latency)
                start = n * entries
                runs["bot", "ipr", latency] = _bot(bench.settings, url, entries)
                iprs = _trademarks(FLOOR_PREFIX, start, start + entries)
                runs["floor", "ipr", latency] = _each(url, iprs, lambda t: refs.append(http.file_ipr(t)), login)
                runs["bare", "ipr", latency] = _bare(floor, url, _trademarks(BARE_PREFIX, start, start + entries))
            _latency(url, 0)
            bench.portal.advance_days(7)
            sync_ledger(bench.settings)
            for n, latency in enumerate(LATENCIES):
                _latency(url, latency)
                runs["bot", "complaint", latency] = _bot(bench.settings, url, entries)
                complaints = [ListingComplaint(refs[i], tuple(listings(i, FLOOR_PREFIX)))
                              for i in range(n * entries, (n + 1) * entries)]
                runs["floor", "complaint", latency] = _each(url, complaints, http.file_complaint, login)
            _latency(url, 0)
    return _result(runs, entries)


def _result(runs: dict[tuple[str, str, int], Client], entries: int) -> Result:
    result = Result("7. Requests and time per new entry, counted at the portal (near and far)")
    result.rows.append(["kind, latency", "client", "requests per entry, whole run", "requests per entry, going",
                        "time per entry (median)", "× floor (time)", "× bare (time)", "by route"])
    for kind in KINDS:
        for latency in LATENCIES:
            floor, script = runs["floor", kind, latency], runs.get(("bare", kind, latency))
            for name in ("bot", "floor", "bare"):
                client = runs.get((name, kind, latency))
                if client is not None:
                    result.rows.append(_row(kind, latency, name, client, floor, script, entries))
    result.goals += _goals(runs)
    result.notes.append(f"{entries} entries of each kind each way at each latency. ippbot is `bot.run.runner.Runner` "
                        "in this process, its time per entry the entry's `duration_ms` (its page, look-up, form, "
                        "submission, ledger moves and evidence; the run's start-up apart). The floor's and the bare "
                        "script's log-in, and ippbot's pre-flight and one read, count to 'whole run', not to 'going'. "
                        "The mock never delays static files, so at 200 ms a stylesheet fetched again costs a "
                        "round trip to the real portal that this table does not show.")
    return result


def _row(kind: str, latency: int, name: str, client: Client, floor: Client, script: Client | None,
         entries: int) -> list[str]:
    label = {"bot": "ippbot run", "floor": "HTTP floor", "bare": "bare Playwright script"}[name]
    mine = median(client.times_ms)
    by_bare = times(ratio(mine, median(script.times_ms))) if script is not None else "—"
    routes = ", ".join(f"{route} {n}" for route, n in client.routes.items()) if name != "floor" else ""
    return [f"{kind}, {latency} ms", f"{label} ({entries})", f"{client.per_entry(entries):.2f}",
            f"{client.marginal:.2f}", ms(mine), times(ratio(mine, median(floor.times_ms))), by_bare, routes]


def _goals(runs: dict[tuple[str, str, int], Client]) -> list[Goal]:
    goals = []
    for kind in KINDS:
        bot, floor = runs["bot", kind, 0], runs["floor", kind, 0]
        goals.append(Goal(f"{kind}: requests per new entry ≤ the floor's (once the run is going)",
                          f"{bot.marginal:.2f} against {floor.marginal:.2f}", bot.marginal <= floor.marginal))
        far = ratio(median(runs["bot", kind, 200].times_ms), median(runs["floor", kind, 200].times_ms))
        goals.append(Goal(f"{kind}: with latency_ms=200, ippbot ≤ {FAR_GOAL}× the HTTP floor per entry",
                          times(far), far <= FAR_GOAL))
    near = ratio(median(runs["bot", "ipr", 0].times_ms), median(runs["bare", "ipr", 0].times_ms))
    goals.append(Goal(f"ipr: with no latency, ippbot ≤ {NEAR_GOAL}× the bare Playwright script per entry",
                      times(near), near <= NEAR_GOAL))
    return goals


if __name__ == "__main__":
    bench_main(measure, default_entries=20)

"""Benchmark 7: requests per new IPR, counted at the portal: ippbot's run against the HTTP floor and a bare script.

A far-away portal charges a round trip for every request (150-300 ms from Europe), so what a
night costs is its requests per entry. One portal, three accounts, the same trademarks each way,
side by side in one run: ippbot's `Runner` (one read of IPR management a run, then per IPR the
form, the post and the confirmation, with each page's stylesheet), the protocol floor
(`bench/http_client.py`: the form, the post, the confirmation) and a bare Playwright script
(`bench/bare.py`). The portal counts every request it answers (`GET /__mock/requests`).
"""

from __future__ import annotations

from typing import Any

import httpx

from bench import bare
from bench.harness import (
    CERTIFICATE,
    PASSWORD,
    bench_account,
    bench_main,
    register,
    run_entries,
    settings_for,
)
from bench.http_client import HttpClient, Trademark
from bench.results import Goal, Result, times

GOAL = 2.0  # ippbot at most twice the floor's requests per IPR
BOT_PREFIX, FLOOR_PREFIX, BARE_PREFIX = 47, 48, 49


def counted(url: str, *, reset: bool = False) -> dict[str, Any]:
    """The portal's request counts (and count afresh after reading, when asked)."""
    found: dict[str, Any] = httpx.get(f"{url}/__mock/requests", timeout=30).json()
    if reset:
        httpx.post(f"{url}/__mock/requests", timeout=30).raise_for_status()
    return found


def _trademarks(prefix: int, entries: int) -> list[Trademark]:
    return [Trademark(name=f"REQ{prefix}-{i}", registration_number=f"{prefix * 1_000_000 + i}", document=CERTIFICATE)
            for i in range(entries)]


def measure(entries: int) -> Result:
    """`entries` new IPRs each way; requests per IPR and the ratios to the floor."""
    with bench_account("requests", entries, prefix=BOT_PREFIX) as bench:
        url = bench.portal.url
        floor = settings_for(url, bench.root / "floor", "floor@bench.example")
        register(floor)
        counted(url, reset=True)
        run_entries(bench.settings)
        bot = counted(url, reset=True)
        with HttpClient(url) as http:
            http.login(floor.email, PASSWORD)
            for ipr in _trademarks(FLOOR_PREFIX, entries):
                http.file_ipr(ipr)
        plain = counted(url, reset=True)
        bare.file_iprs(floor, _trademarks(BARE_PREFIX, entries))
        script = counted(url, reset=True)
    per = {name: c["total"] / entries for name, c in (("bot", bot), ("floor", plain), ("bare", script))}
    result = Result("7. Requests per new IPR, counted at the portal")
    result.rows += [["client", "requests per IPR", "× floor", "by route"],
                    [f"ippbot run ({entries})", f"{per['bot']:.2f}", times(per["bot"] / per["floor"]),
                     ", ".join(f"{route} {n}" for route, n in bot["by_route"].items())],
                    [f"HTTP floor ({entries})", f"{per['floor']:.2f}", times(1.0), ""],
                    [f"bare Playwright script ({entries})", f"{per['bare']:.2f}", times(per["bare"] / per["floor"]),
                     ""]]
    result.goals.append(Goal(f"ippbot ≤ {GOAL}× the floor's requests per IPR", times(per["bot"] / per["floor"]),
                             per["bot"] / per["floor"] <= GOAL))
    return result


if __name__ == "__main__":
    bench_main(measure, default_entries=20)

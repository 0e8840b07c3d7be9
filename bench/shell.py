"""Benchmark 3: Debian's chromium-headless-shell against full Chromium, for headless runs: time and memory.

The same runner on the same ledger, in alternating blocks of `BLOCK` entries: one with the
browser ippbot picks for a headless run (`bot.browser.find_browser`), one told to use full
Chromium (`IPPBOT_BROWSER_PATH=/usr/bin/chromium`). Memory is the PSS of this process (the
bot) and every process under it (Playwright's driver and the browser's), the portal left
out, sampled every 0.25 s; each block's peak is kept.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bench.harness import (
    PssSampler,
    RunTimes,
    bench_account,
    bench_main,
    blocks,
    median,
    ratio,
    run_entries,
)
from bench.results import Goal, Result, ms, times
from bot.browser import find_browser

BLOCK = 10
FULL_CHROMIUM = Path("/usr/bin/chromium")


def measure(entries: int) -> Result:
    """`entries` IPRs with each browser."""
    preferred = find_browser(browser_path=None, headless=True)
    with bench_account("shell", 2 * entries, prefix=46) as bench:
        shell = bench.settings
        full = shell.model_copy(update={"browser_path": FULL_CHROMIUM})
        runs = {"shell": RunTimes(), "full": RunTimes()}
        peaks: dict[str, list[int]] = {"shell": [], "full": []}
        with PssSampler(exclude=[bench.portal.proc.pid]) as sampler:
            for block in blocks(entries, BLOCK):
                for name, settings in (("shell", shell), ("full", full)):
                    sampler.take_peak()
                    runs[name].add(run_entries(settings, block))
                    peaks[name].append(sampler.take_peak())
    return _result(preferred, runs, peaks)


def _result(preferred: Path, runs: dict[str, RunTimes], peaks: dict[str, list[int]]) -> Result:
    shell_ms, full_ms = median(runs["shell"].all()), median(runs["full"].all())
    shell_mb, full_mb = median(peaks["shell"]) / 1024, median(peaks["full"]) / 1024
    result = Result("3. chromium-headless-shell against full Chromium (headless)")
    result.rows += [["browser", "per entry (median)", "peak PSS, bot + browser (median of blocks)", "× full Chromium"],
                    [f"chromium-headless-shell ({_version('/usr/bin/chromium-headless-shell')})", ms(shell_ms),
                     f"{shell_mb:,.0f} MB", f"{times(ratio(shell_ms, full_ms))} time, "
                     f"{times(ratio(shell_mb, full_mb))} memory"],
                    [f"full Chromium ({_version(str(FULL_CHROMIUM))})", ms(full_ms), f"{full_mb:,.0f} MB", "1.00×"]]
    prefers = "headless-shell" in preferred.name
    result.goals.append(Goal("ippbot prefers the headless shell for headless runs when it is installed",
                             f"a headless run picks {preferred}", prefers))
    result.notes.append(f"Each browser worked {len(runs['shell'].all())} entries, in blocks of {BLOCK}. "
                        "Headed runs always use full Chromium (bot/browser.py).")
    return result


def _version(executable: str) -> str:
    try:
        out = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=30,  # noqa: S603
                             env={**os.environ, "LANG": "C"}).stdout
    except OSError:
        return "not installed"
    return out.strip().splitlines()[-1] if out.strip() else "unknown version"


if __name__ == "__main__":
    bench_main(measure, default_entries=40)

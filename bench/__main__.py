"""`python -m bench`: run every benchmark, each in its own process, and write docs/BENCHMARKS.md.

Each benchmark (`bench/<name>.py`) runs as `python -m bench.<name> --entries N --json OUT`,
with a time limit, so one that fails or hangs is reported in its section and the others
still run. Results are kept beside the report (docs/BENCHMARKS.json): `--only floor,night`
re-measures some and keeps the others; `--report-only` rewrites the report (after editing
bench/notes.md, the hand-written part). `--night 300` is a shorter night than the 1,000 of
`make bench`; `--scale 0.2` fewer entries everywhere (a quick look, not for the record).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench.results import Result

ROOT = Path(__file__).resolve().parent.parent
NOTES = ROOT / "bench" / "notes.md"
# name: (entries for `make bench`, time limit in seconds)
BENCHMARKS: dict[str, tuple[int, int]] = {
    "floor": (100, 3600),
    "reuse": (40, 1800),
    "shell": (40, 1800),
    "night": (1000, 7200),
    "evidence": (60, 2400),
    "bookkeeping": (10_000, 900),
    "requests": (20, 900),
    "fleet": (10, 3600),  # entries per account of its real-browser curve (its stub curve is fixed)
}


def main() -> int:
    """Run the chosen benchmarks and write the report; 0 when every benchmark ran (goals aside)."""
    args = _parse()
    chosen = [] if args.report_only else args.only.split(",") if args.only else list(BENCHMARKS)
    stored = args.out.with_suffix(".json")
    results = _previous(stored) if args.only or args.report_only else {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ippbot-bench-") as tmp:
        for name in chosen:
            entries = BENCHMARKS[name][0]
            if name == "night" and args.night:
                entries = args.night
            elif name != "bookkeeping":
                entries = max(10, round(entries * args.scale))
            results[name] = _run(name, entries, BENCHMARKS[name][1], Path(tmp) / f"{name}.json")
    results = {name: results[name] for name in BENCHMARKS if name in results}
    stored.write_text(json.dumps({name: r.as_dict() for name, r in results.items()}, indent=2), encoding="utf-8")
    args.out.write_text(_report(results, args, time.monotonic() - started), encoding="utf-8")
    print(f"wrote {args.out} and {stored}")
    return 0 if all(results[name].rows for name in chosen) else 1


def _previous(stored: Path) -> dict[str, Result]:
    """The results a previous run stored (so `--only` re-measures some and keeps the others)."""
    if not stored.exists():
        return {}
    return {name: Result.from_dict(data) for name, data in json.loads(stored.read_text(encoding="utf-8")).items()}


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", help=f"comma-separated, of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--night", type=int, help="entries of the long night (default 1,000)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the default entries")
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from the stored results")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "BENCHMARKS.md",
                        help="the report; its results are kept beside it as .json, which --only updates")
    return parser.parse_args()


def _run(name: str, entries: int, limit_s: int, out: Path) -> Result:
    """One benchmark in its own process; a failure becomes a section that says so."""
    print(f"== bench.{name} ({entries:,} entries)", flush=True)
    cmd = [sys.executable, "-m", f"bench.{name}", "--entries", str(entries), "--json", str(out)]
    try:
        done = subprocess.run(cmd, cwd=ROOT, timeout=limit_s, check=False)  # noqa: S603 - our interpreter, our module
    except subprocess.TimeoutExpired:
        return Result(f"bench.{name}", notes=[f"**Did not finish** within {limit_s} s (`{' '.join(cmd[1:5])}`)."])
    if done.returncode != 0 or not out.exists():
        return Result(f"bench.{name}", notes=[f"**Failed** (exit {done.returncode}); run `python -m bench.{name}` "
                                              "to see why."])
    return Result.load(out)


def _report(results: dict[str, Result], args: argparse.Namespace, elapsed_s: float) -> str:
    goals = [(r.title, g) for r in results.values() for g in r.goals]
    lines = ["# Benchmarks", "",
             f"Last written by `python -m bench{_options(args)}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
             f"{'' if args.report_only else f' ({elapsed_s / 60:.0f} minutes)'}; `make bench` runs every "
             "benchmark, and each section says when it was measured and how to measure it again. Every "
             "benchmark starts its own mock portal (no faults) on 127.0.0.1 with fresh data dirs, and "
             "measures what it compares side by side in one run: the ratios are the result, the absolute "
             "times only say what this shared machine did at that moment.", "",
             "## The machine", "", *_machine(), "", "## Goals", "",
             "| benchmark | goal | measured | |", "| --- | --- | --- | --- |"]
    lines += [f"| {title.split(' ', 1)[0]} | {g.goal} | {g.measured} | **{'met' if g.met else 'not met'}** |"
              for title, g in goals]
    lines.append("")
    lines += [r.markdown() for r in results.values()]
    if NOTES.exists():  # what was changed and tried, written by hand: kept across runs
        lines.append(NOTES.read_text(encoding="utf-8"))
    return "\n".join(lines) + "\n"


def _options(args: argparse.Namespace) -> str:
    given = [f"--only {args.only}" if args.only else "", f"--night {args.night}" if args.night else "",
             f"--scale {args.scale}" if args.scale != 1.0 else "", "--report-only" if args.report_only else ""]
    return "".join(f" {g}" for g in given if g)


def _machine() -> list[str]:
    """nproc, memory, CPU model, load, Chromium, Python and Playwright versions, as a list."""
    meminfo = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return [f"- CPUs: {os.cpu_count()} ({cpu}); memory: {int(meminfo[1]) / 1024 / 1024:.1f} GiB",
            f"- load average when the report was written: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
            "(a shared machine: other work ran alongside)",
            f"- {_first_line(['/usr/bin/chromium', '--version'])}; "
            f"{_first_line(['/usr/bin/chromium-headless-shell', '--version'])} (headless shell)",
            f"- Python {platform.python_version()}, Playwright {version('playwright')}, "
            f"{platform.system()} {platform.release()}"]


def _first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False).stdout  # noqa: S603
    except OSError:
        return f"{cmd[0]}: not installed"
    return out.strip().splitlines()[-1] if out.strip() else f"{cmd[0]}: no version"


if __name__ == "__main__":
    sys.exit(main())

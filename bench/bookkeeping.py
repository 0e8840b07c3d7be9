"""Benchmark 6: the bookkeeping at scale: `ippbot enqueue` of a 10,000-listing CSV, `status --json`, `--help`.

Each command runs as the operator runs it, a process of the installed `ippbot` in a fresh
data dir under a temp dir; times are wall clock, the median of `REPEAT` runs (absolute by
nature: there is nothing to divide by). Two CSVs of 10,000 listings (columns
`ipr,platform,url,reason`): grouped as an operator writes them (100 IPRs, 100 listings each,
so 100 complaints), and the worst case, every row its own complaint (a note each), which
leaves 10,000 entries in the ledger for `status --json`. A complaint's IPR must be known to the
call, so each enqueue is given the 100 IPRs too, as a YAML batch beside the CSV (100 entries
more). None of these commands talks to the portal, so this benchmark starts none.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import bench_main, median, workspace, write_batch
from bench.results import Goal, Result

REPEAT = 3
IPRS, PREFIX = 100, 49  # the IPRs the listings name: 49,000,000 to 49,000,099 (bench.harness.trademark)
IPPBOT = str(Path(sys.executable).with_name("ippbot"))
GOALS_S = {"enqueue": 5.0, "status": 1.0, "help": 0.5}


def write_csv(path: Path, listings: int, *, per_complaint: int) -> Path:
    """A listings CSV: `per_complaint` rows share an IPR (one complaint), or each row has its own note."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["ipr", "platform", "url", "reason", "note"])
        for i in range(listings):
            group = i // per_complaint
            note = f"listing {i}" if per_complaint == 1 else ""
            url = f"https://www.aliexpress.com/item/{9_000_000_000 + i}.html"
            writer.writerow([f"{PREFIX * 1_000_000 + group % IPRS}", "aliexpress", url, "trademark_misuse", note])
    return path


def ippbot(data_dir: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run `ippbot ARGS` with its own data dir; (seconds, the process)."""
    env = {**os.environ, "IPPBOT_DATA_DIR": str(data_dir), "IPPBOT_LOG_FORMAT": "json"}
    started = time.perf_counter()
    done = subprocess.run([IPPBOT, *args], env=env, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"ippbot {' '.join(args)} failed ({done.returncode}): {done.stderr[-500:]}")
    return elapsed, done


def measure(listings: int) -> Result:
    """The three commands at `listings` listings."""
    with workspace("bookkeeping") as root:
        iprs = str(write_batch(root / "iprs.yaml", IPRS, prefix=PREFIX))
        grouped = write_csv(root / "grouped.csv", listings, per_complaint=100)
        single = write_csv(root / "single.csv", listings, per_complaint=1)
        enqueue_grouped = [ippbot(root / f"g{i}", "enqueue", iprs, str(grouped))[0] for i in range(REPEAT)]
        enqueue_single = [ippbot(root / f"s{i}", "enqueue", iprs, str(single))[0] for i in range(REPEAT)]
        status, entries = [], 0
        for _ in range(REPEAT):
            elapsed, done = ippbot(root / "s0", "status", "--json")
            status.append(elapsed)
            entries = len(json.loads(done.stdout))
        help_times = [ippbot(root / "h", "--help")[0] for _ in range(2 * REPEAT)]
    result = Result(f"6. Bookkeeping at scale ({listings:,} listings)")
    result.rows.append(["command", "wall time (median)", "goal"])
    rows = [(f"ippbot enqueue: {listings:,} listings in {listings // 100:,} complaints", enqueue_grouped, "enqueue"),
            (f"ippbot enqueue: {listings:,} listings, each its own complaint", enqueue_single, "enqueue"),
            (f"ippbot status --json over {entries:,} entries", status, "status"),
            ("ippbot --help", help_times, "help")]
    for label, values, goal in rows:
        result.rows.append([label, f"{median(values):.2f} s", f"≤ {GOALS_S[goal]} s"])
        result.goals.append(Goal(f"{label} ≤ {GOALS_S[goal]} s", f"{median(values):.2f} s",
                                 median(values) <= GOALS_S[goal]))
    result.notes.append(f"Each time is the median of {REPEAT} runs ({2 * REPEAT} for --help), each a new process; "
                        f"every enqueue into a fresh data dir. To read these absolute times: {_calibration()}")
    return result


def _calibration() -> str:
    """How fast this machine ran plain Python just now: compare it between runs before comparing their times."""
    started = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i
    return f"a loop of 5 million additions took {time.perf_counter() - started:.2f} s in Python here."


if __name__ == "__main__":
    bench_main(measure, default_entries=10_000)

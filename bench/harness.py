"""What every benchmark shares: a served mock portal, registered accounts, batches, timing and memory.

Each benchmark starts its own portal process (no faults) on 127.0.0.1 with a fresh data dir
under a temp dir, registers the accounts it needs with ippbot's own registration flow, and
works entries with ippbot's own `Runner`, in this process, as `ippbot run` does. A run's
per-entry time is its `EntryResult.duration_ms` (summary.json): the entry's context, flow,
ledger moves and evidence; the run's start-up (browser launch, pre-flight) is reported apart.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "fixtures" / "documents"
CERTIFICATE = DOCS / "trademark-certificate.pdf"
PASSWORD = "Bench-Passw0rd"  # noqa: S105 - a throwaway account on a throwaway mock portal


class Portal:
    """The mock portal as its own process on a free port of 127.0.0.1 (`bot.commands.demo.start_portal`)."""

    def __init__(self, data_dir: Path) -> None:
        from bot.commands.demo import start_portal

        self.proc, self.url = start_portal(data_dir)

    def advance_days(self, days: int) -> None:
        """Move the portal's clock (reviews complete)."""
        httpx.post(f"{self.url}/__mock/clock", json={"advance_days": days}, timeout=30).raise_for_status()

    def state(self) -> dict[str, Any]:
        """Everything the portal holds."""
        answer = httpx.get(f"{self.url}/__mock/state", timeout=60)
        answer.raise_for_status()
        state: dict[str, Any] = answer.json()
        return state

    def stop(self) -> None:
        """Terminate the process (and wait for it)."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def served_portal(data_dir: Path) -> Iterator[Portal]:
    """A portal process for the block."""
    portal = Portal(data_dir)
    try:
        yield portal
    finally:
        portal.stop()


@dataclass
class Bench:
    """One benchmark's ground: its temp dir, its portal, and the bench account's settings."""

    root: Path
    portal: Portal
    settings: Any


@contextmanager
def bench_account(name: str, iprs: int, *, prefix: int, complaints: bool = False) -> Iterator[Bench]:
    """A fresh workspace and portal, the bench account registered, `iprs` trademarks (and, when asked,
    a complaint against each) enqueued in its ledger."""
    with workspace(name) as root, served_portal(root / "portal") as portal:
        settings = settings_for(portal.url, root / "bot", "bot@bench.example")
        register(settings)
        enqueue(settings, write_batch(root / "batch.yaml", iprs, prefix=prefix, complaints=complaints))
        yield Bench(root, portal, settings)


def settings_for(portal_url: str, data_dir: Path, email: str, **overrides: Any) -> Any:
    """ippbot `Settings` for one bench account (no `.env`, JSON logs, default trace mode)."""
    from bot.settings import Settings

    fields: dict[str, Any] = {"portal_url": portal_url, "data_dir": data_dir, "email": email,
                              "password": PASSWORD, "log_format": "json"}
    fields.update(overrides)
    return Settings(_env_file=None, **fields)  # type: ignore[call-arg]  # pydantic-settings' own keyword


def register(settings: Any) -> None:
    """Register the account with ippbot's own flow; its session is stored in the data dir."""
    from bot import logs
    from bot.run.account import register_account

    logs.configure(settings, console_level="warning")
    register_account(settings, say=lambda _line: None)


def trademark(i: int, prefix: int) -> dict[str, Any]:
    """The i-th bench trademark (a CN registration number the portal's review approves)."""
    return {"type": "trademark", "name": f"BENCH{prefix}-{i}", "registration_number": f"{prefix * 1_000_000 + i}",
            "registration_place": "CN", "rights_holder": "Bench Brand Ltd", "expiration_date": "2034-01-01",
            "classes": [9], "mark_kind": "word", "documents": [str(CERTIFICATE)]}


def listings(i: int, prefix: int, count: int = 3) -> list[str]:
    """`count` AliExpress listing URLs unique to entry i."""
    return [f"https://www.aliexpress.com/item/{prefix}{i:06d}{k}.html" for k in range(count)]


def write_batch(path: Path, iprs: int, *, prefix: int, complaints: bool = False) -> Path:
    """A YAML batch of `iprs` trademarks and, when asked, one 3-listing complaint against each."""
    batch: dict[str, list[dict[str, Any]]] = {"iprs": [trademark(i, prefix) for i in range(iprs)]}
    if complaints:
        batch["complaints"] = [{"platform": "aliexpress", "ipr": f"{prefix * 1_000_000 + i}",
                                "reason": "trademark_misuse", "listings": listings(i, prefix)} for i in range(iprs)]
    path.write_text(yaml.safe_dump(batch), encoding="utf-8")
    return path


def enqueue(settings: Any, batch: Path) -> int:
    """Add a batch's entries to the account's ledger (as `ippbot enqueue`, without the queue trigger)."""
    from bot.store.batch import load_batches
    from bot.store.ledger import Ledger

    with Ledger.open(settings) as ledger:
        added, _ = ledger.add(load_batches([batch]))
    return added


@dataclass
class RunTimes:
    """What one in-process run took: each entry's time (ms, by kind) and the run's own wall time."""

    entries: dict[str, list[float]] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    startup_s: float = 0.0
    runs: int = 0
    steps: dict[str, list[float]] = field(default_factory=dict)

    def add(self, other: RunTimes) -> None:
        """Fold another run's times into these."""
        for kind, values in other.entries.items():
            self.entries.setdefault(kind, []).extend(values)
        for state, n in other.states.items():
            self.states[state] = self.states.get(state, 0) + n
        for name, values in other.steps.items():
            self.steps.setdefault(name, []).extend(values)
        self.wall_s += other.wall_s
        self.startup_s += other.startup_s
        self.runs += other.runs

    def all(self) -> list[float]:
        """Every entry's time, whatever its kind."""
        return [v for values in self.entries.values() for v in values]


def run_entries(settings: Any, limit: int | None = None, *, between: Callable[[], object] | None = None,
                runner_class: Any = None) -> RunTimes:
    """Work up to `limit` due entries with ippbot's `Runner` in this process; `between` runs after each.

    Time spent in `between` (another client's turn) is taken out of the run's wall time.
    """
    from bot.run.runner import Runner, RunOptions
    from bot.store.ledger import Ledger

    outside = [0.0]
    first_done: list[float] = []

    def after_entry(_record: Any) -> None:
        if not first_done:
            first_done.append(time.monotonic())
        if between is not None:
            started = time.monotonic()
            between()
            outside[0] += time.monotonic() - started

    cls = runner_class or Runner
    started = time.monotonic()
    with Ledger.open(settings) as ledger:
        summary = cls(settings, ledger, RunOptions(limit=limit, progress=after_entry, console_level="warning")).run()
    times = RunTimes(wall_s=time.monotonic() - started - outside[0], runs=1)
    for entry in summary.entries:
        times.entries.setdefault(entry.kind, []).append(float(entry.duration_ms))
        times.states[entry.state] = times.states.get(entry.state, 0) + 1
        for step in entry.steps:
            times.steps.setdefault(f"{step.flow}.{step.step}", []).append(float(step.duration_ms))
    if summary.entries and first_done:
        times.startup_s = first_done[0] - started - summary.entries[0].duration_ms / 1000
    return times


def sync_ledger(settings: Any) -> None:
    """`ippbot sync`: read the reviews back so complaints waiting for their IPR become due."""
    from bot.run.sync import sync
    from bot.store.ledger import Ledger

    with Ledger.open(settings) as ledger:
        sync(settings, ledger)


# -- numbers --------------------------------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    """The median (0 for no values)."""
    return float(statistics.median(values)) if values else 0.0


def tenth(values: Sequence[float]) -> float:
    """The 10th percentile: what the client does when the machine lets it (0 for no values)."""
    return float(statistics.quantiles(values, n=10)[0]) if len(values) > 1 else median(values)


def ratio(a: float, b: float) -> float:
    """a / b, or infinity when b is 0."""
    return a / b if b else float("inf")


# -- memory -----------------------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def process_tree(root: int, exclude: Sequence[int] = ()) -> list[int]:
    """`root` and every descendant, leaving out the `exclude` processes and their descendants."""
    seen: list[int] = []
    todo = [root]
    while todo:
        pid = todo.pop()
        if pid in exclude or pid in seen:
            continue
        seen.append(pid)
        todo += _children(pid)
    return seen


def memory_kb(pids: Sequence[int]) -> tuple[int, dict[str, int]]:
    """The summed PSS (kB) of these processes, and their USS (private pages, clean and dirty) summed by
    `process_kind`, from one read of each /proc/<pid>/smaps_rollup. Unlike PSS, USS does not move when
    another process maps or unmaps a page they share."""
    pss, uss = 0, dict[str, int]()
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:  # it ended meanwhile
            continue
        fields = {line.split(":")[0]: int(line.split()[1]) for line in text.splitlines()[1:] if line.endswith("kB")}
        pss += fields.get("Pss", 0)
        kind = process_kind(pid)
        uss[kind] = uss.get(kind, 0) + fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return pss, uss


def process_kind(pid: int) -> str:
    """Which part of ippbot a process is: the bot (Python), Playwright's driver (node), a Chromium renderer,
    or the rest of Chromium (its browser, GPU and utility processes)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()  # Chromium rewrites its own: one string, spaced
    except OSError:
        return "gone"
    program = Path(command.split(b"\0")[0].split(b" ")[0].decode(errors="replace")).name
    if program.startswith("python"):
        return "bot"
    if program == "node":
        return "driver"
    return "renderers" if b"--type=renderer" in command else "chromium"


class PssSampler:
    """Samples the memory of this process's tree (minus the portal) every `interval_s`, keeping peaks: of the
    PSS in all, and of the USS in all and by `process_kind` (a renderer lives only while its page is open)."""

    def __init__(self, exclude: Sequence[int], interval_s: float = 0.25) -> None:
        self.exclude = list(exclude)
        self.interval_s = interval_s
        self.peak_kb = 0
        self.uss_peaks: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> PssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> int:
        """One sample now (also folded into the peaks); its PSS."""
        pss, uss = memory_kb(process_tree(os.getpid(), self.exclude))
        with self._lock:
            self.peak_kb = max(self.peak_kb, pss)
            for kind, kb in [*uss.items(), ("all", sum(uss.values()))]:
                self.uss_peaks[kind] = max(self.uss_peaks.get(kind, 0), kb)
        return pss

    def take_peak(self) -> int:
        """The PSS peak since the last call, then start a new window."""
        self.sample()
        with self._lock:
            peak, self.peak_kb = self.peak_kb, 0
        return peak

    def take_uss_peaks(self) -> dict[str, int]:
        """The USS peaks (in all, and by kind) since the last call, then start a new window."""
        with self._lock:
            peaks, self.uss_peaks = self.uss_peaks, {}
        return peaks

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()


def blocks(entries: int, size: int) -> list[int]:
    """The sizes of the blocks that take turns: `size` each, the last one what is left."""
    return [min(size, entries - start) for start in range(0, entries, size)]


def since_ms(started: float) -> float:
    """Milliseconds since `started` (a `time.perf_counter()`)."""
    return (time.perf_counter() - started) * 1000


def timed_ms(action: Callable[[], object]) -> float:
    """Run `action`; how long it took, in ms."""
    started = time.perf_counter()
    action()
    return since_ms(started)


@contextmanager
def workspace(name: str) -> Iterator[Path]:
    """A fresh temp dir for one benchmark's portal and data dirs, removed after."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix=f"ippbot-bench-{name}-") as tmp:
        yield Path(tmp)


def bench_main(measure: Callable[[int], Any], default_entries: int) -> None:
    """The command line of one benchmark: `python -m bench.<name> [--entries N] [--json OUT]`."""
    import argparse

    parser = argparse.ArgumentParser(description=(sys.modules["__main__"].__doc__ or "").split("\n")[0])
    parser.add_argument("--entries", type=int, default=default_entries, help="how many entries to work")
    parser.add_argument("--json", type=Path, help="also write the result here (for `python -m bench`)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    result = measure(args.entries)
    result.notes.append(f"Load average (1 min) of this shared 2-core machine: {load_before:.1f} when this benchmark "
                        f"started, {os.getloadavg()[0]:.1f} when it ended.")
    result.measured_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    result.command = f"python -m {sys.modules['__main__'].__spec__.name} --entries {args.entries}"  # type: ignore[union-attr]
    print(result.text(), flush=True)
    if args.json:
        result.save(args.json)

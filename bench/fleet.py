"""Benchmark 8: a fleet of `ippbot worker` processes on one PostgreSQL ledger and its procrastinate queue.

Two curves, each measured side by side in one run, as ratios to one worker:

* **the queue's own overhead**: the browser replaced by a stub that waits `STUB_S` (1 s) per entry, about
  what a real browser entry takes against a far portal (benchmark 7, latency 200 ms), while the ledger's
  real transactions run (lease, claim, submitting, fence, confirm); 1 to 16 worker processes over 32
  accounts, jobs of 2 entries. Efficiency is the speed-up over one worker divided by the workers (goal:
  at least 80% of linear), with the connections the workers held at most (budget: 3 each for
  `--concurrency 1`). A second, fast stub (`FAST_STUB_S`, 0.2 s) at 1 and 16 workers shows where the
  curve bends when the entries come faster than this 2-core machine's ledger can write them;
* **real browsers**: `ippbot worker` processes (1, 2 and 4) over 4 accounts against the mock portal,
  each with a data dir of its own as hosts would have: entries a minute, as a ratio to one worker.

`python -m bench.fleet --entries N`: N entries per account of the browser curve (the stub's is fixed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.harness import PASSWORD, bench_main, served_portal, trademark, workspace
from bench.results import Goal, Result

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("IPPBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
STUB_S, FAST_STUB_S = 1.0, 0.2  # the stub browser's time per entry: a far portal's, and a near one's
STUB_ACCOUNTS = 32
STUB_ENTRIES, FAST_STUB_ENTRIES = 4, 10  # entries per account of each stub curve
STUB_WORKERS, FAST_STUB_WORKERS = (1, 2, 4, 8, 16), (1, 16)
BROWSER_ACCOUNTS, BROWSER_WORKERS = 4, (1, 2, 4)


@contextmanager
def database() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL for one measurement, dropped after."""
    name = f"ippbot_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


class Watch:
    """The fleet's database as the benchmark watches it: confirmed entries, workers registered, connections held."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.peak_connections = 0

    def scalar(self, sql: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())

    def wait_for(self, sql: str, at_least: int, deadline_s: float) -> float:
        """Poll until `sql` counts `at_least` (each poll notes the connections held); the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < deadline_s:
            self.peak_connections = max(self.peak_connections, self.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()") - 1)  # less this watcher's own pooled connection
            if self.scalar(sql) >= at_least:
                return time.monotonic() - started
            time.sleep(0.05)  # the benchmark's own poll: allowed here (bench/, not a test)
        raise TimeoutError(f"{sql!r} did not reach {at_least} in {deadline_s} s")


CONFIRMED = "SELECT count(*) FROM entries WHERE state = 'confirmed'"
WORKERS = "SELECT count(*) FROM procrastinate_workers"


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=120)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def stub_fleet(workers: int, stub_s: float = STUB_S, entries: int = STUB_ENTRIES) -> tuple[float, int]:
    """Seconds for `workers` stub workers (`stub_s` an entry) to work `entries` entries of each of the stub
    accounts; the connections held at most."""
    from bot.store.ledger import Ledger

    with database() as url:
        Ledger(url).close()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        procs = [subprocess.Popen([sys.executable, "-m", "bench.fleet_stub", url, str(stub_s)], env=env,  # noqa: S603
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for _ in range(workers)]
        watch = Watch(url)
        try:
            watch.wait_for(WORKERS, workers, 120)
            _enqueue_stub(url, entries)
            seconds = watch.wait_for(CONFIRMED, STUB_ACCOUNTS * entries, 1800)
        finally:
            stop(procs)
            watch.engine.dispose()
    return seconds, watch.peak_connections


def _enqueue_stub(url: str, per_account: int) -> None:
    """Every account's entries in one transaction (and so every account's job)."""
    from bot.models import Entry, Ipr
    from bot.store.ledger import Ledger

    entries = []
    for a in range(STUB_ACCOUNTS):
        for i in range(per_account):
            ipr = Ipr.model_validate({**trademark(a * 1000 + i, 77), "documents": [str(ROOT / "bench" / "fleet.py")]})
            entries.append(Entry(key=f"stub{a}/{ipr.identity}", kind="ipr", payload=ipr, source="bench",
                                 account=f"stub{a}@bench.example"))
    with Ledger(url) as ledger:
        ledger.add(entries)


def browser_fleet(workers: int, entries: int, root: Path) -> tuple[float, int]:
    """Seconds for `workers` real `ippbot worker` processes to file `entries` IPRs for each of the browser curve's
    accounts on a fresh portal; the connections held at most."""
    with database() as url, served_portal(root / f"portal-{workers}") as portal:
        accounts = root / f"accounts-{workers}.toml"
        emails = [f"fleet{n}@bench.example" for n in range(BROWSER_ACCOUNTS)]
        accounts.write_text("".join(f'[[account]]\nemail = "{e}"\npassword_env = "BENCH_PW"\n\n' for e in emails),
                            encoding="utf-8")
        env = {**os.environ, "IPPBOT_PORTAL_URL": portal.url, "IPPBOT_LEDGER_URL": url, "BENCH_PW": PASSWORD,
               "IPPBOT_ACCOUNTS_FILE": str(accounts), "IPPBOT_EMAIL": emails[0], "IPPBOT_LOG_FORMAT": "json",
               "IPPBOT_TRACE": "retain-on-failure"}
        _ippbot_each(env | {"IPPBOT_DATA_DIR": str(root / f"admin-{workers}")}, emails, entries, root)
        procs = [subprocess.Popen([sys.executable, "-m", "bot.commands.cli", "worker"], cwd=ROOT,
                                  env=env | {"IPPBOT_DATA_DIR": str(root / f"host{n}-{workers}")},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for n in range(workers)]
        watch = Watch(url)
        try:
            seconds = watch.wait_for(CONFIRMED, BROWSER_ACCOUNTS * entries, 3600)
        finally:
            stop(procs)
            watch.engine.dispose()
    return seconds, watch.peak_connections


def _ippbot_each(env: dict[str, str], emails: list[str], entries: int, root: Path) -> None:
    """Register every account, then enqueue its batch (which queues its job): the clock starts at the first enqueue,
    so the first worker's start-up is counted, as a fleet's morning would."""
    for email in emails:
        _ippbot(env, "account", "register", "--account", email)
    for n, email in enumerate(emails):
        batch = root / f"batch-{n}.yaml"
        batch.write_text(yaml.safe_dump({"account": email, "iprs": [trademark(i, 60 + n) for i in range(entries)]}),
                         encoding="utf-8")
        _ippbot(env, "enqueue", str(batch))


def _ippbot(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "bot.commands.cli", *args], cwd=ROOT, env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ippbot {' '.join(args)}: {done.stdout}{done.stderr}")


def measure(entries: int) -> Result:
    """Both curves, side by side in one run."""
    result = Result(title="Benchmark 8: a fleet of workers on one PostgreSQL (procrastinate)")
    result.rows = [["curve", "workers", "entries", "seconds", "entries/min", "× 1 worker", "of linear",
                    "connections (peak, all workers)"]]
    stub = {w: stub_fleet(w) for w in STUB_WORKERS}
    _rows(result, f"stub browser, {STUB_S:g} s an entry", stub, STUB_ACCOUNTS * STUB_ENTRIES)
    fast = {w: stub_fleet(w, FAST_STUB_S, FAST_STUB_ENTRIES) for w in FAST_STUB_WORKERS}
    _rows(result, f"stub browser, {FAST_STUB_S:g} s an entry", fast, STUB_ACCOUNTS * FAST_STUB_ENTRIES)
    with workspace("fleet") as root:
        real = {w: browser_fleet(w, entries, root) for w in BROWSER_WORKERS}
    _rows(result, "real browser", real, BROWSER_ACCOUNTS * entries)
    _goals(result, stub, real, entries)
    return result


def _rows(result: Result, curve: str, measured: dict[int, tuple[float, int]], total: int) -> None:
    one = measured[min(measured)][0]
    for workers, (seconds, connections) in measured.items():
        result.rows.append([curve, str(workers), str(total), f"{seconds:.1f}", f"{total / seconds * 60:.0f}",
                            f"{one / seconds:.2f}", f"{one / seconds / workers:.0%}", str(connections)])


def _goals(result: Result, stub: dict[int, tuple[float, int]], real: dict[int, tuple[float, int]],
           entries: int) -> None:
    one = stub[1][0]
    worst = min(one / seconds / workers for workers, (seconds, _) in stub.items())
    per_worker = max(connections / workers for workers, (_, connections) in stub.items())
    result.goals.append(Goal(f"the queue's overhead (a stub browser of {STUB_S:g} s an entry), 1 to 16 workers: "
                             "at least 80% of linear",
                             f"{worst:.0%} at worst", worst >= 0.8))
    result.goals.append(Goal("within the connection budget: at most 3 per worker (--concurrency 1)",
                             f"{per_worker:.1f} per worker at most", per_worker <= 3))
    ratios = ", ".join(f"{w} workers: {real[1][0] / s:.2f}×" for w, (s, _) in real.items())
    result.notes.append(f"Real browsers over {BROWSER_ACCOUNTS} accounts ({entries} IPRs each), entries a minute "
                        f"as a ratio to 1 worker: {ratios}.")


def main() -> None:
    bench_main(measure, default_entries=10)


if __name__ == "__main__":
    main()

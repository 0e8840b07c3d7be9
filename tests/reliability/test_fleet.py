"""A fleet: `ippbot worker` processes with data dirs of their own, as hosts would have, sharing a PostgreSQL ledger and
its procrastinate queue; each entry lands once, one submission in flight per account, whatever happens to a worker."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from postgres import fresh_database
from sqlalchemy import create_engine, text
from support import MockPortal, Operator, assert_each_once, size, write_batch

pytestmark = pytest.mark.postgres

LEASE_TTL_S = "4"  # a killed worker's accounts are taken over after this (and its job once stalled: 8 s)


class Fleet:
    """A fleet of workers on one PostgreSQL ledger, each worker with its own data dir (its own stored sessions)."""

    def __init__(self, portal: MockPortal, tmp_path: Path, url: str, accounts: list[str]) -> None:
        self.portal, self.tmp_path, self.url, self.accounts = portal, tmp_path, url, accounts
        self.file = tmp_path / "accounts.toml"
        self.file.write_text("".join(f'[[account]]\nemail = "{email}"\npassword_env = "PW_{n}"\n\n'
                                     for n, email in enumerate(accounts)), encoding="utf-8")
        self.workers: list[subprocess.Popen[str]] = []
        self.collected: list[subprocess.Popen[str]] = []

    def operator(self, name: str) -> Operator:
        """An operator (a host) with its own data dir on the fleet's ledger."""
        operator = Operator(self.portal, self.tmp_path / name)
        operator.env.update({"IPPBOT_ACCOUNTS_FILE": str(self.file), "IPPBOT_LEDGER_URL": self.url,
                             "IPPBOT_LEASE_TTL_S": LEASE_TTL_S, "IPPBOT_SWEEP_MINUTES": "1",
                             **{f"PW_{n}": f"Pw-{n}-Fleet-2231" for n in range(len(self.accounts))}})
        return operator

    def enqueue(self, operator: Operator, entries: int) -> None:
        """Register every account and enqueue `entries` IPRs for each."""
        for n, email in enumerate(self.accounts):
            operator.ippbot("account", "register", "--account", email, check=True)
            batch = write_batch(self.tmp_path / f"b{n}.yaml", iprs=entries, start=1000 * n)
            content = yaml.safe_load(batch.read_text(encoding="utf-8"))
            batch.write_text(yaml.safe_dump({"account": email, **content}), encoding="utf-8")
            operator.ippbot("enqueue", str(batch), check=True)

    def start(self, count: int) -> None:
        for n in range(count):
            self.workers.append(self.operator(f"host{n}").start("worker"))

    def wait_until_done(self, total: int, deadline_s: float) -> dict[str, int]:
        """Read the workers' logs until the ledger holds `total` confirmed entries or more (or the deadline); the
        counts."""
        end = time.monotonic() + deadline_s
        counts: dict[str, int] = {}
        while time.monotonic() < end:
            live = [w.stderr for w in self.workers if w.poll() is None and w.stderr is not None]
            ready, _, _ = select.select(live, [], [], 2.0)  # a worker's log line, or two seconds of quiet
            for stream in ready:
                os.read(stream.fileno(), 65536)
            counts = self.counts()
            if counts.get("confirmed", 0) >= total:
                break
        return counts

    def counts(self) -> dict[str, int]:
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return dict(conn.execute(text("SELECT state, count(*) FROM entries GROUP BY state")).all())
        finally:
            engine.dispose()

    def explain(self, operator: Operator) -> str:
        """What a failure needs to be understood: the ledger's entries and the queue's jobs."""
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                jobs = conn.execute(text("SELECT id, task_name, status, lock, worker_id FROM procrastinate_jobs")).all()
                history = conn.execute(text("SELECT key, from_state, to_state, detail FROM transitions "
                                            "ORDER BY id")).all()
        finally:
            engine.dispose()
        return f"{operator.ippbot('status').stdout}\njobs: {jobs}\nhistory: {history[-30:]}"

    def stop(self) -> None:
        """SIGTERM every worker still running and collect each one not yet collected."""
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            if worker not in self.collected:
                worker.communicate(timeout=120)
                self.collected.append(worker)


def logged(worker: subprocess.Popen[str], event: str, deadline_s: float) -> dict[str, str]:
    """The first line of `worker`'s JSON log naming `event` (read as it comes, until the deadline); {} if none."""
    assert worker.stderr is not None
    end, pending = time.monotonic() + deadline_s, b""
    while time.monotonic() < end:
        ready, _, _ = select.select([worker.stderr], [], [], 2.0)
        chunk = os.read(worker.stderr.fileno(), 65536) if ready else b""
        if ready and not chunk:
            break  # it ended
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            found = json.loads(line) if line.startswith(b"{") else {}
            if found.get("event") == event:
                return {k: str(v) for k, v in found.items()}
    return {}


@pytest.fixture
def fleet_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


Enqueued = Callable[[list[str], int], tuple[Fleet, Operator]]


@pytest.fixture
def enqueued(portal: MockPortal, tmp_path: Path, fleet_url: str) -> Iterator[Enqueued]:
    """A fleet for these accounts, each registered with `entries` IPRs enqueued by an admin host; the fleet and
    the admin. Whatever workers the test started are stopped at its end, even when it fails."""
    made: list[Fleet] = []

    def make(accounts: list[str], entries: int) -> tuple[Fleet, Operator]:
        fleet = Fleet(portal, tmp_path, fleet_url, accounts)
        admin = fleet.operator("admin")
        fleet.enqueue(admin, entries)
        made.append(fleet)
        return fleet, admin

    yield make
    for fleet in made:
        fleet.stop()


def test_three_workers_five_accounts_each_entry_once(portal: MockPortal, enqueued: Enqueued) -> None:
    """3 workers x N accounts x M entries: each entry lands once, one submission in flight per account, and the
    accounts finish within a fair spread of each other."""
    accounts = [f"brand{n}@fleet.example" for n in range(size(3, 5))]
    entries = size(4, 20)
    fleet, admin = enqueued(accounts, entries)
    fleet.start(3)
    try:
        counts = fleet.wait_until_done(len(accounts) * entries, deadline_s=size(240, 1800))
    finally:
        fleet.stop()
    assert counts == {"confirmed": len(accounts) * entries}, fleet.explain(admin)
    assert_each_once(portal, admin)
    assert all(peak <= 1 for peak in portal.state()["max_submissions_in_flight"].values())
    assert finish_spread(admin) <= 0.6


def finish_spread(operator: Operator) -> float:
    """How far apart the accounts finished, as a share of the whole run (0: all at once)."""
    rows = operator.status()
    started = min(r["updated_at"] for r in rows)
    finished = {}
    for row in rows:
        finished[row["account"]] = max(finished.get(row["account"], ""), row["updated_at"])
    first, last = min(finished.values()), max(finished.values())
    whole = _seconds(last) - _seconds(started)
    return (_seconds(last) - _seconds(first)) / whole if whole else 0.0


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def test_a_killed_worker_s_accounts_are_finished_by_the_others(portal: MockPortal, enqueued: Enqueued) -> None:
    """kill -9 of a worker mid-run: once its lease and its job lapse, the others finish its account; 0 lost, 0 twice."""
    accounts = [f"brand{n}@fleet.example" for n in range(2)]
    entries = size(4, 20)
    fleet, admin = enqueued(accounts, entries)
    fleet.start(1)
    victim = fleet.workers[0]
    assert fleet.wait_until_done(2, deadline_s=120).get("confirmed", 0) >= 2  # mid-run
    victim.kill()
    victim.wait()
    fleet.start(2)
    try:
        counts = fleet.wait_until_done(len(accounts) * entries, deadline_s=size(240, 1800))
    finally:
        fleet.stop()
    assert counts == {"confirmed": len(accounts) * entries}, fleet.explain(admin)
    assert_each_once(portal, admin)


def terminate_connections(url: str) -> int:
    """End every connection to the fleet's database but this one (`pg_terminate_backend`); how many."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ended = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
    finally:
        engine.dispose()
    return int(ended)


def test_lost_connections_lose_nothing_and_file_nothing_twice(portal: MockPortal, fleet_url: str,
                                                              enqueued: Enqueued) -> None:
    """Every database connection ended mid-run, 3 times: the workers carry on, every entry lands once, and nothing is
    left unknown once the sweeper has been round."""
    accounts = [f"brand{n}@fleet.example" for n in range(2)]
    entries = size(6, 20)
    fleet, admin = enqueued(accounts, entries)
    fleet.start(2)
    total = len(accounts) * entries
    try:
        for cut in range(1, 4):  # after a third, two thirds and all but one are confirmed
            fleet.wait_until_done(min(total - 1, cut * total // 4), deadline_s=size(240, 1800))
            assert terminate_connections(fleet_url) > 0
        counts = fleet.wait_until_done(total, deadline_s=size(300, 1800))
        alive = [w.poll() is None for w in fleet.workers]
    finally:
        fleet.stop()
    assert counts == {"confirmed": total}, fleet.explain(admin)
    assert all(alive), "a worker died of a lost connection"
    assert_each_once(portal, admin)


def test_a_paused_worker_files_nothing_stale(portal: MockPortal, enqueued: Enqueued) -> None:
    """A worker SIGSTOPped right before a final post, past its lease and its job's heartbeat: another worker finishes
    the account; resumed, the paused one's fence refuses its stale post; 0 duplicates, 0 lost."""
    accounts = ["paused@fleet.example"]
    entries = size(3, 20)
    fleet, admin = enqueued(accounts, entries)
    paused = fleet.operator("host-paused").start("worker", extra_env={"IPPBOT_TEST_SIGNAL_AT": "before_post:SIGSTOP"})
    fleet.workers.append(paused)
    _, status = os.waitpid(paused.pid, os.WUNTRACED)  # stopped by itself, right before its first post
    assert os.WIFSTOPPED(status), status
    fleet.start(1)
    try:
        counts = fleet.wait_until_done(entries, deadline_s=size(240, 1800))
        os.kill(paused.pid, signal.SIGCONT)
        refused = logged(paused, "worker.run_failed", deadline_s=60)  # its run, resumed, stops at the fence
    finally:
        os.kill(paused.pid, signal.SIGCONT)
        fleet.stop()
    assert counts == fleet.counts() == {"confirmed": entries}, fleet.explain(admin)
    assert_each_once(portal, admin)  # without the fence: the resumed worker's post is a second copy
    assert "lease not held" in refused.get("error", ""), refused

"""The queue protocol (`bot.store.queue.WorkQueue`), one suite over both implementations: huey embedded in the data dir
and procrastinate in the ledger's PostgreSQL. Triggers reach the work, the sweep triggers what is unfinished, and
SIGTERM stops the consumer once the work in progress is done, telling the worker."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from postgres import fresh_database

from bot.settings import Settings
from bot.store.fleet import FleetQueue
from bot.store.ledger import Ledger
from bot.store.queue import Queue, WorkQueue, make_huey

pytestmark = pytest.mark.unit

Make = Callable[[Callable[[str], bool], list[str]], WorkQueue]


@pytest.fixture(params=["huey", pytest.param("procrastinate", marks=pytest.mark.postgres)])
def make_queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Make]:
    """A factory of one implementation's queue, given the work and the accounts left unfinished."""
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    if request.param == "huey":
        yield lambda work, left: Queue(make_huey(settings), settings, work, lambda: list(left))
        return
    with fresh_database() as url:
        Ledger(url).close()  # the ledger's migrations bring the queue's schema
        yield lambda work, left: FleetQueue(url, work=work, night=lambda _a: None, morning=lambda: None,
                                            unfinished=lambda: list(left), accounts=lambda: list(left),
                                            due=lambda _name, _now: False, lease_ttl_s=4)


@pytest.fixture(autouse=True)
def own_signals() -> Iterator[None]:
    """The consumers install handlers for SIGINT and SIGTERM: the test's own are put back."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def test_triggers_and_the_sweep_reach_the_work_and_sigterm_stops_it(make_queue: Make) -> None:
    """Two triggers and a sweep's: each account worked; a SIGTERM sent during the last job lets it finish, tells the
    worker and ends the consumer."""
    worked: list[str] = []
    told: list[int] = []
    finishing = threading.Event()

    def work(account: str) -> bool:
        worked.append(account)
        if set(worked) >= {"a@x.example", "b@x.example", "c@x.example"} and not finishing.is_set():
            finishing.set()
            os.kill(os.getpid(), signal.SIGTERM)  # the worker is asked to stop while this job runs
        return False

    queue = make_queue(work, ["c@x.example"])
    queue.trigger("a@x.example")
    queue.trigger("b@x.example")
    assert queue.sweep() == ["c@x.example"]
    queue.consume(2, told.append)
    assert sorted(set(worked)) == ["a@x.example", "b@x.example", "c@x.example"]
    assert told == [signal.SIGTERM]

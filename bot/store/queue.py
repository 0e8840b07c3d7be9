"""The queue: a trigger of the work ("work this account"), never the work itself; the ledger decides that.

`WorkQueue` is what `ippbot worker` knows of a queue, with two implementations: this module's
`Queue` (huey; embedded, on SQLite in the data dir, or on Redis with `IPPBOT_QUEUE_URL`) and
`bot.store.fleet.FleetQueue` (procrastinate in the ledger's PostgreSQL, for a fleet of hosts), as
huey keeps one storage protocol over several back ends. `make_queue` (in `bot.commands.worker`)
picks by `IPPBOT_LEDGER_URL`: a PostgreSQL ledger brings its queue along.

The embedded queue (huey):

A task carries only an account's name (no entry, no secret): "work this account's due
entries". Losing a task loses nothing, because the sweeper re-triggers every account the
ledger still has unfinished work for, and a deleted queue file is simply made again.
`SqliteHuey` in the data dir by default; `IPPBOT_QUEUE_URL=redis://...` for scale-out.
`ippbot worker` runs the consumer with the nightly schedule (`IPPBOT_SCHEDULE`: run, sync,
report), the morning sync (`IPPBOT_SYNC_SCHEDULE`: sync, report, a missed night said) and the
sweeper.

Both schedules are read in `IPPBOT_TIMEZONE` (default: the machine's zone, as cron reads its
lines): huey keeps its own clock in UTC (its default, so etas and revocations stay as they
were) and hands each periodic test a naive UTC time, which `in_zone` turns into the zone's wall
time before the crontab test sees it. huey 3.5 has no zone of its own beyond `utc=False`
(the machine's local time), which could not honour an explicit `IPPBOT_TIMEZONE`.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from types import FrameType
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper

from bot.errors import ConfigError
from bot.settings import Settings

QUEUE_FILE = "queue.sqlite3"
SIGNALS = (signal.SIGINT, signal.SIGTERM)
UNFINISHED = ("pending", "waiting", "claimed", "submitting", "unknown")


def make_huey(settings: Settings) -> Huey:
    """The queue named by `IPPBOT_QUEUE_URL` (SQLite in the data dir when unset)."""
    url = settings.queue_url
    if not url:
        return SqliteHuey("ippbot", filename=str(Path(settings.data_dir) / QUEUE_FILE))
    if url.startswith("redis://"):
        return RedisHuey("ippbot", url=url)
    if url.startswith("sqlite:///"):
        return SqliteHuey("ippbot", filename=url.removeprefix("sqlite:///"))
    raise ConfigError(f"IPPBOT_QUEUE_URL: {url!r} is neither redis://... nor sqlite:///...")


class WorkQueue(Protocol):
    """What `ippbot worker` knows of a queue."""

    where: str  # where its jobs live, for the worker's first line (no password)

    def trigger(self, account: str) -> None:
        """Ask a worker to work `account`'s due entries."""

    def sweep(self) -> list[str]:
        """Trigger every account with unfinished entries; returns them."""

    def consume(self, concurrency: int, on_signal: Callable[[int], None]) -> None:
        """Work triggers, `concurrency` accounts at once, until SIGINT or SIGTERM (`on_signal` is told; the work in
        progress is waited for)."""


class Queue:
    """The huey tasks of ippbot, bound to a `work` function (account -> run): the embedded `WorkQueue`."""

    def __init__(self, huey: Huey, settings: Settings, work: Callable[[str], object],
                 unfinished_accounts: Callable[[], list[str]], *, nightly: Callable[[], object] | None = None,
                 morning: Callable[[], object] | None = None) -> None:
        """`nightly` is the night's task (by default a sweep); `morning`, when given, the morning sync's."""
        self.huey = huey
        self.where = _where(huey, settings)
        self.work_task: TaskWrapper = huey.task(name="work")(work)
        self.unfinished = unfinished_accounts
        zone = zone_of(settings.timezone)
        huey.periodic_task(schedule(settings.schedule, zone), name="nightly")(nightly or self.sweep)
        if morning is not None:
            huey.periodic_task(schedule(settings.sync_schedule, zone, "IPPBOT_SYNC_SCHEDULE"),
                               name="morning_sync")(morning)
        huey.periodic_task(crontab(f"*/{settings.sweep_minutes}"), name="sweep")(self.sweep)

    def trigger(self, account: str) -> None:
        """Ask a worker to work this account (a trigger, not the work: the ledger has that)."""
        self.work_task(account)

    def sweep(self) -> list[str]:
        """Trigger every account with unfinished entries; returns them."""
        accounts = self.unfinished()
        for account in accounts:
            self.trigger(account)
        return accounts

    def consume(self, concurrency: int, on_signal: Callable[[int], None]) -> None:
        """huey's consumer with `concurrency` threads, its schedule and sweeper, until SIGINT or SIGTERM."""
        _consumer(self.huey, on_signal, concurrency).run()


def _where(huey: Huey, settings: Settings) -> str:
    if isinstance(huey, RedisHuey):
        return "the queue on Redis"
    return settings.queue_url or f"the queue in {Path(settings.data_dir) / QUEUE_FILE}"


def _consumer(huey: Huey, on_signal: Callable[[int], None], workers: int = 1) -> Any:
    """huey's consumer with `workers` threads (each task one account's run, in a browser of its own; the account's
    lease keeps a second task of that account from working it at once), SIGINT and SIGTERM going to `on_signal`
    and both graceful (huey would drop the run in flight on SIGTERM)."""
    from huey.consumer import Consumer

    class StoppingConsumer(Consumer):  # type: ignore[misc]  # huey ships no type information
        def _set_signal_handlers(self) -> None:
            super()._set_signal_handlers()
            for number in SIGNALS:
                signal.signal(number, self._handle_signal)

        def _handle_signal(self, signum: int, frame: FrameType | None) -> None:
            if signum not in SIGNALS:
                super()._handle_signal(signum, frame)
                return
            on_signal(signum)  # the run in progress (a worker's thread) stops at its next safe point
            self._signum, self._restart, self._graceful = signum, False, True

    return StoppingConsumer(huey, workers=workers, worker_type="thread", periodic=True)


def zone_of(name: str | None) -> tzinfo | None:
    """The zone named by `IPPBOT_TIMEZONE`, or None for the machine's."""
    return ZoneInfo(name) if name else None


def schedule(expression: str, zone: tzinfo | None, setting: str = "IPPBOT_SCHEDULE") -> Callable[[datetime], bool]:
    """huey's periodic test for a cron expression read in `zone` (None: the machine's zone)."""
    minute, hour, day, month, weekday = _cron(expression, setting)
    try:
        return in_zone(crontab(minute, hour, day, month, weekday, strict=True), zone)
    except ValueError as exc:
        raise ConfigError(f"{setting}: {expression!r}: {exc}") from exc


def in_zone(test: Callable[[datetime], bool], zone: tzinfo | None) -> Callable[[datetime], bool]:
    """`test` (a crontab) asked with huey's naive UTC time turned into the wall time of `zone`."""
    def validate(timestamp: datetime) -> bool:
        return test(timestamp.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None))
    return validate


def _cron(expression: str, setting: str = "IPPBOT_SCHEDULE") -> tuple[str, str, str, str, str]:
    parts = expression.split()
    if len(parts) != 5:
        raise ConfigError(f"{setting}: {expression!r} is not a 5-field cron expression")
    return parts[0], parts[1], parts[2], parts[3], parts[4]

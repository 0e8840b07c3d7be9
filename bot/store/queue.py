"""The queue: huey triggers the work, the ledger decides it.

A task carries only an account's name (no entry, no secret): "work this account's due
entries". Losing a task loses nothing, because the sweeper re-triggers every account the
ledger still has unfinished work for, and a deleted queue file is simply made again.
`SqliteHuey` in the data dir by default; `IPPBOT_QUEUE_URL=redis://...` for scale-out.
`ippbot worker` runs the consumer with the nightly schedule and the sweeper.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper

from bot.errors import ConfigError
from bot.settings import Settings

QUEUE_FILE = "queue.sqlite3"
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


class Queue:
    """The huey tasks of ippbot, bound to a `work` function (account -> run)."""

    def __init__(self, huey: Huey, settings: Settings, work: Callable[[str], object],
                 unfinished_accounts: Callable[[], list[str]]) -> None:
        self.huey = huey
        self.work_task: TaskWrapper = huey.task(name="work")(work)
        self.unfinished = unfinished_accounts
        minute, hour, day, month, weekday = _cron(settings.schedule)
        huey.periodic_task(crontab(minute, hour, day, month, weekday), name="nightly")(self.sweep)
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


def _cron(expression: str) -> tuple[str, str, str, str, str]:
    parts = expression.split()
    if len(parts) != 5:
        raise ConfigError(f"IPPBOT_SCHEDULE: {expression!r} is not a 5-field cron expression")
    return parts[0], parts[1], parts[2], parts[3], parts[4]

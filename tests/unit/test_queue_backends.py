"""The queue's back ends: SQLite in the data dir by default, Redis when IPPBOT_QUEUE_URL names one."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey

from bot.errors import ConfigError
from bot.settings import Settings
from bot.store.queue import Queue, make_huey

pytestmark = pytest.mark.unit

REDIS = "redis://127.0.0.1:6379/0"


def worked_through(queue: Queue, done: list[str]) -> list[str]:
    """Run every task the queue holds, as a consumer would; what `work` was called with."""
    while (task := queue.huey.dequeue()) is not None:
        queue.huey.execute(task)
    return done


def test_the_default_queue_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    """No IPPBOT_QUEUE_URL: a SQLite queue beside the ledger, and a trigger reaches the work."""
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    huey = make_huey(settings)
    assert isinstance(huey, SqliteHuey)
    done: list[str] = []
    queue = Queue(huey, settings, done.append, lambda: ["b@x.example"])
    queue.trigger("a@x.example")
    queue.sweep()
    assert worked_through(queue, done) == ["a@x.example", "b@x.example"]
    assert (tmp_path / "queue.sqlite3").is_file()


@pytest.mark.redis
def test_a_redis_queue_carries_triggers(tmp_path: Path) -> None:
    """IPPBOT_QUEUE_URL=redis://...: a Redis queue (the redis package is a dependency), triggers worked."""
    settings = Settings(_env_file=None, data_dir=tmp_path, queue_url=REDIS)  # type: ignore[call-arg]
    huey = make_huey(settings)
    assert isinstance(huey, RedisHuey)
    huey.name = f"ippbot-test-{uuid.uuid4().hex[:8]}"  # a key prefix of its own on the shared server
    huey.storage = type(huey.storage)(huey.name, url=REDIS)
    done: list[str] = []
    queue = Queue(huey, settings, done.append, list)
    try:
        queue.trigger("a@x.example")
        assert worked_through(queue, done) == ["a@x.example"]
    finally:
        huey.storage.flush_all()


def test_a_queue_url_of_neither_kind_is_refused(tmp_path: Path) -> None:
    """An unknown queue URL is a configuration error naming the setting, not a traceback."""
    settings = Settings(_env_file=None, data_dir=tmp_path, queue_url="amqp://127.0.0.1")  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="IPPBOT_QUEUE_URL"):
        make_huey(settings)

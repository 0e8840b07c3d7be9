"""`ippbot worker`: the queue's consumer, which runs triggered runs, the nightly schedule and the sweeper."""

from __future__ import annotations

from bot.errors import EXIT_OK
from bot.settings import Settings
from bot.store.ledger import Ledger
from bot.store.queue import UNFINISHED, Queue, make_huey


def queue(settings: Settings) -> Queue:
    """The huey queue bound to this ledger: a task works one account's due entries."""
    def work(account: str) -> None:
        from bot.run.runner import Runner  # here: `ippbot enqueue` builds the queue and needs no browser

        worker_settings = settings.model_copy(update={"email": account})
        with Ledger.open(worker_settings) as own:
            Runner(worker_settings, own).run()

    def unfinished() -> list[str]:
        with Ledger.open(settings) as own:
            pending = any(row.state in UNFINISHED for row in own.rows())
        return [settings.email] if pending else []

    return Queue(make_huey(settings), settings, work, unfinished)


def worker(settings: Settings) -> int:
    """Run the huey consumer: triggered runs, the nightly schedule and the sweeper."""
    from huey.consumer import Consumer

    Consumer(queue(settings).huey, workers=1, periodic=True).run()
    return EXIT_OK

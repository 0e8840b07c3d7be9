"""`ippbot ledger migrate` and `ippbot ledger copy --to URL`: the ledger's schema, and moving it to PostgreSQL.

The ledger is the configured one: `IPPBOT_LEDGER_URL`, else ``DATA_DIR/ledger.sqlite3``, as every
command opens it (`Ledger.open`). `migrate` brings it to the newest revision and says from which
(every command does so quietly on opening; this one is for a planned upgrade, before starting the
workers). `copy` is `bot.store.copy`'s: see there what is copied and what is not.

Exit codes: 0 done; 2 the copy was refused (a worker holds a lease, or the target holds a ledger:
nothing written) or the target URL is not one; 1 a row could not be copied (the target keeps
none); 3 a database does not answer (one line, the URL without its password, and the fix).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from bot.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CopyFailed, CopyRefused
from bot.settings import Settings
from bot.store.copy import (
    NOT_COPIED,
    QUEUE_PREFIX,
    Copied,
    copy_ledger,
    skipped_tables,
)
from bot.store.ledger import LEDGER_FILE, Ledger
from bot.store.migrate import HEAD, Upgrade, upgrade
from bot.store.schema import make_engine, opened

FIX_URL = "check that the database answers and IPPBOT_LEDGER_URL names it"


def migrate(settings: Settings) -> int:
    """Bring the configured ledger to the newest revision, saying from which to which; the exit code."""
    url, where, fix = _configured(settings)
    done = opened(lambda: _upgraded(url), where, fix)
    typer.echo(f"{done.text if done else f'ledger already at rev {HEAD}'} ({_shown(url)})")
    return EXIT_OK


def _upgraded(url: str) -> Upgrade | None:
    """`upgrade` on an engine of its own (a SQLite ledger's folder made first, as `Ledger.open` does)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        return upgrade(engine)
    finally:
        engine.dispose()


def copy(settings: Settings, to: str) -> int:
    """Copy the configured ledger into the ledger at `to`, all or nothing; the exit code."""
    try:
        target = _shown(to)
    except ArgumentError:
        typer.echo(f"ippbot: --to {to!r} is not a database URL (e.g. postgresql+psycopg://user@host/db)", err=True)
        return EXIT_USAGE
    with Ledger.open(settings) as source:
        try:
            done = opened(lambda: copy_ledger(source.engine, to, now=datetime.now(UTC)), to,
                          "check that the database answers, exists (createdb NAME) and --to names it")
        except NoSuchModuleError as exc:
            typer.echo(f"ippbot: --to {target}: {exc}", err=True)
            return EXIT_USAGE
        except (CopyRefused, CopyFailed) as exc:
            typer.echo(f"ippbot: {exc}", err=True)
            return EXIT_USAGE if isinstance(exc, CopyRefused) else EXIT_FAILED
        source_shown = source.engine.url.render_as_string(hide_password=True)
    _say_copied(done, source_shown, target)
    return EXIT_OK


def _say_copied(done: Copied, source: str, target: str) -> None:
    """What was copied, table by table, what was not, and what the operator does next."""
    migrated = f" ({done.migrated.text})" if done.migrated else ""
    typer.echo(f"copied the ledger at {source} to {target}{migrated}:")
    for table, rows in done.counts.items():
        typer.echo(f"  {table}: {rows} rows")
    skipped = [f"{name} ({NOT_COPIED.get(name, 'not the ledger')})" for name in skipped_tables()]
    skipped.append(f"the queue's {QUEUE_PREFIX}* tables (the sweeper makes its jobs again)")
    typer.echo("not copied: " + ", ".join(skipped))
    typer.echo(f"next: with every ippbot worker and run on the old ledger stopped, set IPPBOT_LEDGER_URL={target} "
               "wherever ippbot runs, then start the workers; the old ledger is left as it was")


def _configured(settings: Settings) -> tuple[str, str, str]:
    """The configured ledger's URL, where to say it is, and the fix when it does not open (as `Ledger.open`)."""
    if settings.ledger_url is not None:
        return settings.ledger_url, settings.ledger_url, FIX_URL
    path = Path(settings.data_dir) / LEDGER_FILE
    return f"sqlite:///{path}", str(path), f"make {path.parent} writable or set IPPBOT_DATA_DIR"


def _shown(url: str) -> str:
    """`url` without its password."""
    return make_url(url).render_as_string(hide_password=True)

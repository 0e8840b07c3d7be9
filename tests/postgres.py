"""PostgreSQL for the suites that run the ledger on it: a database of its own per test, dropped afterwards.

The server is the machine's (`make test` starts Debian's `postgresql` when it does not answer:
scripts/ensure-system.sh); `IPPBOT_TEST_POSTGRES_URL` names a database to connect to for
creating and dropping (default: the `postgres` database on 127.0.0.1:5432 as user `postgres`).
A server that does not answer fails the test with that one line, never skips it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

ADMIN_URL = os.environ.get("IPPBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty database, dropped (its connections ended first) when the block ends."""
    name = f"ippbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL at {make_url(ADMIN_URL).render_as_string(hide_password=True)} does not answer "
                    f"({str(exc).splitlines()[0]}); start it (make test does: scripts/ensure-system.sh) or set "
                    "IPPBOT_TEST_POSTGRES_URL")
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                         {"name": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

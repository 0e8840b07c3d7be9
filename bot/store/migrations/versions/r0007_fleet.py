"""Revision 0007: a fleet of workers: fencing tokens on leases, worker heartbeats, and on PostgreSQL the queue.

* `leases.token`: a number that grows each time the lease passes to another holder. A run keeps
  the token it took; a renewal or a move made with an older token is refused, so a worker that was
  paused past its lease (SIGSTOP, a VM frozen) cannot act after another took over, even once the
  newer holder has let the lease go. A released lease keeps its row (and token), expired.
* `workers`: one row per `ippbot worker` process (its name, host, pid, concurrency, start and last
  heartbeat), and what it works (the accounts of its leases): `ippbot status` shows the fleet.
* `loop_marks`: when the worker's night and morning last finished, for the whole fleet (a night's
  accounts are dealt to every host, and the morning's missed-night check reads them all).
* On PostgreSQL, procrastinate's schema (its `schema.sql` of the pinned release, 3.10): the queue
  lives in the ledger's database, so an enqueue commits its entries and their jobs together. Later
  procrastinate releases bring their own migration files; a revision here applies them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add `leases.token` and `workers`; on PostgreSQL, procrastinate's tables and functions."""
    with op.batch_alter_table("leases") as batch:
        batch.add_column(sa.Column("token", sa.Integer, nullable=False, server_default="1"))
    op.create_table(
        "workers",
        sa.Column("name", sa.String, primary_key=True),
        sa.Column("host", sa.String, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("concurrency", sa.Integer, nullable=False),
        sa.Column("queue", sa.String, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("heartbeat_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "loop_marks",
        sa.Column("name", sa.String, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        raw = bind.connection.driver_connection  # psycopg: several statements, no parameters
        assert raw is not None
        raw.execute(SchemaManager.get_schema())


def downgrade() -> None:
    """Drop what 0007 added (procrastinate's schema too, on PostgreSQL)."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs",
                      "procrastinate_workers"):
            op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.drop_table("loop_marks")
    op.drop_table("workers")
    with op.batch_alter_table("leases") as batch:
        batch.drop_column("token")

"""Revision 0001: the ledger as release 0.1.0 made it with `metadata.create_all`, before migrations.

Frozen: the tables are written out here, not imported from `bot.store.schema`, so a later
change there never changes what this revision does. `entries` has that release's CHECK on
`state` over its nine states (revision 0002 drops it). A ledger written by 0.1.0 has these
tables, or all but `portal_copies` (added late in 0.1.0), and no ``alembic_version``: only
the tables missing are created, which brings it to 0001 with its rows untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATES_0_1_0 = ("pending", "waiting", "claimed", "submitting", "unknown", "confirmed", "failed", "needs_human", "dead")


def tables(metadata: sa.MetaData) -> list[sa.Table]:
    """The four tables of release 0.1.0, in the order they are created."""
    check = "state IN ({})".format(", ".join(f"'{s}'" for s in STATES_0_1_0))
    entries = sa.Table(
        "entries",
        metadata,
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("account", sa.String),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), sa.CheckConstraint(check), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("portal_ref", sa.String),
        sa.Column("portal_status", sa.String),
        sa.Column("error", sa.Text),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("depends_on", sa.String),
        sa.Column("ipr_number", sa.String),
        sa.Column("claimed_by", sa.String),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Index("ix_entries_due", "state", "next_attempt_at", "seq"),
        sa.Index("ix_entries_ipr_number", "ipr_number"),
    )
    transitions = sa.Table(
        "transitions",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String, sa.ForeignKey("entries.key"), nullable=False, index=True),
        sa.Column("from_state", sa.String(16)),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    copies = sa.Table(
        "portal_copies",
        metadata,
        sa.Column("key", sa.String, sa.ForeignKey("entries.key"), primary_key=True),
        sa.Column("portal_ref", sa.String, primary_key=True),
        sa.Column("seen_at", sa.DateTime, nullable=False),
    )
    leases = sa.Table(
        "leases",
        metadata,
        sa.Column("account", sa.String, primary_key=True),
        sa.Column("holder", sa.String, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    return [entries, transitions, copies, leases]


def upgrade() -> None:
    """Create the tables the ledger lacks (all of them in a new one), with their indexes."""
    bind = op.get_bind()
    for table in tables(sa.MetaData()):
        table.create(bind, checkfirst=True)


def downgrade() -> None:
    """Drop every table of the ledger."""
    for table in reversed(tables(sa.MetaData())):
        op.drop_table(table.name)

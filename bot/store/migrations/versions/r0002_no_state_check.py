"""Revision 0002: no CHECK on entries.state, and entries.human_reason for needs_human's two cases.

A CHECK listing every state broke every ledger already written whenever a state was added
(issue 11 adds blocked and cancelled): which states exist is `bot.store.states`'s to say.
SQLite cannot drop a constraint, so there the table is rebuilt in alembic's batch mode from
the frozen definition below (`copy_from`: 0001's table without its CHECK, which batch mode
could not name to drop); other databases drop the CHECK by its reflected name. Every
needs_human entry of an older ledger came from an unknown outcome the portal's records could
not settle: its `human_reason` becomes cannot_tell.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD_STATES = ("pending", "waiting", "claimed", "submitting", "unknown", "confirmed", "failed", "needs_human", "dead")


def entries_without_check(*extra: sa.Column[str]) -> sa.Table:
    """0001's `entries` without its CHECK on state (plus `extra` columns), as batch mode rebuilds it."""
    return sa.Table(
        "entries",
        sa.MetaData(),
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("account", sa.String),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
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
        *extra,
        sa.Index("ix_entries_due", "state", "next_attempt_at", "seq"),
        sa.Index("ix_entries_ipr_number", "ipr_number"),
    )


def _rebuilds(bind: sa.Connection) -> bool:
    """Whether this database changes a table's constraints only by rebuilding it (SQLite)."""
    return bind.dialect.name == "sqlite"


def _recreate(bind: sa.Connection) -> Literal["always", "auto"]:
    """Batch mode's `recreate`: always rebuild on SQLite (its CHECK has no name to drop), else ALTER."""
    return "always" if _rebuilds(bind) else "auto"


def upgrade() -> None:
    """Drop the CHECK on state and add human_reason; old needs_human entries cannot tell."""
    bind = op.get_bind()
    names = [str(c["name"]) for c in sa.inspect(bind).get_check_constraints("entries") if c.get("name")]
    with op.batch_alter_table("entries", recreate=_recreate(bind), copy_from=entries_without_check()) as batch:
        if not _rebuilds(bind):
            for name in names:
                batch.drop_constraint(name, type_="check")
        batch.add_column(sa.Column("human_reason", sa.String(16)))
    entries = sa.table("entries", sa.column("state", sa.String), sa.column("human_reason", sa.String))
    op.execute(entries.update().where(entries.c.state == "needs_human").values(human_reason="cannot_tell"))


def downgrade() -> None:
    """Put the CHECK back and drop human_reason (refused while an entry is in a newer state)."""
    check = "state IN ({})".format(", ".join(f"'{s}'" for s in OLD_STATES))
    source = entries_without_check(sa.Column("human_reason", sa.String(16)))
    with op.batch_alter_table("entries", recreate=_recreate(op.get_bind()), copy_from=source) as batch:
        batch.drop_column("human_reason")
        batch.create_check_constraint("ck_entries_state", check)

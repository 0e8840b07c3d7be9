"""Revision 0004: the wait: `portal_listings`, `standings` and `portal_actions`.

* `portal_listings`: every listing of the account's complaints as the portal's complaint pages show
  it, in the ledger's names (`bot.store.listings`), with the date its state changed, and for a
  counter-notice the seller's statement, its chance and the complainant's deadline (`ippbot sync`).
* `standings`: the account's Good Faith figures, one reading a day (`ippbot sync`, `ippbot standing`).
* `portal_actions`: each answer to a counter-notice and each withdrawal ippbot files, committed as
  `submitting` before its final click, so that each is filed exactly once (`ippbot respond`, `withdraw`).

Known records and ippbot's own actions, not entries: nothing here moves an entry's state.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the three tables."""
    op.create_table(
        "portal_listings",
        sa.Column("account", sa.String, nullable=False),
        sa.Column("complaint", sa.String, primary_key=True),
        sa.Column("url", sa.String, primary_key=True),
        sa.Column("complaint_status", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("changed_on", sa.String(10)),
        sa.Column("seen_at", sa.DateTime, nullable=False),
        sa.Column("deadline", sa.String(10)),
        sa.Column("chance", sa.Integer),
        sa.Column("statement", sa.Text),
        sa.Column("answer", sa.String(8)),
    )
    op.create_index("ix_portal_listings_url", "portal_listings", ["url"])
    op.create_table(
        "standings",
        sa.Column("account", sa.String, primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("takedown_rate", sa.Float, nullable=False),
        sa.Column("counter_notice_success_rate", sa.Float, nullable=False),
        sa.Column("qualifies", sa.Boolean, nullable=False),
        sa.Column("listings", sa.Integer),
        sa.Column("read_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "portal_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("complaint", sa.String, nullable=False),
        sa.Column("url", sa.String, nullable=False),
        sa.Column("chance", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("kind", "complaint", "url", "chance", name="uq_portal_actions_target"),
    )


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("portal_actions")
    op.drop_table("standings")
    op.drop_index("ix_portal_listings_url", table_name="portal_listings")
    op.drop_table("portal_listings")

"""Revision 0003: `portal_iprs`, the account's IPRs as the portal's IPR management lists them.

`ippbot sync` keeps every IPR the portal shows, ippbot's own and those filed by hand before
ippbot, so that `ippbot enqueue` can check a complaint against an IPR that no batch brought
(its type, place of registration and review status). Known records, not entries: nothing
here is ever filed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `portal_iprs`, keyed by account and portal reference."""
    op.create_table(
        "portal_iprs",
        sa.Column("account", sa.String, primary_key=True),
        sa.Column("reference", sa.String, primary_key=True),
        sa.Column("registration_number", sa.String, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("type", sa.String(16)),
        sa.Column("registration_place", sa.String(8)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("seen_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_portal_iprs_number", "portal_iprs", ["registration_number"])


def downgrade() -> None:
    """Drop `portal_iprs`."""
    op.drop_index("ix_portal_iprs_number", table_name="portal_iprs")
    op.drop_table("portal_iprs")

"""Revision 0005: `portal_checks`, the records the portal's complaint check step made for an entry.

The check step creates the complaint-to-be ("Not submitted") before the final submit; the final
submit files that very record. One a dry run or a stopped run left behind is never filed: ippbot
notes each (`Ledger.note_check`) so that `ippbot status` counts those left over for the operator,
and so that none is ever taken for a filing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `portal_checks`, one row per check record, by its entry."""
    op.create_table(
        "portal_checks",
        sa.Column("reference", sa.String, primary_key=True),
        sa.Column("key", sa.String, sa.ForeignKey("entries.key"), nullable=False, index=True),
        sa.Column("seen_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    """Drop `portal_checks`."""
    op.drop_table("portal_checks")

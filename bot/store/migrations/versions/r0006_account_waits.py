"""Revision 0006: `account_waits`, how long the portal asked an account to wait (a 429's or maintenance's Retry-After).

The portal's word holds for the account, not for the one entry that met it, and across runs: the
next run, the worker's or the cron's, honours a Retry-After the last one was given.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `account_waits`, one row per account the portal asked to wait."""
    op.create_table(
        "account_waits",
        sa.Column("account", sa.String, primary_key=True),
        sa.Column("not_before", sa.DateTime, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Drop `account_waits`."""
    op.drop_table("account_waits")

"""items already closed when remediate first saw them

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

Adds ``item.closed_when_seen``: the item was done (or dropped) before its first sync, as when an
old postmortem is imported with its items already marked done. Such an item has no measured
close time, so the audit counts it as done but leaves it out of days-to-close and the on-time
rate. Existing rows start false: their history cannot tell.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_when_seen", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_column("closed_when_seen")

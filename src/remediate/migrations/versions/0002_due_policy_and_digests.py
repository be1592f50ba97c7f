"""effective due dates and the digest log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Adds ``item.effective_due`` and ``item.due_source`` (remediate.policy) and the ``digest_sent``
table (a digest goes out once per period and channel). Items that already have a due date in
their document get it as their effective due date here; policy dates are filled in by the next
``remediate sync`` or ``remediate refresh``, which know the configured policy.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effective_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("due_source", sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f("ix_item_effective_due"), ["effective_due"], unique=False)
    op.execute("UPDATE item SET effective_due = due, due_source = 'document' WHERE due IS NOT NULL")

    op.create_table(
        "digest_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("digest_sent", schema=None) as batch_op:
        batch_op.create_index("ix_digest_sent_channel_period", ["channel", "period"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("digest_sent", schema=None) as batch_op:
        batch_op.drop_index("ix_digest_sent_channel_period")
    op.drop_table("digest_sent")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_effective_due"))
        batch_op.drop_column("due_source")
        batch_op.drop_column("effective_due")

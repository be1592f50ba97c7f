"""each item keeps its blocking keys for the audit

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

Adds ``item.recurrence_keys``: the blocking keys ``remediate audit`` uses to find recurring items
(``remediate.identity.recurrence_keys``), written by the sync with the item's text. Splitting and
keying every text took a third of the audit at 100,000 items. Existing rows start empty: the
audit computes their keys with the same function, and the next sync that touches an item stores
them. Nothing is computed here, so this migration never depends on how keys are made.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recurrence_keys", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_column("recurrence_keys")

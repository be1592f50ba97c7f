"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "create_intent",
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("tracker", sa.String(length=50), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "tracker"),
    )
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("postmortem_id", sa.String(length=200), nullable=True),
        sa.Column("item_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("old", sa.String(), nullable=True),
        sa.Column("new", sa.String(), nullable=True),
        sa.Column("actor", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_postmortem_id"), ["postmortem_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_run_id"), ["run_id"], unique=False)

    op.create_table(
        "group_link",
        sa.Column("postmortem_id", sa.String(length=200), nullable=False),
        sa.Column("tracker", sa.String(length=50), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("remote_id", sa.String(length=200), nullable=True),
        sa.Column("members_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("postmortem_id", "tracker"),
    )
    op.create_table(
        "kv",
        sa.Column("namespace", sa.String(length=50), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "key"),
    )
    op.create_table(
        "local_ticket",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("postmortem_id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("priority", sa.String(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolution", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    with op.batch_alter_table("local_ticket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_local_ticket_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_local_ticket_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "postmortem",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("link", sa.String(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("incident_date", sa.Date(), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "sync_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("tracker", sa.String(length=50), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "item",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("postmortem_id", sa.String(length=200), nullable=False),
        sa.Column("content_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("section", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("priority", sa.String(), nullable=True),
        sa.Column("doc_done", sa.Boolean(), nullable=True),
        sa.Column("tracker_ref", sa.String(), nullable=True),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["postmortem_id"],
            ["postmortem.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_content_id"), ["content_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_postmortem_id"), ["postmortem_id"], unique=False)

    op.create_table(
        "link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("tracker", sa.String(length=50), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("remote_id", sa.String(length=200), nullable=True),
        sa.Column("how", sa.String(length=20), nullable=False),
        sa.Column("pushed", sa.String(), nullable=True),
        sa.Column("remote_state", sa.String(length=20), nullable=True),
        sa.Column("remote_detail", sa.String(), nullable=True),
        sa.Column("remote_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("missing", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_synced", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["item.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "tracker", name="uq_link_item_tracker"),
    )
    with op.batch_alter_table("link", schema=None) as batch_op:
        batch_op.create_index("ix_link_tracker_key", ["tracker", "key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("link", schema=None) as batch_op:
        batch_op.drop_index("ix_link_tracker_key")

    op.drop_table("link")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_postmortem_id"))
        batch_op.drop_index(batch_op.f("ix_item_content_id"))

    op.drop_table("item")
    op.drop_table("sync_run")
    op.drop_table("postmortem")
    with op.batch_alter_table("local_ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_local_ticket_updated_at"))
        batch_op.drop_index(batch_op.f("ix_local_ticket_item_id"))

    op.drop_table("local_ticket")
    op.drop_table("kv")
    op.drop_table("group_link")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_run_id"))
        batch_op.drop_index(batch_op.f("ix_event_postmortem_id"))
        batch_op.drop_index(batch_op.f("ix_event_item_id"))
        batch_op.drop_index(batch_op.f("ix_event_at"))

    op.drop_table("event")
    op.drop_table("create_intent")

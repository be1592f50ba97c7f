"""The state database, as SQLModel tables. Alembic migrations in ``remediate/migrations`` create them.

What is kept, and why:

- ``postmortem`` and ``item``: what the documents said the last time they were synced. An item's
  ``id`` is its stable identity: it is the parser id of the item when first seen and never
  changes, even when the text is edited (``content_id`` follows the current wording). Each item
  also keeps its text's blocking keys for the audit's recurring search (``recurrence_keys``).
- ``link``: where an item's ticket lives in a tracker, and what the tracker last said about it.
- ``create_intent``: written (and committed) before a ticket is created and deleted once the link
  is stored. One left behind means a run died in between; the next run looks the ticket up by
  its marker instead of creating a second one.
- ``group_link``: the per-postmortem grouping ticket (GitHub tracking issue, Jira parent).
- ``event`` and ``sync_run``: the history of every state change and every run, for audits.
- ``digest_sent``: which digest went out for which period and channel (sent once per period).
- ``kv``: small strings connectors keep between runs (ETags, cursors).
- ``local_ticket``: the tickets of the built-in ``local`` tracker.

Every datetime is stored in UTC (see :class:`UTCDateTime`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone of its own)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def _when(**kwargs: object) -> object:
    if "default" not in kwargs:
        kwargs["default_factory"] = utcnow
    return Field(sa_type=UTCDateTime, **kwargs)  # type: ignore[call-overload]


class Postmortem(SQLModel, table=True):
    """A postmortem document as last synced."""

    id: str = Field(primary_key=True, max_length=200)
    title: str | None = None
    source: str  # path as given on the command line, or <stdin>
    link: str | None = None  # URL or repository path shown in tickets
    content_hash: str = Field(max_length=64)
    incident_date: date | None = None
    first_seen: datetime = _when()  # type: ignore[assignment]
    last_seen: datetime = _when()  # type: ignore[assignment]


class Item(SQLModel, table=True):
    """An action item; ``id`` never changes once assigned."""

    # Postmortem, then document order: how every report reads items (and by postmortem alone).
    __table_args__ = (sa.Index("ix_item_postmortem_position", "postmortem_id", "position"),)

    id: str = Field(primary_key=True, max_length=64)
    postmortem_id: str = Field(foreign_key="postmortem.id", max_length=200)
    content_id: str = Field(index=True, max_length=64)  # parser id of the current wording
    position: int = 0  # order in the document
    text: str
    section: str = ""
    owner: str | None = None
    due: date | None = None  # the due date the document states
    # The due date that counts (remediate.policy): the document's, else the policy's.
    effective_due: date | None = Field(default=None, index=True)
    due_source: str | None = Field(default=None, max_length=20)  # document | policy:incident | policy:first_sync
    priority: str | None = None
    doc_done: bool | None = None  # what the document says (checkbox, DONE marker)
    tracker_ref: str | None = None  # reference written in the document, if any
    line: int = 0
    state: str = Field(default="open", max_length=20)  # remediate.connectors.Status
    state_changed_at: datetime | None = _when(default=None)  # type: ignore[assignment]
    # Closed before its first sync (an old postmortem imported done): no measured close time.
    closed_when_seen: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    first_seen: datetime = _when()  # type: ignore[assignment]
    last_seen: datetime = _when()  # type: ignore[assignment]
    removed: bool = False  # vanished from its document; its ticket is left alone
    removed_at: datetime | None = _when(default=None)  # type: ignore[assignment]
    # The audit's blocking keys for ``text`` (remediate.identity.recurrence_keys), kept when the
    # text is written so the audit does not split 100,000 texts; None: not computed (older rows).
    recurrence_keys: str | None = None


class Link(SQLModel, table=True):
    """An item's ticket in one tracker."""

    __table_args__ = (
        sa.UniqueConstraint("item_id", "tracker", name="uq_link_item_tracker"),
        sa.Index("ix_link_tracker_key", "tracker", "key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: str = Field(foreign_key="item.id", max_length=64)
    tracker: str = Field(max_length=50)
    key: str = Field(max_length=200)
    url: str | None = None
    remote_id: str | None = Field(default=None, max_length=200)
    how: str = Field(default="created", max_length=20)  # created | adopted | linked
    pushed: str | None = None  # JSON of the draft last written to the tracker
    remote_state: str | None = Field(default=None, max_length=20)
    remote_detail: str | None = None
    remote_updated_at: datetime | None = _when(default=None)  # type: ignore[assignment]
    missing: str | None = Field(default=None, max_length=20)  # deleted | moved | inaccessible
    created_at: datetime = _when()  # type: ignore[assignment]
    last_synced: datetime | None = _when(default=None)  # type: ignore[assignment]


class CreateIntent(SQLModel, table=True):
    """A ticket creation that was started and whose link is not stored yet."""

    __tablename__ = "create_intent"

    item_id: str = Field(primary_key=True, max_length=64)
    tracker: str = Field(primary_key=True, max_length=50)
    run_id: int | None = None
    started_at: datetime = _when()  # type: ignore[assignment]


class GroupLink(SQLModel, table=True):
    """The grouping ticket of a postmortem in one tracker."""

    __tablename__ = "group_link"

    postmortem_id: str = Field(primary_key=True, max_length=200)
    tracker: str = Field(primary_key=True, max_length=50)
    key: str = Field(max_length=200)
    url: str | None = None
    remote_id: str | None = Field(default=None, max_length=200)
    members_hash: str = Field(default="", max_length=64)
    updated_at: datetime = _when()  # type: ignore[assignment]


class SyncRun(SQLModel, table=True):
    """One run of ``remediate sync`` (or a scheduled status refresh)."""

    __tablename__ = "sync_run"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="sync", max_length=20)  # sync | refresh
    tracker: str = Field(max_length=50)
    started_at: datetime = _when()  # type: ignore[assignment]
    finished_at: datetime | None = _when(default=None)  # type: ignore[assignment]
    status: str = Field(default="running", max_length=20)  # running | ok | failed | aborted
    summary: str | None = None  # JSON counts
    error: str | None = None


class Event(SQLModel, table=True):
    """One change in an item's life: created, linked, updated, state, removed, restored..."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(index=True)  # type: ignore[assignment]
    run_id: int | None = Field(default=None, index=True)
    postmortem_id: str | None = Field(default=None, index=True, max_length=200)
    item_id: str | None = Field(default=None, index=True, max_length=64)
    kind: str = Field(max_length=30)
    old: str | None = None
    new: str | None = None
    actor: str = Field(default="sync", max_length=30)  # sync | tracker | cli
    detail: str | None = None


class DigestSent(SQLModel, table=True):
    """A digest that went out: one per period and channel, unless resent with --force."""

    __tablename__ = "digest_sent"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)  # email | slack | webhook
    period: str = Field(max_length=20)  # e.g. 2024-W15, 2024-04
    period_start: date
    period_end: date  # exclusive
    as_of: date
    sent_at: datetime = _when()  # type: ignore[assignment]
    forced: bool = False
    summary: str | None = None  # JSON headline numbers

    __table_args__ = (sa.Index("ix_digest_sent_channel_period", "channel", "period"),)


class KV(SQLModel, table=True):
    """Small strings a connector keeps between runs."""

    namespace: str = Field(primary_key=True, max_length=50)
    key: str = Field(primary_key=True, max_length=200)
    value: str


class LocalTicket(SQLModel, table=True):
    """A ticket of the built-in local tracker."""

    __tablename__ = "local_ticket"

    number: int | None = Field(default=None, primary_key=True)
    item_id: str = Field(index=True, max_length=64)  # the marker, for find()
    postmortem_id: str = Field(max_length=200)
    title: str
    body: str
    owner: str | None = None
    due: date | None = None
    priority: str | None = None
    status: str = Field(default="open", max_length=20)
    resolution: str | None = None
    created_at: datetime = _when()  # type: ignore[assignment]
    updated_at: datetime = _when(index=True)  # type: ignore[assignment]

"""``remediate status``: how far each postmortem's action items have got.

Open and overdue are :mod:`remediate.reports.base`'s definitions, the same in every report.
Counts leave out items removed from their documents (they are reported separately). Percent
complete counts items closed either way (done, or closed as not doing) over all current items,
so a postmortem whose remaining items were all consciously dropped reads 100%.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date

import sqlalchemy as sa
from sqlmodel import Session

from remediate.connectors import Status
from remediate.models import Item, Postmortem
from remediate.reports.base import OPEN_STATES, load_items, overdue_sql, percent, ticket_gone_sql


@dataclass(frozen=True)
class ItemStatus:
    """One item with its ticket, for ``remediate status --items``."""

    id: str
    postmortem_id: str
    text: str
    owner: str | None
    due: date | None  # the effective due date (document, else policy)
    due_source: str | None
    priority: str | None
    state: str
    overdue: bool
    removed: bool
    tracker: str | None
    key: str | None
    url: str | None
    missing: str | None = None  # the ticket was deleted, moved away or became inaccessible

    def to_json(self) -> dict[str, object]:
        """JSON-ready fields."""
        data = asdict(self)
        data["due"] = self.due.isoformat() if self.due else None
        return data


@dataclass(frozen=True)
class PostmortemStatus:
    """Totals for one postmortem."""

    id: str
    title: str | None
    source: str
    items: int
    done: int
    not_doing: int
    open: int
    overdue: int
    removed: int
    percent_complete: float | None
    missing: int = 0  # current items whose ticket was deleted or moved on the tracker

    def to_json(self) -> dict[str, object]:
        """JSON-ready fields."""
        return asdict(self)


def item_statuses(
    session: Session, *, as_of: date, postmortem: str | None = None, gone_only: bool = False
) -> list[ItemStatus]:
    """Every item (removed ones too) with its newest ticket link, in document order.

    ``gone_only``: only the current items whose ticket was deleted or moved (the status warning).
    """
    it = Item.__table__.c  # type: ignore[attr-defined]
    conditions = []
    if postmortem:
        conditions.append(it.postmortem_id == postmortem)
    if gone_only:
        conditions += [it.removed.is_(False), ticket_gone_sql()]
    # No dates in the configured zone are shown here: UTC is as good as any for load_items.
    return [
        ItemStatus(
            i.id,
            i.postmortem_id,
            i.text,
            i.owner,
            i.due,
            i.due_source,
            i.priority,
            i.state,
            i.overdue_days(as_of) > 0,
            i.removed,
            i.tracker,
            i.key,
            i.url,
            i.missing,
        )
        for i in load_items(session, UTC, where=sa.and_(*conditions) if conditions else None)
    ]


def postmortem_statuses(session: Session, *, as_of: date, postmortem: str | None = None) -> list[PostmortemStatus]:
    """Totals per postmortem, oldest incident first: one grouped query, whatever the number of items."""
    pm, it = Postmortem.__table__.c, Item.__table__.c  # type: ignore[attr-defined]
    current = it.removed.is_(False)

    def count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    query = (
        sa.select(
            pm.id,
            pm.title,
            pm.source,
            count(current),
            count(current & (it.state == Status.DONE.value)),
            count(current & (it.state == Status.NOT_DOING.value)),
            count(current & it.state.in_(sorted(OPEN_STATES))),
            count(overdue_sql(as_of)),
            count(it.removed.is_(True)),
            count(current & ticket_gone_sql()),
        )
        .select_from(Postmortem.__table__.outerjoin(Item.__table__, it.postmortem_id == pm.id))  # type: ignore[attr-defined]
        .group_by(pm.id, pm.title, pm.source, pm.incident_date)
        .order_by(pm.incident_date, pm.id)
    )
    if postmortem:
        query = query.where(pm.id == postmortem)
    return [
        PostmortemStatus(
            pm_id,
            title,
            source,
            items,
            done,
            not_doing,
            open_,
            overdue,
            removed,
            percent(done + not_doing, items),
            gone,
        )
        for pm_id, title, source, items, done, not_doing, open_, overdue, removed, gone in (
            session.connection().execute(query).all()
        )
    ]

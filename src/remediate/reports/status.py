"""``remediate status``: how far each postmortem's action items have got.

Open and overdue are :mod:`remediate.reports.base`'s definitions, the same in every report. Counts leave out items removed from their documents (they are reported separately). Percent
complete counts items closed either way (done, or closed as not doing) over all current items,
so a postmortem whose remaining items were all consciously dropped reads 100%.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from remediate.connectors import Status
from remediate.models import Item, Postmortem
from remediate.reports.base import days_overdue, is_open, newest_links


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


def item_statuses(session: Session, *, as_of: date, postmortem: str | None = None) -> list[ItemStatus]:
    """Every item (removed ones too) with its newest ticket link, in document order (plain rows, one pass)."""
    c = Item.__table__.c  # type: ignore[attr-defined]
    query = sa.select(
        c.id, c.postmortem_id, c.text, c.owner, c.effective_due, c.due_source, c.priority, c.state, c.removed
    ).order_by(c.postmortem_id, c.position)
    if postmortem:
        query = query.where(c.postmortem_id == postmortem)
    links = newest_links(session)
    no_link = (None, None, None, None)
    rows = []
    for item_id, pm_id, text, owner, due, due_source, priority, state, removed in (
        session.connection().execute(query).all()
    ):
        tracker, key, url, missing = links.get(item_id, no_link)
        overdue = days_overdue(state, removed, due, as_of) > 0
        rows.append(
            ItemStatus(
                item_id,
                pm_id,
                text,
                owner,
                due,
                due_source,
                priority,
                state,
                overdue,
                bool(removed),
                tracker,
                key,
                url,
                missing,
            )
        )
    return rows


def postmortem_statuses(
    session: Session, *, as_of: date, postmortem: str | None = None, items: Sequence[ItemStatus] | None = None
) -> list[PostmortemStatus]:
    """Totals per postmortem, oldest incident first (``items``: ``item_statuses`` already read)."""
    pm_c = Postmortem.__table__.c  # type: ignore[attr-defined]
    query = sa.select(pm_c.id, pm_c.title, pm_c.source).order_by(pm_c.incident_date, pm_c.id)
    if postmortem:
        query = query.where(pm_c.id == postmortem)
    if items is None:
        items = item_statuses(session, as_of=as_of, postmortem=postmortem)
    by_postmortem: dict[str, list[ItemStatus]] = {}
    for row in items:
        by_postmortem.setdefault(row.postmortem_id, []).append(row)
    result = []
    for pm in session.connection().execute(query).all():
        mine = by_postmortem.get(pm.id, [])
        current = [i for i in mine if not i.removed]
        done = sum(i.state == Status.DONE for i in current)
        not_doing = sum(i.state == Status.NOT_DOING for i in current)
        result.append(
            PostmortemStatus(
                pm.id,
                pm.title,
                pm.source,
                len(current),
                done,
                not_doing,
                sum(is_open(i.state) for i in current),
                sum(i.overdue for i in current),
                len(mine) - len(current),
                round(100 * (done + not_doing) / len(current), 1) if current else None,
                sum(bool(i.missing) for i in current),
            )
        )
    return result

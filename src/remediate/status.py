"""``remediate status``: how far each postmortem's action items have got.

An item is overdue when it is open and its effective due date (``remediate.policy``: the
document's, else the policy's) is before the as-of date. Counts leave out items removed from their documents (they are reported separately). Percent
complete counts items closed either way (done, or closed as not doing) over all current items,
so a postmortem whose remaining items were all consciously dropped reads 100%.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date

from sqlmodel import Session, col, select

from remediate.connectors import Status
from remediate.models import Item, Link, Postmortem

OPEN_STATES = (Status.OPEN.value, Status.IN_PROGRESS.value)


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
    """Every item (removed ones too) with its newest ticket link, in document order."""
    query = select(Item).order_by(col(Item.postmortem_id), col(Item.position))
    if postmortem:
        query = query.where(Item.postmortem_id == postmortem)
    items = session.exec(query).all()
    links: dict[str, Link] = {}
    for link in session.exec(select(Link).order_by(col(Link.created_at))).all():
        links[link.item_id] = link  # the newest link wins
    rows = []
    for item in items:
        found = links.get(item.id)
        due = item.effective_due
        overdue = bool(due and due < as_of and item.state in OPEN_STATES and not item.removed)
        rows.append(
            ItemStatus(
                item.id,
                item.postmortem_id,
                item.text,
                item.owner,
                due,
                item.due_source,
                item.priority,
                item.state,
                overdue,
                item.removed,
                found.tracker if found else None,
                found.key if found else None,
                found.url if found else None,
                found.missing if found else None,
            )
        )
    return rows


def postmortem_statuses(
    session: Session, *, as_of: date, postmortem: str | None = None, items: Sequence[ItemStatus] | None = None
) -> list[PostmortemStatus]:
    """Totals per postmortem, oldest incident first (``items``: ``item_statuses`` already read)."""
    query = select(Postmortem).order_by(col(Postmortem.incident_date), col(Postmortem.id))
    if postmortem:
        query = query.where(Postmortem.id == postmortem)
    if items is None:
        items = item_statuses(session, as_of=as_of, postmortem=postmortem)
    by_postmortem: dict[str, list[ItemStatus]] = {}
    for row in items:
        by_postmortem.setdefault(row.postmortem_id, []).append(row)
    result = []
    for pm in session.exec(query).all():
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
                sum(i.state in OPEN_STATES for i in current),
                sum(i.overdue for i in current),
                len(mine) - len(current),
                round(100 * (done + not_doing) / len(current), 1) if current else None,
                sum(bool(i.missing) for i in current),
            )
        )
    return result

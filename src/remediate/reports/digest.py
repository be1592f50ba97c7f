"""The periodic digest: what is overdue (by owner and by postmortem), what is due soon, what got done.

A digest is taken on an as-of day and belongs to the period (ISO week, or month) containing that
day; the period's key (``2024-W15``) is what the once-per-period rule records. "Due soon" is the
period's length ahead of the as-of day (``[as_of, as_of + 7 days)`` for weeks), "completed" the
period's length behind it (``[as_of - 7 days, as_of]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from remediate.reports.base import (
    Period,
    PeriodKind,
    ReportItem,
    bulk,
    percent,
    period_of,
    span_ahead,
    span_back,
)
from remediate.reports.overdue import OverdueItem, overdue_items

NO_OWNER = "(no owner)"


@dataclass
class OwnerGroup:
    """Overdue items of one owner (or of one postmortem)."""

    name: str
    items: list[OverdueItem] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"name": self.name, "count": len(self.items), "items": [i.to_json() for i in self.items]}


@dataclass
class Digest:
    """Everything a digest says, before any template renders it."""

    as_of: date
    period: Period
    overdue: list[OverdueItem]
    by_owner: list[OwnerGroup]
    by_postmortem: list[OwnerGroup]
    due_soon: list[ReportItem]
    due_soon_until: date  # exclusive
    completed: list[ReportItem]
    completed_since: date
    headline: dict[str, Any]

    @property
    def title(self) -> str:
        """``Remediation digest, week 2024-W15``."""
        return f"Remediation digest, {self.period.kind} {self.period.key}"

    def to_json(self) -> dict[str, Any]:
        """The ``remediate digest --format json`` object (also the generic webhook's ``digest``)."""
        return {
            "title": self.title,
            "as_of": self.as_of.isoformat(),
            "period": self.period.to_json(),
            "headline": self.headline,
            "overdue_by_owner": [g.to_json() for g in self.by_owner],
            "overdue_by_postmortem": [g.to_json() for g in self.by_postmortem],
            "due_soon": {"until": self.due_soon_until.isoformat(), "items": [i.to_json() for i in self.due_soon]},
            "completed": {"since": self.completed_since.isoformat(), "items": [i.to_json() for i in self.completed]},
        }


@bulk
def build_digest(items: list[ReportItem], as_of: date, kind: PeriodKind = "week") -> Digest:
    """The digest of ``items`` on ``as_of`` for the period ``kind``."""
    current = [i for i in items if not i.removed]
    overdue = overdue_items(current, as_of).items
    owners: dict[str, OwnerGroup] = {}
    postmortems: dict[str, OwnerGroup] = {}
    for row in overdue:
        name = row.item.owner or NO_OWNER
        owners.setdefault(name.lstrip("@").casefold(), OwnerGroup(name)).items.append(row)
        pm = row.item.postmortem_title or row.item.postmortem_id
        postmortems.setdefault(row.item.postmortem_id, OwnerGroup(pm)).items.append(row)
    # Most overdue work first; the no-owner group last, it needs a different kind of attention.
    by_owner = sorted(owners.values(), key=lambda g: (g.name == NO_OWNER, -len(g.items), g.name.casefold()))
    by_postmortem = sorted(postmortems.values(), key=lambda g: (-len(g.items), g.name.casefold()))
    until, since = span_ahead(as_of, kind), span_back(as_of, kind)
    due_soon = sorted(
        (i for i in current if i.is_open and i.due and as_of <= i.due < until), key=lambda i: (i.due, i.postmortem_id)
    )
    completed = sorted(
        (i for i in current if i.state == "done" and i.closed_on and since <= i.closed_on <= as_of),
        key=lambda i: (i.closed_on, i.postmortem_id),
    )
    open_items = [i for i in current if i.is_open]
    closed = len(current) - len(open_items)
    headline = {
        "total": len(current),
        "open": len(open_items),
        "overdue": len(overdue),
        "due_soon": len(due_soon),
        "completed": len(completed),
        "owners_with_overdue": sum(1 for g in by_owner if g.name != NO_OWNER),
        "percent_complete": percent(closed, len(current)),
    }
    return Digest(
        as_of, period_of(as_of, kind), overdue, by_owner, by_postmortem, due_soon, until, completed, since, headline
    )

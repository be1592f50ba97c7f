"""``remediate overdue``: open items past their effective due date, most overdue first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from remediate.reports.base import ReportItem, bulk, owner_key


@dataclass(frozen=True)
class OverdueItem:
    """An open item past its due date on the report's as-of day."""

    item: ReportItem
    days_overdue: int

    def to_json(self) -> dict[str, Any]:
        """The item's fields plus ``days_overdue``."""
        return {**self.item.to_json(), "days_overdue": self.days_overdue}


@dataclass
class OverdueReport:
    """Every overdue item on ``as_of`` (after the owner/postmortem filters)."""

    as_of: date
    items: list[OverdueItem] = field(default_factory=list)
    owner: str | None = None
    postmortem: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``remediate overdue --format json`` object."""
        return {
            "as_of": self.as_of.isoformat(),
            "filters": {"owner": self.owner, "postmortem": self.postmortem},
            "count": len(self.items),
            "items": [i.to_json() for i in self.items],
        }


@bulk
def overdue_items(
    items: list[ReportItem], as_of: date, *, owner: str | None = None, postmortem: str | None = None
) -> OverdueReport:
    """The overdue items among ``items``, most days overdue first, then by postmortem and document order."""
    wanted = owner_key(owner) if owner else None
    rows = []
    for item in items:
        days = item.overdue_days(as_of)
        if not days:
            continue
        if wanted is not None and owner_key(item.owner) != wanted:
            continue
        if postmortem and item.postmortem_id != postmortem:
            continue
        rows.append(OverdueItem(item, days))
    rows.sort(key=lambda r: -r.days_overdue)  # stable: keeps postmortem and document order for ties
    return OverdueReport(as_of, rows, owner, postmortem)

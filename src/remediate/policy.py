"""The due-date policy: when an action item should be done if its document does not say.

An explicit due date in the document always wins. Otherwise the item is due a number of days
(``[policy]`` in the config, per priority) after the incident date, or, when the postmortem has
no date, after the day the item was first synced. Days are calendar days, so month ends and
leap years need no special case: 2024-01-31 + 28 days is 2024-02-28, + 29 is 2024-02-29.

"The day the item was first synced" is a calendar date in the configured time zone, not in UTC:
an item first synced at 23:30 UTC on 31 January by a team in Berlin was synced on 1 February.

The result is stored on the item (``effective_due``, ``due_source``) by the sync engine, put on
the ticket, and used by every report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Literal

from remediate.parsing.vocabulary import PRIORITY_LEVELS, priority_level
from remediate.settings import Settings
from remediate.settings import local_date as local_date  # reports/ import it from here too

if TYPE_CHECKING:
    from sqlmodel import Session

DueSource = Literal["document", "policy:incident", "policy:first_sync"]

PRIORITIES = PRIORITY_LEVELS

# The one normalisation of priorities (P0-P4), shared with the parser, Jira and lint.
normalize_priority = priority_level


@dataclass(frozen=True, slots=True)
class EffectiveDue:
    """An item's due date and where it came from (both None: no due date at all)."""

    due: date | None
    source: DueSource | None

    def describe(self, priority: str | None = None, base: date | None = None) -> str:
        """Where the date came from, for people: ``document``, ``policy: P1, 28 days after the incident``."""
        if self.source is None or self.due is None:
            return "none"
        if self.source == "document":
            return "document"
        label = normalize_priority(priority) or "no priority"
        after = "the incident" if self.source == "policy:incident" else "the first sync"
        days = f"{(self.due - base).days} days after " if base else ""
        return f"policy: {label}, {days}{after}"


@dataclass(frozen=True)
class DuePolicy:
    """Days per priority, and the time zone that turns sync times into dates."""

    days: Mapping[str, int]
    no_priority: int
    tz: tzinfo

    @classmethod
    def from_settings(cls, settings: Settings) -> DuePolicy:
        """The policy of the ``[policy]`` table, in the configured time zone."""
        p = settings.policy
        return cls({"P0": p.p0, "P1": p.p1, "P2": p.p2, "P3": p.p3, "P4": p.p4}, p.no_priority, settings.tz())

    @classmethod
    def default(cls) -> DuePolicy:
        """The built-in policy (P0 7, P1 28, P2 56, P3 90, P4 180, none 56 days), in UTC."""
        return cls.from_settings(Settings())

    def days_for(self, priority: str | None) -> int:
        """Days allowed for an item of this priority (0: the policy sets no date)."""
        label = normalize_priority(priority)
        return self.days.get(label, self.no_priority) if label else self.no_priority

    def effective_due(
        self,
        *,
        document_due: date | None,
        priority: str | None,
        incident_date: date | None,
        first_synced: datetime | date,
    ) -> EffectiveDue:
        """The date an item is due: the document's, else the policy's from the incident or first sync."""
        if document_due is not None:
            return EffectiveDue(document_due, "document")
        days = self.days_for(priority)
        if days <= 0:
            return EffectiveDue(None, None)
        if incident_date is not None:
            return EffectiveDue(incident_date + timedelta(days=days), "policy:incident")
        base = first_synced if not isinstance(first_synced, datetime) else local_date(first_synced, self.tz)
        return EffectiveDue(base + timedelta(days=days), "policy:first_sync")


def restamp_due_dates(session: Session, policy: DuePolicy) -> int:
    """Recompute every item's effective due date under ``policy``; return how many changed.

    The sync engine stamps items of the documents it reads; this catches up the others after
    the policy changed (and items stored before migration 0002). Commits nothing itself.
    """
    from sqlmodel import select

    from remediate.models import Item, Postmortem

    incidents = {pm.id: pm.incident_date for pm in session.exec(select(Postmortem)).all()}
    changed = 0
    for item in session.exec(select(Item)).all():
        due = policy.effective_due(
            document_due=item.due,
            priority=item.priority,
            incident_date=incidents.get(item.postmortem_id),
            first_synced=item.first_seen,
        )
        if (item.effective_due, item.due_source) != (due.due, due.source):
            item.effective_due, item.due_source = due.due, due.source
            session.add(item)
            changed += 1
    return changed

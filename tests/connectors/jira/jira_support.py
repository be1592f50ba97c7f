"""Drafts and helpers shared by the Jira connector tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from remediate.connectors import PostmortemInfo, TicketDraft

PM = PostmortemInfo(
    id="2024-05-01-api-outage",
    title="API outage of 1 May 2024",
    date=date(2024, 5, 1),
    source="postmortems/2024-05-01-api-outage.md",
    link="https://wiki.example.com/postmortems/2024-05-01-api-outage",
)


def draft(number: int, **changes: Any) -> TicketDraft:
    """A draft for item ``number``; ``changes`` override fields."""
    fields: dict[str, Any] = {
        "item_id": f"item{number:04d}",
        "title": f"Add alerting on queue depth #{number}",
        "text": f"Add alerting on queue depth for pool {number}.",
        "section": "Action Items",
        "owner": None,
        "due": date(2024, 6, 1),
        "priority": "P1",
        "done": None,
        "postmortem": PM,
    }
    fields.update(changes)
    return TicketDraft(**fields)

"""A known database for report tests, built through the real sync path (local tracker).

Two postmortems, as of Monday 2024-04-08 (ISO week 2024-W15), with the default policy:

A "DB failover" (incident 2024-01-10):
  A1 Add alerting on replication lag        P1 @dana  due 02-07 (policy)  done 02-01 (on time, 22 days)
  A2 Automate the failover runbook          P2 @li    due 03-06 (policy)  open: 33 days overdue
  A3 Document the failover drill            -  -      due 03-20 (doc)     open: 19 days overdue, ticket moved
  A4 Rewrite the backup scheduler           P3 @dana  due 04-09           closed as not doing
B "Queue backlog" (incident 2024-03-15):
  B1 Automate the failover runbook steps    P2 @li    due 05-10           open (repeats A2, still open)
  B2 Add alerting on queue depth            P0 @sam   due 03-22           done 04-02 (late, 18 days)
  B3 Cap the consumer batch size            P1 @sam   due 04-12           open, due this week
  B4 Remove the legacy queue                P1 @sam                       removed from the document, ticket open
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from remediate.models import Event, Item, Link
from remediate.store import open_store
from tests.support import document, set_state, sync_docs

AS_OF = date(2024, 4, 8)
A1, A2, A3, A4 = (
    "Add alerting on replication lag",
    "Automate the failover runbook",
    "Document the failover drill",
    "Rewrite the backup scheduler",
)
B1, B2, B3, B4 = (
    "Automate the failover runbook steps",
    "Add alerting on queue depth",
    "Cap the consumer batch size",
    "Remove the legacy queue",
)

DOC_A = document(
    "2024-01-10-db-failover",
    [
        {"text": A1, "priority": "P1", "owner": "@dana"},
        {"text": A2, "priority": "P2", "owner": "@li"},
        {"text": A3, "due": date(2024, 3, 20)},
        {"text": A4, "priority": "P3", "owner": "@dana"},
    ],
    title="DB failover",
    incident=date(2024, 1, 10),
)
B_ITEMS: list[dict[str, object] | str] = [
    {"text": B1, "priority": "P2", "owner": "@li"},
    {"text": B2, "priority": "P0", "owner": "@sam"},
    {"text": B3, "priority": "P1", "owner": "@sam"},
    {"text": B4, "priority": "P1", "owner": "@sam"},
]
DOC_B = document("2024-03-15-queue-backlog", B_ITEMS, title="Queue backlog", incident=date(2024, 3, 15))
DOC_B_EDITED = document("2024-03-15-queue-backlog", B_ITEMS[:3], title="Queue backlog", incident=date(2024, 3, 15))


def at(day: date, hour: int = 12) -> datetime:
    """Noon UTC on ``day``."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _backdate(database_url: str, postmortem_id: str, when: datetime) -> None:
    """Pretend the postmortem was first synced at ``when`` (items and their 'added' events)."""
    with open_store(database_url) as store, store.session() as session:
        for item in session.exec(select(Item).where(Item.postmortem_id == postmortem_id)).all():
            item.first_seen = when
            session.add(item)
        for event in session.exec(select(Event).where(Event.postmortem_id == postmortem_id)).all():
            event.at = when
            session.add(event)
        session.commit()


def build(database_url: str) -> None:
    """Fill ``database_url`` with the two postmortems above."""
    sync_docs(database_url, [DOC_A])
    _backdate(database_url, "2024-01-10-db-failover", at(date(2024, 1, 12)))
    set_state(database_url, A1, "done", at=at(date(2024, 2, 1)))
    set_state(database_url, A4, "not_doing", at=at(date(2024, 2, 15)))
    sync_docs(database_url, [DOC_B])
    _backdate(database_url, "2024-03-15-queue-backlog", at(date(2024, 3, 18)))
    set_state(database_url, B2, "done", at=at(date(2024, 4, 2)))
    sync_docs(database_url, [DOC_B_EDITED])  # B4 leaves the document; its ticket stays open
    with open_store(database_url) as store, store.session() as session:
        for event in session.exec(select(Event).where(Event.kind == "removed")).all():
            event.at = at(date(2024, 3, 25))
            session.add(event)
        a3 = session.exec(select(Item).where(Item.text == A3)).one()
        link = session.exec(select(Link).where(Link.item_id == a3.id)).one()
        link.missing = "moved"  # what refresh records when a tracker says the ticket moved
        session.add(link)
        session.commit()

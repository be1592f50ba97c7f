"""A database of N action items in N/10 postmortems, written in bulk (for scale tests and benchmarks).

The rows go in through the store's tables with SQLAlchemy core ``executemany`` (one transaction
per table chunk), so 100,000 items take seconds, not the half hour a sync would. What is in it:

- postmortems every ~day going back from ``AS_OF`` (incident dates; first seen two days later);
- item texts built from a vocabulary of verbs, things, services and tails, so most items are
  distinct but share everyday words ("add", "alerting", "queue"); about 6% repeat an earlier
  postmortem's item, exactly or with a small edit (a word added, dropped or swapped), so there
  are recurring items to find;
- owners, priorities, document due dates on some items and the policy's on the rest;
- about half the items closed (done or not doing) at some day after their incident, some open
  ones past due, 1% removed from their documents, 0.5% with a ticket gone from the tracker;
- a local-tracker link per item and the event history the audit timeline replays (added,
  state, removed);
- each item's blocking keys for the audit's recurring search, as the sync stores them.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from remediate.identity import recurrence_keys
from remediate.models import Event, Item, Link, Postmortem
from remediate.store import open_store

AS_OF = date(2026, 12, 1)

VERBS = [
    "Add",
    "Automate",
    "Document",
    "Alert on",
    "Cap",
    "Migrate",
    "Test",
    "Rotate",
    "Remove",
    "Split",
    "Monitor",
    "Review",
    "Limit",
    "Backfill",
    "Load test",
    "Page on",
    "Audit",
    "Shard",
    "Throttle",
    "Rehearse",
]
THINGS = [
    "queue depth",
    "replication lag",
    "the failover runbook",
    "connection pool size",
    "disk usage on the primary",
    "the deploy pipeline",
    "certificate expiry",
    "the retry budget",
    "the cache warm-up",
    "consumer lag",
    "the backup restore",
    "feature flag cleanup",
    "rate limits on the public API",
    "DNS TTLs",
    "the on-call rota",
    "memory limits of the workers",
    "the schema migration checklist",
    "error budgets",
    "timeouts between services",
    "the canary analysis",
    "garbage collection pauses",
    "the load balancer health checks",
    "secrets rotation",
    "log retention",
    "the dependency upgrade policy",
    "autoscaling thresholds",
    "the incident channel template",
    "cron job overlap",
    "the data export job",
    "capacity forecasts",
]
TAILS = [
    "before the next peak",
    "in staging first",
    "with a dashboard the on-call can find",
    "and page the owning team",
    "per region",
    "for every tenant",
    "behind a feature flag",
    "and add it to the runbook",
    "weekly",
    "after each deploy",
    "with an alert at 80 percent",
    "and report it in the ops review",
    "so the next failure is caught in minutes",
    "using the shared library",
    "in the quarterly game day",
    "owned by the platform team",
    "with a written rollback plan",
    "until the vendor ships a fix",
    "and delete the manual workaround",
    "for the batch window",
    "on both clusters",
    "as part of onboarding",
    "with synthetic traffic",
    "and publish the numbers",
]
REASONS = [
    "",
    "",
    "",
    ", because nobody noticed for an hour",
    ", since the last change went out untested",
    " (we only found out from customers)",
    " - the alert fired but was ignored",
    ", as the fallback never kicked in",
    " (raised twice in the retro)",
]
SYLLABLES = ["ka", "lo", "mi", "ra", "ve", "zu", "to", "ne", "sa", "qui", "bo", "dex", "fin", "gar", "hol", "pix"]
OWNERS = ["@dana", "@li", "@sam", "@kim", "@ana", "@joe", "@mo", "@ivy", None, None]
PRIORITIES = ["P0", "P1", "P1", "P2", "P2", "P3", None]
POLICY_DAYS = {"P0": 7, "P1": 28, "P2": 56, "P3": 90, None: 56}
EDITS = ["steps", "again", "properly", "for real", "end to end"]


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _service(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3))))


def _near_copy(rng: random.Random, text: str) -> str:
    """The same action with a small edit: a word added, dropped or a case change."""
    words = text.split()
    choice = rng.randrange(4)
    if choice == 0:
        return text
    if choice == 1:
        return f"{text} {rng.choice(EDITS)}"
    if choice == 2 and len(words) > 4:
        del words[rng.randrange(1, len(words))]
        return " ".join(words)
    return text.lower().capitalize()


def texts(n_items: int, *, seed: int = 7, per_pm: int = 10) -> list[list[str]]:
    """The item texts, postmortem by postmortem (oldest first)."""
    rng = random.Random(seed)
    services = sorted({_service(rng) + _service(rng) for _ in range(max(50, n_items // 4))})
    made: list[str] = []
    result: list[list[str]] = []
    for _ in range(max(1, n_items // per_pm)):
        mine: list[str] = []
        for _ in range(per_pm):
            if made and rng.random() < 0.06:
                text = _near_copy(rng, rng.choice(made[-20_000:]))
            else:
                text = (
                    f"{rng.choice(VERBS)} {rng.choice(THINGS)} for {rng.choice(services)} "
                    f"{rng.choice(TAILS)}{rng.choice(REASONS)}"
                )
            if text in mine:
                text = f"{text} ({len(mine)})"
            mine.append(text)
        made.extend(mine)
        result.append(mine)
    return result


def fill(
    url: str, n_items: int, *, seed: int = 7, per_pm: int = 10, as_of: date = AS_OF, recurrence: bool = True
) -> None:
    """Fill the (empty) database at ``url`` with ``n_items`` items in ``n_items // per_pm`` postmortems.

    ``recurrence``: store each item's blocking keys, as the sync does (False: as a database written
    before they were kept, whose audit computes them).
    """
    rng = random.Random(seed + 1)
    by_pm = texts(n_items, seed=seed, per_pm=per_pm)
    n_pm = len(by_pm)
    postmortems: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    ticket = 0
    for p, mine in enumerate(by_pm):  # incidents spread over 1,000 days, the newest 3 days before as_of
        incident = as_of - timedelta(days=3 + (n_pm - 1 - p) * 1000 // n_pm)
        pm_id = f"{incident.isoformat()}-incident-{p:06d}"
        seen = _at(incident + timedelta(days=2))
        postmortems.append(
            {
                "id": pm_id,
                "title": f"Incident {p}: {mine[0][:40]}",
                "source": f"postmortems/{pm_id}.md",
                "link": None,
                "content_hash": hashlib.sha256(pm_id.encode()).hexdigest(),
                "incident_date": incident,
                "first_seen": seen,
                "last_seen": seen,
            }
        )
        for position, text in enumerate(mine):
            item_id = hashlib.sha256(f"{pm_id}\n{text}".encode()).hexdigest()[:12]
            priority = rng.choice(PRIORITIES)
            doc_due = incident + timedelta(days=rng.randrange(5, 60)) if rng.random() < 0.3 else None
            effective = doc_due or incident + timedelta(days=POLICY_DAYS[priority])
            state, changed = "open", None
            roll = rng.random()
            if roll < 0.42:
                state = "done"
            elif roll < 0.5:
                state = "not_doing"
            elif roll < 0.55:
                state = "in_progress"
            if state in ("done", "not_doing"):
                changed_day = min(as_of, incident + timedelta(days=rng.randrange(1, 120)))
                changed = _at(changed_day, 15)
            removed = rng.random() < 0.01
            items.append(
                {
                    "id": item_id,
                    "postmortem_id": pm_id,
                    "content_id": item_id,
                    "position": position,
                    "text": text,
                    "section": "Action items",
                    "owner": rng.choice(OWNERS),
                    "due": doc_due,
                    "effective_due": effective,
                    "due_source": "document" if doc_due else "policy:incident",
                    "priority": priority,
                    "doc_done": None,
                    "tracker_ref": None,
                    "line": 10 + position,
                    "state": state,
                    "state_changed_at": changed,
                    "closed_when_seen": False,
                    "first_seen": seen,
                    "last_seen": seen,
                    "removed": removed,
                    "removed_at": _at(incident + timedelta(days=30)) if removed else None,
                    "recurrence_keys": recurrence_keys(text) if recurrence else None,
                }
            )
            ticket += 1
            links.append(
                {
                    "item_id": item_id,
                    "tracker": "local",
                    "key": f"#{ticket}",
                    "url": None,
                    "remote_id": str(ticket),
                    "how": "created",
                    "remote_state": state,
                    "missing": rng.choice(("moved", "deleted")) if rng.random() < 0.005 else None,
                    "created_at": seen,
                    "last_synced": seen,
                }
            )
            events.append(_event(seen, pm_id, item_id, "added", None, None))
            if changed is not None:
                events.append(_event(changed, pm_id, item_id, "state", "open", state))
            if removed:
                events.append(_event(_at(incident + timedelta(days=30)), pm_id, item_id, "removed", None, None))
    with open_store(url) as store:
        with store.engine.begin() as conn:
            for table, rows in (
                (Postmortem.__table__, postmortems),
                (Item.__table__, items),
                (Link.__table__, links),
                (Event.__table__, events),
            ):
                for start in range(0, len(rows), 20_000):
                    conn.execute(sa.insert(table), rows[start : start + 20_000])  # type: ignore[arg-type]


def _event(at: datetime, pm_id: str, item_id: str, kind: str, old: str | None, new: str | None) -> dict[str, Any]:
    return {
        "at": at,
        "run_id": None,
        "postmortem_id": pm_id,
        "item_id": item_id,
        "kind": kind,
        "old": old,
        "new": new,
        "actor": "sync",
        "detail": None,
    }

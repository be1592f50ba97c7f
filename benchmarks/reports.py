"""Time the reports on a database of N action items (default 1,000), built through the sync path.

    python benchmarks/reports.py [--items 1000] [--db URL]

Prints the time to build the database and the wall time of each report (best of 3).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from remediate.jobs import audit_snapshot, build_digest_for, overdue_report, sync_documents
from remediate.settings import Settings

VERBS = ["Add", "Automate", "Document", "Alert on", "Cap", "Migrate", "Test", "Rotate", "Remove", "Split"]
THINGS = [
    "queue depth",
    "replication lag",
    "the failover runbook",
    "connection pool size",
    "disk usage on the db",
    "the deploy pipeline",
    "certificate expiry",
    "the retry budget",
    "the cache warm-up",
    "consumer lag",
    "the backup restore",
    "feature flag cleanup",
    "rate limits on the API",
    "DNS TTLs",
    "the on-call rota",
]
PLACES = ["checkout", "payments", "search", "ledger", "auth", "mobile API", "batch workers", "edge proxy"]


def build(url: str, n_items: int, per_pm: int = 10) -> float:
    from sqlmodel import select

    from remediate.models import Event, Item
    from remediate.store import open_store
    from tests.support import document

    rng = random.Random(7)
    docs = []
    start = date(2023, 1, 2)
    for p in range(n_items // per_pm):
        items = []
        for _ in range(per_pm):
            text = f"{rng.choice(VERBS)} {rng.choice(THINGS)} for {rng.choice(PLACES)} ({rng.randrange(10_000)})"
            items.append(
                {
                    "text": text,
                    "priority": rng.choice(["P0", "P1", "P2", None]),
                    "owner": rng.choice(["@dana", "@li", "@sam", "@kim", None]),
                }
            )
        docs.append(document(f"pm-{p:04d}", items, incident=start + timedelta(days=4 * p)))
    t0 = time.perf_counter()
    sync_documents(docs, Settings(), database_url=url, environ={})
    elapsed = time.perf_counter() - t0
    store = open_store(url)
    with store.session() as session:  # synced on the incident day; about half closed at random times since
        incidents = {f"pm-{p:04d}": start + timedelta(days=4 * p) for p in range(n_items // per_pm)}
        for event in session.exec(select(Event)).all():
            day = incidents[event.postmortem_id]  # type: ignore[index]
            event.at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            session.add(event)
        for item in session.exec(select(Item)).all():
            if rng.random() < 0.5:
                item.state = rng.choice(["done", "done", "done", "not_doing"])
                item.state_changed_at = datetime(2023, 1, 2, tzinfo=UTC) + timedelta(days=rng.randrange(700))
                session.add(item)
                session.add(
                    Event(
                        postmortem_id=item.postmortem_id,
                        item_id=item.id,
                        kind="state",
                        old="open",
                        new=item.state,
                        at=item.state_changed_at,
                        actor="cli",
                    )
                )
        session.commit()
    store.dispose()
    return elapsed


def best(func, runs: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    print(f"items: {args.items}, database: {url.split('@')[-1]}")
    print(f"build (sync of {args.items // 10} postmortems): {build(url, args.items):.2f} s")
    settings = Settings()
    as_of = settings.today()
    report = audit_snapshot(settings, database_url=url, as_of=as_of)
    print(
        f"audit: {report.overall.items} items, {len(report.recurring)} recurring pairs, "
        f"{len(report.open_over_time)} timeline points"
    )
    print(f"audit_snapshot: {best(lambda: audit_snapshot(settings, database_url=url, as_of=as_of)):.3f} s")

    def html() -> None:
        from remediate.reports.output import audit_html

        audit_html(audit_snapshot(settings, database_url=url, as_of=as_of), None)

    print(f"audit --format html: {best(html):.3f} s")
    print(f"overdue_report: {best(lambda: overdue_report(settings, database_url=url, as_of=as_of)):.3f} s")
    print(f"digest (build): {best(lambda: build_digest_for(settings, database_url=url, as_of=as_of)):.3f} s")


if __name__ == "__main__":
    main()

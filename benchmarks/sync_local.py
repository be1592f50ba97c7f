"""Wall time of `remediate sync` on the local tracker: first sync, no-change re-sync, one edit.

    python benchmarks/sync_local.py [--postgres URL]

Runs in-process through remediate.jobs.sync_paths (what the CLI calls), on a temporary SQLite
file and, if --postgres is given (an admin URL), on a temporary PostgreSQL database. Next to
each first sync: the floor, the same rows (items, tickets, links) inserted in one transaction
in the same run, and the ratio (these machines are noisy; compare ratios).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from remediate.jobs import sync_paths
from remediate.settings import Settings

VERBS = ["Add", "Document", "Automate", "Alert on", "Load-test", "Review", "Rotate", "Audit"]
THINGS = ["queue depth", "pool size", "failover", "DNS TTLs", "certificate expiry", "rollback", "quotas"]


def write_doc(path: Path, n: int, edited: int | None = None) -> None:
    lines = ["# Outage", "", "## Action Items", ""]
    for i in range(n):
        text = f"{VERBS[i % len(VERBS)]} {THINGS[i % len(THINGS)]} for service {i} in region {i % 7}"
        if i == edited:
            text += " before the next release"
        lines.append(f"- {text}")
    path.write_text("\n".join(lines) + "\n")


def timed(fn, repeat: int = 1) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def floor(url: str, n: int) -> float:
    """Seconds to insert what a first sync stores (n items, n tickets, n links) in one transaction."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from remediate.models import Item, Link, LocalTicket, Postmortem
    from remediate.store import open_store

    now = datetime.now(UTC)
    with open_store(url) as store:
        start = time.perf_counter()
        with store.session() as session:
            session.add(Postmortem(id="floor", source="floor.md", content_hash="", first_seen=now, last_seen=now))
            session.flush()
            ids = [f"floor-{i}" for i in range(n)]
            session.execute(
                insert(Item),
                [
                    {"id": i, "postmortem_id": "floor", "content_id": i, "text": i, "first_seen": now, "last_seen": now}
                    for i in ids
                ],
            )
            session.execute(
                insert(LocalTicket),
                [
                    {
                        "item_id": i,
                        "postmortem_id": "floor",
                        "title": i,
                        "body": i,
                        "status": "open",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in ids
                ],
            )
            session.execute(
                insert(Link),
                [{"item_id": i, "tracker": "local", "key": f"LOCAL-{k}", "how": "created"} for k, i in enumerate(ids)],
            )
            session.commit()
        return time.perf_counter() - start


def bench(url: str, n: int, workdir: Path) -> tuple[float, float, float]:
    doc = workdir / f"pm-{n}.md"
    write_doc(doc, n)
    settings = Settings()
    first = timed(lambda: sync_paths([str(doc)], settings, database_url=url, environ={}))
    again = timed(lambda: sync_paths([str(doc)], settings, database_url=url, environ={}), repeat=3)
    write_doc(doc, n, edited=n // 2)
    edit = timed(lambda: sync_paths([str(doc)], settings, database_url=url, environ={}))
    return first, again, edit


def _row(backend: str, n: int, first: float, base: float, again: float, edit: float) -> str:
    return (
        f"{backend:10} {n:>6} {first:>10.2f}s {first / n * 1000:>8.2f} {base / n * 1000:>8.3f} "
        f"{first / base:>8.1f} {again:>8.2f}s {edit:>8.2f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="admin URL, e.g. postgresql+psycopg://postgres@127.0.0.1/postgres")
    parser.add_argument("--sizes", default="10,100,1000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"{'backend':10} {'items':>6} {'first sync':>11} {'ms/item':>8} {'floor':>8} {'x floor':>8} "
        f"{'re-sync':>9} {'one edit':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for n in sizes:
            url = f"sqlite:///{work / f'state-{n}.db'}"
            first, again, edit = bench(url, n, work)
            base = floor(f"sqlite:///{work / f'floor-{n}.db'}", n)
            print(_row("sqlite", n, first, base, again, edit))
        if args.postgres:
            import sqlalchemy as sa

            admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            for n in sizes:
                name = f"remediate_bench_{uuid.uuid4().hex[:8]}"
                with admin.connect() as conn:
                    conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                try:
                    url = admin.url.set(database=name).render_as_string(hide_password=False)
                    first, again, edit = bench(url, n, work)
                    with admin.connect() as conn:
                        conn.execute(sa.text(f'CREATE DATABASE "{name}_floor"'))
                    try:
                        base = floor(admin.url.set(database=f"{name}_floor").render_as_string(hide_password=False), n)
                    finally:
                        with admin.connect() as conn:
                            conn.execute(sa.text(f'DROP DATABASE "{name}_floor" WITH (FORCE)'))
                    print(_row("postgresql", n, first, base, again, edit))
                finally:
                    with admin.connect() as conn:
                        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()

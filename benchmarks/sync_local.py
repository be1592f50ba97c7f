"""Wall time of `remediate sync` on the local tracker: first sync, no-change re-sync, one edit.

    python benchmarks/sync_local.py [--postgres URL]

Runs in-process through remediate.jobs.sync_paths (what the CLI calls), on a temporary SQLite
file and, if --postgres is given (an admin URL), on a temporary PostgreSQL database.
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


def bench(url: str, n: int, workdir: Path) -> tuple[float, float, float]:
    doc = workdir / f"pm-{n}.md"
    write_doc(doc, n)
    settings = Settings()
    first = timed(lambda: sync_paths([str(doc)], settings, database_url=url, environ={}))
    again = timed(lambda: sync_paths([str(doc)], settings, database_url=url, environ={}), repeat=3)
    write_doc(doc, n, edited=n // 2)
    edit = timed(lambda: sync_paths([str(doc)], settings, database_url=url, environ={}))
    return first, again, edit


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="admin URL, e.g. postgresql+psycopg://postgres@127.0.0.1/postgres")
    parser.add_argument("--sizes", default="10,100,1000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'backend':10} {'items':>6} {'first sync':>11} {'re-sync':>9} {'one edit':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for n in sizes:
            url = f"sqlite:///{work / f'state-{n}.db'}"
            first, again, edit = bench(url, n, work)
            print(f"{'sqlite':10} {n:>6} {first:>10.2f}s {again:>8.2f}s {edit:>8.2f}s")
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
                    print(f"{'postgresql':10} {n:>6} {first:>10.2f}s {again:>8.2f}s {edit:>8.2f}s")
                finally:
                    with admin.connect() as conn:
                        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()

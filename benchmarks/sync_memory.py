"""Peak memory of a first `remediate sync` of a directory of postmortems on the local tracker.

    python benchmarks/sync_memory.py [--sizes 1000,10000,100000] [--per-doc 10] [--postgres URL]

Writes N items in N/--per-doc postmortem files under a temporary directory, then runs
`python -m remediate sync DIR --format json` in a child process on a fresh SQLite file (and on a
scratch PostgreSQL database when --postgres names an admin URL) and reads the child's peak
resident set size from the kernel (``wait4``'s ``ru_maxrss``). A sync that streams documents keeps
this flat as the number of postmortems grows; the table prints the growth per 10x.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

VERBS = ["Add", "Document", "Automate", "Alert on", "Load-test", "Review", "Rotate", "Audit"]
THINGS = ["queue depth", "pool size", "failover", "DNS TTLs", "certificate expiry", "rollback", "quotas"]


def write_docs(root: Path, n_items: int, per_doc: int) -> None:
    for d in range(n_items // per_doc):
        lines = [f"# Outage {d}", "", "Date: 2026-01-15", "", "## Action Items", ""]
        for i in range(per_doc):
            n = d * per_doc + i
            lines.append(f"- {VERBS[n % len(VERBS)]} {THINGS[n % len(THINGS)]} for service {n} in region {n % 7}")
        (root / f"pm-{d:06d}.md").write_text("\n".join(lines) + "\n")


def peak_sync(docs: Path, db_url: str, home: Path) -> tuple[float, float, int]:
    """(peak RSS in MiB, seconds, exit code) of one first sync."""
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "c"), "XDG_DATA_HOME": str(home / "d")}
    env.pop("REMEDIATE_CONFIG", None)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "remediate", "sync", str(docs), "--db", db_url, "--format", "json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=home,
    )  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"sync failed ({code}): {proc.stderr.read().decode()[-500:] if proc.stderr else ''}")
    return usage.ru_maxrss / 1024, elapsed, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--per-doc", type=int, default=10)
    parser.add_argument("--postgres", help="admin URL, e.g. postgresql+psycopg://postgres@127.0.0.1/postgres")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "docs").mkdir()
            write_docs(root / "docs", n, args.per_doc)
            backends = [("SQLite", f"sqlite:///{root / 'r.db'}")]
            if args.postgres:
                import sqlalchemy as sa

                name = f"bench_mem_{uuid.uuid4().hex[:8]}"
                admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                backends.append(("PostgreSQL", args.postgres.rsplit("/", 1)[0] + f"/{name}"))
            try:
                for label, url in backends:
                    mib, seconds, _ = peak_sync(root / "docs", url, root)
                    rows.append((label, n, n // args.per_doc, mib, seconds))
                    print(
                        f"{label:10s} {n:>7,} items {n // args.per_doc:>6,} docs  peak {mib:7.1f} MiB  {seconds:7.1f} s",
                        flush=True,
                    )
            finally:
                if args.postgres:
                    with admin.connect() as conn:
                        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print()
    print("| backend | items | postmortems | peak RSS | growth per 10x | seconds | ms per item |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    previous: dict[str, float] = {}
    for label, n, docs, mib, seconds in rows:
        growth = f"{mib / previous[label]:.2f}x" if label in previous else "-"
        previous[label] = mib
        print(f"| {label} | {n:,} | {docs:,} | {mib:.0f} MiB | {growth} | {seconds:.1f} | {1000 * seconds / n:.2f} |")


if __name__ == "__main__":
    main()

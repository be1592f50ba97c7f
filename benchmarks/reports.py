"""Time the reports at organisation scale: status, overdue, digest, audit json and audit html.

    python benchmarks/reports.py [--sizes 1000,10000,100000] [--postgres URL | --no-postgres] [--runs 3]
                                 [--pg-prefix NAME]

Each database holds N items in N/10 postmortems, written in bulk by ``tests/scale.py`` (texts
with repeats and near-duplicates, states, due dates, links, events). Each command runs through
the CLI in this process (``typer.testing.CliRunner``; interpreter start-up and imports, about
0.5 s, are not counted), output discarded; the best of ``--runs``. The table gives seconds and
the growth per 10x more items (linear work: ~10x; quadratic: ~100x).

PostgreSQL: a scratch database is created on the server of ``--postgres`` (default: the local
one the tests use), one per size named ``<--pg-prefix>_<size>``, and dropped afterwards; skipped
when the server cannot be reached. The load average is printed with the table: on a shared
machine, compare only times taken in one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import scale

COMMANDS = {
    "status": ["status"],
    "overdue": ["overdue", "--as-of", scale.AS_OF.isoformat()],
    "digest": ["digest", "--as-of", scale.AS_OF.isoformat()],
    "audit json": ["audit", "--format", "json", "--as-of", scale.AS_OF.isoformat()],
    "audit html": ["audit", "--format", "html", "--as-of", scale.AS_OF.isoformat()],
}
DEFAULT_POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def run(args: list[str]) -> float:
    from typer.testing import CliRunner

    from remediate.cli import app

    start = time.perf_counter()
    result = CliRunner().invoke(app, args)
    elapsed = time.perf_counter() - start
    if result.exit_code != 0:
        raise SystemExit(f"{' '.join(args)} failed: {result.output[-500:]}")
    return elapsed


def measure(url: str, sizes: list[int], runs: int, label: str) -> dict[int, dict[str, float]]:
    times: dict[int, dict[str, float]] = {}
    for n in sizes:
        db = url(n) if callable(url) else url  # type: ignore[operator]
        start = time.perf_counter()
        scale.fill(db, n)
        print(f"{label} {n:>7,} items: filled in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        times[n] = {}
        for name, args in COMMANDS.items():
            times[n][name] = min(run([*args, "--db", db]) for _ in range(runs if n < 100_000 else 1))
            print(f"  {name}: {times[n][name]:.2f} s", file=sys.stderr)
    return times


def table(label: str, times: dict[int, dict[str, float]]) -> str:
    sizes = sorted(times)
    head = ["database", "report", *[f"{n:,} items" for n in sizes]]
    head += [f"x per 10x ({a // 1000}k->{b // 1000}k)" for a, b in zip(sizes, sizes[1:], strict=False)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in COMMANDS:
        cells = [label, name, *[f"{times[n][name]:.2f} s" for n in sizes]]
        cells += [f"{times[b][name] / times[a][name]:.1f}x" for a, b in zip(sizes, sizes[1:], strict=False)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--pg-prefix", default=f"remediate_bench_{uuid.uuid4().hex[:10]}")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    tmp = tempfile.mkdtemp()
    results = [("SQLite", measure(lambda n: f"sqlite:///{tmp}/reports-{n}.db", sizes, args.runs, "SQLite"))]  # type: ignore[arg-type]
    if not args.no_postgres:
        import sqlalchemy as sa

        try:
            admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except Exception as exc:  # no driver or no server: say so, keep the SQLite table
            print(f"PostgreSQL skipped: {exc.__class__.__name__}", file=sys.stderr)
        else:
            names = {n: f"{args.pg_prefix}_{n}" for n in sizes}
            with admin.connect() as conn:
                for name in names.values():
                    conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            try:
                results.append(
                    (
                        "PostgreSQL",
                        measure(
                            lambda n: admin.url.set(database=names[n]).render_as_string(hide_password=False),
                            sizes,
                            args.runs,
                            "PostgreSQL",
                        ),  # type: ignore[arg-type]
                    )
                )
            finally:
                with admin.connect() as conn:
                    for name in names.values():
                        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Reports, seconds in process (best of {args.runs}; one run at 100k); {os.cpu_count()} cores, load {load}")
    for label, times in results:
        print()
        print(table(label, times))
    if len(results) == 2:
        print()
        biggest = max(sizes)
        ratios = [results[1][1][biggest][c] / results[0][1][biggest][c] for c in COMMANDS]
        print(
            f"PostgreSQL / SQLite at {biggest:,} items: "
            + ", ".join(f"{c} {r:.2f}x" for c, r in zip(COMMANDS, ratios, strict=True))
        )


if __name__ == "__main__":
    main()

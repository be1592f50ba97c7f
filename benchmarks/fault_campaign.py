"""The fault campaign of tests/test_fault_campaign.py at larger sizes, with its figures printed.

Run from the repository root: ``python benchmarks/fault_campaign.py [--items 1000] [--kill-points 60]``.

Same scenarios, same code (tests/campaign.py), bigger: ``--items`` items at ``--rate`` faults on
GitHub, Jira Cloud, Jira Data Center and GitLab; the CLI SIGKILLed at each of the first
``--kill-points`` requests, once with the write it dies on applied and once not, then rerun;
2, 4 and 8 syncs at once on one SQLite database (and PostgreSQL when ``--postgres URL`` points
at a server's admin database); a fresh database against the populated tracker; two databases
at once followed by ``dedupe --apply``. Waits advance the fakes' clocks, so the time is the
client's and the fakes' work, not backoff. Exits 1 if any scenario lost or duplicated an item.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.campaign import (  # noqa: E402 (after the path setup)
    Figures,
    concurrent_scenario,
    faults_scenario,
    fresh_scenario,
    kill_scenario,
    table,
    two_databases_scenario,
)


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A throw-away database on the server of ``admin_url``."""
    import sqlalchemy as sa

    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"remediate_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000, help="items per fault scenario (default 1000)")
    parser.add_argument("--rate", type=float, default=0.2, help="fault rate (default 0.2)")
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--kill-points", type=int, default=60, help="kill at each of the first N requests")
    parser.add_argument("--kill-items", type=int, default=40, help="items of the killed syncs")
    parser.add_argument("--kill-trackers", default="github,jira-cloud,jira-dc", help="trackers of the killed syncs")
    parser.add_argument("--workers", default="2,4,8", help="concurrent syncs on one database")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL admin URL for the concurrent runs")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--only", help="comma-separated scenarios: faults,kills,concurrent,fresh,race")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # the connectors' retry warnings; failures are in the figures
    wanted = set((args.only or "faults,kills,concurrent,fresh,race").split(","))
    rows: list[Figures] = []
    problems: list[str] = []

    def report(figures: Figures, ok: bool, detail: object = "") -> None:
        rows.append(figures)
        print(table([figures.to_json()])[0], flush=True)
        if not ok:
            problems.append(f"{figures.scenario} / {figures.tracker}: {detail}")

    def scratch(run: Callable[[Path], Any]) -> Any:
        with tempfile.TemporaryDirectory(prefix="fault-campaign-") as tmp:
            return run(Path(tmp))

    trackers = ("github", "jira-cloud", "jira-dc", "gitlab")
    if "faults" in wanted:
        for kind in trackers:
            figures, verdict, created = scratch(
                lambda w, k=kind: faults_scenario(k, args.items, args.rate, args.seed, w)
            )
            report(figures, verdict.ok and created == 0, f"{verdict}; clean rerun created {created}")
    if "kills" in wanted:
        points = list(range(1, args.kill_points + 1))
        for kind in args.kill_trackers.split(","):
            figures, failures = scratch(lambda w, k=kind: kill_scenario(k, args.kill_items, points, w, both=True))
            report(figures, not failures, failures[:3])
    if "concurrent" in wanted:
        for workers in (int(n) for n in args.workers.split(",")):
            figures, verdict, errors = scratch(
                lambda w, n=workers: concurrent_scenario(
                    n, f"sqlite:///{w / 'state.db'}", args.items // 4, args.rate, args.seed, w
                )
            )
            report(figures, verdict.ok and not errors, f"{verdict} {errors[:2]}")
            if args.postgres:
                with postgres_database(args.postgres) as url:
                    figures, verdict, errors = scratch(
                        lambda w, n=workers, u=url: concurrent_scenario(n, u, args.items // 4, args.rate, args.seed, w)
                    )
                report(figures, verdict.ok and not errors, f"{verdict} {errors[:2]}")
    if "fresh" in wanted:
        for kind in ("github", "jira-cloud", "jira-dc", "gitlab"):
            figures, verdict, created, same = scratch(
                lambda w, k=kind: fresh_scenario(k, args.items // 2, args.rate, args.seed, w)
            )
            report(figures, verdict.ok and created == 0 and same, f"{verdict}; created {created}")
    if "race" in wanted:
        for kind in ("github", "jira-cloud", "jira-dc"):
            outcome = scratch(lambda w, k=kind: two_databases_scenario(k, args.items // 4, args.rate, args.seed, w))
            raced = sum(len(keys) - 1 for keys in outcome.raced.duplicated.values())
            ok = outcome.verdict.ok and not outcome.errors and not outcome.raced.lost and outcome.rescan == 0
            report(outcome.figures, ok and outcome.figures.closed_by_dedupe == raced, outcome.verdict)
    totals = {
        "runs": sum(f.runs for f in rows),
        "failed_runs": sum(f.failed_runs for f in rows),
        "requests": sum(f.requests for f in rows),
        "faults": sum(v for f in rows for k, v in f.faults.items() if k not in ("kill", "after-kill")),
        "kills": sum(f.kills for f in rows),
        "lost": sum(f.lost for f in rows),
        "duplicates": sum(f.duplicates for f in rows),
        "closed_by_dedupe": sum(f.closed_by_dedupe for f in rows),
    }
    print("totals:", json.dumps(totals))
    by_kind: dict[str, int] = {}
    for figures in rows:
        for kind, n in figures.faults.items():
            by_kind[kind] = by_kind.get(kind, 0) + n
    print("faults by kind:", json.dumps(dict(sorted(by_kind.items()))))
    if args.json:
        args.json.write_text(json.dumps([f.to_json() for f in rows], indent=2) + "\n", encoding="utf-8")
    for problem in problems:
        print("PROBLEM:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

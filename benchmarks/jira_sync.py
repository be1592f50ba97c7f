"""Request counts and wall time of the Jira connector against the fake Jira, with latency.

Run from the repository root: ``python benchmarks/jira_sync.py [--latency 0.05] [--sizes 10,50,200]``.
Each phase runs on a fresh fake with every request delayed by ``--latency`` seconds (default
50 ms, a typical round trip to Jira Cloud), so wall time is dominated by request count:

- create: first sync of N items (bulk create, 50 per request, one remote link per issue);
- refresh: state refresh after 10% of the issues changed (incremental JQL);
- full: full state refresh (since = None);
- resync: a no-change re-sync (update with nothing changed): must be 0 requests.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from remediate.connectors import ConnectorContext, MemoryCache, load  # noqa: E402
from remediate.testing import make_draft as draft  # noqa: E402
from tests.fakes.jira import FakeJira  # noqa: E402


def _connector(fake: FakeJira) -> object:
    env = {"JIRA_URL": fake.base}
    if fake.mode == "cloud":
        env.update(JIRA_USER=fake.email, JIRA_API_TOKEN=fake.api_token)
    else:
        env["JIRA_PAT"] = fake.pat
    context = ConnectorContext(env=env, options={"project": "OPS"}, cache=MemoryCache())
    return load("jira", {}, context)


def run(mode: str, size: int, latency: float) -> list[tuple[str, int, int, float]]:
    """(phase, requests, writes, seconds) for one mode and size."""
    rows = []
    fake = FakeJira(mode, validate=False)  # validation is a test concern, not part of the timing
    with fake.serve():
        connector = _connector(fake)
        drafts = [draft(n) for n in range(size)]
        fake.latency = latency
        start = time.perf_counter()
        refs = [c.ref for c in connector.create(drafts)]  # type: ignore[attr-defined]
        rows.append(("create", len(fake.requests), len(fake.writes()), time.perf_counter() - start))

        fake.latency = 0
        fake.age_all(timedelta(hours=2))
        for ref in refs[: max(1, size // 10)]:
            fake.set_status(ref.key, "Done")
        since = datetime.now(UTC) - timedelta(hours=1)
        for phase, when in (("refresh", since), ("full", None)):
            fake.requests.clear()
            fake.latency = latency
            start = time.perf_counter()
            list(connector.states(refs, when))  # type: ignore[attr-defined]
            rows.append((phase, len(fake.requests), len(fake.writes()), time.perf_counter() - start))
            fake.latency = 0

        fake.requests.clear()
        fake.latency = latency
        start = time.perf_counter()
        for ref, item in zip(refs, drafts, strict=True):
            connector.update(ref, item, frozenset())  # type: ignore[attr-defined]
        rows.append(("resync", len(fake.requests), len(fake.writes()), time.perf_counter() - start))
    return rows


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    parser.add_argument("--sizes", default="10,50,200", help="comma-separated item counts")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"Jira connector against the fake, {args.latency * 1000:.0f} ms per request")
    print(f"{'mode':<11} {'N':>4}  {'phase':<8} {'requests':>8} {'writes':>6} {'seconds':>8}")
    for mode in ("cloud", "datacenter"):
        for size in sizes:
            for phase, requests, writes, seconds in run(mode, size, args.latency):
                print(f"{mode:<11} {size:>4}  {phase:<8} {requests:>8} {writes:>6} {seconds:>8.2f}")


if __name__ == "__main__":
    main()

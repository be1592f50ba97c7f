"""Request counts and wall time of the Jira connector against the fake Jira, with latency.

Run: ``python benchmarks/jira_sync.py [--latency 0.05] [--sizes 10,50,200] [--postmortems 5]``.
It imports this checkout's ``src/`` and ``connectors/`` (not whatever is installed). Each mode
runs on a fresh fake with every request delayed by ``--latency`` seconds (default 50 ms, a
typical round trip to Jira Cloud), so wall time is dominated by request count. The connector is
used with its defaults (one epic per postmortem):

- create: first sync of N items over P postmortems in one create call: the epics' bulk create,
  their remote links, then the items' bulk creates (50 per request, parent in the payload);
- group: the engine's sync_group per postmortem (each epic's description lists its items);
- refresh: state refresh after k = 10% of the issues changed (incremental JQL);
- again: the same refresh once more (the margin lists the k again; none is reported);
- full: full state refresh (since = None);
- resync: a no-change re-sync (update with nothing changed): must be 0 requests.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# This checkout first: the shared environment may have another checkout installed.
for path in (REPO, REPO / "connectors", REPO / "src"):
    sys.path.insert(0, str(path))

from dataclasses import replace  # noqa: E402

from remediate.connectors import ConnectorContext, MemoryCache, load  # noqa: E402
from remediate.testing import POSTMORTEM  # noqa: E402
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


def run(mode: str, size: int, postmortems: int, latency: float) -> list[tuple[str, int, int, int, float]]:
    """(phase, requests, writes, states reported, seconds) for one mode and size."""
    rows = []
    fake = FakeJira(mode, validate=False)  # validation is a test concern, not part of the timing
    with fake.serve():
        connector: Any = _connector(fake)
        pms = [replace(POSTMORTEM, id=f"{POSTMORTEM.id}-{p}") for p in range(postmortems)]
        drafts = [draft(n, postmortem=pms[n % postmortems]) for n in range(size)]

        def phase(name: str, work: Callable[[], int]) -> None:
            fake.requests.clear()
            fake.latency = latency
            start = time.perf_counter()
            reported = work()
            rows.append((name, len(fake.requests), len(fake.writes()), reported, time.perf_counter() - start))
            fake.latency = 0

        refs: list[Any] = []

        def create() -> int:
            refs.extend(c.ref for c in connector.create(drafts))
            return 0

        phase("create", create)

        def group() -> int:
            for pm in pms:
                members = [r for r, d in zip(refs, drafts, strict=True) if d.postmortem.id == pm.id]
                connector.sync_group(pm, None, members)
            return 0

        phase("group", group)
        fake.age_all(timedelta(hours=2))
        for ref in refs[: max(1, size // 10)]:
            fake.set_status(ref.key, "Done")
        since = datetime.now(UTC) - timedelta(hours=1)
        phase("refresh", lambda: len(list(connector.states(refs, since))))
        phase("again", lambda: len(list(connector.states(refs, since))))
        phase("full", lambda: len(list(connector.states(refs, None))))

        def resync() -> int:
            for ref, item in zip(refs, drafts, strict=True):
                connector.update(ref, item, frozenset())
            return 0

        phase("resync", resync)
    return rows


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    parser.add_argument("--sizes", default="10,50,200", help="comma-separated item counts")
    parser.add_argument("--postmortems", type=int, default=5, help="postmortems the items come from (P)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"Jira connector against the fake, {args.latency * 1000:.0f} ms per request, P = {args.postmortems}")
    print()
    print("| mode | N | phase | requests | writes | reported | seconds |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for mode in ("cloud", "datacenter"):
        for size in sizes:
            for phase, requests, writes, reported, seconds in run(mode, size, args.postmortems, args.latency):
                print(f"| {mode} | {size} | {phase} | {requests} | {writes} | {reported} | {seconds:.2f} |")


if __name__ == "__main__":
    main()

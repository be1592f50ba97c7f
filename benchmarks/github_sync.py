"""Request counts and time of the GitHub connector against the fake GitHub, for N = 10, 50, 200 items.

Run from the repository root: ``python benchmarks/github_sync.py [--latency 0.05]``.

Each answer of the fake is delayed by ``--latency`` real seconds (50 ms by default, about a
round trip to api.github.com), so wall time is dominated by the number of requests. The fake
enforces GitHub's content-creation limit (80 a minute): unpaced runs hit it and wait, paced
runs (GitHub's recommended 1 s between writes, the default) do not. Waits never really sleep:
they advance the fake's clock, reported as "GitHub time" (what the run would take for real).
The fake's OpenAPI check is off here (it costs the fake, not the connector, ~5 ms a request).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from remediate_github import GitHubConnector
from remediate_github.config import Config

from remediate.connectors import ConnectorContext, MemoryCache, TicketRef
from remediate.testing import POSTMORTEM, make_draft
from tests.fakes.github import FakeGitHub

REPO = "acme/api"


def connector(fake: FakeGitHub, cache: MemoryCache, write_interval: float) -> GitHubConnector:
    """A connector on the fake, paced as asked, sleeping on the fake's clock."""
    config = Config.model_validate({"repo": REPO, "pacing": {"write_interval": write_interval}})
    context = ConnectorContext(env={"GITHUB_TOKEN": fake.token, "GITHUB_API_URL": fake.base_url}, cache=cache)
    return GitHubConnector(config, context, clock=fake.now, sleep=fake.advance)


def first_sync(fake: FakeGitHub, gh: GitHubConnector, count: int) -> list[TicketRef]:
    """Create ``count`` items and the tracking issue, as the engine does for a new postmortem."""
    refs = [c.ref for c in gh.create([make_draft(n) for n in range(count)])]
    gh.sync_group(POSTMORTEM, None, refs)
    return refs


def measure(count: int, latency: float) -> dict[str, float]:
    """One row of the table."""
    row: dict[str, float] = {"N": count}
    with FakeGitHub(latency=latency, tick=latency, validate=False) as fake:
        fake.add_repo(REPO)
        cache = MemoryCache()
        gh = connector(fake, cache, 0.0)

        start, begin = time.perf_counter(), fake.now()
        refs = first_sync(fake, gh, count)
        row["1st sync req"] = len(fake.requests)
        row["1st writes"] = fake.count() - fake.count("GET")
        row["2nd-ary hits"] = fake.count(status=403)
        row["1st wall s"] = time.perf_counter() - start
        row["1st GitHub s"] = fake.now() - begin

        list(gh.states(refs, None))  # the engine's first read after filing: a full one
        fake.advance(60)
        list(gh.states(refs, datetime.fromtimestamp(fake.now(), UTC)))  # sets up the ETag
        fake.advance(60)
        since = datetime.fromtimestamp(fake.now(), UTC)
        fake.reset_log()
        start = time.perf_counter()
        assert list(connector(fake, cache, 0.0).states(refs, since)) == []
        assert [r.status for r in fake.requests] == [304]
        row["re-sync req"] = len(fake.requests)
        row["re-sync ms"] = (time.perf_counter() - start) * 1000

        changed = max(1, count // 10)
        fake.advance(1)
        for issue in fake.all_issues(REPO)[:changed]:
            fake.set_state(REPO, issue.number, "closed", "completed")
        fake.reset_log()
        start = time.perf_counter()
        states = list(gh.states(refs, since))
        assert len(states) == changed
        row["k changed"] = changed
        row["refresh req"] = len(fake.requests)
        row["refresh ms"] = (time.perf_counter() - start) * 1000

    with FakeGitHub(latency=0.0, tick=latency, validate=False) as fake:
        fake.add_repo(REPO)
        paced = connector(fake, MemoryCache(), 1.0)
        begin = fake.now()
        first_sync(fake, paced, count)
        row["paced 2nd-ary"] = fake.count(status=403)
        row["paced GitHub s"] = fake.now() - begin
    return row


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every answer")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200])
    args = parser.parse_args()
    logging.getLogger("remediate.github").setLevel(logging.ERROR)  # waits are counted, not logged
    rows = [measure(n, args.latency) for n in args.sizes]
    columns = list(rows[0])
    print(f"GitHub connector against the fake, {args.latency * 1000:.0f} ms per request")
    width = max(len(c) for c in columns)
    print(" | ".join(f"{c:>{width}}" for c in columns))
    for row in rows:
        print(
            " | ".join(
                f"{row[c]:>{width}.0f}"
                if c.endswith(("req", "hits", "writes", "ary", "N", "changed", "ms"))
                else f"{row[c]:>{width}.1f}"
                for c in columns
            )
        )


if __name__ == "__main__":
    main()

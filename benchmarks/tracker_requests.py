"""Tracker request counts at organisation scale, next to the floor and a naive baseline (issue 13).

Run from the repository root: ``python benchmarks/tracker_requests.py [--sizes 1000 10000]
[--trackers github cloud datacenter]``. It imports this checkout's ``src/`` and ``connectors/``.

For GitHub, Jira Cloud and Jira Data Center, N items spread over P = N/10 postmortems (10 items
each, like a real organisation) go through the connector calls the engine makes, against the
stateful fakes (tests/fakes/github.py, tests/fakes/jira.py) with no latency: request counts do
not depend on latency, only wall time does. The phases, in order, on one fake:

- ``first sync``: ``create`` in the engine's chunks of ``CREATE_CHUNK`` (50) drafts, then
  ``sync_group`` once per postmortem (no group yet);
- ``no-change re-sync``: ``update(ref, draft, {})`` for every item and ``sync_group`` with the
  group and the same members for every postmortem (the engine skips both by its own hashes;
  this is what they cost when called);
- ``full refresh``: ``states(refs, None)``, the engine's first read on a new database;
- ``no-change refresh, 1st``: the next incremental read, nothing changed (GitHub: the read that
  sets up the ETag; Jira: the batch just filed is inside the window's margin);
- ``no-change refresh``: an incremental read later on, nothing changed since the last one;
- ``1% refresh``: an incremental read after k = N/100 tickets changed on the tracker.

Columns. ``304`` counts GitHub's answers to conditional requests (they cost no rate limit).
``floor`` is computed from issue 13's words, per phase:

- GitHub first sync: N creates + N sub-issue links + P tracking issues (each written complete)
  + the labels, each created once (remediation, in-progress, the tracking label, and one label
  per postmortem: 3 + P) + 1 repository read; no per-item read;
- Jira first sync: ceil(N/50) bulk creates of the items (parent in the payload) + ceil(P/50) bulk
  creates of the epics + one remote link per epic (P) + the constant reads (serverInfo, the
  project's issue types, one key watermark; Data Center's Epic Link field): 3, 4 on Data Center;
- no-change re-sync: 0 (nothing to send, nothing that needs reading);
- full refresh: ceil(N/100), one page of 100 per ticket listed (both list the N items by their
  label, which the tracking issues and epics do not carry);
- no-change refresh: 1 request (GitHub: the conditional list, answered 304 once the ETag exists;
  Jira: the one empty search page that says nothing changed), never a re-listing;
- refresh with k changed: ceil(k/100) pages, no re-listing of what did not change.

``naive`` is a connector without batching, conditional requests or incremental reads: first
sync one create, one read-back and one parent link per item plus one create per postmortem
(3N + P); re-sync one GET per ticket and per group to compare (N + P); every refresh one GET
per ticket (N). ``x floor`` is requests / floor.

GitHub's secondary limit of 500 content-creating requests an hour is switched off in the fake
here (``content_limits=False``): at N = 1,000 the first sync's 2N + 2P POSTs would take real
GitHub about 5 hours whatever the request count. The connector paces writes at its default of
one a second on the fake's clock, so the pacing never really sleeps.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
for path in (REPO_ROOT, REPO_ROOT / "connectors", REPO_ROOT / "src"):
    sys.path.insert(0, str(path))

from benchmarks.github_sync import REPO  # noqa: E402
from benchmarks.github_sync import connector as github_connector  # noqa: E402
from benchmarks.jira_sync import _connector as jira_connector  # noqa: E402
from remediate.connectors import MemoryCache, PostmortemInfo, TicketDraft, TicketRef  # noqa: E402
from remediate.sync import CREATE_CHUNK  # noqa: E402
from remediate.testing import POSTMORTEM, make_draft  # noqa: E402
from tests.fakes.github import FakeGitHub  # noqa: E402
from tests.fakes.jira import FakeJira  # noqa: E402

#: Action items per postmortem.
PER_POSTMORTEM = 10
#: Tickets per list or search page (GitHub's and Jira Cloud's maximum with fields).
PAGE = 100
#: Jira's bulk-create limit.
BULK = 50

PHASES = (
    "first sync",
    "no-change re-sync",
    "full refresh",
    "no-change refresh, 1st",
    "no-change refresh",
    "1% refresh",
)


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    tracker: str
    n: int
    phase: str
    requests: int
    not_modified: int | None  # GitHub's 304s; None on Jira (no conditional requests there)
    floor: int
    naive: int
    seconds: float

    @property
    def x_floor(self) -> float:
        return self.requests / self.floor if self.floor else (0.0 if self.requests == 0 else math.inf)


def drafts_for(count: int) -> tuple[list[PostmortemInfo], list[TicketDraft]]:
    """``count`` drafts over ``count / PER_POSTMORTEM`` postmortems, each postmortem's items together."""
    postmortems = [
        replace(POSTMORTEM, id=f"{POSTMORTEM.id}-{p}", title=f"Outage {p}")
        for p in range(math.ceil(count / PER_POSTMORTEM))
    ]
    drafts = [make_draft(n, postmortem=postmortems[n // PER_POSTMORTEM]) for n in range(count)]
    return postmortems, drafts


def chunks(drafts: Sequence[TicketDraft]) -> Iterator[Sequence[TicketDraft]]:
    """The engine's create calls: ``CREATE_CHUNK`` drafts each, in document order."""
    for start in range(0, len(drafts), CREATE_CHUNK):
        yield drafts[start : start + CREATE_CHUNK]


def members(drafts: Sequence[TicketDraft], refs: Sequence[TicketRef]) -> dict[str, list[TicketRef]]:
    """{postmortem id: its items' refs}."""
    out: dict[str, list[TicketRef]] = {}
    for item, ref in zip(drafts, refs, strict=True):
        out.setdefault(item.postmortem.id, []).append(ref)
    return out


def floors(tracker: str, n: int, p: int) -> dict[str, int]:
    """The floor of every phase (see the module docstring)."""
    k = n // 100
    if tracker == "github":
        first = n + n + p + (3 + p) + 1
    else:
        first = math.ceil(n / BULK) + math.ceil(p / BULK) + p + (4 if tracker == "datacenter" else 3)
    return {
        "first sync": first,
        "no-change re-sync": 0,
        "full refresh": math.ceil(n / PAGE),
        "no-change refresh, 1st": 1,
        "no-change refresh": 1,
        "1% refresh": max(1, math.ceil(k / PAGE)),
    }


def naive(n: int, p: int) -> dict[str, int]:
    """The naive baseline of every phase (see the module docstring)."""
    return {
        "first sync": 3 * n + p,
        "no-change re-sync": n + p,
        **{phase: n for phase in PHASES[2:]},
    }


class Synced:
    """The engine's first sync and no-change re-sync of ``drafts``, and the refs and groups they leave."""

    def __init__(self, postmortems: Sequence[PostmortemInfo], drafts: Sequence[TicketDraft]) -> None:
        self.postmortems, self.drafts = postmortems, drafts
        self.refs: list[TicketRef] = []
        self.groups: dict[str, TicketRef | None] = {}

    def first_sync(self, connector: Any) -> None:
        """Creates in the engine's chunks, then each postmortem's tracking ticket."""
        for chunk in chunks(self.drafts):
            self.refs.extend(c.ref for c in connector.create(chunk))
        by_pm = members(self.drafts, self.refs)
        for pm in self.postmortems:
            self.groups[pm.id] = connector.sync_group(pm, None, by_pm[pm.id])

    def resync(self, connector: Any) -> None:
        """Every ticket updated with nothing changed, every group synced again."""
        for ref, item in zip(self.refs, self.drafts, strict=True):
            connector.update(ref, item, frozenset())
        by_pm = members(self.drafts, self.refs)
        for pm in self.postmortems:
            connector.sync_group(pm, self.groups[pm.id], by_pm[pm.id])


class Meter:
    """Runs the phases and counts the fake's requests for each."""

    def __init__(self, tracker: str, n: int, p: int, requests: Callable[[], list[Any]], clear: Callable[[], None]):
        self.tracker, self.n = tracker, n
        self.requests, self.clear = requests, clear
        self.floor, self.naive = floors(tracker, n, p), naive(n, p)
        self.rows: list[Row] = []

    def phase(self, name: str, work: Callable[[], object]) -> Any:
        self.clear()
        start = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - start
        recorded = self.requests()
        not_modified = sum(1 for r in recorded if r.status == 304) if self.tracker == "github" else None
        self.rows.append(
            Row(self.tracker, self.n, name, len(recorded), not_modified, self.floor[name], self.naive[name], seconds)
        )
        return result


def github(n: int) -> list[Row]:
    """The phases on the fake GitHub."""
    postmortems, drafts = drafts_for(n)
    k = n // 100
    # tick: fake seconds per request, so timestamps move as they would.
    with FakeGitHub(tick=0.05, validate=False, content_limits=False) as fake:
        fake.add_repo(REPO)
        cache = MemoryCache()  # the engine's persistent cache, shared by every run
        meter = Meter("github", n, len(postmortems), lambda: fake.requests, fake.reset_log)

        def run() -> Any:  # a new run of the engine: a new connector on the same cache
            return github_connector(fake, cache, 1.0)

        def since() -> datetime:
            return datetime.fromtimestamp(fake.now(), UTC)

        synced = Synced(postmortems, drafts)
        meter.phase("first sync", lambda: synced.first_sync(run()))
        meter.phase("no-change re-sync", lambda: synced.resync(run()))
        refs = synced.refs
        fake.advance(600)
        assert len(meter.phase("full refresh", lambda: list(run().states(refs, None)))) == n
        fake.advance(600)
        now = since()
        assert meter.phase("no-change refresh, 1st", lambda: list(run().states(refs, now))) == []
        fake.advance(600)
        now = since()
        assert meter.phase("no-change refresh", lambda: list(run().states(refs, now))) == []
        fake.advance(600)
        now = since()
        fake.advance(1)
        for ref in refs[::100]:  # every 100th item: spread over the repository
            fake.set_state(REPO, int(ref.key.rsplit("#", 1)[1]), "closed", "completed")
        assert len(meter.phase("1% refresh", lambda: list(run().states(refs, now)))) == k
        return meter.rows


def jira(mode: str, n: int) -> list[Row]:
    """The phases on the fake Jira (``mode``: cloud or datacenter)."""
    postmortems, drafts = drafts_for(n)
    k = n // 100
    fake = FakeJira(mode, validate=False)  # validation is a test concern
    with fake.serve():
        meter = Meter(mode, n, len(postmortems), lambda: fake.requests, fake.requests.clear)
        connector: Any = jira_connector(fake)  # one connector: its MemoryCache is the persistent cache
        synced = Synced(postmortems, drafts)
        meter.phase("first sync", lambda: synced.first_sync(connector))
        meter.phase("no-change re-sync", lambda: synced.resync(connector))
        refs = synced.refs
        assert len(meter.phase("full refresh", lambda: list(connector.states(refs, None)))) == n
        now = datetime.now(UTC)  # right after the sync: the batch is inside the margin
        assert meter.phase("no-change refresh, 1st", lambda: list(connector.states(refs, now))) == []
        fake.age_all(timedelta(hours=2))  # the next run, later on
        since = datetime.now(UTC) - timedelta(hours=1)
        assert meter.phase("no-change refresh", lambda: list(connector.states(refs, since))) == []
        for ref in refs[::100]:
            fake.set_status(ref.key, "Done")
        assert len(meter.phase("1% refresh", lambda: list(connector.states(refs, since)))) == k
        return meter.rows


RUNNERS: dict[str, Callable[[int], list[Row]]] = {
    "github": github,
    "cloud": lambda n: jira("cloud", n),
    "datacenter": lambda n: jira("datacenter", n),
}
NAMES = {"github": "GitHub", "cloud": "Jira Cloud", "datacenter": "Jira Data Center"}


def table(rows: Sequence[Row]) -> str:
    """The Markdown table."""
    lines = [
        "| tracker | N | phase | requests | of which 304 | floor | naive | x floor | seconds |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        not_modified = "" if row.not_modified is None else str(row.not_modified)
        x_floor = f"{row.x_floor:.2f}" if row.floor else ("-" if row.requests == 0 else "floor is 0")
        lines.append(
            f"| {NAMES[row.tracker]} | {row.n:,} | {row.phase} | {row.requests:,} | {not_modified} | "
            f"{row.floor:,} | {row.naive:,} | {x_floor} | {row.seconds:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--trackers", nargs="+", choices=list(RUNNERS), default=list(RUNNERS))
    args = parser.parse_args()
    logging.getLogger("remediate").setLevel(logging.ERROR)
    rows: list[Row] = []
    for tracker in args.trackers:
        for size in args.sizes:
            start = time.perf_counter()
            rows += RUNNERS[tracker](size)
            print(f"{NAMES[tracker]} N={size:,}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    print(table(rows))


if __name__ == "__main__":
    main()

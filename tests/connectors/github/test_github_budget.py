"""Request budgets of the GitHub connector, pinned: they are deterministic, so they are asserted.

- first sync of N items: N issue creations plus a constant (repository, labels, tracking
  issue); with sub-issues one link per item on top;
- re-sync with nothing changed: no write, one request (a 304, which costs no rate limit,
  except on the first read after a full one, which sets up the ETag);
- state refresh of N linked issues of which k changed: ceil((k+1)/100) list pages,
  at most ceil(k/100)+1.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from remediate.connectors import MemoryCache, Status, TicketRef
from remediate.testing import POSTMORTEM, make_draft
from tests.connectors.github.conftest import REPO, ConnectorFactory
from tests.fakes.github import FakeGitHub

#: GET repository, 3 labels (remediation, in-progress, postmortem) created, the tracking label
#: created, and the tracking issue itself. No label is read first (a POST answers 201 or 422
#: already_exists), and no list looks for an earlier tracking issue: its postmortem's label
#: did not exist before this run created it.
FIRST_SYNC_CONSTANT = 1 + 3 + 1 + 1


def fake_time(fake: FakeGitHub) -> datetime:
    """The fake's clock as the datetime an engine would pass as ``since``."""
    return datetime.fromtimestamp(fake.now(), UTC)


def first_sync(connector: object, count: int) -> list[TicketRef]:
    """What the engine does for a new postmortem: create the items, then the tracking issue."""
    refs = [created.ref for created in connector.create([make_draft(n) for n in range(count)])]  # type: ignore[attr-defined]
    connector.sync_group(POSTMORTEM, None, refs)  # type: ignore[attr-defined]
    return refs


@pytest.mark.parametrize("count", [1, 10, 50])
@pytest.mark.parametrize("mode", ["sub-issues", "task-list"])
def test_first_sync_costs_one_creation_per_item_plus_a_constant(
    fake: FakeGitHub, make_connector: ConnectorFactory, count: int, mode: str
) -> None:
    connector = make_connector(tracking={"mode": mode})
    first_sync(connector, count)
    links = count if mode == "sub-issues" else 0
    assert fake.count("POST", "/issues", status=201) - fake.count("POST", "/sub_issues") == count + 1
    assert fake.count("POST", "/sub_issues", status=201) == links
    assert len(fake.requests) == count + links + FIRST_SYNC_CONSTANT
    assert fake.count("PATCH") == 0  # the tracking issue is written once, complete
    assert len(fake.all_issues(REPO)) == count + 1


def test_resync_with_nothing_changed_costs_one_request_and_no_write(
    fake: FakeGitHub, make_connector: ConnectorFactory
) -> None:
    cache = MemoryCache()  # the engine's persistent cache, shared by the runs
    first = make_connector(cache=cache)
    refs = first_sync(first, 20)
    assert {s.status for s in first.states(refs, None)} == {Status.OPEN}  # a full read
    cursor = json.loads(cache.get(f"{REPO}:list:remediation") or "{}")["cursor"]

    runs = []
    for _ in range(3):  # three more runs, nothing changes in between
        fake.advance(60)
        since = fake_time(fake)
        fake.reset_log()
        remaining = fake.remaining
        assert list(make_connector(cache=cache).states(refs, since)) == []
        runs.append([(r.method, r.status, dict(r.query).get("since")) for r in fake.requests])
        assert fake.count() - fake.count("GET") == 0  # no write

    # The first incremental read after a full one is a small 200 on the new cursor URL
    # (since = the cursor, in GitHub's clock); from then on the same URL answers 304,
    # which does not count against the rate limit.
    assert runs == [[("GET", 200, cursor)], [("GET", 304, cursor)], [("GET", 304, cursor)]]
    assert fake.remaining == remaining


def seed(fake: FakeGitHub, make_connector: ConnectorFactory, count: int) -> tuple[object, list[TicketRef]]:
    """``count`` remediation issues made directly in the fake, claimed, and one full read done."""
    for n in range(count):
        fake.open_issue(REPO, f"Item {n}", labels=("remediation",))
    connector = make_connector()
    refs = [connector.claim(f"{REPO}#{issue.number}") for issue in fake.all_issues(REPO)]
    assert all(ref is not None for ref in refs)
    assert len(list(connector.states(refs, None))) == count  # type: ignore[arg-type]
    fake.advance(300)  # the engine's next run: the first incremental read sets up the ETag
    assert list(connector.states(refs, fake_time(fake))) == []  # type: ignore[arg-type]
    return connector, refs  # type: ignore[return-value]


@pytest.mark.parametrize("changed", [0, 1, 99, 100, 150, 250])
def test_state_refresh_reads_ceil_k_over_100_pages(
    fake: FakeGitHub, make_connector: ConnectorFactory, changed: int
) -> None:
    connector, refs = seed(fake, make_connector, 250)
    fake.advance(300)  # more than the reads' minute of slack
    since = fake_time(fake)
    fake.advance(1)
    for issue in fake.all_issues(REPO)[:changed]:
        fake.set_state(REPO, issue.number, "closed", "completed")
    fake.reset_log()

    states = list(connector.states(refs, since))  # type: ignore[attr-defined]

    assert len(states) == changed
    assert all(s.status is Status.DONE for s in states)
    expected = 1 if changed == 0 else math.ceil((changed + 1) / 100)
    assert len(fake.requests) == expected <= math.ceil(changed / 100) + 1
    assert fake.count("GET", status=304) == (1 if changed == 0 else 0)


def test_listing_follows_links_with_every_filter(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    seed(fake, make_connector, 230)
    *full, incremental = [r for r in fake.requests if r.path.endswith("/issues")]
    assert len(full) == 3  # 230 issues, 100 a page
    for page in full[1:]:  # next links: /repositories/{id}/issues?... with every filter kept
        assert page.path.startswith("/repositories/")
        params = dict(page.query)
        assert params["labels"] == "remediation" and params["state"] == "all"
        assert params["sort"] == "updated" and params["per_page"] == "100"
    assert [dict(p.query).get("page") for p in full] == [None, "2", "3"]
    assert "since" not in dict(full[0].query)  # a full read sees every issue
    assert dict(incremental.query)["since"].endswith("Z")  # incremental: filtered by since


def test_phases_at_1000_items_over_100_postmortems() -> None:
    """benchmarks/tracker_requests.py at N = 1,000: every phase's count, pinned, and its floor."""
    from benchmarks.tracker_requests import floors, github

    rows = {row.phase: row for row in github(1000)}
    p, floor = 100, floors("github", 1000, 100)
    assert {phase: (row.requests, row.not_modified) for phase, row in rows.items()} == {
        "first sync": (2204, 0),  # 1,000 creates + 1,000 links + 100 tracking issues + 103 labels + the repo
        "no-change re-sync": (2 * p + 1, 0),  # sync_group called anyway: each tracking issue and its sub-issues
        "full refresh": (10, 0),
        "no-change refresh, 1st": (1, 0),  # sets up the ETag
        "no-change refresh": (1, 1),  # answered 304
        "1% refresh": (1, 0),
    }
    assert rows["first sync"].requests == floor["first sync"]
    assert rows["no-change re-sync"].requests <= floor["no-change re-sync"] + 2 * p + 1
    for phase in ("full refresh", "no-change refresh, 1st", "no-change refresh", "1% refresh"):
        assert rows[phase].requests <= floor[phase]

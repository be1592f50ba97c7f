"""Request floors of the Jira connector (issue 13), pinned on Cloud and Data Center.

- first sync of N items over P postmortems: ceil(P/50) + ceil(N/50) bulk creates (the epics, then
  the items with their parent in the payload), one remote link per epic, no update per item;
- no-change re-sync: no request at all;
- refresh with k changed: max(1, ceil(k/100)) searches; what the margin lists again unchanged
  is not reported a second time (exact ``updated``, kept in the cache).
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from remediate.connectors import MemoryCache
from remediate.testing import POSTMORTEM as PM
from remediate.testing import make_draft as draft
from tests.connectors.jira.conftest import MakeConnector
from tests.fakes.jira import FakeJira


def drafts_over(count: int, postmortems: int) -> list:  # type: ignore[type-arg]
    pms = [replace(PM, id=f"{PM.id}-{p}", title=f"Outage {p}") for p in range(postmortems)]
    return [draft(n, postmortem=pms[n % postmortems]) for n in range(count)]


def searches(fake: FakeJira) -> int:
    return fake.count("GET", r"/search(/jql)?$")


@pytest.mark.parametrize(("count", "postmortems"), [(1, 1), (60, 3), (120, 2), (51, 51)])
def test_first_sync_of_n_items_over_p_postmortems(
    fake: FakeJira, make: MakeConnector, count: int, postmortems: int
) -> None:
    drafts = drafts_over(count, postmortems)
    connector = make(fake)
    created = list(connector.create(drafts))  # one call, several postmortems (the engine may batch them)
    assert len(created) == count
    epic_bulks, item_bulks = math.ceil(postmortems / 50), math.ceil(count / 50)
    assert fake.count("POST", r"/issue/bulk$") == epic_bulks + item_bulks
    assert fake.count("POST", r"/remotelink$") == postmortems  # the epics'; the items point at them
    assert fake.count("PUT") == 0  # every parent is in the create payload
    # serverInfo, the project's issue types, the watermark search, one search for the epics by
    # marker per 50 postmortems; Data Center reads /field once for its Epic Link field.
    constant = 3 + math.ceil(postmortems / 50) + (fake.mode == "datacenter")
    assert len(fake.requests) == constant + epic_bulks + item_bulks + postmortems

    fake.requests.clear()
    by_pm: dict[str, list] = {}  # type: ignore[type-arg]
    for item, made in zip(drafts, created, strict=True):
        by_pm.setdefault(item.postmortem.id, []).append(made.ref)
    groups = {}
    for item in {d.postmortem.id: d.postmortem for d in drafts}.values():
        groups[item.id] = connector.sync_group(item, None, by_pm[item.id])
    # The engine's sync_group after the creates: one description write per epic, nothing read.
    assert [r.method for r in fake.requests] == ["PUT"] * postmortems

    fake.requests.clear()  # a no-change re-sync: the engine calls update with nothing changed
    for item, made in zip(drafts, created, strict=True):
        connector.update(made.ref, item, frozenset())
    for pm_id, refs in by_pm.items():  # (and would not call sync_group: its hash is unchanged)
        connector.sync_group(next(d.postmortem for d in drafts if d.postmortem.id == pm_id), groups[pm_id], refs)
    assert fake.requests == []


@pytest.mark.parametrize("changed", [0, 1, 100, 101, 150])
def test_refresh_with_k_changed(fake: FakeJira, make: MakeConnector, changed: int) -> None:
    connector = make(fake, parent="none", remote_links="none")
    refs = [c.ref for c in connector.create([draft(n) for n in range(220)])]
    fake.age_all(timedelta(hours=2))  # the batch was filed before the window
    for ref in refs[:changed]:
        fake.set_status(ref.key, "Done")
    since = datetime.now(UTC) - timedelta(hours=1)
    fake.requests.clear()
    states = list(connector.states(refs, since))
    assert sorted(s.ref.key for s in states) == sorted(r.key for r in refs[:changed])
    # One page of 100 per changed hundred; with nothing changed, the one (empty) page that says so.
    assert searches(fake) == len(fake.requests) == max(1, math.ceil(changed / 100))

    fake.requests.clear()  # the next refresh, its window still covering those changes
    assert list(connector.states(refs, since)) == []  # listed again, the same `updated`: not reported
    assert searches(fake) == len(fake.requests) == max(1, math.ceil(changed / 100))


def test_a_batch_inside_the_margin_is_reported_once(fake: FakeJira, make: MakeConnector) -> None:
    """Right after a bulk sync the whole batch is inside the window (JQL dates have minute precision):
    it is listed again, but reported once; a change after that is reported again."""
    cache = MemoryCache()
    connector = make(fake, parent="none", remote_links="none", cache=cache)
    refs = [c.ref for c in connector.create([draft(n) for n in range(120)])]
    now = datetime.now(UTC)
    assert len(list(connector.states(refs, now))) == 120  # first seen: reported
    fake.requests.clear()
    assert list(connector.states(refs, now)) == []
    assert searches(fake) == 2  # 120 issues inside the window: two pages, nothing reported
    fake.set_status(refs[5].key, "Done")
    again = make(fake, parent="none", cache=cache)  # the next run: the values live in the cache
    assert [s.ref.key for s in again.states(refs, now)] == [refs[5].key]
    full = list(again.states(refs, None))  # a full refresh reports every ref
    assert len(full) == 120


def test_one_watermark_search_per_run_however_many_create_calls(fake: FakeJira, make: MakeConnector) -> None:
    """The engine sends 50 drafts a call; after the first, the run's own highest key is the watermark."""
    cache = MemoryCache()
    connector = make(fake, parent="none", remote_links="none", cache=cache)
    first = [c.ref for c in connector.create([draft(n) for n in range(50)])]
    fake.requests.clear()
    second = [c.ref for c in connector.create([draft(n) for n in range(50, 100)])]
    assert searches(fake) == 0 and fake.count("POST", r"/issue/bulk$") == 1
    assert int(second[0].key.split("-")[1]) > max(int(r.key.split("-")[1]) for r in first)
    # A new run (a new connector on the same cache) searches again: others may have filed since.
    fake.requests.clear()
    list(make(fake, parent="none", remote_links="none", cache=cache).create([draft(100)]))
    assert searches(fake) == 1


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_phases_at_1000_items_over_100_postmortems(mode: str) -> None:
    """benchmarks/tracker_requests.py at N = 1,000: every phase's count, pinned, and its floor."""
    from benchmarks.tracker_requests import CREATE_CHUNK, floors, jira

    n, p = 1000, 100
    calls = n // CREATE_CHUNK  # the engine's create calls, 5 postmortems each
    rows = {row.phase: row.requests for row in jira(mode, n)}
    floor = floors(mode, n, p)
    assert rows == {
        "first sync": 263 + (mode == "datacenter"),
        "no-change re-sync": 0,
        "full refresh": 10,
        "no-change refresh, 1st": 10,  # the batch just filed is inside the margin: listed once more
        "no-change refresh": 1,
        "1% refresh": 1,
    }
    # Above the floor: one search for the epics by marker and one epic bulk create per create call
    # (the connector sees one call's postmortems at a time), one description write per epic.
    assert rows["first sync"] == floor["first sync"] + calls + (calls - math.ceil(p / 50)) + p
    assert rows["no-change refresh, 1st"] == math.ceil(n / 100)
    for phase in ("no-change re-sync", "full refresh", "no-change refresh", "1% refresh"):
        assert rows[phase] <= floor[phase]

"""Reading state back: status categories, resolutions, incremental JQL, paging on both sites."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from remediate.connectors import Status
from remediate.testing import make_draft as draft
from tests.connectors.jira.conftest import MakeConnector
from tests.fakes.jira import FakeJira


@pytest.mark.parametrize(
    ("status", "resolution", "expected"),
    [
        ("To Do", None, Status.OPEN),
        ("In Progress", None, Status.IN_PROGRESS),
        ("Done", "Done", Status.DONE),
        ("Done", "Won't Do", Status.NOT_DOING),
        ("Done", "Duplicate", Status.NOT_DOING),
        ("Done", "Cannot Reproduce", Status.NOT_DOING),
    ],
)
def test_status_category_and_resolution(
    fake: FakeJira, make: MakeConnector, status: str, resolution: str | None, expected: Status
) -> None:
    connector = make(fake)
    (created,) = connector.create([draft(1)])
    fake.set_status(created.ref.key, status, resolution)
    (state,) = connector.states([created.ref], None)
    assert state.status == expected
    assert state.detail == (f"{status} ({resolution})" if resolution else status)


def test_custom_workflow_with_maps(fake: FakeJira, make: MakeConnector) -> None:
    fake.projects["OPS"].workflow = (
        ("Backlog", "new"),
        ("Doing", "indeterminate"),
        ("Shipped", "done"),
        ("Parked", "new"),
    )
    connector = make(fake, status_map={"PARKED": "not_doing"}, resolution_map={"Done": "done"})
    refs = [c.ref for c in connector.create([draft(n) for n in range(3)])]
    fake.set_status(refs[0].key, "Shipped")
    fake.set_status(refs[1].key, "Parked")
    fake.set_status(refs[2].key, "Doing")
    states = {s.ref.key: s.status for s in connector.states(refs, None)}
    assert states == {refs[0].key: Status.DONE, refs[1].key: Status.NOT_DOING, refs[2].key: Status.IN_PROGRESS}


@pytest.mark.parametrize("changed", [0, 3, 150])
def test_incremental_refresh_budget(fake: FakeJira, make: MakeConnector, changed: int) -> None:
    connector = make(fake)
    refs = [c.ref for c in connector.create([draft(n) for n in range(200)])]
    fake.age_all(timedelta(hours=2))  # the last sync ran an hour ago, after all of these
    for ref in refs[:changed]:
        fake.set_status(ref.key, "In Progress")
    fake.requests.clear()
    since = datetime.now(UTC) - timedelta(hours=1)
    states = list(connector.states(refs, since))
    assert sorted(s.ref.key for s in states) == sorted(r.key for r in refs[:changed])
    assert all(s.status == Status.IN_PROGRESS for s in states)
    searches = [r for r in fake.requests if "/search" in r.path]
    assert len(searches) == max(1, math.ceil(changed / 100))
    assert len(fake.requests) == len(searches)  # no per-issue reads, no writes
    jql = searches[0].query["jql"][0]
    assert jql.startswith('project = "OPS" AND labels = "remediation" AND updated >= "-7') and jql.endswith(
        'm" ORDER BY key ASC'
    )
    assert searches[0].query["fields"] == ["status,resolution,updated"]


def test_cloud_pages_with_next_page_token(cloud: FakeJira, make: MakeConnector) -> None:
    connector = make(cloud)
    refs = [c.ref for c in connector.create([draft(n) for n in range(250)])]
    cloud.requests.clear()
    assert len(list(connector.states(refs, None))) == 250
    pages = [r for r in cloud.requests if r.path.endswith("/search/jql")]
    assert len(pages) == 3 and len(cloud.requests) == 3
    assert "nextPageToken" not in pages[0].query
    assert all("nextPageToken" in p.query for p in pages[1:])
    assert all(p.path == "/rest/api/2/search/jql" for p in pages)


def test_data_center_pages_with_start_at(dc: FakeJira, make: MakeConnector) -> None:
    connector = make(dc)
    refs = [c.ref for c in connector.create([draft(n) for n in range(250)])]
    dc.requests.clear()
    assert len(list(connector.states(refs, None))) == 250
    pages = [r for r in dc.requests if r.path == "/rest/api/2/search"]
    assert [p.query["startAt"] for p in pages] == [["0"], ["100"], ["200"]]
    assert len(dc.requests) == 3


def test_full_refresh_reads_what_search_cannot_see(fake: FakeJira, make: MakeConnector) -> None:
    fake.lag = True
    connector = make(fake)
    refs = [c.ref for c in connector.create([draft(n) for n in range(3)])]
    fake.set_status(refs[0].key, "Done")
    states = {s.ref.key: s for s in connector.states(refs, None)}
    assert {k: s.status for k, s in states.items()} == {
        refs[0].key: Status.DONE,
        refs[1].key: Status.OPEN,
        refs[2].key: Status.OPEN,
    }
    assert fake.count("GET", r"/issue/[^/]+$") == 3  # by id, which never lags


def test_deleted_and_moved_issues(fake: FakeJira, make: MakeConnector) -> None:
    fake.add_project("NEW")
    connector = make(fake)
    refs = [c.ref for c in connector.create([draft(n) for n in range(3)])]
    fake.delete(refs[0].key)
    new_key = fake.move(refs[1].key, "NEW")
    states = {s.ref.remote_id: s for s in connector.states(refs, None)}
    assert states[refs[0].remote_id].missing == "deleted"
    moved = states[refs[1].remote_id]
    assert moved.missing == "moved" and moved.ref.key == new_key
    assert f"moved from {refs[1].key} to {new_key}" in (moved.detail or "")
    assert states[refs[2].remote_id].missing is None


def test_cloud_old_search_is_gone(cloud: FakeJira, make: MakeConnector) -> None:
    import requests

    response = requests.get(
        f"{cloud.base}/rest/api/2/search",
        params={"jql": "project = OPS"},
        auth=(cloud.email, cloud.api_token),
        timeout=5,
    )
    assert response.status_code == 410
    assert "Please migrate to the /rest/api/3/search/jql API" in response.json()["errorMessages"][0]
    from remediate.errors import Unavailable

    # Forced to the Data Center path with Cloud credentials, the 410 says what to change.
    cloud_creds = {"JIRA_URL": cloud.base, "JIRA_USER": cloud.email, "JIRA_API_TOKEN": cloud.api_token}
    forced = make(cloud, env=cloud_creds)
    assert forced.site.transport is not None  # connect with Cloud credentials
    forced.site._deployment = "datacenter"
    with pytest.raises(Unavailable) as info:
        forced.find([draft(1)])
    assert 'deployment = "cloud"' in str(info.value)


def test_data_center_has_no_enhanced_search(dc: FakeJira) -> None:
    import requests

    response = requests.get(
        f"{dc.base}/rest/api/2/search/jql",
        params={"jql": "project = OPS"},
        headers={"Authorization": f"Bearer {dc.pat}"},
        timeout=5,
    )
    assert response.status_code == 404

"""One epic per postmortem, the default: its description, its items under it, the fallbacks."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date

import pytest

from remediate.connectors import MemoryCache
from remediate.errors import NotFound
from remediate.testing import POSTMORTEM as PM
from remediate.testing import make_draft as draft
from tests.connectors.jira.conftest import MakeConnector
from tests.fakes.jira import FakeJira

OTHER = replace(PM, id="2024-06-02-db-failover", title="DB failover", date=date(2024, 6, 2), link=None)


def parent_of(fake: FakeJira, key: str) -> str | None:
    """The epic an issue is under: ``parent`` on Cloud, the Epic Link field on Data Center."""
    fields = fake.issue(key)["fields"]  # type: ignore[index]
    if fake.mode == "cloud":
        return (fields.get("parent") or {}).get("key")
    return fields.get("customfield_10008")


def epics(fake: FakeJira) -> list[dict]:  # type: ignore[type-arg]
    return [i for i in fake.issues.values() if i["fields"]["issuetype"]["name"] == "Epic"]


def test_default_config_files_one_epic_per_postmortem_with_its_contents(fake: FakeJira, make: MakeConnector) -> None:
    connector = make(fake)  # no parent setting: "per-postmortem" is the default
    refs = [c.ref for c in connector.create([draft(n) for n in range(3)])]
    (epic,) = epics(fake)
    assert epic["fields"]["summary"] == "Postmortem: API outage of 1 May 2024"
    assert "remediate-pm-2024-05-01-api-outage" in epic["fields"]["labels"]  # its marker
    assert [parent_of(fake, r.key) for r in refs] == [epic["key"]] * 3  # set in the create payload
    bulks = [r for r in fake.requests if r.path.endswith("/issue/bulk")]
    assert [len(r.body["issueUpdates"]) for r in bulks] == [1, 3]  # the epic first, then its items
    assert fake.count("PUT") == 0  # no update per item
    # The epic links to the document; the items link to the epic (and their text to the document).
    assert [link["object"]["url"] for link in fake.remote_links[epic["id"]]] == [PM.link]
    assert all(fake.remote_links.get(fake.issue(r.key)["id"]) is None for r in refs)  # type: ignore[index]

    fake.requests.clear()
    group = connector.sync_group(PM, None, refs)
    assert group.key == epic["key"]
    description = epic["fields"]["description"]
    assert "[API outage of 1 May 2024|https://example.com/postmortems/2024-05-01-api-outage.md]" in description
    assert "Incident date: 2024-05-01" in description
    assert "3 action items:" in description
    assert [line[2:] for line in description.splitlines() if line.startswith("* ")] == [r.key for r in refs]
    assert [(r.method, r.path) for r in fake.requests] == [("PUT", f"/rest/api/2/issue/{epic['id']}")]

    fake.requests.clear()
    assert connector.sync_group(PM, group, refs) == group  # nothing changed: nothing sent
    assert fake.requests == []
    (extra,) = connector.create([draft(3)])  # a new item joins the known epic: no search, no epic
    assert parent_of(fake, extra.ref.key) == epic["key"] and len(epics(fake)) == 1
    connector.sync_group(PM, group, [*refs, extra.ref])
    assert "4 action items:" in epic["fields"]["description"]


def test_one_create_for_several_postmortems_groups_the_epics_first(fake: FakeJira, make: MakeConnector) -> None:
    drafts = [draft(n, postmortem=PM if n % 2 else OTHER) for n in range(6)]
    created = {c.item_id: c.ref for c in make(fake).create(drafts)}
    by_title = {e["fields"]["summary"]: e["key"] for e in epics(fake)}
    assert set(by_title) == {"Postmortem: API outage of 1 May 2024", "Postmortem: DB failover"}
    for d in drafts:
        assert parent_of(fake, created[d.item_id].key) == by_title[f"Postmortem: {d.postmortem.title}"]
    bulks = [r for r in fake.requests if r.path.endswith("/issue/bulk")]
    assert [len(r.body["issueUpdates"]) for r in bulks] == [2, 6]  # both epics in one request
    assert fake.count("POST", "/remotelink$") == 1  # OTHER has no URL to link to


def test_epic_description_in_adf(cloud: FakeJira, make: MakeConnector) -> None:
    connector = make(cloud, api_version=3)
    refs = [c.ref for c in connector.create([draft(1), draft(2)])]
    group = connector.sync_group(PM, None, refs)
    doc = cloud.issue(group.key)["fields"]["description"]  # type: ignore[index]
    assert doc["type"] == "doc"
    link = doc["content"][0]["content"][1]
    assert link["marks"] == [{"type": "link", "attrs": {"href": PM.link}}]
    (items,) = [node for node in doc["content"] if node["type"] == "bulletList"]
    assert [i["content"][0]["content"][0]["text"] for i in items["content"]] == [r.key for r in refs]


def test_no_epic_type_falls_back_to_a_parent_task_with_one_warning(
    fake: FakeJira, make: MakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    del fake.projects["OPS"].issue_types["Epic"]
    connector = make(fake)
    with caplog.at_level(logging.WARNING, logger="remediate.jira"):
        first = [c.ref for c in connector.create([draft(1), draft(2)])]
        second = [c.ref for c in connector.create([draft(3, postmortem=OTHER)])]
        group = connector.sync_group(PM, None, first)
        connector.sync_group(OTHER, None, second)
    warnings = [r.getMessage() for r in caplog.records if "no Epic issue type" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert "per-postmortem label" in warnings[0] and "group_issue_type" in warnings[0]
    parent = fake.issue(group.key)
    assert parent["fields"]["issuetype"]["name"] == "Task"  # type: ignore[index]
    description = parent["fields"]["description"]  # type: ignore[index]
    assert [line[2:] for line in description.splitlines() if line.startswith("* ")] == [r.key for r in first]
    for ref in first:
        fields = fake.issue(ref.key)["fields"]  # type: ignore[index]
        assert "parent" not in fields and "customfield_10008" not in fields  # Jira refuses Task under Task
        assert "postmortem-2024-05-01-api-outage" in fields["labels"]  # grouped by label instead
    assert fake.count("PUT", r"/issue/\d+$") == 2  # the two descriptions, no parent writes


def test_a_missing_group_type_that_was_asked_for_is_an_error(fake: FakeJira, make: MakeConnector) -> None:
    with pytest.raises(NotFound) as info:
        list(make(fake, group_issue_type="Initiative").create([draft(1)]))
    assert "issue type 'Initiative' does not exist" in str(info.value) and "group_issue_type" in str(info.value)
    assert fake.writes() == []


def test_data_center_without_an_epic_link_field_groups_by_label(
    dc: FakeJira, make: MakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    del dc.custom_fields["customfield_10008"]
    with caplog.at_level(logging.WARNING, logger="remediate.jira"):
        (created,) = make(dc).create([draft(1)])
    assert "no Epic Link field" in caplog.text
    assert "customfield_10008" not in dc.issue(created.ref.key)["fields"]  # type: ignore[index]


def test_the_epic_is_found_again_by_its_marker_with_no_write(fake: FakeJira, make: MakeConnector) -> None:
    """A lost database (and cache): the epic is adopted by its label, nothing is re-filed or rewritten."""
    connector = make(fake)
    refs = [c.ref for c in connector.create([draft(n) for n in range(3)])]
    group = connector.sync_group(PM, None, refs)
    fake.requests.clear()
    again = make(fake, cache=MemoryCache()).sync_group(PM, None, refs)
    assert again.key == group.key and len(epics(fake)) == 1
    assert fake.writes() == []
    # serverInfo, one label search for the epic, the project's issue types (is there an Epic
    # type?), then the members' parents read by key (Cloud: one bulk fetch of up to 100; Data
    # Center: its /field lookup for the Epic Link field, then one read each).
    reads = 1 if fake.mode == "cloud" else 1 + len(refs)
    assert len(fake.requests) == 3 + reads


def test_items_filed_before_the_epic_are_put_under_it(fake: FakeJira, make: MakeConnector) -> None:
    old = [c.ref for c in make(fake, parent="none").create([draft(1), draft(2)])]  # an older config
    assert fake.remote_links  # without an epic, each item links to the document
    connector = make(fake)
    group = connector.sync_group(PM, None, old)
    assert [parent_of(fake, r.key) for r in old] == [group.key] * 2
    fake.requests.clear()
    make(fake).sync_group(PM, None, old)  # another run, lost cache: read, no write
    assert fake.writes() == []


def test_opt_out_files_no_epic(fake: FakeJira, make: MakeConnector) -> None:
    connector = make(fake, parent="none")
    refs = [c.ref for c in connector.create([draft(1)])]
    assert connector.sync_group(PM, None, refs) is None
    assert epics(fake) == [] and len(fake.issues) == 1


def test_an_epic_deleted_by_a_person_is_filed_again(fake: FakeJira, make: MakeConnector) -> None:
    from remediate.errors import ConnectorError

    cache = MemoryCache()
    connector = make(fake, cache=cache)
    refs = [c.ref for c in connector.create([draft(1)])]
    group = connector.sync_group(PM, None, refs)
    fake.delete(group.key)
    # An item created under the cached epic fails once (Jira: no such parent) and forgets it ...
    with pytest.raises(ConnectorError) as info:
        list(make(fake, cache=cache).create([draft(2)]))
    assert "parent" in str(info.value) or "customfield_10008" in str(info.value)
    # ... so the next run finds no epic by its marker and files a new one, the item under it.
    (created,) = make(fake, cache=cache).create([draft(2)])
    (epic,) = epics(fake)
    assert epic["key"] != group.key and parent_of(fake, created.ref.key) == epic["key"]
    # The engine's stored group link names the deleted epic: sync_group files a new one too.
    fake.delete(epic["key"])
    again = make(fake, cache=MemoryCache()).sync_group(PM, group, [*refs, created.ref])
    (third,) = epics(fake)
    assert again.key == third["key"] and parent_of(fake, created.ref.key) == third["key"]


def test_a_data_center_epic_is_created_with_its_epic_name(dc: FakeJira, make: MakeConnector) -> None:
    """Jira Software Data Center requires an Epic Name on an Epic (the fake refuses one without,
    as Jira does: 'Epic Name is required.'); Cloud has no such field."""
    connector = make(dc)
    list(connector.create([draft(1)]))
    (epic,) = epics(dc)
    assert epic["fields"]["customfield_10011"] == "API outage of 1 May 2024"
    assert dc.count("GET", r"/field$") == 1  # Epic Link and Epic Name from one read

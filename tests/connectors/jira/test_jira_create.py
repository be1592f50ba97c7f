"""Creating issues: fields, formats, bulk batching, budgets and the errors a user can fix."""

from __future__ import annotations

import logging
import math

import pytest

from remediate.errors import Conflict, NotFound
from remediate.testing import POSTMORTEM as PM
from remediate.testing import make_draft as draft
from tests.connectors.jira.conftest import MakeConnector
from tests.fakes.jira import FakeJira


def test_fields_of_a_new_issue_on_cloud(cloud: FakeJira, make: MakeConnector) -> None:
    connector = make(cloud, owners={"@Alice": "alice-account-id"}, components=["SRE"])
    (created,) = connector.create([draft(1, owner="alice", priority="P0")])
    fields = cloud.issue(created.ref.key)["fields"]
    assert fields["summary"] == "Add alerting on queue depth #1"
    assert fields["labels"] == ["remediation", "postmortem-2024-05-01-api-outage", "remediate-contract0001"]
    assert fields["priority"] == {"name": "Highest"}
    assert fields["duedate"] == "2024-06-01"
    assert fields["assignee"] == {"accountId": "alice-account-id"}
    assert fields["components"] == [{"name": "SRE"}]
    assert fields["issuetype"]["name"] == "Task"
    assert isinstance(fields["description"], str)  # REST v2: wiki markup
    assert "[API outage of 1 May 2024|https://example.com/postmortems/" in fields["description"]
    assert created.ref.url == f"{cloud.base}/browse/{created.ref.key}"
    assert created.ref.remote_id == cloud.issue(created.ref.key)["id"]


def test_data_center_assigns_by_user_name(dc: FakeJira, make: MakeConnector) -> None:
    connector = make(dc, owners={"alice": "alice"})
    (created,) = connector.create([draft(1, owner="Alice")])
    assert dc.issue(created.ref.key)["fields"]["assignee"] == {"name": "alice"}
    assert {r.auth for r in dc.requests} == {"bearer"}


def test_unmapped_owner_leaves_issue_unassigned_with_a_warning(
    fake: FakeJira, make: MakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    connector = make(fake)
    with caplog.at_level(logging.WARNING, logger="remediate.jira"):
        (created,) = connector.create([draft(1, owner="mallory")])
    assert "assignee" not in fake.issue(created.ref.key)["fields"]
    assert any("'mallory'" in r.getMessage() and "unassigned" in r.getMessage() for r in caplog.records)


def test_document_text_cannot_inject_wiki_markup(cloud: FakeJira, make: MakeConnector) -> None:
    evil = "Fix *it* [click|http://evil.example] {html}<b>x</b>{html}\nh1. Big !img.png! -- done"
    (created,) = make(cloud).create([draft(1, text=evil)])
    description = cloud.issue(created.ref.key)["fields"]["description"]
    first_line = description.splitlines()[0]
    assert first_line == (
        r"Fix \*it\* \[click\|http://evil.example\] \{html\}<b>x</b>\{html\} h1. Big \!img.png\! \-\- done"
    )


@pytest.mark.parametrize("api_version", [2, 3])
def test_an_84_kb_item_is_shortened_to_jiras_text_limit(cloud: FakeJira, make: MakeConnector, api_version: int) -> None:
    """Jira refuses descriptions over 32,767 characters; the item still gets its issue and its label."""
    huge = " ".join(["Rotate *every* [credential] in the fleet"] * 2100)  # ~84 KB, markup to escape
    (created,) = make(cloud, api_version=api_version).create([draft(1, text=huge)])
    fields = cloud.issue(created.ref.key)["fields"]
    desc = fields["description"]
    text = desc if isinstance(desc, str) else desc["content"][0]["content"][0]["text"]
    assert 1000 < len(text) <= 32767 and "…" in text
    assert "remediate-contract0001" in fields["labels"]  # the marker survives the cut
    if isinstance(desc, str):
        assert "From postmortem" in desc and "item id contract0001" in desc


def test_v3_sends_atlassian_document_format(cloud: FakeJira, make: MakeConnector) -> None:
    evil = "Fix *it* [click|http://evil.example]"
    (created,) = make(cloud, api_version=3, parent="none").create([draft(1, text=evil)])  # about the item text
    doc = cloud.issue(created.ref.key)["fields"]["description"]
    assert doc["type"] == "doc" and doc["version"] == 1
    assert doc["content"][0]["content"] == [{"type": "text", "text": evil}]  # literal text
    link = doc["content"][1]["content"][1]
    assert link["marks"] == [{"type": "link", "attrs": {"href": PM.link}}]
    assert cloud.count("POST", r"^/rest/api/3/issue/bulk$") == 1


def test_remote_link_has_a_stable_global_id_and_upserts(cloud: FakeJira, make: MakeConnector) -> None:
    connector = make(cloud, remote_links="all")  # by default only the postmortem's epic has the web link
    (created,) = connector.create([draft(1)])
    issue_id = cloud.issue(created.ref.key)["id"]
    (link,) = cloud.remote_links[issue_id]
    assert link["globalId"] == "remediate:postmortem=2024-05-01-api-outage"
    moved = PM.__class__(**{**PM.__dict__, "link": "https://wiki.example.com/pm/new-home"})
    connector.site.link_postmortem(created.ref, moved, "contract0001")  # re-linking after the doc moved
    (link,) = cloud.remote_links[issue_id]
    assert link["object"]["url"] == "https://wiki.example.com/pm/new-home"


@pytest.mark.parametrize("count", [1, 50, 51, 120])
def test_bulk_create_budget(fake: FakeJira, make: MakeConnector, count: int) -> None:
    drafts = [draft(n) for n in range(count)]
    created = list(make(fake).create(drafts))
    assert [c.item_id for c in created] == [d.item_id for d in drafts]
    assert len(fake.issues) == count + 1  # and the postmortem's epic
    bulks = math.ceil(count / 50) + 1  # the epic's, then the items' 50 at a time
    assert fake.count("POST", r"/issue/bulk$") == bulks
    assert fake.count("POST", r"/remotelink$") == 1  # the epic's; the items point at the epic
    assert fake.count("PUT") == 0  # each item's parent is in its create payload
    # The constant: serverInfo, the project's issue types, one watermark search, one search for
    # the epic by its marker (Data Center: and /field for the Epic Link field).
    other = len(fake.requests) - bulks - 1
    assert other == (4 if fake.mode == "cloud" else 5)
    assert fake.count("GET", r"/issue/[^/]+$") == 0  # the create response is trusted, no reads


@pytest.mark.parametrize("count", [1, 51])
def test_bulk_create_budget_without_epics(fake: FakeJira, make: MakeConnector, count: int) -> None:
    list(make(fake, parent="none").create([draft(n) for n in range(count)]))
    assert len(fake.issues) == count
    assert fake.count("POST", r"/issue/bulk$") == math.ceil(count / 50)
    assert fake.count("POST", r"/remotelink$") == count  # no epic: each item links to the document
    # serverInfo, the project's issue types, one watermark search.
    assert len(fake.requests) - math.ceil(count / 50) - count == 3


def test_fake_rejects_more_than_50_in_one_bulk(fake: FakeJira) -> None:
    import requests

    auth = (
        {"auth": (fake.email, fake.api_token)}
        if fake.mode == "cloud"
        else {"headers": {"Authorization": f"Bearer {fake.pat}"}}
    )
    body = {
        "issueUpdates": [
            {"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": f"s{n}"}}
            for n in range(51)
        ]
    }
    response = requests.post(f"{fake.base}/rest/api/2/issue/bulk", json=body, timeout=5, **auth)
    assert response.status_code == 400
    assert fake.issues == {}


def test_partial_bulk_failure_yields_the_successes_then_explains(fake: FakeJira, make: MakeConnector) -> None:
    connector = make(fake, priorities={"P1": "High", "P9": "Urgent"})
    drafts = [draft(0), draft(1, priority="P9"), draft(2)]
    created = []
    with pytest.raises(Conflict) as info:
        for item in connector.create(drafts):
            created.append(item)
    assert [c.item_id for c in created] == ["contract0000", "contract0002"]
    assert "1 of 3 issues not created" in str(info.value)
    assert "contract0001" in str(info.value) and "Priority name 'Urgent' is not valid" in str(info.value)


def test_missing_required_custom_field_names_the_field(fake: FakeJira, make: MakeConnector) -> None:
    fake.projects["OPS"].required = {"Task": {"customfield_10050": "Team"}}
    with pytest.raises(Conflict) as info:
        list(make(fake, parent="none").create([draft(1)]))  # no epic: nothing at all is created
    message = str(info.value)
    assert "customfield_10050" in message and "Team is required." in message
    assert "[connectors.jira] fields" in message
    assert fake.issues == {}
    created = list(make(fake, parent="none", fields={"customfield_10050": {"value": "SRE"}}).create([draft(1)]))
    assert fake.issue(created[0].ref.key)["fields"]["customfield_10050"] == {"value": "SRE"}


def test_unknown_project_is_a_clear_error(fake: FakeJira, make: MakeConnector) -> None:
    with pytest.raises(NotFound) as info:
        list(make(fake, options={"project": "NOPE"}).create([draft(1)]))
    assert "Jira project NOPE does not exist" in str(info.value)
    assert "--project" in str(info.value)
    assert fake.writes() == []


def test_unknown_issue_type_lists_the_available_ones(fake: FakeJira, make: MakeConnector) -> None:
    with pytest.raises(NotFound) as info:
        list(make(fake, issue_type="Taks").create([draft(1)]))
    assert "issue type 'Taks' does not exist in Jira project OPS" in str(info.value)
    assert "task" in str(info.value) and "issue_type" in str(info.value)
    assert fake.writes() == []


def test_fixed_epic_parent_is_set_on_create(cloud: FakeJira, make: MakeConnector) -> None:
    (epic,) = make(cloud, issue_type="Epic", parent=None).create([draft(99)])
    (created,) = make(cloud, parent=epic.ref.key.lower()).create([draft(1)])
    assert cloud.issue(created.ref.key)["fields"]["parent"]["key"] == epic.ref.key


def test_done_draft_in_a_custom_workflow(fake: FakeJira, make: MakeConnector) -> None:
    fake.projects["OPS"].workflow = (("Backlog", "new"), ("Doing", "indeterminate"), ("Shipped", "done"))
    connector = make(fake)
    (created,) = connector.create([draft(1, done=True)])
    assert fake.issue(created.ref.key)["fields"]["status"]["name"] == "Shipped"
    (state,) = connector.states([created.ref], None)
    assert state.status.value == "done" and state.detail == "Shipped (Done)"


def test_named_done_transition_is_used(fake: FakeJira, make: MakeConnector) -> None:
    fake.projects["OPS"].workflow = (("Open", "new"), ("Closed", "done"), ("Released", "done"))
    (created,) = make(fake, done_transition="Released").create([draft(1, done=True)])
    assert fake.issue(created.ref.key)["fields"]["status"]["name"] == "Released"


def test_missing_done_transition_says_which_setting(fake: FakeJira, make: MakeConnector) -> None:
    with pytest.raises(Conflict) as info:
        list(make(fake, done_transition="Ship it").create([draft(1, done=True)]))
    assert "done_transition" in str(info.value) and "In Progress" in str(info.value)


@pytest.mark.parametrize(
    ("written", "jira"),
    [("[high]", "High"), ("sev0", "Highest"), ("SEV-2", "Medium"), ("Low", "Low"), ("P4", "Lowest")],
)
def test_priority_words_reach_jira_as_their_level(written: str, jira: str) -> None:
    """One normalisation (priority_level) for every consumer: "[high]" is High in Jira, not the default."""
    from remediate_jira.config import Config
    from remediate_jira.fields import FieldBuilder

    from remediate.testing import make_draft

    builder = FieldBuilder(Config(project="OPS"), "cloud", 3)
    assert builder.priority(make_draft(1, priority=written)) == {"name": jira}
    assert builder.priority(make_draft(1, priority="whenever")) is None

"""Updates and claims: only what changed is written (per-postmortem epics: test_jira_epics.py)."""

from __future__ import annotations

import logging

import pytest

from remediate.connectors import Status
from remediate.testing import make_draft as draft
from tests.connectors.jira.conftest import MakeConnector
from tests.fakes.jira import FakeJira


def test_only_changed_fields_are_sent(fake: FakeJira, make: MakeConnector) -> None:
    connector = make(fake)
    (created,) = connector.create([draft(1)])
    fake.requests.clear()
    edited = draft(1, title="Page on queue depth", due=None)
    ref = connector.update(created.ref, edited, draft(1).changed_fields(edited))
    assert ref == created.ref
    (put,) = fake.requests
    assert put.method == "PUT" and put.path.endswith(f"/issue/{created.ref.remote_id}")  # by id
    assert put.body == {"fields": {"summary": "Page on queue depth", "duedate": None}}
    assert (
        "duedate" in fake.issue(created.ref.key)["fields"] and fake.issue(created.ref.key)["fields"]["duedate"] is None
    )


def test_no_change_resync_makes_no_writes(fake: FakeJira, make: MakeConnector) -> None:
    connector = make(fake)
    refs = [c.ref for c in connector.create([draft(n) for n in range(5)])]
    fake.requests.clear()
    for ref, n in zip(refs, range(5), strict=True):
        assert connector.update(ref, draft(n), frozenset()) == ref
    assert fake.requests == []
    list(connector.states(refs, None))
    connector.find([draft(n) for n in range(5)])
    assert fake.writes() == []


def test_owner_change_to_unknown_unassigns_with_warning(
    cloud: FakeJira, make: MakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    connector = make(cloud, owners={"alice": "alice-account-id"})
    (created,) = connector.create([draft(1, owner="alice")])
    with caplog.at_level(logging.WARNING, logger="remediate.jira"):
        connector.update(created.ref, draft(1, owner="zed"), frozenset({"owner"}))
    assert cloud.issue(created.ref.key)["fields"]["assignee"] is None
    assert "'zed'" in caplog.text


def test_text_change_rewrites_the_description_in_the_right_format(cloud: FakeJira, make: MakeConnector) -> None:
    connector = make(cloud, api_version=3)
    (created,) = connector.create([draft(1)])
    connector.update(created.ref, draft(1, text="New words [x]"), frozenset({"text"}))
    doc = cloud.issue(created.ref.key)["fields"]["description"]
    assert doc["content"][0]["content"][0]["text"] == "New words [x]"


def test_done_and_reopen_are_transitions(fake: FakeJira, make: MakeConnector) -> None:
    connector = make(fake)
    (created,) = connector.create([draft(1)])
    connector.update(created.ref, draft(1, done=True), frozenset({"done"}))
    assert fake.issue(created.ref.key)["fields"]["status"]["name"] == "Done"
    fake.requests.clear()
    connector.update(created.ref, draft(1, done=True), frozenset({"done"}))  # already done
    assert fake.writes() == []
    connector.update(created.ref, draft(1, done=False), frozenset({"done"}))
    (state,) = connector.states([created.ref], None)
    assert state.status == Status.OPEN
    assert fake.issue(created.ref.key)["fields"]["resolution"] is None


def test_update_reaches_a_moved_issue_by_id(fake: FakeJira, make: MakeConnector) -> None:
    fake.add_project("NEW")
    connector = make(fake)
    (created,) = connector.create([draft(1)])
    new_key = fake.move(created.ref.key, "NEW")
    connector.update(created.ref, draft(1, title="Renamed"), frozenset({"title"}))
    assert fake.issue(new_key)["fields"]["summary"] == "Renamed"


def test_claim_is_pure_and_strict(fake: FakeJira, make: MakeConnector) -> None:
    connector = make(fake)
    assert connector.claim("OPS-42").key == "OPS-42"
    assert connector.claim(" OPS-42 ").url == f"{fake.base}/browse/OPS-42"
    assert connector.claim(f"{fake.base}/browse/OPS-7").key == "OPS-7"
    assert connector.claim(f"{fake.base}/browse/SEC-3?focusedCommentId=1").key == "SEC-3"
    assert connector.claim("SEC-3") is None  # a bare key of another project may be another tracker
    assert connector.claim("ops-42") is None
    assert connector.claim("https://elsewhere.example/browse/OPS-7") is None
    assert connector.claim(f"{fake.base}/projects/OPS") is None
    assert connector.claim("#12") is None
    assert fake.requests == []

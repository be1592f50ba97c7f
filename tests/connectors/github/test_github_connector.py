"""What the GitHub connector writes and reads: issue bodies, labels, owners, updates, states, tracking issues."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from remediate_github.markers import find_item_marker, find_tracking_marker

from remediate.connectors import MemoryCache, PostmortemInfo, Status, TicketRef
from remediate.testing import POSTMORTEM, make_draft
from tests.connectors.github.conftest import REPO, ConnectorFactory
from tests.fakes.github import FakeGitHub

OTHER = PostmortemInfo(
    id="2024-06-02-db-failover",
    title="Database failover, 2 June",
    date=date(2024, 6, 2),
    source="postmortems/2024-06-02-db-failover.md",
    link=None,
)


# --- creating ----------------------------------------------------------------------------------


def test_issue_carries_text_facts_labels_and_marker(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    draft = make_draft(1, owner="Alice Smith", text="Ask @bob to page #ops-team about #42.", priority="P0")
    (created,) = make_connector(owners={"alice smith": "alice"}).create([draft])
    issue = fake.issue(REPO, 1)
    assert issue.title == draft.title
    assert find_item_marker(issue.body) == draft.item_id
    body = issue.body or ""
    assert "Ask `@bob` to page #ops-team about `#42`." in body  # pings neutralised, text kept
    assert "[API outage of 1 May 2024](https://example.com/postmortems/2024-05-01-api-outage.md)" in body
    for fact in (
        "**Section:** Action Items",
        "**Owner:** @alice",
        "**Due:** 2024-06-01",
        "**Priority:** P0",
    ):
        assert fact in body
    assert [label.name for label in issue.labels] == [
        "remediation",
        "postmortem:2024-05-01-api-outage",
    ]
    assert issue.assignees == ["alice"]
    assert created.ref.key == f"{REPO}#1" and created.ref.url and created.ref.url.endswith("/acme/api/issues/1")
    assert created.ref.remote_id == str(issue.id)


def test_labels_are_created_once_with_colour_and_description(
    fake: FakeGitHub, make_connector: ConnectorFactory
) -> None:
    cache = MemoryCache()
    list(make_connector(cache=cache, label_color="#00AA11").create([make_draft(1)]))
    labels = fake.repo(REPO).labels
    assert labels["remediation"].color == "00aa11" and labels["remediation"].description
    assert set(labels) == {"remediation", "in-progress", "postmortem:2024-05-01-api-outage"}
    fake.reset_log()
    list(make_connector(cache=cache).create([make_draft(2)]))  # a later run: labels are known
    assert fake.count(path_contains="/labels") == 0


def test_label_names_with_slashes_and_spaces(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    list(make_connector(label="area/follow up", postmortem_label="pm/{date}").create([make_draft(1)]))
    assert {"area/follow up", "pm/2024-05-01"} <= {label.name for label in fake.issue(REPO, 1).labels}
    created = [r.body["name"] for r in fake.requests if r.method == "POST" and r.path.endswith("/labels")]
    assert created == ["area/follow up", "in-progress", "pm/2024-05-01"]  # created at once, no read first
    assert fake.count("POST", "/labels", status=201) == 3 and fake.count("GET", "/labels") == 0


def test_existing_labels_are_not_recreated(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    fake.open_issue(REPO, "x", labels=("remediation", "in-progress", "postmortem:2024-05-01-api-outage"))
    before = {name: (label.id, label.color) for name, label in fake.repo(REPO).labels.items()}
    list(make_connector().create([make_draft(1)]))
    # One request each, as a read would be: GitHub's 422 already_exists says the label is there.
    assert fake.count("POST", "/labels", status=422) == 3 and fake.count("GET", "/labels") == 0
    assert {name: (label.id, label.color) for name, label in fake.repo(REPO).labels.items()} == before


def test_unmapped_owner_gives_no_assignee_and_one_warning(
    fake: FakeGitHub, make_connector: ConnectorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    drafts = [make_draft(n, owner="@carol") for n in range(3)]
    list(make_connector().create(drafts))
    assert [issue.assignees for issue in fake.all_issues(REPO)] == [[], [], []]
    warnings = [r for r in caplog.records if r.name == "remediate.github" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "'@carol' has no GitHub login" in warnings[0].getMessage()
    assert "**Owner:** `@carol` (no GitHub login mapped)" in (fake.issue(REPO, 1).body or "")


def test_owner_github_refuses_to_assign_still_gets_an_issue(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    (created,) = make_connector(owners={"Dave": "dave"}).create([make_draft(1, owner="Dave")])
    issue = fake.issue(REPO, 1)
    assert issue.assignees == [] and created.ref.key == f"{REPO}#1"
    assert len(fake.all_issues(REPO)) == 1


def test_done_draft_is_created_then_closed_as_completed(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    list(make_connector().create([make_draft(1, done=True)]))
    issue = fake.issue(REPO, 1)
    assert (issue.state, issue.state_reason) == ("closed", "completed")


def test_long_titles_and_bodies_fit_githubs_limits(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    draft = make_draft(1, title="word " * 100, text="x" * 70000)
    list(make_connector().create([draft]))
    issue = fake.issue(REPO, 1)
    assert len(issue.title) <= 256 and issue.title.endswith("…")
    assert len(issue.body or "") <= 65536 and find_item_marker(issue.body) == draft.item_id


# --- updating ----------------------------------------------------------------------------------


def test_update_patches_only_what_changed(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    connector = make_connector(owners={"alice": "alice", "bob": "bob"})
    draft = make_draft(1, owner="alice")
    (created,) = connector.create([draft])
    fake.set_labels(REPO, 1, "remediation", "postmortem:2024-05-01-api-outage", "team-db")  # a person adds one
    fake.reset_log()

    edited = make_draft(1, owner="bob", due=date(2024, 7, 1), title="New title")
    ref = connector.update(created.ref, edited, draft.changed_fields(edited))

    (patch,) = [r for r in fake.requests if r.method == "PATCH"]
    assert set(patch.body) == {"title", "body", "assignees"}  # never labels: they replace the set
    issue = fake.issue(REPO, 1)
    assert issue.title == "New title" and issue.assignees == ["bob"] and "2024-07-01" in (issue.body or "")
    assert "team-db" in [label.name for label in issue.labels]
    assert ref.key == created.ref.key and len(fake.all_issues(REPO)) == 1


def test_update_with_nothing_to_send_sends_nothing(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    connector = make_connector()
    (created,) = connector.create([make_draft(1)])
    fake.reset_log()
    assert connector.update(created.ref, make_draft(1), frozenset()) == created.ref
    assert fake.requests == []


@pytest.mark.parametrize(("done", "state", "reason"), [(True, "closed", "completed"), (False, "open", "reopened")])
def test_done_changes_close_or_reopen(
    fake: FakeGitHub, make_connector: ConnectorFactory, done: bool, state: str, reason: str
) -> None:
    connector = make_connector()
    (created,) = connector.create([make_draft(1, done=not done)])
    connector.update(created.ref, make_draft(1, done=done), frozenset({"done"}))
    issue = fake.issue(REPO, 1)
    assert (issue.state, issue.state_reason) == (state, reason)


def test_linked_issue_that_remediate_did_not_file_is_left_alone(
    fake: FakeGitHub, make_connector: ConnectorFactory
) -> None:
    fake.open_issue(REPO, "Someone's issue", body="Their words")
    connector = make_connector()
    ref = connector.claim("#1")
    assert ref is not None and ref.remote_id is None
    connector.update(ref, make_draft(1, done=True), frozenset({"title", "text", "done"}))
    issue = fake.issue(REPO, 1)
    assert (issue.title, issue.body, issue.state) == ("Someone's issue", "Their words", "open")
    assert fake.count("PATCH") == 0


def test_linked_issue_with_our_marker_is_ours(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    draft = make_draft(1)
    (created,) = make_connector().create([draft])
    claimed = make_connector().claim(created.ref.key)  # e.g. written back into the document
    assert claimed is not None and claimed.remote_id is None
    make_connector().update(claimed, make_draft(1, title="Renamed"), frozenset({"title"}))
    assert fake.issue(REPO, 1).title == "Renamed"


# --- reading states ----------------------------------------------------------------------------


def test_in_progress_label_and_reopened(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    connector = make_connector()
    refs = [c.ref for c in connector.create([make_draft(n) for n in range(3)])]
    fake.set_labels(REPO, 1, "remediation", "In-Progress")  # labels compare case-insensitively
    fake.set_state(REPO, 2, "closed", "completed")
    fake.set_state(REPO, 2, "open")
    states = {s.ref.key: s for s in connector.states(refs, None)}
    assert (states[refs[0].key].status, states[refs[0].key].detail) == (
        Status.IN_PROGRESS,
        "open, labelled 'in-progress'",
    )
    assert (states[refs[1].key].status, states[refs[1].key].detail) == (Status.OPEN, "reopened")
    assert states[refs[2].key].status is Status.OPEN


def test_in_progress_label_can_be_switched_off(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    connector = make_connector(in_progress_label="")
    (created,) = connector.create([make_draft(1)])
    fake.set_labels(REPO, 1, "remediation", "in-progress")
    assert [s.status for s in connector.states([created.ref], None)] == [Status.OPEN]


def test_a_run_behind_the_cursor_asks_for_exactly_its_window(
    fake: FakeGitHub, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    refs = [c.ref for c in connector.create([make_draft(n) for n in range(3)])]
    fake.set_state(REPO, 1, "closed", "completed")
    fake.advance(30)
    list(connector.states(refs, None))  # full read: the cursor is now after the close
    fake.reset_log()
    long_ago = datetime.fromtimestamp(fake.now() - 3600, UTC)  # an engine whose last run died
    states = {s.ref.key: s.status for s in connector.states(refs, long_ago)}
    assert states == {refs[0].key: Status.DONE, refs[1].key: Status.OPEN, refs[2].key: Status.OPEN}
    (listing,) = fake.requests
    window = long_ago - timedelta(seconds=60)  # reads start a minute early (clock skew)
    assert dict(listing.query)["since"] == window.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_change_in_the_same_second_or_behind_a_fast_clock_is_not_missed(
    fake: FakeGitHub, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    (created,) = connector.create([make_draft(1)])
    list(connector.states([created.ref], None))
    fake.advance(300)
    fake.set_state(REPO, 1, "closed", "completed")  # updated_at has whole seconds
    # The engine's clock runs 30 s ahead of GitHub's and has microseconds.
    since = datetime.fromtimestamp(fake.now() + 30.25, UTC)
    assert [s.status for s in connector.states([created.ref], since)] == [Status.DONE]


def test_issue_whose_label_was_removed_is_still_read(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    connector = make_connector()
    (created,) = connector.create([make_draft(1)])
    fake.set_labels(REPO, 1)
    fake.set_state(REPO, 1, "closed", "completed")
    (state,) = connector.states([created.ref], None)
    assert state.status is Status.DONE and state.missing is None


def test_issues_in_other_repositories_are_read_one_by_one_with_etags(
    fake: FakeGitHub, make_connector: ConnectorFactory
) -> None:
    fake.add_repo("acme/web")
    fake.open_issue("acme/web", "Linked elsewhere")
    connector = make_connector()
    ref = connector.claim("https://" + fake.base_url.split("://")[1].split("/")[0] + "/acme/web/issues/1")
    assert ref is None  # http fake, https link: not the same server
    ref = connector.claim("acme/web#1")
    assert ref is not None
    (state,) = connector.states([ref], None)
    assert state.status is Status.OPEN
    fake.reset_log()
    since = state.updated_at
    assert list(connector.states([ref], since.replace(year=since.year + 1) if since else None)) == []
    assert fake.count("GET", "/acme/web/issues/1", status=304) == 1


# --- tracking issues ---------------------------------------------------------------------------


def test_tracking_issue_links_sub_issues_and_is_stable(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    connector = make_connector()
    refs = [c.ref for c in connector.create([make_draft(n) for n in range(3)])]
    group = connector.sync_group(POSTMORTEM, None, refs)
    assert group is not None
    parent = fake.issue(REPO, int(group.key.split("#")[1]))
    assert parent.title == "Postmortem: API outage of 1 May 2024"
    assert find_tracking_marker(parent.body) == POSTMORTEM.id
    assert {label.name for label in parent.labels} == {
        "postmortem",
        "postmortem:2024-05-01-api-outage",
    }
    assert [fake.issue(REPO, int(r.key.split("#")[1])).id for r in refs] == parent.sub_issues

    more = [c.ref for c in connector.create([make_draft(9)])]
    fake.reset_log()
    again = connector.sync_group(POSTMORTEM, group, refs + more)
    assert again is not None and again.key == group.key
    assert fake.count("POST", "/sub_issues") == 1 and fake.count("POST", "/issues") == 1
    assert len(parent.sub_issues) == 4


def test_tracking_issue_found_again_after_a_crash(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    refs = [c.ref for c in make_connector().create([make_draft(n) for n in range(2)])]
    first = make_connector().sync_group(POSTMORTEM, None, refs)
    second = make_connector().sync_group(POSTMORTEM, None, refs)  # the link to the first was lost
    assert first is not None and second is not None and second.key == first.key
    assert len(fake.all_issues(REPO)) == 3


def test_task_list_where_the_server_has_no_sub_issues(make_connector: ConnectorFactory, fake: FakeGitHub) -> None:
    fake.sub_issues = False
    cache = MemoryCache()
    connector = make_connector(cache=cache)
    refs = [c.ref for c in connector.create([make_draft(n) for n in range(2)])]
    group = connector.sync_group(POSTMORTEM, None, refs)
    assert group is not None
    body = fake.issue(REPO, 3).body or ""
    assert f"- [ ] {REPO}#1\n- [ ] {REPO}#2" in body
    fake.reset_log()
    more = [c.ref for c in connector.create([make_draft(5)])]
    make_connector(cache=cache).sync_group(POSTMORTEM, group, refs + more)
    assert fake.count(path_contains="/sub_issues") == 0  # remembered: no sub-issues here
    assert f"- [ ] {REPO}#4" in (fake.issue(REPO, 3).body or "")


def test_task_list_mode_never_touches_sub_issues(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    connector = make_connector(tracking={"mode": "task-list", "title": "Follow-up: {id}"})
    refs = [c.ref for c in connector.create([make_draft(1)])]
    connector.sync_group(POSTMORTEM, None, refs)
    parent = fake.issue(REPO, 2)
    assert parent.title == "Follow-up: 2024-05-01-api-outage" and parent.sub_issues == []
    assert fake.count(path_contains="/sub_issues") == 0


def test_members_that_cannot_be_sub_issues_are_listed(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    fake.add_repo("elsewhere/tools")
    fake.open_issue("elsewhere/tools", "Other owner")
    connector = make_connector()
    own = [c.ref for c in connector.create([make_draft(1)])]
    other = connector.claim("elsewhere/tools#1")
    assert other is not None
    group = connector.sync_group(POSTMORTEM, None, [*own, other])
    assert group is not None
    parent = fake.issue(REPO, 2)
    assert len(parent.sub_issues) == 1 and "- [ ] elsewhere/tools#1" in (parent.body or "")


def test_sub_issue_limit_of_100_spills_into_the_body(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    connector = make_connector()
    refs = [c.ref for c in connector.create([make_draft(n) for n in range(102)])]
    group = connector.sync_group(POSTMORTEM, None, refs)
    assert group is not None
    parent = fake.issue(REPO, 103)
    assert len(parent.sub_issues) == 100
    assert f"- [ ] {REPO}#101\n- [ ] {REPO}#102" in (parent.body or "")


def test_tracking_disabled_returns_none_without_requests(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    assert make_connector(tracking={"enabled": False}).sync_group(POSTMORTEM, None, []) is None
    assert fake.requests == []


def test_two_postmortems_get_their_own_labels_and_tracking_issues(
    fake: FakeGitHub, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    first = [c.ref for c in connector.create([make_draft(1)])]
    second = [c.ref for c in connector.create([make_draft(2, postmortem=OTHER)])]
    one = connector.sync_group(POSTMORTEM, None, first)
    two = connector.sync_group(OTHER, None, second)
    assert one is not None and two is not None and one.key != two.key
    assert "postmortem:2024-06-02-db-failover" in {label.name for label in fake.issue(REPO, 2).labels}
    assert "(`postmortems/2024-06-02-db-failover.md`)" in (fake.issue(REPO, 2).body or "")
    assert connector.find([make_draft(2, postmortem=OTHER)]) == {make_draft(2, postmortem=OTHER).item_id: second[0]}


def test_refs_are_full_keys_claimable_from_every_form(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    connector = make_connector()
    (created,) = connector.create([make_draft(1)])
    assert created.ref.url is not None
    api_url = f"{fake.base_url}/repos/{REPO}/issues/1"
    forms = [
        "#1",
        "GH-1",
        f"{REPO}#1",
        "ACME/API#1",
        created.ref.url,
        created.ref.url + "#issuecomment-9",
        created.ref.url.replace("/issues/", "/pull/"),  # the parser used to read it as acme/api#1
        created.ref.url.replace("/issues/", "/pull/") + "/files",
        api_url,
    ]
    for form in forms:
        claimed = connector.claim(form)
        assert claimed == TicketRef("github", created.ref.key, created.ref.url), form
    for other in (
        "#x",
        "acme/api#",
        "OPS-12",
        "https://example.com/acme/api/issues/1",
        created.ref.url.replace("issues", "pulls"),
    ):
        assert connector.claim(other) is None, other

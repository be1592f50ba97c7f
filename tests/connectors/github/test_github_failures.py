"""How the GitHub connector fails and recovers: crashes, rate limits, 5xx, bad tokens, gone issues."""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime, timedelta

import pytest
from remediate_github.markers import find_item_marker

from remediate.connectors import Status
from remediate.errors import AuthError, NotFound, RateLimited, Unavailable
from remediate.testing import make_draft
from tests.connectors.github.conftest import REPO, ConnectorFactory
from tests.fakes.github import FakeGitHub


def markers_in(fake: FakeGitHub) -> list[str | None]:
    """The item ids of every issue in the repository, in number order."""
    return [find_item_marker(issue.body) for issue in fake.all_issues(REPO)]


# --- crash recovery -------------------------------------------------------------------------


def test_crash_after_create_before_link_is_adopted_not_duplicated(
    fake: FakeGitHub, make_connector: ConnectorFactory
) -> None:
    drafts = [make_draft(n) for n in range(6)]
    stored = {}
    run = make_connector().create(drafts)
    for _ in range(3):
        created = next(run)
        if len(stored) < 2:  # the process dies after the third issue, before storing its link
            stored[created.item_id] = created.ref
    run.close()

    rerun = make_connector()  # a new process: nothing in memory
    pending = [d for d in drafts if d.item_id not in stored]
    found = rerun.find(pending)
    assert list(found) == [drafts[2].item_id]
    created = {c.item_id: c.ref for c in rerun.create([d for d in pending if d.item_id not in found])}

    assert sorted(markers_in(fake)) == sorted(d.item_id for d in drafts)  # six issues, no duplicate
    assert {**stored, **found, **created}.keys() == {d.item_id for d in drafts}


def test_write_applied_then_5xx_is_recovered_by_marker_not_repeated(
    fake: FakeGitHub, make_connector: ConnectorFactory
) -> None:
    fake.fail_next(1, status=502, methods=("POST",), path_contains="/issues", apply=True)
    created = list(make_connector().create([make_draft(1)]))
    assert len(created) == 1
    assert markers_in(fake) == [make_draft(1).item_id]  # GitHub made it once; we did not POST again
    assert fake.count("POST", "/issues") == 1


def test_find_ignores_pull_requests_and_other_postmortems(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    draft = make_draft(1)
    fake.open_issue(
        REPO,
        "PR",
        body=f"<!-- remediate:item={draft.item_id} -->",
        labels=("remediation",),
        pull_request=True,
    )
    connector = make_connector()
    assert connector.find([draft]) == {}
    (created,) = connector.create([draft])
    assert connector.find([draft])[draft.item_id].key == created.ref.key


# --- rate limits -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retry_after", "expected_wait"),
    [(403, None, 60.0), (429, 30, 30.0), (403, 5, 5.0)],
)
def test_secondary_limit_mid_50_item_sync_completes_without_duplicates(
    fake: FakeGitHub,
    make_connector: ConnectorFactory,
    status: int,
    retry_after: int | None,
    expected_wait: float,
) -> None:
    drafts = [make_draft(n) for n in range(50)]
    connector = make_connector()
    fake.secondary_limit(after_writes=25, duration=expected_wait, status=status, retry_after=retry_after)
    started = fake.now()

    created = list(connector.create(drafts))

    assert [c.item_id for c in created] == [d.item_id for d in drafts]
    assert sorted(markers_in(fake)) == sorted(d.item_id for d in drafts)
    assert fake.count(status=status) == 1
    assert connector.transport.stats.rate_limit_waits == [expected_wait]
    assert fake.now() - started >= expected_wait  # it waited (on the fake clock), then went on


def test_content_creation_limit_is_hit_without_pacing_and_avoided_with_it(
    make_connector: ConnectorFactory, fake: FakeGitHub
) -> None:
    fake.tick = 0.1  # requests 0.1 s apart: 100 creations in 10 s, over GitHub's 80 a minute
    created = list(make_connector().create([make_draft(n) for n in range(100)]))
    assert len(created) == 100 and fake.count(status=403) == 1
    assert len(set(markers_in(fake))) == 100

    fake.reset_log()
    paced = make_connector(pacing={"write_interval": 1.0})
    list(paced.create([make_draft(n, item_id=f"paced{n}") for n in range(100)]))
    assert fake.count(status=403) == 0
    assert paced.transport.pacing_sleep >= 99 * 0.9


def test_primary_limit_waits_for_the_reset(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    connector = make_connector()
    fake.exhaust_quota(reset_in=120)
    (created,) = connector.create([make_draft(1)])
    assert created.ref.key == f"{REPO}#1"
    assert connector.transport.stats.rate_limit_waits[0] == pytest.approx(121, abs=2)


def test_primary_limit_known_from_headers_waits_before_sending(
    fake: FakeGitHub, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    list(connector.create([make_draft(1)]))
    fake.remaining, fake.window_reset = 1, fake.now() + 120  # the next answer says 0 are left
    list(connector.create([make_draft(2)]))
    fake.reset_log()
    list(connector.create([make_draft(3)]))
    assert fake.count(status=403) == 0  # it read x-ratelimit-remaining: 0 and waited instead
    assert connector.transport.stats.rate_limit_waits == [pytest.approx(120, abs=3)]
    assert len(fake.all_issues(REPO)) == 3


def test_rate_limit_longer_than_max_wait_stops_with_when_to_retry(
    fake: FakeGitHub, make_connector: ConnectorFactory
) -> None:
    fake.exhaust_quota(reset_in=3000)
    with pytest.raises(RateLimited) as caught:
        list(make_connector(pacing={"max_wait": 600}).create([make_draft(1)]))
    assert caught.value.retry_after == pytest.approx(3001, abs=2)
    assert "run again in about 50 min" in str(caught.value)
    assert fake.all_issues(REPO) == []


def test_429_without_retry_after_backs_off_exponentially(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    fake.secondary_limit(after_writes=0, duration=150, status=429)
    connector = make_connector()
    list(connector.create([make_draft(1)]))
    assert connector.transport.stats.rate_limit_waits == [60.0, 120.0]


# --- 5xx and network ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH"])
def test_5xx_bursts_are_retried_with_backoff(fake: FakeGitHub, make_connector: ConnectorFactory, method: str) -> None:
    connector = make_connector()
    (created,) = connector.create([make_draft(1)])
    fake.fail_next(3, status=503, methods=(method,))
    started = fake.now()
    if method == "GET":
        states = list(connector.states([created.ref], None))
        assert [s.status for s in states] == [Status.OPEN]
    elif method == "POST":
        list(connector.create([make_draft(2)]))
    else:  # PyGithub never retries PATCH; we do, because our PATCHes set absolute values
        draft = make_draft(1, title="Renamed")
        connector.update(created.ref, draft, frozenset({"title"}))
        assert fake.issue(REPO, 1).title == "Renamed"
    assert connector.transport.stats.retries == 3
    assert fake.now() - started >= 1 + 2 + 4  # exponential backoff on the fake clock
    assert len(fake.all_issues(REPO)) == (2 if method == "POST" else 1)


def test_persistent_5xx_ends_in_unavailable_not_retry_error(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    fake.fail_next(100, status=502, body="<html><body>Bad Gateway</body></html>")
    with pytest.raises(Unavailable) as caught:
        list(make_connector().create([make_draft(1)]))
    assert "kept failing (HTTP 502)" in str(caught.value) and "5 attempts" in str(caught.value)


def test_unreachable_server_is_unavailable(make_connector: ConnectorFactory) -> None:
    connector = make_connector(
        env={"GITHUB_TOKEN": "ghp_0123456789abcdef", "GITHUB_API_URL": "http://127.0.0.1:9/api/v3"}
    )
    with pytest.raises(Unavailable) as caught:
        list(connector.states([connector.claim("#1")], None))  # type: ignore[list-item]
    assert "GitHub kept failing (ConnectionError)" in str(caught.value)


# --- credentials and repositories ------------------------------------------------------------


def test_bad_token_names_the_variable_and_never_shows_the_token(
    fake: FakeGitHub, make_connector: ConnectorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "ghp_wrongwrongwrongwrongwrongwrong0000"
    caplog.set_level(logging.DEBUG)  # PyGithub and urllib3 log requests at DEBUG
    connector = make_connector(env={"GITHUB_TOKEN": secret, "GITHUB_API_URL": fake.base_url})
    with pytest.raises(AuthError) as caught:
        list(connector.create([make_draft(1)]))
    message = str(caught.value)
    assert "GITHUB_TOKEN" in message and "401" in message and "Bad credentials" in message
    everything = "".join(traceback.format_exception(caught.value)) + caplog.text + repr(caught.value)
    assert secret not in everything
    assert fake.requests and fake.all_issues(REPO) == []


def test_missing_token_is_reported_before_any_request(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    connector = make_connector(env={"GITHUB_API_URL": fake.base_url})
    assert connector.claim("#3") is not None  # claim needs no token
    with pytest.raises(AuthError, match="GITHUB_TOKEN is not set"):
        list(connector.create([make_draft(1)]))
    assert fake.requests == []


def test_missing_repository_says_which_and_what_to_check(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    with pytest.raises(NotFound) as caught:
        list(make_connector(repo="acme/nope").create([make_draft(1)]))
    assert "repository acme/nope not found" in str(caught.value) and "--repo" in str(caught.value)
    with pytest.raises(NotFound, match="acme/nope not found"):
        list(make_connector(repo="acme/nope").states([], None))


def test_read_only_token_is_refused_before_writing(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    fake.add_repo(
        "acme/readonly",
        permissions={
            "admin": False,
            "maintain": False,
            "push": False,
            "triage": False,
            "pull": True,
        },
    )
    with pytest.raises(AuthError, match="give it triage or write access"):
        list(make_connector(repo="acme/readonly").create([make_draft(1)]))
    assert fake.count("POST") == 0


def test_disabled_issues_are_reported(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    fake.add_repo("acme/noissues", has_issues=False)
    with pytest.raises(Exception, match="issues are disabled in acme/noissues"):
        list(make_connector(repo="acme/noissues").create([make_draft(1)]))


# --- issues closed, moved or deleted by people ------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("not_planned", Status.NOT_DOING),
        ("duplicate", Status.NOT_DOING),
        ("completed", Status.DONE),
    ],
)
def test_closed_issue_reasons(fake: FakeGitHub, make_connector: ConnectorFactory, reason: str, status: Status) -> None:
    connector = make_connector()
    (created,) = connector.create([make_draft(1)])
    fake.set_state(REPO, 1, "closed", reason)
    (state,) = connector.states([created.ref], None)
    assert state.status is status and state.detail == f"closed: {reason}"


@pytest.mark.parametrize("redirect", [307, 301])
def test_transferred_issue_is_reported_moved_and_updates_follow_it(
    fake: FakeGitHub, make_connector: ConnectorFactory, redirect: int
) -> None:
    fake.write_redirect = redirect  # 307 as GitHub answers writes; 301 is followed by PyGithub
    fake.add_repo("acme/other")
    fake.open_issue("acme/other", "Existing issue over there")
    connector = make_connector()
    created = [c.ref for c in connector.create([make_draft(n) for n in range(3)])]
    fake.transfer(REPO, 2, "acme/other")

    states = {s.ref.key: s for s in connector.states(created, None)}
    moved = states[created[1].key]
    assert moved.missing == "moved" and "transferred to acme/other#2" in (moved.detail or "")
    assert states[created[0].key].missing is None

    ref = connector.update(created[1], make_draft(1, title="Still followed"), frozenset({"title"}))
    assert ref.key == "acme/other#2"  # the write got a 307 and was sent to the new place
    assert fake.issue("acme/other", 2).title == "Still followed"
    assert len(fake.all_issues(REPO)) == 2  # nothing recreated


def test_deleted_issue_is_reported_and_never_recreated(fake: FakeGitHub, make_connector: ConnectorFactory) -> None:
    connector = make_connector()
    created = [c.ref for c in connector.create([make_draft(n) for n in range(2)])]
    fake.delete(REPO, 1)
    for _ in range(2):  # every full read says so again; nothing is created in between
        states = {s.ref.key: s for s in connector.states(created, None)}
        assert states[created[0].key].missing == "deleted"
        assert states[created[1].key].missing is None
    with pytest.raises(NotFound, match="deleted on GitHub; remediate will not recreate it"):
        connector.update(created[0], make_draft(0, title="x"), frozenset({"title"}))
    assert fake.count("POST", "/issues") == 2


def test_incremental_reads_notice_deletions_at_the_next_full_refresh(
    fake: FakeGitHub, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(full_refresh_hours=1)
    created = [c.ref for c in connector.create([make_draft(n) for n in range(2)])]
    assert len(list(connector.states(created, None))) == 2
    fake.delete(REPO, 2)
    fake.advance(60)
    since = datetime.fromtimestamp(fake.now(), UTC)
    assert list(connector.states(created, since)) == []  # incremental: cannot see a deletion
    fake.advance(3600)
    later = datetime.fromtimestamp(fake.now(), UTC) - timedelta(seconds=1)
    (state,) = connector.states(created, later)
    assert state.ref == created[1] and state.missing == "deleted"

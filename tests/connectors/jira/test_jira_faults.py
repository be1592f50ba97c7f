"""Rate limits, faults and recovery: retries are bounded, waits injected, creates never doubled."""

from __future__ import annotations

import traceback

import pytest

from remediate.connectors import MemoryCache
from remediate.errors import AuthError, RateLimited, Unavailable
from remediate.testing import make_draft as draft
from tests.connectors.jira.conftest import MakeConnector, jira_env
from tests.fakes.jira import FakeJira, Fault

#: The bulk-create fault tests are about the items' create: without the per-postmortem epic (whose
#: own bulk create would meet the fault first; test_jira_answers covers a faulty epic create).
NO_EPIC = "none"


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("0", [1.0]), (None, [1.0]), ("7", [7.0])],
)
def test_429_on_bulk_create_is_retried_after_the_right_wait(
    fake: FakeJira, make: MakeConnector, sleeps: list[float], retry_after: str | None, expected: list[float]
) -> None:
    fake.rate_limit("POST", r"/issue/bulk$", retry_after=retry_after)
    created = list(make(fake, parent=NO_EPIC).create([draft(n) for n in range(3)]))
    assert len(created) == 3 and len(fake.issues) == 3
    assert sleeps == expected  # Retry-After: 0 means "no advice": back off instead of hammering
    assert fake.count("POST", r"/issue/bulk$") == 2


def test_backoff_doubles_and_gives_up_with_rate_limited(
    fake: FakeJira, make: MakeConnector, sleeps: list[float]
) -> None:
    fake.rate_limit("GET", r"/search", retry_after=None, times=10)
    connector = make(fake, max_retries=3)
    with pytest.raises(RateLimited) as info:
        connector.find([draft(1)])
    assert sleeps == [1.0, 2.0, 4.0]
    assert "after 3 retries" in str(info.value)


def test_retry_after_longer_than_max_wait_fails_at_once(
    fake: FakeJira, make: MakeConnector, sleeps: list[float]
) -> None:
    fake.rate_limit("GET", r"/search", retry_after="3600")
    with pytest.raises(RateLimited) as info:
        make(fake).find([draft(1)])
    assert info.value.retry_after == 3600.0
    assert sleeps == []


def test_503_on_a_search_is_retried(fake: FakeJira, make: MakeConnector, sleeps: list[float]) -> None:
    fake.faults.append(Fault("GET", r"/search", 503, {"Retry-After": "2"}))
    assert make(fake).find([draft(1)]) == {}
    assert sleeps == [2.0]


def test_500_on_a_read_is_retried(fake: FakeJira, make: MakeConnector, sleeps: list[float]) -> None:
    """A read is idempotent: a 500 (Data Center answers it for passing trouble too) is tried again.

    Found by the fault campaign: recovery on Data Center reads issues one by one, and a single
    500 among them ended the sync, run after run, at 20% faults.
    """
    fake.faults.append(Fault("GET", r"/search", 500, body={"errorMessages": ["boom"]}))
    assert make(fake).find([draft(1)]) == {}
    assert sleeps == [1.0]
    assert fake.count("GET", r"/search") == 2


@pytest.mark.parametrize("lag", [False, True])
def test_bulk_create_that_succeeded_but_answered_503_is_not_repeated(
    fake: FakeJira, make: MakeConnector, sleeps: list[float], lag: bool
) -> None:
    fake.lag = lag  # with lag, JQL cannot see the new issues: recovery must not rely on it
    fake.faults.append(Fault("POST", r"/issue/bulk$", 503, {"Retry-After": "1"}, apply_first=True))
    drafts = [draft(n) for n in range(4)]
    created = list(make(fake, parent=NO_EPIC).create(drafts))
    assert sorted(c.item_id for c in created) == [d.item_id for d in drafts]
    assert len(fake.issues) == 4  # adopted, not created twice
    assert fake.count("POST", r"/issue/bulk$") == 1
    assert sleeps == []  # nothing left to retry
    assert {c.ref.key for c in created} == {i["key"] for i in fake.issues.values()}


def test_dropped_connection_after_a_partial_apply(dc: FakeJira, make: MakeConnector) -> None:
    # The first bulk POST is applied and its answer lost; a retry must create only what is missing.
    dc.faults.append(Fault("POST", r"/issue/bulk$", apply_first=True, drop=True))
    connector = make(dc, parent=NO_EPIC)
    first = list(connector.create([draft(0), draft(1)]))
    assert len(first) == 2 and len(dc.issues) == 2
    assert dc.count("POST", r"/issue/bulk$") == 1


def test_ambiguous_failure_that_did_not_apply_is_retried(
    fake: FakeJira, make: MakeConnector, sleeps: list[float]
) -> None:
    fake.faults.append(Fault("POST", r"/issue/bulk$", 503, {"Retry-After": "3"}))
    created = list(make(fake, parent=NO_EPIC).create([draft(0), draft(1)]))
    assert len(created) == 2 and len(fake.issues) == 2
    assert fake.count("POST", r"/issue/bulk$") == 2
    assert sleeps == [3.0]


def test_500_on_create_is_not_retried_blindly(fake: FakeJira, make: MakeConnector) -> None:
    fake.faults.append(Fault("POST", r"/issue/bulk$", 500, body={"errorMessages": ["boom"]}))
    with pytest.raises(Unavailable) as info:
        list(make(fake, parent=NO_EPIC).create([draft(0)]))
    assert "HTTP 500" in str(info.value)
    assert fake.issues == {} and fake.count("POST", r"/issue/bulk$") == 1


@pytest.mark.parametrize("lag", [False, True])
def test_crash_after_create_is_recovered_by_find(fake: FakeJira, make: MakeConnector, lag: bool) -> None:
    cache = MemoryCache()  # stands in for the engine's persistent cache
    drafts = [draft(n) for n in range(3)]
    fake.lag = lag
    run = make(fake, cache=cache, parent=NO_EPIC).create(drafts)
    first = next(run)
    run.close()  # the process died: the first link was stored, the rest never were
    assert len(fake.issues) == 3
    found = make(fake, cache=cache, parent=NO_EPIC).find(drafts)  # next run, new process
    assert set(found) == {d.item_id for d in drafts}
    assert found[first.item_id].key == first.ref.key
    assert sorted(r.key for r in found.values()) == sorted(i["key"] for i in fake.issues.values())


def test_find_uses_the_marker_label_and_asks_only_for_labels(fake: FakeJira, make: MakeConnector) -> None:
    created = {c.item_id: c.ref.key for c in make(fake).create([draft(1), draft(2)])}
    fake.requests.clear()
    found = make(fake).find([draft(1), draft(2), draft(3)])
    assert {k: v.key for k, v in found.items()} == created
    (search,) = [r for r in fake.requests if "search" in r.path]
    assert (
        'labels in ("remediate-contract0001", "remediate-contract0002", "remediate-contract0003")'
        in search.query["jql"][0]
    )
    assert search.query["fields"] == ["labels"]


def test_401_names_the_variables_and_never_the_secret(cloud: FakeJira, make: MakeConnector) -> None:
    env = {**jira_env(cloud), "JIRA_API_TOKEN": "wrong-token-value-1234"}
    with pytest.raises(AuthError) as info:
        list(make(cloud, env=env).create([draft(1)]))
    message = str(info.value)
    assert "refused the credentials (401)" in message and "JIRA_USER and JIRA_API_TOKEN" in message
    rendered = "".join(traceback.format_exception(info.value))
    assert "wrong-token-value-1234" not in rendered and "Authorization" not in rendered
    assert info.value.__suppress_context__


def test_403_explains_the_permission_without_secrets(dc: FakeJira, make: MakeConnector) -> None:
    dc.deny.add("create")
    with pytest.raises(AuthError) as info:
        list(make(dc).create([draft(1)]))
    message = str(info.value)
    assert "403" in message and "permission to create issues" in message and "JIRA_PAT" in message
    assert dc.pat not in "".join(traceback.format_exception(info.value))


def test_unreachable_site_is_unavailable(make: MakeConnector, sleeps: list[float]) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fake = FakeJira("datacenter")
    fake.base = f"http://127.0.0.1:{port}"
    with pytest.raises(Unavailable) as info:
        make(fake, max_retries=2).find([draft(1)])
    assert f"cannot reach Jira at http://127.0.0.1:{port}" in str(info.value)
    assert sleeps == [1.0, 2.0]

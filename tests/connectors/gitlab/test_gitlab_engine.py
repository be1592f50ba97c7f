"""`remediate sync --tracker gitlab` end to end: the real engine and database against the fake GitLab."""

from __future__ import annotations

from pathlib import Path

from remediate.jobs import refresh_states, sync_paths
from remediate.settings import Settings
from tests.connectors.gitlab.conftest import PROJECT, TEST_PACING
from tests.fakes.gitlab import FakeGitLab
from tests.support import write_postmortem

ITEMS = [f"Add alerting on queue depth for worker pool {n}" for n in range(12)]


def settings() -> Settings:
    return Settings(connectors={"gitlab": {"project": PROJECT, "pacing": TEST_PACING}})


def env(fake: FakeGitLab) -> dict[str, str]:
    return {"GITLAB_TOKEN": fake.token, "GITLAB_URL": fake.url}


def test_sync_once_resync_without_requests_and_bring_states_back(tmp_path: Path, fake: FakeGitLab) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    db = f"sqlite:///{tmp_path / 'state.db'}"

    def run() -> object:
        return sync_paths([str(doc)], settings(), database_url=db, tracker="gitlab", environ=env(fake))

    first = run()
    assert first.plan.summary()["created"] == 12  # type: ignore[attr-defined]
    assert len(fake.issues(PROJECT)) == 13  # 12 items + the tracking issue
    creates = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/issues")]
    assert len(creates) == 13
    tracking = next(i for i in fake.issues(PROJECT) if "postmortem" in i.labels)
    assert len(tracking.links) == 12
    before, written = len(fake.requests), len(fake.writes())
    second = run()
    assert second.plan.summary()["unchanged"] == 12  # type: ignore[attr-defined]
    assert len(fake.writes()) == written, "a no-change re-sync writes nothing"
    assert len(fake.requests) - before <= 1

    iid = int(first.plan.actions[2].ref.key.rsplit("#", 1)[1])  # type: ignore[attr-defined]
    fake.set_state(PROJECT, iid, "closed", "won't do")
    changes = refresh_states(settings(), database_url=db, tracker="gitlab", environ=env(fake))
    assert [(c.key, c.new) for c in changes] == [(f"{PROJECT}#{iid}", "not_doing")]
    assert len(fake.issues(PROJECT)) == 13


def test_a_lost_answer_to_a_create_is_recovered_not_duplicated(tmp_path: Path, fake: FakeGitLab) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS[:4])
    fake.fail(502, methods=("POST",), path_contains="/issues", apply=True)  # applied, answer lost
    fake.fail(0, methods=("GET",), path_contains="/issues")  # and a connection reset on the way
    fake.fail(429, methods=("POST",), path_contains="/issues", retry_after="0")
    quick = Settings(connectors={"gitlab": {"project": PROJECT, "pacing": {"backoff": 0}}})
    outcome = sync_paths(
        [str(doc)], quick, database_url=f"sqlite:///{tmp_path / 's.db'}", tracker="gitlab", environ=env(fake)
    )
    assert outcome.plan.summary()["created"] == 4  # type: ignore[attr-defined]
    items = [i for i in fake.issues(PROJECT) if "remediation" in i.labels]
    assert len(items) == 4, "exactly one issue per item"


def test_an_empty_database_adopts_every_issue(tmp_path: Path, fake: FakeGitLab) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS[:5])
    sync_paths(
        [str(doc)], settings(), database_url=f"sqlite:///{tmp_path / 'a.db'}", tracker="gitlab", environ=env(fake)
    )
    count = len(fake.issues(PROJECT))
    again = sync_paths(
        [str(doc)], settings(), database_url=f"sqlite:///{tmp_path / 'b.db'}", tracker="gitlab", environ=env(fake)
    )
    assert all(a.adopted for a in again.plan.actions)  # type: ignore[attr-defined]
    assert len(fake.issues(PROJECT)) == count


def test_deleted_and_moved_issues_are_reported_not_recreated(make_connector, fake: FakeGitLab) -> None:  # type: ignore[no-untyped-def]
    from remediate.testing import make_draft

    fake.add_project("acme/other")
    connector = make_connector()
    refs = [c.ref for c in connector.create([make_draft(n) for n in range(3)])]
    fake.delete(PROJECT, int(refs[0].key.rsplit("#", 1)[1]))
    fake.move(PROJECT, int(refs[1].key.rsplit("#", 1)[1]), "acme/other")
    states = {s.ref.key: s for s in connector.states(refs, None)}
    assert states[refs[0].key].missing == "deleted"
    assert states[refs[1].key].missing == "moved"
    assert states[refs[2].key].missing is None


def test_claim_reads_keys_and_urls_of_this_project_only(make_connector, fake: FakeGitLab) -> None:  # type: ignore[no-untyped-def]
    connector = make_connector()
    assert connector.claim("#7").key == f"{PROJECT}#7"
    assert connector.claim(f"{fake.url}/{PROJECT}/-/issues/9").key == f"{PROJECT}#9"
    assert connector.claim(f"{PROJECT}#3").key == f"{PROJECT}#3"
    assert connector.claim("acme/other#3") is None
    assert connector.claim("https://elsewhere.example/acme/platform/api/-/issues/9") is None


def test_missing_token_and_malformed_answers_are_one_line_errors(make_connector, fake: FakeGitLab) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from remediate.errors import AuthError, ConnectorError
    from remediate.testing import make_draft

    with pytest.raises(AuthError, match="GITLAB_TOKEN"):
        list(make_connector(env={"GITLAB_URL": fake.url}).create([make_draft(1)]))
    bad = make_connector(env={"GITLAB_URL": fake.url, "GITLAB_TOKEN": "glpat-wrong"})
    with pytest.raises(AuthError) as refused:
        list(bad.create([make_draft(1)]))
    assert "glpat-wrong" not in str(refused.value)
    fake.projects[next(iter(fake.projects))].issues.clear()
    original = fake._shape
    fake._shape = lambda issue: {"iid": "not a number"}  # type: ignore[method-assign]
    try:
        with pytest.raises(ConnectorError, match="malformed"):
            list(make_connector().create([make_draft(2)]))
    finally:
        fake._shape = original  # type: ignore[method-assign]


def test_rate_limits_wait_as_told_within_the_bound(make_connector, fake: FakeGitLab) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from remediate.errors import RateLimited
    from remediate.testing import make_draft

    connector = make_connector()
    fake.fail(429, methods=("POST",), path_contains="/issues", retry_after="7")
    list(connector.create([make_draft(1)]))
    assert connector.transport.stats.waits == [7.0]
    fake.fail(429, methods=("POST",), path_contains="/issues", retry_after="3600")
    with pytest.raises(RateLimited, match="max_total_wait"):
        list(connector.create([make_draft(2)]))
    assert len(fake.issues(PROJECT)) == 1


def test_slow_gitlab_gives_up_within_the_total_wait() -> None:
    """Every answer takes 5 s; timeout 2 s, max_total_wait 3.5 s: one clear line after 3.5 s.

    The first attempt times out after 2 s, the backoff takes 1 s, the second attempt gets the
    0.5 s that are left instead of another 2 s. Without the shrinking it would end after 5 s.
    """
    import time

    import pytest
    from remediate_gitlab import GitLabConnector
    from remediate_gitlab.config import Config

    from remediate.connectors import ConnectorContext, MemoryCache
    from remediate.errors import Unavailable
    from remediate.testing import make_draft
    from tests.connectors.gitlab.conftest import PROJECT
    from tests.fakes.gitlab import FakeGitLab

    with FakeGitLab() as slow:
        slow.add_project(PROJECT)
        slow.latency = 5.0
        config = Config.model_validate(
            {"project": PROJECT, "pacing": {"timeout": 2, "backoff": 1, "max_total_wait": 3.5}}
        )
        context = ConnectorContext(env={"GITLAB_TOKEN": slow.token, "GITLAB_URL": slow.url}, cache=MemoryCache())
        connector = GitLabConnector(config, context, clock=time.monotonic, sleep=time.sleep)
        started = time.monotonic()
        with pytest.raises(Unavailable) as caught:
            list(connector.create([make_draft(1)]))
        elapsed = time.monotonic() - started
        slow.latency = 0.0
    message = str(caught.value)
    assert message.startswith("gitlab: GitLab did not answer within 3.5 s (GET /projects/"), message
    assert "last attempt: ReadTimeout" in message and "[connectors.gitlab.pacing] max_total_wait" in message
    assert "\n" not in message
    assert 3.3 <= elapsed < 4.6, elapsed  # without the shrinking: 5 s

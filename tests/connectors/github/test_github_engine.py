"""`remediate sync --tracker github` end to end: the real engine, database and CLI against the fake GitHub."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from remediate.jobs import rebuild_database, refresh_states, sync_paths
from remediate.settings import Settings
from tests.connectors.github.conftest import REPO, TEST_PACING
from tests.fakes.github import FakeGitHub
from tests.support import write_postmortem

ITEMS = [f"Add alerting on queue depth for worker pool {n}" for n in range(12)]


def settings() -> Settings:
    return Settings(connectors={"github": {"pacing": TEST_PACING}})


def env(fake: FakeGitHub) -> dict[str, str]:
    return {"GITHUB_TOKEN": fake.token, "GITHUB_API_URL": fake.base_url}


def writes(fake: FakeGitHub) -> int:
    return sum(fake.count(method) for method in ("POST", "PATCH", "PUT", "DELETE"))


def test_sync_once_resync_cheaply_and_bring_states_back(tmp_path: Path, fake: FakeGitHub) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    db = f"sqlite:///{tmp_path / 'state.db'}"

    def run() -> object:
        return sync_paths(
            [str(doc)], settings(), database_url=db, tracker="github", options={"repo": REPO}, environ=env(fake)
        )

    first = run()
    assert first.plan.summary()["created"] == 12  # type: ignore[attr-defined]
    issues = [i for i in fake.all_issues(REPO)]
    assert len(issues) == 13  # 12 items + the tracking issue
    fake.reset_log()
    second = run()
    assert second.plan.summary()["unchanged"] == 12  # type: ignore[attr-defined]
    assert writes(fake) == 0
    assert len(fake.requests) <= 2

    number = int(first.plan.actions[2].ref.key.rsplit("#", 1)[1])  # type: ignore[attr-defined]
    fake.set_state(REPO, number, "closed", "not_planned")
    changes = refresh_states(settings(), database_url=db, tracker="github", options={"repo": REPO}, environ=env(fake))
    assert [(c.key, c.new) for c in changes] == [(f"{REPO}#{number}", "not_doing")]
    assert len(fake.all_issues(REPO)) == 13


def test_edit_updates_the_issue_and_write_back_links_the_document(tmp_path: Path, fake: FakeGitHub) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS[:3])
    db = f"sqlite:///{tmp_path / 'state.db'}"
    sync_paths(
        [str(doc)],
        settings(),
        database_url=db,
        tracker="github",
        options={"repo": REPO},
        environ=env(fake),
        write_back=True,
    )
    text = doc.read_text()
    assert f"([{REPO}#1](" in text or f"[{REPO}#" in text
    write_postmortem(doc, [ITEMS[0] + " before the next release", *ITEMS[1:3]])
    fake.reset_log()
    outcome = sync_paths(
        [str(doc)], settings(), database_url=db, tracker="github", options={"repo": REPO}, environ=env(fake)
    )
    assert [a.kind for a in outcome.plan.actions] == ["update", "unchanged", "unchanged"]
    assert fake.count("POST", "/issues") == 0
    assert fake.count("PATCH") >= 1


def test_missing_token_is_one_line_naming_the_variable(tmp_path: Path, fake: FakeGitHub) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS[:1])
    config = tmp_path / "remediate.toml"
    config.write_text("[connectors.github.pacing]\nwrite_interval = 0\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "remediate",
            "sync",
            str(doc),
            "--tracker",
            "github",
            "--repo",
            REPO,
            "--config",
            str(config),
            "--db",
            f"sqlite:///{tmp_path / 'state.db'}",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GITHUB_API_URL": fake.base_url},
    )
    assert result.returncode != 0
    assert "GITHUB_TOKEN" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_an_empty_database_adopts_every_issue_and_creates_none(tmp_path: Path, fake: FakeGitHub) -> None:
    """A lost database (evicted Actions cache, new runner, second machine) must not re-file anything."""
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)

    def run(db: str) -> object:
        return sync_paths(
            [str(doc)], settings(), database_url=db, tracker="github", options={"repo": REPO}, environ=env(fake)
        )

    run(f"sqlite:///{tmp_path / 'first.db'}")
    assert len(fake.all_issues(REPO)) == 13
    number = fake.all_issues(REPO)[0].number
    issue = fake.issue(REPO, number)
    issue.body = "Edited by a person.\n\n" + (issue.body or "") + "\n\nMore notes."  # the marker survives edits
    fake.reset_log()
    second = run(f"sqlite:///{tmp_path / 'second.db'}")
    summary = second.plan.summary()  # type: ignore[attr-defined]
    assert summary["adopted"] == 12 and summary["created"] == 0
    assert all(a.adopted for a in second.plan.actions)  # type: ignore[attr-defined]
    assert fake.count("POST", "/issues") == 0
    assert len(fake.all_issues(REPO)) == 13, "no duplicate"
    fake.reset_log()
    third = run(f"sqlite:///{tmp_path / 'second.db'}")
    assert third.plan.summary()["unchanged"] == 12  # type: ignore[attr-defined]
    assert len(fake.requests) <= 2, "a warm database looks nothing up"


def test_db_rebuild_restores_a_deleted_database_from_the_markers(tmp_path: Path, fake: FakeGitHub) -> None:
    """`db rebuild` links every ticket, reads states back, and writes nothing to GitHub."""
    import pytest
    from sqlmodel import select

    from remediate.errors import ConfigError
    from remediate.models import Item, Link
    from remediate.store import open_store

    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    path = tmp_path / "state.db"
    db = f"sqlite:///{path}"
    options = {"repo": REPO}
    sync_paths([str(doc)], settings(), database_url=db, tracker="github", options=options, environ=env(fake))
    issues = {i.number: i for i in fake.all_issues(REPO)}
    assert len(issues) == 13  # 12 items and the tracking issue
    closed = min(issues)
    fake.set_state(REPO, closed, "closed", "completed")
    write_postmortem(doc, [*ITEMS, "Add a runbook for the worker pool"])  # one item the tracker lacks
    path.unlink()
    fake.reset_log()
    outcome = rebuild_database(
        [str(doc)], settings(), database_url=db, tracker="github", options=options, environ=env(fake)
    )
    assert outcome.adopted == 12 and [a.text for a in outcome.not_found] == ["Add a runbook for the worker pool"]
    assert writes(fake) == 0, "a rebuild creates and changes nothing on the tracker"
    store = open_store(db)
    with store.session() as session:
        links = session.exec(select(Link)).all()
        assert len(links) == 12 and all(link.how == "adopted" for link in links)
        done = [i for i in session.exec(select(Item)).all() if i.state == "done"]
        assert [item.id for item in done] == [next(link.item_id for link in links if link.key.endswith(f"#{closed}"))]
    store.dispose()
    after = sync_paths([str(doc)], settings(), database_url=db, tracker="github", options=options, environ=env(fake))
    assert after.plan.summary()["created"] == 1  # type: ignore[attr-defined]
    assert len(fake.all_issues(REPO)) == 14, "only the new item was filed; the tracking issue was found again"
    with pytest.raises(ConfigError, match="holds 13 item"):
        rebuild_database([str(doc)], settings(), database_url=db, tracker="github", options=options, environ=env(fake))
    again = rebuild_database(
        [str(doc)], settings(), database_url=db, tracker="github", options=options, environ=env(fake), force=True
    )
    assert again.adopted == 13 and again.set_aside and Path(again.set_aside).exists()


def test_two_databases_racing_are_caught_by_sync_and_closed_by_dedupe(
    tmp_path: Path, fake: FakeGitHub, monkeypatch: object
) -> None:
    """Sync B looks items up, then sync A (another database) files them all, then B creates.

    The window between B's lookup and its create cannot be closed without a lock on the tracker;
    B's own check right after creating must see the pairs, and `dedupe --apply` must close B's.
    """
    import json

    import pytest
    from remediate_github.connector import GitHubConnector

    from remediate.jobs import audit_snapshot, find_duplicates

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    items = ITEMS[:4]
    doc = write_postmortem(tmp_path / "pm.md", items)
    db_a, db_b = (f"sqlite:///{tmp_path / name}" for name in ("a.db", "b.db"))

    def run(db: str) -> object:
        return sync_paths(
            [str(doc)], settings(), database_url=db, tracker="github", options={"repo": REPO}, environ=env(fake)
        )

    original = GitHubConnector.create
    raced: list[object] = []

    def create_after_a_race(self: GitHubConnector, drafts: object) -> object:
        if not raced:
            raced.append(db_a)
            run(db_a)  # the other runner files everything in between
        return original(self, drafts)  # type: ignore[arg-type]

    monkeypatch.setattr(GitHubConnector, "create", create_after_a_race)
    outcome_b = run(db_b)
    monkeypatch.setattr(GitHubConnector, "create", original)
    assert len([i for i in fake.all_issues(REPO) if "tracking" not in " ".join(lab.name for lab in i.labels)]) >= 8
    raced_warnings = [w for w in outcome_b.warnings if "tickets:" in w]  # type: ignore[attr-defined]
    assert len(raced_warnings) == 4 and all("remediate dedupe --apply" in w for w in raced_warnings)
    audit = audit_snapshot(settings(), database_url=db_b)
    assert sorted(d.kind for d in audit.drift) == ["duplicate_tickets"] * 4
    # Database A is the one that survives; it keeps its own tickets and closes B's.
    found = find_duplicates(settings(), database_url=db_a, tracker="github", options={"repo": REPO}, environ=env(fake))
    assert len(found.duplicates) == 4 and found.closed == []
    kept_by_a = {d.keep.key for d in found.duplicates}
    fake.reset_log()
    applied = find_duplicates(
        settings(), database_url=db_a, tracker="github", options={"repo": REPO}, environ=env(fake), apply=True
    )
    closed = {ref.key for ref in applied.closed}
    assert len(closed) == 4 and not closed & kept_by_a
    assert fake.count("POST", "/comments") == 4 and fake.count("PATCH") == 4
    for key in closed:
        issue = fake.issue(REPO, int(key.rsplit("#", 1)[1]))
        assert issue.state == "closed" and issue.state_reason == "duplicate"
        assert any("Duplicate of" in c for c in issue.comments)
    again = find_duplicates(settings(), database_url=db_a, tracker="github", options={"repo": REPO}, environ=env(fake))
    assert again.duplicates == []
    assert [d for d in audit_snapshot(settings(), database_url=db_a).drift if d.kind == "duplicate_tickets"] == []
    # A lost database adopts the tickets that were kept, never the closed duplicates.
    fresh = run(f"sqlite:///{tmp_path / 'c.db'}")
    assert {a.ref.key for a in fresh.plan.actions} == kept_by_a  # type: ignore[attr-defined]
    assert json.dumps(applied.to_json())


def test_refresh_full_sees_a_deletion_the_incremental_read_cannot(tmp_path: Path, fake: FakeGitHub) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS[:3])
    db = f"sqlite:///{tmp_path / 'state.db'}"
    first = sync_paths(
        [str(doc)], settings(), database_url=db, tracker="github", options={"repo": REPO}, environ=env(fake)
    )
    key = first.plan.actions[1].ref.key  # type: ignore[attr-defined]
    fake.delete(REPO, int(key.rsplit("#", 1)[1]))
    fake.advance(60)
    incremental = refresh_states(
        settings(), database_url=db, tracker="github", options={"repo": REPO}, environ=env(fake)
    )
    assert incremental == [], "a deleted issue is not in a list of changed issues"
    full = refresh_states(
        settings(), database_url=db, tracker="github", options={"repo": REPO}, environ=env(fake), full=True
    )
    assert [(c.key, c.missing) for c in full] == [(key, "deleted")]


def test_doctor_finds_the_tickets_two_databases_filed_for_one_item(
    tmp_path: Path, fake: FakeGitHub, monkeypatch: object
) -> None:
    import pytest
    from remediate_github.connector import GitHubConnector

    from remediate.doctor import run_checks
    from remediate.jobs import audit_snapshot

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    doc = write_postmortem(tmp_path / "pm.md", ITEMS[:3])
    config = tmp_path / "remediate.toml"
    config.write_text(
        f'tracker = "github"\n[connectors.github]\nrepo = "{REPO}"\n[connectors.github.pacing]\n'
        + "".join(f"{k} = {v}\n" for k, v in TEST_PACING.items()),
        encoding="utf-8",
    )
    db = f"sqlite:///{tmp_path / 'state.db'}"
    environ = {**env(fake), "REMEDIATE_CONFIG": str(config)}
    sync_paths([str(doc)], settings(), database_url=db, tracker="github", options={"repo": REPO}, environ=env(fake))
    healthy = {c.name: c for c in run_checks(config, db, environ)}
    assert healthy["duplicates"].status == "ok", healthy
    monkeypatch.setattr(GitHubConnector, "find", lambda self, drafts: {})  # another database, racing
    other = f"sqlite:///{tmp_path / 'other.db'}"
    sync_paths([str(doc)], settings(), database_url=other, tracker="github", options={"repo": REPO}, environ=env(fake))
    monkeypatch.undo()
    checks = {c.name: c for c in run_checks(config, db, environ)}
    assert (
        checks["duplicates"].status == "warn" and "3 item(s) have more than one ticket" in checks["duplicates"].detail
    )
    assert "remediate dedupe --apply" in (checks["duplicates"].fix or "")
    assert sorted(d.kind for d in audit_snapshot(settings(), database_url=db).drift) == ["duplicate_tickets"] * 3


def test_a_refresh_with_unread_and_known_tickets_does_not_lock_itself_out(tmp_path: Path, fake: FakeGitHub) -> None:
    """Two batches (tickets never read, and known ones): the connector's cache writes between
    them must not wait on the refresh's own open write (SQLite: "database is locked" after 30 s)."""
    import time

    import sqlalchemy as sa

    doc = write_postmortem(tmp_path / "pm.md", ITEMS[:4])
    db = f"sqlite:///{tmp_path / 'state.db'}"
    sync_paths([str(doc)], settings(), database_url=db, tracker="github", options={"repo": REPO}, environ=env(fake))
    engine = sa.create_engine(db)
    with engine.begin() as conn:  # one link never read back, as after a crash or an adoption
        conn.execute(sa.text("UPDATE link SET last_synced = NULL WHERE id = (SELECT MIN(id) FROM link)"))
        conn.execute(sa.text("DELETE FROM kv WHERE namespace = 'engine:github'"))  # no watermark: a full read
    engine.dispose()
    fake.set_state(REPO, fake.all_issues(REPO)[0].number, "closed", "completed")
    fake.advance(60)
    started = time.monotonic()
    changes = refresh_states(settings(), database_url=db, tracker="github", options={"repo": REPO}, environ=env(fake))
    assert time.monotonic() - started < 10
    assert changes, "the closed issue came back"


def test_write_back_knows_an_issue_the_document_names_by_any_of_its_urls(tmp_path: Path, fake: FakeGitHub) -> None:
    """The parser keeps URLs as written; the connector's claim says an issue URL with a comment
    anchor, or the pull request URL of the same number, already names the ticket: nothing is added."""
    doc = write_postmortem(tmp_path / "pm.md", ITEMS[:2])
    db = f"sqlite:///{tmp_path / 'state.db'}"

    def run(write_back: bool) -> object:
        return sync_paths(
            [str(doc)],
            settings(),
            database_url=db,
            tracker="github",
            options={"repo": REPO},
            environ=env(fake),
            write_back=write_back,
        )

    first = run(False)
    urls = [a.ref.url for a in first.plan.actions]  # type: ignore[attr-defined]
    assert all(url and "/issues/" in url for url in urls), urls
    named = [f"{ITEMS[0]} ({urls[0]}#issuecomment-1)", f"{ITEMS[1]} ({urls[1].replace('/issues/', '/pull/')})"]
    write_postmortem(doc, named)
    before = doc.read_bytes()
    second = run(True)
    assert [a.kind for a in second.plan.actions] == ["unchanged", "unchanged"]  # type: ignore[attr-defined]
    assert second.written_back == []  # type: ignore[attr-defined]
    assert doc.read_bytes() == before

"""`remediate sync --tracker github` end to end: the real engine, database and CLI against the fake GitHub."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from remediate.jobs import refresh_states, sync_paths
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
    assert summary["created"] == 12 and all(a.adopted for a in second.plan.actions)  # type: ignore[attr-defined]
    assert fake.count("POST", "/issues") == 0
    assert len(fake.all_issues(REPO)) == 13, "no duplicate"
    fake.reset_log()
    third = run(f"sqlite:///{tmp_path / 'second.db'}")
    assert third.plan.summary()["unchanged"] == 12  # type: ignore[attr-defined]
    assert len(fake.requests) <= 2, "a warm database looks nothing up"

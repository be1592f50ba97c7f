"""sync, status, item and db as users and scripts call them (subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import write_postmortem

ITEMS = ["Add alerting on queue depth", "Document the failover procedure", "Load-test checkout"]


def cli(*args: str, db: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "remediate", *args, "--db", db], capture_output=True, text=True, timeout=120, cwd=cwd
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state.db'}"


def test_sync_json_has_one_entry_per_item(tmp_path: Path, db: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    result = cli("sync", str(doc), "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["summary"] == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "linked": 0,
        "removed": 0,
        "adopted": 0,
        "missing": 0,
    }
    assert [(i["action"], i["tracker"], i["key"]) for i in data["items"]] == [
        ("create", "local", "LOCAL-1"),
        ("create", "local", "LOCAL-2"),
        ("create", "local", "LOCAL-3"),
    ]
    assert all(set(i) >= {"item_id", "action", "tracker", "key", "url"} for i in data["items"])


def test_sync_directory_reads_every_postmortem_below(tmp_path: Path, db: str) -> None:
    write_postmortem(tmp_path / "pms" / "2024" / "a.md", ITEMS[:1])
    write_postmortem(tmp_path / "pms" / "2025" / "b.md", ITEMS[1:])
    (tmp_path / "pms" / "notes.md").write_text("# Notes\n\nNothing to do here.\n")
    result = cli("sync", str(tmp_path / "pms"), "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["summary"]["created"] == 3
    assert "1 of 3 documents have no action-item section" in data["warnings"]


def test_sync_reads_stdin(tmp_path: Path, db: str) -> None:
    text = write_postmortem(tmp_path / "pm.md", ITEMS).read_text()
    result = subprocess.run(
        [sys.executable, "-m", "remediate", "sync", "-", "--db", db, "--format", "json"],
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["created"] == 3


def test_status_json_counts_and_item_commands(tmp_path: Path, db: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    data = json.loads(cli("sync", str(doc), "--format", "json", db=db).stdout)
    first, second = data["items"][0]["item_id"], data["items"][1]["item_id"]
    assert cli("item", "done", first[:6], db=db).stdout.strip() == f"{first}: open -> done"
    assert cli("item", "wont-do", second, "--note", "superseded by #88", db=db).returncode == 0
    status = json.loads(cli("status", "--items", "--format", "json", db=db).stdout)
    (pm,) = status["postmortems"]
    assert (pm["items"], pm["done"], pm["not_doing"], pm["open"], pm["percent_complete"]) == (3, 1, 1, 1, 66.7)
    assert {i["id"]: i["state"] for i in status["items"]}[first] == "done"
    reopened = cli("item", "reopen", first, db=db)
    assert reopened.stdout.strip() == f"{first}: done -> open"


def test_item_accepts_the_ticket_key_every_report_shows(tmp_path: Path, db: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    data = json.loads(cli("sync", str(doc), "--format", "json", db=db).stdout)
    item, key = data["items"][2]["item_id"], data["items"][2]["key"]
    assert key.startswith("LOCAL-")
    assert cli("item", "done", key, db=db).stdout.strip() == f"{item}: open -> done"
    assert cli("item", "reopen", key.lower(), db=db).stdout.strip() == f"{item}: done -> open"


def test_item_errors_are_one_line(tmp_path: Path, db: str) -> None:
    write_postmortem(tmp_path / "pm.md", ITEMS)
    cli("sync", str(tmp_path / "pm.md"), db=db)
    result = cli("item", "done", "zzzz", db=db)
    assert result.returncode == 2
    assert result.stderr.strip() == "remediate: error: zzzz: no such item (see `remediate status --items`)"


def test_unknown_tracker_and_bad_config_are_one_line_errors(tmp_path: Path, db: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    result = cli("sync", str(doc), "--tracker", "linear", db=db)
    assert result.returncode == 2
    assert "unknown tracker 'linear' (installed connectors:" in result.stderr
    bad = tmp_path / "remediate.toml"
    bad.write_text("[sync]\nmatch_threshold = 'high'\n")
    result = cli("sync", str(doc), "--config", str(bad), db=db)
    assert result.returncode == 2
    assert "[sync] match_threshold <- Input should be a valid number" in result.stderr
    assert "Traceback" not in result.stderr
    assert not Path(db.removeprefix("sqlite:///")).exists(), "nothing written on a config error"


def test_missing_path_is_refused_before_anything_is_written(tmp_path: Path, db: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    result = cli("sync", str(doc), str(tmp_path / "missing.md"), db=db)
    assert result.returncode == 2
    assert not Path(db.removeprefix("sqlite:///")).exists()


def test_db_upgrade_and_path(tmp_path: Path, db: str) -> None:
    first = cli("db", "upgrade", db=db)
    assert first.returncode == 0 and "schema none -> " in first.stdout
    assert "up to date" in cli("db", "upgrade", db=db).stdout
    assert cli("db", "path", db=db).stdout.strip() == db


def test_default_database_lives_in_the_user_data_dir(tmp_path: Path) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    result = subprocess.run(
        [sys.executable, "-m", "remediate", "sync", str(doc)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    from remediate.store import default_database_path

    assert default_database_path().is_file()
    assert str(default_database_path()).startswith(str(Path.home()))


def test_read_commands_on_a_missing_database_create_nothing(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'nowhere' / 'state.db'}"
    status = cli("status", db=db)
    assert status.returncode == 0 and "nothing synced yet" in status.stdout
    item = cli("item", "done", "abc123", db=db)
    assert item.returncode == 2 and "no such item" in item.stderr
    assert not (tmp_path / "nowhere").exists()


def test_a_deleted_ticket_is_reported_by_sync_status_and_audit(tmp_path: Path, db: str) -> None:
    """A ticket deleted on the tracker never stays linked silently."""
    import sqlalchemy as sa

    doc = write_postmortem(tmp_path / "pm.md", ["Add alerting on disk usage", "Write the failover runbook"])
    assert cli("sync", str(doc), db=db).returncode == 0
    engine = sa.create_engine(db)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM local_ticket WHERE number = 2"))
    engine.dispose()
    first = cli("sync", str(doc), "--format", "json", db=db)
    assert [c["key"] for c in json.loads(first.stdout)["state_changes"] if c["missing"]] == ["LOCAL-2"]
    again = cli("sync", str(doc), db=db)
    assert "1 missing" in again.stdout, again.stdout  # every sync says so, not only the first
    status = cli("status", db=db)
    assert status.returncode == 0 and "LOCAL-2 (deleted)" in status.stderr, status.stderr
    data = json.loads(cli("status", "--items", "--format", "json", db=db).stdout)
    assert data["postmortems"][0]["missing"] == 1
    assert [i["key"] for i in data["items"] if i["missing"] == "deleted"] == ["LOCAL-2"]
    audit = json.loads(cli("audit", "--format", "json", db=db).stdout)
    assert [(d["kind"], d["key"]) for d in audit["drift"]] == [("ticket_deleted", "LOCAL-2")]


def test_dedupe_finds_and_closes_a_second_ticket_of_one_item(tmp_path: Path, db: str) -> None:
    import sqlalchemy as sa

    doc = write_postmortem(tmp_path / "pm.md", ["Add alerting on disk usage", "Write the failover runbook"])
    assert cli("sync", str(doc), db=db).returncode == 0
    assert "no duplicate tickets" in cli("dedupe", db=db).stdout
    engine = sa.create_engine(db)
    with engine.begin() as conn:  # a second ticket with the first one's marker, as a racing sync files it
        conn.execute(
            sa.text(
                "INSERT INTO local_ticket (item_id, postmortem_id, title, body, status, created_at, updated_at) "
                "SELECT item_id, postmortem_id, title, body, status, created_at, updated_at FROM local_ticket "
                "WHERE number = 1"
            )
        )
    found = cli("dedupe", db=db)
    assert found.returncode == 0 and "LOCAL-1 and LOCAL-3" in found.stdout and "--apply" in found.stdout
    audit = json.loads(cli("audit", "--format", "json", db=db).stdout)
    assert [(d["kind"], d["key"], d["duplicates"]) for d in audit["drift"]] == [
        ("duplicate_tickets", "LOCAL-1", ["LOCAL-3"])
    ]
    applied = json.loads(cli("dedupe", "--apply", "--format", "json", db=db).stdout)
    assert applied["closed"] == ["LOCAL-3"]
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT status, resolution FROM local_ticket WHERE number = 3")).one()
    engine.dispose()
    assert tuple(row) == ("not_doing", "duplicate of LOCAL-1")
    assert json.loads(cli("audit", "--format", "json", db=db).stdout)["drift"] == []
    assert "no duplicate tickets" in cli("dedupe", db=db).stdout

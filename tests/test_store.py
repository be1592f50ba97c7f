"""The state database: migrations, version checks, locks and the connector cache."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from remediate.errors import ConfigError, DatabaseDamaged, StoreError
from remediate.store import SCHEMA_HEAD, display_url, open_store, upgrade_database
from tests.test_cli import run as run_cli


def test_schema_head_constant_matches_the_migrations() -> None:
    from alembic.script import ScriptDirectory

    from remediate.store import _alembic_config

    assert ScriptDirectory.from_config(_alembic_config()).get_current_head() == SCHEMA_HEAD


def test_migrations_create_exactly_the_models(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with open_store(database_url) as store:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
        assert diff == []


def test_a_store_is_a_context_manager_that_disposes_even_on_error(database_url: str) -> None:
    closed: list[object] = []
    with pytest.raises(RuntimeError, match="boom"), open_store(database_url) as store:
        pool = store.engine.pool
        sa.event.listen(pool, "close", lambda conn, record: closed.append(conn))
        with store.engine.connect() as conn:  # one pooled connection, checked back in
            conn.execute(sa.text("SELECT 1"))
        raise RuntimeError("boom")
    assert closed, "the pooled connection was not closed"
    assert store.engine.pool is not pool  # dispose() replaced the pool


def test_first_use_migrates_and_upgrade_is_idempotent(database_url: str) -> None:
    assert upgrade_database(database_url) == (None, SCHEMA_HEAD)
    assert upgrade_database(database_url) == (SCHEMA_HEAD, SCHEMA_HEAD)


def test_database_from_a_newer_version_is_refused(database_url: str) -> None:
    store = open_store(database_url)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    store.dispose()
    with pytest.raises(StoreError, match="newer remediate"):
        open_store(database_url)


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    bogus = tmp_path / "state.db"
    bogus.write_text("this is not a database\n" * 50)
    with pytest.raises(DatabaseDamaged, match="is damaged .file is not a database"):
        open_store(f"sqlite:///{bogus}")


def test_cli_reports_store_errors_in_one_line(tmp_path: Path) -> None:
    bogus = tmp_path / "state.db"
    bogus.write_text("not a database\n" * 50)
    result = run_cli("status", "--db", f"sqlite:///{bogus}")
    assert result.returncode == 2  # a damaged database is bad input, with a hint
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "remediate db check" in result.stderr


def test_display_url_hides_passwords() -> None:
    shown = display_url("postgresql+psycopg://app:s3cret@db.internal/remediate")
    assert "s3cret" not in shown and "db.internal" in shown


def test_lock_excludes_a_second_holder(database_url: str) -> None:
    store = open_store(database_url)
    other = open_store(database_url)
    entered = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with store.lock("sync:test"):
            entered.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert entered.wait(10)
    started = time.monotonic()
    with pytest.raises(StoreError, match="holds the 'sync:test' lock"):
        with other.lock("sync:test", timeout=0.5):
            pass
    assert time.monotonic() - started >= 0.4
    release.set()
    holder.join()
    with other.lock("sync:test", timeout=5):
        pass
    store.dispose()
    other.dispose()


def test_cache_round_trip(database_url: str) -> None:
    store = open_store(database_url)
    cache = store.cache("github")
    assert cache.get("etag") is None
    cache.set("etag", 'W/"abc"')
    cache.set("etag", 'W/"def"')
    assert store.cache("github").get("etag") == 'W/"def"'
    assert store.cache("jira").get("etag") is None
    cache.set("etag", None)
    assert cache.get("etag") is None
    store.dispose()


def test_a_bad_database_url_is_bad_input_exit_2(tmp_path: Path) -> None:
    """The README promises exit 2 for bad input; a wrong --db is bad input, not a store failure."""
    import subprocess
    import sys

    for url in ("notadb://x", "sqlite:///" + str(tmp_path), "::"):
        result = subprocess.run(
            [sys.executable, "-m", "remediate", "status", "--db", url],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
        assert result.returncode == 2, (url, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


# --- damaged databases: one line, exit 2, a hint, and nothing sent to a tracker --------------

EXAMPLES = Path(__file__).resolve().parents[1] / "config" / "examples"


def _synced_copy(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    result = run_cli("sync", "--db", f"sqlite:///{path}", str(EXAMPLES))
    assert result.returncode == 0, result.stderr
    return path


def test_a_dropped_table_stops_sync_before_any_ticket_is_created(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    upgrade_database(f"sqlite:///{path}")
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE link"))
    result = run_cli("sync", "--db", f"sqlite:///{path}", str(EXAMPLES))
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "table 'link' is missing" in result.stderr and "db rebuild" in result.stderr
    with engine.connect() as conn:  # the local tracker's tickets live in the same file: none made
        assert conn.execute(sa.text("SELECT COUNT(*) FROM local_ticket")).scalar() == 0
    engine.dispose()
    check = run_cli("db", "check", "--db", f"sqlite:///{path}")
    assert check.returncode == 2 and "table 'link' is missing" in check.stderr


def test_a_missing_column_is_reported_by_name(database_url: str) -> None:
    store = open_store(database_url)
    with store.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE link DROP COLUMN missing"))
    store.dispose()
    with pytest.raises(DatabaseDamaged, match=r"column link\.missing is missing"):
        open_store(database_url)


def test_corruption_in_the_middle_of_the_file_is_one_line_exit_2(tmp_path: Path) -> None:
    path = _synced_copy(tmp_path)
    healthy = run_cli("db", "check", "--db", f"sqlite:///{path}")
    assert healthy.returncode == 0 and healthy.stdout.strip().endswith(": ok"), healthy.stderr
    size = path.stat().st_size
    with path.open("r+b") as handle:  # keep the header page; garble the middle of the file
        handle.seek(4096)
        handle.write(b"\xde\xad" * ((size - 8192) // 2))
    for command in (("status",), ("sync", str(EXAMPLES)), ("db", "check")):
        result = run_cli(*command, "--db", f"sqlite:///{path}")
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and "SELECT" not in result.stderr and "[SQL" not in result.stderr
        assert "damaged" in result.stderr, (command, result.stderr)


def test_a_read_only_database_is_named_as_such(tmp_path: Path) -> None:
    """Root ignores file modes, so the read-only open is SQLite's own (mode=ro)."""
    from remediate.store import database_error

    path = _synced_copy(tmp_path)
    engine = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(sa.exc.OperationalError) as raised, engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM kv"))
    engine.dispose()
    error = database_error(raised.value, f"sqlite:///{path}")
    assert isinstance(error, DatabaseDamaged) and error.exit_code == 2
    assert "cannot be written" in str(error) and "DELETE" not in str(error)


def test_db_rebuild_refuses_the_local_tracker_in_one_line(tmp_path: Path) -> None:
    """The local tracker's tickets live in the database: a rebuild would find nothing to adopt."""
    result = run_cli("db", "rebuild", "--db", f"sqlite:///{tmp_path / 'state.db'}", str(EXAMPLES))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "restore the database from a backup" in result.stderr


def test_set_aside_clears_the_database_on_both_backends(tmp_path: Path, database_url: str) -> None:
    """SQLite: the file is renamed; PostgreSQL: remediate's tables are dropped (never a stray file)."""
    from remediate.jobs import sync_paths
    from remediate.settings import Settings
    from remediate.store import check_database, set_aside

    sync_paths([str(EXAMPLES)], Settings(), database_url=database_url, environ={})
    with pytest.raises(ConfigError, match="holds 8 item"):
        set_aside(database_url, force=False)
    moved = set_aside(database_url, force=True)
    assert moved is not None
    assert check_database(database_url)[0].startswith(("does not exist", "has no remediate schema"))


def test_syncs_opening_a_new_database_at_once_all_get_in(tmp_path: Path) -> None:
    """Switching a new file to WAL takes a lock SQLite does not wait for: four first opens at
    once failed with "database is locked" in about a quarter of the races before the file was
    made in WAL mode under a private name and linked into place."""
    failures: list[BaseException] = []

    def first_open(url: str, ready: threading.Barrier) -> None:
        ready.wait()
        try:
            with open_store(url) as store:
                assert store.revision() == SCHEMA_HEAD
        except BaseException as exc:  # collected: a thread's exception would not fail the test
            failures.append(exc)

    for race in range(15):
        url = f"sqlite:///{tmp_path / f'race{race}.db'}"
        ready = threading.Barrier(4)
        threads = [threading.Thread(target=first_open, args=(url, ready)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with sa.create_engine(url).connect() as conn:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    assert failures == []
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".new")], "a draft file was left"

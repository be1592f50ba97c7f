"""The state database: migrations, version checks, locks and the connector cache."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from remediate.errors import StoreError
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

    store = open_store(database_url)
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
        assert diff == []
    finally:
        store.dispose()


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
    with pytest.raises(StoreError, match="cannot open database"):
        open_store(f"sqlite:///{bogus}")


def test_cli_reports_store_errors_in_one_line(tmp_path: Path) -> None:
    bogus = tmp_path / "state.db"
    bogus.write_text("not a database\n" * 50)
    result = run_cli("status", "--db", f"sqlite:///{bogus}")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


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

"""Opening the state database: URL resolution, migrations on first use, locks and the KV cache.

SQLite is the default, at ``<user data dir>/remediate.db`` (``remediate db path`` prints it);
``REMEDIATE_DATABASE_URL``, ``--db`` or ``database_url`` in the config select another, such as
PostgreSQL (``postgresql+psycopg://user@host/db``). Alembic migrations are applied automatically
when the database is opened for writing, and by ``remediate db upgrade``.

Locks (:meth:`Store.lock`) serialise work that must not run twice at once, e.g. two syncs
creating the same ticket. On PostgreSQL they are session advisory locks; on SQLite a lock file
next to the database. Both are released by the operating system or the server when the holder
dies, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlmodel import Session

from remediate.errors import ConfigError, DatabaseDamaged, StoreError
from remediate.models import KV

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

#: The newest migration this version of remediate knows (tests check it matches alembic's head).
SCHEMA_HEAD = "0005"

_MIGRATIONS = Path(__file__).with_name("migrations")
_memory_locks: dict[str, threading.Lock] = {}


def default_database_path() -> Path:
    """Where the default SQLite database lives (``~/.local/share/remediate/remediate.db``)."""
    from platformdirs import user_data_path

    return user_data_path("remediate") / "remediate.db"


def resolve_url(url: str | None) -> str:
    """The database URL to use: the given one, else the default SQLite file."""
    if url:
        return url
    return f"sqlite:///{default_database_path()}"


def display_url(url: str) -> str:
    """The URL with any password hidden, safe to print."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


class Store:
    """An open state database; ``with open_store(url) as store:`` disposes of it on the way out."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.dispose()

    @property
    def is_sqlite(self) -> bool:
        """True for SQLite databases."""
        return self.engine.dialect.name == "sqlite"

    def session(self) -> Session:
        """A new ORM session; objects stay usable after commit."""
        return Session(self.engine, expire_on_commit=False)

    def revision(self) -> str | None:
        """The schema revision recorded in the database, None if it has none yet."""
        try:
            with self.engine.connect() as conn:
                if not sa.inspect(conn).has_table("alembic_version"):
                    return None
                return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError as exc:
            raise database_error(exc, self.url) from None

    def upgrade(self) -> str | None:
        """Apply pending migrations under the migration lock; return the revision before."""
        with self.lock("migrate", timeout=120):
            before = self.revision()
            if before == SCHEMA_HEAD:
                return before
            self._check_known(before)
            from alembic import command

            with self.engine.begin() as conn:
                config = _alembic_config()
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
            return before

    def ensure_current(self, *, migrate: bool) -> None:
        """Make sure the schema is the one this version expects (migrating if allowed)."""
        current = self.revision()
        if current != SCHEMA_HEAD:
            self._check_known(current)
            if not migrate:
                raise StoreError(
                    f"database {display_url(self.url)} needs migrating to schema {SCHEMA_HEAD}; "
                    "run `remediate db upgrade`"
                )
            self.upgrade()
        problems = self.schema_problems()
        if problems:
            raise DatabaseDamaged(f"database {display_url(self.url)} is damaged: {problems[0]}; {REPAIR_HINT}")

    def schema_problems(self) -> list[str]:
        """Tables and columns the models need that the database lacks (a few catalogue reads).

        The revision alone does not prove the schema: a table dropped by hand, or a restore of
        part of a backup, leaves the revision current. Checked on every open, before any tracker
        is called, so a sync never creates a ticket it then cannot record.
        """
        from sqlmodel import SQLModel

        problems: list[str] = []
        try:
            with self.engine.connect() as conn:
                inspector = sa.inspect(conn)
                present = set(inspector.get_table_names())
                for table in SQLModel.metadata.sorted_tables:
                    if table.name not in present:
                        problems.append(f"table {table.name!r} is missing")
                        continue
                    columns = {column["name"] for column in inspector.get_columns(table.name)}
                    problems.extend(
                        f"column {table.name}.{column.name} is missing"
                        for column in table.columns
                        if column.name not in columns
                    )
        except SQLAlchemyError as exc:
            raise database_error(exc, self.url) from None
        return problems

    def integrity_problems(self) -> list[str]:
        """Everything ``remediate db check`` reports: schema, then (SQLite) file integrity and dangling rows."""
        problems = self.schema_problems()
        if problems:
            return problems
        try:
            with self.engine.connect() as conn:
                if self.is_sqlite:
                    rows = [r[0] for r in conn.execute(sa.text("PRAGMA integrity_check"))]
                    problems.extend(f"integrity: {row}" for row in rows if row != "ok")
                    for table, rowid, parent, _ in conn.execute(sa.text("PRAGMA foreign_key_check")):
                        problems.append(f"row {rowid} of {table} points at a missing {parent}")
        except SQLAlchemyError as exc:
            problems.append(str(database_error(exc, self.url)))
        return problems

    def _check_known(self, revision: str | None) -> None:
        if revision is None:
            return
        from alembic.script import ScriptDirectory

        try:
            ScriptDirectory.from_config(_alembic_config()).get_revision(revision)
        except Exception:
            raise StoreError(
                f"database {display_url(self.url)} was written by a newer remediate "
                f"(schema {revision}); upgrade remediate to use it"
            ) from None

    @contextmanager
    def lock(self, name: str, *, timeout: float | None = 300) -> Iterator[None]:
        """Hold the named lock, waiting up to ``timeout`` seconds (None: forever)."""
        if self.engine.dialect.name == "postgresql":
            with self._pg_lock(name, timeout):
                yield
        elif self.is_sqlite and self._sqlite_path() is not None:
            with self._file_lock(name, timeout):
                yield
        else:  # in-memory SQLite: only this process can see it
            lock = _memory_locks.setdefault(f"{self.url}:{name}", threading.Lock())
            if not lock.acquire(timeout=-1 if timeout is None else timeout):
                raise StoreError(_busy(name, timeout))
            try:
                yield
            finally:
                lock.release()

    @contextmanager
    def _pg_lock(self, name: str, timeout: float | None) -> Iterator[None]:
        key = int.from_bytes(hashlib.sha256(f"remediate:{name}".encode()).digest()[:8], "big", signed=True)
        deadline = None if timeout is None else time.monotonic() + timeout
        # A dedicated connection: the advisory lock belongs to its session and dies with it.
        with self.engine.connect() as conn:
            while not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                conn.rollback()
                if deadline is not None and time.monotonic() >= deadline:
                    raise StoreError(_busy(name, timeout))
                time.sleep(0.2)
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()

    @contextmanager
    def _file_lock(self, name: str, timeout: float | None) -> Iterator[None]:
        from filelock import FileLock, Timeout

        path = self._sqlite_path()
        assert path is not None
        lock = FileLock(f"{path}.{name}.lock")
        try:
            lock.acquire(timeout=-1 if timeout is None else timeout)
        except Timeout:
            raise StoreError(_busy(name, timeout)) from None
        try:
            yield
        finally:
            lock.release()

    def _sqlite_path(self) -> Path | None:
        return _sqlite_file(self.url)

    def cache(self, namespace: str) -> DatabaseCache:
        """A StateCache for one connector, backed by the ``kv`` table."""
        return DatabaseCache(self, namespace)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


class DatabaseCache:
    """remediate.connectors.StateCache on the ``kv`` table; each write commits at once."""

    def __init__(self, store: Store, namespace: str) -> None:
        self._store = store
        self._namespace = namespace

    def get(self, key: str) -> str | None:
        """The value stored under ``key``, or None."""
        with self._store.session() as session:
            row = session.get(KV, (self._namespace, key))
            return row.value if row else None

    def set(self, key: str, value: str | None) -> None:
        """Store ``value`` under ``key`` (None deletes it)."""
        with self._store.session() as session:
            row = session.get(KV, (self._namespace, key))
            if value is None:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(KV(namespace=self._namespace, key=key, value=value))
            else:
                row.value = value
                session.add(row)
            session.commit()


def open_store(url: str | None, *, migrate: bool = True, create: bool = True) -> Store:
    """Open (and by default create and migrate) the database at ``url``.

    With ``create=False`` a database that does not exist yet is not created: an empty
    in-memory one stands in for it, so a dry run can plan against "nothing synced yet"
    without writing anything anywhere.
    """
    url = resolve_url(url)
    if not _prepare_sqlite_file(url, create=create):
        return _fresh_memory_store()
    store = Store(_make_engine(url), url)
    if not create and store.revision() is None:
        store.dispose()
        return _fresh_memory_store()
    store.ensure_current(migrate=migrate)
    return store


def upgrade_database(url: str | None) -> tuple[str | None, str]:
    """Create or migrate the database at ``url``; return (revision before, revision after)."""
    url = resolve_url(url)
    _prepare_sqlite_file(url, create=True)
    with Store(_make_engine(url), url) as store:
        return store.upgrade(), SCHEMA_HEAD


def check_database(url: str | None) -> list[str]:
    """What is wrong with the database at ``url`` (empty when nothing is); opens it read-only in intent."""
    url = resolve_url(url)
    if not _prepare_sqlite_file(url, create=False):
        return ["does not exist (the first sync creates it)"]
    with Store(_make_engine(url), url) as store:
        try:
            revision = store.revision()
            if revision is None:
                return ["has no remediate schema (run `remediate db upgrade`, or any sync, to create it)"]
            if revision != SCHEMA_HEAD:
                store._check_known(revision)
                return [f"schema {revision} is older than {SCHEMA_HEAD}: run `remediate db upgrade`"]
            return store.integrity_problems()
        except StoreError as exc:
            return [str(exc)]


def set_aside(url: str | None, *, force: bool) -> str | None:
    """Clear the way for ``remediate db rebuild``; return where the old database went, if anywhere.

    A database that does not exist or holds no items is simply reused. One that holds items,
    or is damaged, is replaced only with ``force``: a SQLite file is renamed (with its -wal and
    -shm files) to ``<name>.replaced-<UTC time>``; on PostgreSQL remediate's tables are dropped.
    """
    url = resolve_url(url)
    problems = check_database(url)
    fresh = bool(problems) and (problems[0].startswith("does not exist") or problems[0].startswith("has no remediate"))
    if fresh:
        return None
    if not problems:
        with Store(_make_engine(url), url) as store, store.engine.connect() as conn:
            held = conn.execute(sa.text("SELECT COUNT(*) FROM item")).scalar() or 0
        if not held:
            return None
        why = f"holds {held} item(s)"
    else:
        why = f"is damaged ({problems[0]})"
    if not force:
        raise ConfigError(
            f"database {display_url(url)} {why}; `db rebuild` replaces a lost or damaged database: "
            "pass --force to set this one aside first"
        )
    path = _sqlite_file(url)
    if path is not None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        target = path.with_name(f"{path.name}.replaced-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            old = Path(f"{path}{suffix}")
            if old.exists():
                old.rename(f"{target}{suffix}")
        return str(target)
    from sqlmodel import SQLModel

    engine = _make_engine(url)
    try:
        with engine.begin() as conn:
            SQLModel.metadata.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()
    return f"{display_url(url)} (remediate's tables dropped)"


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory or URI ones."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _prepare_sqlite_file(url: str, *, create: bool) -> bool:
    """For a SQLite file URL, check the path and make its directory; False if absent and not created."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError("database URL is not valid (expected e.g. sqlite:///path.db)") from None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return True
    path = Path(parsed.database)
    if path.is_dir():
        raise ConfigError(f"database path {path} is a directory")
    if path.exists():
        return True
    if not create:
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _create_in_wal_mode(path)
    except OSError as exc:
        raise StoreError(f"cannot create database {path}: {exc.strerror}") from None
    except sqlite3.Error as exc:
        raise StoreError(f"cannot create database {path}: {exc}") from None
    return True


def _create_in_wal_mode(path: Path) -> None:
    """Make the empty database file at ``path`` already in WAL mode, unless another process did.

    Switching a file to WAL takes an exclusive lock that SQLite does not wait for: two syncs
    opening a new database at once failed with "database is locked" on the ``journal_mode``
    pragma or the first read (measured: 46 of 200 races of four first opens). WAL is recorded in
    the file, so a file made in WAL mode under a private name and linked into place (a link
    never replaces an existing file) is never switched while another connection reads it.
    """
    draft = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.new")
    try:
        connection = sqlite3.connect(draft)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
        finally:
            connection.close()
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: theirs is the same empty WAL database
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            # A filesystem without hard links: SQLite creates the file and the first
            # connection switches it to WAL, as before (the race stays possible there).
    finally:
        draft.unlink(missing_ok=True)


def _fresh_memory_store() -> Store:
    url = "sqlite://"
    store = Store(_make_engine(url), url)
    store.upgrade()
    return store


def _make_engine(url: str) -> Engine:
    kwargs: dict[str, object] = {}
    if url.startswith("sqlite"):
        from sqlalchemy.pool import StaticPool

        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        if make_url(url).database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool  # one shared in-memory database
    try:
        engine = sa.create_engine(url, **kwargs)
    except NoSuchModuleError:
        raise ConfigError(
            f"unsupported database URL scheme in {display_url(url)} (use sqlite:///PATH or postgresql+psycopg://...)"
        ) from None
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"the database driver {exc.name!r} is not installed; for PostgreSQL: pip install 'remediate[postgres]'"
        ) from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a killed process loses
    # nothing committed, and a power cut can lose only the last commits, never corrupt the file.
    # Exactly-once holds either way: a lost link is found again by its ticket's marker, and the
    # local tracker's tickets live in the same file, so they are lost together with their links.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def _busy(name: str, timeout: float | None) -> str:
    return f"another remediate process holds the {name!r} lock (waited {timeout or 0:g}s); try again later"


#: What to do about a damaged database; every such error ends with REPAIR_HINT.
RESTORE_HINT = "restore the database from a backup or rebuild it from the tracker with `remediate db rebuild`"
REPAIR_HINT = f"run `remediate db check` for details, then {RESTORE_HINT}"

_DAMAGED = (
    "malformed",
    "not a database",
    "no such table",
    "no such column",
    "does not exist",  # PostgreSQL: relation/column "x" does not exist
    "disk i/o error",
)
_READ_ONLY = ("readonly database", "read-only", "permission denied")


def database_error(exc: SQLAlchemyError, url: str | None = None) -> StoreError:
    """One line for a database failure; damaged or unwritable databases are DatabaseDamaged (exit 2).

    Never the SQL statement or its parameters: those can hold item text and are not the user's
    problem to read.
    """
    where = f"database {display_url(url)}" if url else "the state database"
    first = _first_line(exc)
    lowered = first.casefold()
    if any(word in lowered for word in _READ_ONLY):
        return DatabaseDamaged(f"{where} cannot be written ({first}); check the file's permissions and disk")
    if any(word in lowered for word in _DAMAGED):
        return DatabaseDamaged(f"{where} is damaged ({first}); {REPAIR_HINT}")
    return StoreError(f"cannot use {where}: {first}")


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    return str(original).strip().splitlines()[0] if str(original).strip() else exc.__class__.__name__

"""The things remediate does, as plain library functions: the CLI and the scheduler call these.

Each job opens what it needs (settings are passed in), does its work, and returns a result
object for the caller to render. Nothing here prints or exits.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from remediate.connectors import Connector, ConnectorContext, HookInstall, MemoryCache, configure
from remediate.errors import ConfigError, InputError
from remediate.parsing import ParseResult, parse_path
from remediate.policy import DuePolicy, restamp_due_dates
from remediate.settings import Settings
from remediate.store import Store, open_store

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlmodel import Session

    from remediate.connectors import TicketRef
    from remediate.dedupe import Duplicate
    from remediate.models import Link
    from remediate.refresh import StateChange
    from remediate.reports import AuditReport, Digest, DigestOutcome, OverdueReport
    from remediate.reports.base import PeriodKind
    from remediate.sync import Action, Plan

#: A connector class and its validated ``[connectors.<name>]`` config.
Resolved = tuple[type[Connector], "BaseModel"]

#: File name endings that ``remediate sync DIRECTORY`` reads.
POSTMORTEM_SUFFIXES = (".md", ".markdown", ".txt")


@dataclass(frozen=True)
class SyncRequest:
    """Where and how to sync: what ``sync_paths`` and ``sync_documents`` take besides the documents.

    ``tracker`` None is the config's; ``options`` are the CLI's connector overrides (``repo``,
    ``project``); ``environ`` None is ``os.environ`` (credentials come from it).
    """

    database_url: str | None = None
    tracker: str | None = None
    options: Mapping[str, object] = field(default_factory=dict)
    dry_run: bool = False
    write_back: bool = False
    environ: Mapping[str, str] | None = None


class _SyncKeywords(TypedDict, total=False):
    """SyncRequest's fields as keywords: ``sync_paths(paths, settings, dry_run=True)`` still works."""

    database_url: str | None
    tracker: str | None
    options: Mapping[str, object]
    dry_run: bool
    write_back: bool
    environ: Mapping[str, str] | None


def _request(request: SyncRequest | None, keywords: _SyncKeywords) -> SyncRequest:
    if request is not None and keywords:
        raise TypeError("pass a SyncRequest or its fields as keywords, not both")
    if request is not None:
        return request
    if "options" in keywords and keywords["options"] is None:
        del keywords["options"]  # None meant "no overrides", as it always did
    return SyncRequest(**keywords)


@dataclass
class SyncOutcome:
    """What a sync did (or, with dry_run, would do)."""

    plan: Plan
    dry_run: bool
    run_id: int | None = None
    state_changes: list[StateChange] = field(default_factory=list)
    written_back: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self, *, items: bool = True) -> dict[str, object]:
        """The ``remediate sync --format json`` object (``items=False``: with an empty ``items``
        list, in its place, for the CLI to stream the entries into)."""
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "tracker": self.plan.tracker,
            "summary": self.plan.summary(),
            "items": [action.to_json() for action in self.plan.actions] if items else [],
            "state_changes": [vars(change) for change in self.state_changes],
            "written_back": self.written_back,
            "warnings": self.warnings,
        }


def collect_paths(paths: Sequence[str]) -> list[str]:
    """Expand directories to the postmortems below them (hidden directories skipped)."""
    found: list[str] = []
    for raw in paths:
        if raw == "-":
            found.append(raw)
            continue
        path = Path(raw)
        if path.is_dir():
            below = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in POSTMORTEM_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not below:
                raise InputError(raw, f"no postmortems ({', '.join(POSTMORTEM_SUFFIXES)}) below this directory")
            found.extend(str(p) for p in below)
        elif not path.exists():
            raise InputError(raw, "no such file or directory")
        else:
            found.append(raw)
    return found


def parse_documents(paths: Sequence[str], settings: Settings) -> tuple[list[ParseResult], list[str]]:
    """Parse every path (all before anything is written); documents without items are skipped."""
    files = collect_paths(paths)
    warnings: list[str] = []
    documents: list[ParseResult] = []
    empty = 0
    for path in files:
        result = parse_path(path, section_titles=settings.parser.section_titles, max_bytes=settings.parser.max_bytes)
        if result.action_items:
            documents.append(result)
            warnings.extend(result.warnings)
            warnings.extend(_doubtful(result, settings.parser.confidence_threshold))
        else:
            empty += 1
            if len(files) == 1:
                warnings.extend(result.warnings)
    if empty and len(files) > 1:
        warnings.append(f"{empty} of {len(files)} documents have no action-item section")
    return documents, warnings


def _doubtful(result: ParseResult, threshold: float) -> list[str]:
    """One warning per item the parser is less sure of than ``threshold``: it is still synced."""
    return [
        f"{result.postmortem.source}:{item.line}: not sure this is an action item (confidence "
        f"{item.confidence:.2f}): check it, or mark it <!-- remediate: ignore -->"
        for item in result.action_items
        if item.confidence < threshold
    ]


def resolve_connector(
    settings: Settings,
    tracker: str | None,
    options: Mapping[str, object],
    environ: Mapping[str, str] | None = None,
) -> Resolved:
    """The tracker's connector class and validated config (``--tracker``, else the config's)."""
    name = tracker or settings.tracker
    environ = os.environ if environ is None else environ
    return configure(name, settings.connectors.get(name, {}), options, config_path=settings.source, environ=environ)


def build_connector(
    resolved: Resolved,
    store: Store,
    options: Mapping[str, object],
    environ: Mapping[str, str],
    *,
    persistent: bool = True,
) -> Connector:
    """Build a resolved connector on an open store."""
    cls, config = resolved
    context = ConnectorContext(
        env=environ,
        store=store,
        options=options,
        cache=store.cache(cls.name) if persistent else MemoryCache(),
    )
    return cls.from_config(config, context)


def sync_paths(
    paths: Sequence[str],
    settings: Settings,
    request: SyncRequest | None = None,
    **keywords: Unpack[_SyncKeywords],
) -> SyncOutcome:
    """Parse postmortems and sync their action items to a tracker, exactly once."""
    request = _request(request, keywords)
    # A bad tracker fails before any parsing.
    resolved = resolve_connector(settings, request.tracker, request.options, request.environ)
    documents, warnings = parse_documents(paths, settings)
    return _sync(documents, resolved, settings, request, warnings, release=True)


def sync_documents(
    documents: Sequence[ParseResult],
    settings: Settings,
    request: SyncRequest | None = None,
    *,
    warnings: Sequence[str] = (),
    **keywords: Unpack[_SyncKeywords],
) -> SyncOutcome:
    """Sync already parsed postmortems (what ``sync_paths`` does after parsing)."""
    request = _request(request, keywords)
    resolved = resolve_connector(settings, request.tracker, request.options, request.environ)
    return _sync(documents, resolved, settings, request, warnings)


def _sync(
    documents: Sequence[ParseResult],
    resolved: Resolved,
    settings: Settings,
    request: SyncRequest,
    warnings: Sequence[str],
    *,
    release: bool = False,
) -> SyncOutcome:
    """Sync ``documents``; ``release``: they are this module's (``sync_paths`` parsed them), and the
    list is emptied once the plan holds them, so that each document's items go once it is applied."""
    from remediate import refresh, sync

    environ = os.environ if request.environ is None else request.environ
    dry_run = request.dry_run
    policy = DuePolicy.from_settings(settings)
    url = request.database_url or settings.database_url
    with open_store(url, create=not dry_run, migrate=not dry_run) as store:
        connector = build_connector(resolved, store, request.options, environ, persistent=not dry_run)
        if dry_run:
            with store.session() as session:
                plan = _plan(session, connector, documents, settings, policy)
            return SyncOutcome(plan, True, warnings=[*warnings, *plan.warnings])
        with _recorded_run(store, connector.name, "sync", settings.sync.lock_timeout) as run:
            plan = sync.Plan.streamed(connector.name, documents)
            if release and isinstance(documents, list):
                documents.clear()
            run.summary = plan.summary
            _plan_and_apply(run.session, connector, plan, run.id, settings, policy, keep_parsed=request.write_back)
            changes = refresh.refresh(run.session, connector, run.id)
            written = _write_back(plan, connector) if request.write_back else []
        return SyncOutcome(plan, False, run.id, changes, written, [*warnings, *plan.warnings])


@dataclass
class RebuildOutcome:
    """What ``remediate db rebuild`` found: the items, the tickets adopted, those not found."""

    database: str  # as shown to people (password hidden)
    plan: Plan  # applied with create=False
    set_aside: str | None  # where the replaced database went
    state_changes: list[StateChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def adopted(self) -> int:
        """Items whose ticket was found by marker and linked."""
        return sum(1 for action in self.plan.actions if action.adopted)

    @property
    def not_found(self) -> list[Action]:
        """Items no ticket carries the marker of (the next sync creates them)."""
        return [a for a in self.plan.actions if a.kind == "create" and not a.adopted]

    def to_json(self) -> dict[str, object]:
        """The ``remediate db rebuild --format json`` object."""
        return {
            "database": self.database,
            "tracker": self.plan.tracker,
            "set_aside": self.set_aside,
            "items": len(self.plan.actions),
            "adopted": self.adopted,
            "linked": sum(1 for a in self.plan.actions if a.kind == "link"),
            "not_found": [a.item_id for a in self.not_found],
            "state_changes": len(self.state_changes),
            "warnings": self.warnings,
        }


def upgrade_database(url: str | None) -> tuple[str | None, str, int]:
    """Create or migrate the database at ``url``, then fill in what the code keeps and a migration
    cannot compute: each item's recurrence record (the audit's blocking keys, schema 0005), for rows
    stored without one or under another version, 1,000 a transaction.

    Returns (revision before, revision after, items filled in). Without it an older database audits
    correctly but slowly (the audit keys such items itself) until its postmortems are synced again.
    """
    import sqlalchemy as sa

    from remediate.identity import RECURRENCE_KEYS_VERSION, recurrence_keys
    from remediate.models import Item
    from remediate.store import upgrade_database as migrate

    before, after = migrate(url)
    table = Item.__table__  # type: ignore[attr-defined]
    stale = sa.or_(
        table.c.recurrence_keys.is_(None), sa.not_(table.c.recurrence_keys.startswith(f"{RECURRENCE_KEYS_VERSION}\n"))
    )
    filled = 0
    with open_store(url, migrate=False) as store, _database_errors(store.url):
        while True:
            with store.engine.begin() as conn:
                rows = conn.execute(sa.select(table.c.id, table.c.text).where(stale).limit(1_000)).all()
                if not rows:
                    return before, after, filled
                conn.execute(
                    table.update()
                    .where(table.c.id == sa.bindparam("key"))
                    .values(recurrence_keys=sa.bindparam("keys")),
                    [{"key": key, "keys": recurrence_keys(text)} for key, text in rows],
                )
            filled += len(rows)


@contextmanager
def _database_errors(url: str) -> Iterator[None]:
    """A database failure inside as one line (``StoreError``), never a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from remediate.store import database_error

    try:
        yield
    except SQLAlchemyError as exc:
        raise database_error(exc, url) from None


def rebuild_database(
    paths: Sequence[str],
    settings: Settings,
    *,
    database_url: str | None = None,
    tracker: str | None = None,
    options: Mapping[str, object] | None = None,
    force: bool = False,
    environ: Mapping[str, str] | None = None,
) -> RebuildOutcome:
    """Rebuild a lost or damaged database from the documents and the tracker's markers.

    Items come from the documents (as in sync); their links from the tickets that carry their
    markers (one batched ``find`` per 50 items, across postmortems); states are read back. Nothing is created or
    changed on the tracker: items with no ticket are reported for the next sync to create.
    """
    from remediate import refresh, sync
    from remediate.store import display_url, resolve_url, set_aside

    environ = os.environ if environ is None else environ
    options = options or {}
    resolved = resolve_connector(settings, tracker, options, environ)
    if resolved[0].name == "local":
        raise ConfigError(
            "the local tracker keeps its tickets in the database itself, so there is nothing to rebuild "
            "from; restore the database from a backup"
        )
    documents, warnings = parse_documents(paths, settings)
    url = resolve_url(database_url or settings.database_url)
    moved = set_aside(url, force=force)
    with open_store(url) as store:
        connector = build_connector(resolved, store, options, environ)
        with _recorded_run(store, connector.name, "rebuild", settings.sync.lock_timeout) as run:
            plan = sync.Plan.streamed(connector.name, documents)
            run.summary = plan.summary
            _plan_and_apply(
                run.session, connector, plan, run.id, settings, DuePolicy.from_settings(settings), create=False
            )
            changes = refresh.refresh(run.session, connector, run.id)
        return RebuildOutcome(display_url(url), plan, moved, changes, [*warnings, *plan.warnings])


@dataclass
class DedupeOutcome:
    """What ``remediate dedupe`` found and, with ``--apply``, closed."""

    tracker: str
    scanned: int
    duplicates: list[Duplicate]
    closed: list[TicketRef] = field(default_factory=list)
    applied: bool = False

    def to_json(self) -> dict[str, object]:
        """The ``remediate dedupe --format json`` object."""
        return {
            "tracker": self.tracker,
            "scanned": self.scanned,
            "applied": self.applied,
            "duplicates": [d.to_json() for d in self.duplicates],
            "closed": [ref.key for ref in self.closed],
        }


def find_duplicates(
    settings: Settings,
    *,
    database_url: str | None = None,
    tracker: str | None = None,
    options: Mapping[str, object] | None = None,
    apply: bool = False,
    environ: Mapping[str, str] | None = None,
) -> DedupeOutcome:
    """Find items with more than one live ticket; with ``apply``, close all but the linked one.

    What was found is recorded (``remediate audit`` reports it as drift) before anything is
    closed, so a run that fails halfway still leaves the rest on record.
    """
    from remediate import dedupe

    environ = os.environ if environ is None else environ
    options = options or {}
    resolved = resolve_connector(settings, tracker, options, environ)
    with open_store(database_url or settings.database_url) as store:
        connector = build_connector(resolved, store, options, environ)
        if not dedupe.supported(connector):
            raise ConfigError(
                f"the {connector.name} connector cannot list every ticket of an item (no find_all/close_duplicate)"
            )
        with _recorded_run(store, connector.name, "dedupe", settings.sync.lock_timeout) as run:
            drafts, linked = dedupe.stored_drafts(run.session, connector.name)
            found = dedupe.scan(connector, drafts, linked)
            dedupe.record(run.session, connector.name, [d.item_id for d in drafts], found)
            closed = dedupe.close(connector, found) if apply else []
            if apply:
                dedupe.record(run.session, connector.name, [d.item_id for d in found], [])
            run.summary = lambda: {"duplicates": len(found), "closed": len(closed)}
        return DedupeOutcome(connector.name, len(drafts), found, closed, apply)


def _shaping(settings: Settings, policy: DuePolicy) -> dict[str, Any]:
    """What shapes a plan, from the settings: sync, dry run and rebuild alike."""
    return {"base_url": settings.postmortem_url, "threshold": settings.sync.match_threshold, "policy": policy}


def _plan(
    session: Session, connector: Connector, documents: Sequence[ParseResult], settings: Settings, policy: DuePolicy
) -> Plan:
    """``remediate.sync.plan`` with the settings that shape it."""
    from remediate import sync

    return sync.plan(session, connector, documents, **_shaping(settings, policy))


def _plan_and_apply(
    session: Session,
    connector: Connector,
    plan: Plan,
    run_id: int,
    settings: Settings,
    policy: DuePolicy,
    *,
    create: bool = True,
    keep_parsed: bool = False,
) -> None:
    """``remediate.sync.plan_and_apply`` with the same settings as :func:`_plan`."""
    from remediate import sync

    sync.plan_and_apply(
        session, connector, plan, run_id, create=create, keep_parsed=keep_parsed, **_shaping(settings, policy)
    )


def refresh_states(
    settings: Settings,
    *,
    database_url: str | None = None,
    tracker: str | None = None,
    options: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
    full: bool = False,
) -> list[StateChange]:
    """Bring ticket states back from the tracker without reading any document (``full``: every ticket)."""
    from remediate import refresh

    environ = os.environ if environ is None else environ
    options = options or {}
    resolved = resolve_connector(settings, tracker, options, environ)
    with open_store(database_url or settings.database_url) as store:
        connector = build_connector(resolved, store, options, environ)
        with _recorded_run(store, connector.name, "refresh", settings.sync.lock_timeout) as run:
            changes = refresh.refresh(run.session, connector, run.id, full=full)
            # The policy may have changed since the documents were last synced.
            restamped = restamp_due_dates(run.session, DuePolicy.from_settings(settings))
            run.summary = lambda: {"state_changes": len(changes), "due_dates_changed": restamped}
        return changes


@dataclass
class HookOutcome:
    """What one webhook delivery did: the run that recorded it (None if nothing to do) and the changes."""

    run_id: int | None
    tickets: int  # linked tickets the delivery named
    state_changes: list[StateChange] = field(default_factory=list)
    duplicate: bool = False


#: ``kv`` namespace prefix of the webhook deliveries already processed (``hooks:<tracker>``).
HOOK_NAMESPACE = "hooks"


def linked(store: Store, tracker: str, refs: Sequence[TicketRef]) -> list[Link]:
    """The links of ``tracker`` whose key or remote id one of ``refs`` names (the others are not ours)."""
    with store.session() as session:
        return _linked(session, tracker, refs)


def _linked(session: Session, tracker: str, refs: Sequence[TicketRef]) -> list[Link]:
    from sqlmodel import col, or_, select

    from remediate.models import Link

    keys = sorted({ref.key for ref in refs})
    remote_ids = sorted({ref.remote_id for ref in refs if ref.remote_id})
    if not keys and not remote_ids:
        return []
    found = session.exec(
        select(Link).where(Link.tracker == tracker, or_(col(Link.key).in_(keys), col(Link.remote_id).in_(remote_ids)))
    )
    return list(found.all())


def refresh_from_hook(
    settings: Settings,
    tracker: str,
    refs: Sequence[TicketRef],
    *,
    delivery: str,
    store: Store,
    environ: Mapping[str, str] | None = None,
    retention_days: float = 7.0,
) -> HookOutcome:
    """Read the state of the tickets a webhook delivery named and record it as a refresh does.

    The payload's own state is never used: the tickets are read from the tracker (the
    connector's ``read_tickets``, else ``states(refs, None)``) under the ``sync:<tracker>``
    lock, recorded as a run of kind ``hook``. The delivery id is stored in the ``kv`` table in
    the same transaction, so a redelivery (checked again under the lock) is not processed twice;
    ids older than ``retention_days`` are pruned as new ones come.
    """
    from remediate import refresh

    environ = os.environ if environ is None else environ
    namespace = f"{HOOK_NAMESPACE}:{tracker}"
    key = delivery_key(delivery)
    links = linked(store, tracker, refs)
    if not links:
        return HookOutcome(None, 0)
    resolved = resolve_connector(settings, tracker, {}, environ)
    reads_tickets = callable(getattr(resolved[0], "read_tickets", None))
    # Without read_tickets, states(refs, None) runs on a throwaway cache so the hook cannot
    # disturb the scheduled refresh's bookkeeping (ETags, cursors, the last full read).
    connector = build_connector(resolved, store, {}, environ, persistent=reads_tickets)
    with _recorded_run(store, tracker, "hook", settings.sync.lock_timeout) as run:
        run.summary = lambda: {"delivery": delivery[:80], "duplicate": True}
        if seen_delivery(run.session, namespace, key):
            return HookOutcome(run.id, len(links), duplicate=True)
        links = _linked(run.session, tracker, refs)  # again, under the lock
        wanted = [refresh.ticket_ref(link) for link in links]
        # Read everything before writing: the connector's cache commits on its own connection,
        # which an open write transaction here would block (SQLite).
        read = list(connector.read_tickets(wanted) if reads_tickets else connector.states(wanted, None))  # type: ignore[attr-defined]
        record_delivery(run.session, namespace, key, retention_days)  # committed with the states, or not at all
        changes = refresh.refresh_tickets(run.session, links, read, run.id)
        run.summary = lambda: {"delivery": delivery[:80], "tickets": len(links), "state_changes": len(changes)}
    return HookOutcome(run.id, len(links), changes)


def install_hooks(
    settings: Settings,
    url: str,
    *,
    tracker: str | None = None,
    options: Mapping[str, object] | None = None,
    rotate_secret: bool = False,
    environ: Mapping[str, str] | None = None,
) -> HookInstall:
    """``remediate hooks install``: register the tracker's webhook for ``url``, or say how to.

    ``url`` is the public address of ``remediate schedule --http``'s ``/hooks/<tracker>``. The
    secret is the one the receiver verifies with (the connector's ``webhook_secret_env``); when
    it is not set nothing is sent (ConfigError). A connector with ``install_webhook`` creates or
    updates the webhook, idempotently; one with ``webhook_instructions`` returns an admin's steps.
    """
    import dataclasses
    from urllib.parse import urlsplit

    from remediate.connectors import InstallsWebhooks, WebhookInstructions, webhook_secret

    environ = os.environ if environ is None else environ
    options = dict(options or {})
    cls, config = resolve_connector(settings, tracker, options, environ)
    name = cls.name
    if not callable(getattr(cls, "verify_webhook", None)) or not any(
        callable(getattr(cls, verb, None)) for verb in ("install_webhook", "webhook_instructions")
    ):
        raise ConfigError(
            f"the {name} tracker has no webhooks remediate can install (see the README's Webhooks section)"
        )
    var = getattr(cls, "webhook_secret_env", None)
    if not isinstance(var, str) or not var:
        raise ConfigError(f"the {name} connector does not say which variable holds its webhook secret")
    secret = webhook_secret(cls, environ)
    if secret is None:
        raise ConfigError(
            f"{var} is not set: set it to a long random value (e.g. `openssl rand -hex 32`) where "
            "`remediate schedule` runs and here; nothing was sent"
        )
    if secret in url:  # checked first: the messages below quote the URL
        raise ConfigError(f"--url contains the value of {var}: give the address without it; nothing was sent")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.query or parts.fragment:
        raise ConfigError(
            f"--url {url!r} is not the public address of `remediate schedule --http`, e.g. "
            f"https://remediate.example.com/hooks/{name}"
        )
    warnings = []
    if not parts.path.rstrip("/").endswith(f"/hooks/{name}"):
        warnings.append(f"{url} does not end in /hooks/{name}, where `remediate schedule --http` receives them")
    if parts.scheme == "http":
        warnings.append(f"{url} is plain http: deliveries travel unencrypted; use https (a TLS proxy)")
    connector = cls.from_config(config, ConnectorContext(env=environ, options=options))
    if isinstance(connector, InstallsWebhooks):
        result = connector.install_webhook(url, secret, rotate_secret=rotate_secret)
    elif isinstance(connector, WebhookInstructions):
        result = HookInstall(name, "manual", url, name, instructions=connector.webhook_instructions(url))
    else:  # the class said it could; the instance does not
        raise ConfigError(f"the {name} connector cannot install webhooks")
    return dataclasses.replace(result, warnings=(*result.warnings, *warnings))


def delivery_key(delivery: str) -> str:
    """A delivery id as a ``kv`` key (at most 200 characters: long ones are hashed)."""
    import hashlib

    return delivery if len(delivery) <= 200 else "sha256:" + hashlib.sha256(delivery.encode()).hexdigest()


def seen_delivery(session: Session, namespace: str, key: str) -> bool:
    """True when this delivery was processed already."""
    from remediate.models import KV

    return session.get(KV, (namespace, key)) is not None


def record_delivery(session: Session, namespace: str, key: str, retention_days: float) -> None:
    """Remember a processed delivery; forget those older than ``retention_days`` (uncommitted)."""
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa
    from sqlmodel import col

    from remediate.models import KV

    now = datetime.now(UTC)
    cutoff = (now - timedelta(days=retention_days)).isoformat(timespec="microseconds")
    # Values are ISO 8601 UTC with a fixed width, so they compare as strings.
    session.execute(sa.delete(KV).where(col(KV.namespace) == namespace, col(KV.value) < cutoff))
    session.add(KV(namespace=namespace, key=key, value=now.isoformat(timespec="microseconds")))


@dataclass
class _Run:
    """A run being recorded in ``sync_run``; the body sets ``summary`` as it learns the counts."""

    session: Session
    id: int
    summary: Callable[[], Mapping[str, object]] = dict


@contextmanager
def _recorded_run(store: Store, tracker: str, kind: str, lock_timeout: float) -> Iterator[_Run]:
    """Hold the tracker's sync lock and record the run: ok, or failed with the error, rolled back."""
    from remediate import sync

    with store.lock(f"sync:{tracker}", timeout=lock_timeout), store.session() as session:
        run = _Run(session, sync.start_run(session, tracker, kind=kind))
        try:
            yield run
        except BaseException as exc:
            session.rollback()
            sync.finish_run(session, run.id, run.summary(), error=f"{exc.__class__.__name__}: {exc}")
            raise
        sync.finish_run(session, run.id, run.summary())


def _write_back(plan: Plan, connector: Connector) -> list[str]:
    from remediate.writeback import write_back

    return write_back(plan, connector.claim)


# --- reports ---------------------------------------------------------------------------------


def overdue_report(
    settings: Settings,
    *,
    database_url: str | None = None,
    as_of: date | None = None,
    owner: str | None = None,
    postmortem: str | None = None,
) -> OverdueReport:
    """Open items past their effective due date on ``as_of`` (default: today in the configured zone)."""
    from remediate.reports import load_items, overdue_items
    from remediate.reports.base import overdue_sql

    as_of = as_of or settings.today()
    with open_store(database_url or settings.database_url, create=False) as store, store.session() as session:
        items = load_items(session, settings.tz(), where=overdue_sql(as_of))
    return overdue_items(items, as_of, owner=owner, postmortem=postmortem)


def build_digest_for(
    settings: Settings,
    *,
    database_url: str | None = None,
    as_of: date | None = None,
    period: str | None = None,
) -> Digest:
    """The digest on ``as_of`` for the period (default: the config's ``[digest] period``), unsent."""
    from remediate.reports import build_digest, load_items

    kind = _period(settings, period)
    as_of = as_of or settings.today()
    with open_store(database_url or settings.database_url, create=False) as store, store.session() as session:
        items = load_items(session, settings.tz())
    return build_digest(items, as_of, kind)


def send_digest(
    settings: Settings,
    *,
    database_url: str | None = None,
    as_of: date | None = None,
    channel: str | None = None,
    force: bool = False,
    environ: Mapping[str, str] | None = None,
    period: str | None = None,
) -> DigestOutcome:
    """Build the digest and send it on ``channel`` (default: the config's), once per period.

    Returns whether it was sent, skipped (already sent for this period and channel; ``force``
    sends again) or printed (the ``stdout`` channel, never recorded).
    """
    from remediate.reports import build_digest, load_items
    from remediate.reports.send import check_channel, deliver

    environ = os.environ if environ is None else environ
    channel = channel or settings.digest.channel
    kind = _period(settings, period)
    as_of = as_of or settings.today()
    if channel != "stdout":
        check_channel(channel, settings.digest, environ)  # before opening anything
    with open_store(database_url or settings.database_url) as store:
        with store.session() as session:
            items = load_items(session, settings.tz())
        digest = build_digest(items, as_of, kind)
        return deliver(
            store,
            digest,
            channel,
            settings.digest,
            templates_dir=settings.templates_path(),
            force=force,
            environ=environ,
        )


def audit_snapshot(
    settings: Settings,
    *,
    database_url: str | None = None,
    as_of: date | None = None,
    since: date | None = None,
    until: date | None = None,
) -> AuditReport:
    """The completion audit on ``as_of`` of postmortems started in [since, until] (default: all)."""
    from remediate.reports import build_audit, load_items
    from remediate.reports.audit import load_events, start_recurring

    if since and until and since > until:
        raise ConfigError(f"--since {since} is after --until {until}")
    as_of = as_of or settings.today()
    with open_store(database_url or settings.database_url, create=False) as store, store.session() as session:
        items = load_items(session, settings.tz(), recurrence_keys=True)
        # The recurring search needs only the items: begun now, it runs beside the rest.
        recurring = start_recurring(items, settings.audit.recurring_threshold)
        events = load_events(session)
    return build_audit(
        items,
        events,
        settings.tz(),
        as_of=as_of,
        since=since,
        until=until,
        recurring_threshold=settings.audit.recurring_threshold,
        recurring=recurring,
    )


def check_database(settings: Settings, *, database_url: str | None = None) -> tuple[str, list[str]]:
    """``remediate db check``: the database as shown to people, and what is wrong with it."""
    from remediate.store import check_database as check
    from remediate.store import display_url, resolve_url

    url = resolve_url(database_url or settings.database_url)
    return display_url(url), check(url)


def _period(settings: Settings, period: str | None) -> PeriodKind:
    kind = period or settings.digest.period
    if kind not in ("week", "month"):
        raise ConfigError(f"unknown period {kind!r} (use week or month)")
    return kind  # type: ignore[return-value]

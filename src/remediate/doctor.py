"""``remediate doctor``: check a set-up end to end and say what to fix.

Checks, in order (later ones are skipped when the config cannot be read):

- config: which file is read, and that it validates;
- schedule: every enabled job's trigger parses and its library function exists;
- tracker: the connector loads and its ``[connectors.<name>]`` table validates;
- credentials: which variables are set, by name only (``<TRACKER>_*``, and the variables that
  settings ending in ``_env`` name); values are never read out;
- live checks: the connector's ``check()`` (see :class:`remediate.connectors.LiveCheck`):
  authenticated, read-only requests that prove the credentials, their scopes and the
  configured repository or project, each reported as ``<tracker>.<step>``; a connector
  without ``check()`` gets one ``reach`` line, "no live check available" (an empty
  ``states()`` query still runs, so a tracker that fails at once is still caught);
- database: it opens, and its schema is the one this version expects;
- scheduler: whether a ``remediate schedule`` instance is active on the database;
- webhooks (trackers with :class:`remediate.connectors.Webhooks`): when the service last
  processed a delivery, from the delivery ids it keeps (info only).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from remediate.connectors import Check, CheckStatus, error_check
from remediate.errors import ConfigError, DatabaseDamaged, RemediateError, StoreError

__all__ = ["Check", "CheckStatus", "failed", "run_checks"]


def _env_fields(model: BaseModel) -> Iterator[str]:
    """Values of every ``*_env`` setting (names of environment variables), recursively.

    For the digest, only the variables of the channels in use (configured or scheduled) count.
    """
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name == "digest" and hasattr(value, "secret_variables"):
            scheduled = getattr(getattr(getattr(model, "schedule", None), "digest", None), "channel", None)
            yield from value.secret_variables()
            if scheduled:
                yield from value.secret_variables(scheduled)
        elif isinstance(value, BaseModel):
            yield from _env_fields(value)
        elif name.endswith("_env") and isinstance(value, str) and value:
            yield value


def run_checks(
    config: Path | None,
    database_url: str | None,
    environ: Mapping[str, str],
    *,
    reach: bool = True,
    tracker: str | None = None,
) -> list[Check]:
    """Run every check; never raises for a problem it can describe (``tracker``: not the config's)."""
    from remediate.settings import find_config, load_settings

    checks: list[Check] = []
    path = find_config(config, environ)
    try:
        settings = load_settings(config, environ)
    except ConfigError as exc:
        return [Check("config", "fail", str(exc), "fix the file (see config/remediate.example.toml)")]
    if tracker:
        settings = settings.model_copy(update={"tracker": tracker})
    checks.append(
        Check("config", "ok", str(path))
        if path
        else Check(
            "config", "info", "no config file: every setting has its default", "run `remediate init` to write one"
        )
    )
    checks.append(_schedule(settings, environ))
    resolved = None
    try:
        from remediate.jobs import resolve_connector

        resolved = resolve_connector(settings, None, {})
        checks.append(Check("tracker", "ok", f"{settings.tracker}: connector loaded, its config is valid"))
    except ConfigError as exc:
        checks.append(
            Check("tracker", "fail", str(exc), f"set `tracker` and [connectors.{settings.tracker}] in the config")
        )
    checks.append(_credentials(settings, environ, resolved))
    checks.extend(_database_and_reach(settings, database_url, environ, resolved, reach=reach))
    return checks


def _schedule(settings: Any, environ: Mapping[str, str]) -> Check:
    from remediate.scheduler import JOBS, check_triggers, describe_trigger, enabled_jobs

    try:
        check_triggers(settings)
    except ConfigError as exc:
        return Check("schedule", "fail", str(exc), "fix the cron expression in [schedule]")
    names = enabled_jobs(settings)
    missing = [name for name in names if JOBS[name].resolve() is None]
    if missing:
        return Check(
            "schedule",
            "fail",
            f"job {missing[0]!r} is enabled but this remediate has no remediate.jobs.{JOBS[missing[0]].function}()",
            f"set [schedule.{missing[0]}] enabled = false, or upgrade remediate",
        )
    jobs = "; ".join(f"{name} {describe_trigger(settings, name, environ)}" for name in names)
    return Check("schedule", "ok", jobs or "no job enabled")


def _credentials(settings: Any, environ: Mapping[str, str], resolved: Any = None) -> Check:
    """The variables the tracker and the digest channels in use need, checked without a request."""
    prefix = f"{settings.tracker.upper().replace('-', '_')}_"
    named = sorted(set(_env_fields(settings)))
    present = sorted({k for k in environ if k.startswith(prefix) and environ[k]} | {k for k in named if environ.get(k)})
    missing = [k for k in named if not environ.get(k)]
    problems = [f"not set: {', '.join(missing)}"] if missing else []
    ask = getattr(resolved[0], "credentials_problem", None) if resolved else None
    tracker_problem = ask(resolved[1], environ) if callable(ask) else None
    if tracker_problem:
        problems.insert(0, f"{settings.tracker}: {tracker_problem}")
    if problems:
        return Check("credentials", "fail", "; ".join(problems), "set the variables named (see the README)")
    detail = f"set: {', '.join(present)}" if present else f"no {prefix}* variable is set"
    return Check("credentials", "ok" if present or ask else "info", detail)


def _database_and_reach(
    settings: Any, database_url: str | None, environ: Mapping[str, str], resolved: Any, *, reach: bool
) -> list[Check]:
    from sqlalchemy.engine import make_url

    from remediate.store import SCHEMA_HEAD, display_url, open_store, resolve_url

    url = resolve_url(database_url or settings.database_url)
    shown = display_url(url)
    checks: list[Check] = []
    try:
        parsed = make_url(url)
        missing_file = (
            parsed.get_backend_name() == "sqlite"
            and parsed.database not in (None, "", ":memory:")
            and not Path(parsed.database).exists()
        )
        store = open_store(url, create=False, migrate=False)
    except StoreError as exc:
        if "db upgrade" in str(exc):  # an older schema: any command migrates it on first use
            return [Check("database", "warn", str(exc), "run `remediate db upgrade` (or let the next sync do it)")]
        if isinstance(exc, DatabaseDamaged):
            return [Check("database", "fail", str(exc).split("; run")[0], "see `remediate db check`")]
        fix = "upgrade remediate" if "newer remediate" in str(exc) else "check database_url / REMEDIATE_DATABASE_URL"
        return [Check("database", "fail", str(exc), fix)]
    except Exception as exc:  # a bad URL or driver the store did not translate
        return [Check("database", "fail", f"{shown}: {exc.__class__.__name__}", "check database_url")]
    # open_store(create=False) stands an empty in-memory database in for one without a schema.
    empty = store.url != url
    with store:
        if missing_file:
            checks.append(Check("database", "info", f"{shown} does not exist yet; the first sync creates it"))
        elif empty:
            checks.append(
                Check(
                    "database",
                    "info",
                    f"{shown} has no remediate schema yet; the first sync creates it",
                    "or run `remediate db upgrade` now",
                )
            )
        else:
            checks.append(Check("database", "ok", f"{shown}: schema {SCHEMA_HEAD}, up to date"))
        if reach and resolved is not None:
            checks.extend(_reach(settings, resolved, store, environ))
        if not missing_file:
            checks.append(_scheduler_lock(store))
        if not missing_file and not empty and resolved is not None and hasattr(resolved[0], "verify_webhook"):
            checks.append(_hooks(store, settings.tracker))
    return checks


def _reach(settings: Any, resolved: Any, store: Any, environ: Mapping[str, str]) -> list[Check]:
    from remediate.jobs import build_connector

    tracker = settings.tracker
    try:
        connector = build_connector(resolved, store, {}, environ, persistent=False)
        live = getattr(connector, "check", None)
        if callable(live):
            checks = [replace(c, name=f"{tracker}.{c.name}") for c in live()]
            if not checks:
                return [Check("reach", "warn", f"{tracker}: the connector's check() reported nothing")]
            if not failed(checks):
                checks.extend(_duplicates(connector, store))
            return checks
        list(connector.states([], None))
        return [
            Check(
                "reach",
                "info",
                f"{tracker}: no live check available (the connector has no check()); "
                "an empty state query did not fail, which does not prove the credentials work",
            )
        ]
    except RemediateError as exc:
        return [error_check("reach", exc, "see the message: credentials, URL or permissions")]
    except Exception as exc:
        return [Check("reach", "fail", f"{tracker}: unexpected {exc.__class__.__name__}: {exc}")]


def _duplicates(connector: Any, store: Any) -> list[Check]:
    """Items with more than one live ticket (two syncs on separate databases); recorded for the audit."""
    from remediate import dedupe

    if not dedupe.supported(connector):
        return []
    with store.session() as session:
        drafts, linked = dedupe.stored_drafts(session, connector.name)
        if not drafts:
            return []
        found = dedupe.scan(connector, drafts, linked)
        dedupe.record(session, connector.name, [d.item_id for d in drafts], found)  # for the audit
    if not found:
        return [Check("duplicates", "ok", f"{len(drafts)} item(s), one live ticket each")]
    shown = "; ".join(d.describe() for d in found[:3]) + (" ..." if len(found) > 3 else "")
    return [
        Check(
            "duplicates",
            "warn",
            f"{len(found)} item(s) have more than one ticket: {shown}",
            "run `remediate dedupe --apply` to close the later ones as duplicates",
        )
    ]


def _scheduler_lock(store: Any) -> Check:
    from remediate.service import LOCK_NAME

    try:
        with store.lock(LOCK_NAME, timeout=0):
            pass
    except StoreError:
        return Check("scheduler", "info", "a `remediate schedule` instance is active on this database")
    return Check("scheduler", "info", "no `remediate schedule` instance is active on this database")


def _hooks(store: Any, tracker: str) -> Check:
    """When the service last processed a webhook delivery for ``tracker`` (info only: hooks are optional)."""
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa
    from sqlmodel import col

    from remediate.jobs import HOOK_NAMESPACE
    from remediate.models import KV

    now = datetime.now(UTC)
    ours = col(KV.namespace) == f"{HOOK_NAMESPACE}:{tracker}"
    week_ago = (now - timedelta(days=7)).isoformat(timespec="microseconds")
    with store.session() as session:
        newest = session.execute(sa.select(sa.func.max(col(KV.value))).where(ours)).scalar_one()
        recent = session.execute(sa.select(sa.func.count()).where(ours, col(KV.value) >= week_ago)).scalar_one()
    if not newest:
        return Check(
            "webhooks",
            "info",
            f"no {tracker} webhook delivery recorded (states come from the scheduled refresh)",
            "see the README's Webhooks section to have states in seconds",
        )
    minutes = max(0, int((now - datetime.fromisoformat(newest)).total_seconds() // 60))
    ago = f"{minutes} min" if minutes < 120 else f"{minutes // 60} h" if minutes < 2880 else f"{minutes // 1440} days"
    return Check(
        "webhooks", "info", f"last {tracker} webhook delivery processed {ago} ago ({recent} in the last 7 days)"
    )


def failed(checks: list[Check]) -> bool:
    """True when any check failed."""
    return any(check.status == "fail" for check in checks)

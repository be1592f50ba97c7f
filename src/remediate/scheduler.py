"""Scheduled jobs: a registry of named library functions, their triggers, and a record of each run.

Every job is a plain function in :mod:`remediate.jobs`, the one the matching CLI command calls,
looked up by name when the job runs (so a job whose function this version lacks fails that run
with a clear message instead of stopping the service):

========  ==============================  ==========================================
job       function                        default trigger
========  ==============================  ==========================================
refresh   ``jobs.refresh_states``         every 15 minutes (status sync); every hour while the
                                          tracker's webhook secret is set (``every_with_hooks``)
digest    ``jobs.send_digest``            cron ``0 9 * * mon`` (once per period)
audit     ``jobs.audit_snapshot``         cron ``0 6 1 * *``, disabled by default
========  ==============================  ==========================================

Each run is recorded in the ``kv`` table (namespace ``scheduler``, key ``job:<name>``): when it
started and finished, how it ended and the last success. ``/healthz`` reads these records, so
every instance on a database reports the same thing, and a record left ``running`` tells the
next active instance that a run died with its process (see :mod:`remediate.service`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from remediate.errors import ConfigError, RemediateError
from remediate.settings import JobSchedule, RefreshJob, Settings, parse_duration

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger

    from remediate.store import Store

log = logging.getLogger("remediate.service")

#: APScheduler's SQLAlchemyJobStore table in the project's database.
JOB_TABLE = "scheduler_job"
#: ``kv`` namespace of the run records.
RECORD_NAMESPACE = "scheduler"
#: What APScheduler stores as each job's callable (it must be importable by reference).
JOB_FUNC_REF = "remediate.scheduler:run_scheduled"


def _store_args(settings: Settings, database_url: str | None) -> dict[str, Any]:
    return {"database_url": database_url}


def _digest_args(settings: Settings, database_url: str | None) -> dict[str, Any]:
    return {"database_url": database_url, "channel": settings.schedule.digest.channel}


def summarize(result: Any) -> dict[str, Any]:
    """A few scalar facts about a job's return value, for one log line."""
    if result is None:
        return {}
    if isinstance(result, Mapping):
        items: Any = result.items()
    elif dataclasses.is_dataclass(result) and not isinstance(result, type):
        items = ((f.name, getattr(result, f.name)) for f in dataclasses.fields(result))
    elif isinstance(result, (list, tuple, set)):
        return {"count": len(result)}
    else:
        return {"result": type(result).__name__}
    return {
        str(key): value
        for key, value in items
        if isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) <= 80)
    }


@dataclass(frozen=True)
class JobSpec:
    """One named job: which ``remediate.jobs`` function it calls, and with what."""

    name: str
    function: str
    description: str
    arguments: Callable[[Settings, str | None], dict[str, Any]] = _store_args
    summary: Callable[[Any], dict[str, Any]] = summarize

    def resolve(self) -> Callable[..., Any] | None:
        """The library function, or None when this version of remediate has none by that name."""
        import remediate.jobs

        func = getattr(remediate.jobs, self.function, None)
        return func if callable(func) else None

    def call(self, settings: Settings, database_url: str | None) -> Any:
        """Run the job's function once; errors propagate."""
        func = self.resolve()
        if func is None:
            raise ConfigError(
                f"job {self.name!r} needs remediate.jobs.{self.function}(), which this version "
                f"of remediate does not have; disable it with [schedule.{self.name}] enabled = false"
            )
        return func(settings, **self.arguments(settings, database_url))


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec(
            "refresh",
            "refresh_states",
            "Status sync: bring ticket states back from the tracker (remediate refresh).",
            summary=lambda changes: {"state_changes": len(changes)},
        ),
        JobSpec(
            "digest",
            "send_digest",
            "Send the weekly digest once per period (remediate digest).",
            arguments=_digest_args,
        ),
        JobSpec("audit", "audit_snapshot", "Record an audit snapshot (remediate audit)."),
    )
}


def job_settings(settings: Settings, name: str) -> JobSchedule:
    """The ``[schedule.<name>]`` table of a registered job."""
    value = getattr(settings.schedule, name, None)
    if not isinstance(value, JobSchedule):
        raise ConfigError(f"no [schedule.{name}] table for job {name!r}")
    return value


def enabled_jobs(settings: Settings, specs: Mapping[str, JobSpec] = JOBS) -> list[str]:
    """Names of the jobs the config enables, in registry order."""
    return [name for name in specs if job_settings(settings, name).enabled]


def select_jobs(settings: Settings, names: Sequence[str], specs: Mapping[str, JobSpec] = JOBS) -> list[str]:
    """The jobs ``--once`` runs: the named ones (enabled or not), else every enabled one."""
    unknown = [name for name in names if name not in specs]
    if unknown:
        raise ConfigError(f"unknown job {unknown[0]!r} (jobs: {', '.join(specs)})")
    return list(dict.fromkeys(names)) if names else enabled_jobs(settings, specs)


def hooks_configured(settings: Settings, environ: Mapping[str, str] | None = None) -> bool:
    """Whether the configured tracker's webhook secret is set, so its deliveries are received."""
    import os

    from remediate.connectors import load_class, webhook_secret

    try:
        cls = load_class(settings.tracker)
    except ConfigError:
        return False  # the refresh itself will say what is wrong
    return webhook_secret(cls, os.environ if environ is None else environ) is not None


def effective_trigger(settings: Settings, name: str, environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """Job ``name``'s trigger: its own, else its default (for refresh, longer while hooks are configured)."""
    schedule = job_settings(settings, name)
    # An explicit every or cron always wins; only then is the connector looked at.
    follows = isinstance(schedule, RefreshJob) and schedule.every is None and schedule.cron is None
    return schedule.trigger(hooks=follows and hooks_configured(settings, environ))


def describe_trigger(settings: Settings, name: str, environ: Mapping[str, str] | None = None) -> str:
    """The trigger as people write it: ``every 15m`` or ``cron '0 9 * * mon' (Europe/Berlin)``."""
    kind, value = effective_trigger(settings, name, environ)
    if kind == "cron":
        return f"cron '{value}' ({settings.timezone})"
    if (kind, value) != job_settings(settings, name).trigger():
        return f"every {value} (webhooks configured)"
    return f"every {value}"


def build_trigger(settings: Settings, name: str, environ: Mapping[str, str] | None = None) -> BaseTrigger:
    """The APScheduler trigger of job ``name``; a bad cron expression is a ConfigError."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    kind, value = effective_trigger(settings, name, environ)
    if kind == "every":
        return IntervalTrigger(seconds=parse_duration(value), timezone=settings.tz())
    try:
        return CronTrigger.from_crontab(value, timezone=settings.tz())
    except ValueError as exc:
        where = f"{settings.source}: " if settings.source else ""
        raise ConfigError(f"{where}[schedule.{name}] cron <- {exc}") from None


def check_triggers(settings: Settings, specs: Mapping[str, JobSpec] = JOBS) -> None:
    """Build every enabled job's trigger, so a bad one fails before anything starts."""
    for name in enabled_jobs(settings, specs):
        build_trigger(settings, name)


# --- run records -------------------------------------------------------------------------------


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass
class RunRecord:
    """The last run of one job, kept in the ``kv`` table so it survives restarts."""

    job: str
    status: str | None = None  # running | ok | failed; None: never ran
    started: datetime | None = None
    finished: datetime | None = None
    duration: float | None = None
    error: str | None = None
    last_success: datetime | None = None
    runs: int = 0
    failures: int = 0
    owner: str | None = None  # host:pid of the process that ran it

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields (times in ISO 8601, UTC)."""
        data = dataclasses.asdict(self)
        for key in ("started", "finished", "last_success"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_json(cls, job: str, text: str | None) -> RunRecord:
        """Read a stored record; an unreadable one counts as never run."""
        if not text:
            return cls(job)
        try:
            data = json.loads(text)
            return cls(
                job=job,
                status=data.get("status"),
                started=_time(data.get("started")),
                finished=_time(data.get("finished")),
                duration=data.get("duration"),
                error=data.get("error"),
                last_success=_time(data.get("last_success")),
                runs=int(data.get("runs", 0)),
                failures=int(data.get("failures", 0)),
                owner=data.get("owner"),
            )
        except (ValueError, TypeError, AttributeError):
            return cls(job)


def load_record(store: Store, name: str) -> RunRecord:
    """The stored record of job ``name``."""
    return RunRecord.from_json(name, store.cache(RECORD_NAMESPACE).get(f"job:{name}"))


def save_record(store: Store, record: RunRecord) -> None:
    """Store a job's record (one small committed write)."""
    store.cache(RECORD_NAMESPACE).set(f"job:{record.job}", json.dumps(record.to_json()))


def read_next_runs(store: Store) -> dict[str, datetime | None]:
    """Each stored job's next run time, straight from the job store's table (empty if none yet)."""
    try:
        with store.engine.connect() as conn:
            if not sa.inspect(conn).has_table(JOB_TABLE):
                return {}
            rows = conn.execute(sa.text(f"SELECT id, next_run_time FROM {JOB_TABLE}")).all()
    except sa.exc.SQLAlchemyError:
        return {}
    return {row[0]: datetime.fromtimestamp(row[1], UTC) if row[1] is not None else None for row in rows}


# --- running a job -----------------------------------------------------------------------------


@dataclass(frozen=True)
class JobResult:
    """How one run of a job ended."""

    job: str
    ok: bool
    duration: float
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def owner_id() -> str:
    """This process, as ``host:pid``, for records and logs."""
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(
    name: str,
    settings: Settings,
    store: Store,
    *,
    database_url: str | None = None,
    specs: Mapping[str, JobSpec] = JOBS,
    mask: Callable[[str], str] = str,
) -> JobResult:
    """Run job ``name`` once, record the run, log one line when it starts and one when it ends.

    A failure is recorded and logged, never raised: one bad run must not stop the service.
    Interrupts (^C, SystemExit) are recorded as failed and propagate. ``mask`` scrubs secrets
    from an error message before it is stored or shown (``/healthz`` shows it).
    """
    spec = specs[name]
    record = load_record(store, name)
    record.status, record.started, record.finished = "running", datetime.now(UTC), None
    record.duration, record.error, record.owner = None, None, owner_id()
    record.runs += 1
    save_record(store, record)
    log.info("job_started", extra={"fields": {"job": name}})
    started = time.monotonic()
    error: str | None = None
    summary: dict[str, Any] = {}
    try:
        summary = spec.summary(spec.call(settings, database_url))
    except RemediateError as exc:
        error = mask(str(exc))
    except Exception as exc:
        error = mask(f"unexpected {exc.__class__.__name__}: {exc}")
        log.debug("job_traceback", exc_info=True, extra={"fields": {"job": name}})
    except BaseException as exc:
        _finish(store, record, started, f"interrupted ({exc.__class__.__name__})")
        raise
    duration = _finish(store, record, started, error)
    fields = {"job": name, "duration": f"{duration:.3f}", **summary}
    if error is None:
        log.info("job_finished", extra={"fields": fields})
    else:
        log.warning("job_failed", extra={"fields": {**fields, "error": error}})
    return JobResult(name, error is None, duration, summary, error)


def _finish(store: Store, record: RunRecord, started: float, error: str | None) -> float:
    duration = time.monotonic() - started
    record.finished, record.duration = datetime.now(UTC), round(duration, 3)
    record.status, record.error = ("failed", error) if error else ("ok", None)
    if error:
        record.failures += 1
    else:
        record.last_success = record.finished
    save_record(store, record)
    return duration


def run_once(
    settings: Settings,
    store: Store,
    names: Sequence[str] = (),
    *,
    database_url: str | None = None,
    specs: Mapping[str, JobSpec] = JOBS,
    mask: Callable[[str], str] = str,
) -> list[JobResult]:
    """``remediate schedule --once``: run the named jobs (default: every enabled one) in order."""
    selected = select_jobs(settings, names, specs)
    return [run_job(name, settings, store, database_url=database_url, specs=specs, mask=mask) for name in selected]


# --- what APScheduler calls ----------------------------------------------------------------------


@dataclass
class Runner:
    """What a scheduled job needs at run time; the active service installs one per process."""

    settings: Settings
    store: Store
    database_url: str | None
    specs: Mapping[str, JobSpec] = field(default_factory=lambda: JOBS)
    mask: Callable[[str], str] = str

    def run(self, name: str) -> JobResult:
        """Run job ``name`` with this process's settings and database."""
        return run_job(
            name, self.settings, self.store, database_url=self.database_url, specs=self.specs, mask=self.mask
        )


_runner: Runner | None = None


def install_runner(runner: Runner | None) -> None:
    """Make ``runner`` the one :func:`run_scheduled` uses (None removes it)."""
    global _runner
    _runner = runner


def run_scheduled(name: str) -> None:
    """The callable stored in the job store: run job ``name`` on the installed runner."""
    if _runner is None:  # only an active service schedules jobs, and it installs a runner first
        raise RuntimeError(f"job {name!r} fired with no active remediate service in this process")
    _runner.run(name)

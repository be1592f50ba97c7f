"""``remediate schedule``: the long-running service that runs the scheduled jobs.

Lifecycle of one instance:

1. Open the database (migrating it), check every enabled job's trigger, start ``--http``.
2. Try the database's ``scheduler`` lock (a PostgreSQL advisory lock, or a lock file next to the
   SQLite database). If another instance holds it, log ``standby`` once and try again every
   second: the lock is released by the server or the OS when its holder dies, however it dies,
   so a standby instance takes over within about a second of the active one's death.
3. Active: APScheduler runs the jobs, persisted in the database's ``scheduler_job`` table
   (SQLAlchemyJobStore). A stored job whose trigger is unchanged is kept as it was, with its next
   run time, so runs missed while no instance was active still happen once at start-up
   (``coalesce``; within ``[schedule] misfire_grace_time``); a changed trigger replaces the job,
   a disabled one is removed. A run recorded as ``running`` by a dead process is run again at
   once (the jobs are idempotent: a refresh re-reads states, the digest is sent once per period).
4. SIGTERM or SIGINT: stop taking jobs, wait for the running one, release the lock, exit 0.
   A second signal exits at once.

Jobs run one at a time (a single worker): the sync engine serialises on its own lock anyway,
and SQLite prefers one writer.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

from remediate.errors import StoreError
from remediate.scheduler import (
    JOB_FUNC_REF,
    JOB_TABLE,
    JOBS,
    JobSpec,
    Runner,
    build_trigger,
    check_triggers,
    enabled_jobs,
    install_runner,
    load_record,
    owner_id,
)
from remediate.settings import Settings

if TYPE_CHECKING:
    from apscheduler.job import Job
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.base import BaseTrigger

    from remediate.service.health import HealthServer
    from remediate.store import Store

log = logging.getLogger("remediate.service")

#: The lock that makes one instance per database active.
LOCK_NAME = "scheduler"


def _event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    log.log(level, name, extra={"fields": fields})


def _fingerprint(trigger: BaseTrigger) -> str:
    # str() holds the schedule (interval or cron fields) but not the zone; start dates are left
    # out on purpose, so the same "every 15m" keeps its stored next run time across restarts.
    return f"{type(trigger).__name__}|{trigger}|{getattr(trigger, 'timezone', '')}"


def _owner_alive(owner: str | None) -> bool:
    """True when ``owner`` (host:pid) is another live process on this host."""
    import socket

    if not owner or ":" not in owner:
        return False
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False  # another host cannot be checked; our own pid is a previous life (pid 1)
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Service:
    """One instance of the scheduler service on one database."""

    def __init__(
        self,
        settings: Settings,
        database_url: str | None,
        *,
        http: tuple[str, int] | None = None,
        specs: Mapping[str, JobSpec] = JOBS,
        standby_poll: float = 1.0,
        mask: Callable[[str], str] = str,
    ) -> None:
        self.settings = settings
        self.database_url = database_url
        self.http = http
        self.specs = specs
        self.standby_poll = standby_poll
        self.mask = mask
        self.role = "starting"
        self.stop_event = threading.Event()
        self.server: HealthServer | None = None
        self._signals = 0

    # --- stopping ----------------------------------------------------------------------------

    def request_stop(self, reason: str) -> None:
        """Ask the service to stop after the running job (thread-safe)."""
        if not self.stop_event.is_set():
            _event("stop_requested", reason=reason, role=self.role)
        self.stop_event.set()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._signals += 1
        name = signal.Signals(signum).name
        if self._signals > 1:
            _event("stop_forced", logging.WARNING, signal=name)
            os._exit(128 + signum)
        self.request_stop(name)

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT ask for a clean stop; a second one exits at once (main thread only)."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)

    # --- running -----------------------------------------------------------------------------

    def run(self) -> None:
        """Run until asked to stop: standby while another instance is active, else run the jobs."""
        from remediate.store import display_url, open_store, resolve_url

        url = resolve_url(self.database_url or self.settings.database_url)
        check_triggers(self.settings, self.specs)
        with open_store(url) as store:
            try:
                if self.http is not None:
                    from remediate.service.health import HealthServer
                    from remediate.service.hooks import HookReceiver

                    self.server = HealthServer(
                        self.settings,
                        store,
                        lambda: self.role,
                        host=self.http[0],
                        port=self.http[1],
                        specs=self.specs,
                        hooks=HookReceiver(self.settings, store, mask=self.mask),
                    )
                    self.server.start()
                    host, port = self.server.address
                    _event("http_listening", host=host, port=port)
                _event(
                    "service_started",
                    instance=owner_id(),
                    database=display_url(url),
                    jobs=",".join(enabled_jobs(self.settings, self.specs)) or "none",
                    timezone=self.settings.timezone,
                )
                self._loop(store, url)
            finally:
                self.role = "stopping"
                if self.server is not None:
                    self.server.stop()
                _event("service_stopped", instance=owner_id())

    def _loop(self, store: Store, url: str) -> None:
        announced = False
        while not self.stop_event.is_set():
            acquired = False
            try:
                with store.lock(LOCK_NAME, timeout=0):
                    acquired = True
                    self._active(store, url)
            except StoreError:
                if acquired:
                    raise
            if acquired:
                return
            if not announced:
                self.role = "standby"
                _event("standby", reason="another instance holds the scheduler lock on this database")
                announced = True
            self.stop_event.wait(self.standby_poll)

    def _active(self, store: Store, url: str) -> None:
        self.role = "active"
        _event("active", instance=owner_id())
        install_runner(Runner(self.settings, store, url, self.specs, self.mask))
        scheduler = self._scheduler(store)
        scheduler.start(paused=True)
        try:
            configured = self._reconcile(scheduler)
            self._recover(scheduler, store, configured)
            scheduler.resume()
            for job in scheduler.get_jobs():
                _event("job_next", job=job.id, next_run=job.next_run_time)
            while not self.stop_event.wait(1.0):
                pass
        finally:
            self.role = "stopping"
            _event("stopping", waiting_for=",".join(_running(scheduler)) or "nothing")
            scheduler.shutdown(wait=True)
            install_runner(None)

    def _scheduler(self, store: Store) -> BackgroundScheduler:
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        return BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=store.engine, tablename=JOB_TABLE)},
            executors={"default": _executor()},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": self.settings.schedule.misfire_grace_time,
            },
            timezone=self.settings.tz(),
        )

    def _reconcile(self, scheduler: BackgroundScheduler) -> list[str]:
        """Make the job store hold exactly the configured jobs, keeping unchanged ones as stored."""
        grace = self.settings.schedule.misfire_grace_time
        configured = enabled_jobs(self.settings, self.specs)
        for name in configured:
            trigger = build_trigger(self.settings, name)
            stored: Job | None = scheduler.get_job(name)
            if (
                stored is not None
                and _fingerprint(stored.trigger) == _fingerprint(trigger)
                and stored.func_ref == JOB_FUNC_REF
                and tuple(stored.args) == (name,)
                and stored.misfire_grace_time == grace
            ):
                _event("job_kept", job=name, trigger=str(trigger), next_run=stored.next_run_time)
                continue
            scheduler.add_job(
                JOB_FUNC_REF,
                trigger,
                args=[name],
                id=name,
                name=name,
                replace_existing=True,
                misfire_grace_time=grace,
                coalesce=True,
                max_instances=1,
            )
            _event("job_scheduled", job=name, trigger=str(trigger), replaced=stored is not None)
        for job in scheduler.get_jobs():
            if job.id not in configured:
                scheduler.remove_job(job.id)
                _event("job_removed", job=job.id, reason="not enabled in [schedule]")
        return configured

    def _recover(self, scheduler: BackgroundScheduler, store: Store, configured: list[str]) -> None:
        """Run at once every job whose last run died with its process."""
        for name in configured:
            record = load_record(store, name)
            if record.status != "running" or _owner_alive(record.owner):
                continue
            job = scheduler.get_job(name)
            now = datetime.now(self.settings.tz())
            if job is not None and job.next_run_time is not None and job.next_run_time > now:
                scheduler.modify_job(name, next_run_time=now)
            _event(
                "job_recovered", level=logging.WARNING, job=name, started=record.started, previous_owner=record.owner
            )


def _executor() -> Any:
    """A one-worker thread pool that logs each run as it is handed over (with its due time)."""
    from apscheduler.executors.pool import ThreadPoolExecutor

    class LoggingExecutor(ThreadPoolExecutor):  # type: ignore[misc]
        def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
            # Runs missed while no instance was active arrive here coalesced into one.
            _event("job_due", job=job.id, scheduled=",".join(t.isoformat() for t in run_times))
            super()._do_submit_job(job, run_times)

    return LoggingExecutor(max_workers=1)


def _running(scheduler: BackgroundScheduler) -> list[str]:
    executor = scheduler._lookup_executor("default")  # no public API lists running jobs
    return sorted(job_id for job_id, count in getattr(executor, "_instances", {}).items() if count)

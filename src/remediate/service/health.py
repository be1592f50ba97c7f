"""``--http PORT``: ``/healthz`` (is every job running as it should?) and ``/metrics`` (Prometheus).

The health rule. ``/healthz`` answers 200 when every enabled job is healthy, 503 otherwise (and
while the service is stopping or its database cannot be read). A job is unhealthy when

- its last run **failed** (it stays unhealthy until a run succeeds), or
- it is **overdue**: a run was due more than ``[schedule] overdue_after`` seconds ago (default
  600) and none has finished since. Concretely: the job store's next run time is older than
  that (nobody ran the job: no active instance, or a wedged scheduler), or the current run
  started longer ago than that (a hung run).

A job that has never been due is healthy. Everything is read from the database (run records in
``kv``, next run times in the job store's table), so a standby instance answers for the active
one: if the active instance dies and nobody takes over, every instance's ``/healthz`` turns 503
once the jobs become overdue.

``/metrics`` is computed from the database at each scrape (see :class:`RemediateCollector`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from remediate.errors import ConfigError
from remediate.scheduler import JOBS, JobSpec, RunRecord, enabled_jobs, load_record, read_next_runs
from remediate.secrets import scrub
from remediate.settings import Settings

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from remediate.service.hooks import HookReceiver
    from remediate.store import Store

log = logging.getLogger("remediate.service")


def job_problem(record: RunRecord, next_run: datetime | None, now: datetime, overdue_after: float) -> str | None:
    """Why a job is unhealthy (see the module docstring), or None when it is healthy."""
    if record.status == "failed":
        return f"last run failed: {record.error}"
    limit = timedelta(seconds=overdue_after)
    if record.status == "running" and record.started is not None and now - record.started > limit:
        return f"overdue: the run started at {record.started.isoformat()} has not finished"
    if next_run is not None and now - next_run > limit:
        return f"overdue: a run was due at {next_run.isoformat()} and none has run since"
    return None


@dataclass(frozen=True)
class JobHealth:
    """One job's line in ``/healthz``."""

    record: RunRecord
    next_run: datetime | None
    problem: str | None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields."""
        r = self.record
        return {
            "job": r.job,
            "healthy": self.problem is None,
            "problem": self.problem,
            "last_success": r.last_success.isoformat() if r.last_success else None,
            "last_run": {
                "status": r.status,
                "started": r.started.isoformat() if r.started else None,
                "finished": r.finished.isoformat() if r.finished else None,
                "duration": r.duration,
                "error": r.error,
            },
            "next_run": self.next_run.isoformat() if self.next_run else None,
            "runs": r.runs,
            "failures": r.failures,
        }


def job_health(
    settings: Settings, store: Store, *, now: datetime | None = None, specs: Mapping[str, JobSpec] = JOBS
) -> list[JobHealth]:
    """The health of every enabled job, read from the database."""
    now = now or datetime.now(UTC)
    next_runs = read_next_runs(store)
    result = []
    for name in enabled_jobs(settings, specs):
        record = load_record(store, name)
        next_run = next_runs.get(name)
        result.append(JobHealth(record, next_run, job_problem(record, next_run, now, settings.schedule.overdue_after)))
    return result


def health_report(
    settings: Settings, store: Store, role: str, *, specs: Mapping[str, JobSpec] = JOBS
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of ``/healthz``."""
    try:
        jobs = job_health(settings, store, specs=specs)
    except Exception as exc:  # the database is down: say so, briefly
        return 503, {"status": "unhealthy", "role": role, "error": f"database: {exc.__class__.__name__}"}
    healthy = role != "stopping" and all(job.problem is None for job in jobs)
    body = {
        "status": "ok" if healthy else "unhealthy",
        "role": role,
        "jobs": {job.record.job: job.to_json() for job in jobs},
    }
    return (200 if healthy else 503), body


class RemediateCollector:
    """Prometheus metrics computed from the database at each scrape."""

    def __init__(
        self, settings: Settings, store: Store, role: Callable[[], str], specs: Mapping[str, JobSpec] = JOBS
    ) -> None:
        self.settings = settings
        self.store = store
        self.role = role
        self.specs = specs

    def collect(self) -> Iterator[Metric]:
        """Yield every metric family (called by prometheus_client on each scrape)."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        yield from self._items(GaugeMetricFamily)
        yield from self._runs(CounterMetricFamily, GaugeMetricFamily)
        active = GaugeMetricFamily("remediate_scheduler_active", "1 when this instance runs the jobs, 0 on standby.")
        active.add_metric([], 1.0 if self.role() == "active" else 0.0)
        yield active
        yield from self._jobs(CounterMetricFamily, GaugeMetricFamily)

    def _items(self, gauge: Any) -> Iterator[Metric]:
        import sqlalchemy as sa
        from sqlmodel import col

        from remediate.models import Item, Link
        from remediate.reports.base import overdue_sql

        today = self.settings.today()
        current = col(Item.removed).is_(False)
        with self.store.session() as session:
            by_state = session.execute(
                sa.select(col(Item.state), sa.func.count()).where(current).group_by(col(Item.state))
            ).all()
            overdue = session.execute(
                sa.select(sa.func.count()).select_from(Item).where(overdue_sql(today))
            ).scalar_one()
            synced = session.execute(
                sa.select(col(Link.tracker), sa.func.count(sa.distinct(col(Link.item_id)))).group_by(col(Link.tracker))
            ).all()
        items = gauge("remediate_items", "Action items in their documents, by state.", labels=["state"])
        counts = {"open": 0, "in_progress": 0, "done": 0, "not_doing": 0} | {s: n for s, n in by_state}
        for state, count in counts.items():
            items.add_metric([state], float(count))
        yield items
        late = gauge(
            "remediate_items_overdue", "Open action items past their due date (today in the configured time zone)."
        )
        late.add_metric([], float(overdue))
        yield late
        linked = gauge("remediate_items_synced", "Action items with a ticket, by tracker.", labels=["tracker"])
        for tracker, count in synced:
            linked.add_metric([tracker], float(count))
        yield linked

    def _runs(self, counter: Any, gauge: Any) -> Iterator[Metric]:
        import sqlalchemy as sa
        from sqlmodel import col

        from remediate.models import SyncRun

        kind, tracker, status = col(SyncRun.kind), col(SyncRun.tracker), col(SyncRun.status)
        with self.store.session() as session:
            rows = session.execute(
                sa.select(kind, tracker, status, sa.func.count()).group_by(kind, tracker, status)
            ).all()
            last = session.execute(
                sa.select(kind, tracker, sa.func.max(col(SyncRun.finished_at)))
                .where(status == "ok")
                .group_by(kind, tracker)
            ).all()
        runs = counter(
            "remediate_sync_runs",
            "Sync and refresh runs by outcome (status=failed counts sync failures).",
            labels=["kind", "tracker", "status"],
        )
        for kind_, tracker_, status_, count in rows:
            runs.add_metric([kind_, tracker_, status_], float(count))
        yield runs
        when = gauge(
            "remediate_last_sync_timestamp_seconds",
            "End of the last successful run, Unix time.",
            labels=["kind", "tracker"],
        )
        for kind_, tracker_, finished in last:
            if finished is not None:
                when.add_metric([kind_, tracker_], _unix(finished))
        yield when

    def _jobs(self, counter: Any, gauge: Any) -> Iterator[Metric]:
        health = job_health(self.settings, self.store, specs=self.specs)
        job = ["job"]
        families = {
            "last_run": gauge(
                "remediate_job_last_run_timestamp_seconds", "End of the job's last run, Unix time.", labels=job
            ),
            "last_success": gauge(
                "remediate_job_last_success_timestamp_seconds",
                "End of the job's last successful run, Unix time.",
                labels=job,
            ),
            "next_run": gauge(
                "remediate_job_next_run_timestamp_seconds", "When the job runs next, Unix time.", labels=job
            ),
            "healthy": gauge("remediate_job_healthy", "1 when the job is healthy (see /healthz).", labels=job),
            "runs": counter("remediate_job_runs", "Runs of the job.", labels=job),
            "failures": counter("remediate_job_failures", "Failed runs of the job.", labels=job),
        }
        for entry in health:
            r, name = entry.record, [entry.record.job]
            if r.finished:
                families["last_run"].add_metric(name, _unix(r.finished))
            if r.last_success:
                families["last_success"].add_metric(name, _unix(r.last_success))
            if entry.next_run:
                families["next_run"].add_metric(name, _unix(entry.next_run))
            families["healthy"].add_metric(name, 0.0 if entry.problem else 1.0)
            families["runs"].add_metric(name, float(r.runs))
            families["failures"].add_metric(name, float(r.failures))
        yield from families.values()


def _unix(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def metrics_text(collector: RemediateCollector, *, process: bool = True) -> bytes:
    """The Prometheus text exposition of ``collector`` (plus process_* metrics)."""
    from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    if process:
        ProcessCollector(registry=registry)
    return generate_latest(registry)


class HealthServer:
    """A small threaded HTTP server for ``/healthz`` and ``/metrics``."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        role: Callable[[], str],
        *,
        host: str,
        port: int,
        specs: Mapping[str, JobSpec] = JOBS,
        hooks: HookReceiver | None = None,
    ) -> None:
        self.settings, self.store, self.role, self.specs = settings, store, role, specs
        self.hooks = hooks
        self.collector = RemediateCollector(settings, store, role, specs)
        handler = _handler_for(self)
        try:
            self.httpd = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            raise ConfigError(f"--http: cannot listen on {host}:{port}: {exc.strerror}") from None
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="remediate-http", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) actually bound (port 0 picks a free one)."""
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Serve in a background thread (and start the webhook worker)."""
        if self.hooks is not None:
            self.hooks.start()
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket; the webhook worker finishes what is queued."""
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.hooks is not None:
            self.hooks.stop()

    def receive(self, path: str, headers: Mapping[str, str], body: Any) -> tuple[int, str, bytes]:
        """(status, content type, body) for a POST of ``path``."""
        route = path.split("?", 1)[0].rstrip("/")
        if self.hooks is None or not route.startswith("/hooks/"):
            return 404, "text/plain; charset=utf-8", b"not found: POST /hooks/<tracker>\n"
        answer = self.hooks.receive(route, headers, body)
        return answer.status, "application/json", answer.encode()

    def respond(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET of ``path``."""
        route = path.split("?", 1)[0].rstrip("/") or "/"
        if route == "/healthz":
            status, body = health_report(self.settings, self.store, self.role(), specs=self.specs)
            return status, "application/json", json.dumps(body, indent=2).encode() + b"\n"
        if route == "/metrics":
            from prometheus_client import CONTENT_TYPE_LATEST

            try:
                return 200, CONTENT_TYPE_LATEST, metrics_text(self.collector)
            except Exception as exc:
                log.warning("metrics_failed", extra={"fields": {"error": f"{exc.__class__.__name__}: {exc}"}})
                return 503, "text/plain; charset=utf-8", b"metrics unavailable: database error\n"
        return 404, "text/plain; charset=utf-8", b"not found: try /healthz or /metrics\n"


def _handler_for(server: HealthServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "remediate"
        timeout = 30  # seconds a client may take to send its request (a body that never comes)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._send(*server.respond(self.path))

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            try:
                status, content_type, body = server.receive(self.path, dict(self.headers.items()), self.rfile)
            except Exception as exc:  # never a traceback to the client, never one in the log
                log.warning("http_error", extra={"fields": {"error": exc.__class__.__name__}})
                status, content_type, body = 500, "text/plain; charset=utf-8", b"internal error\n"
            if status >= 400:
                self.close_connection = True  # the body may be unread (413, 411)
            self._send(status, content_type, body)

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            # Health checks arrive every few seconds: access lines only with --debug.
            # A path may carry a secret (/hooks/jira/<secret>): scrub() cuts it off.
            request = scrub(format % args)
            log.debug("http_request", extra={"fields": {"client": self.client_address[0], "request": request}})

    return Handler

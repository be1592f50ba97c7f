"""The scheduler's parts in-process: settings, the job registry, run records, the health rule,
job-store reconciliation and recovery, metrics, and a real scheduler running a test job."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

import remediate.jobs
from remediate.errors import ConfigError, Unavailable
from remediate.models import Item
from remediate.scheduler import (
    JOBS,
    JobSpec,
    RunRecord,
    build_trigger,
    describe_trigger,
    load_record,
    read_next_runs,
    run_job,
    run_once,
    save_record,
    select_jobs,
)
from remediate.service import Service
from remediate.service.health import RemediateCollector, health_report, job_problem, metrics_text
from remediate.settings import Settings, load_settings, parse_duration
from remediate.store import Store, open_store
from tests.support import write_postmortem


def settings_with(**schedule: Any) -> Settings:
    """Settings with the given [schedule] table."""
    return Settings.model_validate({"schedule": schedule})


@pytest.fixture
def store(database_url: str) -> Any:
    """An open, migrated store on a fresh database (SQLite and PostgreSQL)."""
    opened = open_store(database_url)
    yield opened
    opened.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Any:
    """An open store on a SQLite file, for tests where the backend does not matter."""
    opened = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    yield opened
    opened.dispose()


# --- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("15m", 900), ("1h30m", 5400), ("1d", 86400), ("2H", 7200)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "5 minutes", "0s", "1m1h", "-5m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[schedule.refresh]\nevery = "soon"\n', "[schedule.refresh] every <- Value error, 'soon' is not a duration"),
        (
            '[schedule.digest]\ncron = "9am mondays"\n',
            "[schedule.digest] cron <- Value error, '9am mondays' is not a crontab",
        ),
        ('[schedule.refresh]\nevery = "1m"\ncron = "* * * * *"\n', "set either every or cron, not both"),
        ('[schedule.audit]\nwhen = "daily"\n', "[schedule.audit] when <- Extra inputs are not permitted"),
        (
            "[schedule]\nmisfire_grace_time = 0\n",
            "[schedule] misfire_grace_time <- Input should be greater than or equal to 1",
        ),
    ],
)
def test_schedule_errors_name_the_table_and_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "remediate.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert message in str(info.value)


def test_default_triggers_and_the_time_zone() -> None:
    settings = Settings.model_validate({"timezone": "Europe/Berlin"})
    assert describe_trigger(settings, "refresh") == "every 15m"
    assert describe_trigger(settings, "digest") == "cron '0 9 * * mon' (Europe/Berlin)"
    trigger = build_trigger(settings, "digest")
    monday = trigger.get_next_fire_time(None, datetime(2024, 3, 6, tzinfo=UTC))  # a Wednesday
    assert monday.isoformat() == "2024-03-11T09:00:00+01:00"  # 09:00 Berlin time, not UTC
    assert not settings.schedule.audit.enabled


def test_a_cron_expression_that_only_looks_right_is_a_config_error() -> None:
    settings = settings_with(digest={"cron": "0 25 * * mon"})
    with pytest.raises(ConfigError, match=r"\[schedule.digest\] cron <- "):
        build_trigger(settings, "digest")


# --- the registry --------------------------------------------------------------------------------


def test_registry_names_the_library_functions() -> None:
    assert {name: spec.function for name, spec in JOBS.items()} == {
        "refresh": "refresh_states",
        "digest": "send_digest",
        "audit": "audit_snapshot",
    }
    assert JOBS["refresh"].resolve() is remediate.jobs.refresh_states
    assert JOBS["digest"].arguments(settings_with(digest={"channel": "slack"}), "sqlite://") == {
        "database_url": "sqlite://",
        "channel": "slack",
    }


def test_once_selects_named_jobs_or_every_enabled_one() -> None:
    settings = settings_with(audit={"enabled": True})
    assert select_jobs(settings, []) == ["refresh", "digest", "audit"]
    assert select_jobs(settings_with(digest={"enabled": False}), []) == ["refresh"]
    assert select_jobs(settings, ["audit", "refresh", "audit"]) == ["audit", "refresh"]
    with pytest.raises(ConfigError, match="unknown job 'nightly'"):
        select_jobs(settings, ["nightly"])


# --- running a job -------------------------------------------------------------------------------


def test_a_job_whose_function_is_missing_fails_clearly(sqlite_store: Store) -> None:
    specs = {"refresh": JobSpec("refresh", "no_such_function", "missing")}
    result = run_job("refresh", Settings(), sqlite_store, specs=specs)
    assert not result.ok
    assert result.error == (
        "job 'refresh' needs remediate.jobs.no_such_function(), which this version of "
        "remediate does not have; disable it with [schedule.refresh] enabled = false"
    )
    record = load_record(sqlite_store, "refresh")
    assert (record.status, record.failures, record.last_success) == ("failed", 1, None)


def test_run_records_count_runs_and_keep_the_last_success(sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = iter([None, Unavailable("tracker down", tracker="fake"), ValueError("boom")])

    def flaky(settings: Settings, *, database_url: str | None) -> dict[str, int]:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome
        return {"sent": 1}

    monkeypatch.setattr(remediate.jobs, "flaky_job", flaky, raising=False)
    specs = {"refresh": JobSpec("refresh", "flaky_job", "test")}
    first = run_job("refresh", Settings(), sqlite_store, specs=specs)
    assert first.ok and first.summary == {"sent": 1}
    success = load_record(sqlite_store, "refresh").last_success
    second = run_job("refresh", Settings(), sqlite_store, specs=specs, mask=lambda t: t.replace("down", "***"))
    assert second.error == "fake: tracker ***"
    third = run_job("refresh", Settings(), sqlite_store, specs=specs)
    assert third.error == "unexpected ValueError: boom"
    record = load_record(sqlite_store, "refresh")
    assert (record.runs, record.failures, record.status) == (3, 2, "failed")
    assert record.last_success == success and record.finished is not None and record.finished > success


def test_an_interrupted_run_is_recorded_and_the_interrupt_propagates(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(settings: Settings, *, database_url: str | None) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(remediate.jobs, "interrupted_job", interrupted, raising=False)
    with pytest.raises(KeyboardInterrupt):
        run_job("refresh", Settings(), sqlite_store, specs={"refresh": JobSpec("refresh", "interrupted_job", "t")})
    record = load_record(sqlite_store, "refresh")
    assert record.status == "failed" and record.error == "interrupted (KeyboardInterrupt)"


def test_refresh_job_runs_the_status_sync(tmp_path: Path, database_url: str) -> None:
    from remediate.models import LocalTicket, SyncRun, utcnow

    doc = write_postmortem(tmp_path / "pm.md", ["Add a dashboard for queue latency", "Page on error budget burn"])
    remediate.jobs.sync_paths([str(doc)], Settings(), database_url=database_url)
    with open_store(database_url) as store:
        with store.session() as session:  # someone closes a ticket in the tracker
            ticket = session.exec(select(LocalTicket).order_by(LocalTicket.number)).first()
            assert ticket is not None
            ticket.status, ticket.updated_at = "done", utcnow()
            session.add(ticket)
            session.commit()
            item_id = ticket.item_id
        (result,) = run_once(Settings(), store, ["refresh"], database_url=database_url)
        with store.session() as session:
            item = session.get(Item, item_id)
            kinds = [run.kind for run in session.exec(select(SyncRun).order_by(SyncRun.id)).all()]
    assert result.ok and result.summary == {"state_changes": 1}
    assert item is not None and item.state == "done"
    assert kinds == ["sync", "refresh"]


def test_unreadable_record_counts_as_never_run() -> None:
    assert RunRecord.from_json("refresh", "{not json") == RunRecord("refresh")
    assert RunRecord.from_json("refresh", None).status is None


# --- the health rule -----------------------------------------------------------------------------

NOW = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("record", "next_run", "problem"),
    [
        (RunRecord("refresh"), None, None),  # never due
        (RunRecord("refresh"), NOW + timedelta(minutes=5), None),
        (RunRecord("refresh", status="ok"), NOW - timedelta(seconds=599), None),  # due, within 600 s
        (RunRecord("refresh", status="ok"), NOW - timedelta(seconds=601), "overdue: a run was due at"),
        (
            RunRecord("refresh", status="failed", error="x: down"),
            NOW + timedelta(minutes=1),
            "last run failed: x: down",
        ),
        (RunRecord("refresh", status="running", started=NOW - timedelta(minutes=5)), NOW + timedelta(minutes=1), None),
        (
            RunRecord("refresh", status="running", started=NOW - timedelta(minutes=11)),
            NOW + timedelta(minutes=1),
            "overdue: the run started at",
        ),
    ],
)
def test_health_rule(record: RunRecord, next_run: datetime | None, problem: str | None) -> None:
    found = job_problem(record, next_run, NOW, 600)
    assert (found is None) if problem is None else (found is not None and found.startswith(problem))


def test_health_report_reads_records_and_stops_being_ok_while_stopping(sqlite_store: Store) -> None:
    settings = settings_with(digest={"enabled": False})
    assert health_report(settings, sqlite_store, "active")[0] == 200
    save_record(sqlite_store, RunRecord("refresh", status="failed", error="boom", runs=1, failures=1))
    status, body = health_report(settings, sqlite_store, "standby")
    assert status == 503 and body["jobs"]["refresh"]["problem"] == "last run failed: boom"
    save_record(sqlite_store, RunRecord("refresh", status="ok", runs=2, failures=1, last_success=NOW))
    assert health_report(settings, sqlite_store, "active")[0] == 200
    assert health_report(settings, sqlite_store, "stopping")[0] == 503


# --- metrics ---------------------------------------------------------------------------------------


def test_metrics_count_items_overdue_synced_and_runs(tmp_path: Path, database_url: str) -> None:
    doc = write_postmortem(
        tmp_path / "pm.md",
        ["Add a dashboard for queue latency", "Page on error budget burn", "Write a runbook for failover"],
    )
    remediate.jobs.sync_paths([str(doc)], Settings(), database_url=database_url)
    with open_store(database_url) as store:
        with store.session() as session:
            items = session.exec(select(Item).order_by(Item.position)).all()
            items[0].effective_due, items[1].effective_due = date(2000, 1, 1), date(2999, 1, 1)
            items[2].state = "done"
            session.add_all(items)
            session.commit()
        text = metrics_text(
            RemediateCollector(settings_with(digest={"enabled": False}), store, lambda: "standby"), process=False
        ).decode()
    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }
    assert values[("remediate_items", (("state", "open"),))] == 2
    assert values[("remediate_items", (("state", "done"),))] == 1
    assert values[("remediate_items_overdue", ())] == 1  # only the one due in 2000
    assert values[("remediate_items_synced", (("tracker", "local"),))] == 3
    assert values[("remediate_sync_runs_total", (("kind", "sync"), ("status", "ok"), ("tracker", "local")))] == 1
    assert values[("remediate_scheduler_active", ())] == 0
    assert ("remediate_job_runs_total", (("job", "refresh"),)) in values


# --- reconciliation and recovery, on a real (paused) APScheduler ------------------------------------


def _reconciled(settings: Settings, store: Store) -> tuple[Any, list[dict[str, Any]]]:
    service = Service(settings, store.url)
    scheduler = service._scheduler(store)
    scheduler.start(paused=True)
    try:
        configured = service._reconcile(scheduler)
        service._recover(scheduler, store, configured)
        jobs = [
            {
                "id": j.id,
                "next": j.next_run_time,
                "start": getattr(j.trigger, "start_date", None),
                "trigger": str(j.trigger),
            }
            for j in scheduler.get_jobs()
        ]
    finally:
        scheduler.shutdown(wait=False)
    return scheduler, jobs


def test_unchanged_jobs_are_kept_changed_replaced_disabled_removed(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="remediate.service")
    settings = settings_with(refresh={"every": "1h"}, audit={"enabled": True})
    _, first = _reconciled(settings, store)
    assert {j["id"] for j in first} == {"refresh", "digest", "audit"}
    time.sleep(0.05)
    _, again = _reconciled(settings, store)
    assert again == first  # same start dates and next runs: nothing was re-created
    _, changed = _reconciled(settings_with(refresh={"every": "2h"}), store)
    refresh = next(j for j in changed if j["id"] == "refresh")
    old_start = next(j["start"] for j in first if j["id"] == "refresh")
    assert refresh["trigger"] == "interval[2:00:00]" and refresh["start"] != old_start
    assert {j["id"] for j in changed} == {"refresh", "digest"}  # audit disabled again: removed
    assert set(read_next_runs(store)) == {"refresh", "digest"}
    events = [r.getMessage() for r in caplog.records]
    assert events.count("job_kept") >= 3 and "job_removed" in events


def test_a_run_that_died_with_its_process_runs_again_at_once(store: Store) -> None:
    settings = settings_with(refresh={"every": "1h"}, digest={"enabled": False})
    _reconciled(settings, store)
    save_record(store, RunRecord("refresh", status="running", started=datetime.now(UTC), owner="elsewhere:1"))
    _, jobs = _reconciled(settings, store)
    assert jobs[0]["next"] <= datetime.now(UTC) + timedelta(seconds=1)


def test_a_run_still_going_in_another_live_process_is_left_alone(store: Store) -> None:
    import socket

    settings = settings_with(refresh={"every": "1h"}, digest={"enabled": False})
    _, before = _reconciled(settings, store)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        save_record(
            store,
            RunRecord(
                "refresh", status="running", started=datetime.now(UTC), owner=f"{socket.gethostname()}:{sleeper.pid}"
            ),
        )
        _, after = _reconciled(settings, store)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert after[0]["next"] == before[0]["next"]


# --- a real scheduler with a test job ------------------------------------------------------------


def test_service_runs_a_test_job_on_schedule_and_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str | None] = []

    def snapshot(settings: Settings, *, database_url: str | None) -> None:
        calls.append(database_url)

    monkeypatch.setattr(remediate.jobs, "test_snapshot", snapshot, raising=False)
    specs = {**JOBS, "audit": JobSpec("audit", "test_snapshot", "a test job")}
    url = f"sqlite:///{tmp_path / 'state.db'}"
    settings = settings_with(
        refresh={"enabled": False}, digest={"enabled": False}, audit={"enabled": True, "every": "1s"}
    )
    service = Service(settings, url, specs=specs, http=("127.0.0.1", 0))
    thread = threading.Thread(target=service.run)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert service.role == "active" and service.server is not None
        status, body = health_report(settings, open_store(url), service.role, specs=specs)
        assert status == 200 and body["jobs"]["audit"]["runs"] >= 2
    finally:
        service.request_stop("test")
        thread.join(60)
    assert not thread.is_alive() and service.role == "stopping"
    assert len(calls) >= 2 and set(calls) == {url}


def test_the_refresh_default_is_longer_while_the_trackers_webhook_secret_is_set() -> None:
    secret_var, secret = "REMEDIATE_GITHUB_WEBHOOK_SECRET", "whsec-0123456789abcdef"
    github = Settings(tracker="github", connectors={"github": {"repo": "acme/api"}})
    assert describe_trigger(github, "refresh", {}) == "every 15m"
    assert describe_trigger(github, "refresh", {secret_var: secret}) == "every 1h (webhooks configured)"
    assert build_trigger(github, "refresh", {secret_var: secret}).interval.total_seconds() == 3600  # type: ignore[attr-defined]
    assert describe_trigger(github, "refresh", {secret_var: "  \n"}) == "every 15m"  # blank: no hooks
    # An explicit setting always wins; every_with_hooks sets the longer default.
    explicit = Settings(tracker="github", schedule={"refresh": {"every": "5m"}})
    assert describe_trigger(explicit, "refresh", {secret_var: secret}) == "every 5m"
    custom = Settings(tracker="github", schedule={"refresh": {"every_with_hooks": "3h"}})
    assert describe_trigger(custom, "refresh", {secret_var: secret}) == "every 3h (webhooks configured)"
    # Another tracker's secret does not count; nor does any secret for the local tracker.
    assert describe_trigger(github, "refresh", {"REMEDIATE_JIRA_WEBHOOK_SECRET": secret}) == "every 15m"
    assert describe_trigger(Settings(), "refresh", {secret_var: secret}) == "every 15m"

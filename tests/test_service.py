"""The real service, as a subprocess: jobs run, restarts lose and repeat nothing, one instance is
active per database and another takes over when it dies, signals stop it cleanly, and the HTTP
endpoints say the right things."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from remediate.models import SyncRun
from remediate.scheduler import JOB_TABLE
from remediate.store import open_store
from tests.service_helpers import (
    PATIENCE,
    ServiceProcess,
    install_fake_tracker,
    remediate,
    write_config,
)
from tests.support import REPO, write_postmortem

SECRET = "ghp_s3cretTokenValue0123456789"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of every subprocess: the fake tracker plugin on the path, a token set."""
    plugins = install_fake_tracker(tmp_path / "plugins")
    control = tmp_path / "fake"
    control.mkdir()
    # The plugins first, keeping the path the tests run with (a worktree's code, not the installed one).
    path = os.pathsep.join(p for p in (str(plugins), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "FAKE_TRACKER_DIR": str(control), "GITHUB_TOKEN": SECRET}


def synced(tmp_path: Path, database_url: str, env: dict[str, str], tracker: str = "local") -> int:
    """Sync a postmortem with four items to ``tracker``; return the number of items."""
    items = [f"Add an alert on queue depth for worker pool {n}" for n in range(4)]
    doc = write_postmortem(tmp_path / "docs" / "pm.md", items)
    result = remediate("sync", str(doc), "--tracker", tracker, "--db", database_url, env=env)
    assert result.returncode == 0, result.stderr
    return len(items)


def runs(database_url: str, kind: str = "refresh") -> list[SyncRun]:
    """The sync_run rows of one kind, oldest first."""
    with open_store(database_url) as store:
        with store.session() as session:
            return list(session.exec(select(SyncRun).where(SyncRun.kind == kind).order_by(SyncRun.id)).all())


def stored_job(database_url: str, name: str = "refresh") -> tuple[float, object]:
    """(next run time, trigger) of a job as APScheduler stored it."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text(f"SELECT next_run_time, job_state FROM {JOB_TABLE} WHERE id = :id"), {"id": name}
            ).one()
    finally:
        engine.dispose()
    return row[0], pickle.loads(row[1])["trigger"]


def metrics(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Prometheus text as {(sample name, sorted labels): value}."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file for tests that need no PostgreSQL variant."""
    return f"sqlite:///{tmp_path / 'state.db'}"


def test_jobs_run_and_health_and_metrics_answer(tmp_path: Path, sqlite_url: str, env: dict[str, str]) -> None:
    items = synced(tmp_path, sqlite_url, env)
    # An old incident: the due-date policy (P1: 28 days from the incident) makes its item overdue.
    old = tmp_path / "docs" / "old.md"
    old.write_text("---\ndate: 2020-01-06\n---\n# Old outage\n\n## Action Items\n\n- [P1] Rotate the TLS keys\n")
    assert remediate("sync", str(old), "--db", sqlite_url, env=env).returncode == 0
    config = write_config(tmp_path / "remediate.toml", sqlite_url)
    service = ServiceProcess(config, tmp_path / "service.log", env=env)
    try:
        service.wait_for("job_finished", count=2, job="refresh")
        status, body = service.health()
        assert status == 200 and body["status"] == "ok" and body["role"] == "active"
        refresh = body["jobs"]["refresh"]
        assert refresh["healthy"] and refresh["last_success"] and refresh["runs"] >= 2
        assert set(body["jobs"]) == {"refresh"}  # digest disabled, audit off by default

        status, text = service.get("/metrics")
        assert status == 200
        values = metrics(text)
        assert values[("remediate_items", (("state", "open"),))] == items + 1
        assert values[("remediate_items_synced", (("tracker", "local"),))] == items + 1
        assert values[("remediate_items_overdue", ())] == 1
        assert values[("remediate_scheduler_active", ())] == 1
        assert values[("remediate_job_healthy", (("job", "refresh"),))] == 1
        assert values[("remediate_job_runs_total", (("job", "refresh"),))] >= 2
        ok_runs = values[("remediate_sync_runs_total", (("kind", "refresh"), ("status", "ok"), ("tracker", "local")))]
        assert ok_runs >= 2
        assert values[("remediate_job_last_success_timestamp_seconds", (("job", "refresh"),))] > time.time() - 600
        assert service.get("/nope")[0] == 404
    finally:
        service.signal(signal.SIGTERM)
        code = service.wait()
    assert code == 0
    assert service.events("service_stopped")
    assert len(runs(sqlite_url)) >= 2 and all(run.status == "ok" for run in runs(sqlite_url))
    # One structured line per event, every one of them.
    assert all(line.startswith("time=") and " event=" in line for line in service.lines())


def test_restart_neither_loses_nor_repeats_a_run(tmp_path: Path, sqlite_url: str, env: dict[str, str]) -> None:
    synced(tmp_path, sqlite_url, env)
    config = write_config(tmp_path / "remediate.toml", sqlite_url, every="2s")
    first = ServiceProcess(config, tmp_path / "first.log", env=env)
    try:
        first.wait_for("job_finished", count=2, job="refresh")
    finally:
        assert first.stop() == 0
    next_run, trigger = stored_job(sqlite_url)
    # Stay down long enough to miss at least two runs.
    while time.time() < next_run + 4.5:
        time.sleep(0.2)

    second = ServiceProcess(config, tmp_path / "second.log", env=env)
    try:
        second.wait_for("job_kept", job="refresh")
        second.wait_for("job_finished", count=2, job="refresh")
    finally:
        assert second.stop() == 0
    assert stored_job(sqlite_url)[1].start_date == trigger.start_date  # the same job, not a new one

    due = [
        datetime.fromisoformat(t)
        for p in (first, second)
        for e in p.events("job_due")
        for t in e["scheduled"].split(",")
    ]
    assert len(due) == len(set(due)), "a scheduled run ran twice"
    catch_up = second.events("job_due")[0]["scheduled"].split(",")
    assert len(catch_up) == 1, "the runs missed while down run once, coalesced"
    assert datetime.fromisoformat(catch_up[0]) >= datetime.fromtimestamp(next_run, UTC)
    finished = len(first.events("job_finished")) + len(second.events("job_finished"))
    assert len(runs(sqlite_url)) == finished  # every run recorded once in the history


def test_a_run_killed_midway_runs_again_at_start_up(tmp_path: Path, sqlite_url: str, env: dict[str, str]) -> None:
    synced(tmp_path, sqlite_url, env, tracker="fake")
    control = Path(env["FAKE_TRACKER_DIR"])
    (control / "mode").write_text("slow 60")
    config = write_config(tmp_path / "remediate.toml", sqlite_url, every="1h", tracker="fake")
    calls = control / "calls"
    before = len(calls.read_text().splitlines()) if calls.exists() else 0
    killed = ServiceProcess(config, tmp_path / "killed.log", args=("--once", "refresh"), env=env)
    try:
        killed.wait_for("job_started", job="refresh")
        deadline = time.monotonic() + PATIENCE
        while not calls.exists() or len(calls.read_text().splitlines()) <= before:  # inside the tracker call
            assert time.monotonic() < deadline, "the job never reached the tracker"
            time.sleep(0.1)
    finally:
        killed.kill()  # SIGKILL in the middle of the run
    (control / "mode").write_text("ok")
    service = ServiceProcess(config, tmp_path / "service.log", env=env)
    try:
        recovered = service.wait_for("job_recovered", job="refresh")[0]
        assert recovered["previous_owner"].endswith(f":{killed.proc.pid}")
        service.wait_for("job_finished", job="refresh")
        assert service.health()[0] == 200
    finally:
        assert service.stop() == 0
    # The killed run is marked aborted in the history, and ran again at once, not in an hour.
    assert [run.status for run in runs(sqlite_url)] == ["aborted", "ok"]


def test_second_instance_stands_by_and_takes_over(tmp_path: Path, database_url: str, env: dict[str, str]) -> None:
    synced(tmp_path, database_url, env)
    config = write_config(tmp_path / "remediate.toml", database_url)
    active = ServiceProcess(config, tmp_path / "a.log", env=env)
    passive = quitter = None
    try:
        active.wait_for("job_finished", job="refresh")
        quitter = ServiceProcess(config, tmp_path / "q.log", env=env)
        quitter.wait_for("standby")
        quitter.signal(signal.SIGTERM)  # a standby instance stops on SIGTERM too
        assert quitter.wait() == 0 and quitter.events("service_stopped")

        passive = ServiceProcess(config, tmp_path / "b.log", env=env)
        passive.wait_for("standby")
        status, body = passive.health()  # the standby answers for the active one
        assert status == 200 and body["role"] == "standby" and body["jobs"]["refresh"]["runs"] >= 1
        active.wait_for("job_finished", count=3)
        assert not passive.events("job_started") and not passive.events("active")

        before = len(runs(database_url))
        active.proc.kill()
        active.wait()
        killed_at = time.monotonic()
        passive.wait_for("active")
        takeover = time.monotonic() - killed_at
        passive.wait_for("job_finished", count=2, job="refresh")
        assert len(runs(database_url)) >= before + 2
        assert passive.health()[1]["role"] == "active"
        print(f"takeover after SIGKILL: {takeover:.2f}s")  # reported by benchmarks/, not asserted
    finally:
        for proc in (active, quitter, passive):
            if proc is not None:
                proc.kill()


def test_sigterm_waits_for_the_running_job(tmp_path: Path, sqlite_url: str, env: dict[str, str]) -> None:
    synced(tmp_path, sqlite_url, env, tracker="fake")
    control = Path(env["FAKE_TRACKER_DIR"])
    (control / "mode").write_text("slow 3")
    config = write_config(tmp_path / "remediate.toml", sqlite_url, tracker="fake")
    service = ServiceProcess(config, tmp_path / "service.log", env=env)
    try:
        service.wait_for("job_started", job="refresh")
        time.sleep(0.5)  # inside the slow states() call
        service.signal(signal.SIGTERM)
        assert service.wait() == 0
    finally:
        service.kill()
    names = [e["event"] for e in service.events()]
    assert names.index("stop_requested") < names.index("job_finished") < names.index("service_stopped")
    assert names.count("job_started") == names.count("job_finished")
    assert [run.status for run in runs(sqlite_url)] == ["ok"] * len(runs(sqlite_url))


def test_failed_job_turns_healthz_red_and_logs_no_secret(tmp_path: Path, sqlite_url: str, env: dict[str, str]) -> None:
    synced(tmp_path, sqlite_url, env, tracker="fake")
    (Path(env["FAKE_TRACKER_DIR"]) / "mode").write_text("fail")
    config = write_config(tmp_path / "remediate.toml", sqlite_url, tracker="fake")
    service = ServiceProcess(config, tmp_path / "service.log", env=env)
    try:
        failed = service.wait_for("job_failed", job="refresh")[0]
        assert "tracker down" in failed["error"] and "***" in failed["error"]
        status, body = service.health()
        assert status == 503 and body["status"] == "unhealthy"
        assert body["jobs"]["refresh"]["problem"].startswith("last run failed: fake: tracker down")
        assert SECRET not in json_text(body)
        assert ("remediate_job_healthy", (("job", "refresh"),)) in metrics(service.get("/metrics")[1])
        assert metrics(service.get("/metrics")[1])[("remediate_job_healthy", (("job", "refresh"),))] == 0
        assert healthcheck(service.port) != 0  # the image's HEALTHCHECK sees it too

        (Path(env["FAKE_TRACKER_DIR"]) / "mode").write_text("ok")
        service.wait_for("job_finished", job="refresh")
        deadline = time.monotonic() + PATIENCE
        while service.health()[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert service.health()[0] == 200 and healthcheck(service.port) == 0
    finally:
        service.stop()
    assert SECRET not in service.log.read_text()
    assert [run.status for run in runs(sqlite_url)][0] == "failed"


def json_text(body: object) -> str:
    import json

    return json.dumps(body)


def healthcheck(port: int) -> int:
    """Run the Dockerfile's HEALTHCHECK command against ``port``; its exit code."""
    from tests.test_container import healthcheck_command

    command = [
        sys.executable if part == "python" else part.replace(":8080/", f":{port}/") for part in healthcheck_command()
    ]
    return subprocess.run(command, capture_output=True, timeout=60).returncode


def test_once_runs_every_enabled_job_once_and_exits(tmp_path: Path, sqlite_url: str, env: dict[str, str]) -> None:
    synced(tmp_path, sqlite_url, env)
    config = write_config(tmp_path / "remediate.toml", sqlite_url)
    result = remediate("schedule", "--once", "--config", str(config), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("refresh: ok")
    assert len(runs(sqlite_url)) == 1
    listed = remediate("schedule", "--list", "--format", "json", "--config", str(config), env=env)
    jobs = {job["job"]: job for job in __import__("json").loads(listed.stdout)["jobs"]}
    assert jobs["refresh"]["last_status"] == "ok" and jobs["refresh"]["enabled"]
    assert not jobs["digest"]["enabled"] and jobs["digest"]["function"] == "remediate.jobs.send_digest"


def test_once_exits_1_when_a_job_fails(tmp_path: Path, sqlite_url: str, env: dict[str, str]) -> None:
    synced(tmp_path, sqlite_url, env, tracker="fake")
    (Path(env["FAKE_TRACKER_DIR"]) / "mode").write_text("fail")
    config = write_config(tmp_path / "remediate.toml", sqlite_url, tracker="fake")
    result = remediate("schedule", "--once", "refresh", "--config", str(config), env=env)
    assert result.returncode == 1
    assert "refresh: failed: fake: tracker down" in result.stdout
    assert SECRET not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_bad_schedule_is_one_line_before_anything_starts(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(
        tmp_path / "remediate.toml", sqlite_url, extra='\n[schedule.audit]\nenabled = true\ncron = "0 25 * * *"\n'
    )
    result = remediate("schedule", "--config", str(config))
    assert result.returncode == 2
    assert "[schedule.audit] cron <- " in result.stderr and result.stderr.count("\n") == 1
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()  # nothing written


def test_readme_documents_the_service() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for needle in (
        "remediate schedule",
        "/healthz",
        "/metrics",
        "docker build",
        "docker run",
        "action.yml",
        "examples/workflows",
        "REMEDIATE_DATABASE_URL",
        "remediate doctor",
        "remediate init",
    ):
        assert needle in readme, needle


def test_scheduled_digest_is_sent_once_per_period_across_runs_and_restarts(
    tmp_path: Path, sqlite_url: str, env: dict[str, str]
) -> None:
    from tests.servers import webhook_server

    synced(tmp_path, sqlite_url, env)
    config = write_config(tmp_path / "remediate.toml", sqlite_url, digest="webhook")
    with webhook_server() as hook:
        env = {**env, "REMEDIATE_WEBHOOK_URL": hook.url}
        once = remediate("schedule", "--once", "digest", "--config", str(config), env=env)
        assert once.returncode == 0, once.stderr
        assert once.stdout.startswith("digest: ok")
        assert len(hook.requests) == 1
        body = hook.requests[0].body
        assert body["type"] == "remediate.digest" and body["digest"]["period"]["kind"] == "week"

        for name in ("first", "second"):  # the service, twice: the digest job runs every second
            service = ServiceProcess(config, tmp_path / f"{name}.log", env=env)
            try:
                service.wait_for("job_finished", count=3, job="digest")
            finally:
                assert service.stop() == 0
        assert len(hook.requests) == 1, "the period's digest was sent once, not again per run or restart"

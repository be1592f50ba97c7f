"""The scheduler service's costs: start-up, idle memory and CPU, per-job overhead, failover and stop.

    python benchmarks/service.py [--postgres URL] [--rounds 3] [--idle 10]

Every number is measured on this machine, printed, and never asserted. Start-up is from spawning
the process to the ``active`` log line (and to /healthz answering); takeover is from SIGKILL of
the active instance to the standby's ``active`` line; stop is from SIGTERM to exit, idle.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.service_helpers import ServiceProcess, remediate, write_config  # noqa: E402
from tests.support import write_postmortem  # noqa: E402


def prepare(folder: Path, url: str, every: str) -> Path:
    doc = write_postmortem(folder / "pm.md", [f"Add an alert on queue depth for pool {n}" for n in range(50)])
    result = remediate("sync", str(doc), "--db", url)
    assert result.returncode == 0, result.stderr
    return write_config(folder / f"remediate-{every}.toml", url, every=every)


def proc_stats(pid: int) -> tuple[float, float]:
    """(RSS in MiB, CPU seconds) of a process, from /proc."""
    rss = (
        next(
            int(line.split()[1])
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )
        / 1024
    )
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return rss, cpu


def startup_idle_stop(folder: Path, config: Path, idle: float) -> dict[str, float]:
    t0 = time.monotonic()
    service = ServiceProcess(config, folder / "idle.log")
    try:
        service.wait_for("active")
        active = time.monotonic() - t0
        urllib.request.urlopen(f"http://127.0.0.1:{service.port}/healthz", timeout=30).read()
        healthy = time.monotonic() - t0
        time.sleep(1.0)
        rss0, cpu0 = proc_stats(service.proc.pid)
        time.sleep(idle)
        rss1, cpu1 = proc_stats(service.proc.pid)
        t1 = time.monotonic()
        service.signal(signal.SIGTERM)
        service.wait()
        stop = time.monotonic() - t1
    finally:
        service.kill()
    return {
        "startup_to_active_s": active,
        "startup_to_healthz_s": healthy,
        "idle_rss_mib": rss1,
        "idle_cpu_percent": 100 * (cpu1 - cpu0) / idle,
        "sigterm_stop_s": stop,
    }


def job_overhead(url: str, runs: int = 20) -> dict[str, float]:
    """Time of the refresh job through the scheduler's run_job vs calling the library directly."""
    import remediate.jobs
    from remediate.scheduler import run_job
    from remediate.settings import Settings
    from remediate.store import open_store

    settings = Settings()
    direct, wrapped = [], []
    with open_store(url) as store:
        for _ in range(runs):
            t = time.perf_counter()
            remediate.jobs.refresh_states(settings, database_url=url)
            direct.append(time.perf_counter() - t)
            t = time.perf_counter()
            assert run_job("refresh", settings, store, database_url=url).ok
            wrapped.append(time.perf_counter() - t)
    return {
        "refresh_direct_ms": 1000 * statistics.median(direct),
        "refresh_as_job_ms": 1000 * statistics.median(wrapped),
    }


def takeover(folder: Path, config: Path, rounds: int) -> dict[str, float]:
    times = []
    for n in range(rounds):
        first = ServiceProcess(config, folder / f"first-{n}.log")
        second = None
        try:
            first.wait_for("active")
            second = ServiceProcess(config, folder / f"second-{n}.log")
            second.wait_for("standby")
            first.proc.kill()
            t = time.monotonic()
            second.wait_for("active")
            times.append(time.monotonic() - t)
        finally:
            first.kill()
            if second is not None:
                second.kill()
    return {"takeover_median_s": statistics.median(times), "takeover_max_s": max(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="also measure failover on this PostgreSQL database URL (emptied first)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", type=float, default=10.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'state.db'}"
        idle_config = prepare(folder, url, "1h")
        results = {"backend": "sqlite", **startup_idle_stop(folder, idle_config, options.idle), **job_overhead(url)}
        results.update(takeover(folder, idle_config, options.rounds))
        for key, value in results.items():
            print(f"{key:24} {value:.3f}" if isinstance(value, float) else f"{key:24} {value}")
        if options.postgres:
            import sqlalchemy as sa

            engine = sa.create_engine(options.postgres)
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            engine.dispose()
            pg_config = prepare(folder / "pg", options.postgres, "1h")
            for key, value in takeover(folder / "pg", pg_config, options.rounds).items():
                print(f"postgres_{key:15} {value:.3f}")


if __name__ == "__main__":
    main()

"""``remediate schedule``: run the scheduled jobs as a service, once, or list them."""

import enum
import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from remediate.cli import app
from remediate.cli.options import ConfigOption, DbOption

if TYPE_CHECKING:
    from remediate.settings import Settings


class LogFormat(enum.StrEnum):
    """Log line formats of the service."""

    logfmt = "logfmt"
    json = "json"


class ListFormat(enum.StrEnum):
    """Output formats of --list and --once."""

    table = "table"
    json = "json"


@app.command()
def schedule(
    ctx: typer.Context,
    jobs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="JOB",
            show_default=False,
            help="With --once: the jobs to run (refresh, digest, audit; default: every enabled job).",
        ),
    ] = None,
    list_jobs: Annotated[
        bool, typer.Option("--list", help="List the jobs, their triggers and last runs, and exit.")
    ] = False,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Run every enabled job (or the JOBS named) once and exit; exit 1 if any failed. For cron and CI.",
        ),
    ] = False,
    http: Annotated[
        int | None,
        typer.Option(
            "--http",
            metavar="PORT",
            min=0,
            max=65535,
            show_default=False,
            help="Serve /healthz and /metrics on this port (0: any free port, logged).",
        ),
    ] = None,
    http_host: Annotated[
        str,
        typer.Option(
            "--http-host",
            envvar="REMEDIATE_HTTP_HOST",
            help="Address for --http; 0.0.0.0 listens on every interface (the container does).",
        ),
    ] = "127.0.0.1",
    log_format: Annotated[
        LogFormat,
        typer.Option(
            "--log-format",
            envvar="REMEDIATE_LOG_FORMAT",
            case_sensitive=False,
            help="Log lines as key=value (logfmt) or JSON.",
        ),
    ] = LogFormat.logfmt,
    format: Annotated[
        ListFormat, typer.Option("--format", "-f", case_sensitive=False, help="Output of --list and --once.")
    ] = ListFormat.table,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Run the scheduled jobs (status sync, weekly digest, audit) until SIGTERM; or --once, or --list."""
    from remediate.errors import ConfigError
    from remediate.secrets import scrub, secret_values
    from remediate.service import logs
    from remediate.settings import load_settings

    settings = load_settings(config)
    if list_jobs and once:
        raise ConfigError("use --list or --once, not both")
    if jobs and not once:
        raise ConfigError("naming jobs needs --once (e.g. `remediate schedule --once refresh`)")
    url = db or settings.database_url
    obj = ctx.obj or {}
    if list_jobs:
        _list(settings, url, format)
        return
    secrets = secret_values(os.environ, [_password(url)])
    logs.configure(
        style=log_format,
        debug=bool(obj.get("debug")),
        quiet=bool(obj.get("quiet")),
        environ=os.environ,
        extra_secrets=[_password(url)],
    )
    if once:
        _once(settings, url, jobs or [], format, secrets)
        return
    from remediate.service import Service

    service = Service(
        settings, url, http=(http_host, http) if http is not None else None, mask=lambda text: scrub(text, secrets)
    )
    service.install_signal_handlers()
    service.run()


def _password(url: str | None) -> str | None:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).password if url else None
    except Exception:
        return None


def _list(settings: "Settings", url: str | None, format: ListFormat) -> None:
    from remediate.cli import render
    from remediate.scheduler import JOBS, describe_trigger, job_settings, load_record, read_next_runs
    from remediate.store import open_store

    with open_store(url, create=False, migrate=False) as store:
        next_runs = read_next_runs(store)
        rows: list[dict[str, Any]] = []
        for name, spec in JOBS.items():
            record = load_record(store, name)
            next_run = next_runs.get(name)
            rows.append(
                {
                    "job": name,
                    "enabled": job_settings(settings, name).enabled,
                    "trigger": describe_trigger(settings, name),
                    "function": f"remediate.jobs.{spec.function}",
                    "available": spec.resolve() is not None,
                    "description": spec.description,
                    "next_run": next_run.isoformat() if next_run else None,
                    "last_status": record.status,
                    "last_success": record.last_success.isoformat() if record.last_success else None,
                }
            )
    if format == ListFormat.json:
        render.emit_json({"jobs": rows})
        return
    render.table(
        "Scheduled jobs",
        ["job", "enabled", "trigger", "calls", "next run", "last run", "last success"],
        [
            (
                r["job"],
                "yes" if r["enabled"] else "no",
                r["trigger"],
                r["function"] + ("" if r["available"] else " (missing)"),
                r["next_run"] or "-",
                r["last_status"] or "never",
                r["last_success"] or "-",
            )
            for r in rows
        ],
    )


def _once(settings: "Settings", url: str | None, names: list[str], format: ListFormat, secrets: list[str]) -> None:
    from remediate.cli import render
    from remediate.scheduler import run_once
    from remediate.secrets import scrub
    from remediate.store import open_store

    with open_store(url) as store:
        results = run_once(settings, store, names, database_url=url, mask=lambda text: scrub(text, secrets))
    if format == ListFormat.json:
        render.emit_json(
            {
                "jobs": [
                    {"job": r.job, "ok": r.ok, "duration": round(r.duration, 3), "summary": r.summary, "error": r.error}
                    for r in results
                ]
            }
        )
    else:
        for r in results:
            facts = " ".join(f"{k}={v}" for k, v in r.summary.items())
            outcome = "ok" if r.ok else f"failed: {r.error}"
            typer.echo(f"{r.job}: {outcome} ({r.duration:.2f}s){' ' + facts if facts and r.ok else ''}")
        if not results:
            typer.echo("no job enabled in [schedule]")
    if any(not r.ok for r in results):
        raise typer.Exit(1)

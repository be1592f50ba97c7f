"""``remediate init`` and ``remediate doctor``: write a config, then check the whole set-up."""

import enum
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from remediate.cli import app
from remediate.cli.options import ConfigOption, DbOption, ProjectOption, RepoOption, SetOption, connector_options

_DIGEST_CHANNELS = ("stdout", "email", "slack", "webhook")


def _split_owner(value: str) -> tuple[str, str]:
    from remediate.errors import ConfigError

    name, sep, account = value.partition("=")
    if not sep or not name.strip() or not account.strip():
        raise ConfigError(f"--owner {value!r}: expected NAME=ACCOUNT, e.g. alice=alice-gh")
    return name.strip(), account.strip()


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the config.")] = Path("remediate.toml"),
    tracker: Annotated[
        str | None,
        typer.Option("--tracker", "-t", show_default=False, help="Tracker: local, github, jira or a plugin's name."),
    ] = None,
    repo: RepoOption = None,
    project: ProjectOption = None,
    set_: SetOption = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", help="Label for every ticket (repeatable).", show_default=False)
    ] = None,
    owner: Annotated[
        list[str] | None,
        typer.Option(
            "--owner",
            metavar="NAME=ACCOUNT",
            help="Map a document owner to a tracker account (repeatable).",
            show_default=False,
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="IANA time zone, e.g. Europe/Berlin (default UTC).", show_default=False),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="State database URL (default: SQLite).", show_default=False)
    ] = None,
    digest_channel: Annotated[
        str | None, typer.Option("--digest-channel", help="stdout, email, slack or webhook.", show_default=False)
    ] = None,
    digest_cron: Annotated[
        str | None,
        typer.Option(
            "--digest-cron",
            help="When the weekly digest goes out (crontab, default '0 9 * * mon').",
            show_default=False,
        ),
    ] = None,
    refresh_every: Annotated[
        str | None, typer.Option("--refresh-every", help="Status sync interval (default 15m).", show_default=False)
    ] = None,
    interactive: Annotated[
        bool | None,
        typer.Option(
            "--interactive/--no-interactive",
            help="Ask for what the flags leave out (default: when stdin is a terminal).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented remediate.toml (tracker, labels, owners, time zone, digest and schedule)."""
    from remediate.configfile import check_config_text, connector_answers, questions, render_config, write_config
    from remediate.connectors import discover, load_class
    from remediate.errors import ConfigError

    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; use --force to overwrite it")
    ask = sys.stdin.isatty() if interactive is None else interactive
    known = sorted(discover())
    options = connector_options(set_, repo, project)
    if ask:
        tracker = tracker or typer.prompt(f"Tracker ({', '.join(known)})", default="local")
    tracker = tracker or "local"
    if tracker not in known:
        raise ConfigError(f"unknown tracker {tracker!r} (installed connectors: {', '.join(known)})")
    if ask:
        # The tracker's own questions: its Config's required fields and those marked as questions.
        flagged = {"labels": label, "label": label, "owners": owner}
        for question in questions(load_class(tracker).Config):
            if question.key in options or flagged.get(question.key) is not None:
                continue
            if question.default is None:
                answer = typer.prompt(question.prompt)
            else:
                answer = typer.prompt(question.prompt, default=question.default, show_default=bool(question.default))
            options[question.key] = question.read(answer)
        timezone = timezone or typer.prompt("Time zone", default="UTC")
        digest_channel = digest_channel or typer.prompt(
            f"Digest channel ({', '.join(_DIGEST_CHANNELS)})", default="stdout"
        )
        digest_cron = digest_cron or typer.prompt("Digest schedule (crontab)", default="0 9 * * mon")
        # Empty leaves `every` unset, so the default (15m, or 1h while webhooks are configured) applies.
        refresh_every = refresh_every or typer.prompt(
            "Status sync every (empty: 15m, or 1h with webhooks)", default="", show_default=False
        )
    if digest_channel and digest_channel not in _DIGEST_CHANNELS:
        raise ConfigError(f"--digest-channel {digest_channel!r}: expected one of {', '.join(_DIGEST_CHANNELS)}")
    answers: dict[str, Any] = {"tracker": tracker}
    for key, value in (
        ("timezone", timezone),
        ("database_url", database_url),
        ("schedule.digest.channel", digest_channel),
        ("schedule.digest.cron", digest_cron),
        ("schedule.refresh.every", refresh_every),
    ):
        if value:
            answers[key] = value
    answers.update(
        connector_answers(tracker, options, labels=label or [], owners=dict(_split_owner(o) for o in owner or []))
    )
    text = render_config(answers)
    check_config_text(text, path)
    write_config(path, text, force=force)
    typer.echo(f"wrote {path}; check it with `remediate doctor --config {path}`")


class DoctorFormat(enum.StrEnum):
    """Output formats of doctor."""

    table = "table"
    json = "json"


@app.command()
def doctor(
    offline: Annotated[bool, typer.Option("--offline", help="Skip the live checks (requests to the tracker).")] = False,
    tracker: Annotated[
        str | None,
        typer.Option(
            "--tracker", "-t", help="Check this tracker instead of the config's `tracker`.", show_default=False
        ),
    ] = None,
    format: Annotated[
        DoctorFormat, typer.Option("--format", "-f", case_sensitive=False, help="Output format.")
    ] = DoctorFormat.table,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Check the config, credentials, tracker, database and schedule; say what to fix.

    Live checks authenticate against the tracker (who the token is, its scopes, the repository
    or project) and name the step that failed; --offline skips them. Exit 1 when a check fails.
    """
    from dataclasses import replace

    from remediate.cli import render
    from remediate.doctor import failed, run_checks
    from remediate.secrets import scrub, secret_values

    secrets = secret_values(os.environ)
    checks = [
        replace(c, detail=scrub(c.detail, secrets), fix=scrub(c.fix, secrets) if c.fix else c.fix)
        for c in run_checks(config, db, os.environ, reach=not offline, tracker=tracker)
    ]
    if format == DoctorFormat.json:
        render.emit_json({"ok": not failed(checks), "checks": [c.to_json() for c in checks]})
    else:
        width = max([12, *(len(c.name) for c in checks)])
        for check in checks:
            label = {"ok": "ok", "info": "info", "warn": "WARN", "fail": "FAIL"}[check.status]
            typer.echo(f"{label:<5} {check.name:<{width}} {check.detail}")
            if check.fix and check.status in ("fail", "warn", "info"):
                typer.echo(
                    f"{'':<5} {'':<{width}} fix: {check.fix}"
                    if check.status != "info"
                    else f"{'':<5} {'':<{width}} hint: {check.fix}"
                )
        typer.echo("something needs fixing (FAIL above)" if failed(checks) else "all good")
    if failed(checks):
        raise typer.Exit(1)

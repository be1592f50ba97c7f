"""``remediate overdue``, ``digest``, ``audit`` and ``lint``: following up on action items."""

import enum
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from remediate.cli import app
from remediate.cli.options import ConfigOption, DbOption

if TYPE_CHECKING:
    from remediate.settings import Settings


class ReportFormat(enum.StrEnum):
    """Output formats of the report commands."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class AuditFormat(enum.StrEnum):
    """Output formats of ``remediate audit`` (html: one self-contained page)."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"


class Channel(enum.StrEnum):
    """Where a digest goes."""

    stdout = "stdout"
    email = "email"
    slack = "slack"
    webhook = "webhook"


class PeriodChoice(enum.StrEnum):
    """Digest periods."""

    week = "week"
    month = "month"


FormatOption = Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Report as of this date, YYYY-MM-DD (default: today in the configured time zone).",
        show_default=False,
    ),
]


def _date(value: str | None, flag: str) -> date | None:
    from remediate.errors import ConfigError

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{flag} {value!r} is not a date (expected YYYY-MM-DD)") from None


@app.command()
def overdue(
    as_of: AsOfOption = None,
    owner: Annotated[
        str | None,
        typer.Option("--owner", help="Only this owner's items (@ and case do not matter).", show_default=False),
    ] = None,
    postmortem: Annotated[
        str | None, typer.Option("--postmortem", "-p", help="Only this postmortem id.", show_default=False)
    ] = None,
    fail_if_any: Annotated[
        bool, typer.Option("--fail-if-any", help="Exit 1 when any item is overdue (for CI).")
    ] = False,
    format: FormatOption = ReportFormat.table,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """List open action items past their due date, with days overdue, owner and ticket."""
    from remediate.cli import output
    from remediate.jobs import overdue_report
    from remediate.settings import load_settings

    report = overdue_report(
        load_settings(config), database_url=db, as_of=_date(as_of, "--as-of"), owner=owner, postmortem=postmortem
    )
    output.overdue(report, format)
    if fail_if_any and report.items:
        raise typer.Exit(1)


@app.command()
def digest(
    as_of: AsOfOption = None,
    period: Annotated[
        PeriodChoice | None,
        typer.Option(
            "--period",
            help="Period the digest covers (default: the config's [digest] period, else week).",
            show_default=False,
        ),
    ] = None,
    send: Annotated[
        Channel | None,
        typer.Option(
            "--send", help="Where to send it (default: the config's [digest] channel, else stdout).", show_default=False
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Send even if this period's digest was already sent.")] = False,
    format: FormatOption = ReportFormat.table,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Send (or print) the digest: overdue by owner, due soon, done lately; once per period."""
    from remediate.cli import output
    from remediate.jobs import send_digest
    from remediate.settings import load_settings

    settings = load_settings(config)
    outcome = send_digest(
        settings,
        database_url=db,
        as_of=_date(as_of, "--as-of"),
        channel=send.value if send else None,
        force=force,
        period=period.value if period else None,
    )
    output.digest(outcome, format, settings.templates_path())


@app.command()
def audit(
    since: Annotated[
        str | None, typer.Option("--since", help="Only postmortems from this date (YYYY-MM-DD).", show_default=False)
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Only postmortems up to this date (YYYY-MM-DD).", show_default=False)
    ] = None,
    as_of: AsOfOption = None,
    fail_under: Annotated[
        float | None,
        typer.Option(
            "--fail-under",
            min=0,
            max=100,
            metavar="PERCENT",
            help="Exit 1 when overall completion is below PERCENT.",
            show_default=False,
        ),
    ] = None,
    output_path: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write to this file instead of stdout.", show_default=False, dir_okay=False
        ),
    ] = None,
    format: Annotated[
        AuditFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
    ] = AuditFormat.table,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Audit remediation: completion, on-time rate, days to close, drift and recurring items."""
    from remediate.settings import load_settings

    settings = load_settings(config)
    percent = _audit(
        settings, db, _date(as_of, "--as-of"), _date(since, "--since"), _date(until, "--until"), format, output_path
    )
    if fail_under is not None and percent is not None and percent < fail_under:
        typer.echo(f"remediate: overall completion {percent:g}% is below --fail-under {fail_under:g}%", err=True)
        raise typer.Exit(1)


def _audit(
    settings: "Settings",
    db: str | None,
    as_of: date | None,
    since: date | None,
    until: date | None,
    format: AuditFormat,
    output_path: Path | None,
) -> float | None:
    """Build and print the audit; its overall percent complete.

    All of it with the cycle collector paused (``reports.base.bulk``), not only each step: the
    first collection after a step walked all the rows the step had built (0.1 s at 100,000 items),
    and when this returns, the report is freed before the collector resumes.
    """
    from remediate.cli import output
    from remediate.jobs import audit_snapshot
    from remediate.reports.base import bulk

    @bulk
    def run() -> float | None:
        report = audit_snapshot(settings, database_url=db, as_of=as_of, since=since, until=until)
        if output_path is not None:
            _write_to(output_path, lambda: output.audit(report, format, settings.templates_path()))
        else:
            output.audit(report, format, settings.templates_path())
        return report.overall.percent_complete

    return run()


def _write_to(path: Path, produce: object) -> None:
    """Run ``produce`` with stdout sent to ``path`` (written whole, or not at all)."""
    import contextlib
    import io

    from remediate.errors import InputError

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        produce()  # type: ignore[operator]
    try:
        path.write_text(buffer.getvalue(), encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), f"cannot write ({exc.strerror or exc.__class__.__name__})") from None
    typer.echo(f"wrote {path}", err=True)


@app.command()
def lint(
    paths: Annotated[list[str], typer.Argument(help="Postmortem files or directories (every postmortem below).")],
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on any finding (for pre-commit and CI).")] = False,
    disable: Annotated[
        list[str] | None, typer.Option("--disable", help="Turn a rule off (repeatable), e.g. missing-priority.")
    ] = None,
    error: Annotated[
        list[str] | None, typer.Option("--error", help="Make a rule an error that fails lint (repeatable).")
    ] = None,
    require_due: Annotated[
        bool, typer.Option("--require-due", help="Every item must state a due date; a policy date does not count.")
    ] = False,
    format: FormatOption = ReportFormat.table,
    config: ConfigOption = None,
) -> None:
    """Check action items before publishing: owner, due date, priority, vague or duplicate items."""
    from remediate.cli import output
    from remediate.errors import ConfigError
    from remediate.lint import Rules, lint_paths
    from remediate.policy import DuePolicy
    from remediate.settings import LINT_RULES, load_settings

    settings = load_settings(config)
    severity: dict[str, str] = dict(settings.lint.rules)
    for level, names in (("off", disable or []), ("error", error or [])):
        for name in names:
            if name not in LINT_RULES:
                raise ConfigError(f"unknown lint rule {name!r} (known: {', '.join(LINT_RULES)})")
            severity[name] = level
    policy = DuePolicy.from_settings(settings) if settings.lint.policy_due_counts and not require_due else None
    files, findings = lint_paths(
        paths,
        section_titles=settings.parser.section_titles,
        max_bytes=settings.parser.max_bytes,
        threshold=settings.sync.match_threshold,
        rules=Rules(severity, policy),
        min_confidence=settings.parser.confidence_threshold,
    )
    output.lint(files, findings, format)
    if findings and (strict or any(f.severity == "error" for f in findings)):
        raise typer.Exit(1)

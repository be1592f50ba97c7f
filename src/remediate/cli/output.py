"""Rendering reports for people (tables, Markdown, HTML) and scripts (JSON, CSV) on stdout."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from remediate.cli.render import emit_json, markdown_table, table
from remediate.reports.audit import AuditReport, Completion
from remediate.reports.base import ReportItem, bulk
from remediate.reports.overdue import OverdueReport
from remediate.reports.send import DigestOutcome
from remediate.sanitize import clean

ITEM_COLUMNS = [
    "item_id",
    "postmortem_id",
    "text",
    "owner",
    "priority",
    "state",
    "due",
    "due_source",
    "tracker",
    "key",
    "url",
]


def _csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([["" if v is None else clean(v) if isinstance(v, str) else v for v in row] for row in rows])


def _item_row(item: ReportItem) -> list[Any]:
    data = item.to_json()
    return [data[c] for c in ITEM_COLUMNS]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:g}%"


def _clip(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- overdue ---------------------------------------------------------------------------------


@bulk
def overdue(report: OverdueReport, format: str) -> None:
    """Render ``remediate overdue``."""
    if format == "json":
        emit_json(report.to_json())
        return
    if format == "csv":
        _csv([*ITEM_COLUMNS, "days_overdue"], [[*_item_row(r.item), r.days_overdue] for r in report.items])
        return
    columns = ["days overdue", "item", "owner", "due", "postmortem", "ticket"]
    rows = [
        (
            r.days_overdue,
            _clip(r.item.text),
            r.item.owner or "-",
            f"{r.item.due.isoformat() if r.item.due else '-'} ({r.item.due_description()})",
            r.item.postmortem_title or r.item.postmortem_id,
            r.item.url or r.item.key or "-",
        )
        for r in report.items
    ]
    summary = f"{len(rows)} overdue item(s) as of {report.as_of.isoformat()}"
    if format == "markdown":
        sys.stdout.write(f"## Overdue action items\n\n{summary}.\n\n" + (markdown_table(columns, rows) if rows else ""))
        return
    if rows:
        table(f"Overdue as of {report.as_of.isoformat()}", columns, rows)
    sys.stdout.write(summary + "\n")


# --- digest ----------------------------------------------------------------------------------


@bulk
def digest(outcome: DigestOutcome, format: str, templates_dir: Path | None) -> None:
    """Render ``remediate digest``: the digest itself (stdout channel) or what happened to it."""
    from remediate.reports.templating import render

    if format == "json":
        emit_json(outcome.to_json())
        return
    if format == "csv":
        d = outcome.digest
        rows = [["overdue", r.days_overdue, *_item_row(r.item)] for r in d.overdue]
        rows += [["due_soon", "", *_item_row(i)] for i in d.due_soon]
        rows += [["completed", "", *_item_row(i)] for i in d.completed]
        _csv(["group", "days_overdue", *ITEM_COLUMNS], rows)
    elif outcome.status == "printed":
        if format == "markdown":
            sys.stdout.write(render(templates_dir, "digest.md.j2", digest=outcome.digest))
        else:
            sys.stdout.write(outcome.text)
        return
    key = outcome.period.key
    if outcome.status == "sent":
        again = (
            f" (again: first sent {outcome.previous_sent_at:%Y-%m-%d %H:%M} UTC)" if outcome.previous_sent_at else ""
        )
        message = f"sent the {key} digest: {outcome.detail}{again}"
    else:
        sent_at = f" on {outcome.previous_sent_at:%Y-%m-%d %H:%M} UTC" if outcome.previous_sent_at else ""
        message = f"skipped: the {key} digest was already sent by {outcome.channel}{sent_at} (--force sends it again)"
    (sys.stderr if format == "csv" else sys.stdout).write(message + "\n")


# --- audit -----------------------------------------------------------------------------------


_COMPLETION_COLUMNS = ["items", "done", "not doing", "open", "overdue", "complete"]
_TIMING_COLUMNS = ["on time", "median days", "p90 days"]
_UNTIMED = (
    "{n} item(s) were already done when first synced: counted as done, "
    "left out of days to close and the on-time rate (no close time is known)"
)


def _completion_cells(c: Completion) -> list[Any]:
    return [c.items, c.done, c.not_doing, c.open, c.overdue, _pct(c.percent_complete)]


def _timing_cells(c: Completion) -> list[Any]:
    return [
        _pct(c.on_time_rate),
        "-" if c.median_days_to_close is None else f"{c.median_days_to_close:g}",
        "-" if c.p90_days_to_close is None else f"{c.p90_days_to_close:g}",
    ]


#: The most rows one table of the HTML audit shows (and bars its chart draws): a page a browser
#: opens quickly at 100,000 items. The page says how many were left out; JSON has them all.
HTML_MAX_ROWS = 500


def audit_html(report: AuditReport, templates_dir: Path | None, *, limit: int | None = HTML_MAX_ROWS) -> str:
    """The audit as one self-contained HTML page with inline SVG charts; long tables show ``limit`` rows."""
    from remediate.reports.charts import completion_bars, open_line
    from remediate.reports.templating import render

    charted = report.postmortems if limit is None else report.postmortems[-limit:]
    return render(
        templates_dir,
        "audit.html.j2",
        audit=report,
        limit=limit,
        completion_chart=completion_bars(charted),
        open_chart=open_line(report.open_over_time),
    )


@bulk
def audit(report: AuditReport, format: str, templates_dir: Path | None) -> None:
    """Render ``remediate audit`` on stdout."""
    if format == "json":
        emit_json(report.to_json())
        return
    if format == "html":
        sys.stdout.write(audit_html(report, templates_dir))
        return
    if format == "csv":
        columns = [
            "postmortem_id",
            "title",
            "incident_date",
            *[c.replace(" ", "_") for c in _COMPLETION_COLUMNS],
            "on_time_rate",
            "median_days_to_close",
            "p90_days_to_close",
        ]
        rows = [
            [
                p.id,
                p.title,
                p.incident_date,
                *_completion_cells(p.completion)[:-1],
                p.completion.percent_complete,
                p.completion.on_time_rate,
                p.completion.median_days_to_close,
                p.completion.p90_days_to_close,
            ]
            for p in report.postmortems
        ]
        o = report.overall
        rows.append(
            [
                "(overall)",
                None,
                None,
                *_completion_cells(o)[:-1],
                o.percent_complete,
                o.on_time_rate,
                o.median_days_to_close,
                o.p90_days_to_close,
            ]
        )
        _csv(columns, rows)
        return
    names = [_clip(p.title or p.id, 40) for p in report.postmortems] + ["(overall)"]
    completions = [p.completion for p in report.postmortems] + [report.overall]
    sections: list[tuple[str, list[str], list[list[Any]]]] = [
        (
            "Completion",
            ["postmortem", *_COMPLETION_COLUMNS],
            [[n, *_completion_cells(c)] for n, c in zip(names, completions, strict=True)],
        ),
        (
            "Timeliness",
            ["postmortem", *_TIMING_COLUMNS],
            [[n, *_timing_cells(c)] for n, c in zip(names, completions, strict=True)],
        ),
        ("Open items by age", list(report.open_by_age), [list(report.open_by_age.values())]),
    ]
    if report.drift:
        sections.append(
            (
                "Drift",
                ["what", "item", "ticket", "postmortem"],
                [
                    [
                        d.kind.replace("_", " "),
                        _clip(d.item.text),
                        ", ".join([d.item.key or "-", *d.item.duplicates])
                        if d.kind == "duplicate_tickets"
                        else d.item.key or "-",
                        d.item.postmortem_title or d.item.postmortem_id,
                    ]
                    for d in report.drift
                ],
            )
        )
    if report.recurring:
        sections.append(
            (
                "Recurring action items",
                ["earlier", "later", "similarity", "flag"],
                [
                    [
                        f"{_clip(r.earlier.text, 50)} ({r.earlier.postmortem_id}, {r.earlier.state})",
                        f"{_clip(r.later.text, 50)} ({r.later.postmortem_id})",
                        r.similarity,
                        "repeats an open item" if r.repeats_open_item else "",
                    ]
                    for r in report.recurring
                ],
            )
        )
    for title, items in (
        ("Closed as not doing", report.not_doing),
        ("Open without owner", report.without_owner),
        ("Open without due date", report.without_due),
    ):
        if items:
            sections.append(
                (
                    title,
                    ["item", "ticket", "postmortem"],
                    [[_clip(i.text), i.key or "-", i.postmortem_title or i.postmortem_id] for i in items],
                )
            )
    scope = f"as of {report.as_of.isoformat()}"
    if report.since or report.until:
        scope += f", postmortems from {report.since or 'the start'} to {report.until or 'now'}"
    if format == "markdown":
        out = [f"## Remediation audit\n\n{scope.capitalize()}.\n"]
        if report.overall.done_when_seen:
            out.append(_UNTIMED.format(n=report.overall.done_when_seen).capitalize() + ".\n")
        out += [f"### {title}\n\n{markdown_table(columns, rows)}" for title, columns, rows in sections]
        sys.stdout.write("\n".join(out))
        return
    for title, columns, rows in sections:
        table(title, columns, rows)
    sys.stdout.write(
        f"Remediation audit {scope}: {_pct(report.overall.percent_complete)} complete, "
        f"{_pct(report.overall.on_time_rate)} on time\n"
    )
    if report.overall.done_when_seen:
        sys.stdout.write(_UNTIMED.format(n=report.overall.done_when_seen) + "\n")


# --- lint ------------------------------------------------------------------------------------


def lint(files: int, findings: Sequence[Any], format: str) -> None:
    """Render ``remediate lint``: flake8-style lines for people, or JSON/CSV/Markdown."""
    if format == "json":
        emit_json({"files": files, "count": len(findings), "findings": [f.to_json() for f in findings]})
        return
    columns = ["path", "line", "rule", "severity", "message", "item"]
    rows = [[f.path, f.line, f.rule, f.severity, f.message, f.item] for f in findings]
    if format == "csv":
        _csv(columns, rows)
        return
    errors = sum(f.severity == "error" for f in findings)
    summary = f"{len(findings)} finding(s) in {files} file(s)" + (f", {errors} error(s)" if errors else "")
    if format == "markdown":
        sys.stdout.write(f"## Action-item lint\n\n{summary}.\n\n" + (markdown_table(columns, rows) if rows else ""))
        return
    for f in findings:
        level = " (error)" if f.severity == "error" else ""
        sys.stdout.write(f"{f.path}:{f.line}: {f.rule}{level}: {f.message}\n")
    sys.stdout.write(summary + "\n")

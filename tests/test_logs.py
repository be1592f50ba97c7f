"""Service logs: one structured line per event, exceptions folded in, secrets masked."""

from __future__ import annotations

import io
import json
import logging

import pytest

from remediate.secrets import scrub, secret_values
from remediate.service.logs import StructuredFormatter, configure
from tests.service_helpers import parse_logfmt


def record(
    message: str,
    *,
    name: str = "remediate.service",
    fields: dict[str, object] | None = None,
    exc: BaseException | None = None,
) -> logging.LogRecord:
    rec = logging.LogRecord(name, logging.WARNING, __file__, 1, message, (), None)
    if fields is not None:
        rec.fields = fields
    if exc is not None:
        rec.exc_info = (type(exc), exc, exc.__traceback__)
    return rec


def test_logfmt_events_quote_what_needs_quoting() -> None:
    line = StructuredFormatter().format(
        record(
            "job_failed", fields={"job": "refresh", "error": 'tracker said "no"\nthen hung up', "empty": "", "count": 3}
        )
    )
    assert "\n" not in line
    parsed = parse_logfmt(line)
    assert parsed["event"] == "job_failed" and parsed["level"] == "warning" and parsed["count"] == "3"
    assert parsed["error"] == 'tracker said "no"\nthen hung up' and parsed["empty"] == ""
    assert line.index("time=") < line.index("level=") < line.index("event=")


def test_json_lines_and_other_loggers() -> None:
    line = StructuredFormatter("json").format(record("Run time of job was missed", name="apscheduler.executors"))
    data = json.loads(line)
    assert data["event"] == "log" and data["logger"] == "apscheduler.executors"
    assert data["message"] == "Run time of job was missed"


def test_exceptions_fold_into_one_line_and_tracebacks_only_with_debug() -> None:
    try:
        raise ValueError("bad\nvalue")
    except ValueError as exc:
        error = exc
    plain = StructuredFormatter().format(record("job_traceback", fields={}, exc=error))
    assert "\n" not in plain and parse_logfmt(plain)["error"] == "ValueError: bad\nvalue"
    assert "traceback=" not in plain
    debug = StructuredFormatter(debug=True).format(record("job_traceback", fields={}, exc=error))
    assert "\n" not in debug and "Traceback (most recent call last)" in parse_logfmt(debug)["traceback"]


def test_secret_values_come_from_secret_looking_variables() -> None:
    environ = {
        "GITHUB_TOKEN": "ghp_abcdef123",
        "JIRA_API_TOKEN": "tok",
        "REMEDIATE_SMTP_PASSWORD": "hunter2hunter",
        "REMEDIATE_SLACK_WEBHOOK_URL": "https://hooks.example/T0/B0/xyz",
        "HOME": "/home/someone",
        "JIRA_PAT": "pat-123456",
        "SIGNING_KEY": "k3y-value-long",
    }
    found = secret_values(environ, ["dbpassword1", None])
    assert set(found) == {
        "ghp_abcdef123",
        "hunter2hunter",
        "https://hooks.example/T0/B0/xyz",
        "pat-123456",
        "k3y-value-long",
        "dbpassword1",
    }  # "tok" is too short to mask safely
    assert scrub('token "ghp_abcdef123" and dbpassword1', found) == 'token "***" and ***'


@pytest.mark.parametrize("style", ["logfmt", "json"])
def test_configured_logging_masks_every_line(style: str) -> None:
    stream = io.StringIO()
    root, ours = logging.getLogger(), logging.getLogger("remediate")
    saved = (list(root.handlers), root.level, ours.level)
    configure(style=style, environ={"GITHUB_TOKEN": 'ghp_"quoted"secret'}, stream=stream)
    try:
        logging.getLogger("remediate.service").warning(
            "job_failed", extra={"fields": {"error": 'refused ghp_"quoted"secret'}}
        )
        logging.getLogger("remediate.sync").warning('ticket %s says ghp_"quoted"secret', "#12")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        ours.setLevel(saved[2])
    output = stream.getvalue()
    assert output.count("\n") == 2 and "secret" not in output and output.count("***") == 2

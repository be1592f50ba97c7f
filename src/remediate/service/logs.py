"""The service's logs: one line per event, ``key=value`` (logfmt) or JSON, with secrets masked.

Events are logged as ``log.info("job_finished", extra={"fields": {...}})``: the message is the
event name and ``fields`` its facts. Lines from other loggers (APScheduler, the sync engine)
become ``event=log logger=... message=...``. Exceptions are folded into an ``error`` field (the
traceback too, escaped onto the same line, only with ``--debug``), so every event is one line.

Secrets: error messages are written to say which variable to set, never its value; as a second
line of defence every line goes through :func:`remediate.secrets.scrub` with the values of the
secret-looking environment variables and the database password before it is written.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from remediate.secrets import scrub, secret_values

_BARE = re.compile(r"^[A-Za-z0-9_.:/@+-]+$")


def _value(value: Any) -> str:
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text if text and _BARE.match(text) else json.dumps(text, ensure_ascii=False)


class StructuredFormatter(logging.Formatter):
    """Formats each record as one logfmt or JSON line."""

    def __init__(self, style: str = "logfmt", secrets: Iterable[str] = (), debug: bool = False) -> None:
        super().__init__()
        self.style = style
        self.secrets = list(secrets)
        self.debug = debug

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        """The facts of one record, in output order."""
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, Mapping):
            data["event"] = record.getMessage()
            data.update(extra)
        else:
            data.update(event="log", logger=record.name, message=record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            data.setdefault("error", f"{exc.__class__.__name__}: {exc}")
            if self.debug:
                data["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        return data

    def format(self, record: logging.LogRecord) -> str:
        """One line, secrets masked."""
        data = self.fields(record)
        if self.style == "json":
            line = json.dumps(
                {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in data.items()},
                ensure_ascii=False,
                default=str,
            )
        else:
            line = " ".join(f"{key}={_value(value)}" for key, value in data.items())
        return self.mask(line)

    def mask(self, line: str) -> str:
        """Scrub the line (see remediate.secrets); keep it one line."""
        return scrub(line, self.secrets).replace("\n", "\\n")


def configure(
    *,
    style: str = "logfmt",
    debug: bool = False,
    quiet: bool = False,
    environ: Mapping[str, str],
    extra_secrets: Iterable[str | None] = (),
    stream: TextIO | None = None,
) -> None:
    """Send every log record of this process through one structured handler on stderr."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(StructuredFormatter(style, secret_values(environ, extra_secrets), debug))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    level = logging.DEBUG if debug else logging.ERROR if quiet else logging.INFO
    root.setLevel(level)
    logging.getLogger("remediate").setLevel(level)
    # APScheduler's INFO lines ("Added job", "Running job") repeat our own events; its warnings
    # (missed runs, job store errors) stay.
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if debug else max(level, logging.WARNING))

"""The service's logs: one line per event, ``key=value`` (logfmt) or JSON, with secrets masked.

Events are logged as ``log.info("job_finished", extra={"fields": {...}})``: the message is the
event name and ``fields`` its facts. Lines from other loggers (APScheduler, the sync engine)
become ``event=log logger=... message=...``. Exceptions are folded into an ``error`` field (the
traceback too, escaped onto the same line, only with ``--debug``), so every event is one line.

Secrets: error messages are written to say which variable to set, never its value; as a second
line of defence every value of a secret-looking environment variable (``*TOKEN*``, ``*PASSWORD*``,
``*SECRET*``, ``*_KEY``, ``*_PAT``, ``*WEBHOOK*``) and the database password are replaced by
``***`` before a line is written.
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

_SECRET_NAME = re.compile(r"TOKEN|PASSWORD|PASSWD|SECRET|_KEY$|^KEY$|APIKEY|_PAT$|WEBHOOK|CREDENTIAL")
_BARE = re.compile(r"^[A-Za-z0-9_.:/@+-]+$")
#: Shorter values are not masked: they would mask ordinary words and numbers in every line.
MIN_SECRET_LENGTH = 6


def secret_values(environ: Mapping[str, str], extra: Iterable[str | None] = ()) -> list[str]:
    """The values to mask: secret-looking environment variables plus ``extra`` (e.g. a DB password)."""
    found = {value for name, value in environ.items() if _SECRET_NAME.search(name.upper())}
    found.update(value for value in extra if value)
    return sorted((v for v in found if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True)


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
        """Replace every known secret value with ``***``; keep the line one line."""
        return mask(line, self.secrets).replace("\n", "\\n")


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value (raw or JSON-escaped) replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
        escaped = json.dumps(secret)[1:-1]
        if escaped != secret:
            text = text.replace(escaped, "***")
    return text


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

"""Configuration: one TOML file, validated once into frozen pydantic models.

Where the file comes from, first match wins: ``--config PATH``, then
``$REMEDIATE_CONFIG``, then ``./remediate.toml``, then ``remediate.toml`` in the
user config directory (``~/.config/remediate/`` on Linux). No file at all is
fine: every setting has a default, so ``remediate sync`` works out of the box
with SQLite and the built-in ``local`` tracker.

Secrets never come from this file; connectors read them from the environment.
Each connector validates its own ``[connectors.<name>]`` table with its
``Config`` model when it is loaded (see ``remediate.connectors``).
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date, datetime, tzinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from remediate.errors import ConfigError

CONFIG_FILENAME = "remediate.toml"
APP_NAME = "remediate"

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base for every settings table: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ParserSettings(StrictModel):
    """How postmortems are read."""

    section_titles: list[str] = Field(
        default_factory=list,
        description="Extra section titles that hold action items, on top of the built-in ones "
        "(matched like the built-ins: case, punctuation and simple plurals do not matter).",
    )
    max_bytes: int = Field(
        default=5_000_000, gt=0, description="Refuse documents larger than this many bytes."
    )


class SyncSettings(StrictModel):
    """How ``remediate sync`` matches items and waits for other syncs."""

    match_threshold: float = Field(
        default=0.65,
        ge=0.3,
        le=1.0,
        description="How similar an edited item must be to its old wording to keep its ticket "
        "(0.3-1.0; see remediate.identity).",
    )
    lock_timeout: float = Field(
        default=300, ge=0, description="Seconds to wait for another sync on the same database."
    )


_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_CRON_FIELD = re.compile(r"^[A-Za-z0-9*/,?#LW-]+$")


def parse_duration(text: str) -> int:
    """Seconds in a duration such as ``90s``, ``15m``, ``1h30m`` or ``1d``; ValueError otherwise."""
    match = _DURATION.match(text.strip().lower())
    if not text.strip() or not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration (e.g. 30s, 15m, 1h30m, 1d)")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    if total <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return total


class JobSchedule(StrictModel):
    """When one scheduled job runs: ``every`` (an interval) or ``cron`` (five crontab fields)."""

    #: The trigger used when neither ``every`` nor ``cron`` is given: ("every"|"cron", value).
    default_trigger: ClassVar[tuple[str, str]] = ("every", "15m")

    enabled: bool = Field(default=True, description="Run this job in `remediate schedule`.")
    every: str | None = Field(
        default=None, description="Run at this interval, e.g. 30s, 15m, 1h30m, 1d."
    )
    cron: str | None = Field(
        default=None,
        description="Run at these times: five crontab fields (minute hour day month weekday) "
        "in the configured time zone, e.g. '0 9 * * mon'.",
    )

    @field_validator("every")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("cron")
    @classmethod
    def _cron_shape(cls, value: str | None) -> str | None:
        # Only the shape here: the full parse needs APScheduler, which `remediate schedule`
        # and `remediate doctor` import (every other command stays fast).
        if value is not None:
            fields = value.split()
            if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
                raise ValueError(
                    f"{value!r} is not a crontab expression (five fields: minute hour day month "
                    "weekday, e.g. '0 9 * * mon')"
                )
        return value

    @model_validator(mode="after")
    def _one_trigger(self) -> JobSchedule:
        if self.every is not None and self.cron is not None:
            raise ValueError("set either every or cron, not both")
        return self

    def trigger(self) -> tuple[str, str]:
        """The effective trigger: ("every", duration) or ("cron", expression)."""
        if self.cron is not None:
            return ("cron", self.cron)
        if self.every is not None:
            return ("every", self.every)
        return self.default_trigger


class RefreshJob(JobSchedule):
    """The status sync: bring ticket states back from the tracker (``remediate refresh``)."""

    default_trigger: ClassVar[tuple[str, str]] = ("every", "15m")


class DigestJob(JobSchedule):
    """The weekly digest (``remediate digest``), sent once per period."""

    default_trigger: ClassVar[tuple[str, str]] = ("cron", "0 9 * * mon")

    channel: str | None = Field(
        default=None,
        description="Where the scheduled digest goes (stdout, email, slack, webhook); "
        "default: the digest's own configured channel.",
    )


class AuditJob(JobSchedule):
    """An optional audit snapshot (``remediate audit``), recorded for trends."""

    default_trigger: ClassVar[tuple[str, str]] = ("cron", "0 6 1 * *")

    enabled: bool = Field(default=False, description="Run this job in `remediate schedule`.")


class ScheduleSettings(StrictModel):
    """``remediate schedule``: which jobs run when, and how misses and health are judged."""

    misfire_grace_time: int = Field(
        default=86400,
        ge=1,
        description="A run missed (service down) by less than this many seconds still runs, once, "
        "at start-up; older misses are skipped and logged.",
    )
    overdue_after: int = Field(
        default=600,
        ge=1,
        description="/healthz reports a job overdue when a run was due this many seconds ago and "
        "none has finished since.",
    )
    refresh: RefreshJob = Field(default_factory=RefreshJob)
    digest: DigestJob = Field(default_factory=DigestJob)
    audit: AuditJob = Field(default_factory=AuditJob)


class Settings(StrictModel):
    """Everything remediate reads from the config file."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from None
        return value

    def tz(self) -> tzinfo:
        """The configured time zone."""
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

    def today(self) -> date:
        """Today's date in the configured time zone."""
        return datetime.now(self.tz()).date()

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the state database. Default: SQLite in the user data "
        "directory. REMEDIATE_DATABASE_URL or --db override it.",
    )
    tracker: str = Field(default="local", description="Connector used when --tracker is not given.")
    timezone: str = Field(
        default="UTC",
        description="IANA time zone for 'today', report periods and the scheduler (e.g. Europe/Berlin).",
    )
    postmortem_url: str | None = Field(
        default=None,
        description="Base URL that postmortem paths are appended to for links in tickets, "
        "e.g. https://github.com/acme/postmortems/blob/main/",
    )
    parser: ParserSettings = Field(default_factory=ParserSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    connectors: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="One table per connector, validated by that connector's Config model.",
    )

    # Where the settings were read from; None when only defaults apply.
    source: Path | None = Field(default=None, exclude=True)


def default_config_path() -> Path:
    """The per-user config file location (it need not exist)."""
    from platformdirs import user_config_path

    return user_config_path(APP_NAME) / CONFIG_FILENAME


def find_config(explicit: Path | None, environ: Mapping[str, str]) -> Path | None:
    """Return the config file to read, or None when defaults apply."""
    if explicit is not None:
        return explicit
    if environ.get("REMEDIATE_CONFIG"):
        return Path(environ["REMEDIATE_CONFIG"])
    for candidate in (Path.cwd() / CONFIG_FILENAME, default_config_path()):
        if candidate.is_file():
            return candidate
    return None


def load_settings(
    path: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Find, read and validate the configuration; raise ConfigError with one line per problem."""
    environ = os.environ if environ is None else environ
    config_path = find_config(path, environ)
    if config_path is None:
        return Settings()
    data = read_toml(config_path)
    return validate(Settings, data, config_path, source=config_path)


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning every way it can fail into a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, expected a TOML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.__class__.__name__})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def validate(
    model: type[M],
    data: Mapping[str, Any],
    path: Path | None,
    *,
    table: str = "",
    **extra: Any,
) -> M:
    """Validate ``data`` against ``model``; errors read ``file: [table] key <- message``."""
    try:
        return model.model_validate({**data, **extra})
    except ValidationError as exc:
        where = f"{path}: " if path else ""
        raise ConfigError(
            "; ".join(f"{where}{_location(table, err['loc'])} <- {err['msg']}" for err in exc.errors())
        ) from None


def _location(table: str, loc: tuple[int | str, ...]) -> str:
    keys = [str(part) for part in loc]
    if not keys:
        return f"[{table}]" if table else "(top level)"
    *tables, key = keys
    full_table = ".".join([t for t in [table, *tables] if t])
    return f"[{full_table}] {key}" if full_table else key

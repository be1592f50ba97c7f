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
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from remediate.errors import ConfigError

CONFIG_FILENAME = "remediate.toml"
APP_NAME = "remediate"

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base for every settings table: unknown keys are errors, values are frozen.

    A model's validator is built when it first validates, not when this module is imported:
    ``remediate parse`` without a config file builds only :class:`ParserSettings`'s.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ParserSettings(StrictModel):
    """How postmortems are read."""

    section_titles: list[str] = Field(
        default_factory=list,
        description="Extra section titles that hold action items, on top of the built-in ones "
        "(matched like the built-ins: case, punctuation and simple plurals do not matter).",
    )
    max_bytes: int = Field(default=5_000_000, gt=0, description="Refuse documents larger than this many bytes.")
    confidence_threshold: float = Field(
        default=0.9,
        ge=0.0,
        le=1.0,
        description="Items the parser is less sure of than this (their JSON `confidence`) get a "
        "warning from sync and a `low-confidence` finding from lint (0 turns both off).",
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
    lock_timeout: float = Field(default=300, ge=0, description="Seconds to wait for another sync on the same database.")


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
    every: str | None = Field(default=None, description="Run at this interval, e.g. 30s, 15m, 1h30m, 1d.")
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

    def trigger(self, *, hooks: bool = False) -> tuple[str, str]:
        """The effective trigger: ("every", duration) or ("cron", expression).

        ``hooks``: the tracker's webhook deliveries are received (its secret is set); only the
        refresh job's default depends on it.
        """
        if self.cron is not None:
            return ("cron", self.cron)
        if self.every is not None:
            return ("every", self.every)
        return self.default_trigger


class RefreshJob(JobSchedule):
    """The status sync: bring ticket states back from the tracker (``remediate refresh``)."""

    default_trigger: ClassVar[tuple[str, str]] = ("every", "15m")

    every_with_hooks: str = Field(
        default="1h",
        description="The interval when neither every nor cron is set and the tracker's webhook secret "
        "(REMEDIATE_<TRACKER>_WEBHOOK_SECRET) is set: deliveries bring states back in seconds, and "
        "this refresh catches what a lost delivery missed.",
    )

    @field_validator("every_with_hooks")
    @classmethod
    def _hooks_duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    def trigger(self, *, hooks: bool = False) -> tuple[str, str]:
        """The effective trigger; with ``hooks`` and nothing set, ``every_with_hooks``."""
        if hooks and self.every is None and self.cron is None:
            return ("every", self.every_with_hooks)
        return super().trigger()


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


class PolicySettings(StrictModel):
    """Due-date policy: days from the incident (else the first sync) per priority.

    An explicit due date in the document always wins. 0 means: the policy sets no due date.
    """

    p0: int = Field(default=7, ge=0, description="Days to finish a P0 item (0: no policy due date).")
    p1: int = Field(default=28, ge=0, description="Days to finish a P1 item (4 weeks).")
    p2: int = Field(default=56, ge=0, description="Days to finish a P2 item (8 weeks).")
    p3: int = Field(default=90, ge=0, description="Days to finish a P3 item.")
    p4: int = Field(default=180, ge=0, description="Days to finish a P4 item.")
    no_priority: int = Field(
        default=56, ge=0, description="Days for items with no (or an unknown) priority (0: no due date)."
    )


class DigestSettings(StrictModel):
    """Where the weekly digest goes and how. Secrets come from the environment variables named here."""

    channel: Literal["stdout", "email", "slack", "webhook"] = Field(
        default="stdout", description="Where `remediate digest` sends when --send is not given."
    )
    period: Literal["week", "month"] = Field(
        default="week", description="Period a digest covers (weeks start on Monday, in `timezone`)."
    )
    smtp_host: str | None = Field(default=None, description="SMTP server for the email channel.")
    smtp_port: int = Field(default=587, gt=0, lt=65536, description="SMTP port (587 submission, 465 TLS).")
    smtp_starttls: bool = Field(default=True, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_ssl: bool = Field(default=False, description="Connect with TLS from the start (port 465).")
    smtp_user: str | None = Field(default=None, description="SMTP login; the password is read from smtp_password_env.")
    smtp_password_env: str = Field(
        default="REMEDIATE_SMTP_PASSWORD", description="Environment variable holding the SMTP password."
    )
    smtp_ca_file: Path | None = Field(
        default=None, description="CA bundle to verify the SMTP server with (default: the system's)."
    )
    email_from: str | None = Field(default=None, description="From address of digest emails.")
    email_to: list[str] = Field(default_factory=list, description="Recipients of digest emails.")
    slack_webhook_env: str = Field(
        default="REMEDIATE_SLACK_WEBHOOK_URL",
        description="Environment variable holding the Slack incoming-webhook URL (it embeds a token).",
    )
    webhook_url_env: str = Field(
        default="REMEDIATE_WEBHOOK_URL", description="Environment variable holding the generic webhook URL."
    )
    webhook_token_env: str = Field(
        default="REMEDIATE_WEBHOOK_TOKEN",
        description="Environment variable with an optional bearer token for the generic webhook.",
    )
    timeout: float = Field(default=30, gt=0, description="Seconds to wait for the SMTP server or webhook.")

    def secret_variables(self, channel: str | None = None) -> tuple[str, ...]:
        """Names of the environment variables ``channel`` (default: the configured one) reads."""
        return {
            "email": (self.smtp_password_env,) if self.smtp_user else (),
            "slack": (self.slack_webhook_env,),
            "webhook": (self.webhook_url_env, self.webhook_token_env),
        }.get(channel or self.channel, ())


class AuditSettings(StrictModel):
    """How `remediate audit` finds recurring action items."""

    recurring_threshold: float = Field(
        default=0.6,
        ge=0.3,
        le=1.0,
        description="How similar two items of different postmortems must be to count as the same "
        "recurring item (0.3-1.0, the score of remediate.identity.similarity).",
    )


LintSeverity = Literal["error", "warning", "off"]
LINT_RULES = (
    "missing-owner",
    "missing-due",
    "missing-priority",
    "no-action-verb",
    "vague",
    "duplicate",
    "empty-section",
    "no-action-items",
    "low-confidence",
)


class LintSettings(StrictModel):
    """How `remediate lint` judges items: a severity per rule, and whether the policy's due date counts."""

    rules: dict[str, LintSeverity] = Field(
        default_factory=dict,
        description='Severity per rule: "error" (fails lint), "warning" (reported), "off". '
        "Rules not named are warnings.",
    )
    policy_due_counts: bool = Field(
        default=True,
        description="missing-due is satisfied when the due-date policy gives the item a date "
        "(false: every item must state its own due date).",
    )

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(LINT_RULES))
        if unknown:
            raise ValueError(f"unknown lint rule(s) {', '.join(unknown)} (known: {', '.join(LINT_RULES)})")
        return value


def local_date(moment: datetime, tz: tzinfo) -> date:
    """The calendar date of ``moment`` in ``tz`` (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).date()


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

    def today(self, now: datetime | None = None) -> date:
        """Today's date in the configured time zone (at ``now``, default the current time)."""
        return local_date(now, self.tz()) if now is not None else datetime.now(self.tz()).date()

    def templates_path(self) -> Path | None:
        """The user templates directory, relative paths taken from the config file's directory."""
        if self.templates_dir is None:
            return None
        if self.templates_dir.is_absolute() or self.source is None:
            return self.templates_dir
        return self.source.parent / self.templates_dir

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
    templates_dir: Path | None = Field(
        default=None,
        description="Directory of your own report templates, searched before the packaged ones "
        "(relative paths are relative to the config file). See config/templates/README.md.",
    )
    parser: ParserSettings = Field(default_factory=ParserSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)

    policy: PolicySettings = Field(default_factory=PolicySettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    lint: LintSettings = Field(default_factory=LintSettings)
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


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Find, read and validate the configuration; raise ConfigError with one line per problem."""
    environ = os.environ if environ is None else environ
    config_path = find_config(path, environ)
    if config_path is None:
        return Settings()
    data = read_toml(config_path)
    return validate(Settings, data, config_path, source=config_path)


def load_parser_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> ParserSettings:
    """The ``[parser]`` table of :func:`load_settings` (a config file is validated whole, as there).

    Without a config file the defaults need no other table: ``remediate parse`` starts faster."""
    environ = os.environ if environ is None else environ
    if find_config(path, environ) is None:
        return ParserSettings()
    return load_settings(path, environ).parser


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
    overridden: Collection[str] = (),
    **extra: Any,
) -> M:
    """Validate ``data`` against ``model``; errors read ``file: [table] key <- message``.

    ``overridden`` names the dotted keys a ``--set KEY=VALUE`` gave: their errors read
    ``--set KEY <- message``, since the file is not where the value came from.
    """
    try:
        return model.model_validate({**data, **extra})
    except ValidationError as exc:
        where = f"{path}: " if path else ""
        messages = []
        for err in exc.errors():
            dotted = ".".join(str(part) for part in err["loc"])
            given = next((k for k in overridden if dotted == k or dotted.startswith(f"{k}.")), None)
            place = f"--set {given}" if given else f"{where}{_location(table, err['loc'])}"
            messages.append(f"{place} <- {err['msg']}")
        raise ConfigError("; ".join(messages)) from None


def overrides(model: type[BaseModel], options: Mapping[str, Any], *, owner: str) -> dict[str, Any]:
    """``--set KEY=VALUE`` overrides (dotted keys, e.g. ``tracking.mode``) as a nested table of ``model``.

    A key ``model`` has no field for is an error naming it (``owner`` says whose settings they
    are: "the github connector"). A string value is read as a TOML value when the field takes
    what that gives (``true``, ``3``, ``["a", "b"]``), else kept as the string, so
    ``--set label=123`` stays a label and ``--set pacing.timeout=5`` becomes a number. None
    values (flags not given) are left out.
    """
    table: dict[str, Any] = {}
    for key, value in options.items():
        if value is None:
            continue
        annotation = _field_annotation(model, key, owner, table=isinstance(value, Mapping))
        node = table
        *parents, last = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"--set {key}: {part} is given twice, as a value and as a table")
            node = child
        if isinstance(node.get(last), dict):
            raise ConfigError(f"--set {key}: {last} is given twice, as a value and as a table")
        node[last] = _typed(value, annotation) if isinstance(value, str) else value
    return table


def _field_annotation(model: type[BaseModel], key: str, owner: str, *, table: bool = False) -> Any:
    """The type of the field a dotted ``key`` names in ``model`` (its value type inside a mapping).

    ``table``: the value is a whole sub-table (a caller's mapping), which a sub-model may take.
    """
    from typing import get_args, get_origin

    current: Any = model
    for part in key.split("."):
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(part)
            if info is None or not part:
                raise ConfigError(f"--set {key}: {owner} has no setting {key!r}")
            current = info.annotation
        elif get_origin(current) is dict and len(get_args(current)) == 2:
            current = get_args(current)[1]
        else:
            raise ConfigError(f"--set {key}: {owner} has no setting {key!r}")
    if not table and isinstance(current, type) and issubclass(current, BaseModel):
        raise ConfigError(f"--set {key}: {key!r} is a table; set one of its keys ({key}.KEY=VALUE)")
    return current


def _typed(value: str, annotation: Any) -> Any:
    """``value`` as TOML reads it, when the field accepts that; else the string itself."""
    from pydantic import TypeAdapter

    try:
        parsed = tomllib.loads(f"value = {value}")["value"]
    except tomllib.TOMLDecodeError:
        return value
    if isinstance(parsed, str):
        return parsed
    try:
        TypeAdapter(annotation).validate_python(parsed)
    except (ValidationError, TypeError):
        return value
    return parsed


def merge_tables(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``top`` laid over it; tables present in both are merged key by key."""
    merged = dict(base)
    for key, value in top.items():
        below = merged.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            merged[key] = merge_tables(below, value)
        else:
            merged[key] = value
    return merged


def _location(table: str, loc: tuple[int | str, ...]) -> str:
    keys = [str(part) for part in loc]
    if not keys:
        return f"[{table}]" if table else "(top level)"
    *tables, key = keys
    full_table = ".".join([t for t in [table, *tables] if t])
    return f"[{full_table}] {key}" if full_table else key

"""The ``[connectors.github]`` table, validated once; secrets never live here (GITHUB_TOKEN is env only)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from remediate.settings import StrictModel

#: GitHub refuses label names longer than this ("name is too long (maximum is 50 characters)").
LABEL_MAX = 50

_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*)/[A-Za-z0-9._-]+$")
_COLOR = re.compile(r"^[0-9a-fA-F]{6}$")


def _check_label(value: str) -> str:
    # A comma would split the label in the ``labels=a,b`` filter of the list endpoint.
    if not value.strip():
        raise ValueError("must not be empty")
    if "," in value:
        raise ValueError("must not contain a comma (GitHub's label filter is comma-separated)")
    if len(value) > LABEL_MAX:
        raise ValueError(f"GitHub label names are at most {LABEL_MAX} characters")
    return value


class Pacing(StrictModel):
    """How fast remediate talks to GitHub, and how long it waits when told to slow down."""

    write_interval: float = Field(
        default=1.0,
        ge=0,
        description="Seconds between two writes (POST/PATCH). GitHub asks for at least 1 s between "
        "content-creating requests; 0 only against a test server.",
    )
    request_interval: float = Field(default=0.0, ge=0, description="Seconds between any two requests (0: no pause).")
    timeout: int = Field(
        default=15, gt=0, description="Seconds to wait for one HTTP answer (less when max_total_wait runs out)."
    )
    max_attempts: int = Field(
        default=5,
        ge=1,
        description="Attempts for one request that fails with a 5xx or a network error.",
    )
    backoff: float = Field(default=1.0, ge=0, description="First wait after a 5xx or network error; doubles each time.")
    max_total_wait: float = Field(
        default=45.0,
        gt=0,
        description="Longest total time one request may take over all its attempts (timeouts, 5xx, network "
        "errors) and the waits between them before giving up with one line; rate-limit waits GitHub asks "
        "for are bounded by max_wait instead.",
    )
    max_backoff: float = Field(default=30.0, ge=0, description="Longest wait between two attempts.")
    secondary_wait: float = Field(
        default=60.0,
        ge=0,
        description="Wait after a secondary rate limit that gives no retry-after (doubles each time).",
    )
    rate_limit_retries: int = Field(
        default=4,
        ge=0,
        description="Rate-limit answers tolerated for one request before giving up.",
    )
    max_wait: float = Field(
        default=900.0,
        ge=0,
        description="Longest single rate-limit wait; a longer one stops the run with a message saying when to retry.",
    )


class Tracking(StrictModel):
    """The per-postmortem tracking issue that lists its action items."""

    enabled: bool = Field(default=True, description="Keep one tracking issue per postmortem.")
    mode: Literal["auto", "sub-issues", "task-list"] = Field(
        default="auto",
        description="'sub-issues' links items as GitHub sub-issues, 'task-list' lists them in the "
        "body, 'auto' uses sub-issues and falls back to a task list where the server has none "
        "(older GitHub Enterprise Server).",
    )
    label: str = Field(default="postmortem", description="Label that marks tracking issues.")
    title: str = Field(
        default="Postmortem: {title}",
        description="Title of the tracking issue; {title} and {id} are the postmortem's.",
    )

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        return _check_label(value)


class Config(StrictModel):
    """Settings of the GitHub connector (``[connectors.github]``; ``--repo`` overrides ``repo``)."""

    repo: str = Field(
        description="Repository that receives the issues, as OWNER/NAME (or --repo OWNER/NAME).",
        json_schema_extra={"question": "GitHub repository (OWNER/NAME)"},
    )
    label: str = Field(
        default="remediation",
        description="Label put on every action-item issue.",
        json_schema_extra={"question": True},
    )
    label_color: str = Field(default="d93f0b", description="Colour of labels remediate creates.")
    postmortem_label: str = Field(
        default="postmortem:{id}",
        description="Per-postmortem label; {id} is the postmortem id, {date} its date. Longer "
        "than 50 characters is shortened with a hash.",
    )
    in_progress_label: str | None = Field(
        default="in-progress",
        description="An open issue with this label counts as in progress (empty: never).",
    )
    owners: dict[str, str] = Field(
        default_factory=dict,
        json_schema_extra={"question": "Owner map, document owner -> GitHub login"},
        description="Document owner -> GitHub login. Unmapped owners get no assignee and a "
        "warning; case and a leading '@' do not matter.",
    )
    full_refresh_hours: float = Field(
        default=24.0,
        ge=0,
        description="Hours between full state reads, which notice deleted and transferred "
        "issues (incremental reads cannot); 0 makes every read a full one.",
    )
    tracking: Tracking = Field(default_factory=Tracking)
    pacing: Pacing = Field(default_factory=Pacing)

    @field_validator("repo")
    @classmethod
    def _repo_shape(cls, value: str) -> str:
        value = value.strip()
        if not _REPO.match(value):
            raise ValueError("must be OWNER/NAME, e.g. acme/api")
        return value

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        return _check_label(value)

    @field_validator("in_progress_label")
    @classmethod
    def _optional_label(cls, value: str | None) -> str | None:
        return _check_label(value) if value else None

    @field_validator("label_color")
    @classmethod
    def _color(cls, value: str) -> str:
        value = value.lstrip("#")
        if not _COLOR.match(value):
            raise ValueError("must be six hex digits, e.g. d93f0b")
        return value.lower()

    @field_validator("owners")
    @classmethod
    def _logins(cls, value: dict[str, str]) -> dict[str, str]:
        for name, login in value.items():
            if not re.fullmatch(r"@?[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})", login.strip()):
                raise ValueError(f"{name!r} -> {login!r} is not a GitHub login")
        return {name: login.strip().lstrip("@") for name, login in value.items()}

    @property
    def owner(self) -> str:
        """The repository's owner (user or organisation)."""
        return self.repo.split("/", 1)[0]

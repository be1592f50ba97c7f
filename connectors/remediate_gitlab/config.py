"""The ``[connectors.gitlab]`` table, validated once; the token is never here (GITLAB_TOKEN, env only)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from remediate.settings import StrictModel

#: GitLab refuses titles longer than this ("title is too long (maximum is 255 characters)").
TITLE_MAX = 255
#: GitLab's limit on issue descriptions (1,048,576 characters).
DESCRIPTION_MAX = 1_048_576

# A project path: group[/subgroup...]/project; each part GitLab's path characters.
_PATH = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_.][A-Za-z0-9_.-]*)+$")


def _check_label(value: str) -> str:
    # The ``labels`` filter and parameter are comma-separated.
    if not value.strip():
        raise ValueError("must not be empty")
    if "," in value:
        raise ValueError("must not contain a comma (GitLab's label lists are comma-separated)")
    return value.strip()


class Pacing(StrictModel):
    """How remediate waits for GitLab: timeouts, retries and the bound on waiting."""

    timeout: float = Field(
        default=15.0, gt=0, description="Seconds to wait for one HTTP answer (less when max_total_wait runs out)."
    )
    max_attempts: int = Field(
        default=4, ge=1, description="Attempts for one request that fails with 5xx or a network error."
    )
    backoff: float = Field(default=1.0, ge=0, description="First wait after a 5xx or network error; doubles each time.")
    max_total_wait: float = Field(
        default=45.0,
        ge=0,
        description="Longest total time one request may take over all its attempts (timeouts, 5xx, network "
        "errors) and the waits between them, rate-limit waits included, before giving up with one line.",
    )


class Tracking(StrictModel):
    """The per-postmortem tracking issue that lists and links its action items."""

    enabled: bool = Field(default=True, description="Keep one tracking issue per postmortem.")
    label: str = Field(default="postmortem", description="Label that marks tracking issues.")
    title: str = Field(default="Postmortem: {title}", description="Title; {title} and {id} are the postmortem's.")
    link_type: str = Field(
        default="relates_to",
        description="Issue link from the tracking issue to each item ('relates_to' works on every tier).",
    )

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        return _check_label(value)


class Config(StrictModel):
    """Settings of the GitLab connector (``[connectors.gitlab]``)."""

    project: str = Field(
        description="Project that receives the issues: its full path (group/project) or numeric id.",
        json_schema_extra={"question": "GitLab project (group/project or numeric id)"},
    )
    label: str = Field(
        default="remediation",
        description="Label put on every action-item issue.",
        json_schema_extra={"question": True},
    )
    postmortem_label: str = Field(
        default="postmortem:{id}", description="Per-postmortem label; {id} is the postmortem id, {date} its date."
    )
    in_progress_label: str | None = Field(
        default="workflow::in progress",
        description="An open issue with this (scoped) label counts as in progress (empty: never).",
    )
    not_doing_labels: list[str] = Field(
        default_factory=lambda: ["won't do", "wontfix", "duplicate", "not planned"],
        description="A closed issue with one of these labels counts as not done (GitLab has no close reason).",
    )
    owners: dict[str, str] = Field(
        default_factory=dict,
        json_schema_extra={"question": "Owner map, document owner -> GitLab username"},
        description="Document owner -> GitLab username. Unmapped owners get no assignee and a warning.",
    )
    full_refresh_hours: float = Field(
        default=24.0,
        ge=0,
        description="Hours between full state reads, which notice deleted and moved issues; 0: always full.",
    )
    tracking: Tracking = Field(default_factory=Tracking)
    pacing: Pacing = Field(default_factory=Pacing)

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        value = value.strip().strip("/")
        if not (value.isdigit() or _PATH.match(value)):
            raise ValueError("must be the project's full path (group/project) or its numeric id")
        return value

    @field_validator("label")
    @classmethod
    def _main_label(cls, value: str) -> str:
        return _check_label(value)

    @field_validator("in_progress_label")
    @classmethod
    def _optional_label(cls, value: str | None) -> str | None:
        return _check_label(value) if value else None

    @field_validator("not_doing_labels")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        return [_check_label(v) for v in value]

    @field_validator("owners")
    @classmethod
    def _usernames(cls, value: dict[str, str]) -> dict[str, str]:
        for name, username in value.items():
            if not re.fullmatch(r"@?[A-Za-z0-9_.][A-Za-z0-9_.-]{0,254}", username.strip()):
                raise ValueError(f"{name!r} -> {username!r} is not a GitLab username")
        return {name: username.strip().lstrip("@") for name, username in value.items()}

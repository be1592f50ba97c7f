"""The ``[connectors.jira]`` table: what the Jira connector can be told, validated once.

Secrets never live here: Cloud reads ``JIRA_USER`` + ``JIRA_API_TOKEN``, Data Center reads
``JIRA_PAT``, and ``JIRA_URL`` may stand in for ``url`` (see :mod:`remediate_jira.auth`).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from remediate.connectors import Status

#: Jira project keys: an uppercase letter, then uppercase letters, digits or underscores.
PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,254}$")
ISSUE_KEY = re.compile(r"^([A-Z][A-Z0-9_]*)-([1-9][0-9]*)$")
PER_POSTMORTEM = "per-postmortem"
#: ``parent = "none"``: no parent at all (TOML has no null, so the opt-out is spelled out).
NO_PARENT = "none"

DEFAULT_PRIORITIES = {"P0": "Highest", "P1": "High", "P2": "Medium", "P3": "Low", "P4": "Lowest"}

# Resolutions that close an issue without doing the work. Jira Cloud ships "Done", "Won't Do",
# "Duplicate", "Cannot Reproduce"; Data Center adds "Won't Fix", "Incomplete"; the rest are common
# in custom schemes. Matched case-insensitively; ``resolution_map`` adds to and overrides these.
DEFAULT_NOT_DOING = (
    "Won't Do",
    "Won't Fix",
    "Duplicate",
    "Cannot Reproduce",
    "Incomplete",
    "Declined",
    "Rejected",
    "Obsolete",
    "Abandoned",
    "Not a Bug",
)


class Config(BaseModel):
    """Settings of the Jira connector; every key has a default except ``project``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = Field(
        default=None,
        description="Base URL of the Jira site, e.g. https://acme.atlassian.net or "
        "https://jira.acme.internal (with any context path). JIRA_URL is used when unset.",
    )
    project: str = Field(
        description="Project key new issues go to (--project overrides it).",
        json_schema_extra={"question": "Jira project key"},
    )
    issue_type: str = Field(default="Task", description="Issue type of the items' issues.")
    labels: list[str] = Field(
        default_factory=lambda: ["remediation"],
        json_schema_extra={"question": "Labels"},
        description="Labels put on every issue. The first one also scopes the state refresh.",
    )
    postmortem_label_prefix: str | None = Field(
        default="postmortem-",
        description="Prefix of the per-postmortem label (prefix + postmortem id); empty to skip.",
    )
    priorities: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_PRIORITIES),
        description="Item priority -> Jira priority name; unmapped priorities keep Jira's default.",
    )
    owners: dict[str, str] = Field(
        default_factory=dict,
        json_schema_extra={"question": "Owner map, document owner -> Jira account"},
        description="Document owner -> Jira account: accountId on Cloud, user name on Data Center. "
        "Unmapped owners leave the issue unassigned (with a warning).",
    )
    components: list[str] = Field(default_factory=list, description="Component names to set.")
    parent: str | None = Field(
        default=PER_POSTMORTEM,
        description='Parent of every issue: "per-postmortem" (the default) for one epic per postmortem, '
        'created and kept up to date by remediate; an issue key (an epic, "OPS-7"); or "none".',
    )
    parent_field: str | None = Field(
        default=None,
        description='Field that links an issue to its parent: "parent" (Cloud, and sub-tasks) or '
        'the Epic Link custom field id on Data Center, e.g. "customfield_10008". Default: "parent" '
        'on Cloud, the field named "Epic Link" on Data Center.',
    )
    group_issue_type: str = Field(
        default="Epic",
        description='Issue type of the "per-postmortem" parent issues. When left at Epic and the project '
        "has no Epic type, the parent is an issue of issue_type and the items are grouped by the "
        "per-postmortem label instead (one warning per run).",
    )
    remote_links: Literal["auto", "all", "parent", "none"] = Field(
        default="auto",
        description="Web links to the postmortem document: on every item issue (all), on the "
        'per-postmortem parent only (parent), or none. auto: "parent" with parent = "per-postmortem" '
        "(the items link to it and their descriptions link to the document), else all.",
    )
    status_map: dict[str, Status] = Field(
        default_factory=dict,
        description="Status name -> open | in_progress | done | not_doing, for custom workflows; "
        "statuses not listed are mapped by their status category.",
    )
    resolution_map: dict[str, Status] = Field(
        default_factory=dict,
        description="Resolution name -> done | not_doing for issues in a done-category status; "
        "added to the built-in list (Won't Do, Duplicate, ... -> not_doing).",
    )
    done_transition: str | None = Field(
        default=None,
        description="Name of the transition that closes an issue as done; default: the first "
        "available transition into a done-category status.",
    )
    reopen_transition: str | None = Field(
        default=None,
        description="Name of the transition that reopens an issue; default: the first available "
        "transition into a to-do-category status.",
    )
    deployment: Literal["auto", "cloud", "datacenter"] = Field(
        default="auto", description="cloud or datacenter; auto reads serverInfo deploymentType."
    )
    api_version: Literal[2, 3] = Field(
        default=2,
        description="REST API version: 2 sends descriptions as wiki markup (Cloud and Data "
        "Center), 3 as Atlassian Document Format (Cloud only).",
    )
    fields: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra field values sent on create, as Jira's REST API expects them, e.g. "
        '{ customfield_10050 = { value = "SRE" } } for a required custom field.',
    )
    timeout: float = Field(
        default=30.0, gt=0, description="Seconds to wait for one response (less when max_total_wait runs out)."
    )
    max_retries: int = Field(default=4, ge=0, le=10, description="Retries after a 429, a 503 or a network error.")
    max_wait: float = Field(
        default=60.0,
        gt=0,
        description="Longest wait before one retry; a longer Retry-After fails at once instead.",
    )
    max_total_wait: float = Field(
        default=45.0,
        gt=0,
        description="Longest total time one request may take over all its attempts (timeouts, 5xx, network "
        "errors) and the waits between them before giving up with one line; waits a 429 asks for are "
        "bounded by max_wait instead.",
    )

    @field_validator("project")
    @classmethod
    def _project_key(cls, value: str) -> str:
        key = value.strip().upper()
        if not PROJECT_KEY.match(key):
            raise ValueError(f"{value!r} is not a Jira project key (like OPS)")
        return key

    @field_validator("parent")
    @classmethod
    def _parent(cls, value: str | None) -> str | None:
        if value is None or value.strip().casefold() == NO_PARENT:
            return None
        if value == PER_POSTMORTEM:
            return value
        key = value.strip().upper()
        if not ISSUE_KEY.match(key):
            raise ValueError(f'expected an issue key like OPS-7, "{PER_POSTMORTEM}" or "{NO_PARENT}"')
        return key

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        for label in value:
            if not label or any(ch.isspace() for ch in label):
                raise ValueError(f"Jira labels cannot be empty or contain spaces: {label!r}")
        return value

    @field_validator("status_map", "resolution_map")
    @classmethod
    def _fold_names(cls, value: dict[str, Status]) -> dict[str, Status]:
        # Status and resolution names are matched case-insensitively, like Jira's own JQL.
        return {name.casefold(): status for name, status in value.items()}

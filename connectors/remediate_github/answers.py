"""The fields of GitHub's answers that the connector reads, validated at the edge.

The connector keeps working on GitHub's JSON dicts; the transport checks every successful
answer against one of these shapes first (:func:`remediate.answers.check`, strict: a value must
already have its JSON type), so ``issue["number"]`` is an int wherever it is read and a
malformed answer is one line naming the request, never a KeyError or a TypeError.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator

from remediate.answers import StrictAnswer


def _timestamp(value: str) -> str:
    try:
        datetime.fromisoformat(value)  # what reading.parse_time will do with it
    except ValueError:
        raise ValueError("not an ISO 8601 timestamp") from None  # Python's message quotes the value
    return value


#: A GitHub timestamp (``2024-05-01T12:00:00Z``), kept as the string GitHub sent.
Timestamp = Annotated[str, AfterValidator(_timestamp)]


class Label(StrictAnswer):
    """An entry of an issue's ``labels`` (GitHub also accepts plain names there)."""

    name: str


class Issue(StrictAnswer):
    """An issue (or pull request) as ``/issues`` endpoints return it."""

    id: int
    number: int
    state: Literal["open", "closed"]
    title: str | None = None
    body: str | None = None
    state_reason: str | None = None
    labels: list[Label | str] = []
    updated_at: Timestamp | None = None
    html_url: str | None = None
    repository_url: str | None = None
    pull_request: dict[str, Any] | None = None


class Repository(StrictAnswer):
    """``GET /repos/{owner}/{repo}``."""

    full_name: str
    has_issues: bool | None = None
    permissions: dict[str, bool] | None = None


class SubIssue(StrictAnswer):
    """An entry of ``GET /repos/{owner}/{repo}/issues/{number}/sub_issues``."""

    id: int


class Hook(StrictAnswer):
    """A repository webhook (``GET``/``POST /repos/{owner}/{repo}/hooks``); GitHub shows no secret."""

    id: int
    active: bool
    events: list[str]
    config: dict[str, Any]


Issues = list[Issue]
Hooks = list[Hook]
SubIssues = list[SubIssue]

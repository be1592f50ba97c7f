"""The fields of GitLab's answers that remediate uses, validated at the edge.

A malformed answer (a proxy's HTML page, a wrong-shape JSON) becomes one ConnectorError naming
the request, never a KeyError deep inside the connector.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from remediate import answers
from remediate.answers import Answer as _Answer
from remediate_gitlab.transport import TRACKER


class Project(_Answer):
    """``GET /projects/:id``."""

    id: int
    path_with_namespace: str
    web_url: str


class Issue(_Answer):
    """An issue as every issues endpoint returns it."""

    id: int
    iid: int
    project_id: int
    title: str
    description: str | None = None
    state: str  # "opened" | "closed"
    labels: list[str] = []
    updated_at: datetime
    closed_at: datetime | None = None
    web_url: str
    moved_to_id: int | None = None


class User(_Answer):
    """``GET /users?username=`` entries and ``GET /user``."""

    id: int
    username: str


class Link(_Answer):
    """``GET /projects/:id/issues/:iid/links`` entries: the linked issue."""

    iid: int
    project_id: int


class Hook(_Answer):
    """A project webhook (``GET``/``POST``/``PUT /projects/:id/hooks``); GitLab never shows its token."""

    id: int
    url: str
    issues_events: bool = False
    confidential_issues_events: bool = False
    push_events: bool = True
    enable_ssl_verification: bool = True


A = TypeVar("A", bound=_Answer)


def parse(model: type[A], data: Any, what: str, request: str | None = None) -> A:
    """``data`` as ``model``, or a one-line ConnectorError naming the request (``GET /projects/...``)."""
    return answers.parse(model, data, tracker=TRACKER, request=request, what=what)


def parse_list(model: type[A], data: Any, what: str, request: str | None = None) -> list[A]:
    """``data`` as a list of ``model``."""
    return answers.parse_list(model, data, tracker=TRACKER, request=request, what=what)

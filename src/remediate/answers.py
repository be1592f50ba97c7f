"""Trackers' answers, validated at the edge: one pydantic shape per answer a connector reads.

A malformed answer (a proxy's HTML page served with 200, an empty or truncated body, a list
where an object belongs, a missing ``number``, a string where an integer belongs) becomes one
:class:`~remediate.errors.ConnectorError` that names the request (method and path, never the
query string) and what was wrong with it, never a KeyError deep inside a connector and never
the body itself (it may echo a token back).

Each connector declares models for the fields it uses (``extra="ignore"``: everything else is
the tracker's business) and calls :func:`parse` (a model back) or :func:`check` (the JSON back,
checked: for code that keeps working on the tracker's dicts) on every answer it reads;
:func:`decode` turns a body into JSON, or the same one-line error.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from remediate.errors import ConnectorError

#: How much of a location (``issues.3.number``) a message may show, and what a part may look like.
_WHERE_MAX = 80
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,40}|[0-9]{1,9}")


class Answer(BaseModel):
    """Base of every answer model: unknown fields ignored, values read-only."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class StrictAnswer(Answer):
    """An answer whose values must already have their JSON types ("12" is not a number).

    For connectors that validate and then keep reading the tracker's dicts: what the model
    accepted is then exactly what the code finds there.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


A = TypeVar("A", bound=Answer)


def request_name(method: str, url: str) -> str:
    """``GET /rest/api/2/search`` for a method and a URL or path: the path only, no query."""
    path = urlsplit(url).path or url.split("?", 1)[0]
    return f"{method.upper()} {path}"


class Malformed(ConnectorError):
    """A tracker's answer that is not JSON or not of the shape its request gets.

    For a write it does not prove the write was ignored: callers that can look first do.
    """


def malformed(tracker: str, request: str | None, problem: str, *, what: str | None = None) -> Malformed:
    """The one-line error for an answer that is not what ``request`` (while ``what``) should get."""
    name = {"github": "GitHub", "gitlab": "GitLab", "jira": "Jira"}.get(tracker, tracker)
    to = f" to {request}" if request else ""
    during = f" while {what}" if what else ""
    return Malformed(
        f"{name} sent a malformed answer{to}{during} ({problem}); if this repeats, check the "
        "tracker's URL and any proxy in front of it",
        tracker=tracker,
    )


def decode(
    body: bytes | str | None, *, tracker: str, request: str | None, status: int | None = None, what: str | None = None
) -> Any:
    """The JSON in ``body`` (None when it is empty), or the one-line malformed error."""
    if body is None or not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        said = f"HTTP {status} with a body" if status is not None else "a body"
        raise malformed(tracker, request, f"{said} that is not JSON", what=what) from None


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string" if isinstance(value, str) else "null"


def _problem(error: ValidationError, data: Any) -> str:
    """What was wrong, in words: where and which rule, never the offending value itself."""
    if data is None:
        return "empty body"
    first = error.errors(include_url=False, include_input=False)[0]
    if not first["loc"]:
        wanted = "a list" if first["type"] == "list_type" else "an object"
        return f"expected {wanted}, got {_kind(data)}"
    # A location may hold the tracker's own keys (of a dict field): only names like ours are shown.
    where = ".".join(str(part) if _NAME.fullmatch(str(part)) else "?" for part in first["loc"])[:_WHERE_MAX]
    return f"{where}: {first['msg']}"


@cache
def _adapter(shape: Any) -> TypeAdapter[Any]:
    return TypeAdapter(shape)


def parse(model: type[A], data: Any, *, tracker: str, request: str | None, what: str | None = None) -> A:
    """``data`` as ``model``, or the one-line malformed error naming ``request``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise malformed(tracker, request, _problem(exc, data), what=what) from None


def parse_list(model: type[A], data: Any, *, tracker: str, request: str | None, what: str | None = None) -> list[A]:
    """``data`` as a list of ``model``."""
    try:
        return list(_adapter(list[model]).validate_python(data))  # type: ignore[valid-type]
    except ValidationError as exc:
        raise malformed(tracker, request, _problem(exc, data), what=what) from None


def check(shape: Any, data: Any, *, tracker: str, request: str | None, what: str | None = None) -> Any:
    """``data`` itself once it has the shape ``shape`` (a model, or e.g. ``list[Model]``)."""
    try:
        _adapter(shape).validate_python(data)
    except ValidationError as exc:
        raise malformed(tracker, request, _problem(exc, data), what=what) from None
    return data

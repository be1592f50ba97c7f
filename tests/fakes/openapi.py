"""Checks that a request matches an OpenAPI description, so fakes cannot accept what the real API rejects.

openapi-core validates the path, the method, the declared query parameters (types, enums)
and the JSON body against its schema. On top of that we refuse what the real service would
silently ignore, because ignoring hides bugs: query parameters the operation does not declare,
body keys its schema does not list, and ``per_page`` over 100 (GitHub quietly caps it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.exceptions import OpenAPIError
from werkzeug.datastructures import Headers, ImmutableMultiDict

CONTRACTS = Path(__file__).resolve().parent.parent / "contracts"
GITHUB_SPEC = CONTRACTS / "github-issues.openapi.json"


@dataclass
class _Request:
    """The request shape openapi-core reads (its ``Request`` protocol)."""

    host_url: str
    path: str
    method: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str


def _null_in_nullable_enums(node: Any) -> None:
    # OpenAPI 3.0 leaves open whether ``nullable: true`` admits null when an ``enum`` is given;
    # openapi-core says no, GitHub sends it (``"state_reason":null`` in the 2025 recording
    # Repository.testGetIssuesWithTypeArgument.txt). Responses are checked with null admitted.
    if isinstance(node, dict):
        if node.get("nullable") and isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
        for value in node.values():
            _null_in_nullable_enums(value)
    elif isinstance(node, list):
        for value in node:
            _null_in_nullable_enums(value)


@cache
def _load(path: Path, responses: bool = False) -> tuple[OpenAPI, dict[str, Any]]:
    spec = json.loads(path.read_text(encoding="utf-8"))
    if responses:
        _null_in_nullable_enums(spec)
    return OpenAPI.from_dict(spec), spec


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _template_match(template: str, path: str) -> bool:
    parts, actual = template.strip("/").split("/"), path.strip("/").split("/")
    return len(parts) == len(actual) and all(
        p == a or (p.startswith("{") and p.endswith("}")) for p, a in zip(parts, actual, strict=True)
    )


class OpenApiCheck:
    """Validates requests against one OpenAPI document; ``problems`` is empty when all is well."""

    def __init__(self, path: Path = GITHUB_SPEC) -> None:
        self.path = path
        self.openapi, self.spec = _load(path)
        self.server = self.spec["servers"][0]["url"]

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        """The operation object for ``method path`` (a concrete path), or None."""
        exact = [t for t in self.spec["paths"] if _template_match(t, path)]
        # Prefer the template with the most literal segments (/labels/{name} vs /{issue_number}).
        exact.sort(key=lambda t: -sum(not s.startswith("{") for s in t.split("/")))
        for template in exact:
            operation = self.spec["paths"][template].get(method.lower())
            if operation is not None:
                return dict(operation)
        return None

    def problems(self, method: str, path: str, query: list[tuple[str, str]], body: bytes | None) -> list[str]:
        """Everything about this request that the API description does not allow."""
        operation = self.operation(method, path)
        if operation is None:
            return [f"{method} {path}: no such operation in the API description"]
        found: list[str] = []
        declared = {
            _resolve(self.spec, p)["name"]
            for p in operation.get("parameters", [])
            if _resolve(self.spec, p)["in"] == "query"
        }
        for name, value in query:
            if name not in declared:
                found.append(f"{method} {path}: query parameter {name!r} is not declared")
            if name == "per_page" and value.isdigit() and int(value) > 100:
                found.append(f"{method} {path}: per_page={value} exceeds GitHub's maximum of 100")
        if body:
            try:
                data = json.loads(body)
            except ValueError:
                return [*found, f"{method} {path}: body is not JSON"]
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            schema = _resolve(self.spec, content["schema"]) if content else {}
            known = schema.get("properties")
            if isinstance(data, dict) and known is not None:
                found += [f"{method} {path}: body key {key!r} is not in the schema" for key in data if key not in known]
        request = _Request(
            host_url=self.server,
            path=path,
            method=method.lower(),
            parameters=RequestParameters(
                query=ImmutableMultiDict(query),
                header=Headers({"Content-Type": "application/json"}),
            ),
            body=body or None,
            content_type="application/json",
        )
        try:
            self.openapi.validate_request(request)
        except OpenAPIError as exc:  # one of openapi-core's many validation errors
            detail = "; ".join(str(e) for e in getattr(exc, "schema_errors", []) or []) or str(exc.__cause__ or "")
            found.append(f"{method} {path}: {exc.__class__.__name__}: {exc} {detail}".strip())
        return found

    def response_problems(
        self, method: str, path: str, status: int, body: bytes | None, content_type: str
    ) -> list[str]:
        """Problems of a response against the description (used to check the fake itself)."""
        from openapi_core.testing import MockRequest, MockResponse

        request = MockRequest(self.server, method.lower(), path, content_type="application/json")
        response = MockResponse(body or b"", status_code=status, content_type=content_type)
        try:
            _load(self.path, responses=True)[0].validate_response(request, response)
        except OpenAPIError as exc:
            detail = "; ".join(str(e) for e in getattr(exc, "schema_errors", []) or [])
            return [f"{method} {path} -> {status}: {exc.__class__.__name__}: {exc} {detail}".strip()]
        return []

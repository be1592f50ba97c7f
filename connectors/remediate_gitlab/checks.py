"""``remediate doctor`` for GitLab: the token, its scopes and the project, three GET requests.

- ``token``: ``GET /api/v4/user`` answers who the token belongs to (401: refused);
- ``scopes``: ``GET /api/v4/personal_access_tokens/self`` lists a personal, project or group
  access token's scopes, which must hold ``api`` (``read_api`` cannot file issues); other tokens
  (OAuth) and GitLab before 15.5 do not answer it, which is said, not failed;
- ``project``: ``GET /api/v4/projects/{path}`` finds the configured project with issues enabled
  (404: it does not exist or the token's user is no member of a private one).

Nothing is retried (``max_attempts = 1``), so an unreachable instance fails at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from remediate.connectors import Check, error_check, unreachable_check
from remediate.errors import ConnectorError, Unavailable
from remediate_gitlab.config import Config
from remediate_gitlab.text import project_path
from remediate_gitlab.transport import TOKEN_VAR, URL_VAR, Clock, Sleep, Transport

_TOKEN_FIX = f"set {TOKEN_VAR} to a GitLab access token with the 'api' scope"


def live_checks(config: Config, env: Mapping[str, str], *, clock: Clock, sleep: Sleep) -> list[Check]:
    """The token, scope and project checks; a failed token check skips the others."""
    once = config.pacing.model_copy(update={"max_attempts": 1, "max_total_wait": 0.0})
    transport = Transport(config.model_copy(update={"pacing": once}), env, clock=clock, sleep=sleep)
    where = f"GitLab at {transport.url}"
    try:
        _, user, _ = transport.request("get", "/user", "reading the token's user")
    except Unavailable as exc:
        return [unreachable_check("token", where, exc, f"check {URL_VAR} and the network")]
    except ConnectorError as exc:
        return [error_check("token", exc, _TOKEN_FIX)]
    name = user.get("username") if isinstance(user, dict) else None
    checks = [Check("token", "ok", f"accepted by {where} (user {name or 'unknown'})")]
    checks.append(_scopes(transport, where))
    checks.append(_project(transport, config.project, where))
    return checks


def _scopes(transport: Transport, where: str) -> Check:
    try:
        status, data, _ = transport.request(
            "get", "/personal_access_tokens/self", "reading the token's scopes", accept=(403, 404)
        )
    except ConnectorError as exc:
        if exc.status != 401:  # 401 here, after /user worked: a token kind this endpoint does not know
            return error_check("scopes", exc)
        status, data = 401, None
    if status != 200 or not isinstance(data, dict) or not isinstance(data.get("scopes"), list):
        return Check(
            "scopes",
            "info",
            f"{where} did not list the token's scopes (not a personal, project or group access token, "
            "or GitLab before 15.5); the project check shows what it may read",
        )
    scopes = sorted(str(s) for s in data["scopes"])
    shown = ", ".join(scopes) or "none"
    if "api" in scopes:
        return Check("scopes", "ok", f"token scopes: {shown}")
    return Check(
        "scopes",
        "fail",
        f"missing scope: the token has scopes {shown}; filing and editing issues needs api",
        f"create a token with the api scope and put it in {TOKEN_VAR}",
    )


def _project(transport: Transport, project: str, where: str) -> Check:
    fix = "check [connectors.gitlab] project (or --project) and that the token's user is a member"
    try:
        _, data, _ = transport.request("get", f"/projects/{project_path(project)}", f"reading the project {project}")
    except Unavailable as exc:
        return unreachable_check("project", where, exc)
    except ConnectorError as exc:
        return error_check("project", exc, fix, subject="project")
    info: dict[str, Any] = data if isinstance(data, dict) else {}
    if info.get("issues_enabled") is False:
        return Check(
            "project", "fail", f"issues disabled: {project} has issues turned off", "enable issues in its settings"
        )
    return Check("project", "ok", f"{info.get('path_with_namespace') or project} is visible to the token")

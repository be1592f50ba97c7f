"""``remediate doctor`` for GitHub: the token, its scopes and the repository, two GET requests.

- ``token``: ``GET /user`` answers 200 (401: the token is refused; unreachable: no answer);
- ``scopes``: a classic token's ``X-OAuth-Scopes`` header must hold ``repo`` (or
  ``public_repo``, enough for public repositories); fine-grained tokens and GitHub App tokens
  send no such header, which is said, not failed;
- ``repository``: ``GET /repos/{owner}/{repo}`` answers 200 with issues enabled and, when the
  answer has a ``permissions`` block, the right to write issues (push, or triage and above).

Requests are sent once: no retry, no rate-limit wait, so an unreachable server fails at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from remediate.connectors import Check, error_check, unreachable_check
from remediate.errors import ConnectorError, NotFound, Unavailable
from remediate.secrets import scrub_error
from remediate_github.api import PUSH_ROLES
from remediate_github.config import Config
from remediate_github.edge import TOKEN_VAR, URL_VAR, error_for, translate
from remediate_github.ratelimit import Clock, Sleep
from remediate_github.transport import Response, Transport

_TOKEN_FIX = f"set {TOKEN_VAR} to a valid token (classic with the repo scope, or fine-grained with Issues: write)"


def live_checks(config: Config, env: Mapping[str, str], *, clock: Clock, sleep: Sleep) -> list[Check]:
    """The token, scope and repository checks, in that order; a failure skips what depends on it."""
    once = config.pacing.model_copy(update={"max_attempts": 1, "rate_limit_retries": 0, "max_wait": 0.0})
    transport = Transport(config.model_copy(update={"pacing": once}), env, clock=clock, sleep=sleep)
    base = transport.base_url
    try:
        user = _get(transport, "/user", "reading the authenticated user")
    except Unavailable as exc:
        return [_unreachable("token", exc, base)]
    except ConnectorError as exc:
        return [error_check("token", exc, _TOKEN_FIX)]
    if user.status != 200:
        error = error_for(user.status, user.data, "reading the authenticated user", repo=config.repo)
        return [error_check("token", scrub_error(error, transport.secrets), _TOKEN_FIX)]
    login = user.data.get("login") if isinstance(user.data, dict) else None
    checks = [Check("token", "ok", f"accepted by GitHub at {base} (user {login or 'unknown'})")]
    checks.append(_scopes(user.headers))
    checks.append(_repository(transport, config.repo, base))
    return checks


def _unreachable(name: str, error: Unavailable, base: str) -> Check:
    return unreachable_check(name, f"GitHub at {base}", error, f"check {URL_VAR} and the network")


def _get(transport: Transport, path: str, what: str) -> Response:
    with translate(transport.secrets, base_url=transport.base_url):
        return transport.request("GET", path, what=what)


def _scopes(headers: Mapping[str, str]) -> Check:
    raw = headers.get("x-oauth-scopes")
    if raw is None:
        return Check(
            "scopes",
            "info",
            "GitHub sent no X-OAuth-Scopes header: a fine-grained or GitHub App token, whose "
            "permissions have no header to read; the repository check shows what it may do",
        )
    scopes = sorted(s.strip() for s in raw.split(",") if s.strip())
    shown = ", ".join(scopes) or "none"
    if "repo" in scopes:
        return Check("scopes", "ok", f"classic token with scopes: {shown}")
    if "public_repo" in scopes:
        return Check(
            "scopes",
            "ok",
            f"classic token with scopes: {shown} (public_repo: public repositories only)",
            "add the repo scope for a private repository",
        )
    return Check(
        "scopes",
        "fail",
        f"missing scope: the classic token has scopes {shown}; it needs repo (or public_repo for a public repository)",
        f"give the token in {TOKEN_VAR} the repo scope",
    )


def _repository(transport: Transport, repo: str, base: str) -> Check:
    what = f"reading the repository {repo}"
    fix = f"check [connectors.github] repo (or --repo) and which repositories the token in {TOKEN_VAR} may access"
    try:
        answer = _get(transport, f"/repos/{repo}", what)
    except Unavailable as exc:
        return _unreachable("repository", exc, base)
    except ConnectorError as exc:
        return error_check("repository", exc, fix)
    if answer.status == 404:
        error: ConnectorError = NotFound(
            f"{repo} does not exist at {base}, or the token cannot see it", tracker="github", status=404
        )
        return error_check("repository", error, fix, subject="repository")
    if answer.status != 200:
        error = scrub_error(error_for(answer.status, answer.data, what, repo=repo), transport.secrets)
        return error_check("repository", error, fix)
    data: dict[str, Any] = answer.data if isinstance(answer.data, dict) else {}
    if data.get("has_issues") is False:
        return Check(
            "repository", "fail", f"issues disabled: {repo} has issues turned off", "enable issues in its settings"
        )
    permissions = data.get("permissions")
    if not isinstance(permissions, dict):
        return Check("repository", "ok", f"{repo} is readable (GitHub did not say whether the token may write)")
    granted = [role for role in PUSH_ROLES if permissions.get(role)]
    if not granted:
        return Check(
            "repository",
            "fail",
            f"forbidden: the token can read {repo} but not write its issues (permissions.push is false)",
            f"give the token in {TOKEN_VAR} write (or triage) access to {repo}",
        )
    return Check("repository", "ok", f"{repo} is readable and writable (permissions: {', '.join(granted)})")

"""Where the Jira connector's site URL and credentials come from: config and environment only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from pydantic import SecretStr

from remediate.errors import AuthError, ConfigError

Deployment = Literal["cloud", "datacenter"]

CLOUD_VARS = "JIRA_USER and JIRA_API_TOKEN"
DC_VARS = "JIRA_PAT"


@dataclass(frozen=True)
class Credentials:
    """One way to authenticate: HTTP Basic (Cloud email + API token) or Bearer (Data Center PAT)."""

    kind: Literal["basic", "bearer"]
    user: str | None = None
    secret: SecretStr = SecretStr("")  # never printed, logged or stored: read where the session is built

    @property
    def variables(self) -> str:
        """The environment variables these credentials came from, for error messages."""
        return CLOUD_VARS if self.kind == "basic" else DC_VARS


def site_url(configured: str | None, env: Mapping[str, str]) -> str:
    """The Jira base URL from ``url`` or ``JIRA_URL``, without a trailing slash."""
    raw = (configured or env.get("JIRA_URL") or "").strip()
    if not raw:
        raise ConfigError("Jira site unknown: set url in [connectors.jira] or the JIRA_URL environment variable")
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"[connectors.jira] url <- not an http(s) URL: {raw!r}")
    if parts.username or parts.password:
        # Credentials in the URL would end up in logs and error messages.
        raise ConfigError(
            "[connectors.jira] url <- must not contain credentials; use JIRA_USER and "
            "JIRA_API_TOKEN (Cloud) or JIRA_PAT (Data Center)"
        )
    return raw.rstrip("/")


def _basic(env: Mapping[str, str]) -> Credentials | None:
    user, token = env.get("JIRA_USER", "").strip(), env.get("JIRA_API_TOKEN", "").strip()
    if user and token:
        return Credentials("basic", user, SecretStr(token))
    if user or token:
        missing = "JIRA_API_TOKEN" if user else "JIRA_USER"
        raise AuthError(
            f"{missing} is not set: Jira Cloud needs both JIRA_USER (the Atlassian account "
            "email) and JIRA_API_TOKEN (an API token of that account)",
            tracker="jira",
        )
    return None


def _bearer(env: Mapping[str, str]) -> Credentials | None:
    token = env.get("JIRA_PAT", "").strip()
    return Credentials("bearer", None, SecretStr(token)) if token else None


def choose_credentials(
    env: Mapping[str, str], deployment: Deployment | None
) -> Credentials | tuple[Credentials, Credentials]:
    """The credentials to use; a pair (basic, bearer) when only serverInfo can decide."""
    basic, bearer = _basic(env), _bearer(env)
    if deployment == "cloud":
        if basic is None:
            raise AuthError(
                "Jira Cloud credentials missing: set JIRA_USER (the Atlassian account email) "
                "and JIRA_API_TOKEN (an API token of that account) in the environment",
                tracker="jira",
            )
        return basic
    if deployment == "datacenter":
        if bearer is None:
            raise AuthError(
                "Jira Data Center credentials missing: set JIRA_PAT (a personal access token) in the environment",
                tracker="jira",
            )
        return bearer
    if basic and bearer:
        return basic, bearer
    if basic or bearer:
        return basic or bearer  # type: ignore[return-value]
    raise AuthError(
        "Jira credentials missing: set JIRA_USER and JIRA_API_TOKEN (Jira Cloud) or JIRA_PAT "
        "(Jira Data Center) in the environment",
        tracker="jira",
    )

"""``remediate doctor`` for Jira: the credentials and the project, two GET requests.

- ``account``: ``GET /rest/api/{2|3}/myself`` (the connector's API version) answers who the
  credentials belong to (401: refused; unreachable: no answer);
- ``project``: ``GET /rest/api/{2|3}/project/{key}`` finds the configured project (404: it does
  not exist or the account cannot browse it).

Nothing is retried (``max_retries = 0``), so an unreachable site fails at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from remediate.connectors import Check, ConnectorContext, error_check, unreachable_check
from remediate.errors import ConnectorError, Unavailable
from remediate_jira.config import Config
from remediate_jira.site import Site

_CREDENTIALS_FIX = "check JIRA_USER and JIRA_API_TOKEN (Jira Cloud) or JIRA_PAT (Data Center)"


def live_checks(
    config: Config,
    context: ConnectorContext,
    server: str,
    *,
    sleep: Callable[[float], None],
    clock: Callable[[], datetime],
) -> list[Check]:
    """The account and project checks; a failed account check skips the project."""
    site = Site(config.model_copy(update={"max_retries": 0}), context, server, sleep=sleep, clock=clock)
    try:
        transport = site.transport  # connects: chooses the credentials, may read serverInfo
        me = transport.request("GET", "myself", "read the account of the credentials")
    except Unavailable as exc:
        return [unreachable_check("account", f"Jira at {server}", exc, "check [connectors.jira] url / JIRA_URL")]
    except ConnectorError as exc:
        return [error_check("account", exc, _CREDENTIALS_FIX)]
    who = me if isinstance(me, dict) else {}
    name = who.get("displayName") or who.get("name") or who.get("accountId") or "an unnamed account"
    checks = [
        Check(
            "account",
            "ok",
            f"Jira {site.deployment} at {server} accepts the credentials of {name} (REST API v{config.api_version})",
        )
    ]
    key = config.project
    fix = "check [connectors.jira] project (or --project) and that the account may browse it"
    try:
        project = transport.request("GET", f"project/{key}", f"read the project {key}")
    except Unavailable as exc:
        checks.append(unreachable_check("project", f"Jira at {server}", exc))
    except ConnectorError as exc:
        checks.append(error_check("project", exc, fix, subject="project"))
    else:
        title = project.get("name") if isinstance(project, dict) else None
        checks.append(Check("project", "ok", f"{key} ({title or 'no name'}) is visible to the account"))
    return checks

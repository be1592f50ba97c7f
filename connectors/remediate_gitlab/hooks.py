"""GitLab webhook deliveries: ``X-Gitlab-Token`` checked, issue events parsed.

GitLab sends the secret token set on a project webhook (or a system hook) verbatim in
``X-Gitlab-Token``; it signs nothing. ``X-Gitlab-Event`` is ``Issue Hook`` (``Confidential
Issue Hook`` for confidential issues, ``System Hook`` with ``object_kind: issue`` for system
hooks). ``Idempotency-Key`` (GitLab 17.4+) stays the same when a delivery is retried;
``X-Gitlab-Event-UUID`` identifies the event on older versions. The secret is read from
``REMEDIATE_GITLAB_WEBHOOK_SECRET``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from remediate.connectors import (
    TicketRef,
    WebhookError,
    WebhookEvent,
    WebhookRequest,
    token_matches,
    webhook_json,
)
from remediate_gitlab.transport import TRACKER

SECRET_VAR = "REMEDIATE_GITLAB_WEBHOOK_SECRET"
ISSUE_EVENTS = frozenset({"Issue Hook", "Confidential Issue Hook", "System Hook"})


def verify(request: WebhookRequest, env: Mapping[str, str]) -> WebhookEvent:
    """Verify one delivery and say what it names (see :class:`remediate.connectors.Webhooks`)."""
    secret = env.get(SECRET_VAR, "").strip()  # a secret file's trailing newline is not part of it
    if not secret:
        raise WebhookError(404, f"GitLab webhooks are off: {SECRET_VAR} is not set")
    given = request.headers.get("x-gitlab-token")
    if not given:
        raise WebhookError(401, "no X-Gitlab-Token header (set the webhook's secret token on GitLab)")
    if not token_matches(secret, given):
        raise WebhookError(401, "X-Gitlab-Token does not match the secret")
    headers = request.headers
    delivery = headers.get("idempotency-key") or headers.get("x-gitlab-event-uuid") or None
    name = headers.get("x-gitlab-event", "")
    payload = webhook_json(request.body)
    if name not in ISSUE_EVENTS or payload.get("object_kind") != "issue":
        return WebhookEvent("ignored", delivery, event=name or "unnamed")
    attributes = payload.get("object_attributes")
    action = attributes.get("action") if isinstance(attributes, dict) else None
    return WebhookEvent("tickets", delivery, (_ref(payload),), f"issue.{action or 'unknown'}")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _ref(payload: Mapping[str, Any]) -> TicketRef:
    attributes, project = payload.get("object_attributes"), payload.get("project")
    if not isinstance(attributes, dict) or not isinstance(project, dict):
        raise WebhookError(400, "an issue event without object_attributes and project objects")
    iid, issue_id, path = _int(attributes.get("iid")), _int(attributes.get("id")), project.get("path_with_namespace")
    if iid is None or not isinstance(path, str) or "/" not in path:
        raise WebhookError(400, "an issue event without object_attributes.iid and project.path_with_namespace")
    url = attributes.get("url") if isinstance(attributes.get("url"), str) else None
    return TicketRef(TRACKER, f"{path}#{iid}", url, str(issue_id) if issue_id is not None else None)

"""GitHub webhook deliveries: ``X-Hub-Signature-256`` checked, ``issues`` events parsed.

GitHub signs every delivery of a webhook that has a secret with ``X-Hub-Signature-256:
sha256=<hex HMAC-SHA256 of the raw body>``; ``X-GitHub-Delivery`` is a GUID that a redelivery
keeps; ``X-GitHub-Event`` names the event (``ping`` when the hook is created, ``issues`` for
the ones remediate acts on). The secret is read from ``REMEDIATE_GITHUB_WEBHOOK_SECRET``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from remediate.connectors import (
    TicketRef,
    WebhookError,
    WebhookEvent,
    WebhookRequest,
    signature_matches,
    webhook_json,
)
from remediate_github.edge import TRACKER

SECRET_VAR = "REMEDIATE_GITHUB_WEBHOOK_SECRET"
#: ``issues`` actions that can change what remediate knows about a ticket.
ACTIONS = frozenset({"closed", "reopened", "labeled", "unlabeled", "transferred", "deleted"})


def verify(request: WebhookRequest, env: Mapping[str, str]) -> WebhookEvent:
    """Verify one delivery and say what it names (see :class:`remediate.connectors.Webhooks`)."""
    secret = env.get(SECRET_VAR, "").strip()  # a secret file's trailing newline is not part of it
    if not secret:
        raise WebhookError(404, f"GitHub webhooks are off: {SECRET_VAR} is not set")
    if not request.headers.get("x-hub-signature-256"):
        raise WebhookError(401, "no X-Hub-Signature-256 header (set the webhook's secret on GitHub)")
    if not signature_matches(secret, request.body, request.headers.get("x-hub-signature-256")):
        raise WebhookError(401, "X-Hub-Signature-256 does not match the body and the secret")
    delivery = request.headers.get("x-github-delivery") or None
    name = request.headers.get("x-github-event", "")
    payload = webhook_json(request.body)
    if name == "ping":
        return WebhookEvent("ping", delivery, event="ping")
    if name != "issues":
        return WebhookEvent("ignored", delivery, event=name or "unnamed")
    action = payload.get("action")
    if not isinstance(action, str):
        raise WebhookError(400, "an issues event without an action")
    if action not in ACTIONS:
        return WebhookEvent("ignored", delivery, event=f"issues.{action}")
    return WebhookEvent("tickets", delivery, (_ref(payload),), f"issues.{action}")


def _ref(payload: Mapping[str, Any]) -> TicketRef:
    issue, repository = payload.get("issue"), payload.get("repository")
    if not isinstance(issue, dict) or not isinstance(repository, dict):
        raise WebhookError(400, "an issues event without issue and repository objects")
    number, issue_id, full_name = issue.get("number"), issue.get("id"), repository.get("full_name")
    if (
        not isinstance(number, int)
        or isinstance(number, bool)
        or not isinstance(full_name, str)
        or "/" not in full_name
    ):
        raise WebhookError(400, "an issues event without issue.number and repository.full_name")
    remote_id = str(issue_id) if isinstance(issue_id, int) and not isinstance(issue_id, bool) else None
    url = issue.get("html_url") if isinstance(issue.get("html_url"), str) else None
    return TicketRef(TRACKER, f"{full_name}#{number}", url, remote_id)

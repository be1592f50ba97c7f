"""Jira webhook deliveries: ``X-Hub-Signature`` or a secret in the URL, issue events parsed.

Jira Cloud signs the deliveries of admin-registered webhooks that have a secret (System >
WebHooks, or ``/rest/webhooks/1.0/webhook``) with ``X-Hub-Signature: sha256=<hex HMAC-SHA256 of
the raw body>``. Webhooks without a secret (older Data Center versions, app-registered ones)
sign nothing: for those remediate accepts a delivery only when the same secret is the last part
of the URL (``/hooks/jira/<secret>``), which is weaker (the URL ends up in Jira's settings and in
proxies' logs; remediate's own log never shows it). ``X-Atlassian-Webhook-Identifier`` is the same
on every retry of a delivery. The secret is read from ``REMEDIATE_JIRA_WEBHOOK_SECRET``.
"""

from __future__ import annotations

from collections.abc import Mapping

from remediate.connectors import (
    TicketRef,
    WebhookError,
    WebhookEvent,
    WebhookRequest,
    signature_matches,
    token_matches,
    webhook_json,
)
from remediate_jira.config import ISSUE_KEY

SECRET_VAR = "REMEDIATE_JIRA_WEBHOOK_SECRET"
ISSUE_EVENTS = frozenset({"jira:issue_updated", "jira:issue_deleted"})


def verify(request: WebhookRequest, env: Mapping[str, str]) -> WebhookEvent:
    """Verify one delivery and say what it names (see :class:`remediate.connectors.Webhooks`)."""
    secret = env.get(SECRET_VAR, "").strip()  # a secret file's trailing newline is not part of it
    if not secret:
        raise WebhookError(404, f"Jira webhooks are off: {SECRET_VAR} is not set")
    signature = request.headers.get("x-hub-signature")
    if signature:
        if not signature_matches(secret, request.body, signature):
            raise WebhookError(401, "X-Hub-Signature does not match the body and the secret")
    elif not request.path:
        raise WebhookError(401, "no X-Hub-Signature header and no secret in the URL (/hooks/jira/<secret>)")
    elif not token_matches(secret, request.path.strip("/")):
        raise WebhookError(401, "the secret in the URL is wrong")
    delivery = request.headers.get("x-atlassian-webhook-identifier") or None
    payload = webhook_json(request.body)
    name = payload.get("webhookEvent")
    if not isinstance(name, str):
        raise WebhookError(400, "a Jira event without webhookEvent")
    if name not in ISSUE_EVENTS:
        return WebhookEvent("ignored", delivery, event=name)
    issue = payload.get("issue")
    key = issue.get("key") if isinstance(issue, dict) else None
    if not isinstance(issue, dict) or not isinstance(key, str) or not ISSUE_KEY.match(key):
        raise WebhookError(400, f"a {name} event without issue.key")
    issue_id = issue.get("id")
    remote_id = str(issue_id) if isinstance(issue_id, (str, int)) and not isinstance(issue_id, bool) else None
    return WebhookEvent("tickets", delivery, (TicketRef("jira", key, None, remote_id),), name)


def instructions(site: str, project: str, url: str) -> str:
    """The Jira admin's steps to register the webhook for ``url`` (nothing is sent: admin only)."""
    return "\n".join(
        [
            "Jira webhooks are registered by a Jira administrator (remediate sends nothing):",
            f"  1. Open {site}/plugins/servlet/webhooks (Settings > System > WebHooks) and create a WebHook.",
            f"  2. Name: remediate; Status: Enabled; URL: {url}",
            f"  3. Secret: the value of {SECRET_VAR} (Jira then signs each delivery with X-Hub-Signature).",
            "     Without a Secret field (older Data Center): use the URL "
            f"{url.rstrip('/')}/<the value of {SECRET_VAR}> instead",
            "     (weaker: that URL is visible to Jira admins and in proxies' access logs).",
            f"  4. Issue related events: JQL filter `project = {project}`; events: Issue updated, Issue deleted.",
            "  5. Save, then close an issue remediate filed and check `remediate doctor` (webhooks).",
        ]
    )

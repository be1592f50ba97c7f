"""GitLab webhook deliveries: ``X-Gitlab-Token`` checked, issue events parsed.

GitLab sends the secret token set on a project webhook (or a system hook) verbatim in
``X-Gitlab-Token``; it signs nothing. ``X-Gitlab-Event`` is ``Issue Hook`` (``Confidential
Issue Hook`` for confidential issues, ``System Hook`` with ``object_kind: issue`` for system
hooks). ``Idempotency-Key`` (GitLab 17.4+) stays the same when a delivery is retried;
``X-Gitlab-Event-UUID`` identifies the event on older versions. The secret is read from
``REMEDIATE_GITLAB_WEBHOOK_SECRET``.

:func:`install` (``remediate hooks install --tracker gitlab``) lists the project's webhooks
(``GET /projects/:id/hooks``, paginated) for one whose ``url`` is the URL; it adds one (``POST``)
when there is none and edits it (``PUT /projects/:id/hooks/:hook_id``) when its triggers differ,
else writes nothing. GitLab never shows the secret token, so ``rotate_secret`` sends it again;
an edit sends it too. Managing webhooks needs the Maintainer role and the ``api`` scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from remediate.connectors import (
    HookInstall,
    TicketRef,
    WebhookError,
    WebhookEvent,
    WebhookRequest,
    token_matches,
    webhook_json,
)
from remediate.errors import AuthError
from remediate_gitlab.answers import Hook, parse, parse_list
from remediate_gitlab.transport import TOKEN_VAR, TRACKER, Transport

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


# --- installing the webhook ------------------------------------------------------------------

#: The triggers remediate's receiver acts on (issues, confidential ones too), and no others.
TRIGGERS = {
    "issues_events": True,
    "confidential_issues_events": True,
    "push_events": False,  # on by default when not sent
    "enable_ssl_verification": True,
}


def install(
    transport: Transport, base: str, project: str, url: str, secret: str, *, rotate_secret: bool = False
) -> HookInstall:
    """Add, edit or leave the project's webhook for ``url`` (see the module docstring)."""
    existing = _find(transport, base, project, url)
    body = {"url": url, **TRIGGERS, "token": secret}
    if existing is None:
        what = f"adding the webhook of {project}"

        def recover() -> Any:  # an ambiguous failure: was it added after all?
            found = _find(transport, base, project, url)
            return found.model_dump(mode="json") if found is not None else None

        _, data, _ = _guarded(
            project, what, lambda: transport.request("post", f"{base}/hooks", what, body=body, recover=recover)
        )
        return HookInstall(TRACKER, "created", url, project, str(parse(Hook, data, what).id))
    changed = tuple(key for key, wanted in TRIGGERS.items() if getattr(existing, key) is not wanted)
    changed += ("token",) if rotate_secret else ()
    if not changed:
        return HookInstall(TRACKER, "unchanged", url, project, str(existing.id))
    what = f"editing the webhook {existing.id} of {project}"
    _, data, _ = _guarded(
        project, what, lambda: transport.request("put", f"{base}/hooks/{existing.id}", what, body=body)
    )
    parse(Hook, data, what)
    return HookInstall(TRACKER, "updated", url, project, str(existing.id), changed)


def _find(transport: Transport, base: str, project: str, url: str) -> Hook | None:
    what = f"listing the webhooks of {project}"

    def hooks() -> list[Hook]:
        found: list[Hook] = []
        for page in transport.pages(f"{base}/hooks", {}, what):
            found += [hook for hook in parse_list(Hook, page.items, what) if hook.url == url]
        return found

    matches: list[Hook] = _guarded(project, what, hooks)
    return matches[0] if matches else None


def _guarded(project: str, what: str, call: Any) -> Any:
    """Run ``call``; GitLab's 403 for the hooks API becomes what the token's user needs."""
    try:
        return call()
    except AuthError as exc:
        if exc.status != 403:
            raise
        raise AuthError(
            f"GitLab answered 403 while {what}: managing a project's webhooks needs the Maintainer "
            f"role on {project} and a token in {TOKEN_VAR} with the api scope",
            tracker=TRACKER,
            status=403,
        ) from None

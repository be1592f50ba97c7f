"""GitHub webhooks: deliveries verified and parsed, and the repository's webhook installed.

GitHub signs every delivery of a webhook that has a secret with ``X-Hub-Signature-256:
sha256=<hex HMAC-SHA256 of the raw body>``; ``X-GitHub-Delivery`` is a GUID that a redelivery
keeps; ``X-GitHub-Event`` names the event (``ping`` when the hook is created, ``issues`` for
the ones remediate acts on). The secret is read from ``REMEDIATE_GITHUB_WEBHOOK_SECRET``.

:func:`install` (``remediate hooks install --tracker github``) lists the repository's webhooks
(``GET /repos/{owner}/{repo}/hooks``, paginated) for one whose ``config.url`` is the URL; it
creates one (``POST``) when there is none and updates it (``PATCH .../hooks/{id}``) when its
events, ``active`` or config differ, else writes nothing. GitHub shows a secret as ``********``,
so a changed secret cannot be seen: ``rotate_secret`` sends it again. A ``PATCH`` that carries a
config replaces all of it (a secret left out would be removed), so the secret always goes with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from remediate.connectors import (
    HookInstall,
    TicketRef,
    WebhookError,
    WebhookEvent,
    WebhookRequest,
    signature_matches,
    webhook_json,
)
from remediate.errors import AuthError, NotFound
from remediate_github import answers
from remediate_github.edge import TOKEN_VAR, TRACKER
from remediate_github.transport import Response

if TYPE_CHECKING:
    from remediate_github.api import RepoApi

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


# --- installing the webhook ------------------------------------------------------------------

#: The events remediate's receiver acts on; the webhook sends exactly these.
EVENTS = ("issues",)
CONFIG = {"content_type": "json", "insecure_ssl": "0"}


def install(api: RepoApi, url: str, secret: str, *, rotate_secret: bool = False) -> HookInstall:
    """Create, update or leave the repository's webhook for ``url`` (see the module docstring)."""
    repo = api.config.repo
    config = {"url": url, **CONFIG, "secret": secret}
    existing = _find(api, url)
    if existing is None:
        what = f"creating the webhook of {repo}"
        body = {"name": "web", "config": config, "events": list(EVENTS), "active": True}

        def recover() -> Response | None:  # an ambiguous failure: was it created after all?
            found = _find(api, url)
            return Response(201, {}, found) if found is not None else None

        answer = _guarded(
            api,
            what,
            lambda: api.transport.request(
                "POST", f"{api.path}/hooks", body=body, what=what, recover=recover, shape=answers.Hook
            ),
        )
        api.expect(answer, (201,), what)
        return HookInstall(TRACKER, "created", url, repo, str(answer.data["id"]))
    changed = differences(existing, rotate_secret=rotate_secret)
    hook_id = str(existing["id"])
    if not changed:
        return HookInstall(TRACKER, "unchanged", url, repo, hook_id)
    patch: dict[str, Any] = {}
    if "events" in changed:
        patch["events"] = list(EVENTS)
    if "active" in changed:
        patch["active"] = True
    if {"content_type", "insecure_ssl", "secret"} & set(changed):
        patch["config"] = config  # replaces the whole config: the secret must go with it
    what = f"updating the webhook {hook_id} of {repo}"
    answer = _guarded(
        api,
        what,
        lambda: api.transport.request(
            "PATCH", f"{api.path}/hooks/{hook_id}", body=patch, what=what, shape=answers.Hook
        ),
    )
    api.expect(answer, (200,), what)
    return HookInstall(TRACKER, "updated", url, repo, hook_id, changed)


def differences(hook: Mapping[str, Any], *, rotate_secret: bool = False) -> tuple[str, ...]:
    """What differs between an existing webhook and the one remediate needs (the secret unseen)."""
    config = hook.get("config") or {}
    changed = []
    if sorted(hook.get("events") or []) != sorted(EVENTS):
        changed.append("events")
    if hook.get("active") is not True:
        changed.append("active")
    for key, wanted in CONFIG.items():
        if str(config.get(key, "")) != wanted:
            changed.append(key)
    if rotate_secret or not config.get("secret"):  # no secret at all shows as no key
        changed.append("secret")
    return tuple(changed)


def _find(api: RepoApi, url: str) -> dict[str, Any] | None:
    """The repository's webhook whose ``config.url`` is ``url``, or None (every page read)."""
    from remediate_github.api import PER_PAGE

    what = f"listing the webhooks of {api.config.repo}"

    def pages() -> list[dict[str, Any]]:
        found = []
        for page in api.pages(f"{api.path}/hooks", {"per_page": PER_PAGE}, what, shape=answers.Hooks):
            found += [hook for hook in page.data if (hook.get("config") or {}).get("url") == url]
        return found

    matches = _guarded(api, what, pages)
    return matches[0] if matches else None


def _guarded(api: RepoApi, what: str, call: Any) -> Any:
    """Run ``call``, turning GitHub's 404 and 403 for the hooks API into what the token needs."""
    try:
        answer = call()
    except NotFound:
        answer = Response(404, {})
    except AuthError as exc:
        if exc.status != 403:
            raise
        answer = Response(403, {})
    if isinstance(answer, Response) and answer.status in (403, 404):
        raise AuthError(
            f"GitHub answered {answer.status} while {what}: the repository does not exist, or the "
            f"token in {TOKEN_VAR} may not manage its webhooks (GitHub hides what a token may not "
            f"administer); it needs admin rights on {api.config.repo} and, for a classic token, the "
            "admin:repo_hook (or repo) scope; a fine-grained token needs the Webhooks: read and write "
            "repository permission",
            tracker=TRACKER,
            status=answer.status,
        )
    return answer

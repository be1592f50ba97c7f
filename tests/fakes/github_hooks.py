"""The fake GitHub's repository webhooks: ``GET``/``POST /repos/{owner}/{repo}/hooks``, ``PATCH .../hooks/{id}``.

What it reproduces, and where each rule comes from (docs = docs.github.com/rest/repos/webhooks,
spec = tests/contracts/github-issues.openapi.json, operations repos/list-webhooks,
repos/create-webhook, repos/update-webhook):

- only a token with admin rights on the repository may see or change its hooks; GitHub answers
  404 to the others, as it hides what a token may not administer (docs: "404 Resource not found");
  a classic token also needs ``admin:repo_hook``, ``write:repo_hook`` (``read:repo_hook`` to list)
  or ``repo``; a fine-grained token without the "Webhooks" permission gets 403 "Resource not
  accessible by personal access token";
- ``name`` may only be ``web``; a ``config`` without ``url`` is 422 "Config must contain URL for
  webhooks"; a second hook with the same URL and overlapping events is 422 "Hook already exists
  on this repository" (spec: "Each webhook should have a unique config ... as long as those
  webhooks do not have any events that overlap");
- events default to ``["push"]``, ``active`` to true, ``content_type`` to ``form``,
  ``insecure_ssl`` to ``"0"`` (spec defaults);
- the secret is never shown: a hook that has one answers ``"secret": "********"`` (spec example);
- ``PATCH`` with a ``config`` replaces the whole config: a secret not sent again is removed
  (docs: "If you previously had a secret set, you must provide the same secret or set a new
  secret or the secret will be removed"); ``events`` replaces the list, ``add_events`` and
  ``remove_events`` edit it;
- lists are paginated like every other list (``per_page`` <= 100, ``Link``).
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from tests.fakes.github_model import Hook, Repo, Shapes
from tests.fakes.github_routes import DOCS, Answer, Reply, error, invalid

HOOK_DOCS = f"{DOCS}/repos/webhooks"
READ_SCOPES = frozenset({"repo", "admin:repo_hook", "write:repo_hook", "read:repo_hook"})
WRITE_SCOPES = frozenset({"repo", "admin:repo_hook", "write:repo_hook"})


class HookRoutes:
    """Route handlers for repository webhooks; FakeGitHub supplies the state."""

    shapes: Shapes
    clock: float
    scopes: tuple[str, ...] | None
    _next_id: Any  # Routes._next_id

    def _hooks(self, method: str, rest: list[str], query: dict[str, str], body: Any, repo: Repo) -> Answer:
        doc = {
            "GET": "list-repository-webhooks",
            "POST": "create-a-repository-webhook",
            "PATCH": "update-a-repository-webhook",
        }.get(method, "")
        self._hook_access(repo, method, f"{HOOK_DOCS}#{doc}")
        if rest == ["hooks"] and method == "GET":
            return self._list_hooks(repo, query)
        if rest == ["hooks"] and method == "POST":
            return self._create_hook(repo, body if isinstance(body, dict) else {})
        if len(rest) == 2 and rest[1].isdigit() and method == "PATCH":
            hook = repo.hooks.get(int(rest[1]))
            if hook is None:
                raise error(404, "Not Found", f"{HOOK_DOCS}#{doc}")
            return self._update_hook(repo, hook, body if isinstance(body, dict) else {})
        raise error(404, "Not Found")

    def _hook_access(self, repo: Repo, method: str, doc: str) -> None:
        if not repo.permissions.get("admin"):
            raise error(404, "Not Found", doc)
        if self.scopes is None:
            if not repo.webhooks_permission:
                raise error(403, "Resource not accessible by personal access token", doc)
            return
        needed = READ_SCOPES if method == "GET" else WRITE_SCOPES
        if not needed & set(self.scopes):
            raise error(404, "Not Found", doc)

    def _list_hooks(self, repo: Repo, query: dict[str, str]) -> Answer:
        hooks = sorted(repo.hooks.values(), key=lambda h: h.id)
        per_page = int(query.get("per_page", 30))
        page = int(query.get("page", 1))
        last = max(1, math.ceil(len(hooks) / per_page))
        data = [self.shapes.hook(repo, h) for h in hooks[(page - 1) * per_page : page * per_page]]
        params = [(k, v) for k, v in query.items() if k != "page"]
        if "per_page" not in query:
            params.append(("per_page", str(per_page)))

        def url(n: int) -> str:
            return f"{self.shapes.api}/repositories/{repo.id}/hooks?{urlencode([*params, ('page', str(n))])}"

        links = []
        if page < last:
            links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
        if page > 1:
            links += [f'<{url(page - 1)}>; rel="prev"', f'<{url(1)}>; rel="first"']
        return 200, data, ({"Link": ", ".join(links)} if links else {})

    @staticmethod
    def _config(config: Any) -> dict[str, Any]:
        if not isinstance(config, dict) or not str(config.get("url") or "").strip():
            raise Reply(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [
                        {"resource": "Hook", "code": "custom", "message": "Config must contain URL for webhooks"}
                    ],
                    "documentation_url": f"{HOOK_DOCS}#create-a-repository-webhook",
                    "status": "422",
                },
            )
        return config

    @staticmethod
    def _check_unique(repo: Repo, url: str, events: list[str], skip: int | None = None) -> None:
        for other in repo.hooks.values():
            if other.id != skip and other.url == url and set(other.events) & set(events):
                raise Reply(
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [
                            {"resource": "Hook", "code": "custom", "message": "Hook already exists on this repository"}
                        ],
                        "documentation_url": f"{HOOK_DOCS}#create-a-repository-webhook",
                        "status": "422",
                    },
                )

    def _create_hook(self, repo: Repo, body: dict[str, Any]) -> Answer:
        if body.get("name", "web") != "web":
            raise invalid("Hook", "name", "invalid", "Name must be 'web'")
        config = self._config(body.get("config"))
        events = [str(e) for e in body.get("events") or ["push"]]
        self._check_unique(repo, str(config["url"]), events)
        hook = Hook(
            id=self._next_id(),
            url=str(config["url"]),
            content_type=str(config.get("content_type") or "form"),
            secret=str(config["secret"]) if config.get("secret") else None,
            insecure_ssl=str(config.get("insecure_ssl", "0")),
            events=events,
            active=bool(body.get("active", True)),
            created_at=self.clock,
            updated_at=self.clock,
        )
        repo.hooks[hook.id] = hook
        shown = self.shapes.hook(repo, hook)
        return 201, shown, {"Location": shown["url"]}

    def _update_hook(self, repo: Repo, hook: Hook, body: dict[str, Any]) -> Answer:
        events = list(hook.events)
        if body.get("events") is not None:
            events = [str(e) for e in body["events"]]
        events += [str(e) for e in body.get("add_events") or [] if str(e) not in events]
        events = [e for e in events if e not in {str(r) for r in body.get("remove_events") or []}]
        if "config" in body:
            config = self._config(body["config"])
            self._check_unique(repo, str(config["url"]), events, skip=hook.id)
            hook.url = str(config["url"])
            hook.content_type = str(config.get("content_type") or "form")
            hook.secret = str(config["secret"]) if config.get("secret") else None  # not sent: removed
            hook.insecure_ssl = str(config.get("insecure_ssl", "0"))
        else:
            self._check_unique(repo, hook.url, events, skip=hook.id)
        hook.events = events
        if "active" in body:
            hook.active = bool(body["active"])
        hook.updated_at = self.clock
        return 200, self.shapes.hook(repo, hook), {}

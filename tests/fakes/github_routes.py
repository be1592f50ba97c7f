"""The fake GitHub's REST routes: what each operation does to the state and answers.

Split from tests/fakes/github.py (which serves, checks and meters requests); the rules each
route follows and their sources are listed in that module's docstring.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import unquote, urlencode

from tests.fakes.github_model import Issue, Label, Repo, Shapes, http_date, stamp

DOCS = "https://docs.github.com/rest"
Answer = tuple[int, Any, dict[str, str]]


class Reply(Exception):
    """Raised inside a route to answer at once."""

    def __init__(self, status: int, data: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.data = data
        self.headers = headers or {}


def error(status: int, message: str, doc: str = DOCS, **extra: Any) -> Reply:
    """A basic-error answer."""
    return Reply(status, {"message": message, "documentation_url": doc, "status": str(status), **extra})


def invalid(resource: str, field_name: str, code: str, message: str | None = None, **more: Any) -> Reply:
    """A 422 validation-error answer."""
    detail: dict[str, Any] = {"resource": resource, "field": field_name, "code": code, **more}
    if message:
        detail["message"] = message
    return Reply(
        422,
        {
            "message": "Validation Failed",
            "errors": [detail],
            "documentation_url": DOCS,
            "status": "422",
        },
    )


class Routes:
    """Route handlers; FakeGitHub supplies the state they work on."""

    repos: dict[str, Repo]
    shapes: Shapes
    clock: float
    violations: list[str]
    sub_issues: bool
    write_redirect: int
    scopes: tuple[str, ...] | None
    login: str
    _ids: int

    def _token_sees(self, repo: Repo, method: str) -> bool:
        """Whether a classic token's scopes reach ``repo`` (GitHub answers 404 where they do not)."""
        if self.scopes is None or "repo" in self.scopes:
            return True
        if repo.private:
            return False
        return method == "GET" or "public_repo" in self.scopes

    def _hooks(self, method: str, rest: list[str], query: dict[str, str], body: Any, repo: Repo) -> Answer:
        """Repository webhooks: tests/fakes/github_hooks.py (HookRoutes) answers them."""
        raise NotImplementedError

    # --- routes --------------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, str], body: Any, repo: Repo | None) -> Answer:
        segments = path.strip("/").split("/")
        if segments == ["user"] and method == "GET":
            return 200, self.shapes.public_user(self.login, self.clock - 86400 * 30), {}
        if repo is not None and not self._token_sees(repo, method):
            repo = None
        if segments[0] != "repos" or repo is None:
            raise error(404, "Not Found", f"{DOCS}/repos/repos#get-a-repository")
        rest = segments[3:]
        if not rest and method == "GET":
            return 200, self.shapes.repository(repo, self.clock - 86400), {}
        if rest == ["issues"] and method == "GET":
            return self._list(
                repo,
                query,
                [i for i in repo.issues.values()],
                f"/repositories/{repo.id}/issues",
                self._issue_filter(query),
            )
        if rest == ["issues"] and method == "POST":
            return self._create(repo, body)
        if rest[:1] == ["hooks"]:
            return self._hooks(method, rest, query, body, repo)
        if rest == ["labels"] and method == "POST":
            return self._create_label(repo, body)
        if len(rest) == 2 and rest[0] == "labels" and method == "GET":
            label = repo.labels.get(unquote(rest[1]).casefold())
            if label is None:
                raise error(404, "Not Found", f"{DOCS}/issues/labels#get-a-label")
            return 200, self.shapes.label(repo, label), {}
        if len(rest) >= 2 and rest[0] == "issues" and rest[1].isdigit():
            number = int(rest[1])
            issue = self._located(repo, number, method, rest[2:])
            if len(rest) == 2 and method == "GET":
                return (
                    200,
                    self._issue_json(repo, issue),
                    {"Last-Modified": http_date(issue.updated_at)},
                )
            if len(rest) == 2 and method == "PATCH":
                return self._update(repo, issue, body)
            if rest[2:] == ["comments"] and method == "POST":
                return self._comment(repo, issue, body)
            if rest[2:] == ["sub_issues"] and self.sub_issues:
                if method == "GET":
                    children = [self._by_id(i)[1] for i in issue.sub_issues]
                    return self._list(
                        repo,
                        query,
                        children,
                        f"/repositories/{repo.id}/issues/{number}/sub_issues",
                        None,
                    )
                if method == "POST":
                    return self._add_sub_issue(repo, issue, body)
            if rest[2:] == ["sub_issues"]:
                raise error(404, "Not Found")
        self.violations.append(f"{method} {path}: valid for GitHub but not implemented by the fake")
        raise error(404, "Not Found")

    def _located(self, repo: Repo, number: int, method: str, rest: list[str]) -> Issue:
        if number in repo.moved:
            target, new = repo.moved[number]
            location = f"{self.shapes.api}/repositories/{target.id}/issues/{new}" + "".join(f"/{s}" for s in rest)
            status = 301 if method == "GET" else self.write_redirect
            raise Reply(
                status,
                {
                    "message": "Moved Permanently",
                    "url": location,
                    "documentation_url": f"{DOCS}/guides/best-practices-for-using-the-rest-api#follow-redirects",
                },
                {"Location": location},
            )
        if number in repo.deleted:
            raise error(410, "This issue was deleted", f"{DOCS}/issues/issues#get-an-issue")
        if number not in repo.issues:
            raise error(404, "Not Found", f"{DOCS}/issues/issues#get-an-issue")
        return repo.issues[number]

    def _issue_filter(self, query: dict[str, str]) -> Any:
        state = query.get("state", "open")
        wanted = [n.strip().casefold() for n in query.get("labels", "").split(",") if n.strip()]
        since = query.get("since")

        def keep(issue: Issue) -> bool:
            if state != "all" and issue.state != state:
                return False
            names = {label.name.casefold() for label in issue.labels}
            if any(name not in names for name in wanted):
                return False
            return not (since and stamp(issue.updated_at) < since.replace("+00:00", "Z"))

        return keep

    def _list(self, repo: Repo, query: dict[str, str], items: list[Issue], link_path: str, keep: Any) -> Answer:
        if keep is not None:
            items = [i for i in items if keep(i)]
            sort = query.get("sort", "created")
            key = {
                "created": lambda i: (i.created_at, i.number),
                "updated": lambda i: (i.updated_at, i.number),
                "comments": lambda i: (0, i.number),
            }[sort]
            items.sort(key=key, reverse=query.get("direction", "desc") == "desc")
        per_page = int(query.get("per_page", 30))
        page = int(query.get("page", 1))
        last = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        data = [self._issue_json(repo, i) for i in chunk]
        links = []
        params = [(k, v) for k, v in query.items() if k != "page"]
        if "per_page" not in query:
            params.append(("per_page", str(per_page)))

        def url(n: int) -> str:
            return f"{self.shapes.api}{link_path}?{urlencode([*params, ('page', str(n))])}"

        if page > 1:
            links.append(f'<{url(page - 1)}>; rel="prev"')
        if page < last:
            links.append(f'<{url(page + 1)}>; rel="next"')
            links.append(f'<{url(last)}>; rel="last"')
        if page > 1:
            links.append(f'<{url(1)}>; rel="first"')
        return 200, data, ({"Link": ", ".join(links)} if links else {})

    def _issue_json(self, repo: Repo, issue: Issue) -> dict[str, Any]:
        children = [self._by_id(i)[1] for i in issue.sub_issues]
        return self.shapes.issue(repo, issue, children)

    def _validate_text(self, body: dict[str, Any]) -> None:
        if "title" in body:
            title = str(body["title"]) if body["title"] is not None else ""
            if not title.strip():
                raise invalid("Issue", "title", "missing_field")
            if len(title) > 256:
                raise invalid("Issue", "title", "custom", "title is too long (maximum is 256 characters)")
        if len(body.get("body") or "") > 65536:
            raise invalid("Issue", "body", "custom", "body is too long (maximum is 65536 characters)")

    def _assignees(self, repo: Repo, logins: list[Any]) -> list[str]:
        names = [str(a["login"] if isinstance(a, dict) else a) for a in logins]
        for login in names:
            if login.casefold() not in repo.collaborators:
                raise invalid("Issue", "assignees", "invalid", value=login)
        return names

    def _create(self, repo: Repo, body: dict[str, Any]) -> Answer:
        if not repo.has_issues:
            raise error(410, "Issues are disabled for this repo", f"{DOCS}/issues/issues#create-an-issue")
        if any(key in body for key in ("milestone", "assignee", "type", "issue_field_values")):
            self.violations.append(f"POST issue: fields {sorted(body)} include some the fake does not implement")
        self._validate_text(body)
        assignees = self._assignees(repo, body.get("assignees") or [])
        issue = self._new_issue(repo, str(body["title"]), body.get("body"), "remediate-bot")
        issue.assignees = assignees
        issue.labels = [
            self._label(repo, label["name"] if isinstance(label, dict) else label) for label in body.get("labels") or []
        ]
        url = f"{self.shapes.api}/repos/{repo.full_name}/issues/{issue.number}"
        return 201, self._issue_json(repo, issue), {"Location": url}

    def _update(self, repo: Repo, issue: Issue, body: dict[str, Any]) -> Answer:
        body = body or {}
        if any(key in body for key in ("assignee", "type", "issue_field_values", "duplicate_issue_id")):
            self.violations.append(f"PATCH issue: fields {sorted(body)} include some the fake does not implement")
        if body.get("milestone") not in (None, ""):
            self.violations.append("PATCH issue: milestones are not implemented by the fake")
        self._validate_text(body)
        before = json.dumps(self._issue_json(repo, issue), sort_keys=True)
        if "title" in body and body["title"] is not None:
            issue.title = str(body["title"])
        if "body" in body:
            issue.body = body["body"]
        if body.get("labels") is not None:  # replaces the set
            issue.labels = [
                self._label(repo, label["name"] if isinstance(label, dict) else label) for label in body["labels"]
            ]
        if body.get("assignees") is not None:  # replaces the set
            issue.assignees = self._assignees(repo, body["assignees"])
        if body.get("state") and body["state"] != issue.state:  # state_reason counts only here
            self._change_state(issue, body["state"], body.get("state_reason"))
        if json.dumps(self._issue_json(repo, issue), sort_keys=True) != before:
            issue.updated_at = self.clock
        return 200, self._issue_json(repo, issue), {}

    def _comment(self, repo: Repo, issue: Issue, body: Any) -> Answer:
        text = (body or {}).get("body") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise Reply(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [{"resource": "IssueComment", "code": "missing_field", "field": "body"}],
                    "documentation_url": f"{DOCS}/issues/comments#create-an-issue-comment",
                },
            )
        if len(text) > 65536:
            raise error(422, "Validation Failed", f"{DOCS}/issues/comments#create-an-issue-comment")
        issue.comments.append(text)
        issue.updated_at = self.clock  # a comment makes the issue "updated", as on GitHub
        comment_id = self._next_id()
        url = f"{self.shapes.api}/repos/{repo.owner}/{repo.name}/issues/comments/{comment_id}"
        return (
            201,
            {
                "id": comment_id,
                "node_id": f"IC_{comment_id}",
                "url": url,
                "html_url": f"https://github.com/{repo.owner}/{repo.name}/issues/{issue.number}#issuecomment-{comment_id}",
                "issue_url": f"{self.shapes.api}/repos/{repo.owner}/{repo.name}/issues/{issue.number}",
                "body": text,
                "user": {"login": "remediate-bot", "id": 1, "type": "User"},
                "created_at": stamp(self.clock),
                "updated_at": stamp(self.clock),
                "author_association": "OWNER",
            },
            {"Location": url},
        )

    def _change_state(self, issue: Issue, state: str, reason: str | None) -> None:
        issue.state = state
        if state == "closed":
            issue.state_reason = reason if reason in ("completed", "not_planned", "duplicate") else "completed"
            issue.closed_at = self.clock
        else:
            issue.state_reason = "reopened"
            issue.closed_at = None
        issue.updated_at = self.clock

    def _create_label(self, repo: Repo, body: dict[str, Any]) -> Answer:
        name = str(body.get("name") or "")
        if name.casefold() in repo.labels:
            raise invalid("Label", "name", "already_exists")
        if len(name) > 50:
            raise invalid("Label", "name", "custom", "name is too long (maximum is 50 characters)")
        if len(body.get("description") or "") > 100:
            raise invalid(
                "Label",
                "description",
                "custom",
                "description is too long (maximum is 100 characters)",
            )
        label = self._label(repo, name, body.get("color") or "ededed", body.get("description"))
        return (
            201,
            self.shapes.label(repo, label),
            {"Location": self.shapes.label(repo, label)["url"]},
        )

    def _add_sub_issue(self, repo: Repo, parent: Issue, body: dict[str, Any]) -> Answer:
        found = self._by_id(int(body["sub_issue_id"]), missing_ok=True)
        if found is None:
            raise invalid("Issue", "sub_issue_id", "invalid", "Sub-issue does not exist")
        child_repo, child = found
        if child_repo.owner.casefold() != repo.owner.casefold():
            raise invalid(
                "Issue",
                "sub_issue_id",
                "invalid",
                "Sub-issue must belong to the same owner as the parent",
            )
        if child.id == parent.id or child.id in parent.sub_issues:
            raise invalid("Issue", "sub_issue_id", "invalid", "Issue may not contain duplicate sub-issues")
        if child.parent is not None and not body.get("replace_parent"):
            raise invalid("Issue", "sub_issue_id", "invalid", "Sub issue may only have one parent")
        if len(parent.sub_issues) >= 100:
            raise invalid("Issue", "sub_issue_id", "invalid", "Parent cannot have more than 100 sub-issues")
        if child.parent is not None:
            self._by_id(child.parent)[1].sub_issues.remove(child.id)
        parent.sub_issues.append(child.id)
        child.parent = parent.id
        parent.updated_at = child.updated_at = self.clock
        url = f"{self.shapes.api}/repos/{repo.full_name}/issues/{parent.number}"
        return 201, self._issue_json(repo, parent), {"Location": url}

    # --- helpers -------------------------------------------------------------------------------

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids * 7919  # ids unlike numbers, so a mix-up shows

    def _new_issue(self, repo: Repo, title: str, body: str | None, author: str) -> Issue:
        issue = Issue(self._next_id(), repo.next_number, title, body, author, self.clock, self.clock)
        repo.next_number += 1
        repo.issues[issue.number] = issue
        self._issue_index()[issue.id] = issue
        return issue

    def _issue_index(self) -> dict[int, Issue]:
        # Every issue ever made, by id: a lookup by id must not scan every issue (a 10,000-item
        # benchmark links 10,000 sub-issues and renders each parent's children).
        index: dict[int, Issue] | None = self.__dict__.get("_issues_by_id")
        if index is None:
            index = self.__dict__["_issues_by_id"] = {}
        return index

    def _label(self, repo: Repo, name: str, color: str = "ededed", description: str | None = None) -> Label:
        # Unknown labels on an issue write are created with the default colour (github/docs#35718).
        if name.casefold() not in repo.labels:
            repo.labels[name.casefold()] = Label(self._next_id(), name, color, description)
        return repo.labels[name.casefold()]

    def _by_id(self, issue_id: int, missing_ok: bool = False) -> Any:
        issue = self._issue_index().get(issue_id)
        if issue is not None:  # where it lives now: it may have been transferred or deleted since
            for repo in self.repos.values():
                if repo.issues.get(issue.number) is issue:
                    return repo, issue
        if missing_ok:
            return None
        raise KeyError(issue_id)

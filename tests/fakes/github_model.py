"""State and JSON shapes of the fake GitHub: repositories, labels, issues, users.

The JSON follows the schemas of tests/contracts/github-issues.openapi.json (``issue``,
``label``, ``simple-user``, ``full-repository``) and the 2025 recordings in
../shared/contracts/replay/github (Issue.setUp.txt, SubIssue.testAddSubIssue.txt);
tests/connectors/test_github_fake.py validates them against the description.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def stamp(seconds: float) -> str:
    """GitHub's timestamp format, second resolution, UTC."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def http_date(seconds: float) -> str:
    """An HTTP date (Last-Modified)."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


@dataclass
class Label:
    """A repository label."""

    id: int
    name: str
    color: str
    description: str | None = None


@dataclass
class Issue:
    """An issue or pull request (GitHub numbers both in one sequence)."""

    id: int
    number: int
    title: str
    body: str | None
    author: str
    created_at: float
    updated_at: float
    labels: list[Label] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    state: str = "open"
    state_reason: str | None = None
    closed_at: float | None = None
    pull_request: bool = False
    sub_issues: list[int] = field(default_factory=list)  # children's ids, in order
    parent: int | None = None  # parent's id
    comments: list[str] = field(default_factory=list)  # comment bodies, oldest first


@dataclass
class Hook:
    """A repository webhook; ``secret`` is kept but never shown (GitHub answers ``********``)."""

    id: int
    url: str
    content_type: str
    secret: str | None
    insecure_ssl: str
    events: list[str]
    active: bool
    created_at: float
    updated_at: float


@dataclass
class Repo:
    """A repository and its issues."""

    id: int
    owner: str
    name: str
    has_issues: bool = True
    private: bool = True
    permissions: dict[str, bool] = field(
        default_factory=lambda: {
            "admin": True,
            "maintain": True,
            "push": True,
            "triage": True,
            "pull": True,
        }
    )
    collaborators: set[str] = field(default_factory=set)  # casefolded logins that can be assigned
    labels: dict[str, Label] = field(default_factory=dict)  # casefolded name -> label
    issues: dict[int, Issue] = field(default_factory=dict)
    moved: dict[int, tuple[Repo, int]] = field(default_factory=dict)  # transferred away
    deleted: set[int] = field(default_factory=set)
    hooks: dict[int, Hook] = field(default_factory=dict)
    # A fine-grained token's "Webhooks" repository permission (classic tokens: their scopes).
    webhooks_permission: bool = True
    next_number: int = 1

    @property
    def full_name(self) -> str:
        """OWNER/NAME."""
        return f"{self.owner}/{self.name}"


class Shapes:
    """Builds response JSON with every URL under the base the client was given."""

    def __init__(self, api: str, web: str) -> None:
        self.api = api  # e.g. http://127.0.0.1:5000/api/v3
        self.web = web  # e.g. http://127.0.0.1:5000

    def user(self, login: str) -> dict[str, Any]:
        """A simple-user."""
        url = f"{self.api}/users/{login}"
        return {
            "login": login,
            "id": abs(hash(login)) % 10_000_000,
            "node_id": f"U_{login}",
            "avatar_url": f"{self.web}/avatars/{login}",
            "gravatar_id": "",
            "url": url,
            "html_url": f"{self.web}/{login}",
            "followers_url": f"{url}/followers",
            "following_url": f"{url}/following{{/other_user}}",
            "gists_url": f"{url}/gists{{/gist_id}}",
            "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{url}/subscriptions",
            "organizations_url": f"{url}/orgs",
            "repos_url": f"{url}/repos",
            "events_url": f"{url}/events{{/privacy}}",
            "received_events_url": f"{url}/received_events",
            "type": "User",
            "user_view_type": "public",
            "site_admin": False,
        }

    def public_user(self, login: str, created: float) -> dict[str, Any]:
        """A public-user (GET /user without the user scope)."""
        return {
            **self.user(login),
            "name": None,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "public_repos": 0,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": stamp(created),
            "updated_at": stamp(created),
        }

    def label(self, repo: Repo, label: Label) -> dict[str, Any]:
        """A label."""
        from urllib.parse import quote

        return {
            "id": label.id,
            "node_id": f"LA_{label.id}",
            "url": f"{self.api}/repos/{repo.full_name}/labels/{quote(label.name, safe='')}",
            "name": label.name,
            "color": label.color,
            "default": False,
            "description": label.description,
        }

    def issue(self, repo: Repo, issue: Issue, children: list[Issue]) -> dict[str, Any]:
        """An issue, as the issues endpoints return it (2022-11-28 shape, singular assignee too)."""
        repo_url = f"{self.api}/repos/{repo.full_name}"
        url = f"{repo_url}/issues/{issue.number}"
        kind = "pull" if issue.pull_request else "issues"
        done = sum(1 for child in children if child.state == "closed")
        data: dict[str, Any] = {
            "url": url,
            "repository_url": repo_url,
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": f"{self.web}/{repo.full_name}/{kind}/{issue.number}",
            "id": issue.id,
            "node_id": f"I_{issue.id}",
            "number": issue.number,
            "title": issue.title,
            "user": self.user(issue.author),
            "labels": [self.label(repo, label) for label in issue.labels],
            "state": issue.state,
            "locked": False,
            "assignee": self.user(issue.assignees[0]) if issue.assignees else None,
            "assignees": [self.user(login) for login in issue.assignees],
            "milestone": None,
            "comments": 0,
            "created_at": stamp(issue.created_at),
            "updated_at": stamp(issue.updated_at),
            "closed_at": stamp(issue.closed_at) if issue.closed_at is not None else None,
            "author_association": "OWNER",
            "active_lock_reason": None,
            "body": issue.body,
            "state_reason": issue.state_reason,
            "sub_issues_summary": {
                "total": len(children),
                "completed": done,
                "percent_completed": (100 * done // len(children)) if children else 0,
            },
        }
        if issue.pull_request:
            data["pull_request"] = {
                "url": f"{repo_url}/pulls/{issue.number}",
                "html_url": f"{self.web}/{repo.full_name}/pull/{issue.number}",
                "diff_url": f"{self.web}/{repo.full_name}/pull/{issue.number}.diff",
                "patch_url": f"{self.web}/{repo.full_name}/pull/{issue.number}.patch",
                "merged_at": None,
            }
        return data

    def hook(self, repo: Repo, hook: Hook) -> dict[str, Any]:
        """A hook (GET/POST /repos/{owner}/{repo}/hooks): the secret only as ``********``."""
        url = f"{self.api}/repos/{repo.full_name}/hooks/{hook.id}"
        config: dict[str, Any] = {
            "content_type": hook.content_type,
            "insecure_ssl": hook.insecure_ssl,
            "url": hook.url,
        }
        if hook.secret:
            config["secret"] = "********"
        return {
            "type": "Repository",
            "id": hook.id,
            "name": "web",
            "active": hook.active,
            "events": list(hook.events),
            "config": config,
            "updated_at": stamp(hook.updated_at),
            "created_at": stamp(hook.created_at),
            "url": url,
            "test_url": f"{url}/test",
            "ping_url": f"{url}/pings",
            "deliveries_url": f"{url}/deliveries",
            "last_response": {"code": None, "status": "unused", "message": None},
        }

    def repository(self, repo: Repo, created: float) -> dict[str, Any]:
        """A full-repository (GET /repos/{owner}/{repo})."""
        url = f"{self.api}/repos/{repo.full_name}"
        templates = {
            "archive_url": "/{archive_format}{/ref}",
            "assignees_url": "/assignees{/user}",
            "blobs_url": "/git/blobs{/sha}",
            "branches_url": "/branches{/branch}",
            "collaborators_url": "/collaborators{/collaborator}",
            "comments_url": "/comments{/number}",
            "commits_url": "/commits{/sha}",
            "compare_url": "/compare/{base}...{head}",
            "contents_url": "/contents/{+path}",
            "contributors_url": "/contributors",
            "deployments_url": "/deployments",
            "downloads_url": "/downloads",
            "events_url": "/events",
            "forks_url": "/forks",
            "git_commits_url": "/git/commits{/sha}",
            "git_refs_url": "/git/refs{/sha}",
            "git_tags_url": "/git/tags{/sha}",
            "hooks_url": "/hooks",
            "issue_comment_url": "/issues/comments{/number}",
            "issue_events_url": "/issues/events{/number}",
            "issues_url": "/issues{/number}",
            "keys_url": "/keys{/key_id}",
            "labels_url": "/labels{/name}",
            "languages_url": "/languages",
            "merges_url": "/merges",
            "milestones_url": "/milestones{/number}",
            "notifications_url": "/notifications{?since,all,participating}",
            "pulls_url": "/pulls{/number}",
            "releases_url": "/releases{/id}",
            "stargazers_url": "/stargazers",
            "statuses_url": "/statuses/{sha}",
            "subscribers_url": "/subscribers",
            "subscription_url": "/subscription",
            "tags_url": "/tags",
            "teams_url": "/teams",
            "trees_url": "/git/trees{/sha}",
        }
        open_count = sum(1 for i in repo.issues.values() if i.state == "open")
        data: dict[str, Any] = {key: url + suffix for key, suffix in templates.items()}
        data.update(
            {
                "id": repo.id,
                "node_id": f"R_{repo.id}",
                "name": repo.name,
                "full_name": repo.full_name,
                "owner": self.user(repo.owner),
                "private": repo.private,
                "html_url": f"{self.web}/{repo.full_name}",
                "description": None,
                "fork": False,
                "url": url,
                "clone_url": f"{self.web}/{repo.full_name}.git",
                "git_url": f"git://{self.web.split('://', 1)[1]}/{repo.full_name}.git",
                "ssh_url": f"git@{self.web.split('://', 1)[1]}:{repo.full_name}.git",
                "svn_url": f"{self.web}/{repo.full_name}",
                "mirror_url": None,
                "homepage": None,
                "language": None,
                "forks": 0,
                "forks_count": 0,
                "stargazers_count": 0,
                "watchers": 0,
                "watchers_count": 0,
                "size": 1,
                "default_branch": "main",
                "open_issues": open_count,
                "open_issues_count": open_count,
                "has_issues": repo.has_issues,
                "has_projects": False,
                "has_wiki": False,
                "has_pages": False,
                "has_discussions": False,
                "archived": False,
                "disabled": False,
                "license": None,
                "pushed_at": stamp(created),
                "created_at": stamp(created),
                "updated_at": stamp(created),
                "permissions": dict(repo.permissions),
                "network_count": 0,
                "subscribers_count": 0,
            }
        )
        return data

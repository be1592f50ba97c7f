"""The handful of GitHub REST calls the connector makes, for one repository.

Each method is one documented operation (see tests/contracts/github-issues.openapi.json),
answers with plain JSON dicts, and raises remediate errors for failures. Redirects of
writes to transferred issues (GitHub answers 307 there; PyGithub follows only 301) are
followed here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from requests.utils import parse_header_links

from remediate.connectors import StateCache
from remediate.errors import AuthError, Conflict, NotFound, Unavailable
from remediate_github import answers
from remediate_github.config import Config
from remediate_github.edge import TOKEN_VAR, TRACKER, error_for
from remediate_github.refs import IssueAddress
from remediate_github.transport import Response, Transport

log = logging.getLogger("remediate.github")

PER_PAGE = 100  # GitHub's maximum page size for every list we read
PUSH_ROLES = ("admin", "maintain", "push", "triage")


class RepoApi:
    """GitHub REST calls scoped to the configured repository."""

    def __init__(self, config: Config, transport: Transport, cache: StateCache) -> None:
        self.config = config
        self.transport = transport
        self.cache = cache
        self.path = f"/repos/{config.repo}"
        self.repository: dict[str, Any] | None = None
        self._labels_ok: set[str] = set()
        self.created: set[str] = set()  # labels this run created (case-folded)

    # --- repository and labels ---------------------------------------------------------------

    def check_repository(self) -> dict[str, Any]:
        """Read the repository once per run: it exists, has issues, and the token may write."""
        if self.repository is not None:
            return self.repository
        what = f"reading the repository {self.config.repo}"
        answer = self.transport.request("GET", self.path, what=what, shape=answers.Repository)
        if answer.status == 404:
            raise NotFound(
                f"repository {self.config.repo} not found at {self.transport.base_url}, or the "
                f"token in {TOKEN_VAR} cannot see it: check --repo / [connectors.github] repo "
                "and the token's repository access",
                tracker=TRACKER,
            )
        self.expect(answer, (200,), what)
        repo: dict[str, Any] = answer.data
        if repo.get("has_issues") is False:
            raise Conflict(
                f"issues are disabled in {self.config.repo}: enable them in the repository "
                "settings, or choose another repository",
                tracker=TRACKER,
            )
        permissions = repo.get("permissions")
        if isinstance(permissions, dict) and not any(permissions.get(r) for r in PUSH_ROLES):
            raise AuthError(
                f"the token in {TOKEN_VAR} can read {self.config.repo} but not label or assign "
                "issues there: give it triage or write access",
                tracker=TRACKER,
            )
        full_name = str(repo.get("full_name") or self.config.repo)
        if full_name.casefold() != self.config.repo.casefold():
            log.warning(
                "repository %s is now %s (renamed or transferred): update [connectors.github] repo",
                self.config.repo,
                full_name,
            )
        self.repository = repo
        return repo

    def ensure_labels(self, labels: Mapping[str, str]) -> None:
        """Create each label (name -> description) not known to exist; once, then cached.

        The label is created straight away (``POST``), not looked up first: a label remediate
        needs is usually new (one per postmortem), and GitHub's 422 ``already_exists`` says as
        much as a ``GET`` would, in the same one request. Labels this run created are kept in
        ``created``: no issue can carry them from before this run.
        """
        for name, description in labels.items():
            key = f"{self.config.repo}:label:{name.casefold()}"
            if name.casefold() in self._labels_ok or self.cache.get(key):
                continue
            what = f"creating the label {name!r}"
            body = {"name": name, "color": self.config.label_color, "description": description[:100]}
            answer = self.transport.request("POST", f"{self.path}/labels", body=body, what=what, shape=answers.Label)
            if answer.status == 201:
                self.created.add(name.casefold())
            # 422 already_exists: created before, or by another run in between, which is fine.
            elif not (answer.status == 422 and "already_exists" in str(answer.data)):
                self.expect(answer, (201,), what)
            self._labels_ok.add(name.casefold())
            self.cache.set(key, "1")

    # --- issues --------------------------------------------------------------------------------

    def create_issue(
        self, payload: dict[str, Any], what: str, recover: Callable[[], dict[str, Any] | None]
    ) -> dict[str, Any]:
        """POST a new issue; after an ambiguous failure ``recover`` finds it if it was created."""

        def look() -> Response | None:
            found = recover()
            return Response(200, {}, found) if found is not None else None

        answer = self.transport.request(
            "POST", f"{self.path}/issues", body=payload, what=what, recover=look, shape=answers.Issue
        )
        self.expect(answer, (200, 201), what)
        return dict(answer.data)

    def issue_url(self, address: IssueAddress) -> str:
        """The API path of an issue."""
        return f"/repos/{address.repo}/issues/{address.number}"

    def get_issue(self, address: IssueAddress, *, etag: str | None = None) -> Response:
        """GET an issue (conditional when ``etag`` is given); the caller reads 304/404/410."""
        headers = {"If-None-Match": etag} if etag else None
        return self.transport.request(
            "GET", self.issue_url(address), headers=headers, what=f"reading issue {address.key}", shape=answers.Issue
        )

    def patch_issue(self, address: IssueAddress, payload: dict[str, Any], what: str) -> Response:
        """PATCH an issue; a 307 (transferred issue) is followed once, like GitHub asks."""
        answer = self.transport.request("PATCH", self.issue_url(address), body=payload, what=what, shape=answers.Issue)
        if answer.status in (301, 302, 307, 308):
            location = answer.headers.get("location") or answer.data.get("url")
            if location and self._same_origin(location):
                answer = self.transport.request("PATCH", location, body=payload, what=what, shape=answers.Issue)
        return answer

    def list_issues(self, params: Mapping[str, Any], what: str, *, etag: str | None = None) -> Iterator[Response]:
        """Pages of ``GET /repos/{repo}/issues``; the first one may be a 304 when ``etag`` is given."""
        headers = {"If-None-Match": etag} if etag else None
        yield from self.pages(f"{self.path}/issues", {**params, "per_page": PER_PAGE}, what, headers, answers.Issues)

    def pages(
        self,
        url: str,
        params: Mapping[str, Any] | None,
        what: str,
        headers: Mapping[str, str] | None = None,
        shape: Any = None,
    ) -> Iterator[Response]:
        """Follow ``Link: rel="next"`` verbatim (it carries every filter); yield each page (of ``shape``)."""
        answer = self.transport.request("GET", url, params=params, headers=headers, what=what, shape=shape)
        while True:
            if answer.status == 404 and url.startswith(self.path):
                raise NotFound(
                    f"{what}: repository {self.config.repo} not found, or the token in "
                    f"{TOKEN_VAR} cannot see it: check --repo / [connectors.github] repo",
                    tracker=TRACKER,
                )
            self.expect(answer, (200, 304), what)
            yield answer
            following = _next_link(answer.headers.get("link"))
            if answer.status == 304 or following is None:
                return
            if not self._same_origin(following):
                raise Unavailable(
                    f"{what}: GitHub sent a next-page link to another server ({following}); check GITHUB_API_URL",
                    tracker=TRACKER,
                )
            answer = self.transport.request("GET", following, what=what, shape=shape)

    def sub_issue_ids(self, parent: IssueAddress) -> list[int] | None:
        """Ids of the parent's sub-issues, or None where the server has no sub-issues (404)."""
        url = f"{self.issue_url(parent)}/sub_issues"
        what = f"listing the sub-issues of {parent.key}"
        first = self.transport.request("GET", url, params={"per_page": PER_PAGE}, what=what, shape=answers.SubIssues)
        if first.status == 404:
            return None
        ids: list[int] = []
        self.expect(first, (200,), what)
        ids += [int(child["id"]) for child in first.data]
        following = _next_link(first.headers.get("link"))
        while following and self._same_origin(following):
            answer = self.transport.request("GET", following, what=what, shape=answers.SubIssues)
            self.expect(answer, (200,), what)
            ids += [int(child["id"]) for child in answer.data]
            following = _next_link(answer.headers.get("link"))
        return ids

    def add_sub_issue(self, parent: IssueAddress, child_id: int, what: str) -> Response:
        """POST one sub-issue link (by the child's id, not its number); the caller reads 4xx."""
        return self.transport.request(
            "POST",
            f"{self.issue_url(parent)}/sub_issues",
            body={"sub_issue_id": child_id},
            what=what,
            shape=answers.Issue,  # the parent, as GitHub answers it
        )

    # --- helpers -------------------------------------------------------------------------------

    def expect(self, answer: Response, ok: tuple[int, ...], what: str) -> None:
        """Raise the matching remediate error unless the status is one of ``ok``."""
        if answer.status not in ok:
            raise error_for(answer.status, answer.data, what, repo=self.config.repo)

    def _same_origin(self, url: str) -> bool:
        base = urlsplit(self.transport.base_url)
        target = urlsplit(url)
        return (target.scheme, target.netloc.casefold()) == (base.scheme, base.netloc.casefold())


def _next_link(header: str | None) -> str | None:
    if not header:
        return None
    for link in parse_header_links(header):
        if link.get("rel") == "next" and link.get("url"):
            return str(link["url"])
    return None

"""The per-postmortem tracking issue: one issue that lists the postmortem's action items.

Where the server has sub-issues (github.com, recent GHES) items are linked as sub-issues,
by issue *id*, at most 100 per parent; items that cannot be linked (another owner, over
the limit, already a sub-issue elsewhere) are listed as a task list in the body instead.
Where it has none (the sub-issue endpoints answer 404), the whole list is a task list;
``mode = "auto"`` remembers that per server in the state cache.

The tracking issue carries the per-postmortem label and the tracking label, plus a hidden
marker, so a run that died after creating it finds it again (one list request) instead of
creating a second one. Sub-issues are only ever added: one a person added by hand, or an
item removed from the document, is left where it is.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from remediate.connectors import PostmortemInfo, TicketRef
from remediate.errors import NotFound
from remediate_github import markers
from remediate_github.api import RepoApi
from remediate_github.config import Config
from remediate_github.edge import TRACKER
from remediate_github.refs import IssueAddress, References

log = logging.getLogger("remediate.github")

SUB_ISSUE_LIMIT = 100


class TrackingIssues:
    """Implements ``Connector.sync_group`` for one repository."""

    def __init__(self, config: Config, api: RepoApi, refs: References) -> None:
        self.config = config
        self.api = api
        self.refs = refs

    @property
    def _mode_key(self) -> str:
        return f"{self.api.transport.base_url}:sub-issues"

    def _sub_issues_wanted(self) -> bool:
        mode = self.config.tracking.mode
        if mode == "auto":
            return self.api.cache.get(self._mode_key) != "unavailable"
        return mode == "sub-issues"

    def _no_sub_issues(self) -> None:
        if self.config.tracking.mode == "sub-issues":
            raise NotFound(
                f"{self.api.transport.base_url} has no sub-issues: set "
                '[connectors.github.tracking] mode = "task-list" (or "auto")',
                tracker=TRACKER,
            )
        log.info("no sub-issues on %s: listing action items as a task list", self.api.transport.base_url)
        self.api.cache.set(self._mode_key, "unavailable")

    def sync(
        self,
        postmortem: PostmortemInfo,
        group: TicketRef | None,
        members: Sequence[TicketRef],
        labels: list[str],
    ) -> TicketRef:
        """Create or refresh the tracking issue and return its ref."""
        issue = self._existing(postmortem, group, labels)
        title = markers.tracking_title(self.config.tracking.title, postmortem)
        sub_issues = self._sub_issues_wanted()
        linked: list[int] | None = []
        if sub_issues and issue is not None:
            linked = self.api.sub_issue_ids(self._address(issue))
            if linked is None:
                self._no_sub_issues()
                sub_issues = False
        listed = [ref.key for ref in members] if not sub_issues else []
        if issue is None:
            body = markers.tracking_body(postmortem, listed, sub_issues=sub_issues)
            what = f"creating the tracking issue of postmortem {postmortem.id}"
            payload = {"title": title, "body": body, "labels": labels}
            issue = self.api.create_issue(payload, what, lambda: self._find(postmortem, labels))
        parent = self._address(issue)
        if sub_issues:
            spilled = self._link(parent, set(linked or []), members)
            if spilled is None:  # the server turned out to have no sub-issues
                sub_issues = False
                spilled = [ref.key for ref in members]
            listed = spilled
        body = markers.tracking_body(postmortem, listed, sub_issues=sub_issues)
        changes: dict[str, Any] = {}
        if issue.get("title") != title:
            changes["title"] = title
        if (issue.get("body") or "") != body:
            changes["body"] = body
        if changes:
            what = f"updating the tracking issue {parent.key}"
            answer = self.api.patch_issue(parent, changes, what)
            self.api.expect(answer, (200,), what)
            issue = answer.data
        address = self._address(issue)
        return TicketRef(TRACKER, address.key, issue.get("html_url") or self.refs.url(address), str(issue["id"]))

    def _address(self, issue: dict[str, Any]) -> IssueAddress:
        return self.refs.from_api_url(str(issue.get("repository_url") or ""), int(issue["number"]))

    def _existing(
        self, postmortem: PostmortemInfo, group: TicketRef | None, labels: list[str]
    ) -> dict[str, Any] | None:
        if group is not None:
            address = self.refs.parse(group.key)
            if address is not None:
                answer = self.api.get_issue(address)
                if answer.status == 200:
                    return dict(answer.data)
                if answer.status not in (404, 410):
                    self.api.expect(answer, (200,), f"reading the tracking issue {group.key}")
                log.warning(
                    "tracking issue %s is gone (HTTP %s); creating a new one",
                    group.key,
                    answer.status,
                )
        if labels and labels[0].casefold() in self.api.created:
            # The postmortem's label did not exist before this run created it: no earlier run
            # can have filed a tracking issue carrying it, so there is nothing to look for.
            return None
        return self._find(postmortem, labels)

    def _find(self, postmortem: PostmortemInfo, labels: list[str]) -> dict[str, Any] | None:
        """The tracking issue a previous run created, found by its labels and marker."""
        params = {"labels": ",".join(labels), "state": "all", "sort": "created", "direction": "asc"}
        what = f"looking for the tracking issue of postmortem {postmortem.id}"
        for page in self.api.list_issues(params, what):
            for issue in page.data:
                if "pull_request" not in issue and markers.find_tracking_marker(issue.get("body")) == postmortem.id:
                    return dict(issue)
        return None

    def _link(self, parent: IssueAddress, linked: set[int], members: Sequence[TicketRef]) -> list[str] | None:
        """Add missing members as sub-issues; return the keys to list in the body instead."""
        listed: list[str] = []
        owner = parent.repo.split("/", 1)[0].casefold()
        for ref in members:
            address = self.refs.parse(ref.key)
            if address is None:
                continue
            if address.repo.split("/", 1)[0].casefold() != owner:
                listed.append(ref.key)  # sub-issues must belong to the same owner
                continue
            child_id = int(ref.remote_id) if ref.remote_id and ref.remote_id.isdigit() else self._id_of(address)
            if child_id is None:
                listed.append(ref.key)
                continue
            if child_id in linked:
                continue
            if len(linked) >= SUB_ISSUE_LIMIT:
                log.warning(
                    "%s already has %d sub-issues (GitHub's limit): %s is listed in its body instead",
                    parent.key,
                    SUB_ISSUE_LIMIT,
                    ref.key,
                )
                listed.append(ref.key)
                continue
            what = f"adding {ref.key} as a sub-issue of {parent.key}"
            answer = self.api.add_sub_issue(parent, child_id, what)
            if answer.status == 404 and self.api.sub_issue_ids(parent) is None:
                self._no_sub_issues()  # the endpoint itself is missing, not the child
                return None
            if answer.status in (404, 410, 422):
                log.warning(
                    "GitHub would not add %s as a sub-issue of %s (%s); listed in the body instead",
                    ref.key,
                    parent.key,
                    (answer.data or {}).get("message"),
                )
                listed.append(ref.key)
                continue
            self.api.expect(answer, (200, 201), what)
            linked.add(child_id)
        return listed

    def _id_of(self, address: IssueAddress) -> int | None:
        answer = self.api.get_issue(address)
        if answer.status != 200:
            return None
        return int(answer.data["id"])

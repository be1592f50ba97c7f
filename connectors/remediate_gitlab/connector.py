"""The GitLab connector: one issue per action item, one tracking issue per postmortem.

Request budget (pinned in tests/connectors/gitlab/test_gitlab_budget.py):
- first sync of N items: N ``POST /issues`` (GitLab creates missing labels itself), one
  ``GET /users`` per distinct mapped owner, and per postmortem one tracking issue, one read of
  its links and one ``POST /links`` per item;
- re-sync with nothing changed: no request;
- states of N issues of which k changed: ceil(k/100) list pages filtered by ``updated_after``
  (a full read, once a day by default, lists every issue and reads each missing one once).

Crash recovery and adoption (``find``) list the issues carrying both the remediation label
and the postmortem's label, oldest first, and read the hidden markers: one request per 100
issues of a postmortem, consistent at once (GitLab's search is an index that may lag).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel

from remediate.connectors import (
    Check,
    ConnectorContext,
    Created,
    HookInstall,
    PostmortemInfo,
    Status,
    TicketDraft,
    TicketRef,
    TicketState,
    WebhookEvent,
    WebhookRequest,
    map_owner,
)
from remediate.errors import Conflict, ConnectorError, NotFound
from remediate_gitlab import text
from remediate_gitlab.answers import A, Issue, Link, User, parse, parse_list
from remediate_gitlab.config import TITLE_MAX
from remediate_gitlab.config import Config as GitLabConfig
from remediate_gitlab.hooks import SECRET_VAR
from remediate_gitlab.text import IssueAddress, References, project_path
from remediate_gitlab.transport import TRACKER, Clock, Sleep, Transport

#: Added to an issue closed by ``remediate dedupe``, so no scan counts it as an item's ticket again.
DUPLICATE_LABEL = "remediate-duplicate"

log = logging.getLogger("remediate.gitlab")

#: Draft fields that appear in the description.
DESCRIPTION_FIELDS = frozenset({"text", "section", "owner", "due", "priority"})
_FULL_READ_KEY = "gitlab:last-full-read"


class GitLabConnector:
    """Files action items as GitLab issues and reads their states back."""

    name: ClassVar[str] = TRACKER
    Config: ClassVar[type[BaseModel]] = GitLabConfig
    # In a GitLab CI job the project is in CI_PROJECT_PATH: no config needed there.
    env_defaults: ClassVar[dict[str, str]] = {"project": "CI_PROJECT_PATH"}
    webhook_secret_env: ClassVar[str] = SECRET_VAR

    def __init__(
        self,
        config: GitLabConfig,
        context: ConnectorContext,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.config = config
        self.cache = context.cache
        self._env = context.env
        self._clock = clock
        self._sleep = sleep
        self.transport = Transport(config, context.env, clock=clock, sleep=sleep)
        self.refs = References(config.project, self.transport.url)
        self._base = f"/projects/{project_path(config.project)}"
        self._users: dict[str, int | None] = {}
        self._warned_owners: set[str] = set()

    @classmethod
    def credentials_problem(cls, config: Any, env: Mapping[str, str]) -> str | None:
        """What the environment lacks for GitLab, without a request (None: nothing)."""
        return None if env.get("GITLAB_TOKEN", "").strip() else "GITLAB_TOKEN is not set"

    @classmethod
    def from_config(cls, config: Any, context: ConnectorContext) -> GitLabConnector:
        """Build the connector; no request is made until a method needs one."""
        return cls(config, context)

    def check(self) -> list[Check]:
        """``remediate doctor``: the token (``GET /user``, its scopes) and the project; no retries."""
        from remediate_gitlab.checks import live_checks

        return live_checks(self.config, self._env, clock=self._clock, sleep=self._sleep)

    # --- references --------------------------------------------------------------------------

    def claim(self, reference: str) -> TicketRef | None:
        """``#12``, ``group/project#12`` or an issue URL of this project; no request."""
        address = self.refs.parse(reference)
        return None if address is None else TicketRef(TRACKER, address.key, self.refs.url(address))

    def _ref(self, issue: Issue) -> TicketRef:
        address = IssueAddress(self.config.project, issue.iid)
        return TicketRef(TRACKER, address.key, issue.web_url, str(issue.id))

    def _iid(self, ref: TicketRef) -> int:
        address = self.refs.parse(ref.key)
        if address is None:
            raise Conflict(f"{ref.key!r} is not an issue of {self.config.project}", tracker=TRACKER)
        return address.iid

    # --- owners and labels ---------------------------------------------------------------------

    def _postmortem_label(self, postmortem: PostmortemInfo) -> str:
        return text.postmortem_label(self.config.postmortem_label, postmortem)

    def _user_id(self, draft: TicketDraft) -> tuple[str | None, int | None]:
        username = map_owner(draft.owner, self.config.owners)
        if draft.owner and username is None and draft.owner not in self._warned_owners:
            self._warned_owners.add(draft.owner)
            log.warning(
                "owner %r has no GitLab username in [connectors.gitlab.owners]: its issues stay unassigned "
                "(first seen on item %s)",
                draft.owner,
                draft.item_id,
            )
        if username is None:
            return None, None
        if username not in self._users:
            what = f"looking up the GitLab user {username}"
            _, data, _ = self.transport.request("get", "/users", what, query={"username": username})
            users = self._parse_list(User, data, what)
            self._users[username] = users[0].id if users else None
            if not users:
                log.warning("GitLab has no user %r (owner of item %s): left unassigned", username, draft.item_id)
        return username, self._users[username]

    def _parse(self, model: type[A], data: Any, what: str) -> A:
        return parse(model, data, what, request=self.transport.last_request)

    def _parse_list(self, model: type[A], data: Any, what: str) -> list[A]:
        return parse_list(model, data, what, request=self.transport.last_request)

    # --- create / find / update ----------------------------------------------------------------

    def create(self, drafts: Sequence[TicketDraft]) -> Iterator[Created]:
        """Create one issue per draft, yielding each as soon as it exists."""
        for draft in drafts:
            issue = self._create_one(draft)
            failure: ConnectorError | None = None
            if draft.done:
                try:
                    self._set_state(issue.iid, True, draft.item_id)
                except ConnectorError as exc:  # the issue exists: hand it over, then report
                    failure = exc
            yield Created(draft.item_id, self._ref(issue))
            if failure is not None:
                raise failure

    def _create_one(self, draft: TicketDraft) -> Issue:
        username, user_id = self._user_id(draft)
        body: dict[str, Any] = {
            "title": text.issue_title(draft),
            "description": text.issue_description(draft, username if user_id else None),
            "labels": f"{self.config.label},{self._postmortem_label(draft.postmortem)}",
        }
        if user_id:
            body["assignee_ids"] = [user_id]
        if draft.due:
            body["due_date"] = draft.due.isoformat()
        what = f"creating the issue of item {draft.item_id}"

        def recover() -> Any:
            found = self._scan(draft.postmortem, {draft.item_id}).get(draft.item_id)
            return found[0].model_dump(mode="json") if found else None

        _, data, _ = self.transport.request("post", f"{self._base}/issues", what, body=body, recover=recover)
        return self._parse(Issue, data, what)

    def _set_state(self, iid: int, done: bool, item_id: str) -> Issue:
        what = f"{'closing' if done else 'reopening'} {self.config.project}#{iid} (item {item_id})"
        body = {"state_event": "close" if done else "reopen"}
        _, data, _ = self.transport.request("put", f"{self._base}/issues/{iid}", what, body=body)
        return self._parse(Issue, data, what)

    def _scan(self, postmortem: PostmortemInfo, wanted: set[str]) -> dict[str, list[Issue]]:
        """Live issues of one postmortem whose markers name ``wanted`` items, oldest first.

        Issues closed as duplicates (``remediate dedupe``: the duplicate label) no longer count.
        """
        query = {
            "labels": f"{self.config.label},{self._postmortem_label(postmortem)}",
            "order_by": "created_at",
            "sort": "asc",
        }
        found: dict[str, list[Issue]] = {}
        what = f"looking for the issues of postmortem {postmortem.id}"
        for page in self.transport.pages(f"{self._base}/issues", query, what):
            for issue in self._parse_list(Issue, page.items, what):
                item_id = text.find_item_marker(issue.description)
                if item_id in wanted and DUPLICATE_LABEL not in issue.labels:
                    found.setdefault(item_id, []).append(issue)
        return found

    def find(self, drafts: Sequence[TicketDraft]) -> dict[str, TicketRef]:
        """Issues carrying these items' markers (the oldest of several); one list per postmortem."""
        return {item_id: refs[0] for item_id, refs in self.find_all(drafts).items()}

    def find_all(self, drafts: Sequence[TicketDraft]) -> dict[str, list[TicketRef]]:
        """Every live issue carrying each item's marker, oldest first; one list per postmortem."""
        by_postmortem: dict[str, tuple[PostmortemInfo, set[str]]] = {}
        for draft in drafts:
            by_postmortem.setdefault(draft.postmortem.id, (draft.postmortem, set()))[1].add(draft.item_id)
        result: dict[str, list[TicketRef]] = {}
        for postmortem, wanted in by_postmortem.values():
            for item_id, issues in self._scan(postmortem, wanted).items():
                result[item_id] = [self._ref(issue) for issue in issues]
        return result

    def close_duplicate(self, ref: TicketRef, original: TicketRef) -> None:
        """Leave a note saying why, then close the issue with the duplicate label."""
        path = f"{self._base}/issues/{self._iid(ref)}"
        what = f"closing {ref.key} as a duplicate of {original.key}"
        note = (
            f"Duplicate of {original.key}: both issues were filed by remediate for the same action item "
            "(two syncs on separate databases ran at once). Closed by `remediate dedupe --apply`."
        )
        self.transport.request("post", f"{path}/notes", what, body={"body": note})
        self.transport.request("put", path, what, body={"state_event": "close", "add_labels": DUPLICATE_LABEL})

    def update(self, ref: TicketRef, draft: TicketDraft, changed: frozenset[str]) -> TicketRef:
        """PUT only what changed; never recreate. Issues remediate did not file are left alone."""
        iid = self._iid(ref)
        path = f"{self._base}/issues/{iid}"
        if ref.remote_id is None:
            # Linked from a reference in the document: somebody else's issue unless it has our marker.
            what = f"reading {ref.key}"
            status, data, _ = self.transport.request("get", path, what, accept=(404,))
            if status == 404:
                raise NotFound(f"{ref.key} cannot be found (deleted or not visible)", tracker=TRACKER)
            issue = self._parse(Issue, data, what)
            if text.find_item_marker(issue.description) != draft.item_id:
                log.info("%s was linked, not filed, by remediate: left as it is", ref.key)
                return self._ref(issue)
        body: dict[str, Any] = {}
        if "title" in changed:
            body["title"] = text.issue_title(draft)
        if changed & DESCRIPTION_FIELDS:
            username, user_id = self._user_id(draft)
            body["description"] = text.issue_description(draft, username if user_id else None)
            if "owner" in changed:
                body["assignee_ids"] = [user_id] if user_id else []
            if "due" in changed:
                body["due_date"] = draft.due.isoformat() if draft.due else ""
        if "done" in changed and draft.done is not None:
            body["state_event"] = "close" if draft.done else "reopen"
        if not body:
            return ref
        what = f"updating {ref.key} (item {draft.item_id})"
        status, data, _ = self.transport.request("put", path, what, body=body, accept=(404,))
        if status == 404:
            raise NotFound(f"{ref.key} was deleted on GitLab; remediate will not recreate it", tracker=TRACKER)
        return self._ref(self._parse(Issue, data, what))

    # --- states --------------------------------------------------------------------------------

    def _status(self, issue: Issue) -> tuple[Status, str]:
        labels = {label.casefold() for label in issue.labels}
        if issue.state == "closed":
            not_doing = next((lab for lab in self.config.not_doing_labels if lab.casefold() in labels), None)
            return (Status.NOT_DOING, f"closed: {not_doing}") if not_doing else (Status.DONE, "closed")
        if self.config.in_progress_label and self.config.in_progress_label.casefold() in labels:
            return Status.IN_PROGRESS, f"open: {self.config.in_progress_label}"
        return Status.OPEN, "open"

    def _state(self, ref: TicketRef, issue: Issue) -> TicketState:
        if issue.moved_to_id is not None:
            return TicketState(
                ref, Status.NOT_DOING, issue.updated_at, f"moved (issue id {issue.moved_to_id})", "moved"
            )
        status, detail = self._status(issue)
        return TicketState(self._ref(issue), status, issue.updated_at, detail)

    def _full_read_due(self, now: datetime) -> bool:
        hours = self.config.full_refresh_hours
        last = self.cache.get(_FULL_READ_KEY)
        if hours == 0 or last is None:
            return True
        return now - datetime.fromisoformat(last) >= timedelta(hours=hours)

    def states(self, refs: Sequence[TicketRef], since: datetime | None) -> Iterator[TicketState]:
        """States of ``refs`` changed after ``since``; a full read also reports missing issues."""
        now = datetime.fromtimestamp(self._clock(), UTC)
        wanted = {self._iid(ref): ref for ref in refs}
        if not wanted:
            return
        full = since is None or self._full_read_due(now)
        query: dict[str, Any] = {"labels": self.config.label, "order_by": "updated_at", "sort": "asc"}
        if not full and since is not None:
            query["updated_after"] = since.astimezone(UTC).isoformat().replace("+00:00", "Z")
        seen: set[int] = set()
        what = "reading the states of action-item issues"
        for page in self.transport.pages(f"{self._base}/issues", query, what):
            for issue in self._parse_list(Issue, page.items, what):
                ref = wanted.get(issue.iid)
                if ref is None:
                    continue
                seen.add(issue.iid)
                if since is None or issue.updated_at > since:
                    yield self._state(ref, issue)
        if not full:
            return
        for iid, ref in wanted.items():
            if iid not in seen:
                yield self._missing(ref, iid, since)
        self.cache.set(_FULL_READ_KEY, now.isoformat())

    # --- webhooks ------------------------------------------------------------------------------

    @classmethod
    def verify_webhook(cls, request: WebhookRequest, env: Mapping[str, str]) -> WebhookEvent:
        """A GitLab delivery, its ``X-Gitlab-Token`` checked (see :mod:`remediate_gitlab.hooks`)."""
        from remediate_gitlab.hooks import verify

        return verify(request, env)

    def install_webhook(self, url: str, secret: str, *, rotate_secret: bool = False) -> HookInstall:
        """Add or edit the project's webhook for ``url`` (see :mod:`remediate_gitlab.hooks`)."""
        from remediate_gitlab.hooks import install

        return install(self.transport, self._base, self.config.project, url, secret, rotate_secret=rotate_secret)

    def read_tickets(self, refs: Sequence[TicketRef]) -> Iterator[TicketState]:
        """One ``GET`` per issue, whatever changed; deleted, moved and hidden ones come back missing."""
        for ref in refs:
            yield self._missing(ref, self._iid(ref), None)

    def _missing(self, ref: TicketRef, iid: int, since: datetime | None) -> TicketState:
        """An issue the label listing did not return: deleted, moved, unlabelled or hidden."""
        what = f"reading {ref.key}"
        status, data, _ = self.transport.request("get", f"{self._base}/issues/{iid}", what, accept=(403, 404))
        if status == 403:
            return TicketState(ref, Status.OPEN, None, "no access", "inaccessible")
        if status == 404:
            return TicketState(ref, Status.OPEN, None, "deleted on GitLab", "deleted")
        return self._state(ref, self._parse(Issue, data, what))

    # --- tracking issue ------------------------------------------------------------------------

    def sync_group(
        self, postmortem: PostmortemInfo, group: TicketRef | None, members: Sequence[TicketRef]
    ) -> TicketRef | None:
        """Create or refresh the postmortem's tracking issue and link each item to it."""
        if not self.config.tracking.enabled:
            return None
        labels = f"{self.config.tracking.label},{self._postmortem_label(postmortem)}"
        title = text.shorten(
            self.config.tracking.title.format(title=postmortem.title or postmortem.id, id=postmortem.id),
            TITLE_MAX,
        )
        iids = sorted({self._iid(m) for m in members})
        lines = [f"Action items of the postmortem **{text.neutralise(postmortem.title or postmortem.id)}**"]
        if postmortem.date:
            lines[0] += f" ({postmortem.date.isoformat()})"
        if postmortem.link:
            lines.append(f"\nDocument: {postmortem.link}")
        lines.append("")
        lines.extend(f"- #{iid}" for iid in iids)
        lines.append(f"\n<!-- remediate:postmortem={postmortem.id} -->")
        body = {"title": title, "description": "\n".join(lines), "labels": labels}
        what = f"keeping the tracking issue of postmortem {postmortem.id}"
        tracking = self._iid(group) if group is not None else self._find_tracking(postmortem, labels)
        if tracking is None:

            def recover() -> Any:
                found = self._find_tracking(postmortem, labels)
                if found is None:
                    return None
                _, data, _ = self.transport.request("get", f"{self._base}/issues/{found}", what)
                return data

            _, data, _ = self.transport.request("post", f"{self._base}/issues", what, body=body, recover=recover)
        else:
            status, data, _ = self.transport.request(
                "put", f"{self._base}/issues/{tracking}", what, body=body, accept=(404,)
            )
            if status == 404:  # deleted by someone: make a new one
                _, data, _ = self.transport.request("post", f"{self._base}/issues", what, body=body)
        issue = self._parse(Issue, data, what)
        self._link(issue, iids, what)
        return self._ref(issue)

    def _find_tracking(self, postmortem: PostmortemInfo, labels: str) -> int | None:
        what = f"looking for the tracking issue of postmortem {postmortem.id}"
        query = {"labels": labels, "order_by": "created_at", "sort": "asc"}
        for page in self.transport.pages(f"{self._base}/issues", query, what):
            for issue in self._parse_list(Issue, page.items, what):
                match = text.TRACKING_MARKER.search(issue.description or "")
                if match and match.group(1) == postmortem.id:
                    return issue.iid
        return None

    def _link(self, tracking: Issue, iids: Sequence[int], what: str) -> None:
        path = f"{self._base}/issues/{tracking.iid}/links"
        _, data, _ = self.transport.request("get", path, what)
        linked = {link.iid for link in self._parse_list(Link, data, what)}
        for iid in iids:
            if iid in linked or iid == tracking.iid:
                continue
            body = {
                "target_project_id": str(tracking.project_id),
                "target_issue_iid": str(iid),
                "link_type": self.config.tracking.link_type,
            }
            # 409: already linked (an earlier answer was lost): nothing to do.
            self.transport.request("post", path, f"linking #{iid} to #{tracking.iid}", body=body, accept=(409,))

"""The GitHub connector: one issue per action item, built on PyGithub's requester.

Request budget (pinned in tests/connectors/test_github_budget.py):
- first sync of N items: N ``POST /issues`` plus a constant (repository, labels, tracking
  issue); with sub-issues, one ``POST /sub_issues`` per item on top;
- re-sync with nothing changed: no write; reading states costs one 304 (the first read after
  a full one, once a day by default, is a small 200 that sets up the ETag);
- states of N issues of which k changed: ceil((k+1)/100) list pages.

Crash recovery (``find``) lists the issues carrying both the remediation label and the
postmortem's label, newest first, and reads the hidden markers: usually one request per
postmortem, consistent at once. The search API would be one request per item, limited to
30 a minute, and its index lags behind writes by seconds to minutes, which is exactly when
recovery runs (just after a crash), so it could miss the issue and duplicate it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel

from remediate.connectors import (
    Check,
    ConnectorContext,
    Created,
    HookInstall,
    PostmortemInfo,
    TicketDraft,
    TicketRef,
    TicketState,
    WebhookEvent,
    WebhookRequest,
    map_owner,
)
from remediate.errors import Conflict, ConnectorError, NotFound
from remediate_github import markers
from remediate_github.api import RepoApi
from remediate_github.config import Config as GitHubConfig
from remediate_github.edge import TRACKER, translate
from remediate_github.hooks import SECRET_VAR
from remediate_github.ratelimit import Clock, Sleep
from remediate_github.reading import StateReader
from remediate_github.refs import IssueAddress, References
from remediate_github.tracking import TrackingIssues
from remediate_github.transport import Transport

log = logging.getLogger("remediate.github")

#: Draft fields that appear in the issue body.
BODY_FIELDS = frozenset({"text", "section", "owner", "due", "priority"})


class GitHubConnector:
    """Files action items as GitHub issues and reads their states back."""

    name: ClassVar[str] = TRACKER
    Config: ClassVar[type[BaseModel]] = GitHubConfig
    # In an Actions runner the repository is in GITHUB_REPOSITORY: no config needed there.
    env_defaults: ClassVar[dict[str, str]] = {"repo": "GITHUB_REPOSITORY"}
    webhook_secret_env: ClassVar[str] = SECRET_VAR

    def __init__(
        self,
        config: GitHubConfig,
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
        self.refs = References(config.repo, self.transport.base_url)
        self.api = RepoApi(config, self.transport, context.cache)
        self.reader = StateReader(config, self.api, self.refs, context.cache)
        self.tracking = TrackingIssues(config, self.api, self.refs)
        self._warned_owners: set[str] = set()

    @classmethod
    def credentials_problem(cls, config: Any, env: Mapping[str, str]) -> str | None:
        """What the environment lacks for GitHub, without a request (None: nothing)."""
        return None if env.get("GITHUB_TOKEN", "").strip() else "GITHUB_TOKEN is not set"

    @classmethod
    def from_config(cls, config: Any, context: ConnectorContext) -> GitHubConnector:
        """Build the connector; no request is made until a method needs one."""
        return cls(config, context)

    def _edge(self) -> Any:
        return translate(self.transport.secrets, base_url=self.transport.base_url)

    def check(self) -> list[Check]:
        """``remediate doctor``: the token (``GET /user``, its scopes) and the repository; no retries."""
        from remediate_github.checks import live_checks

        return live_checks(self.config, self._env, clock=self._clock, sleep=self._sleep)

    # --- references --------------------------------------------------------------------------

    def claim(self, reference: str) -> TicketRef | None:
        """``#12``, ``GH-12``, ``owner/repo#12`` or an issue URL on this GitHub; no request."""
        address = self.refs.parse(reference)
        if address is None:
            return None
        return TicketRef(TRACKER, address.key, self.refs.url(address))

    def _ref(self, issue: dict[str, Any]) -> TicketRef:
        address = self.refs.from_api_url(str(issue.get("repository_url") or ""), int(issue["number"]))
        return TicketRef(TRACKER, address.key, issue.get("html_url") or self.refs.url(address), str(issue["id"]))

    def _address(self, ref: TicketRef) -> IssueAddress:
        address = self.refs.parse(ref.key)
        if address is None:
            raise Conflict(f"{ref.key!r} is not a GitHub issue key (OWNER/REPO#NUMBER)", tracker=TRACKER)
        return address

    # --- labels and owners -------------------------------------------------------------------

    def _postmortem_label(self, postmortem: PostmortemInfo) -> str:
        return markers.postmortem_label(self.config.postmortem_label, postmortem)

    def _labels_for(self, drafts: Sequence[TicketDraft]) -> dict[str, str]:
        labels = {self.config.label: "Action item from a postmortem, filed by remediate"}
        if self.config.in_progress_label:
            labels[self.config.in_progress_label] = "Work on this action item has started"
        for draft in drafts:
            title = draft.postmortem.title or draft.postmortem.id
            labels[self._postmortem_label(draft.postmortem)] = f"Action items of the postmortem: {title}"
        return labels

    def _login(self, draft: TicketDraft) -> str | None:
        login = map_owner(draft.owner, self.config.owners)
        if draft.owner and login is None and draft.owner not in self._warned_owners:
            self._warned_owners.add(draft.owner)
            log.warning(
                "owner %r has no GitHub login in [connectors.github.owners]: its issues stay "
                "unassigned (first seen on item %s)",
                draft.owner,
                draft.item_id,
            )
        return login

    # --- create / find / update ----------------------------------------------------------------

    def create(self, drafts: Sequence[TicketDraft]) -> Iterator[Created]:
        """Create one issue per draft, paced, yielding each as soon as it exists."""
        with self._edge():
            if not drafts:
                return
            self.api.check_repository()
            self.api.ensure_labels(self._labels_for(drafts))
            for draft in drafts:
                issue = self._create_one(draft)
                failure: ConnectorError | None = None
                if draft.done:
                    try:
                        self._set_state(self._address(self._ref(issue)), True, draft.item_id)
                    except ConnectorError as exc:  # the issue exists: hand it over, then report
                        failure = exc
                yield Created(draft.item_id, self._ref(issue))
                if failure is not None:
                    raise failure

    def _create_one(self, draft: TicketDraft) -> dict[str, Any]:
        login = self._login(draft)
        payload: dict[str, Any] = {
            "title": markers.issue_title(draft),
            "body": markers.issue_body(draft, login),
            "labels": [self.config.label, self._postmortem_label(draft.postmortem)],
        }
        if login:
            payload["assignees"] = [login]
        what = f"creating the issue of item {draft.item_id}"

        def recover() -> dict[str, Any] | None:
            found = self._scan(draft.postmortem, {draft.item_id}).get(draft.item_id)
            return found[0] if found else None

        try:
            return self.api.create_issue(payload, what, recover)
        except Conflict as exc:
            # A login GitHub will not assign (not a collaborator) must not block the issue.
            if "assignees" not in payload or "assignee" not in str(exc).lower():
                raise
            log.warning(
                "GitHub would not assign %s to item %s (%s): created unassigned; check [connectors.github.owners]",
                login,
                draft.item_id,
                exc,
            )
            del payload["assignees"]
            payload["body"] = markers.issue_body(draft, None)
            return self.api.create_issue(payload, what, recover)

    def _set_state(self, address: IssueAddress, done: bool, item_id: str) -> dict[str, Any]:
        payload = (
            {"state": "closed", "state_reason": "completed"} if done else {"state": "open", "state_reason": "reopened"}
        )
        what = f"{'closing' if done else 'reopening'} {address.key} (item {item_id})"
        answer = self.api.patch_issue(address, payload, what)
        self.api.expect(answer, (200,), what)
        return dict(answer.data)

    def _scan(self, postmortem: PostmortemInfo, wanted: set[str]) -> dict[str, list[dict[str, Any]]]:
        """Live issues of one postmortem whose markers name ``wanted`` items, oldest first.

        Issues closed as duplicates (``remediate dedupe``) are no longer an item's ticket.
        """
        params = {
            "labels": f"{self.config.label},{self._postmortem_label(postmortem)}",
            "state": "all",
            "sort": "created",
            "direction": "asc",
        }
        found: dict[str, list[dict[str, Any]]] = {}
        what = f"looking for the issues of postmortem {postmortem.id}"
        for page in self.api.list_issues(params, what):
            for issue in page.data:
                item_id = markers.find_item_marker(issue.get("body"))
                if item_id in wanted and "pull_request" not in issue and issue.get("state_reason") != "duplicate":
                    found.setdefault(item_id, []).append(issue)
        return found

    def find(self, drafts: Sequence[TicketDraft]) -> dict[str, TicketRef]:
        """Issues carrying these items' markers (the oldest of several); one list per postmortem."""
        return {item_id: refs[0] for item_id, refs in self.find_all(drafts).items()}

    def find_all(self, drafts: Sequence[TicketDraft]) -> dict[str, list[TicketRef]]:
        """Every live issue carrying each item's marker, oldest first; one list per postmortem."""
        with self._edge():
            by_postmortem: dict[str, tuple[PostmortemInfo, set[str]]] = {}
            for draft in drafts:
                by_postmortem.setdefault(draft.postmortem.id, (draft.postmortem, set()))[1].add(draft.item_id)
            result: dict[str, list[TicketRef]] = {}
            for postmortem, wanted in by_postmortem.values():
                for item_id, issues in self._scan(postmortem, wanted).items():
                    result[item_id] = [self._ref(issue) for issue in issues]
            return result

    def close_duplicate(self, ref: TicketRef, original: TicketRef) -> None:
        """Comment why, then close the issue with GitHub's own reason, ``duplicate``."""
        with self._edge():
            address = self._address(ref)
            what = f"closing {ref.key} as a duplicate of {original.key}"
            note = (
                f"Duplicate of {original.key}: both issues were filed by remediate for the same action item "
                "(two syncs on separate databases ran at once). Closed by `remediate dedupe --apply`."
            )
            answer = self.api.transport.request(
                "POST", f"{self.api.issue_url(address)}/comments", body={"body": note}, what=what
            )
            self.api.expect(answer, (201,), what)
            answer = self.api.patch_issue(address, {"state": "closed", "state_reason": "duplicate"}, what)
            self.api.expect(answer, (200,), what)

    def update(self, ref: TicketRef, draft: TicketDraft, changed: frozenset[str]) -> TicketRef:
        """PATCH only what changed; never recreate. Issues remediate did not file are left alone."""
        with self._edge():
            address = self._address(ref)
            if ref.remote_id is None:
                # A linked issue (claimed from a reference in the document): somebody else's
                # words and decisions, unless it carries our marker. Read-only for us.
                answer = self.api.get_issue(address)
                self._expect_issue(answer, address)
                if markers.find_item_marker(answer.data.get("body")) != draft.item_id:
                    log.info("%s was linked, not filed, by remediate: left as it is", ref.key)
                    return self._ref(answer.data)
            payload: dict[str, Any] = {}
            if "title" in changed:
                payload["title"] = markers.issue_title(draft)
            if changed & BODY_FIELDS:
                login = self._login(draft)
                payload["body"] = markers.issue_body(draft, login)
                if "owner" in changed and login:
                    payload["assignees"] = [login]  # replaces the set, as the document says
            if "done" in changed and draft.done is not None:
                payload["state"] = "closed" if draft.done else "open"
                payload["state_reason"] = "completed" if draft.done else "reopened"
            if not payload:
                return ref
            what = f"updating {ref.key} (item {draft.item_id})"
            answer = self.api.patch_issue(address, payload, what)
            self._expect_issue(answer, address)
            return self._ref(answer.data)

    def _expect_issue(self, answer: Any, address: IssueAddress) -> None:
        if answer.status == 410:
            raise NotFound(
                f"{address.key} was deleted on GitHub; remediate will not recreate it",
                tracker=TRACKER,
            )
        if answer.status in (301, 302, 307, 404):
            raise NotFound(
                f"{address.key} cannot be found (transferred to a repository the token cannot "
                "see, deleted, or access removed); remediate will not recreate it",
                tracker=TRACKER,
            )
        self.api.expect(answer, (200,), f"updating {address.key}")

    # --- states and tracking issues ---------------------------------------------------------

    def states(self, refs: Sequence[TicketRef], since: datetime | None) -> Iterator[TicketState]:
        """States of ``refs`` changed after ``since``: one 304 when nothing changed."""
        with self._edge():
            now = datetime.fromtimestamp(self._clock(), UTC)
            yield from self.reader.read(refs, since, now)

    # --- webhooks ------------------------------------------------------------------------------

    @classmethod
    def verify_webhook(cls, request: WebhookRequest, env: Mapping[str, str]) -> WebhookEvent:
        """A GitHub delivery, its ``X-Hub-Signature-256`` checked (see :mod:`remediate_github.hooks`)."""
        from remediate_github.hooks import verify

        return verify(request, env)

    def read_tickets(self, refs: Sequence[TicketRef]) -> Iterator[TicketState]:
        """One ``GET`` per issue, whatever changed; deleted and transferred ones come back missing."""
        with self._edge():
            for ref in refs:
                yield from self.reader.read_one(ref)

    def install_webhook(self, url: str, secret: str, *, rotate_secret: bool = False) -> HookInstall:
        """Create or update the repository's webhook for ``url`` (see :mod:`remediate_github.hooks`)."""
        from remediate_github.hooks import install

        with translate((*self.transport.secrets, secret), base_url=self.transport.base_url):
            return install(self.api, url, secret, rotate_secret=rotate_secret)

    def sync_group(
        self, postmortem: PostmortemInfo, group: TicketRef | None, members: Sequence[TicketRef]
    ) -> TicketRef | None:
        """Create or refresh the postmortem's tracking issue (None when disabled in the config)."""
        if not self.config.tracking.enabled:
            return None
        with self._edge():
            self.api.check_repository()
            labels = {
                self._postmortem_label(
                    postmortem
                ): f"Action items of the postmortem: {postmortem.title or postmortem.id}",
                self.config.tracking.label: "Tracking issue of a postmortem, kept by remediate",
            }
            self.api.ensure_labels(labels)
            return self.tracking.sync(postmortem, group, members, list(labels))

"""The Jira connector: action items as Jira issues, on Jira Cloud and Jira Data Center.

Identity. The engine's database link is primary. Every issue also carries the marker label
``remediate-<item id>`` (see :mod:`remediate_jira.fields`), which JQL can search, for crash
recovery. Jira Cloud's search index lags behind writes, so nothing here reads back its own
writes through search: a created issue is known from the create response and then addressed
by key. When a bulk create fails in a way that does not prove Jira ignored it (5xx, lost
connection), the issues it may have made are found by reading keys above a watermark taken
before the create (:mod:`remediate_jira.recovery`). The watermark stays in the persistent cache
until every created issue has been handed to the engine, so ``find`` after a crash can do the
same when search has not caught up yet.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

from remediate import answers as shared
from remediate.connectors import (
    Check,
    ConnectorContext,
    Created,
    PostmortemInfo,
    TicketDraft,
    TicketRef,
    TicketState,
    WebhookEvent,
    WebhookRequest,
)
from remediate.errors import ConnectorError
from remediate_jira import answers, markup, recovery, states, workflow
from remediate_jira.auth import site_url
from remediate_jira.config import ISSUE_KEY, PER_POSTMORTEM
from remediate_jira.config import Config as JiraConfig
from remediate_jira.fields import DUPLICATE_LABEL, is_marker_label, marker_label
from remediate_jira.groups import Groups, NewIssue
from remediate_jira.hooks import SECRET_VAR
from remediate_jira.site import Site
from remediate_jira.transport import MaybeApplied, Rejected

log = logging.getLogger("remediate.jira")

#: Jira's bulk create takes at most 50 issues per request.
BULK_LIMIT = 50


class JiraConnector:
    """Files action items as Jira issues and reads their state back (Cloud and Data Center)."""

    name: ClassVar[str] = "jira"
    Config: ClassVar[type[JiraConfig]] = JiraConfig

    def __init__(
        self,
        config: JiraConfig,
        context: ConnectorContext,
        *,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.context = context
        self.server = site_url(config.url, context.env)
        # Looked up now, not bound when this module was imported: tests inject a recorder (set
        # it before the first call) or patch time.sleep.
        self.sleep = sleep if sleep is not None else time.sleep
        self.clock = clock
        self._site: Site | None = None
        self._groups: Groups | None = None
        # The highest issue number this connector created in the project: every issue it creates
        # later gets a higher one, so it is the next create's watermark, with no search.
        self._highest: int | None = None

    @classmethod
    def credentials_problem(cls, config: Any, env: Mapping[str, str]) -> str | None:
        """What the environment lacks for Jira (site and credentials), without a request."""
        from remediate.errors import RemediateError
        from remediate_jira.auth import choose_credentials, site_url

        try:
            site_url(config.url, env)
            choose_credentials(env, None if config.deployment == "auto" else config.deployment)
        except RemediateError as exc:
            return str(exc).removeprefix("jira: ")
        return None

    @classmethod
    def from_config(cls, config: Any, context: ConnectorContext) -> Self:
        """Build the connector; no request is made until the first call."""
        return cls(config, context)

    @property
    def site(self) -> Site:
        """The Jira site, connected on first use."""
        if self._site is None:
            self._site = Site(self.config, self.context, self.server, sleep=self.sleep, clock=self.clock)
        return self._site

    def check(self) -> list[Check]:
        """``remediate doctor``: the credentials (``/myself``) and the project; no retries."""
        from remediate_jira.checks import live_checks

        return live_checks(self.config, self.context, self.server, sleep=self.sleep, clock=self.clock)

    @property
    def deployment(self) -> str:
        """cloud or datacenter, detected from serverInfo unless configured."""
        return self.site.deployment

    @property
    def _watermark_key(self) -> str:
        return f"jira:{self.config.project}:watermark"

    def claim(self, reference: str) -> TicketRef | None:
        """``OPS-42`` of the configured project, or a ``/browse/KEY`` URL of this Jira site."""
        text = reference.strip()
        if match := ISSUE_KEY.fullmatch(text):
            # A bare key of another project may belong to another tracker: leave it alone.
            if match.group(1) != self.config.project:
                return None
            return TicketRef(self.name, text, f"{self.server}/browse/{text}")
        parts, ours = urlsplit(text), urlsplit(self.server)
        if parts.scheme not in ("http", "https") or parts.hostname != ours.hostname:
            return None
        prefix = ours.path.rstrip("/") + "/browse/"
        if parts.port != ours.port or not parts.path.startswith(prefix):
            return None
        key = parts.path[len(prefix) :].strip("/")
        if not ISSUE_KEY.fullmatch(key):
            return None
        return TicketRef(self.name, key, f"{self.server}/browse/{key}")

    def find(self, drafts: Sequence[TicketDraft]) -> Mapping[str, TicketRef]:
        """Issues by marker label; keys above a crashed run's watermark if search misses some."""
        mark = self.context.cache.get(self._watermark_key)
        return recovery.find(self.site, drafts, int(mark) if mark and mark.isdigit() else None)

    def find_all(self, drafts: Sequence[TicketDraft]) -> Mapping[str, Sequence[TicketRef]]:
        """Every issue with each item's marker label, oldest first (one JQL search per 50 items)."""
        return recovery.find_all(self.site, drafts)

    def close_duplicate(self, ref: TicketRef, original: TicketRef) -> None:
        """Comment why, move it to done, then swap the marker label for ``remediate-duplicate``."""
        site = self.site
        target = ref.remote_id or ref.key
        what = f"close {ref.key} as a duplicate of {original.key}"  # "while trying to ..."
        note = (
            f"Duplicate of {original.key}: both issues were filed by remediate for the same action item "
            "(two syncs on separate databases ran at once). Closed by remediate dedupe --apply."
        )
        issue = site.transport.request("GET", f"issue/{target}", what, params={"fields": "labels"}, shape=answers.Issue)
        labels = [str(label) for label in (issue.get("fields") or {}).get("labels") or []]
        kept = [label for label in labels if not is_marker_label(label)]
        site.transport.request(
            "POST",
            f"issue/{target}/comment",
            what,
            body={"body": markup.comment(note, site.fields.api_version)},
            idempotent=False,
        )
        # Done first, the marker swap last: until the swap the issue keeps its marker, so a close that
        # stops halfway (a fault, a kill) is found and finished by the next dedupe. In the other
        # order a failed transition left an open duplicate no search would find again.
        workflow.set_done(site, ref, True)
        site.transport.request("PUT", f"issue/{target}", what, body={"fields": {"labels": [*kept, DUPLICATE_LABEL]}})

    @property
    def groups(self) -> Groups:
        """The per-postmortem epics (one per connector: its fallback warning comes once per run)."""
        if self._groups is None:
            self._groups = Groups(self.site)
        return self._groups

    @property
    def _per_postmortem(self) -> bool:
        return self.config.parent == PER_POSTMORTEM

    def create(self, drafts: Sequence[TicketDraft]) -> Iterator[Created]:
        """Bulk-create issues 50 at a time, yielding each as soon as Jira confirms it.

        With ``parent = "per-postmortem"`` the drafts' epics come first (found by marker, or
        bulk-created), so every item is created with its parent in the payload; the drafts may
        come from several postmortems.
        """
        if not drafts:
            return
        site = self.site
        issue_type = site.issue_type_id(self.config.issue_type)
        builder = site.fields
        mark = self._watermark()
        self.context.cache.set(self._watermark_key, str(mark))
        epics: dict[str, TicketRef] = {}
        parent_field = None
        if self._per_postmortem:
            epics = self.groups.for_drafts(drafts, lambda entries: self._bulk(entries, mark))
            parent_field = self.groups.layout().parent_field
        by_marker = {marker_label(d.item_id): d for d in drafts}
        entries = []
        for draft in drafts:
            epic = epics.get(draft.postmortem.id) if parent_field else None
            fields = builder.for_create(draft, issue_type, epic.key if epic else None)
            entries.append(NewIssue(marker_label(draft.item_id), fields, f"item {draft.item_id}"))
        try:
            yield from self._finish(self._bulk(entries, mark), by_marker, epics, parent_field)
        except ConnectorError:
            if epics:
                self.groups.forget([d.postmortem.id for d in drafts])
            raise
        # Every issue was handed over and its link stored: a later find needs no probe.
        self.context.cache.set(self._watermark_key, None)

    def _finish(
        self,
        created: Iterator[tuple[NewIssue, Mapping[str, Any]]],
        by_marker: Mapping[str, TicketDraft],
        epics: Mapping[str, TicketRef],
        parent_field: str | None,
    ) -> Iterator[Created]:
        site = self.site
        for entry, raw in created:
            draft = by_marker[entry.marker]
            ref = site.ref(raw)
            yield Created(draft.item_id, ref)
            # The engine has stored the link; the rest is follow-up on an issue addressed by key.
            epic = epics.get(draft.postmortem.id)
            if epic is not None and parent_field:
                self.groups.under(epic, [ref.key])
            if self.config.remote_links == "all" or (self.config.remote_links == "auto" and not self._per_postmortem):
                site.link_postmortem(ref, draft.postmortem, draft.item_id)
            if draft.done:
                workflow.set_done(site, ref, True)

    def _watermark(self) -> int:
        """The number above which the next create's issues will be (see :mod:`remediate_jira.recovery`).

        The first create of a run searches for it; later ones start from the highest number
        the run's own creates were given: Jira numbers a project's issues in increasing order and
        never reuses a number, so anything created next is above it, and the search (which may
        lag) could only answer as much or less. One search per run instead of one per create call
        (the engine sends 50 drafts a call: 200 searches for 10,000 items).
        """
        return self._highest if self._highest is not None else recovery.watermark(self.site)

    def _bulk(self, entries: Sequence[NewIssue], mark: int) -> Iterator[tuple[NewIssue, Mapping[str, Any]]]:
        """Create ``entries`` 50 a request, yielding each with Jira's answer as it is confirmed."""
        prefix = f"{self.config.project.upper()}-"
        for start in range(0, len(entries), BULK_LIMIT):
            for entry, raw in self._create_chunk(entries[start : start + BULK_LIMIT], mark):
                key = str(raw.get("key") or "")
                if key.upper().startswith(prefix):
                    self._highest = max(self._highest or 0, recovery.key_number(key))
                yield entry, raw

    def _create_chunk(self, chunk: Sequence[NewIssue], mark: int) -> Iterator[tuple[NewIssue, Mapping[str, Any]]]:
        transport = self.site.transport
        request = shared.request_name("POST", transport.url("issue/bulk"))
        budget = transport.budget()
        remaining = list(chunk)
        attempt = 0
        while remaining:
            try:
                result = transport.request(
                    "POST",
                    "issue/bulk",
                    "create issues",
                    body={"issueUpdates": [{"fields": e.fields} for e in remaining]},
                    idempotent=False,
                    shape=answers.BulkCreated,
                )
            except Rejected as err:
                if err.status != 400 or not isinstance(err.body, dict) or "issues" not in err.body:
                    raise self.site.explain(err, "create issues") from None
                # A 400 in the bulk shape: every element failed.
                result = shared.check(
                    answers.BulkCreated, err.body, tracker="jira", request=request, what="trying to create issues"
                )
            except (MaybeApplied, shared.Malformed) as err:
                # Jira may have created some or all of them: adopt those, retry the rest. The
                # lookups are part of this create, so they spend its budget.
                with transport.budgets.call(budget):
                    found = recovery.probe(self.site, {e.marker: e.marker for e in remaining}, mark)
                for entry in remaining:
                    if entry.marker in found:
                        yield entry, found[entry.marker]
                remaining = [e for e in remaining if e.marker not in found]
                if not remaining:
                    return
                if not isinstance(err, MaybeApplied):
                    raise  # a garbage answer is not retried: the next run looks (watermark) first
                delay = transport.delay(err.retry_after, attempt) if err.transient else None
                if delay is None or attempt >= transport.max_retries:
                    raise
                if budget.exceeded(delay):
                    raise transport.gave_up(budget, request, "create issues", err) from None
                log.info("Jira: %s; retrying %d issue(s) in %.1fs", err, len(remaining), delay)
                self.sleep(delay)
                attempt += 1
                continue
            failures = {int(e["failedElementNumber"]): e for e in (result or {}).get("errors") or []}
            created = list((result or {}).get("issues") or [])
            if len(created) != len([i for i in range(len(remaining)) if i not in failures]):
                raise shared.malformed(
                    "jira",
                    request,
                    f"{len(created)} issues created and {len(failures)} failed, for {len(remaining)} asked",
                    what="trying to create issues",
                )
            issues = iter(created)
            for index, entry in enumerate(remaining):
                if index not in failures:
                    yield entry, next(issues)
            if failures:
                raise self.site.explain_bulk(failures, [e.name for e in remaining])
            return

    def update(self, ref: TicketRef, draft: TicketDraft, changed: frozenset[str]) -> TicketRef:
        """Send only the changed fields (by issue id, which survives moves); transition on done."""
        fields = self.site.fields.for_update(draft, changed)
        if fields:
            what = f"update {ref.key}"
            try:
                self.site.transport.request("PUT", f"issue/{ref.remote_id or ref.key}", what, body={"fields": fields})
            except Rejected as err:
                raise self.site.explain(err, what) from None
        if "done" in changed and draft.done is not None:
            workflow.set_done(self.site, ref, draft.done)
        return ref

    def states(self, refs: Sequence[TicketRef], since: datetime | None) -> Iterator[TicketState]:
        """States of ``refs`` changed since ``since``: one JQL per project, 100 issues a page."""
        return states.states(self.site, refs, since)

    webhook_secret_env: ClassVar[str] = SECRET_VAR

    def webhook_instructions(self, url: str) -> str:
        """The admin's steps for Jira's System > WebHooks (no request: admin webhooks need an admin)."""
        from remediate_jira.hooks import instructions

        return instructions(self.server, self.config.project, url)

    @classmethod
    def verify_webhook(cls, request: WebhookRequest, env: Mapping[str, str]) -> WebhookEvent:
        """A Jira delivery, its ``X-Hub-Signature`` or URL secret checked (see :mod:`remediate_jira.hooks`)."""
        from remediate_jira.hooks import verify

        return verify(request, env)

    def read_tickets(self, refs: Sequence[TicketRef]) -> Iterator[TicketState]:
        """One read by id per issue (never the search index, which lags); deleted ones come back missing."""
        for ref in refs:
            yield states.read_state(self.site, ref)

    def sync_group(
        self, postmortem: PostmortemInfo, group: TicketRef | None, members: Sequence[TicketRef]
    ) -> TicketRef | None:
        """With ``parent = "per-postmortem"``: the postmortem's epic, its description listing the members."""
        if not self._per_postmortem:
            return None

        def create(entries: Sequence[NewIssue]) -> Iterator[tuple[NewIssue, Mapping[str, Any]]]:
            return self._bulk(entries, self._watermark())

        return self.groups.sync(postmortem, group, members, create)

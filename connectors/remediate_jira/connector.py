"""The Jira connector: action items as Jira issues, on Jira Cloud and Jira Data Center.

Identity. The engine's database link is primary. Every issue also carries the marker label
``remediate-<item id>`` (see :mod:`remediate_jira.fields`), which JQL can search, for crash
recovery. Jira Cloud's search index lags behind writes, so nothing here reads back its own
writes through search: a created issue is known from the create response and then addressed
by key. When a bulk create fails in a way that does not prove Jira ignored it (5xx, lost
connection), the issues it may have made are looked up with reads that do not go through the
index: before creating, we note the project's highest issue number (the "watermark"; issue
numbers only grow), and afterwards we fetch the keys above it and adopt those carrying our
markers. The watermark is also kept in the persistent cache until every created issue has been
handed to the engine, so ``find`` after a crash can do the same when search has not caught up.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal, Self
from urllib.parse import urlsplit

import requests
from jira import JIRA

from remediate.connectors import (
    ConnectorContext,
    Created,
    PostmortemInfo,
    Status,
    TicketDraft,
    TicketRef,
    TicketState,
)
from remediate.errors import AuthError, Conflict, ConnectorError, NotFound
from remediate_jira.auth import Credentials, choose_credentials, site_url
from remediate_jira.config import ISSUE_KEY, PER_POSTMORTEM, Config
from remediate_jira.fields import (
    FieldBuilder,
    group_label,
    labels_for,
    marker_label,
    postmortem_label,
    status_of,
)
from remediate_jira.markup import safe_url, summary
from remediate_jira.search import Searcher, in_list, quote
from remediate_jira.transport import MaybeApplied, Rejected, Transport

log = logging.getLogger("remediate.jira")

#: Jira's bulk create takes at most 50 issues per request.
BULK_LIMIT = 50
#: Labels per ``labels in (...)`` clause, to keep GET URLs short.
FIND_CHUNK = 50
#: States that changed this long before ``since`` are reported again: JQL dates have minute
#: precision, clocks drift, and a change made while the index lagged must not be missed.
STATE_MARGIN = timedelta(minutes=10)
#: Stop probing keys above the watermark after this many consecutive missing keys.
PROBE_GAP = 10
PROBE_MAX = 1000
_STATE_FIELDS = ("status", "resolution", "updated")


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def _key_number(key: str) -> int:
    match = ISSUE_KEY.match(key)
    return int(match.group(2)) if match else 0


class JiraConnector:
    """Files action items as Jira issues and reads their state back (Cloud and Data Center)."""

    name: ClassVar[str] = "jira"
    Config: ClassVar[type[Config]] = Config

    def __init__(
        self,
        config: Config,
        context: ConnectorContext,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.context = context
        self.server = site_url(config.url, context.env)
        self.sleep = sleep
        self.clock = clock
        self._transport: Transport | None = None
        self._client: JIRA | None = None
        self._deployment: Literal["cloud", "datacenter"] | None = None
        self._issue_types: dict[str, str] | None = None  # name (casefolded) -> id

    @classmethod
    def from_config(cls, config: Any, context: ConnectorContext) -> Self:
        """Build the connector; no request is made until the first call."""
        return cls(config, context)

    # --- connection ---------------------------------------------------------------------------

    def _connect(self) -> Transport:
        if self._transport is not None:
            return self._transport
        override = None if self.config.deployment == "auto" else self.config.deployment
        chosen = choose_credentials(self.context.env, override)
        deployment = override
        if isinstance(chosen, tuple):
            # Both kinds of credentials are set: ask the site (anonymously) which it is.
            deployment = self._probe_deployment()
            chosen = chosen[0] if deployment == "cloud" else chosen[1]
        transport = Transport(
            server=self.server,
            session=requests.Session(),  # replaced by the library's session below
            api_version=self.config.api_version,
            credential_vars=chosen.variables,
            max_retries=self.config.max_retries,
            max_wait=self.config.max_wait,
            sleep=self.sleep,
            clock=self.clock,
        )
        client = transport.call(
            "read the server info", lambda: self._client_for(chosen, deployment is None)
        )
        if deployment is None:
            deployment = "cloud" if client.deploymentType == "Cloud" else "datacenter"
        if deployment == "datacenter" and self.config.api_version == 3:
            raise NotFound(
                "Jira Data Center has no REST API v3: set [connectors.jira] api_version = 2",
                tracker="jira",
            )
        transport.session = client._session
        self._client, self._deployment, self._transport = client, deployment, transport
        return transport

    def _client_for(self, credentials: Credentials, server_info: bool) -> JIRA:
        auth: dict[str, Any] = (
            {"basic_auth": (credentials.user, credentials.secret)}
            if credentials.kind == "basic"
            else {"token_auth": credentials.secret}
        )
        return JIRA(
            self.server,
            # The library itself only reads serverInfo, which v2 serves on every deployment;
            # our own requests use the configured version (Transport.url).
            options={"rest_api_version": "2", "check_update": False},
            get_server_info=server_info,
            max_retries=0,  # Transport retries, with an injected sleep and no blind POST replays
            timeout=self.config.timeout,
            **auth,
        )

    def _probe_deployment(self) -> Literal["cloud", "datacenter"]:
        probe = Transport(
            server=self.server,
            session=requests.Session(),
            api_version=2,
            credential_vars="JIRA_USER and JIRA_API_TOKEN or JIRA_PAT",
            max_retries=self.config.max_retries,
            max_wait=self.config.max_wait,
            sleep=self.sleep,
            clock=self.clock,
        )

        def read() -> Any:
            response = probe.session.get(probe.url("serverInfo"), timeout=self.config.timeout)
            response.raise_for_status()
            return response.json()

        try:
            info = probe.call("read the server info", read)
        except ConnectorError:
            info = None
        if not isinstance(info, dict):
            raise AuthError(
                "both JIRA_USER/JIRA_API_TOKEN and JIRA_PAT are set and the site did not say "
                'whether it is Cloud: set [connectors.jira] deployment = "cloud" or "datacenter"',
                tracker="jira",
            )
        return "cloud" if info.get("deploymentType") == "Cloud" else "datacenter"

    @property
    def deployment(self) -> Literal["cloud", "datacenter"]:
        """The deployment in use (connects on first access)."""
        self._connect()
        assert self._deployment is not None
        return self._deployment

    def _fields(self) -> FieldBuilder:
        return FieldBuilder(self.config, self.deployment, self.config.api_version)

    def _searcher(self) -> Searcher:
        return Searcher(self._connect(), self.deployment)

    def _ref(self, raw: Mapping[str, Any]) -> TicketRef:
        key = str(raw["key"])
        return TicketRef(self.name, key, f"{self.server}/browse/{key}", str(raw.get("id") or "") or None)

    # --- claim ----------------------------------------------------------------------------------

    def claim(self, reference: str) -> TicketRef | None:
        """``OPS-42`` of the configured project, or a ``/browse/KEY`` URL of this Jira site."""
        text = reference.strip()
        match = ISSUE_KEY.fullmatch(text)
        if match:
            if match.group(1) != self.config.project:
                return None
            return TicketRef(self.name, text, f"{self.server}/browse/{text}")
        parts, ours = urlsplit(text), urlsplit(self.server)
        if not parts.scheme.startswith("http") or (parts.hostname or "") != (ours.hostname or ""):
            return None
        if parts.port != ours.port:
            return None
        prefix = ours.path.rstrip("/") + "/browse/"
        if not parts.path.startswith(prefix):
            return None
        key = parts.path[len(prefix):].strip("/")
        if not ISSUE_KEY.fullmatch(key):
            return None
        return TicketRef(self.name, key, f"{self.server}/browse/{key}")

    # --- create -----------------------------------------------------------------------------------

    def _issue_type_id(self, name: str) -> str:
        """The id of issue type ``name`` in the project; reads the project's types once."""
        if self._issue_types is None:
            what = f"read the issue types of project {self.config.project}"
            try:
                page = self._connect().request(
                    "GET",
                    f"issue/createmeta/{self.config.project}/issuetypes",
                    what,
                    params={"maxResults": 200},
                )
            except NotFound:
                raise NotFound(
                    f"Jira project {self.config.project} does not exist or the account cannot "
                    "create issues in it: check [connectors.jira] project (or --project)",
                    tracker="jira",
                ) from None
            types = (page or {}).get("issueTypes") or (page or {}).get("values") or []
            self._issue_types = {str(t["name"]).casefold(): str(t["id"]) for t in types}
        found = self._issue_types.get(name.casefold())
        if found is None:
            available = ", ".join(sorted(self._issue_types)) or "none"
            raise NotFound(
                f"issue type {name!r} does not exist in Jira project {self.config.project} "
                f"(available: {available}): check [connectors.jira] issue_type",
                tracker="jira",
            )
        return found

    @property
    def _watermark_key(self) -> str:
        return f"jira:{self.config.project}:watermark"

    def _watermark(self) -> int:
        """The highest issue number visible in the project (0 if none); may lag, never leads."""
        jql = f"project = {quote(self.config.project)} ORDER BY key DESC"
        page = self._searcher().page(jql, ["summary"], limit=1)
        issues = page.get("issues") or []
        return _key_number(str(issues[0]["key"])) if issues else 0

    def create(self, drafts: Sequence[TicketDraft]) -> Iterator[Created]:
        """Bulk-create issues 50 at a time, yielding each as soon as Jira confirms it."""
        if not drafts:
            return
        issue_type = self._issue_type_id(self.config.issue_type)
        builder = self._fields()
        watermark = self._watermark()
        self.context.cache.set(self._watermark_key, str(watermark))
        for start in range(0, len(drafts), BULK_LIMIT):
            chunk = drafts[start : start + BULK_LIMIT]
            yield from self._create_chunk(chunk, builder, issue_type, watermark)
        # Every issue has been handed over (the engine stored the links): no recovery needed.
        self.context.cache.set(self._watermark_key, None)

    def _create_chunk(
        self, chunk: Sequence[TicketDraft], builder: FieldBuilder, issue_type: str, watermark: int
    ) -> Iterator[Created]:
        transport = self._connect()
        remaining = list(chunk)
        attempt = 0
        while remaining:
            body = {"issueUpdates": [{"fields": builder.for_create(d, issue_type)} for d in remaining]}
            try:
                result = transport.request(
                    "POST", "issue/bulk", "create issues", body=body, idempotent=False
                )
            except Rejected as err:
                if err.status != 400 or not isinstance(err.body, dict) or "issues" not in err.body:
                    raise self._explain(err, "create issues") from None
                result = err.body  # 400 with the bulk shape: every element failed
            except MaybeApplied as err:
                # Jira may have created some or all of them: adopt what exists, then retry the rest.
                found = self._probe(remaining, watermark)
                for draft in remaining:
                    if draft.item_id in found:
                        yield from self._finish(draft, found[draft.item_id])
                remaining = [d for d in remaining if d.item_id not in found]
                if not remaining:
                    return
                delay = transport.delay(err.retry_after, attempt) if err.transient else None
                if delay is None or attempt >= transport.max_retries:
                    raise
                log.info("Jira: %s; retrying %d issue(s) in %.1fs", err, len(remaining), delay)
                self.sleep(delay)
                attempt += 1
                continue
            created = iter((result or {}).get("issues") or [])
            failures = {
                int(e.get("failedElementNumber", -1)): e for e in (result or {}).get("errors") or []
            }
            for index, draft in enumerate(remaining):
                if index not in failures:
                    yield from self._finish(draft, next(created))
            if failures:
                raise self._explain_bulk(failures, remaining)
            return

    def _finish(self, draft: TicketDraft, raw: Mapping[str, Any]) -> Iterator[Created]:
        ref = self._ref(raw)
        yield Created(draft.item_id, ref)
        # The link is stored now; the rest is follow-up on an issue addressed by key.
        self._link_postmortem(ref, draft.postmortem, draft.item_id)
        if draft.done:
            self._set_done(ref, True)

    def _link_postmortem(self, ref: TicketRef, postmortem: PostmortemInfo, item_id: str) -> None:
        url = safe_url(postmortem.link)
        if url is None:
            return
        body = {
            # Upsert key: the same globalId on the same issue updates the link in place.
            "globalId": f"remediate:postmortem={postmortem.id}",
            "application": {"type": "io.remediate", "name": "remediate"},
            "relationship": "postmortem",
            "object": {
                "url": url,
                "title": f"Postmortem: {postmortem.title or postmortem.id}"[:255],
                "summary": f"Action item {item_id}, from {postmortem.source}"[:255],
            },
        }
        try:
            self._connect().request(
                "POST", f"issue/{ref.key}/remotelink", f"link {ref.key} to its postmortem", body=body
            )
        except (Rejected, AuthError) as err:
            # The issue exists and is linked in our database; a missing web link is not worth
            # failing the sync for.
            log.warning("Jira: could not add the postmortem link to %s: %s", ref.key, err)

    def _explain(self, err: Rejected, what: str) -> ConnectorError:
        if err.status != 400:
            return err
        return self._explain_fields(err.errors, err.messages, what) or err

    def _explain_fields(
        self, errors: Mapping[str, str], messages: Sequence[str], what: str
    ) -> ConnectorError | None:
        where = f"{self.config.issue_type} issues in project {self.config.project}"
        for field, message in errors.items():
            if message.rstrip(".").lower().endswith("is required"):
                return Conflict(
                    f"Jira requires field {field} ({message}) for {where}: set it in "
                    f"[connectors.jira] fields, e.g. fields = {{ {field} = ... }}",
                    tracker="jira",
                )
        if "project" in errors:
            return NotFound(
                f"Jira refused project {self.config.project} ({errors['project']}): check "
                "[connectors.jira] project (or --project)",
                tracker="jira",
            )
        if "issuetype" in errors:
            return NotFound(
                f"Jira refused issue type {self.config.issue_type!r} ({errors['issuetype']}): "
                "check [connectors.jira] issue_type",
                tracker="jira",
            )
        if errors:
            detail = "; ".join(f"{f}: {m}" for f, m in errors.items())
            return Conflict(
                f"Jira rejected the fields to {what} ({detail}): check [connectors.jira] "
                "(priorities, owners, components, parent, fields)",
                tracker="jira",
            )
        return None

    def _explain_bulk(
        self, failures: Mapping[int, Mapping[str, Any]], drafts: Sequence[TicketDraft]
    ) -> ConnectorError:
        first_index = min(failures)
        element = failures[first_index].get("elementErrors") or {}
        errors = {str(k): str(v) for k, v in (element.get("errors") or {}).items()}
        messages = [str(m) for m in element.get("errorMessages") or []]
        explained = self._explain_fields(errors, messages, "create issues")
        detail = str(explained) if explained else "; ".join(messages) or "no details given"
        prefix = f"{len(failures)} of {len(drafts)} issues not created (first: item "
        cls = type(explained) if explained else Conflict
        return cls(f"{prefix}{drafts[first_index].item_id}): {detail}", tracker="jira")

    # --- recovery -------------------------------------------------------------------------------

    def _fetch_keys(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Read issues by key, bypassing the search index; missing keys are left out."""
        transport = self._connect()
        fields = ["labels", *_STATE_FIELDS]
        if self.deployment == "cloud":
            page = transport.request(
                "POST",
                "issue/bulkfetch",
                "read issues by key",
                body={"issueIdsOrKeys": list(keys), "fields": fields},
            )
            return {str(i["key"]): i for i in (page or {}).get("issues") or []}
        found: dict[str, dict[str, Any]] = {}
        for key in keys:  # Data Center has no bulk fetch
            try:
                found[key] = transport.request(
                    "GET", f"issue/{key}", f"read {key}", params={"fields": ",".join(fields)}
                )
            except NotFound:
                continue
        return found

    def _probe(self, drafts: Sequence[TicketDraft], watermark: int) -> dict[str, dict[str, Any]]:
        """Issues above ``watermark`` carrying these drafts' markers: {item_id: issue}."""
        wanted = {marker_label(d.item_id): d.item_id for d in drafts}
        found: dict[str, dict[str, Any]] = {}
        window = 100 if self.deployment == "cloud" else PROBE_GAP
        number, gap = watermark + 1, 0
        while len(found) < len(wanted) and gap < PROBE_GAP and number <= watermark + PROBE_MAX:
            keys = [f"{self.config.project}-{n}" for n in range(number, number + window)]
            issues = self._fetch_keys(keys)
            for key in keys:
                issue = issues.get(key)
                if issue is None:
                    gap += 1
                    continue
                gap = 0
                for label in (issue.get("fields") or {}).get("labels") or []:
                    item_id = wanted.get(label)
                    if item_id is not None and item_id not in found:
                        found[item_id] = issue
            number += window
        return found

    def find(self, drafts: Sequence[TicketDraft]) -> Mapping[str, TicketRef]:
        """Find issues by marker label; falls back to a key probe above a crashed run's watermark."""
        by_marker = {marker_label(d.item_id): d.item_id for d in drafts}
        found: dict[str, dict[str, Any]] = {}
        markers = list(by_marker)
        for start in range(0, len(markers), FIND_CHUNK):
            jql = f"labels in {in_list(markers[start : start + FIND_CHUNK])} ORDER BY key ASC"
            for issue in self._searcher().issues(jql, ["labels"]):
                for label in (issue.get("fields") or {}).get("labels") or []:
                    # Oldest first: if duplicates exist, adopt the first one created.
                    if label in by_marker and by_marker[label] not in found:
                        found[by_marker[label]] = issue
        missing = [d for d in drafts if d.item_id not in found]
        watermark = self.context.cache.get(self._watermark_key)
        if missing and watermark is not None and watermark.isdigit():
            # A run died mid-create; search may not show its issues yet, keys can.
            found.update(self._probe(missing, int(watermark)))
        return {item_id: self._ref(issue) for item_id, issue in found.items()}

    # --- update -------------------------------------------------------------------------------

    def update(self, ref: TicketRef, draft: TicketDraft, changed: frozenset[str]) -> TicketRef:
        """Send only the changed fields (by issue id, which survives moves); transition on done."""
        target = ref.remote_id or ref.key
        fields = self._fields().for_update(draft, changed)
        if fields:
            try:
                self._connect().request(
                    "PUT", f"issue/{target}", f"update {ref.key}", body={"fields": fields}
                )
            except Rejected as err:
                raise self._explain(err, f"update {ref.key}") from None
        if "done" in changed and draft.done is not None:
            self._set_done(ref, draft.done)
        return ref

    def _set_done(self, ref: TicketRef, done: bool) -> None:
        """Move the issue into (or out of) a done-category status, if it is not there already."""
        transport = self._connect()
        target = ref.remote_id or ref.key
        issue = transport.request(
            "GET",
            f"issue/{target}",
            f"read the transitions of {ref.key}",
            params={"fields": "status", "expand": "transitions"},
        )
        status = ((issue or {}).get("fields") or {}).get("status") or {}
        category = (status.get("statusCategory") or {}).get("key")
        if (category == "done") == done:
            return
        wanted = self.config.done_transition if done else self.config.reopen_transition
        targets = ("done",) if done else ("new", "indeterminate")
        transitions = (issue or {}).get("transitions") or []
        chosen = None
        if wanted:
            chosen = next((t for t in transitions if str(t.get("name", "")).casefold() == wanted.casefold()), None)
        else:
            for category_key in targets:
                chosen = next(
                    (t for t in transitions if ((t.get("to") or {}).get("statusCategory") or {}).get("key") == category_key),
                    None,
                )
                if chosen:
                    break
        if chosen is None:
            names = ", ".join(str(t.get("name")) for t in transitions) or "none"
            setting = "done_transition" if done else "reopen_transition"
            goal = "a done" if done else "an open"
            raise Conflict(
                f"no transition of {ref.key} (status {status.get('name')!r}) leads to {goal} "
                f"status (available: {names}): set [connectors.jira] {setting}",
                tracker="jira",
            )
        # The library's transition_issue() sends the id as an int; the OpenAPI schema says
        # string (Jira takes both), so post it ourselves in the documented shape.
        transport.request(
            "POST",
            f"issue/{target}/transitions",
            f"transition {ref.key} to {(chosen.get('to') or {}).get('name', chosen.get('name'))}",
            body={"transition": {"id": str(chosen["id"])}},
            idempotent=False,
        )

    # --- states ---------------------------------------------------------------------------------

    def states(self, refs: Sequence[TicketRef], since: datetime | None) -> Iterator[TicketState]:
        """States of ``refs`` changed since ``since``: one JQL per project, 100 issues a page."""
        if not refs:
            return
        lower = since - STATE_MARGIN if since is not None else None
        now = self.clock()
        if lower is not None and lower > now:
            return  # nothing can have changed after a moment that has not come yet
        by_id = {r.remote_id: r for r in refs if r.remote_id}
        by_key = {r.key: r for r in refs}
        projects = sorted({m.group(1) for r in refs if (m := ISSUE_KEY.match(r.key))})
        seen: set[str] = set()
        for project in projects:
            clauses = [f"project = {quote(project)}"]
            if self.config.labels:
                clauses.append(f"labels = {quote(self.config.labels[0])}")
            if lower is not None:
                # Relative dates ("-15m") are immune to the JQL user's time zone, which
                # absolute "yyyy-MM-dd HH:mm" values are interpreted in.
                minutes = max(1, math.ceil((now - lower).total_seconds() / 60))
                clauses.append(f'updated >= "-{minutes}m"')
            jql = " AND ".join(clauses) + " ORDER BY key ASC"
            for issue in self._searcher().issues(jql, _STATE_FIELDS):
                ref = by_id.get(str(issue.get("id"))) or by_key.get(str(issue.get("key")))
                if ref is None or ref.key in seen:
                    continue
                state = self._state(ref, issue)
                if lower is not None and state.updated_at and state.updated_at < lower:
                    continue
                seen.add(ref.key)
                yield state
        if since is None:
            # A full refresh must account for every ref: ones search did not return (index lag,
            # label removed, moved, deleted) are read one by one.
            for ref in refs:
                if ref.key not in seen:
                    yield self._read_state(ref)

    def _state(self, ref: TicketRef, issue: Mapping[str, Any]) -> TicketState:
        fields = issue.get("fields") or {}
        status, detail = status_of(self.config, fields)
        current = self._ref(issue)
        moved = current.key != ref.key
        return TicketState(
            ref=current if moved else ref,
            status=status,
            updated_at=_parse_time(fields.get("updated")),
            detail=f"{detail}; moved from {ref.key} to {current.key}" if moved else detail,
            missing="moved" if moved else None,
        )

    def _read_state(self, ref: TicketRef) -> TicketState:
        target = ref.remote_id or ref.key
        try:
            issue = self._connect().request(
                "GET", f"issue/{target}", f"read {ref.key}", params={"fields": ",".join(_STATE_FIELDS)}
            )
        except NotFound:
            return TicketState(ref, Status.OPEN, detail="not found in Jira (deleted?)", missing="deleted")
        except AuthError:
            return TicketState(ref, Status.OPEN, detail="no permission to read it", missing="inaccessible")
        return self._state(ref, issue or {})

    # --- groups -----------------------------------------------------------------------------------

    def sync_group(
        self, postmortem: PostmortemInfo, group: TicketRef | None, members: Sequence[TicketRef]
    ) -> TicketRef | None:
        """With ``parent = "per-postmortem"``: one parent issue per postmortem, members under it."""
        if self.config.parent != PER_POSTMORTEM:
            return None
        transport = self._connect()
        title = summary(f"Postmortem: {postmortem.title or postmortem.id}")
        if group is None:
            group = self._find_group(postmortem)
        if group is None:
            labels = [*self.config.labels, postmortem_label(self.config, postmortem.id), group_label(postmortem.id)]
            fields = {
                "project": {"key": self.config.project},
                "issuetype": {"id": self._issue_type_id(self.config.group_issue_type)},
                "summary": title,
                "labels": list(dict.fromkeys(label for label in labels if label)),
            }
            try:
                raw = transport.request(
                    "POST", "issue", "create the postmortem's parent issue", body={"fields": fields}, idempotent=False
                )
            except Rejected as err:
                raise self._explain(err, "create the postmortem's parent issue") from None
            group = self._ref(raw)
            self._link_postmortem(group, postmortem, postmortem.id)
        else:
            transport.request(
                "PUT", f"issue/{group.remote_id or group.key}", f"update {group.key}", body={"fields": {"summary": title}}
            )
        cache_key = f"jira:group:{group.key}"
        done = set(filter(None, (self.context.cache.get(cache_key) or "").split(",")))
        value = self._fields().parent_value(group.key)
        for member in members:
            if member.key in done:
                continue
            transport.request(
                "PUT",
                f"issue/{member.remote_id or member.key}",
                f"put {member.key} under {group.key}",
                body={"fields": {self.config.parent_field: value}},
            )
            done.add(member.key)
            self.context.cache.set(cache_key, ",".join(sorted(done)))
        return group

    def _find_group(self, postmortem: PostmortemInfo) -> TicketRef | None:
        jql = f"labels = {quote(group_label(postmortem.id))} ORDER BY key ASC"
        for issue in self._searcher().issues(jql, ["labels"]):
            return self._ref(issue)
        return None


__all__ = ["JiraConnector", "labels_for"]

"""One parent issue (an epic) per postmortem, with ``parent = "per-postmortem"`` (the default).

The epic is made before its items, so each item is created with its parent already in the create
payload (no update per item): :meth:`Groups.for_drafts` finds each postmortem's epic (the
persistent cache, else its marker label ``remediate-pm-<postmortem id>``) or bulk-creates the
missing ones. :meth:`Groups.sync` (the engine's ``sync_group``) then writes the epic's summary and
description (the postmortem's title, incident date, where to read it, and its items' keys) only
when they differ from what the epic is known to hold, and puts members that are not known to be
under it there (issues filed before the epic existed, or by an older version).

Where the project has no Epic type (and ``group_issue_type`` was left at Epic), or a Data Center
site has no Epic Link field, the parent is an issue of ``issue_type``: Jira accepts no parent of
the same level, so the items stay grouped by the per-postmortem label instead, and the parent's
description lists them. That is said once per run, as a warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from remediate.connectors import PostmortemInfo, StateCache, TicketDraft, TicketRef
from remediate.errors import NotFound
from remediate_jira import recovery
from remediate_jira.fields import group_label, postmortem_label
from remediate_jira.markup import group_description, summary
from remediate_jira.search import in_list
from remediate_jira.site import Site

log = logging.getLogger("remediate.jira")

#: Group labels per ``labels in (...)`` search.
FIND_CHUNK = 50


@dataclass(frozen=True)
class Layout:
    """How this site groups: the parent issues' type, and the field that puts an item under one."""

    issue_type: str  # id
    parent_field: str | None  # None: no parent field, grouped by the per-postmortem label


@dataclass(frozen=True)
class NewIssue:
    """An issue to bulk-create: its fields and the marker label that finds it again."""

    marker: str
    fields: dict[str, Any]
    name: str  # what an error names: the item id or "postmortem <id>"


#: Creates issues in bulk, yielding (entry, issue as Jira answered) as each is confirmed.
BulkCreate = Callable[[Sequence[NewIssue]], Iterator[tuple[NewIssue, Mapping[str, Any]]]]


def _digest(fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]


class Groups:
    """The per-postmortem epics of one run (one warning per run when the site cannot have them)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self._layout: Layout | None = None
        self._made: set[str] = set()  # epics created in this run (Cloud's search may not show them yet)

    @property
    def cache(self) -> StateCache:
        return self.site.context.cache

    @staticmethod
    def _epic_key(postmortem_id: str) -> str:
        return f"jira:epic:{postmortem_id}"

    @staticmethod
    def _members_key(epic: str) -> str:
        return f"jira:group:{epic}"

    @staticmethod
    def _body_key(epic: str) -> str:
        return f"jira:group-body:{epic}"

    def layout(self) -> Layout:
        """The parent issue type and parent field; decided (and warned about) once per run."""
        if self._layout is not None:
            return self._layout
        site, config = self.site, self.site.config
        wanted = config.group_issue_type
        explicit = "group_issue_type" in config.model_fields_set
        problem = None
        if not site.has_issue_type(wanted):
            if explicit:
                site.issue_type_id(wanted)  # the one-line error naming group_issue_type
            problem = f"project {config.project} has no {wanted} issue type"
        field = site.parent_field() if problem is None else None
        if problem is None and field is None:
            problem = "this Data Center site has no Epic Link field"
        if problem is None:
            self._layout = Layout(site.issue_type_id(wanted), field)
        else:
            log.warning(
                "Jira: %s: each postmortem gets a parent %s listing its items, which are grouped by the "
                "per-postmortem label instead of a parent link (set [connectors.jira] group_issue_type "
                'or parent_field, or parent = "none")',
                problem,
                config.issue_type,
            )
            self._layout = Layout(site.issue_type_id(config.issue_type), None)
        return self._layout

    def _ref(self, value: str) -> TicketRef:
        key, _, issue_id = value.partition("|")
        return TicketRef("jira", key, f"{self.site.server}/browse/{key}", issue_id or None)

    def _remember(self, postmortem_id: str, ref: TicketRef) -> None:
        self.cache.set(self._epic_key(postmortem_id), f"{ref.key}|{ref.remote_id or ''}")

    def forget(self, postmortem_ids: Sequence[str]) -> None:
        """Drop cached epics from earlier runs (a create under one failed: it may have been deleted),
        so the next run looks for them by marker again, and files a new one if they are gone."""
        for pm_id in dict.fromkeys(postmortem_ids):
            cached = self.cache.get(self._epic_key(pm_id))
            if cached and self._ref(cached).key not in self._made:
                self.cache.set(self._epic_key(pm_id), None)

    def _found(self, labels: Mapping[str, str], fields: list[str]) -> dict[str, dict[str, Any]]:
        """Epics by their marker labels: {postmortem id: issue}, the oldest when there are two."""
        found: dict[str, dict[str, Any]] = {}
        names = list(labels)
        for start in range(0, len(names), FIND_CHUNK):
            jql = f"labels in {in_list(names[start : start + FIND_CHUNK])} ORDER BY key ASC"
            for issue in self.site.searcher.issues(jql, ["labels", *fields]):
                for label in (issue.get("fields") or {}).get("labels") or []:
                    if label in labels:
                        found.setdefault(labels[label], issue)
        return found

    def new_epic(self, postmortem: PostmortemInfo) -> NewIssue:
        """The create fields of a postmortem's epic (its items are listed by :meth:`sync`)."""
        config = self.site.config
        labels = [postmortem_label(config, postmortem.id), group_label(postmortem.id)]
        layout = self.layout()
        fields = {
            "project": {"key": config.project},
            "issuetype": {"id": layout.issue_type},
            **self._content(postmortem, []),
            "labels": list(dict.fromkeys(label for label in labels if label)),
        }
        # An epic under an Epic Link (Data Center) is created with its Epic Name, which Jira
        # requires: the postmortem's title, as the epic's summary says it.
        if layout.parent_field not in (None, "parent") and (name := self.site.epic_name_field()):
            fields[name] = summary(postmortem.title or postmortem.id)
        return NewIssue(group_label(postmortem.id), fields, f"postmortem {postmortem.id}")

    def _content(self, postmortem: PostmortemInfo, keys: list[str]) -> dict[str, Any]:
        return {
            "summary": summary(f"Postmortem: {postmortem.title or postmortem.id}"),
            "description": group_description(postmortem, keys, self.site.config.api_version),
        }

    def for_drafts(self, drafts: Sequence[TicketDraft], create: BulkCreate) -> dict[str, TicketRef]:
        """Each drafts' postmortem's epic, {postmortem id: ref}: cached, found by marker, or created."""
        postmortems = {d.postmortem.id: d.postmortem for d in drafts}
        epics: dict[str, TicketRef] = {}
        for pm_id in postmortems:
            if cached := self.cache.get(self._epic_key(pm_id)):
                epics[pm_id] = self._ref(cached)
        unknown = {group_label(pm_id): pm_id for pm_id in postmortems if pm_id not in epics}
        for pm_id, issue in self._found(unknown, []).items():
            epics[pm_id] = self.site.ref(issue)
            self._remember(pm_id, epics[pm_id])
        epics.update(self._create({k: v for k, v in postmortems.items() if k not in epics}, create))
        return epics

    def _create(self, postmortems: Mapping[str, PostmortemInfo], create: BulkCreate) -> dict[str, TicketRef]:
        epics: dict[str, TicketRef] = {}
        by_marker = {group_label(pm_id): pm_id for pm_id in postmortems}
        for entry, raw in create([self.new_epic(pm) for pm in postmortems.values()]):
            pm_id = by_marker[entry.marker]
            epic = epics[pm_id] = self.site.ref(raw)
            self._made.add(epic.key)
            self._remember(pm_id, epic)
            # A new epic holds what new_epic sent: sync writes the member list only.
            self.cache.set(self._body_key(epic.key), _digest(self._content(postmortems[pm_id], [])))
            if self.site.config.remote_links != "none":
                self.site.link_postmortem(epic, postmortems[pm_id], None)
        return epics

    def under(self, epic: TicketRef, keys: Sequence[str]) -> None:
        """Remember that these issues were created under ``epic``."""
        known = self._members(epic)
        self.cache.set(self._members_key(epic.key), ",".join(sorted(known | set(keys))))

    def _members(self, epic: TicketRef) -> set[str]:
        return set(filter(None, (self.cache.get(self._members_key(epic.key)) or "").split(",")))

    def sync(
        self,
        postmortem: PostmortemInfo,
        group: TicketRef | None,
        members: Sequence[TicketRef],
        create: BulkCreate,
    ) -> TicketRef:
        """Bring the epic's summary and description up to date and put every member under it."""
        site = self.site
        wanted = self._content(postmortem, [m.key for m in members])
        current: dict[str, Any] | None = None
        if group is None:
            cached = self.cache.get(self._epic_key(postmortem.id))
            if cached:
                group = self._ref(cached)
            else:
                found = self._found({group_label(postmortem.id): postmortem.id}, ["summary", "description"])
                if postmortem.id in found:
                    issue = found[postmortem.id]
                    group, current = site.ref(issue), issue.get("fields") or {}
                else:
                    group = self._create({postmortem.id: postmortem}, create)[postmortem.id]
            self._remember(postmortem.id, group)
        known = self.cache.get(self._body_key(group.key))
        if known is None and current is not None:
            known = _digest({"summary": current.get("summary"), "description": current.get("description")})
        if known != _digest(wanted):
            try:
                site.transport.request(
                    "PUT",
                    f"issue/{group.remote_id or group.key}",
                    f"update {group.key}, the parent issue of postmortem {postmortem.id}",
                    body={"fields": wanted},
                )
            except NotFound:
                # Deleted by a person: like GitHub's tracking issue, it is filed again.
                log.warning(
                    "Jira: %s, the parent issue of postmortem %s, is gone; filing a new one", group.key, postmortem.id
                )
                self.cache.set(self._epic_key(postmortem.id), None)
                return self.sync(postmortem, None, members, create)
            self.cache.set(self._body_key(group.key), _digest(wanted))
        self._adopt(group, members)
        return group

    def _adopt(self, epic: TicketRef, members: Sequence[TicketRef]) -> None:
        """Put members not known to be under ``epic`` there; read them first (no write when they are)."""
        field = self.layout().parent_field
        if field is None:
            return
        done = self._members(epic)
        unknown = [m for m in members if m.key not in done]
        if not unknown:
            return
        issues = recovery.fetch_keys(self.site, [m.key for m in unknown], [field])
        value = self.site.fields.parent(epic.key)
        for member in unknown:
            issue = issues.get(member.key)
            if issue is not None and _points_at((issue.get("fields") or {}).get(field), epic):
                done.add(member.key)
                continue
            self.site.transport.request(
                "PUT",
                f"issue/{member.remote_id or member.key}",
                f"put {member.key} under {epic.key}",
                body={"fields": value},
            )
            done.add(member.key)
        self.cache.set(self._members_key(epic.key), ",".join(sorted(done)))


def _points_at(value: Any, epic: TicketRef) -> bool:
    if isinstance(value, Mapping):
        return bool(value.get("key") == epic.key or (epic.remote_id is not None and value.get("id") == epic.remote_id))
    return bool(value == epic.key)

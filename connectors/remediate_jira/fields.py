"""What an action item looks like as Jira issue fields, and what a Jira status means for it."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, Literal

from remediate.connectors import Status, TicketDraft, map_owner
from remediate_jira.config import DEFAULT_NOT_DOING, PER_POSTMORTEM, Config
from remediate_jira.markup import description, summary

log = logging.getLogger("remediate.jira")

#: Prefix of the recovery marker label. Labels are the one thing a plain API-token client can
#: put on an issue that JQL indexes (entity properties are searchable only for Connect/Forge
#: apps), so ``labels = "remediate-<item id>"`` finds an item's issue after a crash.
MARKER_PREFIX = "remediate-"
GROUP_MARKER_PREFIX = "remediate-pm-"
#: Replaces the marker label of an issue closed by ``remediate dedupe``, so no search finds it again.
DUPLICATE_LABEL = "remediate-duplicate"
_NOT_DOING = frozenset(name.casefold() for name in DEFAULT_NOT_DOING)
_LABEL_UNSAFE = re.compile(r"\s+")


def is_marker_label(label: str) -> bool:
    """True for an item's marker label (not a postmortem's, not the duplicate label)."""
    return label.startswith(MARKER_PREFIX) and not label.startswith(GROUP_MARKER_PREFIX) and label != DUPLICATE_LABEL


def marker_label(item_id: str) -> str:
    """The label that identifies an item's issue in JQL."""
    return MARKER_PREFIX + _LABEL_UNSAFE.sub("-", item_id.strip())[:240]


def group_label(postmortem_id: str) -> str:
    """The label that identifies a postmortem's parent issue in JQL."""
    return GROUP_MARKER_PREFIX + _LABEL_UNSAFE.sub("-", postmortem_id.strip())[:240]


def postmortem_label(config: Config, postmortem_id: str) -> str | None:
    """The per-postmortem label, or None when switched off."""
    if not config.postmortem_label_prefix:
        return None
    return (config.postmortem_label_prefix + _LABEL_UNSAFE.sub("-", postmortem_id.strip()))[:255]


def labels_for(config: Config, draft: TicketDraft) -> list[str]:
    """Configured labels, the per-postmortem label and the marker, without repeats."""
    labels = [
        *config.labels,
        postmortem_label(config, draft.postmortem.id),
        marker_label(draft.item_id),
    ]
    return list(dict.fromkeys(label for label in labels if label))


class FieldBuilder:
    """Turns drafts into the ``fields`` of create and edit requests for one Jira site."""

    def __init__(
        self,
        config: Config,
        deployment: Literal["cloud", "datacenter"],
        api_version: int,
        parent_field: Callable[[], str | None] = lambda: "parent",
    ) -> None:
        self.config = config
        self.deployment = deployment
        self.api_version = api_version
        self.parent_field = parent_field  # called only when a parent is set (Data Center may read /field)

    def parent(self, key: str) -> dict[str, Any]:
        """The field that puts an issue under issue ``key``; empty when the site has no such field."""
        field = self.parent_field()
        if field is None:
            return {}
        # "parent" takes an object; an Epic Link custom field (Data Center) takes the bare key.
        return {field: {"key": key} if field == "parent" else key}

    def assignee(self, draft: TicketDraft) -> dict[str, str] | None:
        """The assignee for the draft's owner; None (and a warning) when the owner is unmapped."""
        account = map_owner(draft.owner, self.config.owners)
        if account is None:
            if draft.owner:
                log.warning(
                    "Jira: owner %r of item %s is not in [connectors.jira] owners; leaving the issue unassigned",
                    draft.owner,
                    draft.item_id,
                )
            return None
        # Cloud identifies users by accountId only (GDPR); Data Center by user name.
        return {"accountId": account} if self.deployment == "cloud" else {"name": account}

    def priority(self, draft: TicketDraft) -> dict[str, str] | None:
        """The Jira priority for the draft's priority, or None when unmapped."""
        if not draft.priority:
            return None
        # The author's own word first (a custom map may name it), then its level: "[high]" -> P1.
        for wanted in (draft.priority.strip().casefold(), (draft.priority_level or "").casefold()):
            for name, jira_name in self.config.priorities.items():
                if wanted and name.strip().casefold() == wanted:
                    return {"name": jira_name}
        return None

    def for_create(self, draft: TicketDraft, issue_type_id: str, parent: str | None = None) -> dict[str, Any]:
        """Every field of a new issue for ``draft``, under ``parent`` (its postmortem's epic) if given."""
        fields: dict[str, Any] = dict(self.config.fields)
        fields.update(
            project={"key": self.config.project},
            issuetype={"id": issue_type_id},
            summary=summary(draft.title),
            description=description(draft, self.api_version),
            labels=labels_for(self.config, draft),
        )
        if draft.due:
            fields["duedate"] = draft.due.isoformat()
        if (priority := self.priority(draft)) is not None:
            fields["priority"] = priority
        if (assignee := self.assignee(draft)) is not None:
            fields["assignee"] = assignee
        if self.config.components:
            fields["components"] = [{"name": name} for name in self.config.components]
        if self.config.parent and self.config.parent != PER_POSTMORTEM:
            parent = self.config.parent
        if parent:
            fields.update(self.parent(parent))
        return fields

    def for_update(self, draft: TicketDraft, changed: frozenset[str]) -> dict[str, Any]:
        """Only the fields that ``changed`` touches; "done" is a transition, not a field."""
        fields: dict[str, Any] = {}
        if "title" in changed:
            fields["summary"] = summary(draft.title)
        if changed & {"text", "section"}:
            fields["description"] = description(draft, self.api_version)
        if "due" in changed:
            fields["duedate"] = draft.due.isoformat() if draft.due else None
        if "priority" in changed and (priority := self.priority(draft)) is not None:
            fields["priority"] = priority
        if "owner" in changed:
            fields["assignee"] = self.assignee(draft)  # None unassigns
        return fields


def status_of(config: Config, fields: dict[str, Any]) -> tuple[Status, str]:
    """Map an issue's status and resolution to a Status, with Jira's own words as detail."""
    status = fields.get("status") or {}
    name = str(status.get("name") or "")
    category = str((status.get("statusCategory") or {}).get("key") or "")
    resolution = str((fields.get("resolution") or {}).get("name") or "")
    detail = f"{name} ({resolution})" if resolution else name
    if name.casefold() in config.status_map:
        return config.status_map[name.casefold()], detail
    if category == "done":
        if resolution.casefold() in config.resolution_map:
            return config.resolution_map[resolution.casefold()], detail
        if resolution.casefold() in _NOT_DOING or name.casefold() in _NOT_DOING:
            return Status.NOT_DOING, detail
        return Status.DONE, detail
    # "indeterminate" is Jira's key for the In Progress category; "new" (To Do) and
    # "undefined" (a status without category) stay open.
    return (Status.IN_PROGRESS if category == "indeterminate" else Status.OPEN), detail

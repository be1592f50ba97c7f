"""linearish: a Linear-like tracker the core has never heard of; tickets in a JSON file.

Keys are ``TEAM-N``; issue pages are ``https://linear.app/<workspace>/issue/TEAM-N/<title-slug>``.
``claim`` is the only place that knows these shapes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import Field

from remediate.connectors import (
    ConnectorContext,
    Created,
    PostmortemInfo,
    Status,
    TicketDraft,
    TicketRef,
    TicketState,
)
from remediate.errors import NotFound
from remediate.settings import StrictModel

WEB = "https://linear.app"
_KEY = re.compile(r"([A-Z][A-Z0-9]{0,9})-(\d+)")
_URL = re.compile(
    r"https://linear\.app/(?P<workspace>[\w-]+)/issue/(?P<key>[A-Z][A-Z0-9]{0,9}-\d+)(?:/[\w-]*)?/?(?:[?#]\S*)?"
)


class Tracking(StrictModel):
    """One project issue per postmortem, listing its items."""

    enabled: bool = Field(default=False, description="Keep one issue per postmortem that lists its items.")
    title: str = Field(default="Postmortem: {title}", description="Its title; {title} is the postmortem's.")


class LinearishConfig(StrictModel):
    """Settings of the linearish connector (``[connectors.linearish]``)."""

    workspace: str = Field(
        description="Workspace slug, as in https://linear.app/WORKSPACE/issue/...",
        json_schema_extra={"question": "Linearish workspace slug"},
    )
    team: str = Field(description="Team key new issues get, e.g. ENG.", pattern=r"^[A-Z][A-Z0-9]{0,9}$")
    tickets: str = Field(description="JSON file that holds the tickets (this tracker has no server).")
    labels: list[str] = Field(
        default_factory=lambda: ["remediation"],
        description="Labels put on every issue.",
        json_schema_extra={"question": True},
    )
    owners: dict[str, str] = Field(default_factory=dict, description="Document owner -> linearish user.")
    tracking: Tracking = Field(default_factory=Tracking)


class LinearishTracker:
    """Tickets in a JSON file: {key: {item_id, title, status, labels, updated_at}}."""

    name: ClassVar[str] = "linearish"
    Config: ClassVar[type[StrictModel]] = LinearishConfig
    #: Every reference the engine offered to ``claim``, in order (the tests read it).
    offered: ClassVar[list[str]] = []

    def __init__(self, config: LinearishConfig) -> None:
        self.config = config
        self.path = Path(config.tickets)

    @classmethod
    def from_config(cls, config: LinearishConfig, context: ConnectorContext) -> Self:
        """No request: the file is read when a verb needs it."""
        return cls(config)

    # --- the file --------------------------------------------------------------------------

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        data: dict[str, dict[str, Any]] = json.loads(self.path.read_text(encoding="utf-8"))
        return data

    def _save(self, tickets: Mapping[str, Mapping[str, Any]]) -> None:
        self.path.write_text(json.dumps(tickets, indent=1, sort_keys=True), encoding="utf-8")

    def _ref(self, key: str) -> TicketRef:
        return TicketRef(self.name, key, f"{WEB}/{self.config.workspace}/issue/{key}")

    def _next_key(self, tickets: Mapping[str, Any]) -> str:
        numbers = [int(m.group(2)) for k in tickets if (m := _KEY.fullmatch(k)) and m.group(1) == self.config.team]
        return f"{self.config.team}-{max(numbers, default=0) + 1}"

    # --- the protocol ----------------------------------------------------------------------

    def claim(self, reference: str) -> TicketRef | None:
        """``ENG-42`` of the configured team, or an issue URL of this workspace (any team)."""
        self.offered.append(reference)
        text = reference.strip()
        if match := _KEY.fullmatch(text):
            return self._ref(text) if match.group(1) == self.config.team else None
        if (match := _URL.fullmatch(text)) and match["workspace"] == self.config.workspace:
            return self._ref(match["key"])
        return None

    def find(self, drafts: Sequence[TicketDraft]) -> Mapping[str, TicketRef]:
        """Tickets carrying these items' ids (the oldest one)."""
        wanted = {d.item_id for d in drafts}
        found: dict[str, TicketRef] = {}
        for key, ticket in self._load().items():
            if ticket.get("item_id") in wanted:
                found.setdefault(ticket["item_id"], self._ref(key))
        return found

    def create(self, drafts: Sequence[TicketDraft]) -> Iterator[Created]:
        """One ticket per draft, saved before it is yielded."""
        for draft in drafts:
            tickets = self._load()
            key = self._next_key(tickets)
            tickets[key] = {
                "item_id": draft.item_id,
                "title": draft.title,
                "status": Status.DONE if draft.done else Status.OPEN,
                "labels": list(self.config.labels),
                "updated_at": datetime.now(UTC).isoformat(),
            }
            self._save(tickets)
            yield Created(draft.item_id, self._ref(key))

    def update(self, ref: TicketRef, draft: TicketDraft, changed: frozenset[str]) -> TicketRef:
        """Rewrite the title; a changed ``done`` closes or reopens it."""
        tickets = self._load()
        if ref.key not in tickets:
            raise NotFound(f"{ref.key} no longer exists", tracker=self.name)
        tickets[ref.key]["title"] = draft.title
        if "done" in changed and draft.done is not None:
            tickets[ref.key]["status"] = Status.DONE if draft.done else Status.OPEN
        tickets[ref.key]["updated_at"] = datetime.now(UTC).isoformat()
        self._save(tickets)
        return ref

    def states(self, refs: Sequence[TicketRef], since: datetime | None) -> Iterator[TicketState]:
        """The state of each ticket changed after ``since``; unknown keys come back deleted."""
        tickets = self._load()
        for ref in refs:
            ticket = tickets.get(ref.key)
            if ticket is None:
                yield TicketState(ref, Status.OPEN, missing="deleted", detail="no such issue")
                continue
            updated = datetime.fromisoformat(ticket["updated_at"])
            if since is None or updated > since:
                yield TicketState(ref, Status(ticket["status"]), updated)

    def sync_group(
        self, postmortem: PostmortemInfo, group: TicketRef | None, members: Sequence[TicketRef]
    ) -> TicketRef | None:
        """With ``tracking.enabled``: one issue per postmortem listing its members' keys."""
        if not self.config.tracking.enabled:
            return None
        tickets = self._load()
        key = group.key if group is not None and group.key in tickets else self._next_key(tickets)
        tickets[key] = {
            "item_id": f"group:{postmortem.id}",
            "title": self.config.tracking.title.format(title=postmortem.title or postmortem.id),
            "status": Status.OPEN,
            "labels": list(self.config.labels),
            "members": [m.key for m in members],
            "updated_at": datetime.now(UTC).isoformat(),
        }
        self._save(tickets)
        return self._ref(key)

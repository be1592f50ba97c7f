"""Moving issues through their workflow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from remediate.connectors import TicketRef
from remediate.errors import Conflict
from remediate_jira import answers
from remediate_jira.site import Site


def _category(transition: Mapping[str, Any]) -> str | None:
    return ((transition.get("to") or {}).get("statusCategory") or {}).get("key")


def set_done(site: Site, ref: TicketRef, done: bool) -> None:
    """Move the issue into (or out of) a done-category status, unless it is there already."""
    target = ref.remote_id or ref.key
    # One read gives both the current status and the transitions available from it.
    issue = (
        site.transport.request(
            "GET",
            f"issue/{target}",
            f"read the transitions of {ref.key}",
            params={"fields": "status", "expand": "transitions"},
            shape=answers.WithTransitions,
        )
        or {}
    )
    status = (issue.get("fields") or {}).get("status") or {}
    if ((status.get("statusCategory") or {}).get("key") == "done") == done:
        return
    wanted = site.config.done_transition if done else site.config.reopen_transition
    transitions = issue.get("transitions") or []
    chosen = None
    if wanted:
        chosen = next((t for t in transitions if str(t.get("name", "")).casefold() == wanted.casefold()), None)
    else:
        for category in ("done",) if done else ("new", "indeterminate"):
            chosen = next((t for t in transitions if _category(t) == category), None)
            if chosen:
                break
    if chosen is None:
        names = ", ".join(str(t.get("name")) for t in transitions) or "none"
        setting = "done_transition" if done else "reopen_transition"
        raise Conflict(
            f"no transition of {ref.key} (status {status.get('name')!r}) leads to "
            f"{'a done' if done else 'an open'} status (available: {names}): "
            f"set [connectors.jira] {setting}",
            tracker="jira",
        )
    # The library's transition_issue() sends the id as an int; the OpenAPI schema says string
    # (Jira takes both), so post it ourselves in the documented shape.
    site.transport.request(
        "POST",
        f"issue/{target}/transitions",
        f"transition {ref.key} to {(chosen.get('to') or {}).get('name', chosen.get('name'))}",
        body={"transition": {"id": str(chosen["id"])}},
        idempotent=False,
    )

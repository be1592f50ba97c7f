"""Reading issue states back: one incremental JQL per project, reads by id for the rest."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from remediate.connectors import Status, TicketRef, TicketState
from remediate.errors import AuthError, NotFound
from remediate_jira import answers
from remediate_jira.config import ISSUE_KEY
from remediate_jira.fields import status_of
from remediate_jira.recovery import STATE_FIELDS
from remediate_jira.search import quote
from remediate_jira.site import Site

#: States that changed this long before ``since`` are reported again: JQL dates have minute
#: precision, clocks drift, and a change made while the index lagged must not be missed.
STATE_MARGIN = timedelta(minutes=10)


def parse_time(value: str | None) -> datetime | None:
    """A Jira timestamp (``2024-05-01T10:00:00.000+0000``), or None."""
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def _jql(site: Site, project: str, minutes: int | None) -> str:
    clauses = [f"project = {quote(project)}"]
    if site.config.labels:
        clauses.append(f"labels = {quote(site.config.labels[0])}")
    if minutes is not None:
        # Relative dates ("-15m") do not depend on the JQL user's time zone, which absolute
        # "yyyy-MM-dd HH:mm" values are read in.
        clauses.append(f'updated >= "-{minutes}m"')
    return " AND ".join(clauses) + " ORDER BY key ASC"


def _seen_key(issue_id: str) -> str:
    return f"jira:updated:{issue_id}"


def states(site: Site, refs: Sequence[TicketRef], since: datetime | None) -> Iterator[TicketState]:
    """States of ``refs`` changed after ``since`` (minus a margin); every ref when None.

    An incremental search lists again what changed inside the margin (JQL dates have minute
    precision, and a bulk sync touches a whole batch at once), so each issue's exact ``updated``
    is kept in the cache once it was reported, and an issue listed again with the same
    ``updated`` is not reported again. A full refresh reports every ref. The values are stored
    when the caller has taken every state (the engine records a batch, then commits), so an
    interrupted refresh reports them again instead of losing them.
    """
    if not refs:
        return
    cache = site.context.cache
    reported: dict[str, str] = {}
    lower = since - STATE_MARGIN if since is not None else None
    now = site.clock()
    if lower is not None and lower > now:
        return  # nothing can have changed after a moment that has not come yet
    minutes = max(1, math.ceil((now - lower).total_seconds() / 60)) if lower else None
    by_id = {r.remote_id: r for r in refs if r.remote_id}
    by_key = {r.key: r for r in refs}
    seen: set[str] = set()
    for project in sorted({m.group(1) for r in refs if (m := ISSUE_KEY.match(r.key))}):
        for issue in site.searcher.issues(_jql(site, project, minutes), STATE_FIELDS):
            ref = by_id.get(str(issue.get("id"))) or by_key.get(str(issue.get("key")))
            if ref is None or ref.key in seen:
                continue
            state = state_of(site, ref, issue)
            if lower is not None and state.updated_at and state.updated_at < lower:
                continue
            seen.add(ref.key)
            updated = str((issue.get("fields") or {}).get("updated") or "")
            if since is not None and updated and cache.get(_seen_key(str(issue.get("id")))) == updated:
                continue  # listed again inside the margin, unchanged since it was reported
            if updated:
                reported[str(issue.get("id"))] = updated
            yield state
    if since is None:
        # A full refresh accounts for every ref: those search did not return (index lag, label
        # removed, moved, deleted) are read one by one, by id, which never lags.
        for ref in refs:
            if ref.key not in seen:
                yield read_state(site, ref)
    for issue_id, updated in reported.items():
        cache.set(_seen_key(issue_id), updated)


def state_of(site: Site, ref: TicketRef, issue: Mapping[str, Any]) -> TicketState:
    """The TicketState of ``ref`` from an issue as Jira returned it."""
    fields = issue.get("fields") or {}
    status, detail = status_of(site.config, fields)
    current = site.ref(issue)
    moved = current.key != ref.key
    return TicketState(
        ref=current if moved else ref,
        status=status,
        updated_at=parse_time(fields.get("updated")),
        detail=f"{detail}; moved from {ref.key} to {current.key}" if moved else detail,
        missing="moved" if moved else None,
    )


def read_state(site: Site, ref: TicketRef) -> TicketState:
    """Read one issue's state by id (or key); deleted and hidden issues come back ``missing``."""
    try:
        issue = site.transport.request(
            "GET",
            f"issue/{ref.remote_id or ref.key}",
            f"read {ref.key}",
            params={"fields": ",".join(STATE_FIELDS)},
            shape=answers.Issue,
        )
    except NotFound:
        return TicketState(ref, Status.OPEN, detail="not found (deleted?)", missing="deleted")
    except AuthError:
        return TicketState(ref, Status.OPEN, detail="no permission", missing="inaccessible")
    return state_of(site, ref, issue or {})

"""Moving issues through their workflow and keeping per-postmortem parent issues."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from remediate.connectors import PostmortemInfo, TicketRef
from remediate.errors import Conflict
from remediate_jira import answers
from remediate_jira.fields import group_label, postmortem_label
from remediate_jira.markup import summary
from remediate_jira.search import quote
from remediate_jira.site import Site
from remediate_jira.transport import Rejected


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


def find_group(site: Site, postmortem: PostmortemInfo) -> TicketRef | None:
    """The postmortem's parent issue, found by its label (after a lost link)."""
    jql = f"labels = {quote(group_label(postmortem.id))} ORDER BY key ASC"
    for issue in site.searcher.issues(jql, ["labels"]):
        return site.ref(issue)
    return None


def create_group(site: Site, postmortem: PostmortemInfo, title: str) -> TicketRef:
    """Create the postmortem's parent issue (type ``group_issue_type``) and link the document."""
    config = site.config
    labels = [*config.labels, postmortem_label(config, postmortem.id), group_label(postmortem.id)]
    fields = {
        "project": {"key": config.project},
        "issuetype": {"id": site.issue_type_id(config.group_issue_type)},
        "summary": title,
        "labels": list(dict.fromkeys(label for label in labels if label)),
    }
    what = "create the postmortem's parent issue"
    try:
        raw = site.transport.request(
            "POST", "issue", what, body={"fields": fields}, idempotent=False, shape=answers.Created
        )
    except Rejected as err:
        raise site.explain(err, what) from None
    group = site.ref(raw)
    site.link_postmortem(group, postmortem, postmortem.id)
    return group


def sync_group(
    site: Site, postmortem: PostmortemInfo, group: TicketRef | None, members: Sequence[TicketRef]
) -> TicketRef:
    """Create or retitle the parent issue and put every new member under it."""
    title = summary(f"Postmortem: {postmortem.title or postmortem.id}")
    if group is None:
        group = find_group(site, postmortem) or create_group(site, postmortem, title)
    else:
        site.transport.request(
            "PUT",
            f"issue/{group.remote_id or group.key}",
            f"retitle {group.key}",
            body={"fields": {"summary": title}},
        )
    # Members already put under the parent, kept between runs so each is written once.
    cache = site.context.cache
    cache_key = f"jira:group:{group.key}"
    done = set(filter(None, (cache.get(cache_key) or "").split(",")))
    value = site.fields.parent_value(group.key)
    for member in members:
        if member.key in done:
            continue
        site.transport.request(
            "PUT",
            f"issue/{member.remote_id or member.key}",
            f"put {member.key} under {group.key}",
            body={"fields": {site.config.parent_field: value}},
        )
        done.add(member.key)
        cache.set(cache_key, ",".join(sorted(done)))
    return group

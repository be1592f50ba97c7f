"""Finding issues a create may have made, without trusting the lagging search index.

Jira Cloud's search is eventually consistent, so a label search right after a create can miss
the new issues. Reads by key are not: before creating, we note the project's highest visible
issue number (the watermark; issue numbers only grow, and a lagging index only makes it lower,
which is safe), and to recover we read the keys above it and keep those carrying our markers.
Cloud reads 100 keys per ``/issue/bulkfetch``; Data Center, which has no bulk fetch, reads
them one by one and stops after a run of missing keys.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from remediate.connectors import TicketDraft, TicketRef
from remediate.errors import NotFound
from remediate_jira import answers
from remediate_jira.config import ISSUE_KEY
from remediate_jira.fields import marker_label
from remediate_jira.search import in_list, quote
from remediate_jira.site import Site

#: Stop probing after this many consecutive missing keys above the watermark.
PROBE_GAP = 10
#: Never probe further than this many keys above the watermark.
PROBE_MAX = 1000
#: Labels per ``labels in (...)`` clause, to keep GET URLs short.
FIND_CHUNK = 50
STATE_FIELDS = ("status", "resolution", "updated")
#: Keys per ``/issue/bulkfetch`` (Jira Cloud's limit).
FETCH_CHUNK = 100


def key_number(key: str) -> int:
    """The number of an issue key (``OPS-42`` -> 42), 0 if it is not a key."""
    match = ISSUE_KEY.match(key)
    return int(match.group(2)) if match else 0


def watermark(site: Site) -> int:
    """The highest issue number search shows in the project (0 if none); may lag, never leads."""
    jql = f"project = {quote(site.config.project)} ORDER BY key DESC"
    page = site.searcher.page(jql, ["summary"], limit=1)
    issues = page.get("issues") or []
    return key_number(str(issues[0]["key"])) if issues else 0


def fetch_keys(
    site: Site, keys: Sequence[str], fields: Sequence[str] = ("labels", *STATE_FIELDS)
) -> dict[str, dict[str, Any]]:
    """Read issues by key, bypassing the search index (Cloud: 100 a request); missing keys are left out."""
    found: dict[str, dict[str, Any]] = {}
    if site.deployment == "cloud":
        for start in range(0, len(keys), FETCH_CHUNK):
            page = site.transport.request(
                "POST",
                "issue/bulkfetch",
                "read issues by key",
                body={"issueIdsOrKeys": list(keys[start : start + FETCH_CHUNK]), "fields": list(fields)},
                shape=answers.BulkFetched,
            )
            found.update({str(i["key"]): i for i in (page or {}).get("issues") or []})
        return found
    for key in keys:
        try:
            found[key] = site.transport.request(
                "GET", f"issue/{key}", f"read {key}", params={"fields": ",".join(fields)}, shape=answers.Issue
            )
        except NotFound:
            continue
    return found


def probe(site: Site, wanted: Mapping[str, str], mark: int) -> dict[str, dict[str, Any]]:
    """Issues numbered above ``mark`` carrying the marker labels of ``wanted`` ({label: id}): {id: issue}."""
    found: dict[str, dict[str, Any]] = {}
    window = 100 if site.deployment == "cloud" else PROBE_GAP
    number, gap = mark + 1, 0
    while len(found) < len(wanted) and gap < PROBE_GAP and number <= mark + PROBE_MAX:
        keys = [f"{site.config.project}-{n}" for n in range(number, number + window)]
        issues = fetch_keys(site, keys)
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


def _by_label(site: Site, markers: Mapping[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
    labels = list(markers)
    for start in range(0, len(labels), FIND_CHUNK):
        # No project clause: an issue moved to another project keeps its labels.
        jql = f"labels in {in_list(labels[start : start + FIND_CHUNK])} ORDER BY key ASC"
        for issue in site.searcher.issues(jql, ["labels"]):
            for label in (issue.get("fields") or {}).get("labels") or []:
                if label in markers:
                    yield markers[label], issue


def find(site: Site, drafts: Sequence[TicketDraft], mark: int | None) -> dict[str, TicketRef]:
    """Issues carrying the drafts' marker labels; keys above ``mark`` are read if search misses."""
    found = {item_id: issues[0] for item_id, issues in _all_by_label(site, drafts).items()}  # oldest wins
    missing = [d for d in drafts if d.item_id not in found]
    if missing and mark is not None:
        found.update(probe(site, {marker_label(d.item_id): d.item_id for d in missing}, mark))
    return {item_id: site.ref(issue) for item_id, issue in found.items()}


def find_all(site: Site, drafts: Sequence[TicketDraft]) -> dict[str, list[TicketRef]]:
    """Every issue carrying each draft's marker label, oldest first (a duplicate loses its label)."""
    return {item_id: [site.ref(i) for i in issues] for item_id, issues in _all_by_label(site, drafts).items()}


def _all_by_label(site: Site, drafts: Sequence[TicketDraft]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for item_id, issue in _by_label(site, {marker_label(d.item_id): d.item_id for d in drafts}):
        found.setdefault(item_id, []).append(issue)  # ORDER BY key ASC: oldest first
    return found

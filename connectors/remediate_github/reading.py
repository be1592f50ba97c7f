"""Reading issue states back, incrementally and cheaply.

The incremental read lists the repository's issues that carry the remediation label,
``state=all&since=CURSOR&sort=updated&direction=desc&per_page=100``, and stops at the
first issue not updated since the engine's ``since``: k changed issues cost
ceil((k+1)/100) pages. CURSOR is not the engine's ``since``, which moves every run (so
the URL, and its ETag, would never repeat): it is one second before the newest
``updated_at`` seen at the last full read, in GitHub's own clock (so a skewed local clock
cannot hide an update), and it stays put until the next full read. The URL therefore
repeats from run to run and the first page is a conditional request: when nothing
changed GitHub answers 304, which does not count against the rate limit. The 304 is
trusted only when ``since`` is later than the newest update that page held (otherwise the
engine may not have stored what we reported then, so we read it again). When the engine's
``since`` is older than the cursor (a run died), the read asks for exactly its window.
Every read starts ``SLACK`` (a minute) before the engine's ``since``: GitHub's timestamps
have whole seconds and its clock is not ours, and a state reported twice is harmless while
a change never reported is not.

Listing cannot see issues that left the label's list (deleted, transferred, unlabelled),
so every ``full_refresh_hours`` (and whenever ``since`` is None) the read lists everything
and probes the refs it did not see one by one: 410 means deleted, a followed 301 means
transferred, 404 means no longer visible.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from remediate.connectors import StateCache, Status, TicketRef, TicketState
from remediate_github.api import RepoApi
from remediate_github.config import Config
from remediate_github.refs import IssueAddress, References

log = logging.getLogger("remediate.github")


EPOCH = "1970-01-01T00:00:00Z"
#: How much earlier than the engine's ``since`` a read starts (clock skew, whole seconds).
SLACK = timedelta(seconds=60)


def _second_before(stamp: str) -> str:
    moment = datetime.fromisoformat(stamp) - timedelta(seconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> datetime | None:
    """A GitHub timestamp (``2024-05-01T12:00:00Z``) as an aware datetime."""
    return datetime.fromisoformat(value) if value else None


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive ones are taken to be UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def label_names(issue: Mapping[str, Any]) -> set[str]:
    """The issue's label names, case-folded (GitHub compares labels case-insensitively)."""
    return {str(label["name"] if isinstance(label, dict) else label).casefold() for label in issue.get("labels") or []}


def status_of(issue: Mapping[str, Any], in_progress_label: str | None) -> tuple[Status, str]:
    """Map GitHub's state, state_reason and the in-progress label to a Status and the words for it."""
    reason = issue.get("state_reason")
    if issue.get("state") == "closed":
        reason = reason or "completed"
        if reason in ("not_planned", "duplicate"):
            return Status.NOT_DOING, f"closed: {reason}"
        return Status.DONE, f"closed: {reason}"
    if in_progress_label and in_progress_label.casefold() in label_names(issue):
        return Status.IN_PROGRESS, f"open, labelled {in_progress_label!r}"
    return Status.OPEN, "reopened" if reason == "reopened" else "open"


class StateReader:
    """Implements ``Connector.states`` for one repository."""

    def __init__(self, config: Config, api: RepoApi, refs: References, cache: StateCache) -> None:
        self.config = config
        self.api = api
        self.refs = refs
        self.cache = cache

    def state(self, ref: TicketRef, issue: Mapping[str, Any]) -> TicketState:
        """The TicketState of ``ref`` from the issue JSON GitHub returned for it."""
        status, detail = status_of(issue, self.config.in_progress_label)
        return TicketState(ref=ref, status=status, updated_at=parse_time(issue.get("updated_at")), detail=detail)

    def read(self, refs: Sequence[TicketRef], since: datetime | None, now: datetime) -> Iterator[TicketState]:
        """Yield the states of ``refs`` that changed after ``since`` (see the module docstring)."""
        # GitHub's timestamps have whole seconds and its clock is not ours: read a little
        # earlier than asked. Reporting a state twice is harmless; missing a change is not.
        since = utc(since) - SLACK if since is not None else None
        ours: dict[int, TicketRef] = {}
        elsewhere: list[tuple[IssueAddress, TicketRef]] = []
        for ref in refs:
            address = self.refs.parse(ref.key)
            if address is None:
                log.warning("%s is not a GitHub issue key; skipped", ref.key)
            elif address.same_repo(self.config.repo):
                ours[address.number] = ref
            else:
                elsewhere.append((address, ref))
        full = since is None or self._full_refresh_due(now)
        seen: set[int] = set()
        for issue in self._changed(since, full):
            listed = ours.get(int(issue["number"]))
            if listed is None:
                continue
            seen.add(int(issue["number"]))
            updated = parse_time(issue.get("updated_at"))
            if since is None or (updated is not None and updated >= since):
                yield self.state(listed, issue)
        if full:
            for number in sorted(ours.keys() - seen):
                address = IssueAddress(self.config.repo, number)
                yield from self._probe(address, ours[number], since, conditional=False)
            self.cache.set(self._full_key, now.isoformat())
        for address, ref in elsewhere:
            yield from self._probe(address, ref, since, conditional=since is not None)

    def read_one(self, ref: TicketRef) -> Iterator[TicketState]:
        """The state of one issue now (a webhook named it): one GET, no listing, no cursor moved."""
        address = self.refs.parse(ref.key)
        if address is None:
            log.warning("%s is not a GitHub issue key; skipped", ref.key)
            return
        yield from self._probe(address, ref, None, conditional=False)

    @property
    def _full_key(self) -> str:
        return f"{self.config.repo}:full-read"

    def _full_refresh_due(self, now: datetime) -> bool:
        last = self.cache.get(self._full_key)
        if last is None:
            return True
        return (now - datetime.fromisoformat(last)).total_seconds() >= self.config.full_refresh_hours * 3600

    def _changed(self, since: datetime | None, full: bool) -> Iterator[dict[str, Any]]:
        key = f"{self.config.repo}:list:{self.config.label.casefold()}"
        saved = json.loads(self.cache.get(key) or "{}")
        params: dict[str, Any] = {
            "labels": self.config.label,
            "state": "all",
            "sort": "updated",
            "direction": "desc",
        }
        etag = None
        stable = False  # True when the URL uses the stored cursor, so its ETag can be reused
        if not full and since is not None:
            cursor = parse_time(saved.get("cursor"))
            if cursor is not None and cursor <= since:
                params["since"] = saved["cursor"]
                stable = True
                newest = parse_time(saved.get("newest"))
                if saved.get("etag") and newest is not None and since > newest:
                    etag = saved["etag"]
            else:  # the engine is behind our cursor (a run that died): ask for exactly its window
                params["since"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        what = f"listing the issues labelled {self.config.label!r} in {self.config.repo}"
        first = True
        for page in self.api.list_issues(params, what, etag=etag):
            if page.status == 304:
                return
            if first:
                first = False
                top = page.data[0].get("updated_at") if page.data else None
                if full:  # a new cursor, in GitHub's own time (a second early: since is inclusive)
                    saved = {"cursor": _second_before(top) if top else EPOCH}
                    self.cache.set(key, json.dumps(saved))
                elif stable:
                    tag = page.headers.get("etag")
                    self.cache.set(key, json.dumps({**saved, "etag": tag, "newest": top or saved["cursor"]}))
            for issue in page.data:
                updated = parse_time(issue.get("updated_at"))
                if not full and since is not None and updated is not None and updated < since:
                    return  # sorted by updated, newest first: the rest is older still
                if "pull_request" in issue:
                    continue  # the issues endpoint also lists pull requests
                yield issue

    def _probe(
        self, address: IssueAddress, ref: TicketRef, since: datetime | None, *, conditional: bool
    ) -> Iterator[TicketState]:
        key = f"{address.key}:etag"
        answer = self.api.get_issue(address, etag=self.cache.get(key) if conditional else None)
        if answer.status == 304:
            return
        if answer.status == 410:
            self.cache.set(key, None)
            yield TicketState(ref, Status.OPEN, detail=f"{address.key} was deleted on GitHub", missing="deleted")
            return
        if answer.status == 404:
            self.cache.set(key, None)
            yield TicketState(
                ref,
                Status.OPEN,
                detail=f"{address.key} cannot be read: deleted, transferred to a repository the "
                "token cannot see, or access was removed",
                missing="inaccessible",
            )
            return
        if answer.status in (301, 302, 307):
            yield TicketState(ref, Status.OPEN, detail=f"{address.key} was transferred", missing="moved")
            return
        self.api.expect(answer, (200,), f"reading issue {address.key}")
        issue = answer.data
        now_at = self.refs.from_api_url(str(issue.get("repository_url") or ""), int(issue["number"]))
        if now_at.key.casefold() != address.key.casefold() and not self._renamed(address, now_at):
            status, detail = status_of(issue, self.config.in_progress_label)
            url = issue.get("html_url") or self.refs.url(now_at)
            yield TicketState(
                ref,
                status,
                updated_at=parse_time(issue.get("updated_at")),
                detail=f"transferred to {now_at.key} ({url}); {detail}",
                missing="moved",
            )
            return
        if answer.headers.get("etag"):
            self.cache.set(key, answer.headers["etag"])
        updated = parse_time(issue.get("updated_at"))
        if since is None or updated is None or updated >= since:
            yield self.state(ref, issue)

    def _renamed(self, address: IssueAddress, now_at: IssueAddress) -> bool:
        # A renamed repository redirects too, but its issues keep their numbers and stay ours.
        if now_at.number != address.number or not address.same_repo(self.config.repo):
            return False
        full_name = str(self.api.check_repository().get("full_name", ""))
        return now_at.same_repo(full_name)

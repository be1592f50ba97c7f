"""JQL searches on both Jira deployments, with paging done here rather than by the library.

Jira Cloud removed ``/rest/api/{2,3}/search`` in 2025 (410 Gone, CHANGE-2046); its replacement
``/search/jql`` pages with an opaque ``nextPageToken``, has no ``total``, and returns only ``id``
unless ``fields`` asks for more. Data Center still has only ``/rest/api/2/search`` with
``startAt``/``total``. The ``jira`` library hides this badly for us: ``search_issues`` returns one
page of 50 unless ``maxResults=False``, fetches ``/field`` first to translate names, defaults
to ``fields=*all``, and its ``@cloud_api`` methods return None on Data Center. So we page here.

Search results are eventually consistent on Cloud ("recent updates might not be immediately
visible"): callers never use a search to read back something they just wrote.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal

from remediate_jira import answers
from remediate_jira.transport import Transport

#: Issues per search page. Cloud serves at most 100 when fields beyond id/key are asked for.
PAGE_SIZE = 100


def quote(value: str) -> str:
    """A JQL string literal for ``value``."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def in_list(values: Sequence[str]) -> str:
    """A JQL ``in (...)`` list of string literals."""
    return "(" + ", ".join(quote(v) for v in values) + ")"


class Searcher:
    """Runs JQL on Cloud (``/search/jql``, token paging) or Data Center (``/search``, offsets)."""

    def __init__(self, transport: Transport, deployment: Literal["cloud", "datacenter"]) -> None:
        self.transport = transport
        self.deployment = deployment

    def page(
        self,
        jql: str,
        fields: Sequence[str],
        *,
        limit: int = PAGE_SIZE,
        token: str | None = None,
        start_at: int = 0,
    ) -> dict[str, Any]:
        """One page of results, as Jira sent it."""
        params: dict[str, Any] = {"jql": jql, "fields": ",".join(fields), "maxResults": limit}
        if self.deployment == "cloud":
            if token:
                params["nextPageToken"] = token
            path = "search/jql"
        else:
            # Data Center has only REST v2; validateQuery=strict makes a bad JQL a 400.
            params.update(startAt=start_at, validateQuery="strict")
            path = f"{self.transport.server}/rest/api/2/search"
        page: dict[str, Any] = self.transport.request(
            "GET", path, "search issues", params=params, shape=answers.SearchPage
        )
        return page

    def issues(self, jql: str, fields: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Every issue matching ``jql``, fetching the pages one by one as they are consumed."""
        if self.deployment == "cloud":
            token: str | None = None
            while True:
                page = self.page(jql, fields, token=token)
                yield from page.get("issues") or []
                token = page.get("nextPageToken")
                if not token or page.get("isLast") is True:
                    return
        start = 0
        while True:
            page = self.page(jql, fields, start_at=start)
            issues = page.get("issues") or []
            yield from issues
            start += len(issues)
            if not issues or start >= int(page.get("total") or 0):
                return

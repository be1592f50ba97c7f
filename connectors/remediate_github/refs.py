"""Issue references: the keys remediate stores and the forms a postmortem may use.

Keys are always ``OWNER/REPO#NUMBER``. A bare ``#12`` would be shorter, but postmortems
often live in another repository than the issues, and there ``#12`` (written back by
``--write-back``) would link to the wrong repository; the full form links right from
anywhere on the same GitHub and survives a change of the configured repository.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_SHORT = re.compile(r"^(?:#|GH-)(\d+)$", re.IGNORECASE)
_LONG = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9._-]+)#(\d+)$")
# An issue's page, or a pull request's (a pull request is an issue with the same number).
_WEB_PATH = re.compile(r"^/([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9._-]+)/(?:issues|pull)/(\d+)(?:/[^/]*)?/?$")
_API_PATH = re.compile(r"^/repos/([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9._-]+)/issues/(\d+)/?$")


@dataclass(frozen=True)
class IssueAddress:
    """One issue: repository and number."""

    repo: str  # OWNER/NAME as first seen
    number: int

    @property
    def key(self) -> str:
        """The key remediate stores and writes back: ``OWNER/NAME#N``."""
        return f"{self.repo}#{self.number}"

    def same_repo(self, repo: str) -> bool:
        """True when this issue lives in ``repo`` (GitHub names are case-insensitive)."""
        return self.repo.casefold() == repo.casefold()


def web_base(api_base: str) -> str:
    """The web origin for an API base URL: api.github.com -> github.com, GHES strips /api/v3."""
    parts = urlsplit(api_base)
    host = parts.hostname or ""
    netloc = parts.netloc
    path = parts.path.rstrip("/")
    if path.endswith("/api/v3"):
        return f"{parts.scheme}://{netloc}{path[: -len('/api/v3')]}"
    if host.startswith("api.") and not path:
        # api.github.com -> github.com; GHE.com data residency: api.acme.ghe.com -> acme.ghe.com
        return f"{parts.scheme}://{netloc[len('api.') :]}"
    return f"{parts.scheme}://{netloc}{path}"


def _origin(scheme: str, host: str | None, port: int | None) -> str:
    host = (host or "").casefold()
    if host == "www.github.com":
        host = "github.com"
    return f"{scheme.casefold()}://{host}:{port or ''}"


class References:
    """Parses what a document may say about an issue, for one configured repository."""

    def __init__(self, repo: str, api_base: str) -> None:
        self.repo = repo
        self.api_base = api_base.rstrip("/")
        self.web = web_base(self.api_base)

    def parse(self, reference: str) -> IssueAddress | None:
        """The issue that ``#12``, ``GH-12``, ``owner/repo#12`` or an issue or pull request URL names, or None.

        URLs count on this GitHub only (github.com, or the Enterprise Server of ``api_base``), with
        anything after the number (``/files``, ``#issuecomment-1``, ``?q=``).
        """
        text = reference.strip().strip("<>")
        if match := _SHORT.match(text):
            return IssueAddress(self.repo, int(match.group(1)))
        if match := _LONG.match(text):
            return self._address(match.group(1), match.group(2), match.group(3))
        if not text.startswith(("https://", "http://")):
            return None
        parts = urlsplit(text)
        for base, pattern in ((self.web, _WEB_PATH), (self.api_base, _API_PATH)):
            base_parts = urlsplit(base)
            if _origin(parts.scheme, parts.hostname, parts.port) != _origin(
                base_parts.scheme, base_parts.hostname, base_parts.port
            ):
                continue
            path = parts.path
            prefix = base_parts.path.rstrip("/")
            if prefix:
                if not path.startswith(prefix + "/"):
                    continue
                path = path[len(prefix) :]
            if match := pattern.match(path):
                return self._address(match.group(1), match.group(2), match.group(3))
        return None

    def _address(self, owner: str, name: str, number: str) -> IssueAddress:
        repo = f"{owner}/{name}"
        return IssueAddress(self.repo if repo.casefold() == self.repo.casefold() else repo, int(number))

    def url(self, address: IssueAddress) -> str:
        """The web URL of an issue."""
        return f"{self.web}/{address.repo}/issues/{address.number}"

    def from_api_url(self, repository_url: str, number: int) -> IssueAddress:
        """The address of an issue from its ``repository_url`` (which tells where it lives now)."""
        path = urlsplit(repository_url).path
        match = re.search(r"/repos/([^/]+)/([^/]+)$", path)
        repo = f"{match.group(1)}/{match.group(2)}" if match else self.repo
        return IssueAddress(self.repo if repo.casefold() == self.repo.casefold() else repo, number)

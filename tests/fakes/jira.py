"""A stateful fake Jira (Cloud or Data Center) served over real HTTP from a thread.

It answers what the connector and the ``jira`` library call, the way the real services do
(``../shared/contracts/NOTES.md`` sections 5, 6 and 10; the OpenAPI extract kept in
``tests/contracts/``; the recorded Server bodies in ``replay/jira``):

- ``serverInfo`` with ``versionNumbers`` and ``deploymentType`` (``Cloud`` / ``Server``);
- Basic auth (email:API token) on Cloud, Bearer PAT on Data Center, 401 for anything else;
- Cloud: ``/search/jql`` with ``nextPageToken``/``isLast`` (no total), the verbatim 410 for the
  removed ``/search``, bounded-JQL check, ``/issue/bulkfetch``; Data Center: ``/search`` with
  ``startAt``/``total`` and a 404 for ``/search/jql``;
- search-index lag on demand: with ``lag = True`` writes stay invisible to JQL until
  :meth:`FakeJira.catch_up` (reads by key or id always see them, as on Jira);
- bulk create of at most 50, with per-element ``failedElementNumber`` errors (201 if any
  succeeded, 400 if none); field validation (required custom fields per issue type, priority,
  assignee by accountId on Cloud / name on DC, components, labels, duedate, description as a
  string on v2 and as an ADF document on v3);
- issues by key and by id (``self`` points at the id), PUT edits, transitions by int or string
  id, resolutions, remote links upserted by ``globalId``;
- faults: 429 with the real rate-limit headers, 5xx, a write applied and then answered with a
  failure or a dropped connection; per-request latency; every request recorded.

In Cloud mode every request is validated against the OpenAPI extract (v2 paths against the
matching v3 operation, since Cloud v2 and v3 share paths and shapes; only ``description`` differs
and the schema leaves field values open). A request that does not match is answered 400 and
recorded in ``contract_violations``.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import re
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.chaos import Chaos, Decision
from tests.fakes.jira_routes import RESOLUTIONS, JiraRoutes, Project, jira_time

SPEC = Path(__file__).resolve().parent.parent / "contracts" / "jira-cloud.openapi.json"
DROP = object()  # a handler result meaning "close the connection without answering"
_OPENAPI: Any = None
_OPENAPI_LOCK = threading.Lock()


def _openapi() -> Any:
    global _OPENAPI
    with _OPENAPI_LOCK:
        if _OPENAPI is None:
            from openapi_core import OpenAPI

            _OPENAPI = OpenAPI.from_dict(json.loads(SPEC.read_text(encoding="utf-8")))
    return _OPENAPI


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Fault:
    """A canned failure for requests matching ``method`` and ``path`` (a regex)."""

    method: str
    path: str
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    times: int = 1
    apply_first: bool = False  # run the real handler (change state) before failing
    drop: bool = False  # close the connection instead of answering
    raw: bytes | None = None  # send these bytes as the body, verbatim (garbage, HTML, truncated JSON)


@dataclass(frozen=True)
class Raw:
    """A body sent as is, not JSON-encoded."""

    data: bytes


@dataclass
class Recorded:
    """One request as the fake saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int
    auth: str  # "basic", "bearer", "none" or "other"


class FakeJira(JiraRoutes):
    """The fake's state and request handling; serve it with :meth:`serve`."""

    def __init__(
        self,
        mode: str = "cloud",
        *,
        email: str = "sre-bot@example.com",
        api_token: str = "cloud-api-token-s3cret",
        pat: str = "dc-personal-access-token-s3cret",
        validate: bool = True,
    ) -> None:
        assert mode in ("cloud", "datacenter")
        self.mode = mode
        self.email, self.api_token, self.pat = email, api_token, pat
        self.validate = validate and mode == "cloud"
        self.base = ""
        self.projects: dict[str, Project] = {}
        self.issues: dict[str, dict[str, Any]] = {}  # id -> issue
        self.keys: dict[str, str] = {}  # every key an issue ever had (upper) -> id
        self.remote_links: dict[str, list[dict[str, Any]]] = {}
        self.comments: dict[str, list[Any]] = {}  # issue id -> comment bodies as sent
        self.index: dict[str, dict[str, Any]] = {}  # what JQL sees: id -> snapshot
        self.pending: set[str] = set()
        self.lag = False
        self.users = {"alice-account-id", "bob-account-id"} if mode == "cloud" else {"alice", "bob"}
        self.custom_fields = {
            "customfield_10050": "Team",
            "customfield_10008": "Epic Link",
            "customfield_10011": "Epic Name",
        }
        self.faults: list[Fault] = []
        self.requests: list[Recorded] = []
        self.contract_violations: list[str] = []
        self.latency = 0.0
        self.deny: set[str] = set()  # operations answered 403: "create", "edit", "link", ...
        self.clock: Callable[[], datetime] = _now
        self.chaos: Chaos | None = None  # random faults (tests/fakes/chaos.py)
        self._ids = itertools.count(10000)
        self._link_ids = itertools.count(1)
        self._lock = threading.RLock()
        self.add_project("OPS")

    # --- setup and backdoor ----------------------------------------------------------------------

    def add_project(self, key: str, **options: Any) -> Project:
        """Create a project (default issue types Task/Bug/Epic/Sub-task)."""
        if self.mode == "datacenter" and "required" not in options:
            # Jira Software Data Center: an Epic is created with its Epic Name ("Epic Name is required.").
            options["required"] = {"Epic": {"customfield_10011": "Epic Name"}}
        project = Project(key=key, id=str(10000 + len(self.projects)), **options)
        self.projects[key] = project
        return project

    def catch_up(self) -> None:
        """Let the search index see every write so far."""
        with self._lock:
            for issue_id in self.pending:
                if issue_id in self.issues:
                    self.index[issue_id] = copy.deepcopy(self.issues[issue_id])
                else:
                    self.index.pop(issue_id, None)
            self.pending.clear()

    def _touch(self, issue: dict[str, Any]) -> None:
        issue["_updated"] = self.clock()
        issue["fields"]["updated"] = jira_time(issue["_updated"])
        if self.lag:
            self.pending.add(issue["id"])
        else:
            self.index[issue["id"]] = copy.deepcopy(issue)

    def age_all(self, delta: timedelta) -> None:
        """Make every issue look last updated ``delta`` ago (and let search see it)."""
        with self._lock:
            for issue in self.issues.values():
                issue["_updated"] = self.clock() - delta
                issue["fields"]["updated"] = jira_time(issue["_updated"])
                self.index[issue["id"]] = copy.deepcopy(issue)
            self.pending.clear()

    def issue(self, key_or_id: str) -> dict[str, Any] | None:
        """The issue with this key (current or former, any case) or id."""
        issue_id = key_or_id if key_or_id in self.issues else self.keys.get(key_or_id.upper())
        return self.issues.get(issue_id or "")

    def set_status(self, key: str, status: str, resolution: str | None = None) -> None:
        """Move an issue to ``status`` as a person would; done statuses get a resolution."""
        with self._lock:
            issue = self.issue(key)
            assert issue is not None, key
            project = self.projects[issue["project"]]
            category = dict(project.workflow)[status]
            issue["fields"]["status"] = self._status(status, category)
            issue["fields"]["resolution"] = (
                {"name": resolution or "Done", "id": str(10000 + RESOLUTIONS.index(resolution or "Done"))}
                if category == "done"
                else None
            )
            self._touch(issue)

    def delete(self, key: str) -> None:
        """Delete an issue."""
        with self._lock:
            issue = self.issue(key)
            assert issue is not None
            del self.issues[issue["id"]]
            if self.lag:
                self.pending.add(issue["id"])
            else:
                self.index.pop(issue["id"], None)

    def move(self, key: str, project_key: str) -> str:
        """Move an issue to another project; it gets a new key, keeps its id. Returns the key."""
        with self._lock:
            issue = self.issue(key)
            assert issue is not None
            target = self.projects[project_key]
            target.counter += 1
            issue["key"] = f"{project_key}-{target.counter}"
            issue["project"], issue["project_id"] = project_key, target.id
            self.keys[issue["key"]] = issue["id"]
            self._touch(issue)
            return str(issue["key"])

    def count(self, method: str | None = None, path: str = "") -> int:
        """Requests seen whose method matches and whose path matches the regex ``path``."""
        return sum(1 for r in self.requests if (method is None or r.method == method) and re.search(path, r.path))

    def writes(self) -> list[Recorded]:
        """Every request that could change state (searches by POST excluded)."""
        return [
            r
            for r in self.requests
            if r.method in ("POST", "PUT", "DELETE") and not r.path.endswith(("/search/jql", "/bulkfetch"))
        ]

    def rate_limit(self, method: str, path: str, retry_after: str | None = "1", times: int = 1) -> None:
        """Answer the next ``times`` matching requests with 429 and the real headers."""
        reset = (self.clock() + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%MZ")
        headers = {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0"}
        if self.mode == "cloud":
            headers.update({"X-RateLimit-Reset": reset, "RateLimit-Reason": "jira-burst-based"})
        else:
            headers.update({"X-RateLimit-Interval-Seconds": "1", "X-RateLimit-FillRate": "10"})
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        body = {"errorMessages": ["Rate limit exceeded."], "errors": {}}
        self.faults.append(Fault(method, path, 429, headers, body, times))

    # --- HTTP serving ------------------------------------------------------------------------------

    @contextmanager
    def serve(self) -> Iterator[FakeJira]:
        """Serve on 127.0.0.1 (a free port) in a thread for the duration of the block."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes; without NODELAY, Nagle plus the
                # client's delayed ACK adds ~40 ms to every request.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                result = fake.handle(self.command, self.path, dict(self.headers.items()), raw)
                if result is DROP:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                status, headers, body = result
                if isinstance(body, Raw):
                    payload = body.data
                else:
                    payload = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if payload and "Content-Type" not in headers:
                    self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                try:
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up waiting (a timeout test)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.base = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()

    # --- dispatch ----------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Any:
        """Answer one request: auth, contract validation, faults, then the route."""
        if self.latency:
            time.sleep(self.latency)  # benchmarks only; tests keep latency at 0
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        fault = self.chaos.decide(method, path) if self.chaos is not None else None
        if fault is not None and fault.late:
            time.sleep(fault.delay)
        with self._lock:
            auth = self._auth_kind(headers.get("Authorization") or headers.get("authorization"))
            if fault is None or fault.apply:
                result = self._handle(method, path, query, headers, raw, body, auth)
            if fault is not None:  # chaos: not applied, or applied and the answer lost
                result = self._chaos_answer(fault)
                if fault is not None and fault.delay and not fault.late:  # chaos: a slow answer to an applied write
                    time.sleep(fault.delay)
            status = 0 if result is DROP else result[0]
            self.requests.append(Recorded(method, path, query, body, status, auth))
            return result

    @staticmethod
    def _chaos_answer(fault: Decision) -> Any:
        if fault.drop:
            return DROP
        if fault.status == 429:
            return 429, dict(fault.headers), {"errorMessages": ["Rate limit exceeded."], "errors": {}}
        return fault.status, dict(fault.headers), {"errorMessages": ["Internal server error"], "errors": {}}

    def _auth_kind(self, header: str | None) -> str:
        if not header:
            return "none"
        if header.startswith("Basic "):
            try:
                user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return "other"
            ok = self.mode == "cloud" and (user, secret) == (self.email, self.api_token)
            return "basic" if ok else "other"
        if header.startswith("Bearer "):
            ok = self.mode == "datacenter" and header[7:] == self.pat
            return "bearer" if ok else "other"
        return "other"

    def _handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        raw: bytes,
        body: Any,
        auth: str,
    ) -> Any:
        match = re.match(r"^/rest/api/(2|3|latest)/(.*)$", path)
        if not match:
            return 404, {}, {"errorMessages": [f"No resource at {path}"], "errors": {}}
        version, rest = match.group(1), match.group(2)
        if self.mode == "datacenter" and version == "3":
            return 404, {}, None  # Data Center has no REST v3
        anonymous_ok = rest == "serverInfo" and method == "GET"
        if auth == "other" or (auth == "none" and not anonymous_ok):
            return (
                401,
                {"WWW-Authenticate": 'Basic realm="protected-area"'},
                {
                    "errorMessages": ["You are not authenticated. Authentication required to perform this operation."],
                    "errors": {},
                },
            )
        if self.validate:
            problem = self._violation(method, path, query, headers, raw)
            if problem:
                self.contract_violations.append(f"{method} {path}: {problem}")
                return (
                    400,
                    {},
                    {"errorMessages": [f"fake: request does not match the contract: {problem}"], "errors": {}},
                )
        fault = next((f for f in self.faults if f.method == method and re.search(f.path, path)), None)
        if fault is not None:
            fault.times -= 1
            if fault.times <= 0:
                self.faults.remove(fault)
            if fault.apply_first:
                self._route(method, version, rest, query, body)
            if fault.drop:
                return DROP
            if fault.raw is not None:
                return fault.status, dict(fault.headers), Raw(fault.raw)
            return fault.status, dict(fault.headers), fault.body
        return self._route(method, version, rest, query, body)

    def _violation(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], raw: bytes
    ) -> str | None:
        from openapi_core.testing import MockRequest

        v3_path = re.sub(r"^/rest/api/(2|latest)/", "/rest/api/3/", path)
        args = {k: v[-1] for k, v in query.items()}
        request = MockRequest(
            "https://your-domain.atlassian.net",
            method.lower(),
            v3_path,
            args=args,
            headers=headers,
            data=raw or None,
            content_type=(headers.get("Content-Type") or "application/json").split(";")[0],
        )
        try:
            with warnings.catch_warnings():
                # openapi-core warns about the OAuth2 scheme it cannot check; Basic is checked.
                warnings.simplefilter("ignore", UserWarning)
                _openapi().validate_request(request)
        except Exception as exc:  # any validation failure is reported, whatever its class
            return f"{exc.__class__.__name__}: {exc}"
        return None

    def _route(self, method: str, version: str, rest: str, query: dict[str, list[str]], body: Any) -> Any:
        routes: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", r"serverInfo", self._server_info),
            ("GET", r"field", self._fields),
            ("GET", r"myself", self._myself),
            ("GET", r"project/([^/]+)", self._project),
            ("GET", r"issue/createmeta/([^/]+)/issuetypes", self._createmeta),
            ("POST", r"issue/bulk", self._bulk_create),
            ("POST", r"issue/bulkfetch", self._bulk_fetch),
            ("POST", r"issue", self._create_one),
            ("GET", r"issue/([^/]+)/transitions", self._transitions),
            ("POST", r"issue/([^/]+)/transitions", self._transition),
            ("GET", r"issue/([^/]+)/remotelink", self._remote_links),
            ("POST", r"issue/([^/]+)/remotelink", self._upsert_remote_link),
            ("POST", r"issue/([^/]+)/comment", self._add_comment),
            ("GET", r"issue/([^/]+)", self._get_issue),
            ("PUT", r"issue/([^/]+)", self._edit_issue),
            ("GET", r"search/jql", self._search_jql),
            ("POST", r"search/jql", self._search_jql),
            ("GET", r"search", self._search_old),
            ("POST", r"search", self._search_old),
        ]
        for route_method, pattern, handler in routes:
            match = re.fullmatch(pattern, rest)
            if match and route_method == method:
                return handler(version, query, body, *match.groups())
        return 404, {}, {"errorMessages": [f"null for uri: {self.base}/rest/api/{version}/{rest}"], "errors": {}}

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

from tests.fakes import jql

SPEC = Path(__file__).resolve().parent.parent / "contracts" / "jira-cloud.openapi.json"
GONE_410 = {
    "errorMessages": [
        "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
        "A full migration guideline is available at "
        "https://developer.atlassian.com/changelog/#CHANGE-2046"
    ],
    "errors": {},
}
CATEGORIES = {
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"},
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}
DEFAULT_WORKFLOW = (("To Do", "new"), ("In Progress", "indeterminate"), ("Done", "done"))
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
RESOLUTIONS = ("Done", "Won't Do", "Duplicate", "Cannot Reproduce")
SYSTEM_FIELDS = frozenset(
    {"project", "issuetype", "summary", "description", "labels", "duedate", "priority",
     "assignee", "components", "parent", "reporter", "environment", "resolution"}
)
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


def _jira_time(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"


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


@dataclass
class Recorded:
    """One request as the fake saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int
    auth: str  # "basic", "bearer", "none" or "other"


@dataclass
class Project:
    """A project with its issue types, components, workflow and required fields."""

    key: str
    id: str
    issue_types: dict[str, str] = field(
        default_factory=lambda: {"Task": "10001", "Bug": "10004", "Epic": "10000", "Sub-task": "10003"}
    )
    components: tuple[str, ...] = ("SRE", "Payments")
    workflow: tuple[tuple[str, str], ...] = DEFAULT_WORKFLOW
    required: dict[str, dict[str, str]] = field(default_factory=dict)  # type -> {field id: name}
    counter: int = 0


class FakeJira:
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
        self.index: dict[str, dict[str, Any]] = {}  # what JQL sees: id -> snapshot
        self.pending: set[str] = set()
        self.lag = False
        self.users = {"alice-account-id", "bob-account-id"} if mode == "cloud" else {"alice", "bob"}
        self.custom_fields = {"customfield_10050": "Team", "customfield_10008": "Epic Link"}
        self.faults: list[Fault] = []
        self.requests: list[Recorded] = []
        self.contract_violations: list[str] = []
        self.latency = 0.0
        self.deny: set[str] = set()  # operations answered 403: "create", "edit", "link", ...
        self.clock: Callable[[], datetime] = _now
        self._ids = itertools.count(10000)
        self._link_ids = itertools.count(1)
        self._lock = threading.RLock()
        self.add_project("OPS")

    # --- setup and backdoor ----------------------------------------------------------------------

    def add_project(self, key: str, **options: Any) -> Project:
        """Create a project (default issue types Task/Bug/Epic/Sub-task)."""
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
        issue["fields"]["updated"] = _jira_time(issue["_updated"])
        if self.lag:
            self.pending.add(issue["id"])
        else:
            self.index[issue["id"]] = copy.deepcopy(issue)

    def age_all(self, delta: timedelta) -> None:
        """Make every issue look last updated ``delta`` ago (and let search see it)."""
        with self._lock:
            for issue in self.issues.values():
                issue["_updated"] = self.clock() - delta
                issue["fields"]["updated"] = _jira_time(issue["_updated"])
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
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method) and re.search(path, r.path)
        )

    def writes(self) -> list[Recorded]:
        """Every request that could change state (searches by POST excluded)."""
        return [
            r for r in self.requests
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
                payload = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if payload:
                    self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

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
        with self._lock:
            auth = self._auth_kind(headers.get("Authorization") or headers.get("authorization"))
            result = self._handle(method, path, query, headers, raw, body, auth)
            status = 0 if result is DROP else result[0]
            self.requests.append(Recorded(method, path, query, body, status, auth))
            return result

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
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
        raw: bytes, body: Any, auth: str,
    ) -> Any:
        match = re.match(r"^/rest/api/(2|3|latest)/(.*)$", path)
        if not match:
            return 404, {}, {"errorMessages": [f"No resource at {path}"], "errors": {}}
        version, rest = match.group(1), match.group(2)
        if self.mode == "datacenter" and version == "3":
            return 404, {}, None  # Data Center has no REST v3
        anonymous_ok = rest == "serverInfo" and method == "GET"
        if auth == "other" or (auth == "none" and not anonymous_ok):
            return 401, {"WWW-Authenticate": 'Basic realm="protected-area"'}, {
                "errorMessages": ["You are not authenticated. Authentication required to perform this operation."],
                "errors": {},
            }
        if self.validate:
            problem = self._violation(method, path, query, headers, raw)
            if problem:
                self.contract_violations.append(f"{method} {path}: {problem}")
                return 400, {}, {"errorMessages": [f"fake: request does not match the contract: {problem}"], "errors": {}}
        fault = next((f for f in self.faults if f.method == method and re.search(f.path, path)), None)
        if fault is not None:
            fault.times -= 1
            if fault.times <= 0:
                self.faults.remove(fault)
            if fault.apply_first:
                self._route(method, version, rest, query, body)
            if fault.drop:
                return DROP
            return fault.status, dict(fault.headers), fault.body
        return self._route(method, version, rest, query, body)

    def _violation(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], raw: bytes) -> str | None:
        from openapi_core.testing import MockRequest

        v3_path = re.sub(r"^/rest/api/(2|latest)/", "/rest/api/3/", path)
        args = {k: v[-1] for k, v in query.items()}
        request = MockRequest(
            "https://your-domain.atlassian.net", method.lower(), v3_path, args=args,
            headers=headers, data=raw or None,
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

    # --- routes: meta ------------------------------------------------------------------------------

    def _server_info(self, version: str, query: Any, body: Any) -> Any:
        now = _jira_time(self.clock())
        if self.mode == "cloud":
            info = {"baseUrl": self.base, "version": "1001.0.0-SNAPSHOT", "versionNumbers": [1001, 0, 0],
                    "deploymentType": "Cloud", "buildNumber": 100287, "buildDate": "2025-11-20T00:00:00.000+0000",
                    "serverTime": now, "scmInfo": "57a0ca5b4a0bb0ac5f3fee4764acb1c14e4d7e71", "serverTitle": "Jira"}
        else:
            info = {"baseUrl": self.base, "version": "9.12.2", "versionNumbers": [9, 12, 2],
                    "deploymentType": "Server", "buildNumber": 9120002, "buildDate": "2023-12-05T00:00:00.000+0000",
                    "serverTime": now, "scmInfo": "6a3f7fd2d1b0e48b4a2a3a5a1c1c0e4d5e6f7a8b", "serverTitle": "Jira"}
        return 200, {}, info

    def _fields(self, version: str, query: Any, body: Any) -> Any:
        system = [{"id": name, "key": name, "name": name.capitalize(), "custom": False, "navigable": True,
                   "searchable": True, "clauseNames": [name]} for name in sorted(SYSTEM_FIELDS | {"status", "updated", "created"})]
        custom = [{"id": fid, "key": fid, "name": name, "custom": True, "navigable": True, "searchable": True,
                   "clauseNames": [fid, f"cf[{fid.split('_')[1]}]", name]} for fid, name in self.custom_fields.items()]
        return 200, {}, system + custom

    def _myself(self, version: str, query: Any, body: Any) -> Any:
        user = {"accountId": "bot-account-id"} if self.mode == "cloud" else {"name": "sre-bot", "key": "sre-bot"}
        return 200, {}, {**user, "displayName": "SRE bot", "active": True}

    def _project(self, version: str, query: Any, body: Any, key: str) -> Any:
        project = self._find_project(key)
        if project is None:
            return 404, {}, {"errorMessages": [f"No project could be found with key '{key}'."], "errors": {}}
        return 200, {}, {"id": project.id, "key": project.key, "name": project.key,
                         "self": f"{self.base}/rest/api/{version}/project/{project.id}"}

    def _createmeta(self, version: str, query: Any, body: Any, key: str) -> Any:
        project = self._find_project(key)
        if project is None:
            return 404, {}, {"errorMessages": [f"No project could be found with key '{key}'."], "errors": {}}
        types = [{"id": tid, "name": name, "subtask": name == "Sub-task", "description": "",
                  "iconUrl": f"{self.base}/images/icons/issuetypes/{name.lower()}.png",
                  "self": f"{self.base}/rest/api/{version}/issuetype/{tid}"} for name, tid in project.issue_types.items()]
        page = {"maxResults": 200, "startAt": 0, "total": len(types)}
        # Cloud names the list "issueTypes"; Data Center's paged answer calls it "values".
        return 200, {}, {**page, ("issueTypes" if self.mode == "cloud" else "values"): types, "isLast": True}

    def _find_project(self, key_or_id: str) -> Project | None:
        for project in self.projects.values():
            if key_or_id.upper() == project.key or key_or_id == project.id:
                return project
        return None

    # --- routes: create ------------------------------------------------------------------------------

    def _status(self, name: str, category: str) -> dict[str, Any]:
        return {"name": name, "id": str(abs(hash(name)) % 10000 + 1), "self": f"{self.base}/rest/api/2/status/{name}",
                "statusCategory": dict(CATEGORIES[category])}

    def _check_fields(self, fields: Any, version: str, *, creating: bool, project: Project | None = None,
                      issue_type: str | None = None) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not isinstance(fields, dict):
            return {"fields": "fields must be an object"}
        if creating:
            project = None
            ref = fields.get("project") or {}
            if not ref:
                errors["project"] = "Specify a valid project ID or key"
            else:
                project = self._find_project(str(ref.get("key") or ref.get("id") or ""))
                if project is None:
                    errors["project"] = "valid project is required"
            itype = fields.get("issuetype") or {}
            if project is not None:
                by_id = {tid: name for name, tid in project.issue_types.items()}
                issue_type = by_id.get(str(itype.get("id"))) or (itype.get("name") if itype.get("name") in project.issue_types else None)
                if issue_type is None:
                    errors["issuetype"] = "The issue type selected is invalid."
            if not fields.get("summary"):
                errors["summary"] = "You must specify a summary of the issue."
        for name, value in fields.items():
            if name not in SYSTEM_FIELDS and name not in self.custom_fields:
                errors[name] = f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
        if isinstance(fields.get("summary"), str) and len(fields["summary"]) > 255:
            errors["summary"] = "Summary must be less than 255 characters."
        if "description" in fields and fields["description"] is not None:
            desc = fields["description"]
            if version == "3" and not (isinstance(desc, dict) and desc.get("type") == "doc" and desc.get("version") == 1 and _adf_ok(desc)):
                errors["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
            if version != "3" and not isinstance(desc, str):
                errors["description"] = "Operation value must be a string"
        for label in fields.get("labels") or []:
            if not isinstance(label, str) or not label or " " in label or len(label) > 255:
                errors["labels"] = f"The label '{label}' contains spaces which is invalid."
        if fields.get("duedate") is not None:
            try:
                datetime.strptime(str(fields["duedate"]), "%Y-%m-%d")
            except ValueError:
                errors["duedate"] = f"Error parsing date string: {fields['duedate']}"
        if fields.get("priority") is not None:
            name = (fields["priority"] or {}).get("name")
            if name not in PRIORITIES:
                errors["priority"] = f"Priority name '{name}' is not valid"
        if fields.get("assignee") is not None:
            assignee = fields["assignee"]
            wanted = "accountId" if self.mode == "cloud" else "name"
            if wanted not in assignee:
                errors["assignee"] = f"Specify the user by {wanted}"
            elif assignee[wanted] not in self.users:
                errors["assignee"] = f"User '{assignee[wanted]}' cannot be assigned issues."
        if project is not None:
            for component in fields.get("components") or []:
                if component.get("name") not in project.components:
                    errors["components"] = f"Component name '{component.get('name')}' is not valid"
        if fields.get("parent") is not None:
            ref = fields["parent"]
            if self.issue(str(ref.get("key") or ref.get("id") or "")) is None:
                errors["parent"] = "Could not find issue by id or key."
        if fields.get("customfield_10008") is not None and self.issue(str(fields["customfield_10008"])) is None:
            errors["customfield_10008"] = f"Could not find epic {fields['customfield_10008']}."
        if creating and project is not None and issue_type is not None:
            for fid, fname in project.required.get(issue_type, {}).items():
                if fields.get(fid) in (None, "", [], {}):
                    errors[fid] = f"{fname} is required."
        return errors

    def _new_issue(self, version: str, fields: dict[str, Any]) -> dict[str, Any]:
        project = self._find_project(str(fields["project"].get("key") or fields["project"].get("id")))
        assert project is not None
        by_id = {tid: name for name, tid in project.issue_types.items()}
        type_name = by_id.get(str(fields["issuetype"].get("id"))) or fields["issuetype"]["name"]
        project.counter += 1
        issue_id = str(next(self._ids))
        key = f"{project.key}-{project.counter}"
        now = self.clock()
        stored = {name: value for name, value in fields.items() if name not in ("project", "issuetype")}
        stored.setdefault("labels", [])
        issue = {
            "id": issue_id, "key": key, "project": project.key, "project_id": project.id, "_created": now,
            "fields": {
                **stored,
                "issuetype": {"id": project.issue_types[type_name], "name": type_name, "subtask": type_name == "Sub-task"},
                "project": {"id": project.id, "key": project.key},
                "status": self._status(project.workflow[0][0], project.workflow[0][1]),
                "resolution": None, "created": _jira_time(now),
            },
        }
        self._store_parent(issue)
        self.issues[issue_id] = issue
        self.keys[key] = issue_id
        self._touch(issue)
        return {"id": issue_id, "key": key, "self": f"{self.base}/rest/api/{version}/issue/{issue_id}"}

    def _store_parent(self, issue: dict[str, Any]) -> None:
        parent = issue["fields"].get("parent")
        if parent:
            found = self.issue(str(parent.get("key") or parent.get("id")))
            issue["fields"]["parent"] = {"id": found["id"], "key": found["key"]} if found else None

    def _bulk_create(self, version: str, query: Any, body: Any) -> Any:
        updates = (body or {}).get("issueUpdates")
        if not isinstance(updates, list) or not updates:
            return 400, {}, {"errorMessages": ["Issue list is empty."], "errors": {}}
        if len(updates) > 50:
            return 400, {}, {"errorMessages": [f"Cannot create more than 50 issues in one request (got {len(updates)})."], "errors": {}}
        if "create" in self.deny:
            return 403, {}, {"errorMessages": ["You do not have permission to create issues in this project."], "errors": {}}
        created, errors = [], []
        for index, update in enumerate(updates):
            problems = self._check_fields((update or {}).get("fields"), version, creating=True)
            if problems:
                errors.append({"status": 400, "failedElementNumber": index,
                               "elementErrors": {"errorMessages": [], "errors": problems}})
            else:
                created.append(self._new_issue(version, update["fields"]))
        return (201 if created else 400), {}, {"issues": created, "errors": errors}

    def _create_one(self, version: str, query: Any, body: Any) -> Any:
        if "create" in self.deny:
            return 403, {}, {"errorMessages": ["You do not have permission to create issues in this project."], "errors": {}}
        problems = self._check_fields((body or {}).get("fields"), version, creating=True)
        if problems:
            return 400, {}, {"errorMessages": [], "errors": problems}
        return 201, {}, self._new_issue(version, body["fields"])

    # --- routes: read and edit -----------------------------------------------------------------------

    def _render(self, issue: dict[str, Any], version: str, wanted: list[str] | None) -> dict[str, Any]:
        fields = issue["fields"]
        if wanted is not None and not ({"*all", "*navigable"} & set(wanted)):
            fields = {k: v for k, v in fields.items() if k in wanted}
        return {"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
                "id": issue["id"], "key": issue["key"], "self": f"{self.base}/rest/api/{version}/issue/{issue['id']}",
                "fields": copy.deepcopy(fields)}

    @staticmethod
    def _wanted(values: list[str] | None, default: list[str] | None) -> list[str] | None:
        if not values:
            return default
        return [f.strip() for value in values for f in value.split(",") if f.strip()]

    def _not_found(self) -> Any:
        return 404, {}, {"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}

    def _get_issue(self, version: str, query: dict[str, list[str]], body: Any, key: str) -> Any:
        issue = self.issue(key)
        if issue is None:
            return self._not_found()
        out = self._render(issue, version, self._wanted(query.get("fields"), None))
        if "transitions" in ",".join(query.get("expand") or []):
            out["transitions"] = self._transition_list(issue)
        return 200, {}, out

    def _bulk_fetch(self, version: str, query: Any, body: Any) -> Any:
        if self.mode != "cloud":
            return 404, {}, None
        keys = (body or {}).get("issueIdsOrKeys") or []
        if not keys or len(keys) > 100:
            return 400, {}, {"errorMessages": ["Between 1 and 100 issue ids or keys are allowed."], "errors": {}}
        issues, errors = [], []
        for key in keys:
            issue = self.issue(str(key))
            if issue is None:
                errors.append({"id": str(key), "errorMessage": "Issue does not exist or you do not have permission to see it."})
            else:
                issues.append(self._render(issue, version, (body or {}).get("fields")))
        return 200, {}, {"expand": "", "issues": issues, "issueErrors": errors}

    def _edit_issue(self, version: str, query: Any, body: Any, key: str) -> Any:
        issue = self.issue(key)
        if issue is None:
            return self._not_found()
        if "edit" in self.deny:
            return 403, {}, {"errorMessages": ["You do not have permission to edit issues in this project."], "errors": {}}
        fields = (body or {}).get("fields") or {}
        project = self.projects[issue["project"]]
        errors = self._check_fields(fields, version, creating=False, project=project)
        for name in ("project", "issuetype"):
            if name in fields:
                errors[name] = f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
        if errors:
            return 400, {}, {"errorMessages": [], "errors": errors}
        issue["fields"].update(fields)
        self._store_parent(issue)
        self._touch(issue)
        return 204, {}, None

    # --- routes: workflow and links --------------------------------------------------------------------

    def _transition_list(self, issue: dict[str, Any]) -> list[dict[str, Any]]:
        project = self.projects[issue["project"]]
        current = issue["fields"]["status"]["name"]
        out = []
        for index, (name, category) in enumerate(project.workflow):
            if name == current:
                continue
            out.append({"id": str(11 + 10 * index), "name": name, "to": self._status(name, category),
                        "hasScreen": False, "isGlobal": True, "isInitial": False, "isAvailable": True,
                        "isConditional": False, "isLooped": False})
        return out

    def _transitions(self, version: str, query: Any, body: Any, key: str) -> Any:
        issue = self.issue(key)
        if issue is None:
            return self._not_found()
        return 200, {}, {"expand": "transitions", "transitions": self._transition_list(issue)}

    def _transition(self, version: str, query: Any, body: Any, key: str) -> Any:
        issue = self.issue(key)
        if issue is None:
            return self._not_found()
        wanted = str(((body or {}).get("transition") or {}).get("id", ""))  # int or string, like Jira
        chosen = next((t for t in self._transition_list(issue) if t["id"] == wanted), None)
        if chosen is None:
            return 400, {}, {"errorMessages": [f"Transition id '{wanted}' is not valid for this issue."], "errors": {}}
        resolution = (((body or {}).get("fields") or {}).get("resolution") or {}).get("name")
        if resolution is not None and resolution not in RESOLUTIONS:
            return 400, {}, {"errorMessages": [], "errors": {"resolution": f"Resolution '{resolution}' is not valid"}}
        self.set_status(issue["key"], chosen["name"], resolution)
        return 204, {}, None

    def _remote_links(self, version: str, query: Any, body: Any, key: str) -> Any:
        issue = self.issue(key)
        if issue is None:
            return self._not_found()
        return 200, {}, copy.deepcopy(self.remote_links.get(issue["id"], []))

    def _upsert_remote_link(self, version: str, query: Any, body: Any, key: str) -> Any:
        issue = self.issue(key)
        if issue is None:
            return self._not_found()
        if "link" in self.deny:
            return 403, {}, {"errorMessages": ["You do not have permission to link issues."], "errors": {}}
        obj = (body or {}).get("object") or {}
        for required in ("url", "title"):
            if not obj.get(required):
                return 400, {}, {"errorMessages": [], "errors": {required: f"'{required}' is required."}}
        links = self.remote_links.setdefault(issue["id"], [])
        global_id = (body or {}).get("globalId")
        existing = next((link for link in links if global_id and link.get("globalId") == global_id), None)
        # An upsert replaces the whole link: fields not sent become null (Jira's documented rule).
        record = {"globalId": global_id, "application": body.get("application"),
                  "relationship": body.get("relationship"), "object": obj}
        if existing is not None:
            existing.update(record)
            return 200, {}, {"id": existing["id"], "self": existing["self"]}
        link_id = next(self._link_ids)
        record.update(id=link_id, self=f"{self.base}/rest/api/{version}/issue/{issue['key']}/remotelink/{link_id}")
        links.append(record)
        return 201, {}, {"id": link_id, "self": record["self"]}

    # --- routes: search ---------------------------------------------------------------------------------

    def _run_jql(self, text: str, *, bounded: bool) -> list[dict[str, Any]]:
        query = jql.parse(text)
        if bounded and not query.clauses:
            raise jql.JQLError("Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
        predicate = jql.matcher(
            query, now=self.clock(),
            project_exists=lambda p: self._find_project(p) is not None,
            key_exists=lambda k: self.issue(k) is not None,
        )
        hits = [issue for issue in self.index.values() if predicate(issue)]
        return sorted(hits, key=jql.sort_key(query.order))

    @staticmethod
    def _params(query: dict[str, list[str]], body: Any) -> dict[str, Any]:
        if isinstance(body, dict):
            out = dict(body)
            if isinstance(out.get("fields"), list):
                out["fields"] = [",".join(out["fields"])]
            elif out.get("fields") is not None:
                out["fields"] = [str(out["fields"])]
            return out
        return {k: (v if k == "fields" else v[-1]) for k, v in query.items()}

    def _search_jql(self, version: str, query: dict[str, list[str]], body: Any) -> Any:
        if self.mode != "cloud":
            return 404, {}, None  # Data Center never had the enhanced search
        params = self._params(query, body)
        try:
            hits = self._run_jql(str(params.get("jql") or ""), bounded=True)
        except jql.JQLError as exc:
            return 400, {}, {"errorMessages": [str(exc)], "errors": {}}
        wanted = self._wanted(params.get("fields"), ["id"])  # Cloud's default is id only
        only_ids = set(wanted or []) <= {"id", "key"}
        limit = min(int(params.get("maxResults") or 50), 5000 if only_ids else 100)
        offset = 0
        token = params.get("nextPageToken")
        if token:
            try:
                offset_text, _, digest = base64.urlsafe_b64decode(str(token).encode()).decode().partition(":")
                offset = int(offset_text)
                assert digest == str(abs(hash(params.get("jql"))))
            except (ValueError, AssertionError):
                return 400, {}, {"errorMessages": ["The provided next page token is invalid or expired."], "errors": {}}
        page = hits[offset : offset + limit]
        out: dict[str, Any] = {"issues": [self._render(i, version, wanted) for i in page]}
        if offset + limit < len(hits):
            raw = f"{offset + limit}:{abs(hash(params.get('jql')))}"
            out["nextPageToken"] = base64.urlsafe_b64encode(raw.encode()).decode()
            out["isLast"] = False
        else:
            out["isLast"] = True
        return 200, {}, out

    def _search_old(self, version: str, query: dict[str, list[str]], body: Any) -> Any:
        if self.mode == "cloud":
            return 410, {}, GONE_410
        params = self._params(query, body)
        try:
            hits = self._run_jql(str(params.get("jql") or ""), bounded=False)
        except jql.JQLError as exc:
            return 400, {}, {"errorMessages": [str(exc)], "errors": {}}
        start = int(params.get("startAt") or 0)
        limit = min(int(params.get("maxResults") or 50), 1000)
        wanted = self._wanted(params.get("fields"), ["*navigable"])
        page = hits[start : start + limit]
        return 200, {}, {"expand": "names,schema", "startAt": start, "maxResults": limit, "total": len(hits),
                         "issues": [self._render(i, version, wanted) for i in page]}


def _adf_ok(node: Any) -> bool:
    """A light ADF check: text nodes carry non-empty text, containers carry lists of nodes."""
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        return False
    if node["type"] == "text":
        return isinstance(node.get("text"), str) and node["text"] != ""
    content = node.get("content", [])
    return isinstance(content, list) and all(_adf_ok(child) for child in content)

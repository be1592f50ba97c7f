"""A stateful fake of GitLab's REST API v4 (the issues subset), served over real HTTP in a thread.

python-gitlab reaches it through ``GITLAB_URL`` exactly as it reaches gitlab.com or a
self-managed instance (the API under ``/api/v4``). What it reproduces, from GitLab's REST
documentation (doc/api/issues.md, issue_links.md, projects.md, project_webhooks.md, users.md,
rest/_index.md for pagination, status codes and rate limits):

- ``PRIVATE-TOKEN`` or ``Authorization: Bearer``; none or a wrong one: 401 ``{"message": "401
  Unauthorized"}``; a ``read_api`` token writing: 403 ``insufficient_scope``;
- ``GET /user`` answers the token's user and ``GET /personal_access_tokens/self`` the token with
  its ``scopes`` (personal_access_tokens.md);
- a project by numeric id or URL-encoded full path; a project the token cannot see is 404
  ``404 Project Not Found`` (never 403, which would confirm that it exists); a raw ``/`` in the
  id does not route (404);
- every request is checked against ``ROUTES`` (documented parameters of each operation); an
  undocumented parameter or body key is recorded in ``violations`` and answered 400;
- offset pagination: ``page``/``per_page`` (at most 100, silently capped), ``X-Page``,
  ``X-Per-Page``, ``X-Next-Page``, ``X-Prev-Page``, ``X-Total``, ``X-Total-Pages`` and ``Link``
  (the totals are left out above 10,000 results, as GitLab does);
- issue lists filter by ``labels`` (all must match), ``state``, ``updated_after`` (on or after),
  ``order_by``/``sort``; issues carry ``iid`` (per project) and ``id`` (global);
- creating or editing with unknown label names creates the labels; ``state_event`` is
  ``close`` or ``reopen`` (anything else 400); titles over 255 and descriptions over
  1,048,576 characters are 400 with GitLab's message shape; a PUT with no parameter is 400;
- issue links (``relates_to``, ``blocks``, ``is_blocked_by``): 409 when the link exists;
- moved issues are closed with ``moved_to_id``; deleted ones answer 404 ``404 Not found``;
- project webhooks (list, add, edit): Maintainer role or 403; ``url`` required (400); the secret
  ``token`` is never shown; ``push_events`` is on unless sent false (gitlab-org/gitlab#538161);
  an edit changes only what it sends (the token stays when not sent);
- ``RateLimit-Limit``/``-Remaining``/``-Reset``/``-Observed`` on every answer; a 429 on demand
  with ``Retry-After``; 5xx on demand, optionally after applying the write; connection resets.
"""

from __future__ import annotations

import json
import math
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from tests.fakes.chaos import Chaos

TITLE_MAX = 255
DESCRIPTION_MAX = 1_048_576
_LIST = {
    "labels",
    "state",
    "updated_after",
    "updated_before",
    "order_by",
    "sort",
    "per_page",
    "page",
    "scope",
    "iids[]",
    "search",
    "created_after",
    "cursor",
}
_HOOK = {
    "url",
    "token",
    "issues_events",
    "push_events",
    "enable_ssl_verification",
    "confidential_issues_events",
    "name",
    "description",
}
ROUTES: dict[tuple[str, str], set[str]] = {
    ("GET", "/user"): set(),
    ("GET", "/personal_access_tokens/self"): set(),
    ("GET", "/users"): {"username", "per_page", "page"},
    ("GET", "/projects/:id"): set(),
    ("GET", "/projects/:id/issues"): _LIST,
    ("POST", "/projects/:id/issues"): {
        "title",
        "description",
        "labels",
        "assignee_ids",
        "due_date",
        "confidential",
        "milestone_id",
        "issue_type",
        "weight",
    },
    ("GET", "/projects/:id/issues/:iid"): set(),
    ("PUT", "/projects/:id/issues/:iid"): {
        "title",
        "description",
        "labels",
        "add_labels",
        "remove_labels",
        "assignee_ids",
        "due_date",
        "state_event",
        "confidential",
        "milestone_id",
    },
    ("POST", "/projects/:id/issues/:iid/notes"): {"body", "internal", "confidential", "created_at"},
    ("GET", "/projects/:id/issues/:iid/links"): set(),
    ("POST", "/projects/:id/issues/:iid/links"): {"target_project_id", "target_issue_iid", "link_type"},
    ("GET", "/projects/:id/hooks"): {"per_page", "page"},
    ("POST", "/projects/:id/hooks"): _HOOK,
    ("PUT", "/projects/:id/hooks/:iid"): _HOOK,  # :hook_id
}


def stamp(seconds: float) -> str:
    """GitLab's timestamp format: ISO 8601 with milliseconds, UTC."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Reply(Exception):
    """Raised inside a route to answer at once."""

    def __init__(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.data, self.headers = status, data, headers or {}


@dataclass
class Issue:
    """One issue of one project."""

    id: int
    iid: int
    project_id: int
    title: str
    description: str
    created_at: float
    updated_at: float
    labels: list[str] = field(default_factory=list)
    assignee_ids: list[int] = field(default_factory=list)
    state: str = "opened"
    closed_at: float | None = None
    due_date: str | None = None
    moved_to_id: int | None = None
    links: dict[int, str] = field(default_factory=dict)  # linked iid -> link type
    notes: list[str] = field(default_factory=list)  # note (comment) bodies, oldest first


@dataclass
class Project:
    """A project with its issues, labels and hooks."""

    id: int
    path: str
    visible: bool = True
    issues: dict[int, Issue] = field(default_factory=dict)
    labels: set[str] = field(default_factory=set)
    hooks: list[dict[str, Any]] = field(default_factory=list)  # with "token", which no answer shows
    next_iid: int = 1
    maintainer: bool = True  # the token's user may manage the project's webhooks (Maintainer role)


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str  # below /api/v4, e.g. /projects/acme%2Fapi/issues
    query: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class Failure:
    """An injected failure for the next ``count`` matching requests."""

    count: int
    status: int  # 0: reset the connection without an answer
    methods: tuple[str, ...]
    path_contains: str
    apply: bool  # apply the write first (the ambiguous case)
    retry_after: str | None = None


class FakeGitLab:
    """The fake's state, switches and inspection helpers; ``with FakeGitLab() as fake`` serves it."""

    def __init__(self, *, token: str = "glpat-fake00000000000000000", tick: float = 1.0, scopes: str = "api") -> None:
        self.token = token
        self.scopes = scopes
        self.tick = tick
        self.latency = 0.0  # real seconds each answer is delayed (timeout tests)
        self.clock = float(int(time.time()))
        self.lock = threading.RLock()
        self.projects: dict[int, Project] = {}
        self.users: dict[str, int] = {"remediate-bot": 1}
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.failures: list[Failure] = []
        self.malformed: list[tuple[str, str, int, bytes]] = []  # method, path regex, status, body
        self.rate_limit = 2000
        self.remaining = 2000
        self._ids = 100
        self._server: ThreadingHTTPServer | None = None
        self.url = "http://unstarted"
        self.chaos: Chaos | None = None  # random faults (tests/fakes/chaos.py)

    # --- setup and people's actions ------------------------------------------------------------

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def add_project(self, path: str, *, visible: bool = True) -> Project:
        """Create a project (``visible=False``: the token is no member of a private project)."""
        with self.lock:
            project = Project(self._next_id(), path, visible)
            self.projects[project.id] = project
            return project

    def add_user(self, username: str) -> int:
        """Create a user; returns its id."""
        with self.lock:
            self.users[username] = self._next_id()
            return self.users[username]

    def project(self, path: str) -> Project:
        """A project by full path."""
        return next(p for p in self.projects.values() if p.path.casefold() == path.casefold())

    def issues(self, path: str) -> list[Issue]:
        """Every issue of a project."""
        return list(self.project(path).issues.values())

    def issue(self, path: str, iid: int) -> Issue:
        """One issue by iid."""
        return self.project(path).issues[iid]

    def set_state(self, path: str, iid: int, state: str, *labels: str) -> None:
        """Someone closes or reopens an issue in the web UI, optionally adding labels."""
        with self.lock:
            issue = self.issue(path, iid)
            issue.state = state
            issue.closed_at = self.clock if state == "closed" else None
            issue.labels = sorted({*issue.labels, *labels})
            self.project(path).labels.update(labels)
            issue.updated_at = self.clock

    def set_labels(self, path: str, iid: int, *labels: str) -> None:
        """Someone replaces an issue's labels."""
        with self.lock:
            issue = self.issue(path, iid)
            issue.labels = sorted(labels)
            issue.updated_at = self.clock

    def edit_description(self, path: str, iid: int, description: str) -> None:
        """Someone rewrites an issue's description."""
        with self.lock:
            issue = self.issue(path, iid)
            issue.description = description
            issue.updated_at = self.clock

    def delete(self, path: str, iid: int) -> None:
        """An owner deletes an issue."""
        with self.lock:
            del self.project(path).issues[iid]

    def move(self, path: str, iid: int, to: str) -> Issue:
        """Someone moves an issue to another project: the original is closed with ``moved_to_id``."""
        with self.lock:
            source, target = self.project(path).issues[iid], self.project(to)
            moved = self._new_issue(target, source.title, source.description, list(source.labels))
            source.state, source.closed_at, source.moved_to_id = "closed", self.clock, moved.id
            source.updated_at = self.clock
            return moved

    def fail(
        self,
        status: int,
        *,
        count: int = 1,
        methods: tuple[str, ...] = ("GET", "POST", "PUT"),
        path_contains: str = "",
        apply: bool = False,
        retry_after: str | None = None,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` (0: reset the connection)."""
        with self.lock:
            self.failures.append(Failure(count, status, methods, path_contains, apply, retry_after))

    def malform(self, method: str, path: str, payload: bytes, *, status: int = 200) -> None:
        """Answer the next request whose path (without /api/v4) matches ``path`` with ``payload`` verbatim."""
        with self.lock:
            self.malformed.append((method, path, status, payload))

    def writes(self) -> list[Recorded]:
        """The write requests received so far."""
        return [r for r in self.requests if r.method in ("POST", "PUT", "DELETE")]

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Serve on 127.0.0.1 on a free port, in a daemon thread."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                answer = fake.handle(self.command, self.path, dict(self.headers), raw)
                if answer is None:  # an injected connection reset
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, headers, payload = answer
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                try:
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up waiting (a timeout test)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def now(self) -> float:
        """The fake's clock; hand it to the connector as its clock."""
        return self.clock

    def advance(self, seconds: float) -> None:
        """Let time pass; hand it to the connector as its sleep."""
        with self.lock:
            self.clock += max(0.0, seconds)

    # --- serving -------------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes] | None:
        """Answer one HTTP request: (status, headers, body), or None to reset the connection."""
        if self.latency:
            time.sleep(self.latency)
        fault = self.chaos.decide(method, target) if self.chaos is not None else None
        if fault is not None and fault.late:
            time.sleep(fault.delay)
        lower = {k.lower(): v for k, v in headers.items()}
        with self.lock:
            self.clock += self.tick
            parts = urlsplit(target)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = None
            path = parts.path.removeprefix("/api/v4")
            record = Recorded(method, path, query, body)
            self.requests.append(record)
            for bad in self.malformed:
                if bad[0] == method and re.fullmatch(bad[1], path):
                    self.malformed.remove(bad)
                    record.status = bad[2]
                    return bad[2], {"Content-Type": "application/json"}, bad[3]
            failure = self._failure(method, path)
            if failure is None and fault is not None:  # chaos speaks through the same switch
                failure = Failure(1, fault.status, (), "", fault.apply, fault.headers.get("Retry-After"))
            try:
                if failure is not None and not failure.apply:
                    raise self._injected(failure)
                status, data, extra = self._dispatch(method, parts.path, path, query, body, lower)
                if failure is not None:  # applied, then the answer is lost
                    raise self._injected(failure)
            except Reply as reply:
                status, data, extra = reply.status, reply.data, reply.headers
            if status == -1:
                record.status = 0
                if fault is not None and fault.delay and not fault.late:  # chaos: a slow answer to an applied write
                    time.sleep(fault.delay)
                return None
            if status != 401:
                self.remaining = max(0, self.remaining - 1)
            record.status = status
            out = {
                "Content-Type": "application/json",
                "RateLimit-Limit": str(self.rate_limit),
                "RateLimit-Observed": str(self.rate_limit - self.remaining),
                "RateLimit-Remaining": str(self.remaining),
                "RateLimit-Reset": str(int(self.clock) + 60),
                **extra,
            }
            return status, out, b"" if data is None else json.dumps(data).encode()

    def _failure(self, method: str, path: str) -> Failure | None:
        for failure in self.failures:
            if failure.count > 0 and method in failure.methods and failure.path_contains in path:
                failure.count -= 1
                return failure
        return None

    def _injected(self, failure: Failure) -> Reply:
        if failure.status == 0:
            return Reply(-1, None)
        if failure.status == 429:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after is not None else {}
            return Reply(429, {"message": "Retry later"}, headers)
        return Reply(failure.status, {"message": f"{failure.status} Internal Server Error"})

    def _dispatch(
        self, method: str, full: str, path: str, query: dict[str, str], body: Any, headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        if not full.startswith("/api/v4/"):
            raise Reply(404, {"error": "404 Not Found"})
        token = headers.get("private-token") or headers.get("authorization", "").removeprefix("Bearer ").strip()
        if token != self.token:
            raise Reply(401, {"message": "401 Unauthorized"})
        if body is None:
            raise Reply(400, {"error": "The provided content-type 'application/json' is not supported."})
        segments = path.strip("/").split("/")
        if segments[0] == "projects" and len(segments) >= 2:
            project = self._project_of(segments[1])
            template = "/projects/:id" + "".join(f"/{s}" if not s.isdigit() else "/:iid" for s in segments[2:])
        else:
            project = None
            template = "/" + "/".join(segments)
        allowed = ROUTES.get((method, template))
        if allowed is None:
            raise Reply(404, {"error": "404 Not Found"})
        unknown = sorted(set(query) - allowed - {"private_token"}) + sorted(set(body) - allowed)
        if unknown:
            self.violations.append(f"{method} {template}: undocumented {unknown}")
            raise Reply(400, {"error": f"{', '.join(unknown)} does not have a valid value"})
        if method != "GET" and "api" not in self.scopes.split():
            raise Reply(
                403,
                {
                    "error": "insufficient_scope",
                    "error_description": "The request requires higher privileges than provided by the access token.",
                    "scope": "api",
                },
            )
        if template == "/user":
            return 200, {"id": 1, "username": "remediate-bot", "state": "active"}, {}
        if template == "/personal_access_tokens/self":
            return 200, self._token_info(), {}
        if template == "/users":
            uid = self.users.get(query.get("username", ""))
            return 200, [] if uid is None else [{"id": uid, "username": query["username"], "state": "active"}], {}
        assert project is not None
        if template == "/projects/:id":
            return (
                200,
                {
                    "id": project.id,
                    "path_with_namespace": project.path,
                    "web_url": f"{self.url}/{project.path}",
                    "issues_enabled": True,
                },
                {},
            )
        if template == "/projects/:id/issues":
            return self._list(project, query) if method == "GET" else (201, self._create(project, body), {})
        if template in ("/projects/:id/hooks", "/projects/:id/hooks/:iid"):
            return self._hooks(project, method, body, query, segments[3:])
        issue = project.issues.get(int(segments[3]))
        if issue is None:
            raise Reply(404, {"message": "404 Not found"})
        if template == "/projects/:id/issues/:iid":
            return (200, self._shape(issue), {}) if method == "GET" else (200, self._edit(project, issue, body), {})
        if template == "/projects/:id/issues/:iid/notes":
            note = body.get("body")
            if not isinstance(note, str) or not note.strip():
                raise Reply(400, {"message": {"note": ["can't be blank"]}})
            issue.notes.append(note)
            issue.updated_at = self.clock
            note_id = self._next_id()
            return (
                201,
                {
                    "id": note_id,
                    "body": note,
                    "noteable_type": "Issue",
                    "noteable_iid": issue.iid,
                    "system": False,
                    "created_at": stamp(self.clock),
                    "author": {"id": 1, "username": "remediate-bot"},
                },
                {},
            )
        if method == "GET":
            return (
                200,
                [
                    self._shape(project.issues[i]) | {"link_type": t}
                    for i, t in issue.links.items()
                    if i in project.issues
                ],
                {},
            )
        return self._add_link(project, issue, body)

    def _token_info(self) -> dict[str, Any]:
        """The token itself, as ``GET /personal_access_tokens/self`` shows it (personal_access_tokens.md)."""
        return {
            "id": 42,
            "name": "remediate",
            "revoked": False,
            "created_at": stamp(self.clock - 86400),
            "description": None,
            "scopes": self.scopes.split(),
            "user_id": 1,
            "last_used_at": stamp(self.clock),
            "active": True,
            "expires_at": None,
        }

    def _project_of(self, ref: str) -> Project:
        raw = unquote(ref)
        found = (
            self.projects.get(int(raw))
            if raw.isdigit()
            else next((p for p in self.projects.values() if p.path.casefold() == raw.casefold()), None)
        )
        if found is None or not found.visible:
            raise Reply(404, {"message": "404 Project Not Found"})
        return found

    # --- issues --------------------------------------------------------------------------------

    def _shape(self, issue: Issue) -> dict[str, Any]:
        project = self.projects[issue.project_id]
        return {
            "id": issue.id,
            "iid": issue.iid,
            "project_id": issue.project_id,
            "title": issue.title,
            "description": issue.description,
            "state": issue.state,
            "labels": sorted(issue.labels),
            "assignees": [{"id": a} for a in issue.assignee_ids],
            "due_date": issue.due_date,
            "created_at": stamp(issue.created_at),
            "updated_at": stamp(issue.updated_at),
            "closed_at": stamp(issue.closed_at) if issue.closed_at else None,
            "moved_to_id": issue.moved_to_id,
            "web_url": f"{self.url}/{project.path}/-/issues/{issue.iid}",
            "references": {"short": f"#{issue.iid}", "full": f"{project.path}#{issue.iid}"},
        }

    def _new_issue(self, project: Project, title: str, description: str, labels: list[str]) -> Issue:
        issue = Issue(self._next_id(), project.next_iid, project.id, title, description, self.clock, self.clock)
        issue.labels = sorted(set(labels))
        project.labels.update(labels)
        project.next_iid += 1
        project.issues[issue.iid] = issue
        return issue

    def _check_fields(self, body: dict[str, Any]) -> None:
        title = body.get("title")
        if title is not None and (not isinstance(title, str) or not title.strip()):
            raise Reply(400, {"message": {"title": ["can't be blank"]}})
        if isinstance(title, str) and len(title) > TITLE_MAX:
            raise Reply(400, {"message": {"title": [f"is too long (maximum is {TITLE_MAX} characters)"]}})
        if len(str(body.get("description") or "")) > DESCRIPTION_MAX:
            raise Reply(400, {"message": {"description": [f"is too long (maximum is {DESCRIPTION_MAX} characters)"]}})
        due = body.get("due_date")
        if due:
            try:
                datetime.strptime(str(due), "%Y-%m-%d")
            except ValueError:
                raise Reply(400, {"error": "due_date is invalid"}) from None
        ids = body.get("assignee_ids")
        if ids is not None and not (isinstance(ids, list) and all(isinstance(i, int) for i in ids)):
            raise Reply(400, {"error": "assignee_ids is invalid"})

    @staticmethod
    def _labels(value: Any) -> list[str]:
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        return [v.strip() for v in str(value or "").split(",") if v.strip()]

    def _create(self, project: Project, body: dict[str, Any]) -> dict[str, Any]:
        if "title" not in body:
            raise Reply(400, {"error": "title is missing"})
        self._check_fields(body)
        issue = self._new_issue(project, body["title"], body.get("description") or "", self._labels(body.get("labels")))
        issue.assignee_ids = [i for i in body.get("assignee_ids") or [] if i in self.users.values()]
        issue.due_date = body.get("due_date") or None
        return self._shape(issue)

    def _edit(self, project: Project, issue: Issue, body: dict[str, Any]) -> dict[str, Any]:
        if not body:
            raise Reply(
                400,
                {
                    "error": "title, description, labels, state_event, assignee_ids, due_date, ... are "
                    "missing, at least one parameter must be provided"
                },
            )
        self._check_fields(body)
        event = body.get("state_event")
        if event is not None and event not in ("close", "reopen"):
            raise Reply(400, {"error": "state_event does not have a valid value"})
        for name in ("title", "description"):
            if name in body:
                setattr(issue, name, body[name] or "")
        if "labels" in body:
            issue.labels = sorted(set(self._labels(body["labels"])))
        issue.labels = sorted(
            (set(issue.labels) | set(self._labels(body.get("add_labels"))))
            - set(self._labels(body.get("remove_labels")))
        )
        project.labels.update(issue.labels)
        if "assignee_ids" in body:
            issue.assignee_ids = [i for i in body["assignee_ids"] if i in self.users.values()]
        if "due_date" in body:
            issue.due_date = body["due_date"] or None
        if event == "close" and issue.state != "closed":
            issue.state, issue.closed_at = "closed", self.clock
        elif event == "reopen" and issue.state == "closed":
            issue.state, issue.closed_at = "opened", None
        issue.updated_at = self.clock
        return self._shape(issue)

    def _list(self, project: Project, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        issues = list(project.issues.values())
        wanted = self._labels(query.get("labels"))
        issues = [i for i in issues if all(w.casefold() in {lab.casefold() for lab in i.labels} for w in wanted)]
        state = query.get("state", "all")
        if state not in ("opened", "closed", "all"):
            raise Reply(400, {"error": "state does not have a valid value"})
        if state != "all":
            issues = [i for i in issues if i.state == state]
        if "updated_after" in query:
            try:
                after = datetime.fromisoformat(query["updated_after"].replace("Z", "+00:00")).timestamp()
            except ValueError:
                raise Reply(400, {"error": "updated_after is invalid"}) from None
            issues = [i for i in issues if i.updated_at >= after]
        order = query.get("order_by", "created_at")
        if order not in (
            "created_at",
            "updated_at",
            "priority",
            "due_date",
            "relative_position",
            "label_priority",
            "milestone_due",
            "popularity",
            "weight",
            "title",
        ):
            raise Reply(400, {"error": "order_by does not have a valid value"})
        key = "created_at" if order not in ("updated_at",) else "updated_at"
        issues.sort(key=lambda i: (getattr(i, key), i.id), reverse=query.get("sort", "desc") == "desc")
        per_page = min(100, max(1, int(query.get("per_page", "20"))))
        page = max(1, int(query.get("page", "1")))
        pages = max(1, math.ceil(len(issues) / per_page))
        chunk = issues[(page - 1) * per_page : page * per_page]
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Next-Page": str(page + 1) if page < pages else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
        }
        base = f"{self.url}/api/v4/projects/{project.id}/issues?"
        links = []
        if page < pages:
            links.append(f'<{base}{urlencode({**query, "page": page + 1})}>; rel="next"')
        links.append(f'<{base}{urlencode({**query, "page": 1})}>; rel="first"')
        if len(issues) <= 10_000:
            headers.update({"X-Total": str(len(issues)), "X-Total-Pages": str(pages)})
            links.append(f'<{base}{urlencode({**query, "page": pages})}>; rel="last"')
        headers["Link"] = ", ".join(links)
        return 200, [self._shape(i) for i in chunk], headers

    def _add_link(self, project: Project, issue: Issue, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        target_project = self._project_of(str(body.get("target_project_id", "")))
        target = target_project.issues.get(int(str(body.get("target_issue_iid", "0")) or 0))
        if target is None:
            raise Reply(404, {"message": "404 Not found"})
        kind = body.get("link_type", "relates_to")
        if kind not in ("relates_to", "blocks", "is_blocked_by"):
            raise Reply(400, {"error": "link_type does not have a valid value"})
        if target.iid in issue.links:
            raise Reply(409, {"message": "Issue(s) already assigned"})
        issue.links[target.iid] = kind
        target.links[issue.iid] = kind
        return 201, {"source_issue": self._shape(issue), "target_issue": self._shape(target), "link_type": kind}, {}

    def _hooks(
        self, project: Project, method: str, body: dict[str, Any], query: dict[str, str], rest: list[str]
    ) -> tuple[int, Any, dict[str, str]]:
        """Project webhooks (project_webhooks.md): Maintainer role, the token never shown."""
        if not project.maintainer:
            raise Reply(403, {"message": "403 Forbidden"})

        def shown(hook: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in hook.items() if k != "token"}

        if method == "GET":
            per_page = min(100, max(1, int(query.get("per_page", "20"))))
            page = max(1, int(query.get("page", "1")))
            pages = max(1, math.ceil(len(project.hooks) / per_page))
            chunk = project.hooks[(page - 1) * per_page : page * per_page]
            headers = {
                "X-Page": str(page),
                "X-Per-Page": str(per_page),
                "X-Next-Page": str(page + 1) if page < pages else "",
                "X-Total": str(len(project.hooks)),
                "X-Total-Pages": str(pages),
            }
            return 200, [shown(h) for h in chunk], headers
        if not body.get("url"):
            raise Reply(400, {"error": "url is missing"})
        if method == "PUT":
            hook = next((h for h in project.hooks if str(h["id"]) == rest[0]), None)
            if hook is None:
                raise Reply(404, {"message": "404 Not found"})
            hook.update({k: body[k] for k in _HOOK if k in body})  # what is not sent stays, the token too
            return 200, shown(hook), {}
        hook = {
            "id": self._next_id(),
            "url": body["url"],
            "name": body.get("name"),
            "project_id": project.id,
            "push_events": bool(body.get("push_events", True)),  # on unless turned off (gitlab#538161)
            "issues_events": bool(body.get("issues_events", False)),
            "confidential_issues_events": bool(body.get("confidential_issues_events", False)),
            "enable_ssl_verification": bool(body.get("enable_ssl_verification", True)),
            "created_at": stamp(self.clock),
            "token": body.get("token"),
        }
        project.hooks.append(hook)
        return 201, shown(hook), {}


def encoded(path: str) -> str:
    """A project path as it appears in API URLs."""
    return quote(path, safe="")

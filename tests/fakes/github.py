"""A stateful fake of GitHub's REST API (the issues subset), served over real HTTP in a thread.

PyGithub reaches it through ``base_url`` exactly as it reaches api.github.com or a GitHub
Enterprise Server (``prefix="/api/v3"``). What it reproduces, with the source of each rule
(NOTES.md = ../shared/contracts/NOTES.md, replay = ../shared/contracts/replay/github):

- every request is checked against tests/contracts/github-issues.openapi.json (path, method,
  query parameters, JSON body) plus undeclared parameters/keys and per_page <= 100; a request
  that does not match is answered 422 and recorded in ``violations`` (tests assert it stays empty);
- every URL it returns (``url`` fields, ``Link``, ``Location``) is built from the base the client
  was given; next-page links point at ``/repositories/{id}/...`` and carry every filter,
  ``per_page`` and ``rel="last"`` (NOTES.md section 1, replay PaginatedList.testCustomPerPageIteration);
- list endpoints mix pull requests into issues (NOTES.md section 1);
- ``x-ratelimit-*`` on every answer; 5,000 an hour; a 304 to a matching ``If-None-Match`` does not
  count (replay ConditionalRequestUpdate.testDidNotUpdate); ETags differ per token (github/docs#34689);
- primary limit: 403, remaining 0, "API rate limit exceeded for user ID 1."; secondary limits on
  demand and automatically past 80 content-creating requests a minute or 500 an hour (NOTES.md s. 2);
- 5xx on demand, optionally after applying the write (what makes a blind retry duplicate);
- labels and assignees replace on PATCH; state_reason only counts when state changes; labels that
  do not exist are created (color ededed, github/docs#35718); assignees must be collaborators (422);
  titles over 256 and bodies over 65,536 characters get 422;
- sub-issues by the child's ``id``, same owner, one parent, at most 100 (NOTES.md section 1);
- transferred issues: GET answers 301 to the new location, writes 307 (writes to moved resources
  get 307, 18F/charlie#85; PyGithub follows only 301); deleted issues 410;
- 401/404/422 bodies as in the replays (Exceptions.*), with ``documentation_url`` and ``status``;
- ``GET /user`` answers the token's user; classic tokens get ``X-OAuth-Scopes: repo, ...`` on every
  authenticated answer (replay Issue.setUp, RateLimiting.testGetRateLimit), fine-grained ones no
  such header (``scopes=None``); a classic token without ``repo`` sees no private repository (404)
  and, without ``public_repo`` either, cannot write to a public one (404), as GitHub hides them;
- repository webhooks (list, create, update) as tests/fakes/github_hooks.py describes: admin
  rights needed (404 otherwise), the secret never shown, 422 for a config without a URL.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.chaos import Chaos
from tests.fakes.github_hooks import HookRoutes
from tests.fakes.github_model import Issue, Repo, Shapes
from tests.fakes.github_routes import DOCS, Answer, Reply, Routes, error
from tests.fakes.openapi import OpenApiCheck

SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID FAKE:1."
)
CONTENT_PER_MINUTE = 80
CONTENT_PER_HOUR = 500


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str  # without the base prefix, e.g. /repos/acme/api/issues
    query: list[tuple[str, str]]
    body: Any
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Failure:
    """An injected failure: the next ``count`` matching requests get ``status``."""

    count: int
    status: int
    methods: tuple[str, ...]
    path_contains: str
    apply: bool  # apply the write, then fail (the ambiguous case)
    body: str


@dataclass
class Malformed:
    """An injected malformed answer: the next ``count`` matching requests get ``payload`` as is."""

    count: int
    method: str
    path: str  # a regular expression the whole path must match, e.g. /repos/acme/api/issues/\d+
    payload: bytes
    status: int
    content_type: str
    apply: bool  # run the real handler first (the write happened, its answer is garbage)


class FakeGitHub(HookRoutes, Routes):
    """The fake's state, failure switches and inspection helpers (start() serves it)."""

    def __init__(
        self,
        *,
        token: str = "ghp_fake0000000000000000000000000000000",
        prefix: str = "/api/v3",
        tick: float = 1.0,
        latency: float = 0.0,
        sub_issues: bool = True,
        content_limits: bool = True,
        write_redirect: int = 307,
        validate: bool = True,
        scopes: tuple[str, ...] | None = ("repo",),
        login: str = "remediate-bot",
    ) -> None:
        self.token = token
        # A classic token's scopes, sent back in X-OAuth-Scopes on every authenticated answer;
        # None plays a fine-grained (or GitHub App) token, for which GitHub sends no such header.
        self.scopes = scopes
        self.login = login
        self.prefix = prefix.rstrip("/")
        self.tick = tick  # fake seconds that pass per request, so timestamps move
        self.latency = latency  # real seconds each answer is delayed (benchmarks)
        self.sub_issues = sub_issues  # False: an old GHES without the sub-issue endpoints
        self.content_limits = content_limits
        self.write_redirect = write_redirect
        self.validate = validate  # benchmarks turn it off: it costs the fake ~5 ms a request
        self.clock = float(int(time.time()))
        self.check = OpenApiCheck()
        self.lock = threading.RLock()
        self.repos: dict[str, Repo] = {}
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.failures: list[Failure] = []
        self.malformed: list[Malformed] = []
        self.limit = 5000
        self.remaining = 5000
        self.window_reset = self.clock + 3600
        self.blocked_until = 0.0
        self.block_status = 403
        self.block_retry_after: int | None = None
        self.secondary_after: int | None = None  # writes left before a forced secondary limit
        self.secondary_duration = 60.0
        self.writes = 0
        self.content_times: list[float] = []
        self._ids = 1000
        self._server: ThreadingHTTPServer | None = None
        self.shapes = Shapes("http://unstarted", "http://unstarted")
        self.chaos: Chaos | None = None  # random faults (tests/fakes/chaos.py)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Serve on 127.0.0.1 on a free port, in a daemon thread."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes; without this, Nagle's algorithm and
                # delayed ACKs add ~40 ms to every keep-alive answer.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                answer = fake.handle(self.command, self.path, dict(self.headers), raw)
                if answer is None:  # chaos: drop the connection without an answer
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

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        port = self._server.server_address[1]
        web = f"http://127.0.0.1:{port}"
        self.shapes = Shapes(web + self.prefix, web)
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

    @property
    def base_url(self) -> str:
        """What to pass as GITHUB_API_URL."""
        return self.shapes.api

    # --- clock ---------------------------------------------------------------------------------

    def now(self) -> float:
        """The fake's clock (epoch seconds); hand it to the connector as its clock."""
        return self.clock

    def advance(self, seconds: float) -> None:
        """Let time pass; hand it to the connector as its sleep."""
        with self.lock:
            self.clock += max(0.0, seconds)

    # --- setup and people's actions (the "web UI") -------------------------------------------

    def add_repo(self, full_name: str, *, collaborators: tuple[str, ...] = (), **kwargs: Any) -> Repo:
        """Create a repository."""
        owner, name = full_name.split("/")
        with self.lock:
            repo = Repo(id=self._next_id(), owner=owner, name=name, **kwargs)
            repo.collaborators = {c.casefold() for c in (owner, *collaborators)}
            self.repos[full_name.casefold()] = repo
            return repo

    def repo(self, full_name: str) -> Repo:
        """A repository by name."""
        return self.repos[full_name.casefold()]

    def issue(self, full_name: str, number: int) -> Issue:
        """An issue by repository and number."""
        return self.repo(full_name).issues[number]

    def open_issue(
        self,
        full_name: str,
        title: str,
        *,
        body: str = "",
        labels: tuple[str, ...] = (),
        pull_request: bool = False,
    ) -> Issue:
        """Someone opens an issue (or a pull request) in the web UI."""
        with self.lock:
            repo = self.repo(full_name)
            issue = self._new_issue(repo, title, body, "someone")
            issue.labels = [self._label(repo, name) for name in labels]
            issue.pull_request = pull_request
            return issue

    def set_state(self, full_name: str, number: int, state: str, reason: str | None = None) -> None:
        """Someone closes (with a reason) or reopens an issue."""
        with self.lock:
            self._change_state(self.issue(full_name, number), state, reason)

    def set_labels(self, full_name: str, number: int, *names: str) -> None:
        """Someone replaces an issue's labels."""
        with self.lock:
            repo = self.repo(full_name)
            issue = repo.issues[number]
            issue.labels = [self._label(repo, name) for name in names]
            issue.updated_at = self.clock

    def transfer(self, full_name: str, number: int, to: str) -> Issue:
        """Someone transfers an issue to another repository (it gets a new number there)."""
        with self.lock:
            source, target = self.repo(full_name), self.repo(to)
            issue = source.issues.pop(number)
            issue.number = target.next_number
            target.next_number += 1
            issue.labels = [self._label(target, label.name) for label in issue.labels]
            issue.updated_at = self.clock
            target.issues[issue.number] = issue
            source.moved[number] = (target, issue.number)
            return issue

    def delete(self, full_name: str, number: int) -> None:
        """An admin deletes an issue."""
        with self.lock:
            repo = self.repo(full_name)
            repo.issues.pop(number)
            repo.deleted.add(number)

    def all_issues(self, full_name: str, *, pull_requests: bool = False) -> list[Issue]:
        """Every issue of a repository, in number order."""
        issues = sorted(self.repo(full_name).issues.values(), key=lambda i: i.number)
        return [i for i in issues if pull_requests or not i.pull_request]

    # --- failure switches ----------------------------------------------------------------------

    def fail_next(
        self,
        count: int,
        *,
        status: int = 502,
        methods: tuple[str, ...] = ("GET", "POST", "PATCH", "PUT", "DELETE"),
        path_contains: str = "",
        apply: bool = False,
        body: str = '{"message":"Server Error"}',
    ) -> None:
        """The next ``count`` matching requests fail with ``status`` (after applying, if ``apply``)."""
        with self.lock:
            self.failures.append(Failure(count, status, methods, path_contains, apply, body))

    def malform(
        self,
        method: str,
        path: str,
        payload: bytes,
        *,
        status: int = 200,
        count: int = 1,
        content_type: str = "application/json; charset=utf-8",
        apply: bool = False,
    ) -> None:
        """The next ``count`` matching requests are answered ``payload`` verbatim (garbage, HTML, ...)."""
        with self.lock:
            self.malformed.append(Malformed(count, method, path, payload, status, content_type, apply))

    def _take_malformed(self, method: str, path: str) -> Malformed | None:
        for bad in self.malformed:
            if bad.count > 0 and bad.method == method and re.fullmatch(bad.path, path):
                bad.count -= 1
                return bad
        return None

    def secondary_limit(
        self,
        *,
        after_writes: int = 0,
        duration: float = 60.0,
        status: int = 403,
        retry_after: int | None = None,
    ) -> None:
        """After ``after_writes`` more writes, refuse writes for ``duration`` fake seconds."""
        with self.lock:
            self.secondary_after = after_writes
            self.secondary_duration = duration
            self.block_status = status
            self.block_retry_after = retry_after

    def exhaust_quota(self, reset_in: float) -> None:
        """Use up the primary rate limit; it resets ``reset_in`` fake seconds from now."""
        with self.lock:
            self.remaining = 0
            self.window_reset = self.clock + reset_in

    # --- inspection ---------------------------------------------------------------------------

    def count(self, method: str | None = None, path_contains: str = "", *, status: int | None = None) -> int:
        """How many recorded requests match."""
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method)
            and path_contains in r.path
            and (status is None or r.status == status)
        )

    def reset_log(self) -> None:
        """Forget recorded requests (not the state)."""
        with self.lock:
            self.requests.clear()

    # --- request handling ----------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes] | None:
        """Answer one HTTP request: (status, headers, body), or None to drop the connection."""
        if self.latency:
            time.sleep(self.latency)
        fault = self.chaos.decide(method, target) if self.chaos is not None else None
        if fault is not None and fault.late:
            time.sleep(fault.delay)
        lower = {k.lower(): v for k, v in headers.items()}
        with self.lock:
            self.clock += self.tick
            if self.clock >= self.window_reset:
                self.remaining, self.window_reset = self.limit, self.clock + 3600
            parts = urlsplit(target)
            path = parts.path  # segments are unquoted one by one: a label may contain '/'
            query = parse_qsl(parts.query, keep_blank_values=True)
            body = json.loads(raw) if raw else None
            record = Recorded(
                method,
                path.removeprefix(self.prefix),
                query,
                body,
            )
            self.requests.append(record)
            counted = True
            bad = self._take_malformed(method, record.path)
            if bad is None or bad.apply:
                try:
                    if fault is not None and not fault.apply:
                        raise self._chaos_reply(fault.status, fault.headers)
                    status, data, extra = self._dispatch(method, path, query, body, raw, lower)
                    if fault is not None:  # chaos: applied, then the answer is lost
                        raise self._chaos_reply(fault.status, fault.headers)
                except Reply as reply:
                    status, data, extra = reply.status, reply.data, reply.headers
                payload = b"" if data is None else json.dumps(data).encode()
            if fault is not None and fault.drop:
                record.status = 0
                if fault is not None and fault.delay and not fault.late:  # chaos: a slow answer to an applied write
                    time.sleep(fault.delay)
                return None
            if bad is not None:
                record.status = bad.status
                record.headers = {"Content-Type": bad.content_type}
                return bad.status, {"Content-Type": bad.content_type}, bad.payload
            if status == 200 and method == "GET":
                tag = 'W/"' + hashlib.sha256(lower.get("authorization", "").encode() + payload).hexdigest() + '"'
                extra = {**extra, "ETag": tag}
                if tag in [t.strip() for t in lower.get("if-none-match", "").split(",")]:
                    status, payload, counted = 304, b"", False
            if counted and status != 401 and self.remaining > 0 and not extra.pop("X-Fake-Uncounted", None):
                self.remaining -= 1
            record.status = status
            if status != 401 and self.scopes is not None:
                extra = {"X-OAuth-Scopes": ", ".join(self.scopes), **extra}
            out = {
                "Content-Type": "application/json; charset=utf-8",
                "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Used": str(self.limit - self.remaining),
                "X-RateLimit-Reset": str(int(self.window_reset)),
                "X-RateLimit-Resource": "core",
                "x-github-api-version-selected": "2022-11-28",
                "X-GitHub-Request-Id": f"FAKE:{len(self.requests)}",
                **extra,
            }
            record.headers = out
            return status, out, payload

    @staticmethod
    def _chaos_reply(status: int, headers: dict[str, str]) -> Reply:
        message = SECONDARY if status == 429 else "Server Error"
        return Reply(status, {"message": message, "documentation_url": DOCS}, dict(headers))

    def _dispatch(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        body: Any,
        raw: bytes,
        headers: dict[str, str],
    ) -> Answer:
        if not path.startswith(self.prefix + "/"):
            raise error(404, "Not Found")
        path = path[len(self.prefix) :]
        auth = headers.get("authorization", "")
        if auth not in (f"token {self.token}", f"Bearer {self.token}"):
            raise error(401, "Bad credentials" if auth else "Requires authentication")
        path, repo = self._canonical(path)
        problems = self.check.problems(method, path, query, raw) if self.validate else []
        if problems:
            self.violations += problems
            raise Reply(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [{"message": p} for p in problems],
                    "documentation_url": DOCS,
                },
            )
        if self.remaining <= 0:
            raise error(
                403,
                "API rate limit exceeded for user ID 1.",
                f"{DOCS}/overview/rate-limits-for-the-rest-api",
            )
        failure = self._take_failure(method, path)
        if failure is not None and not failure.apply:
            raise Reply(
                failure.status,
                json.loads(failure.body) if failure.body.startswith("{") else {"message": failure.body},
            )
        if method != "GET":
            self._secondary_gate(method, path)
        result = self._route(method, path, dict(query), body, repo)
        if failure is not None:  # applied, then failed: the client cannot know
            raise Reply(failure.status, {"message": "Server Error"})
        return result

    def _canonical(self, path: str) -> tuple[str, Repo | None]:
        # /repositories/{id}/rest is where GitHub's own links point; map it to /repos/{owner}/{name}.
        segments = path.strip("/").split("/")
        if segments[0] == "repositories" and len(segments) >= 2 and segments[1].isdigit():
            for repo in self.repos.values():
                if repo.id == int(segments[1]):
                    return "/" + "/".join(["repos", repo.owner, repo.name, *segments[2:]]), repo
            raise error(404, "Not Found")
        if segments[0] == "repos" and len(segments) >= 3:
            return path, self.repos.get(f"{segments[1]}/{segments[2]}".casefold())
        return path, None

    def _take_failure(self, method: str, path: str) -> Failure | None:
        for failure in self.failures:
            if failure.count > 0 and method in failure.methods and failure.path_contains in path:
                failure.count -= 1
                return failure
        return None

    def _secondary_gate(self, method: str, path: str) -> None:
        content = method == "POST"  # creating issues, labels, sub-issue links
        if self.secondary_after is not None:
            if self.secondary_after <= 0:
                self.blocked_until = self.clock + self.secondary_duration
                self.secondary_after = None
            else:
                self.secondary_after -= 1
        if content and self.content_limits:
            self.content_times = [t for t in self.content_times if t > self.clock - 3600]
            last_minute = sum(1 for t in self.content_times if t > self.clock - 60)
            if last_minute >= CONTENT_PER_MINUTE or len(self.content_times) >= CONTENT_PER_HOUR:
                self.blocked_until = max(self.blocked_until, self.clock + 60)
        if self.clock < self.blocked_until:
            extra = {"Retry-After": str(self.block_retry_after)} if self.block_retry_after is not None else {}
            raise Reply(
                self.block_status,
                {
                    "message": SECONDARY,
                    "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                },
                extra,
            )
        self.writes += 1
        if content:
            self.content_times.append(self.clock)

    def issues_iter(self) -> Iterator[Issue]:
        """Every issue in every repository."""
        for repo in self.repos.values():
            yield from repo.issues.values()

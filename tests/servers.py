"""Real local servers for delivery tests: an SMTP server (aiosmtpd), a webhook HTTP server and
an HTTP server that echoes requests in its errors (for secret scrubbing).

Each records what arrived. The webhook server plays Slack's incoming webhook when asked to:
it rejects what Slack rejects (no text, malformed or oversized blocks) with Slack's answers.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- SMTP --------------------------------------------------------------------------------------


@dataclass
class Received:
    """One message as the SMTP server got it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    login: str | None


@dataclass
class SMTPServer:
    """What the test SMTP server saw."""

    host: str
    port: int
    messages: list[Received] = field(default_factory=list)
    failed_logins: int = 0


class _Handler:
    def __init__(self, server: SMTPServer, mail_reply: Callable[[Any], str | None] | None = None) -> None:
        self.server = server
        self.mail_reply = mail_reply

    async def handle_MAIL(self, _server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        answer = self.mail_reply(session) if self.mail_reply else None
        if answer:
            return answer
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        login = session.auth_data.login.decode() if session.authenticated and session.auth_data else None
        self.server.messages.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                message,  # type: ignore[arg-type]
                session.ssl is not None,
                login,
            )
        )
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(
    tls: ssl.SSLContext | None,
    *,
    users: dict[str, str] | None = None,
    require_starttls: bool = True,
    mail_reply: Callable[[Any], str | None] | None = None,
) -> Iterator[SMTPServer]:
    """An SMTP server on 127.0.0.1 offering STARTTLS (``tls``) and AUTH for ``users``.

    ``mail_reply(session)`` may answer MAIL FROM instead of accepting it (e.g. an error that
    echoes the session's AUTH line, as some servers do).
    """
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    record = SMTPServer("127.0.0.1", free_port())

    def authenticate(_server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword) and users and users.get(data.login.decode()) == data.password.decode():
            return AuthResult(success=True, auth_data=data)
        record.failed_logins += 1
        return AuthResult(success=False, handled=False)

    kwargs: dict[str, Any] = {}
    if users is not None:
        kwargs.update(authenticator=authenticate, auth_required=True, auth_require_tls=tls is not None)
    if tls is not None:
        kwargs.update(tls_context=tls, require_starttls=require_starttls)
    controller = Controller(
        _Handler(record, mail_reply), hostname=record.host, port=record.port, server_hostname="localhost", **kwargs
    )
    controller.start()
    try:
        yield record
    finally:
        controller.stop()


# --- HTTP ----------------------------------------------------------------------------------------


@dataclass
class Request:
    """One request as the webhook server got it."""

    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class WebhookServer:
    """What the test webhook server saw; ``responses`` are answered first, then 200."""

    url: str
    slack: bool
    requests: list[Request] = field(default_factory=list)
    responses: list[tuple[int, dict[str, str], str]] = field(default_factory=list)


def slack_errors(payload: Any) -> str | None:
    """What Slack's incoming webhook would answer with 400 for this payload, or None if it accepts it."""
    if not isinstance(payload, dict):
        return "invalid_payload"
    blocks = payload.get("blocks")
    if not payload.get("text") and not blocks:
        return "no_text"
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "invalid_blocks"
    for block in blocks:
        kind = block.get("type")
        text = block.get("text") or {}
        if kind == "header":
            if text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= 150:
                return "invalid_blocks"
        elif kind == "section":
            if text.get("type") not in ("mrkdwn", "plain_text") or not 0 < len(text.get("text", "")) <= 3000:
                return "invalid_blocks"
        elif kind == "context":
            elements = block.get("elements")
            if not elements or len(elements) > 10 or any(len(e.get("text", "")) > 3000 for e in elements):
                return "invalid_blocks"
        elif kind != "divider":
            return "invalid_blocks"
    return None


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """Serve ``handler`` on a free port of 127.0.0.1 in a thread; yield the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def webhook_server(*, slack: bool = False, path: str = "/hook") -> Iterator[WebhookServer]:
    """An HTTP server on 127.0.0.1 in a thread that records POSTs to ``path``."""
    record = WebhookServer("", slack)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            try:
                body: Any = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            record.requests.append(Request(self.path, dict(self.headers.items()), body))
            if self.path != path:
                return self._answer(404, {}, "no_service")
            if record.responses:
                return self._answer(*record.responses.pop(0))
            if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
                return self._answer(400, {}, "invalid_payload")
            if record.slack and (problem := slack_errors(body)):
                return self._answer(400, {}, problem)
            self._answer(200, {}, "ok")

        def _answer(self, status: int, headers: dict[str, str], text: str) -> None:
            data = text.encode()
            self.send_response(status)
            for name, value in {"Content-Type": "text/plain", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with _serving(Handler) as port:
        record.url = f"http://127.0.0.1:{port}{path}"
        yield record


@dataclass
class EchoServer:
    """A careless HTTP server: every answer is ``status`` with the request repeated in the error."""

    url: str
    status: int
    requests: list[Request] = field(default_factory=list)


@contextmanager
def echo_server(status: int = 400) -> Iterator[EchoServer]:
    """An HTTP server on 127.0.0.1 that answers every request with ``status`` and an error body
    repeating the request line and its credential headers (``Authorization``, ``PRIVATE-TOKEN``),
    in the error fields GitHub, GitLab, Jira and webhooks use (``message``, ``errorMessages``)."""
    record = EchoServer("", status)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            record.requests.append(Request(self.path, dict(self.headers.items()), raw.decode("utf-8", "replace")))
            credentials = [
                f"{name}: {self.headers[name]}" for name in ("Authorization", "PRIVATE-TOKEN") if self.headers.get(name)
            ]
            said = f"cannot process a request with {', '.join(credentials) or 'no credentials'}: {self.command} "
            said += f"http://{self.headers.get('Host')}{self.path}"
            body = json.dumps({"message": said, "errorMessages": [said], "errors": {}, "error": said}).encode()
            self.send_response(record.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with _serving(Handler) as port:
        record.url = f"http://127.0.0.1:{port}"
        yield record

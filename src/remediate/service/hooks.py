"""``POST /hooks/<tracker>``: webhook deliveries, verified by the tracker's connector, acted on in order.

What happens to one delivery, and the answer it gets:

1. The route names a connector that implements :class:`remediate.connectors.Webhooks`, else 404.
2. ``Content-Length`` is read first: missing, not a number or over :data:`MAX_BODY` is 411/400/413
   before a byte of the body is read.
3. The connector verifies the signature (or token) and parses the event: 401 (missing or wrong
   signature), 400 (not JSON, not the event it claims), 404 (no secret configured). Nothing is
   stored for a refused delivery, and the log names the reason, never the secret or signature.
4. ``ping`` and ignored events: 200. An event naming no ticket remediate links: 202, nothing done.
5. A delivery id already processed (or queued): 200 ``duplicate``, not processed again.
6. Otherwise 202: the delivery is queued for one worker thread, which runs
   :func:`remediate.jobs.refresh_from_hook` (the tickets' states read from the tracker, recorded
   as a refresh records them, under the tracker's sync lock, as a run of kind ``hook``).

Processing after the answer keeps the answer fast (GitHub waits 10 s, GitLab disables hooks that
keep timing out) while a long sync holds the lock. A delivery lost in the queue (the process
died) is caught by the scheduled refresh, which goes on as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from remediate.connectors import WebhookError, WebhookEvent, WebhookRequest

if TYPE_CHECKING:
    from remediate.settings import Settings
    from remediate.store import Store

log = logging.getLogger("remediate.service")

#: The largest body accepted (GitHub caps payloads at 25 MB, but issue events are a few KB).
MAX_BODY = 1024 * 1024
#: Deliveries waiting for the worker; more are answered 503 (the tracker retries or reconciliation catches up).
QUEUE_SIZE = 1000


@dataclass(frozen=True)
class Answer:
    """(status, JSON body) sent back for one delivery."""

    status: int
    body: dict[str, Any]

    def encode(self) -> bytes:
        """The body as sent."""
        return json.dumps(self.body).encode() + b"\n"


@dataclass(frozen=True)
class _Job:
    tracker: str
    event: WebhookEvent
    delivery: str


def _event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    log.log(level, name, extra={"fields": fields})


class HookReceiver:
    """Verifies deliveries and hands the accepted ones to a worker thread."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        environ: Mapping[str, str] | None = None,
        max_body: int = MAX_BODY,
        mask: Callable[[str], str] = str,
    ) -> None:
        self.settings, self.store = settings, store
        self.environ = os.environ if environ is None else environ
        self.max_body = max_body
        self.mask = mask
        self._queue: queue.Queue[_Job | None] = queue.Queue(QUEUE_SIZE)
        self._pending: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._classes: dict[str, Any] = {}

    # --- the worker ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread."""
        self._worker = threading.Thread(target=self._work, name="remediate-hooks", daemon=True)
        self._worker.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Let the worker finish what is queued (up to ``timeout``), then stop it."""
        if self._worker is None:
            return
        self._queue.put(None)
        self._worker.join(timeout)
        self._worker = None

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every queued delivery is processed (tests)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._pending and self._queue.empty():
                    return
            time.sleep(0.01)

    def _work(self) -> None:
        from remediate.jobs import refresh_from_hook

        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                outcome = refresh_from_hook(
                    self.settings,
                    job.tracker,
                    job.event.refs,
                    delivery=job.delivery,
                    store=self.store,
                    environ=self.environ,
                )
                _event(
                    "hook_processed",
                    tracker=job.tracker,
                    delivery=job.delivery,
                    hook_event=job.event.event,
                    run=outcome.run_id,
                    tickets=outcome.tickets,
                    state_changes=len(outcome.state_changes),
                    duplicate=outcome.duplicate,
                )
            except Exception as exc:  # one bad delivery must not stop the worker
                _event(
                    "hook_failed",
                    logging.WARNING,
                    tracker=job.tracker,
                    delivery=job.delivery,
                    error=self.mask(f"{exc.__class__.__name__}: {exc}"),
                )
            finally:
                with self._lock:
                    self._pending.discard((job.tracker, job.delivery))

    # --- one delivery --------------------------------------------------------------------------

    def receive(self, route: str, headers: Mapping[str, str], body: IO[bytes]) -> Answer:
        """Answer one POST to ``route`` (``/hooks/<tracker>[/<rest>]``), reading ``body`` only if needed."""
        tracker, _, rest = route.removeprefix("/hooks/").partition("/")
        lowered = {name.lower(): value for name, value in headers.items()}
        cls = self._connector_class(tracker)
        if cls is None:
            return Answer(404, {"error": f"no webhook receiver for {tracker!r}"})
        length = lowered.get("content-length")
        if length is None:
            return Answer(411, {"error": "Content-Length is required"})
        if not length.strip().isdigit():
            return Answer(400, {"error": "Content-Length is not a number"})
        if int(length) > self.max_body:
            _event("hook_refused", logging.WARNING, tracker=tracker, status=413, reason=f"body of {int(length)} bytes")
            return Answer(413, {"error": f"body over {self.max_body} bytes"})
        raw = body.read(int(length))
        try:
            event = cls.verify_webhook(WebhookRequest(lowered, raw, rest), self.environ)
        except WebhookError as exc:
            _event("hook_refused", logging.WARNING, tracker=tracker, status=exc.status, reason=str(exc))
            return Answer(exc.status, {"error": str(exc)})
        delivery = event.delivery or "sha256:" + hashlib.sha256(raw).hexdigest()
        if event.kind == "ping":
            _event("hook_ping", tracker=tracker, delivery=delivery)
            return Answer(200, {"status": "pong"})
        if event.kind == "ignored":
            return Answer(200, {"status": "ignored", "event": event.event})
        return self._accept(tracker, event, delivery)

    def _accept(self, tracker: str, event: WebhookEvent, delivery: str) -> Answer:
        from remediate.jobs import HOOK_NAMESPACE, delivery_key, linked, seen_delivery

        try:
            if not linked(self.store, tracker, event.refs):
                _event("hook_ignored", tracker=tracker, delivery=delivery, reason="no linked ticket")
                return Answer(202, {"status": "ignored", "reason": "no ticket remediate links"})
            with self.store.session() as session:
                done = seen_delivery(session, f"{HOOK_NAMESPACE}:{tracker}", delivery_key(delivery))
        except Exception as exc:
            _event("hook_failed", logging.WARNING, tracker=tracker, delivery=delivery, error=exc.__class__.__name__)
            return Answer(503, {"error": "database unavailable"})
        with self._lock:
            if done or (tracker, delivery) in self._pending:
                _event("hook_duplicate", tracker=tracker, delivery=delivery)
                return Answer(200, {"status": "duplicate", "delivery": delivery})
            try:
                self._queue.put_nowait(_Job(tracker, event, delivery))
            except queue.Full:
                return Answer(503, {"error": "too many deliveries waiting"})
            self._pending.add((tracker, delivery))
        _event("hook_accepted", tracker=tracker, delivery=delivery, hook_event=event.event)
        return Answer(202, {"status": "accepted", "delivery": delivery})

    def _connector_class(self, tracker: str) -> Any:
        from remediate.connectors import discover, load_class
        from remediate.errors import ConfigError

        if tracker in self._classes:
            return self._classes[tracker]
        if not tracker or tracker not in discover():
            return None  # not cached: the name comes from the request
        try:
            cls = load_class(tracker)
        except ConfigError:
            cls = None
        found = cls if callable(getattr(cls, "verify_webhook", None)) else None
        self._classes[tracker] = found
        return found

"""python-gitlab's HTTP client with remediate's retry, rate-limit and error policy around it.

Why ``Gitlab.http_request`` and not python-gitlab's managers or its own retries:
- its retry (``retry_transient_errors``) resends a POST after a 5xx or a timeout, and a create
  that GitLab applied before failing would be duplicated: here a write first asks ``recover``
  whether the server applied it;
- it sleeps with ``time.sleep`` on 429 for as long as ``Retry-After`` says, unbounded in total:
  here waits use an injected clock and sleep and stop at ``pacing.max_total_wait`` with one line;
- its exceptions carry no headers, so the ``Retry-After`` and ``RateLimit-*`` headers are read
  through a ``requests`` response hook on its session.
python-gitlab still does the auth header (``PRIVATE-TOKEN``), the ``/api/v4`` base of a
self-managed instance, JSON encoding and connection pooling.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from remediate import answers
from remediate.budget import Budget, Budgets
from remediate.errors import AuthError, ConfigError, Conflict, ConnectorError, NotFound, RateLimited, Unavailable
from remediate.secrets import scrub
from remediate_gitlab.config import Config

log = logging.getLogger("remediate.gitlab")

TRACKER = "gitlab"
TOKEN_VAR = "GITLAB_TOKEN"
URL_VAR = "GITLAB_URL"
DEFAULT_URL = "https://gitlab.com"

Clock = Callable[[], float]
Sleep = Callable[[float], None]
#: Asked before a write is resent: the answer body if the first attempt was applied after all.
Recover = Callable[[], Any]


@dataclass
class Stats:
    """What this connector sent, for benchmarks and tests."""

    requests: int = 0
    writes: int = 0
    retries: int = 0
    waits: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Page:
    """One answer of a list endpoint: its items and the next page number (None at the end)."""

    items: list[Any]
    next_page: int | None


def instance_url(env: Mapping[str, str]) -> str:
    """The instance's web root from ``GITLAB_URL`` (https://gitlab.example.com, no /api/v4)."""
    url = (env.get(URL_VAR) or DEFAULT_URL).strip().rstrip("/")
    if url.endswith("/api/v4"):
        url = url[: -len("/api/v4")]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ConfigError(f"{URL_VAR}={url!r} is not a GitLab URL: use https://gitlab.com or https://HOST")
    return url


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds GitLab asks us to wait: ``Retry-After`` (seconds or an HTTP-date), else ``RateLimit-Reset``."""
    value = headers.get("Retry-After")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError):
            pass
    reset = headers.get("RateLimit-Reset")
    if reset and reset.strip().isdigit():
        return max(0.0, float(reset) - now)
    return None


class Transport:
    """Sends requests for the connector; every failure leaves as a one-line ConnectorError."""

    def __init__(self, config: Config, env: Mapping[str, str], *, clock: Clock, sleep: Sleep) -> None:
        self.config = config
        self.url = instance_url(env)
        self._token = (env.get(TOKEN_VAR) or "").strip()
        self._clock = clock
        self._sleep = sleep
        self._client: Any = None
        self._last: requests.Response | None = None
        self._budgets = Budgets(clock, config.pacing.max_total_wait)
        #: The request the last answer came from, for messages about its shape.
        self.last_request: str | None = None
        self.stats = Stats()

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings that must never appear in an error or a log line."""
        return (self._token,) if self._token else ()

    def _gitlab(self) -> Any:
        if self._client is None:
            if not self._token:
                raise AuthError(f"set {TOKEN_VAR} to a GitLab access token with the 'api' scope", tracker=TRACKER)
            import gitlab

            self._client = gitlab.Gitlab(
                self.url,
                private_token=self._token,
                timeout=self.config.pacing.timeout,
                retry_transient_errors=False,
                keep_base_url=True,
            )
            self._client.session.hooks["response"].append(self._seen)
        return self._client

    def _seen(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last = response

    def scrub(self, text: str) -> str:
        """``text`` without secrets (see remediate.secrets): GitLab's words may echo the request."""
        return scrub(text, self.secrets)

    # --- requests ------------------------------------------------------------------------------

    def request(
        self,
        verb: str,
        path: str,
        what: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        recover: Recover | None = None,
        accept: tuple[int, ...] = (),
    ) -> tuple[int, Any, Mapping[str, str]]:
        """Send one request, retrying what may be retried; returns (status, JSON, headers).

        A 4xx status in ``accept`` (e.g. 404 for "is it still there?") comes back as
        (status, None, headers) instead of raising. All attempts, the waits between them and
        the lookups ``recover`` makes stay within ``pacing.max_total_wait``.
        """
        with self._budgets.call() as budget:
            answer = self._request(budget, verb, path, what, query, body, recover, accept)
        self.last_request = answers.request_name(verb, path)
        return answer

    def _request(
        self,
        budget: Budget,
        verb: str,
        path: str,
        what: str,
        query: Mapping[str, Any] | None,
        body: Mapping[str, Any] | None,
        recover: Recover | None,
        accept: tuple[int, ...],
    ) -> tuple[int, Any, Mapping[str, str]]:
        import gitlab

        client = self._gitlab()
        write = verb in ("post", "put", "delete")
        request = answers.request_name(verb, path)
        delay = self.config.pacing.backoff
        attempt = 0
        while True:
            attempt += 1
            self.stats.requests += 1
            self.stats.writes += write
            self._last = None
            failure: str
            wait: float | None
            try:
                response = client.http_request(
                    verb,
                    path,
                    query_data=dict(query or {}),
                    post_data=dict(body) if body is not None else None,
                    obey_rate_limit=False,
                    retry_transient_errors=False,
                    max_retries=0,
                    timeout=budget.timeout(self.config.pacing.timeout),
                )
                return response.status_code, _json(response, request, what), response.headers
            except gitlab.exceptions.GitlabAuthenticationError:
                raise AuthError(
                    f"GitLab refused the token in {TOKEN_VAR} while {what} (401): check it has not expired",
                    tracker=TRACKER,
                    status=401,
                ) from None
            except gitlab.exceptions.GitlabHttpError as exc:
                status = int(exc.response_code or 0)
                headers: Mapping[str, str] = self._last.headers if self._last is not None else {}
                message = self.scrub(_message(exc.error_message))
                if status in accept:
                    return status, None, headers
                if status != 429 and status < 500:
                    raise self._error(status, message, what) from None
                if status == 429:
                    wait = retry_after(headers, self._clock())
                    wait = 1.0 if wait is None else wait
                    failure = f"rate limited (429, {message})"
                else:
                    wait = delay
                    delay *= 2
                    failure = f"HTTP {status}"
            except gitlab.exceptions.RedirectError as exc:
                raise ConnectorError(f"{what}: {self.scrub(str(exc))}", tracker=TRACKER) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                wait = delay
                delay *= 2
                failure = f"{exc.__class__.__name__}"
            if attempt >= self.config.pacing.max_attempts and not failure.startswith("rate"):
                raise Unavailable(f"{what}: {failure} after {attempt} attempts", tracker=TRACKER)
            if budget.exceeded(wait):
                if failure.startswith("rate"):
                    raise RateLimited(
                        f"{what}: GitLab asked to wait {wait:.0f} s, past the {self.config.pacing.max_total_wait:.0f} s "
                        "bound (pacing.max_total_wait); try again later",
                        tracker=TRACKER,
                        retry_after=wait,
                    )
                raise budget.gave_up(
                    "GitLab", request, what, failure, "[connectors.gitlab.pacing] max_total_wait", TRACKER
                )
            self.stats.retries += 1
            self.stats.waits.append(wait)
            log.info("gitlab: %s while %s; retrying in %.1f s", failure, what, wait)
            self._sleep(wait)
            if write and recover is not None and verb == "post":
                applied = recover()
                if applied is not None:
                    return 201, applied, {}

    def pages(self, path: str, query: Mapping[str, Any], what: str) -> Iterator[Page]:
        """Every page of a list endpoint, 100 items a page, following ``X-Next-Page``."""
        page = 1
        while True:
            _, data, headers = self.request("get", path, what, query={**query, "per_page": 100, "page": page})
            if not isinstance(data, list):
                raise answers.malformed(TRACKER, answers.request_name("get", path), "expected a list", what=what)
            following = (headers.get("X-Next-Page") or "").strip()
            yield Page(data, int(following) if following.isdigit() else None)
            if not following.isdigit():
                return
            page = int(following)

    def _error(self, status: int, message: str, what: str) -> ConnectorError:
        if status == 403:
            return AuthError(
                f"GitLab refused {what} (403: {message}): the token needs the 'api' scope and at least "
                "Reporter access (Planner or Developer to edit issues)",
                tracker=TRACKER,
                status=status,
            )
        if status == 404:
            return NotFound(f"{what}: not found (404: {message})", tracker=TRACKER, status=status)
        if status in (400, 409, 422):
            return Conflict(f"GitLab rejected {what} ({status}: {message})", tracker=TRACKER, status=status)
        return ConnectorError(f"{what}: HTTP {status} ({message})", tracker=TRACKER, status=status)


def _json(response: requests.Response, request: str, what: str) -> Any:
    if response.status_code == 204:
        return None
    return answers.decode(response.content, tracker=TRACKER, request=request, status=response.status_code, what=what)


def _message(raw: Any) -> str:
    """GitLab's error message on one short line (``message`` may be a string, a list or a dict)."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            pass
    if isinstance(raw, dict):
        raw = "; ".join(f"{k} {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in raw.items())
    elif isinstance(raw, list):
        raw = "; ".join(map(str, raw))
    text = " ".join(str(raw).split())
    return text[:200] + ("…" if len(text) > 200 else "")


def now_iso(clock: Clock = time.time) -> str:
    """The clock's time as GitLab writes it (ISO 8601, UTC, milliseconds)."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(clock(), UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

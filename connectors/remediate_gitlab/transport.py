"""python-gitlab's HTTP client with remediate's retry, rate-limit and error policy around it.

Why ``Gitlab.http_request`` and not python-gitlab's managers or its own retries:
- its retry (``retry_transient_errors``) resends a POST after a 5xx or a timeout, and a create
  that GitLab applied before failing would be duplicated: here a write first asks ``recover``
  whether the server applied it;
- it sleeps with ``time.sleep`` on 429 for as long as ``Retry-After`` says, unbounded in total:
  here the loop is :mod:`remediate.retry`'s, waits use an injected clock and sleep and stop at
  ``pacing.max_total_wait`` with one line;
- its exceptions carry no headers, so the ``Retry-After`` and ``RateLimit-*`` headers are read
  through a ``requests`` response hook on its session.
python-gitlab still does the auth header (``PRIVATE-TOKEN``), the ``/api/v4`` base of a
self-managed instance, JSON encoding and connection pooling.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from pydantic import SecretStr

from remediate import answers
from remediate.budget import Budget
from remediate.errors import AuthError, ConfigError, Conflict, ConnectorError, NotFound, RateLimited, Unavailable
from remediate.retry import GiveUp, Retrier, Retry, RetryPolicy, header, retry_after
from remediate.secrets import scrub
from remediate_gitlab.config import Config, Pacing

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


def asked_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds GitLab asks us to wait: ``Retry-After`` (seconds or an HTTP-date), else ``RateLimit-Reset``."""
    after = retry_after(headers, now)
    if after is not None:
        return after
    reset = header(headers, "RateLimit-Reset")
    if reset and reset.strip().isdigit():
        return max(0.0, float(reset) - now)
    return None


def policy(pacing: Pacing) -> RetryPolicy:
    """The retry policy of ``[connectors.gitlab.pacing]``: rate-limit waits spend the total-wait bound too."""
    return RetryPolicy(
        attempts=pacing.max_attempts,
        backoff=pacing.backoff,
        max_backoff=math.inf,
        max_wait=math.inf,  # bounded by max_total_wait alone
        max_total_wait=pacing.max_total_wait,
        timeout=pacing.timeout,
        rate_limit_retries=sys.maxsize,  # likewise
        excuse_rate_limits=False,
    )


class _Refused(Exception):
    """A 429 or 5xx answer, for the classifier (python-gitlab's exception carries no headers)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str]) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.headers = headers


class Transport:
    """Sends requests for the connector; every failure leaves as a one-line ConnectorError."""

    def __init__(self, config: Config, env: Mapping[str, str], *, clock: Clock, sleep: Sleep) -> None:
        self.config = config
        self.url = instance_url(env)
        # A SecretStr: no repr() or log line of this object can show it; read where the client is built.
        self._token = SecretStr((env.get(TOKEN_VAR) or "").strip())
        self._clock = clock
        self._sleep = sleep
        self._client: Any = None
        self._last: requests.Response | None = None
        self._retrier = Retrier(policy(config.pacing), clock, sleep)
        self._budgets = self._retrier.budgets
        #: The request the last answer came from, for messages about its shape.
        self.last_request: str | None = None
        self.stats = Stats()

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings that must never appear in an error or a log line."""
        return (self._token.get_secret_value(),) if self._token.get_secret_value() else ()

    def _gitlab(self) -> Any:
        if self._client is None:
            if not self._token.get_secret_value():
                raise AuthError(f"set {TOKEN_VAR} to a GitLab access token with the 'api' scope", tracker=TRACKER)
            import gitlab

            self._client = gitlab.Gitlab(
                self.url,
                private_token=self._token.get_secret_value(),
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

        def send(timeout: float) -> tuple[int, Any, Mapping[str, str]]:
            self.stats.requests += 1
            self.stats.writes += write
            self._last = None
            try:
                response = client.http_request(
                    verb,
                    path,
                    query_data=dict(query or {}),
                    post_data=dict(body) if body is not None else None,
                    obey_rate_limit=False,
                    retry_transient_errors=False,
                    max_retries=0,
                    timeout=timeout,
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
                if not self._retrier.policy.retryable(status):
                    raise self._error(status, message, what) from None
                raise _Refused(status, message, headers) from None
            except gitlab.exceptions.RedirectError as exc:
                raise ConnectorError(f"{what}: {self.scrub(str(exc))}", tracker=TRACKER) from None

        def classify(outcome: tuple[int, Any, Mapping[str, str]] | Exception) -> Retry | None:
            if isinstance(outcome, requests.ConnectionError | requests.Timeout):
                return Retry(outcome.__class__.__name__)
            if not isinstance(outcome, _Refused):
                return None
            if outcome.status == 429:
                after = asked_wait(outcome.headers, self._clock())
                return Retry(f"rate limited (429, {outcome.message})", after=after, limited=True, sent=False)
            return Retry(f"HTTP {outcome.status}")

        def applied(last: Retry) -> tuple[int, Any, Mapping[str, str]] | None:
            assert recover is not None
            found = recover()
            return None if found is None else (201, found, {})

        def on_retry(last: Retry, wait: float) -> None:
            self.stats.retries += 1
            self.stats.waits.append(wait)
            log.info("gitlab: %s while %s; retrying in %.1f s", last.problem, what, wait)

        # A create is looked up (``recover``) before it is sent again; other writes set absolute
        # values or are refused when repeated (a link: 409), so they count as safe to repeat.
        looks = verb == "post" and recover is not None
        return self._retrier.call(
            send,
            classify,
            idempotent=not looks,
            applied=applied if looks else None,
            give_up=lambda stop: self._give_up(stop, budget, request, what),
            on_retry=on_retry,
        )

    def _give_up(self, stop: GiveUp, budget: Budget, request: str, what: str) -> BaseException:
        """The error of a request that is not tried again."""
        if stop.last.limited:
            wait = stop.wait if stop.wait is not None else stop.last.after or 0.0
            return RateLimited(
                f"{what}: GitLab asked to wait {wait:.0f} s, past the {self.config.pacing.max_total_wait:.0f} s "
                "bound (pacing.max_total_wait); try again later",
                tracker=TRACKER,
                retry_after=wait,
            )
        if stop.reason == "budget":
            setting = "[connectors.gitlab.pacing] max_total_wait"
            return budget.gave_up("GitLab", request, what, stop.last.problem, setting, TRACKER)
        return Unavailable(f"{what}: {stop.last.problem} after {stop.count} attempts", tracker=TRACKER)

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
            if raw.lstrip().startswith("<"):
                return "the answer is not JSON (an HTML page: a proxy or a sign-in page?)"
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

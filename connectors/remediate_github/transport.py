"""One PyGithub ``Requester`` with remediate's retry, pacing and rate-limit policy around it.

Why the requester and not PyGithub's objects or its ``GithubRetry``:
- lists (``PaginatedList``) never send conditional requests, and an unchanged repository
  must cost one 304 (PyGithub#536);
- ``Issue.edit`` treats any status below 400 as success, so a 307 that GitHub sends for a
  write to a transferred issue would be silently "applied" to nothing;
- ``GithubRetry`` retries POST on 5xx (a create that the server applied and then failed
  on would be duplicated), never retries PATCH, sleeps with ``time.sleep`` (a secondary
  limit costs 60 s in a test) and ends in ``requests.exceptions.RetryError``.
So PyGithub is built with ``retry=None`` and no client-side throttles, and this module
retries with :mod:`remediate.retry`: 5xx and network errors with exponential backoff (a
non-idempotent write first asks ``recover`` whether the server applied it), rate limits as
GitHub documents (which answer is one is :func:`remediate_github.ratelimit.rate_limit_wait`'s).
PyGithub still does the auth header, the base URL (GHES prefix), the same-host checks on
server-given URLs, 301 redirects and connection pooling.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from pydantic import SecretStr

from remediate import answers
from remediate.budget import Budget
from remediate.errors import AuthError, ConfigError, Unavailable
from remediate.retry import GiveUp, Retrier, Retry, RetryPolicy
from remediate_github.config import Config, Pacing
from remediate_github.edge import TOKEN_VAR, TRACKER, URL_VAR, rate_limited
from remediate_github.ratelimit import Clock, Pacer, Quota, Sleep, rate_limit_wait

log = logging.getLogger("remediate.github")

DEFAULT_API_URL = "https://api.github.com"


@dataclass
class Response:
    """One HTTP answer: status, lower-cased headers and the parsed JSON body (None if empty)."""

    status: int
    headers: Mapping[str, str]
    data: Any = None


@dataclass
class Stats:
    """What this connector sent, for benchmarks and logs."""

    requests: int = 0
    writes: int = 0
    retries: int = 0
    rate_limit_waits: list[float] = field(default_factory=list)


def api_base_url(env: Mapping[str, str]) -> str:
    """The REST API base from ``GITHUB_API_URL`` (GitHub Enterprise Server: https://HOST/api/v3)."""
    url = (env.get(URL_VAR) or DEFAULT_API_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ConfigError(
            f"{URL_VAR}={url!r} is not an API base URL: use https://api.github.com or, for "
            "GitHub Enterprise Server, https://HOST/api/v3"
        )
    return url


def policy(pacing: Pacing) -> RetryPolicy:
    """The retry policy of ``[connectors.github.pacing]``: rate limits are counted apart, and excused."""
    return RetryPolicy(
        attempts=pacing.max_attempts,
        backoff=pacing.backoff,
        max_backoff=pacing.max_backoff,
        max_wait=pacing.max_wait,
        max_total_wait=pacing.max_total_wait,
        timeout=pacing.timeout,
        rate_limit_retries=pacing.rate_limit_retries,
    )


class Transport:
    """Sends requests through PyGithub's Requester, paced, retried and rate-limit aware."""

    def __init__(
        self,
        config: Config,
        env: Mapping[str, str],
        *,
        clock: Clock,
        sleep: Sleep,
    ) -> None:
        self.base_url = api_base_url(env)
        # A SecretStr: no repr() or log line of this object can show it; read where the header is built.
        self._token = SecretStr(env[TOKEN_VAR]) if env.get(TOKEN_VAR) else None
        self._config = config
        self._pacing = config.pacing
        self._clock = clock
        self._sleep = sleep
        self._pacer = Pacer(config.pacing, clock, sleep)
        self._requester: Any = None
        self._retrier = Retrier(policy(config.pacing), clock, sleep)
        self._budgets = self._retrier.budgets
        self.quota = Quota()
        self.stats = Stats()

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings that must never appear in a message."""
        return (self._token.get_secret_value(),) if self._token else ()

    @property
    def pacing_sleep(self) -> float:
        """Seconds spent sleeping between requests because of pacing."""
        return self._pacer.slept

    def _client(self) -> Any:
        if self._requester is None:
            if not self._token:
                raise AuthError(
                    f"{TOKEN_VAR} is not set: create a token with read and write access to the "
                    f"issues of {self._config.repo} and export {TOKEN_VAR}=<token>",
                    tracker=TRACKER,
                )
            from github import Auth, Github

            # retry=None and no throttles: this class retries and paces (see module docstring).
            self._requester = Github(
                auth=Auth.Token(self._token.get_secret_value()),
                base_url=self.base_url,
                timeout=self._pacing.timeout,
                per_page=100,
                retry=None,
                seconds_between_requests=None,
                seconds_between_writes=None,
                lazy=True,
            ).requester
        return self._requester

    def request(
        self,
        verb: str,
        url: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        recover: Callable[[], Response | None] | None = None,
        shape: Any = None,
    ) -> Response:
        """Send one request; retry 5xx, network errors and rate limits; return any other answer.

        ``recover`` is for writes that must not be repeated blindly (creating an issue): after
        an ambiguous failure it looks for the result and returns it, or None to retry; without
        it a write counts as safe to repeat (PATCHes set absolute values, a label or a sub-issue
        link made twice is refused with a 422). A 2xx answer must be JSON and, when ``shape`` is
        given (a model of :mod:`remediate_github.answers`), have that shape; otherwise it is a
        one-line malformed-answer error naming the request. Retries, waits and the
        ``pacing.max_total_wait`` bound are :mod:`remediate.retry`'s; the lookups ``recover``
        makes share the bound.
        """
        with self._budgets.call() as budget:
            return self._request(budget, verb, url, what, params, body, headers, recover, shape)

    def _request(
        self,
        budget: Budget,
        verb: str,
        url: str,
        what: str,
        params: Mapping[str, Any] | None,
        body: Any,
        headers: Mapping[str, str] | None,
        recover: Callable[[], Response | None] | None,
        shape: Any,
    ) -> Response:
        client = self._client()
        request = answers.request_name(verb, url)
        limited = 0  # rate-limit answers so far: a secondary limit without retry-after doubles its wait

        def send(timeout: float) -> Response:
            budget.extend(self._await_quota(what))
            paced = self._pacer.slept
            self._pacer.before(verb)
            budget.extend(self._pacer.slept - paced)  # our own pacing is not GitHub being slow
            self.stats.requests += 1
            if verb != "GET":
                self.stats.writes += 1
            _set_timeout(client, timeout)
            try:
                status, raw_headers, text = client.requestJson(verb, url, dict(params or {}), dict(headers or {}), body)
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout):
                self._pacer.after(verb)
                raise  # classify() retries these
            except (KeyError, AttributeError, TypeError, ValueError):
                # PyGithub reads headers of the answer (a 301 without Location, ...) and fails
                # with these on a malformed one; the details name its internals, not the answer.
                self._pacer.after(verb)
                raise answers.malformed(TRACKER, request, "PyGithub could not read it", what=what) from None
            self._pacer.after(verb)
            answer = Response(status, {k.lower(): str(v) for k, v in raw_headers.items()})
            try:
                answer.data = _parse(status, text, request, what, shape)
            except answers.Malformed:
                # A create that answered garbage may still have been applied: look before failing.
                found = recover() if recover is not None else None
                if found is None:
                    raise
                log.info("%s: the answer was malformed, but the write had been applied; adopted it", what)
                return found
            self.quota = Quota.from_headers(answer.headers, self.quota)
            return answer

        def classify(outcome: Response | Exception) -> Retry | None:
            nonlocal limited
            if isinstance(outcome, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
                return Retry(outcome.__class__.__name__)
            if isinstance(outcome, Exception):
                return None
            wait = rate_limit_wait(
                outcome.status, outcome.headers, outcome.data, now=self._clock(), pacing=self._pacing, hits=limited
            )
            if wait is not None:
                limited += 1
                message = f"GitHub {wait.kind} rate limit while {what} ({wait.message})"
                return Retry(message, after=wait.seconds, limited=True, sent=False)
            return Retry(f"HTTP {outcome.status}") if outcome.status >= 500 else None

        def applied(last: Retry) -> Response | None:
            # The server may have applied a write before failing: look before sending it again.
            found = recover() if recover is not None else None
            if found is not None:
                log.info("%s: %s, but the write had been applied; adopted it", what, last.problem)
            return found

        return self._retrier.call(
            send,
            classify,
            idempotent=recover is None,
            applied=applied if recover is not None else None,
            give_up=lambda stop: _give_up(stop, budget, request, what),
            on_retry=lambda last, wait: self._on_retry(last, wait, what, verb, url),
        )

    def _on_retry(self, last: Retry, wait: float, what: str, verb: str, url: str) -> None:
        if last.limited:
            log.warning("%s: waiting %.0f s before retrying", last.problem, wait)
            self.stats.rate_limit_waits.append(wait)  # told to wait: bounded by max_wait, not max_total_wait
        else:
            log.warning("%s: %s on %s %s, retrying in %.1f s", what, last.problem, verb, url, wait)
            self.stats.retries += 1

    def _await_quota(self, what: str) -> float:
        # Honour x-ratelimit-remaining: 0 before sending, instead of collecting a 403.
        quota = self.quota
        if quota.remaining != 0 or quota.reset is None:
            return 0.0
        wait = quota.reset - self._clock() + 1.0
        if wait <= 0:
            return 0.0
        message = f"GitHub primary rate limit used up while {what} (0 of {quota.limit} left)"
        if wait > self._pacing.max_wait:
            raise rate_limited(message, wait)
        log.warning("%s: waiting %.0f s for the window to reset", message, wait)
        self.stats.rate_limit_waits.append(wait)
        self._sleep(wait)
        self.quota = Quota()
        return wait


def _give_up(stop: GiveUp, budget: Budget, request: str, what: str) -> BaseException:
    """The error of a request that is not tried again."""
    if stop.last.limited:  # too many, or longer than max_wait
        return rate_limited(stop.last.problem, stop.last.after)
    if stop.reason == "budget":
        setting = "[connectors.github.pacing] max_total_wait"
        return budget.gave_up("GitHub", request, what, stop.last.problem, setting, TRACKER)
    return Unavailable(
        f"GitHub kept failing ({stop.last.problem}) while {what}, {stop.count} attempts: try again "
        "later (https://www.githubstatus.com shows GitHub's own incidents)",
        tracker=TRACKER,
    )


def _parse(status: int, text: str, request: str, what: str, shape: Any) -> Any:
    """The JSON of an answer: checked when it is a success, a dict (maybe empty) when not."""
    if 200 <= status < 300:
        data = answers.decode(text, tracker=TRACKER, request=request, status=status, what=what)
        if shape is not None and status != 204:
            answers.check(shape, data, tracker=TRACKER, request=request, what=what)
        return data
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return {}  # a proxy's error page: its words are not GitHub's, and may echo the request
    return data if isinstance(data, dict) else {}


def _set_timeout(requester: Any, seconds: float) -> None:
    """Set the timeout of PyGithub's next request (it keeps one on its reused connection)."""
    requester._Requester__timeout = seconds
    connection = getattr(requester, "_Requester__connection", None)
    if connection is not None:
        connection.timeout = seconds

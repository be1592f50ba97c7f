"""The one edge between the connector and Jira: requests, retries and error translation.

Every call to Jira, through the ``jira`` library or through its session, goes through
:meth:`Transport.call`. It retries what can safely be retried and turns every
``jira.JIRAError`` and ``requests`` exception into a :mod:`remediate.errors` exception whose
message says what to do.

The library's own ``ResilientSession`` retry is switched off (``max_retries=0``): it retries
POSTs too (so a bulk create that succeeded but answered 503 would run twice), parses
``Retry-After`` with ``int()`` (an HTTP-date raises) and sleeps with ``time.sleep`` that tests
cannot steer. Here the loop is :mod:`remediate.retry`'s, the sleep is injected and writes that
may have been applied are never replayed blindly: they surface as :class:`MaybeApplied` so the
caller can look first.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from jira.exceptions import JIRAError
from pydantic import SecretStr

from remediate import answers
from remediate.budget import Budget
from remediate.errors import (
    AuthError,
    Conflict,
    ConnectorError,
    NotFound,
    RateLimited,
    Unavailable,
)
from remediate.retry import GiveUp, Retrier, Retry, RetryPolicy, retry_after
from remediate.secrets import scrub, scrub_error

log = logging.getLogger("remediate.jira")
T = TypeVar("T")

#: First backoff step when Jira gives no usable Retry-After (missing, 0 or garbage).
BACKOFF_BASE = 1.0
# Statuses worth another try. 502/504 come from proxies in front of Data Center.
_TRANSIENT = frozenset({502, 503, 504})


class MaybeApplied(Unavailable):
    """A write failed in a way that does not prove Jira ignored it (5xx, lost connection)."""

    def __init__(
        self,
        message: str,
        *,
        tracker: str | None = None,
        retry_after: float | None = None,
        transient: bool = True,
        problem: str = "no answer",
    ) -> None:
        super().__init__(message, tracker=tracker)
        self.retry_after = retry_after
        self.transient = transient
        self.problem = problem  # a few words for "last attempt: ...": timeout, HTTP 503, ...


class Rejected(Conflict):
    """Jira refused a request as invalid (4xx); keeps Jira's own error lists for the caller."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        messages: list[str],
        errors: Mapping[str, str],
        body: Any = None,
    ) -> None:
        super().__init__(message, tracker="jira")
        self.status = status
        self.messages = messages
        self.errors = dict(errors)
        self.body = body


def error_details(response: requests.Response | None) -> tuple[list[str], dict[str, str]]:
    """Jira's ``errorMessages`` and per-field ``errors`` from an error response."""
    if response is None:
        return [], {}
    try:
        body = response.json()
    except ValueError:
        # A proxy's or a load balancer's page: not Jira's words, and it may echo the request.
        return (["the answer is not JSON"] if (response.content or b"").strip() else []), {}
    if not isinstance(body, dict):
        return [], {}
    messages = body.get("errorMessages") or []
    if isinstance(messages, str):
        messages = [messages]
    for key in ("message", "errorMessage"):
        if isinstance(body.get(key), str):
            messages = [*messages, body[key]]
    errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
    return [str(m) for m in messages], {str(k): str(v) for k, v in (errors or {}).items()}


def describe(messages: list[str], errors: Mapping[str, str]) -> str:
    """One line out of Jira's error lists."""
    parts = [*messages, *(f"{field}: {message}" for field, message in errors.items())]
    return "; ".join(parts) or "no details given"


class Transport:
    """Calls into Jira with bounded retries, an injected sleep and translated errors."""

    def __init__(
        self,
        *,
        server: str,
        session: requests.Session,
        api_version: int,
        credential_vars: str,
        secrets: Sequence[str] = (),
        max_retries: int = 4,
        max_wait: float = 60.0,
        timeout: float = 30.0,
        max_total_wait: float = 45.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.server = server
        self.session = session
        self.api_version = api_version
        self.credential_vars = credential_vars
        # Jira's answers may echo the request (credentials): every message is scrubbed of these,
        # held as SecretStr so that no repr() of the transport shows one.
        self._secrets = tuple(SecretStr(secret) for secret in secrets)
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.timeout = timeout
        self.max_total_wait = max_total_wait
        self.sleep = sleep
        self.clock = clock
        policy = RetryPolicy(
            attempts=max_retries + 1,  # rate limits and failures share the count
            backoff=BACKOFF_BASE,
            max_backoff=max_wait,
            max_wait=max_wait,
            max_total_wait=max_total_wait,
            timeout=timeout,
        )
        # Through lambdas: tests and the fault campaign swap ``sleep`` on a built transport.
        self.retrier = Retrier(policy, self._seconds, lambda seconds: self.sleep(seconds))
        self.budgets = self.retrier.budgets

    @property
    def secrets(self) -> tuple[str, ...]:
        """The strings no message may contain."""
        return tuple(secret.get_secret_value() for secret in self._secrets)

    def url(self, path: str) -> str:
        """Absolute URL of a REST resource in the configured API version."""
        return f"{self.server}/rest/api/{self.api_version}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotent: bool = True,
        shape: Any = None,
    ) -> Any:
        """Send one REST request through the library's session; return the parsed JSON or None.

        The answer must be JSON (or empty) and, when ``shape`` is given (a model of
        :mod:`remediate_jira.answers`), have that shape; otherwise :class:`answers.Malformed`.
        """
        url = path if path.startswith("http") else self.url(path)
        request = answers.request_name(method, url)

        during = f"trying to {what}"

        def send() -> Any:
            try:
                response = self.session.request(
                    method,
                    url,
                    params=dict(params) if params else None,
                    data=json.dumps(body) if body is not None else None,
                )
            except requests.RequestException:
                raise  # translate() words these (some are ValueErrors too)
            except (KeyError, AttributeError, TypeError, ValueError):
                # The jira library reads error bodies itself (parse_errors does ``"message" in
                # body``, ``len(errorMessages)``) and fails like this on a malformed one.
                raise answers.malformed("jira", request, "the jira library could not read it", what=during) from None
            status = response.status_code
            data = answers.decode(response.content, tracker="jira", request=request, status=status, what=during)
            if shape is not None and status != 204:
                answers.check(shape, data, tracker="jira", request=request, what=during)
            return data

        return self.call(what, send, idempotent=idempotent, request=request)

    def budget(self) -> Budget:
        """A new total-wait budget (``max_total_wait``), on the transport's clock."""
        return Budget(self._seconds, self.max_total_wait)

    def _seconds(self) -> float:
        return self.clock().timestamp()

    def gave_up(self, budget: Budget, request: str | None, what: str, err: ConnectorError) -> ConnectorError:
        """The one line for a call whose budget ran out; ``err`` is the last failure."""
        problem = err.problem if isinstance(err, MaybeApplied) else err.__class__.__name__
        return budget.gave_up(
            "Jira", request or self.server, f"trying to {what}", problem, "[connectors.jira] max_total_wait", "jira"
        )

    def call(self, what: str, fn: Callable[[], T], *, idempotent: bool = True, request: str | None = None) -> T:
        """Run ``fn`` (one Jira request), retrying 429s always and other transient faults if safe.

        ``what`` completes "while trying to ..." in messages. Non-idempotent calls are retried
        only on 429, which Jira sends before doing anything; other faults raise MaybeApplied.
        All attempts and the waits between them stay within ``max_total_wait`` (waits a 429
        asks for are bounded by ``max_wait`` instead); each attempt's timeout shrinks to
        what is left. ``request`` (``GET /rest/api/2/search``) names the call when it gives up.
        The loop is :mod:`remediate.retry`'s; which errors are worth another try is decided here.
        """

        def send(timeout: float) -> T:
            self.session.timeout = timeout  # type: ignore[attr-defined]
            with self.translate(what):
                return fn()

        def classify(outcome: T | Exception) -> Retry | None:
            if isinstance(outcome, RateLimited):
                return Retry("RateLimited", after=outcome.retry_after, limited=True, sent=False, error=outcome)
            if isinstance(outcome, MaybeApplied):
                # An idempotent request may be sent again after any 5xx, a 500 included: Data
                # Center answers 500 for passing trouble too, and a recovery that reads issues
                # one by one must not end a whole sync on the first of them (fault campaign).
                # ``transient`` only decides whether a write that may have been applied is retried
                # (the connector's bulk create does that, after looking).
                return Retry(outcome.problem, after=outcome.retry_after, error=outcome)
            return None

        def give_up(stop: GiveUp) -> BaseException:
            err = stop.last.error
            assert isinstance(err, ConnectorError)
            if stop.reason == "attempts":
                return self._gave_up(err, what, stop.count - 1)
            if stop.reason == "budget":
                return self.gave_up(stop.budget, request, what, err)
            return err  # a Retry-After past max_wait, or a write that may have been applied: the caller's

        def on_retry(last: Retry, wait: float) -> None:
            log.info("Jira: %s while trying to %s; retrying in %.1fs", last.error, what, wait)

        return self.retrier.call(send, classify, idempotent=idempotent, give_up=give_up, on_retry=on_retry)

    def delay(self, retry_after: float | None, attempt: int) -> float | None:
        """Seconds to wait before retry ``attempt``; None when Retry-After exceeds max_wait."""
        return self.retrier.policy.wait(retry_after, attempt)

    def _gave_up(self, err: ConnectorError, what: str, attempts: int) -> ConnectorError:
        if isinstance(err, RateLimited):
            return RateLimited(
                f"Jira still rate-limits us after {attempts} retries while trying to {what}; "
                "wait a few minutes and run again",
                tracker="jira",
                retry_after=err.retry_after,
            )
        return Unavailable(
            f"Jira kept failing after {attempts} retries while trying to {what} ({err.args[0]}); run again later",
            tracker="jira",
        )

    @contextmanager
    def translate(self, what: str) -> Iterator[None]:
        """Turn ``jira``/``requests`` exceptions raised inside into remediate errors."""
        error: ConnectorError
        try:
            yield
        except answers.Malformed:
            raise
        except JIRAError as exc:
            error = self._from_jira_error(exc, what)
        except requests.Timeout:
            error = MaybeApplied(
                f"Jira at {self.server} did not answer in time while trying to {what}; "
                "check the site or raise [connectors.jira] timeout",
                tracker="jira",
                problem="timeout",
            )
        except requests.ConnectionError as exc:
            error = MaybeApplied(
                f"cannot reach Jira at {self.server} while trying to {what} "
                f"({exc.__class__.__name__}); check the URL and the network",
                tracker="jira",
                problem=exc.__class__.__name__,
            )
        except requests.RequestException as exc:
            error = Unavailable(
                f"request to Jira failed while trying to {what} ({exc.__class__.__name__})",
                tracker="jira",
            )
        else:
            return
        # JIRAError's str() prints the request headers, Authorization included: drop the
        # chained exception so no traceback (even under --debug) can show a secret.
        error.__suppress_context__ = True
        raise scrub_error(error, self.secrets)

    def _from_jira_error(self, exc: JIRAError, what: str) -> ConnectorError:
        status = exc.status_code
        response = exc.response if isinstance(exc.response, requests.Response) else None
        messages, errors = error_details(response)
        messages = [scrub(m, self.secrets) for m in messages]
        errors = {k: scrub(v, self.secrets) for k, v in errors.items()}
        detail = describe(messages, errors)
        exc.request = None  # see translate(): never keep the Authorization header around
        asked = retry_after(response.headers, self._seconds()) if response is not None else None
        if status == 401:
            return AuthError(
                f"Jira at {self.server} refused the credentials (401) while trying to {what}: "
                f"check {self.credential_vars}",
                tracker="jira",
                status=status,
            )
        if status == 403:
            return AuthError(
                f"Jira refused to {what} (403: {detail}): give the account of "
                f"{self.credential_vars} the permission, or check the project",
                tracker="jira",
                status=status,
            )
        if status == 404:
            return NotFound(f"Jira could not {what}: {detail} (404)", tracker="jira", status=status)
        if status == 410:
            return Unavailable(
                f"Jira removed the API used to {what} (410: {detail}); if this is Jira Cloud set "
                '[connectors.jira] deployment = "cloud"',
                tracker="jira",
                status=status,
            )
        if status == 429:
            return RateLimited(
                f"Jira rate limit hit while trying to {what}",
                tracker="jira",
                retry_after=asked,
            )
        if status is not None and status >= 500:
            return MaybeApplied(
                f"Jira failed with HTTP {status} while trying to {what}: {detail}",
                tracker="jira",
                retry_after=asked,
                transient=status in _TRANSIENT,
                problem=f"HTTP {status}",
            )
        if status is None:
            return Unavailable(f"Jira client error while trying to {what}", tracker="jira")
        try:
            body = response.json() if response is not None else None
        except ValueError:
            body = None
        return Rejected(
            f"Jira rejected the request to {what} ({status}: {detail})",
            status=status,
            messages=messages,
            errors=errors,
            body=body,
        )

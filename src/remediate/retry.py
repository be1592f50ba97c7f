"""The one retry loop for every call remediate makes to a server: the trackers and the digest webhooks.

A caller gives :func:`Retrier.call` three things: ``send`` (one attempt, given its timeout),
``classify`` (the caller's reading of an outcome: a :class:`Retry` when it is worth another try,
None when it is final) and, for a write that must not be repeated blindly, ``applied`` (a lookup:
did the write land after all?). Which answers are rate limits, and which are transient, is the
caller's to say: GitHub's 403 with ``x-ratelimit-remaining: 0`` is one, Jira's 403 is not. The
loop owns everything else, the same way for every caller:

- how long to wait: what the server asked for (``Retry-After``, seconds or an HTTP-date; 0 is
  no advice), else exponential backoff (``backoff`` doubling up to ``max_backoff``, jitter off
  unless asked for, its random source injectable); a wait longer than ``max_wait`` gives up at once;
- how often: ``attempts`` sends for failures; rate limits count among them, or separately when
  ``rate_limit_retries`` is set;
- how long in all: every attempt and backoff stays within ``max_total_wait``
  (:mod:`remediate.budget`); each attempt's timeout shrinks to what is left; waits a server asks
  for with a rate limit are excused (they are bounded by ``max_wait``) unless
  ``excuse_rate_limits`` is off;
- writes: a failure that may have reached the server (a 5xx, a timeout, a reset connection) is
  never resent for a non-idempotent call without an ``applied`` hook; with one, the hook is asked
  before each resend and before giving up, and what it finds is the answer;
- sleeping and time: injected, so tests and benchmarks never really wait.

Giving up is one error, the caller's words (``give_up``) or :func:`default_give_up`'s.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Literal, TypeVar

from remediate.budget import Budget, Budgets
from remediate.errors import RateLimited, Unavailable

T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], None]

#: 429 and every 5xx: what an HTTP caller retries unless it says otherwise.
RETRY_STATUSES = frozenset({429, *range(500, 600)})


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, whatever the case of its name in ``headers`` (a dict or requests' headers)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds a ``Retry-After`` value asks for: delta-seconds or an HTTP-date, never negative.

    None when there is no value or it is neither (garbage, ``inf``): the caller backs off instead.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, says RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """The ``Retry-After`` header of an answer in seconds (see :func:`parse_retry_after`); ``now``: epoch seconds."""
    return parse_retry_after(header(headers, "Retry-After"), now)


@dataclass(frozen=True)
class RetryPolicy:
    """How often, how long and how far apart a call is tried."""

    attempts: int = 3  # sends, the first included, for failures (and rate limits, unless counted apart)
    backoff: float = 1.0  # the first wait without advice from the server; doubles each time
    max_backoff: float = 30.0
    max_wait: float = 60.0  # the longest wait a server may ask for; longer gives up at once
    max_total_wait: float = 45.0  # see remediate.budget
    timeout: float = 30.0  # of one attempt (less when the budget runs out)
    rate_limit_retries: int | None = None  # None: a rate limit is one of ``attempts``
    excuse_rate_limits: bool = True  # waits a server asked for do not spend the budget
    retry_statuses: frozenset[int] = RETRY_STATUSES
    jitter: float = 0.0  # 0.25: each backoff is up to 25 % shorter, at random
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def retryable(self, status: int) -> bool:
        """Whether an HTTP status is worth another try."""
        return status in self.retry_statuses

    def backoff_for(self, retries: int) -> float:
        """The wait before retry ``retries + 1`` when the server gave no advice."""
        wait = min(self.max_backoff, self.backoff * 2.0**retries)
        return wait * (1.0 - self.jitter * self.random()) if self.jitter else wait

    def wait(self, after: float | None, retries: int) -> float | None:
        """The wait before the next retry: ``after`` (what the server asked) or backoff; None past ``max_wait``."""
        # Retry-After: 0 is common (Jira Cloud) and retrying at once only earns another refusal,
        # so 0 counts as no advice.
        if after is not None and after > 0:
            return after if after <= self.max_wait else None
        return self.backoff_for(retries)


@dataclass(frozen=True)
class Retry:
    """A classifier's verdict on one attempt: it failed, in a way worth another try."""

    problem: str  # a few words for messages: "HTTP 503", "ReadTimeout"
    after: float | None = None  # seconds the server asked for; None or 0: no advice
    limited: bool = False  # a rate limit
    sent: bool = True  # the request may have reached the server: a write may have been applied
    error: BaseException | None = None  # what to raise when this is where it ends


Reason = Literal["attempts", "rate_limits", "too_long", "budget", "unsafe"]


@dataclass(frozen=True)
class GiveUp:
    """Why a call stops retrying, for the caller's one line.

    ``attempts``/``rate_limits``: the count ran out; ``too_long``: the server asked for more than
    ``max_wait``; ``budget``: the wait would end past ``max_total_wait``; ``unsafe``: a write that
    may have been applied, and no ``applied`` hook to look.
    """

    reason: Reason
    last: Retry
    count: int  # failures (or rate limits, when counted apart) so far, this one included
    wait: float | None  # the wait that was not started (None: longer than max_wait, see last.after)
    budget: Budget
    policy: RetryPolicy


def default_give_up(stop: GiveUp) -> BaseException:
    """The last failure's own error, else a generic RateLimited or Unavailable line."""
    if stop.last.error is not None:
        return stop.last.error
    if stop.last.limited:
        return RateLimited(
            f"still rate limited ({stop.last.problem}) after {stop.count} answers: try again later",
            retry_after=stop.last.after,
        )
    if stop.reason == "budget":
        return Unavailable(
            f"no answer within {stop.budget.limit:g} s (last attempt: {stop.last.problem}): try again later"
        )
    return Unavailable(f"kept failing ({stop.last.problem}), {stop.count} attempts: try again later")


def _stop_reason(
    unsafe: bool, exhausted: bool, rate_limited: bool, wait: float | None, excused: bool, budget: Budget
) -> Reason | None:
    """Why a call stops instead of waiting ``wait`` and trying again, or None: it tries again.

    ``unsafe``: a write that may have landed and cannot be looked up; ``exhausted``: no retries
    left (of rate limits when ``rate_limited``, else of attempts); ``excused``: the wait is a
    rate limit the policy does not charge to the budget.
    """
    if unsafe:
        return "unsafe"
    if exhausted:
        return "rate_limits" if rate_limited else "attempts"
    if wait is None:
        return "too_long"
    if not excused and budget.exceeded(wait):
        return "budget"
    return None


@dataclass
class Retrier:
    """One policy, clock and sleep; :meth:`call` runs one call, inside the shared budget."""

    policy: RetryPolicy
    clock: Clock
    sleep: Sleep
    budgets: Budgets = field(init=False)

    def __post_init__(self) -> None:
        self.budgets = Budgets(self.clock, self.policy.max_total_wait)

    def call(
        self,
        send: Callable[[float], T],
        classify: Callable[[T | Exception], Retry | None],
        *,
        idempotent: bool = True,
        applied: Callable[[Retry], T | None] | None = None,
        give_up: Callable[[GiveUp], BaseException] = default_give_up,
        on_retry: Callable[[Retry, float], None] | None = None,
    ) -> T:
        """Send until ``classify`` says the outcome is final; see the module docstring.

        ``send(timeout)`` makes one attempt. ``classify`` sees what it returned or raised:
        None returns it (or raises it again). ``on_retry(verdict, wait)`` runs before each wait
        (log lines, counters). A call made during another (``applied``'s lookups) shares its budget.
        """
        with self.budgets.call() as budget:
            return self._run(budget, send, classify, idempotent, applied, give_up, on_retry)

    def _run(
        self,
        budget: Budget,
        send: Callable[[float], T],
        classify: Callable[[T | Exception], Retry | None],
        idempotent: bool,
        applied: Callable[[Retry], T | None] | None,
        give_up: Callable[[GiveUp], BaseException],
        on_retry: Callable[[Retry, float], None] | None,
    ) -> T:
        policy = self.policy
        failures = limits = 0
        while True:
            try:
                outcome = send(budget.timeout(policy.timeout))
            except Exception as exc:
                verdict = classify(exc)
                if verdict is None:
                    raise
            else:
                verdict = classify(outcome)
                if verdict is None:
                    return outcome
            apart = verdict.limited and policy.rate_limit_retries is not None
            if apart:
                retries, allowed = limits, policy.rate_limit_retries or 0
                limits += 1
            else:
                retries, allowed = failures, policy.attempts - 1
                failures += 1
            risky = verdict.sent and not idempotent
            wait = policy.wait(verdict.after, retries)
            excused = verdict.limited and policy.excuse_rate_limits
            reason = _stop_reason(risky and applied is None, retries >= allowed, apart, wait, excused, budget)
            if reason is not None:
                if risky and applied is not None:
                    found = applied(verdict)  # it may have landed: the last chance to know
                    if found is not None:
                        return found
                raise give_up(GiveUp(reason, verdict, retries + 1, wait, budget, policy)) from None
            assert wait is not None
            if on_retry is not None:
                on_retry(verdict, wait)
            self.sleep(wait)
            if excused:
                budget.extend(wait)
            if risky and applied is not None:
                found = applied(verdict)
                if found is not None:
                    return found

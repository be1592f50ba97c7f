"""Pacing and rate-limit arithmetic: when to send the next request, how long to wait after a 403/429.

Everything takes an injected clock and sleep, so tests and benchmarks never really wait.

GitHub's rules (docs "Rate limits for the REST API", "Best practices"):
- primary limit: 403 or 429 with ``x-ratelimit-remaining: 0``; wait until ``x-ratelimit-reset``;
- secondary limit: 403 or 429 with a "secondary rate limit" message; honour ``retry-after`` when
  present, else wait at least a minute, longer each time;
- writes: "wait at least one second between each" POST/PATCH/PUT/DELETE.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from github.Requester import Requester

from remediate.retry import retry_after
from remediate_github.config import Pacing

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class Pacer:
    """Keeps ``request_interval`` between requests and ``write_interval`` between writes."""

    def __init__(self, pacing: Pacing, clock: Clock, sleep: Sleep) -> None:
        self._pacing = pacing
        self._clock = clock
        self._sleep = sleep
        self._last_request: float | None = None
        self._last_write: float | None = None
        self.slept = 0.0  # total pacing sleep, for benchmarks

    def before(self, verb: str) -> None:
        """Sleep as long as needed before sending a ``verb`` request."""
        now = self._clock()
        ready = now
        if self._last_request is not None:
            ready = max(ready, self._last_request + self._pacing.request_interval)
        if verb != "GET" and self._last_write is not None:
            ready = max(ready, self._last_write + self._pacing.write_interval)
        if ready > now:
            self.slept += ready - now
            self._sleep(ready - now)

    def after(self, verb: str) -> None:
        """Record that a ``verb`` request just finished (GitHub counts from the end)."""
        now = self._clock()
        self._last_request = now
        if verb != "GET":
            self._last_write = now


@dataclass(frozen=True)
class Quota:
    """The primary rate-limit window GitHub reported last."""

    remaining: int | None = None
    limit: int | None = None
    reset: float | None = None  # epoch seconds
    resource: str | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], previous: Quota) -> Quota:
        """Read ``x-ratelimit-*``; keep the previous values for headers a response lacks."""

        def number(name: str) -> int | None:
            value = headers.get(name)
            try:
                return int(float(value)) if value is not None else None
            except ValueError:
                return None

        remaining = number("x-ratelimit-remaining")
        if remaining is None:
            return previous
        reset = number("x-ratelimit-reset")
        return cls(
            remaining=remaining,
            limit=number("x-ratelimit-limit"),
            reset=float(reset) if reset is not None else None,
            resource=headers.get("x-ratelimit-resource"),
        )


@dataclass(frozen=True)
class Wait:
    """A rate-limit answer: which limit, and how long to wait before trying again."""

    kind: Literal["primary", "secondary"]
    seconds: float
    message: str


def rate_limit_wait(
    status: int,
    headers: Mapping[str, str],
    data: Any,
    *,
    now: float,
    pacing: Pacing,
    hits: int,
) -> Wait | None:
    """How long to wait if this response is a rate-limit answer; None for anything else.

    ``hits`` counts the rate-limit answers already received for this request, so that
    secondary limits without ``retry-after`` back off exponentially (60 s, 120 s, ...).
    """
    if status not in (403, 429):
        return None
    message = str(data.get("message") or "") if isinstance(data, dict) else ""
    after = retry_after(headers, now)
    remaining = headers.get("x-ratelimit-remaining")
    if Requester.isPrimaryRateLimitError(message) or (remaining == "0" and after is None):
        reset = headers.get("x-ratelimit-reset")
        seconds = after if after is not None else pacing.secondary_wait
        if reset is not None and reset.isdigit():
            # +1 s: GitHub does not say when within that second the window resets.
            seconds = max(0.0, int(reset) - now) + 1.0
        return Wait("primary", seconds, message or "API rate limit exceeded")
    if after is not None:
        return Wait("secondary", after, message or "secondary rate limit")
    if Requester.isSecondaryRateLimitError(message) or status == 429:
        return Wait("secondary", pacing.secondary_wait * (2**hits), message or "too many requests")
    return None  # a 403 that is a permission problem, not a limit

"""The bounded total wait of one tracker call, shared by every connector's transport.

One call to a tracker may take several attempts (timeouts, 5xx, dropped connections) with
backoff between them. A :class:`Budget` keeps the time they take, all together, within the
connector's ``max_total_wait`` (45 s by default): each attempt's timeout shrinks to what is
left, no backoff is started that would end past the bound, and giving up is one line naming
the request. Waits a tracker asks for with a rate limit are the connector's to count: GitHub
and Jira bound them separately (``max_wait``) and call :meth:`Budget.extend` for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from remediate.errors import Unavailable

#: The shortest timeout an attempt gets, however little of the budget is left.
MIN_TIMEOUT = 0.1


class Budget:
    """The clock of one call: started on creation, measured with the connector's clock."""

    def __init__(self, clock: Callable[[], float], limit: float) -> None:
        self._clock = clock
        self.limit = limit
        self._start = clock()
        self._excused = 0.0

    def spent(self) -> float:
        """Seconds this call has taken so far, rate-limit waits excused."""
        return self._clock() - self._start - self._excused

    def remaining(self) -> float:
        """Seconds left before the bound."""
        return max(0.0, self.limit - self.spent())

    def timeout(self, per_attempt: float) -> float:
        """The timeout of the next attempt: the configured one, or what is left if less."""
        return max(MIN_TIMEOUT, min(per_attempt, self.remaining()))

    def extend(self, seconds: float) -> None:
        """Do not count ``seconds`` (a wait the tracker asked for, bounded elsewhere)."""
        self._excused += max(0.0, seconds)

    def exceeded(self, wait: float = 0.0) -> bool:
        """Whether waiting ``wait`` more seconds and trying again would pass the bound."""
        return self.spent() + wait >= self.limit

    def gave_up(self, name: str, request: str, what: str, problem: str, setting: str, tracker: str) -> Unavailable:
        """The one line for a call that used up its budget (``problem``: the last failure)."""
        return Unavailable(
            f"{name} did not answer within {self.limit:g} s ({request}; last attempt: {problem}) while {what}: "
            f"try again later, or raise {setting}",
            tracker=tracker,
        )


class Budgets:
    """Hands out one :class:`Budget` per call; a call made during another shares its budget.

    A write that failed ambiguously is looked up (``recover``) before it is sent again; those
    lookups are part of the same call, so they spend the same budget rather than a new one.
    """

    def __init__(self, clock: Callable[[], float], limit: float) -> None:
        self._clock = clock
        self.limit = limit
        self._active: Budget | None = None

    @contextmanager
    def call(self, budget: Budget | None = None) -> Iterator[Budget]:
        """The active budget, else ``budget`` or a new one, active for the block."""
        if self._active is not None:
            yield self._active
            return
        self._active = budget if budget is not None else Budget(self._clock, self.limit)
        try:
            yield self._active
        finally:
            self._active = None

"""Seeded random faults for the fakes: one :class:`Chaos` decides, per request, what goes wrong.

Each fake (github.py, jira.py, gitlab.py) has a ``chaos`` attribute, None by default. When set,
the fake asks :meth:`Chaos.decide` about every request before handling it and carries the
decision out in its own dialect (its error bodies, its way of dropping a connection):

- ``500``, ``502``, ``503``: a server error, nothing applied;
- ``429-retry-after``: a rate-limit answer with ``Retry-After`` (``retry_after`` seconds);
- ``429``: a rate-limit answer without ``Retry-After``;
- ``reset``: the connection is closed without an answer, nothing applied;
- ``applied-5xx``: the write is applied, then the answer is a 500 or a 503;
- ``applied-drop``: the write is applied, then the connection is closed without an answer;
- ``timeout`` (off unless listed): the write is applied, then the answer is held for ``timeout``
  real seconds (longer than the client waits) and the connection closed; the fake's lock is held
  meanwhile, so a retry or a lookup of the client sees the write;
- ``late-apply`` (off unless listed): the request is held for ``timeout`` real seconds, then
  applied and the connection closed: the server finishes a write after the client gave up on it
  (and after whatever the client did next). No client can be exactly-once against that without
  an idempotency key; tests/test_fault_campaign.py shows what GitHub's connector does.

Applied-then-lost faults only hit writes (a lost answer to a read is just a reset). The same
seed gives the same sequence of decisions for the same sequence of requests, so a failing
campaign can be replayed; ``counts`` says what was injected, by kind.

``kill_after``/``on_kill``: at the N-th request the callback runs (the campaign SIGKILLs the
client there) and the request is applied first when ``kill_applied`` (the client dies with its
write done but unrecorded) or not at all; either way the connection is dropped.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

KINDS: tuple[str, ...] = (
    "500",
    "502",
    "503",
    "429-retry-after",
    "429",
    "reset",
    "applied-5xx",
    "applied-drop",
    "timeout",
    "late-apply",
)
#: Every kind but the two that cost real seconds (the client's own timeout).
DEFAULT_KINDS: tuple[str, ...] = tuple(kind for kind in KINDS if kind not in ("timeout", "late-apply"))
_APPLIED = frozenset({"applied-5xx", "applied-drop", "timeout", "late-apply"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Decision:
    """What to do with one request: answer ``status`` (0: drop the connection), after applying it if ``apply``."""

    kind: str
    status: int
    apply: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # real seconds to hold the request: after applying it, under the fake's lock
    late: bool = False  # hold it before applying it instead, outside the lock (``late-apply``)

    @property
    def drop(self) -> bool:
        """Close the connection instead of answering."""
        return self.status == 0


class Chaos:
    """Decides, per request and reproducibly from ``seed``, whether and how it fails."""

    def __init__(
        self,
        rate: float,
        seed: int,
        kinds: Sequence[str] = DEFAULT_KINDS,
        *,
        retry_after: str = "1",
        timeout: float = 2.0,
        kill_after: int | None = None,
        on_kill: Callable[[], None] | None = None,
        kill_applied: bool = True,
        match: Callable[[str, str], bool] | None = None,
        limit: int | None = None,
    ) -> None:
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {', '.join(KINDS)}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate is a probability between 0 and 1")
        self.rate = rate
        self.seed = seed
        self.kinds = tuple(kinds)
        self.retry_after = retry_after
        self.timeout = timeout
        self.kill_after = kill_after
        self.on_kill = on_kill
        self.kill_applied = kill_applied
        self.match = match  # only requests (method, path) it accepts may fail
        self.limit = limit  # at most this many faults in all
        self.random = random.Random(seed)
        self.requests = 0  # every request asked about
        self.writes = 0
        self.counts: Counter[str] = Counter()
        self.killed = False
        self.enabled = True  # False: count requests, inject nothing
        self._lock = threading.Lock()

    @property
    def injected(self) -> int:
        """Faults injected so far, all kinds."""
        return sum(self.counts.values())

    def decide(self, method: str, path: str) -> Decision | None:
        """The fault for this request, or None to answer it normally."""
        with self._lock:
            self.requests += 1
            write = method.upper() in WRITES
            self.writes += write
            if self.kill_after is not None and self.requests == self.kill_after and not self.killed:
                self.killed = True
                if self.on_kill is not None:
                    self.on_kill()
                self.counts["kill"] += 1
                return Decision("kill", 0, apply=self.kill_applied and write)
            if self.killed:  # the client is gone; anything else is a late packet: drop it
                return Decision("after-kill", 0)
            # Draw both numbers every time so that the sequence depends on the request count only.
            roll, pick = self.random.random(), self.random.random()
            if not self.enabled or roll >= self.rate:
                return None
            if self.match is not None and not self.match(method.upper(), path):
                return None
            if self.limit is not None and self.injected >= self.limit:
                return None
            usable = [k for k in self.kinds if write or k not in _APPLIED]
            if not usable:
                return None
            kind = usable[int(pick * len(usable)) % len(usable)]
            self.counts[kind] += 1
            return self._decision(kind)

    def _decision(self, kind: str) -> Decision:
        if kind in ("500", "502", "503"):
            return Decision(kind, int(kind))
        if kind == "429-retry-after":
            return Decision(kind, 429, headers={"Retry-After": self.retry_after})
        if kind == "429":
            return Decision(kind, 429)
        if kind == "reset":
            return Decision(kind, 0)
        if kind == "applied-5xx":
            return Decision(kind, 500 if self.random.random() < 0.5 else 503, apply=True)
        if kind == "applied-drop":
            return Decision(kind, 0, apply=True)
        if kind == "late-apply":
            return Decision(kind, 0, apply=True, delay=self.timeout, late=True)
        return Decision(kind, 0, apply=True, delay=self.timeout)  # timeout

    def summary(self) -> dict[str, object]:
        """Requests seen and faults injected by kind (for the campaign's figures)."""
        return {"requests": self.requests, "writes": self.writes, "faults": dict(sorted(self.counts.items()))}

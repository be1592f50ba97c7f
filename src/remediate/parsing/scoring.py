"""Scored decisions: named features, a weight each, one threshold (``prose.SentenceWeights``,
``titles.TitleWeights``). A decision's weights are a frozen dataclass of floats whose last field
is ``threshold``; the features that hold add their weights, and the answer is yes when the sum
reaches the threshold. ``benchmarks/decision_fit.py`` searches the weights on the corpus."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, fields
from functools import cached_property


class Scored:
    """The arithmetic of a weights dataclass (mixed into each decision's frozen dataclass)."""

    @cached_property
    def _weights(self) -> dict[str, float]:
        return {name: value for name, value in asdict(self).items() if name != "threshold"}  # type: ignore[call-overload]

    def score(self, found: Iterable[str]) -> float:
        """The sum of the weights of the features that hold."""
        return float(sum(map(self._weights.__getitem__, found)))

    def bounds(self, names: Iterable[str]) -> tuple[float, float]:
        """The least and the most that any of ``names`` holding can add to a score."""
        values = [self._weights[name] for name in names]
        return sum(v for v in values if v < 0), sum(v for v in values if v > 0)

    def describe(self) -> str:
        return ", ".join(f"{f.name} {getattr(self, f.name):+.1f}" for f in fields(self))  # type: ignore[arg-type]

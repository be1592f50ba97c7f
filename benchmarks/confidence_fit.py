"""Fit the parser's item-confidence weights on the labelled corpus, and say how well they separate.

Run from the repository root: ``python benchmarks/confidence_fit.py [--corpus tests/corpus]``.

Every parsed item of every labelled document is one example: its named features
(``remediate.parsing.explain.features``) and whether it matches a labelled item (the same
one-to-one matching the corpus score uses). A logistic regression (plain gradient descent with a
small L2 penalty, no dependency) gives one weight per feature. The script prints the weights as
the ``Weights`` dataclass reads them, the precision of items above and below the default
threshold, and the ranking quality (AUC: the chance a right item scores above a wrong one).
Paste the weights into ``src/remediate/parsing/explain.py`` when they move.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import fields
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from remediate.parsing.explain import WEIGHTS, Weights, confidence  # noqa: E402
from tests.corpus_eval import CORPUS, confidence_examples  # noqa: E402

NAMES = [f.name for f in fields(Weights) if f.name != "bias"]


def fit(data: list[tuple[frozenset[str], bool, str]], *, steps: int = 4000, rate: float = 0.5) -> Weights:
    """Logistic regression by full-batch gradient descent, L2 0.01 on the feature weights."""
    weights = dict.fromkeys(["bias", *NAMES], 0.0)
    n = len(data)
    for _ in range(steps):
        grad = dict.fromkeys(weights, 0.0)
        for found, right, _file in data:
            score = weights["bias"] + sum(weights[name] for name in found)
            error = 1.0 / (1.0 + math.exp(-score)) - float(right)
            grad["bias"] += error
            for name in found:
                grad[name] += error
        for name in weights:
            penalty = 0.0 if name == "bias" else 0.01 * weights[name]
            weights[name] -= rate * (grad[name] / n + penalty)
    return Weights(**{name: round(value, 2) for name, value in weights.items()})


def auc(data: list[tuple[frozenset[str], bool, str]], weights: Weights) -> float:
    """Chance that a right item scores above a wrong one (ties count half)."""
    right = [confidence(dict.fromkeys(f, True), weights) for f, ok, _ in data if ok]
    wrong = [confidence(dict.fromkeys(f, True), weights) for f, ok, _ in data if not ok]
    if not right or not wrong:
        return 1.0
    wins = sum((r > w) + 0.5 * (r == w) for r in right for w in wrong)
    return wins / (len(right) * len(wrong))


def report(data: list[tuple[frozenset[str], bool, str]], weights: Weights, threshold: float) -> str:
    above = [ok for f, ok, _ in data if confidence(dict.fromkeys(f, True), weights) >= threshold]
    below = [ok for f, ok, _ in data if confidence(dict.fromkeys(f, True), weights) < threshold]

    def share(values: list[bool]) -> str:
        return f"{sum(values) / len(values):.3f} of {len(values)}" if values else "- of 0"

    return f"AUC {auc(data, weights):.3f}; precision at >= {threshold}: {share(above)}; below: {share(below)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()
    data = confidence_examples(args.corpus)
    print(f"{len(data)} parsed items, {sum(ok for _, ok, _ in data)} of them labelled items")
    for name in NAMES:
        with_it = [ok for f, ok, _ in data if name in f]
        if with_it:
            print(f"  {name:22} {len(with_it):5} items, precision {sum(with_it) / len(with_it):.3f}")
    fitted = fit(data)
    print("current:", report(data, WEIGHTS, args.threshold))
    print("fitted: ", report(data, fitted, args.threshold))
    print("Weights(" + ", ".join(f"{f.name}={getattr(fitted, f.name)}" for f in fields(fitted)) + ")")


if __name__ == "__main__":
    main()

"""Tune the weights of the parser's scored decisions on the labelled corpus, and check them held out.

Run from the repository root:
``python benchmarks/decision_fit.py [--decision sentence|title] [--corpus tests/corpus] [--rounds 1]``
(about 5 minutes on 2 cores for 390 documents).

Two of the parser's decisions are a sum of named feature weights against one threshold:
"does this sentence of an action section start an item?" (``prose.SentenceWeights``) and "does
this heading title name corrective work?" (``titles.TitleWeights``). This script searches one
weight at a time over a small grid (coordinate ascent), keeping a new value only when it raises
the corpus item F1 (the score ``tests/test_corpus.py`` uses), so a weight moves only where the
data asks for it. It prints every value tried with its F1, then the weights found.

Held out: the same search run on the odd-numbered documents only, scored on the even-numbered
ones it never saw, next to the current weights on those; a fit that only learns its documents
shows up as a gap there. Paste the weights into ``prose.py`` / ``titles.py`` when they move.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from remediate.parsing import prose, titles  # noqa: E402
from tests.corpus_eval import CORPUS, score_file, totals  # noqa: E402

GRID = (-10.0, -6.0, -4.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)
#: decision -> (module, name of its weights); the weights' class says which decision they are.
DECISIONS: dict[str, tuple[Any, str]] = {
    "sentence": (prose, "SENTENCE_WEIGHTS"),
    "title": (titles, "TITLE_WEIGHTS"),
}
_SLOT = {type(getattr(module, name)): (module, name) for module, name in DECISIONS.values()}


def f1(documents: list[Path], weights: Any) -> float:
    """The item F1 of ``documents`` parsed with ``weights`` in place of their decision's own."""
    module, name = _SLOT[type(weights)]
    saved = getattr(module, name)
    setattr(module, name, weights)
    titles._classify_title.cache_clear()  # its answers depend on the weights
    try:
        return totals([score_file(md) for md in documents]).f1
    finally:
        setattr(module, name, saved)
        titles._classify_title.cache_clear()


def search(documents: list[Path], start: Any, rounds: int, *, verbose: bool) -> Any:
    """Coordinate ascent from ``start``: each weight over ``GRID``, kept only where F1 rises."""
    best, best_f1 = start, f1(documents, start)
    if verbose:
        print(f"start: F1 {best_f1:.4f}")
    for _ in range(rounds):
        moved = False
        for name in (f.name for f in fields(start)):
            tried = []
            for value in GRID:
                if value == getattr(best, name):
                    continue
                candidate = replace(best, **{name: value})
                score = f1(documents, candidate)
                tried.append(f"{value:+.1f}: {score:.4f}")
                if score > best_f1 + 1e-9:
                    best, best_f1, moved = candidate, score, True
            if verbose:
                print(f"  {name:<18} now {getattr(best, name):+.1f}   tried " + ", ".join(tried))
        if verbose:
            print(f"round done: F1 {best_f1:.4f}")
        if not moved:
            break
    return best


def main() -> None:
    """Search on the whole corpus, then check a search on half of it against the other half."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decision", choices=sorted(DECISIONS), default="sentence")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    documents = sorted(md for md in args.corpus.glob("*.md") if md.with_suffix(".json").exists())
    module, name = DECISIONS[args.decision]
    current = getattr(module, name)
    found = search(documents, current, args.rounds, verbose=True)
    print(
        f"\nwhole corpus ({len(documents)} documents): current F1 {f1(documents, current):.4f}, found {f1(documents, found):.4f}"
    )
    print("found:", found.describe())
    odd, even = documents[1::2], documents[0::2]
    half = search(odd, current, args.rounds, verbose=False)
    print(
        f"held out: searched on {len(odd)} documents, scored on the other {len(even)}: "
        f"current {f1(even, current):.4f}, searched {f1(even, half):.4f}"
    )
    print("searched on half:", half.describe())


if __name__ == "__main__":
    main()

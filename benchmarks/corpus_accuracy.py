"""Print the parser's precision/recall per labelled file, the totals and per-field accuracy.

Usage: python benchmarks/corpus_accuracy.py [-v] [DIR]
  DIR defaults to tests/corpus; any directory of NNN.md + NNN.json pairs labelled per
  LABELING.md works (e.g. a held-out set kept outside the repository).
  -v also lists misses, extras and field errors.
Matching is defined in tests/corpus_eval.py (normalized text equality, else similarity >= 0.9).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.corpus_eval import CORPUS, FIELDS, score_corpus, totals  # noqa: E402


def main() -> None:
    """Score a labelled directory and print a table."""
    args = sys.argv[1:]
    verbose = "-v" in args
    dirs = [a for a in args if a != "-v"]
    directory = Path(dirs[0]) if dirs else CORPUS
    if not directory.is_dir():
        sys.exit(f"{directory}: not a directory")
    scores = score_corpus(directory)
    print(f"{'file':<10} {'labels':>6} {'parsed':>6} {'match':>6} {'exact':>6} {'prec':>6} {'recall':>6}")
    for s in scores:
        print(
            f"{s.name:<10} {s.labelled:>6} {s.parsed:>6} {s.matched:>6} {s.exact:>6} "
            f"{s.precision:>6.3f} {s.recall:>6.3f}"
        )
        if verbose:
            for text in s.misses:
                print(f"    MISS  {text[:110]}")
            for text in s.extras:
                print(f"    EXTRA {text[:110]}")
            for error in s.field_errors:
                print(f"    FIELD {error[:130]}")
            if s.labelled == 0:
                for warning in s.warnings:
                    print(f"    WARN  {warning[:130]}")
    t = totals(scores)
    print(
        f"{'TOTAL':<10} {t.labelled:>6} {t.parsed:>6} {t.matched:>6} {t.exact:>6} "
        f"{t.precision:>6.3f} {t.recall:>6.3f}   F1 {t.f1:.3f}"
    )
    print("field accuracy on matched items: " + ", ".join(f"{n} {t.field_accuracy[n]:.3f}" for n in FIELDS))


if __name__ == "__main__":
    main()

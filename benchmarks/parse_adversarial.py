"""Parser time on hostile input: each adversarial shape at sizes 10x apart, and the growth ratio.

A linear parser takes about 10x the time for 10x the input; a ratio far above that means
the work grows faster than the input (a backtracking pattern, a rescan per line...).

Usage: python benchmarks/parse_adversarial.py [--sizes 10000,100000,1000000] [--only NAME,...]
       [--inside] [--profile NAME]
  --inside  put every shape under an "## Action items" heading (items and fields code runs too)
  --profile print the top functions of cProfile for one shape at the largest size
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from remediate.parsing import parse_text  # noqa: E402
from tests.adversarial import SHAPES  # noqa: E402


def seconds(text: str, repeats: int) -> float:
    """The fastest of ``repeats`` parses of ``text``."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        gc.disable()  # a collection's cost grows with the heap, not with this parse
        try:
            start = time.process_time()  # CPU time: other processes on the machine do not count
            parse_text(text)
            best = min(best, time.process_time() - start)
        finally:
            gc.enable()
    return best


def main() -> None:
    """Time every shape at every size and print seconds and growth ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--only", default="")
    parser.add_argument("--inside", action="store_true")
    parser.add_argument("--profile", default="")
    parser.add_argument("--limit", type=float, default=60.0, help="skip larger sizes after a parse this slow")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    wanted = [n for n in args.only.split(",") if n]
    shapes: dict[str, Callable[[int], str]] = {
        name: make for name, make in SHAPES.items() if not wanted or name in wanted
    }
    prefix = "# Postmortem\n\n## Action items\n\n" if args.inside else ""
    if args.profile:
        text = prefix + SHAPES[args.profile](sizes[-1])
        profile = cProfile.Profile()
        profile.runcall(parse_text, text)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        return
    header = "".join(f"{s // 1000:>9} KB" for s in sizes)
    ratios = "".join(f"{'x' + str(b // a):>9}" for a, b in zip(sizes, sizes[1:], strict=False))
    print(f"{'shape':<24}{header}   growth per step {ratios}")
    for name, make in shapes.items():
        row: list[float | None] = []
        for size in sizes:
            if row and (row[-1] is None or row[-1] > args.limit / 10):
                row.append(None)  # the next size would take too long: the ratio says enough
                continue
            text = prefix + make(size)
            row.append(seconds(text, 3 if size <= 100_000 else 1))
        cells = "".join(f"{t:>10.3f}s" if t is not None else f"{'-':>11}" for t in row)
        growth = "".join(
            f"{b / max(a, 1e-6):>9.1f}" if a is not None and b is not None else f"{'-':>9}"
            for a, b in zip(row, row[1:], strict=False)
        )
        print(f"{name:<24}{cells}   {growth}", flush=True)


if __name__ == "__main__":
    main()

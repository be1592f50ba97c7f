"""The block layer, hand-written (parsing/blocks.py) vs the markdown-it-py experiment (parsing/mdit_blocks.py).

Usage: python benchmarks/block_layer.py [--rounds 3]
Prints, for each scanner, on tests/corpus: P/R/F1 per batch (first digit of the file name) and
in total, field accuracy, documents whose items differ from the hand-written layer's, the
write-back round trip (tests/test_parse_writeback.py's check), the adversarial shapes'
growth ratio (the shapes and sizes tests/test_parse_adversarial.py holds to 12x) and corpus throughput, then what the
normalising pass rewrote and which kinds of block differ. Scanners:
  hand         the default, hand-written line scanner
  mdit         markdown-it-py + normalising and promotion passes, indented code read as text
  mdit-cm      the same, indented code left as CommonMark code (holds no blocks)
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from remediate.parsing import blocks, mdit_blocks, meta, parse_text  # noqa: E402
from remediate.parsing.text import split_lines  # noqa: E402
from tests.adversarial import SHAPES  # noqa: E402
from tests.corpus_eval import CORPUS, FIELDS, FileScore, score_file, totals  # noqa: E402

SCANNERS = ("hand", "mdit", "mdit-cm")
_ORIGINAL_SCAN = mdit_blocks.scan


@contextmanager
def scanner(name: str) -> Iterator[None]:
    """Make ``parse_text`` use the named block scanner (through the parser's internal switch)."""
    before = os.environ.get("REMEDIATE_BLOCKS")
    os.environ["REMEDIATE_BLOCKS"] = "hand" if name == "hand" else "mdit"
    mdit_blocks.scan = functools.partial(_ORIGINAL_SCAN, dedent=name != "mdit-cm")  # type: ignore[assignment]
    try:
        yield
    finally:
        mdit_blocks.scan = _ORIGINAL_SCAN
        if before is None:
            os.environ.pop("REMEDIATE_BLOCKS", None)
        else:
            os.environ["REMEDIATE_BLOCKS"] = before


def documents() -> list[Path]:
    """The labelled corpus documents."""
    return [md for md in sorted(CORPUS.glob("*.md")) if md.with_suffix(".json").exists()]


def scores(name: str) -> dict[str, FileScore]:
    with scanner(name):
        return {md.stem: score_file(md) for md in documents()}


def items_of(name: str) -> dict[str, list[dict[str, Any]]]:
    with scanner(name):
        return {
            md.stem: [i.to_json() for i in parse_text(md.read_text(encoding="utf-8")).action_items]
            for md in documents()
        }


def writeback_wrong(name: str) -> int:
    """tests/test_parse_writeback.py::test_every_corpus_item_reads_its_written_back_ticket_again, counted."""
    from remediate.connectors import TicketRef
    from remediate.writeback import insertion

    wrong = 0
    with scanner(name):
        for path in sorted(CORPUS.glob("*.md")):
            text = path.read_text(encoding="utf-8")
            found = [item for item in parse_text(text).action_items if item.tracker_ref is None]
            keys = {item.id: f"LOCAL-{n + 1}" for n, item in enumerate(found)}
            edits = sorted((insertion(text, item, TicketRef("local", keys[item.id])) for item in found), reverse=True)
            written = text
            for at, inserted in edits:
                written = written[:at] + inserted + written[at:]
            again = {item.id: item.tracker_ref for item in parse_text(written).action_items}
            wrong += sum(again.get(item_id) != key for item_id, key in keys.items())
    return wrong


def linearity(name: str) -> dict[str, float]:
    """Growth ratio per shape that tests/test_parse_adversarial.py holds to 12x, timed as that
    test times it (its sizes, 10x apart; caches cleared; the better of two tries)."""
    from tests.test_parse_adversarial import CASES, _fastest

    ratios = {}
    with scanner(name):
        for shape, small in CASES:
            make = SHAPES[shape]
            little, big = make(small), make(small * 10)
            ratios[shape] = min(_fastest(big, 2) / max(_fastest(little, 3, calls=10), 1e-9) for _ in range(2))
    return ratios


def throughput(rounds: int) -> dict[str, float]:
    """Best-of-``rounds`` seconds for the corpus through parse_text per scanner, and markdown-it alone."""
    from markdown_it import MarkdownIt

    texts = [f.read_text(encoding="utf-8", errors="replace") for f in sorted(CORPUS.glob("*.md"))]
    tokenizer = MarkdownIt("commonmark").enable("table")
    best = {"markdown-it tokenize": float("inf"), **{n: float("inf") for n in SCANNERS}}
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            tokenizer.parse(text)
        best["markdown-it tokenize"] = min(best["markdown-it tokenize"], time.perf_counter() - start)
        for name in SCANNERS:
            with scanner(name):
                start = time.perf_counter()
                for text in texts:
                    parse_text(text)
                best[name] = min(best[name], time.perf_counter() - start)
    return best


def block_kinds(name: str, path: Path) -> Counter[tuple[str, str]]:
    """The blocks a scanner gives for a document, as (kind, what) pairs."""
    lines = split_lines(path.read_text(encoding="utf-8"))
    info = meta.read_meta(lines, path.name)
    if name == "hand":
        scan = blocks.scan(lines, info.body_start)
    else:
        scan = _ORIGINAL_SCAN(lines, info.body_start, dedent=name != "mdit-cm")
    found: Counter[tuple[str, str]] = Counter()
    for block in scan.blocks:
        if isinstance(block, blocks.Heading):
            found["heading", f"{block.line.number}:{block.kind}{block.level}:{block.title}"] += 1
        elif isinstance(block, blocks.ListItem):
            more = [line.number for line, _c, _l in block.more]
            parent = block.parent.line.number if block.parent else 0
            found["list item", f"{block.line.number}:{block.first.text}:{more}:{parent}:{block.checkbox}"] += 1
        elif isinstance(block, blocks.Table):
            found["table", f"{block.line.number}:{[r.line.number for r in block.rows]}"] += 1
        elif isinstance(block, blocks.Paragraph):
            found["paragraph", f"{[line.number for line in block.lines]}"] += 1
    return found


def batch(name: str) -> str:
    return name[0] + "xx" if name[0].isdigit() else "other"


def prf(group: list[FileScore]) -> tuple[float, float, float]:
    t = totals(group)
    return t.precision, t.recall, t.f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    per = {name: scores(name) for name in SCANNERS}
    batches = sorted({batch(n) for n in per["hand"]})
    print(f"corpus: {len(per['hand'])} labelled documents\n")
    print(f"{'batch':<7} {'docs':>4} " + " ".join(f"{n + ' P/R/F1':>23}" for n in SCANNERS))
    for b in [*batches, "TOTAL"]:
        row = []
        for name in SCANNERS:
            group = [s for n, s in per[name].items() if b == "TOTAL" or batch(n) == b]
            p, r, f = prf(group)
            row.append(f"{p:.3f}/{r:.3f}/{f:.3f}")
        count = sum(1 for n in per["hand"] if b == "TOTAL" or batch(n) == b)
        print(f"{b:<7} {count:>4} " + " ".join(f"{cell:>23}" for cell in row))
    for name in SCANNERS:
        t = totals(list(per[name].values()))
        fields = ", ".join(f"{f} {t.field_accuracy[f]:.3f}" for f in FIELDS)
        print(f"{name:<8} matched {t.matched}/{t.labelled} labelled, {t.parsed} parsed; fields: {fields}")

    found = {name: items_of(name) for name in SCANNERS}
    print()
    for name in SCANNERS[1:]:
        differ = [d for d in found["hand"] if found["hand"][d] != found[name][d]]
        better = sum(per[name][d].matched - per["hand"][d].matched > 0 for d in per["hand"])
        worse = sum(per[name][d].matched - per["hand"][d].matched < 0 for d in per["hand"])
        extra = sum(
            per[name][d].parsed - per[name][d].matched > per["hand"][d].parsed - per["hand"][d].matched
            for d in per["hand"]
        )
        print(
            f"{name}: items differ from hand in {len(differ)} documents; more matches in {better}, "
            f"fewer in {worse}, more extras in {extra}"
        )
        for d in sorted(per["hand"]):
            delta_m = per[name][d].matched - per["hand"][d].matched
            delta_x = (per[name][d].parsed - per[name][d].matched) - (per["hand"][d].parsed - per["hand"][d].matched)
            if delta_m or delta_x:
                print(f"    {d}: matched {delta_m:+d}, extras {delta_x:+d}")

    print()
    for name in SCANNERS:
        print(f"write-back round trip, {name}: {writeback_wrong(name)} items wrong")

    print("\nadversarial shapes of tests/test_parse_adversarial.py, time ratio for 10x the input (limit 12x):")
    for name in SCANNERS[:2]:
        ratios = linearity(name)
        worst = sorted(ratios.items(), key=lambda kv: -kv[1])[:3]
        over = [s for s, r in ratios.items() if r > 12]
        print(f"  {name}: worst {', '.join(f'{s} {r:.1f}x' for s, r in worst)}; over 12x: {over or 'none'}")

    best = throughput(args.rounds)
    base = best["markdown-it tokenize"]
    print(f"\ncorpus throughput (best of {args.rounds}):")
    for name, seconds in best.items():
        print(f"  {name:<22} {seconds:.3f} s  {seconds / base:.2f}x markdown-it tokenize")

    stats: Counter[str] = Counter()
    touched: Counter[str] = Counter()
    for md in documents():
        lines = split_lines(md.read_text(encoding="utf-8"))
        info = meta.read_meta(lines, md.name)
        one: Counter[str] = Counter()
        _ORIGINAL_SCAN(lines, info.body_start, stats=one)
        stats.update(one)
        touched.update(one.keys())
    print("\nnormalising pass (mdit), lines rewritten (documents):")
    for kind, count in stats.most_common():
        print(f"  {kind:<48} {count:>5} ({touched[kind]})")

    print("\nblocks that differ from hand (documents):")
    for name in SCANNERS[1:]:
        differing: Counter[str] = Counter()
        for md in documents():
            a, b = block_kinds("hand", md), block_kinds(name, md)
            for kind in {k for k, _ in (a - b) + (b - a)}:
                differing[kind] += 1
        print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in sorted(differing.items())))


if __name__ == "__main__":
    main()

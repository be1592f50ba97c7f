"""Parser throughput: the corpus, a large mixed document, and a worst case (one huge action paragraph).

Usage: python benchmarks/parse_speed.py
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from remediate.parsing import parse_path, parse_text

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"
WORDS = "add the monitoring alert for disk usage and rotate keys we will also fix config deploy".split()


def sentence(rng: random.Random) -> str:
    """A random twelve-word sentence."""
    return " ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "."


def mixed_document(sections: int, rng: random.Random) -> str:
    """Headings, lists with ticket refs, prose and tables; a third of the sections hold actions."""
    parts = ["# Big postmortem\n\nDate: 2024-01-01\n"]
    for k in range(sections):
        parts.append(f"## Action items {k}\n" if k % 3 == 0 else "## Timeline\n")
        parts.append("\n".join(f"- {sentence(rng)} (OPS-{k})" for _ in range(5)) + "\n")
        parts.append(" ".join(sentence(rng) for _ in range(20)) + "\n\n")
        parts.append(f"| Action Item | Owner |\n|---|---|\n| {sentence(rng)} | bob |\n\n")
    return "".join(parts)


def timed(label: str, size: int, run: object) -> None:
    """Print seconds and MB/s for one callable."""
    start = time.perf_counter()
    count = run()  # type: ignore[operator]
    seconds = time.perf_counter() - start
    print(f"  {label:<44} {size / 1e6:6.2f} MB {seconds:7.3f} s {size / 1e6 / seconds:6.2f} MB/s  {count} items")


def against_markdown_it(files: list[Path], rounds: int = 7) -> None:
    """The parser next to markdown-it-py's own tokenizer (CommonMark + tables) on the same texts,
    best of ``rounds`` each, interleaved so both see the same machine load."""
    from markdown_it import MarkdownIt

    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    tokenizer = MarkdownIt("commonmark").enable("table")
    best = {"markdown-it": float("inf"), "parser": float("inf")}
    for _ in range(rounds):
        for name, run in (("markdown-it", tokenizer.parse), ("parser", parse_text)):
            start = time.perf_counter()
            for text in texts:
                run(text)
            best[name] = min(best[name], time.perf_counter() - start)
    ratio = best["parser"] / best["markdown-it"]
    print(
        f"  corpus, parse_text vs markdown-it-py tokenize: {best['parser']:.3f} s vs "
        f"{best['markdown-it']:.3f} s = {ratio:.2f}x (target at most 1.5x)"
    )


def main() -> None:
    """Run the measurements."""
    rng = random.Random(1)
    files = sorted(CORPUS.glob("*.md"))
    size = sum(f.stat().st_size for f in files)
    timed(
        f"corpus ({len(files)} files)",
        size,
        lambda: sum(len(parse_path(f).action_items) for f in files),
    )
    against_markdown_it(files)
    doc = mixed_document(3000, rng)
    timed("mixed document", len(doc), lambda: len(parse_text(doc).action_items))
    prose = "## Next steps\n" + " ".join(sentence(rng) for _ in range(20000)) + "\n"
    timed(
        "worst case: one paragraph, every sentence an item",
        len(prose),
        lambda: len(parse_text(prose).action_items),
    )


if __name__ == "__main__":
    main()

"""Scoring the parser against the labelled corpus (shared by the test and the benchmark).

Matching: a parsed item matches a labelled item when their texts are equal after
``normalize_text`` (case, Markdown, punctuation and spacing ignored), or, failing
that, when ``difflib`` similarity of the normalized texts is at least
``SIMILARITY`` (0.9). Pairs are one-to-one, exact matches first, then the most
similar pairs. Fields are compared on matched pairs only, exactly (dates as ISO
strings, ``None`` must match ``None``).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from remediate.parsing import ParseResult, normalize_text, parse_path

CORPUS = Path(__file__).resolve().parent / "corpus"
SIMILARITY = 0.9
FIELDS = ("owner", "due", "priority", "done", "section")


@dataclass
class FileScore:
    """Counts for one corpus file."""

    name: str
    labelled: int
    parsed: int
    matched: int
    exact: int  # matched by normalized equality
    field_hits: dict[str, int] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)  # labelled, not found
    extras: list[str] = field(default_factory=list)  # found, not labelled
    field_errors: list[str] = field(default_factory=list)
    warnings: tuple[str, ...] = ()

    @property
    def precision(self) -> float:
        """Matched / parsed (1.0 when nothing was parsed and nothing expected)."""
        return self.matched / self.parsed if self.parsed else float(self.labelled == 0)

    @property
    def recall(self) -> float:
        """Matched / labelled (1.0 when nothing was expected)."""
        return self.matched / self.labelled if self.labelled else float(self.parsed == 0)


def _value(item: dict[str, Any], name: str) -> Any:
    value = item.get(name)
    return value


def pair(parsed: list[dict[str, Any]], labelled: list[dict[str, Any]]) -> list[tuple[int, int, bool]]:
    """One-to-one (parsed index, labelled index, exact) pairs."""
    norm_p = [normalize_text(p["text"]) for p in parsed]
    norm_l = [normalize_text(lab["text"]) for lab in labelled]
    pairs: list[tuple[int, int, bool]] = []
    used_p: set[int] = set()
    used_l: set[int] = set()
    for j, text in enumerate(norm_l):
        for i, candidate in enumerate(norm_p):
            if i not in used_p and candidate == text:
                pairs.append((i, j, True))
                used_p.add(i)
                used_l.add(j)
                break
    scored = []
    for j, text in enumerate(norm_l):
        if j in used_l:
            continue
        for i, candidate in enumerate(norm_p):
            if i in used_p:
                continue
            ratio = difflib.SequenceMatcher(None, candidate, text).ratio()
            if ratio >= SIMILARITY:
                scored.append((ratio, i, j))
    for _ratio, i, j in sorted(scored, reverse=True):
        if i not in used_p and j not in used_l:
            pairs.append((i, j, False))
            used_p.add(i)
            used_l.add(j)
    return pairs


def score_file(md: Path) -> FileScore:
    """Parse one corpus document and compare it with its labels."""
    labels = json.loads(md.with_suffix(".json").read_text(encoding="utf-8"))["action_items"]
    result: ParseResult = parse_path(md)
    parsed = [item.to_json() for item in result.action_items]
    pairs = pair(parsed, labels)
    score = FileScore(md.stem, len(labels), len(parsed), len(pairs), sum(e for *_, e in pairs))
    score.warnings = result.warnings
    for name in FIELDS:
        score.field_hits[name] = 0
    for i, j, _exact in pairs:
        for name in FIELDS:
            got, want = _value(parsed[i], name), _value(labels[j], name)
            if got == want:
                score.field_hits[name] += 1
            else:
                score.field_errors.append(f"{name}: got {got!r}, want {want!r} ({labels[j]['text'][:50]})")
    matched_p = {i for i, _, _ in pairs}
    matched_l = {j for _, j, _ in pairs}
    score.misses = [lab["text"] for j, lab in enumerate(labels) if j not in matched_l]
    score.extras = [p["text"] for i, p in enumerate(parsed) if i not in matched_p]
    return score


def score_corpus(corpus: Path = CORPUS) -> list[FileScore]:
    """Scores for every labelled document in the corpus directory."""
    return [score_file(md) for md in sorted(corpus.glob("*.md")) if md.with_suffix(".json").exists()]


@dataclass(frozen=True)
class Totals:
    """Micro-averaged totals over the corpus."""

    labelled: int
    parsed: int
    matched: int
    exact: int
    field_accuracy: dict[str, float]

    @property
    def precision(self) -> float:
        """Matched / parsed."""
        return self.matched / self.parsed if self.parsed else 1.0

    @property
    def recall(self) -> float:
        """Matched / labelled."""
        return self.matched / self.labelled if self.labelled else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def totals(scores: list[FileScore]) -> Totals:
    """Sum the per-file counts."""
    matched = sum(s.matched for s in scores)
    accuracy = {name: (sum(s.field_hits[name] for s in scores) / matched if matched else 1.0) for name in FIELDS}
    return Totals(
        labelled=sum(s.labelled for s in scores),
        parsed=sum(s.parsed for s in scores),
        matched=matched,
        exact=sum(s.exact for s in scores),
        field_accuracy=accuracy,
    )


def confidence_examples(corpus: Path = CORPUS) -> list[tuple[frozenset[str], bool, str]]:
    """(features, matches a labelled item, file) for every parsed item of the corpus: the data
    the item confidence is fitted and checked on (``benchmarks/confidence_fit.py``)."""
    found: list[tuple[frozenset[str], bool, str]] = []
    for md in sorted(corpus.glob("*.md")):
        labels_path = md.with_suffix(".json")
        if not labels_path.exists():
            continue
        labels = json.loads(labels_path.read_text(encoding="utf-8"))["action_items"]
        result = parse_path(md, explain=True)
        assert result.explanation is not None
        parsed = [item.to_json() for item in result.action_items]
        matched = {i for i, _j, _exact in pair(parsed, labels)}
        for index, item in enumerate(result.explanation.items):
            found.append((frozenset(item.features), index in matched, md.stem))
    return found

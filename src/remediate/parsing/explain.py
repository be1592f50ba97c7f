"""Why the parser decided what it did: heading decisions, item features, and a confidence.

Every heading gets a :class:`HeadingDecision` (what its title reads as, and what it did to the
section being read); every item a set of named features, combined by :data:`WEIGHTS` into a
``confidence`` in [0, 1]; prose that sat in an action section and was not taken is a
:class:`Skipped` line with the reason. ``remediate parse PATH --explain`` prints them.

The confidence is a logistic model over binary features, fitted on the labelled corpus
(``benchmarks/confidence_fit.py`` refits and prints it, and reports how well it separates items
that are right from items that are not). It is not a probability promise: it orders items so the
doubtful ones (prose read as a plan, an item under a section that only a list label opened, a
very long or very short text) can be checked first. ``[parser] confidence_threshold`` sets where
``sync`` warns and ``lint`` reports.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

from remediate.parsing import prose, titles
from remediate.parsing.prose import DONE, GERUND, NONE, PLAN, SentenceWeights, action_kind
from remediate.parsing.text import strip_markdown, words
from remediate.parsing.titles import TitleWeights

#: How a section was opened: an author's directive, a heading whose title names the work, an
#: inline "Title: text" heading, or a list label / table header outside any action heading.
OPENERS = ("directive", "heading", "inline", "label")


@dataclass(frozen=True)
class HeadingDecision:
    """One heading: what its title reads as and what it did to the section being read."""

    line: int
    title: str
    reads_as: str  # action | other | unknown | title (the document's own)
    outcome: str  # "opens an action section", "sub-heading of ...", "ends the action section", ...
    features: tuple[str, ...] = ()  # the title's features (titles.TitleWeights) and their score
    score: float = 0.0

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["features"] = list(self.features)
        return data


@dataclass(frozen=True)
class Skipped:
    """Text in an action section that became no item, and why."""

    line: int
    text: str
    reason: str

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Weights:
    """Log-odds weights of the item features (a feature absent contributes nothing).

    Fitted by ``benchmarks/confidence_fit.py`` on the labelled corpus; the bias is a plain list
    item that starts with an action verb, under a heading that names the work.
    """

    bias: float = 3.54
    checkbox: float = 0.13
    table: float = -0.36
    prose: float = -0.03
    reads_as_plan: float = -0.26
    reads_as_gerund: float = -0.02
    reads_as_done: float = -0.18
    reads_as_nothing: float = -0.81
    opened_by_label: float = 0.0
    opened_inline: float = 0.02
    long_text: float = 0.04
    short_text: float = -0.07
    lowercase_start: float = -0.99

    def describe(self) -> str:
        return ", ".join(f"{f.name} {getattr(self, f.name):+.2f}" for f in fields(self))


WEIGHTS = Weights()

#: Texts longer than this many words are often a paragraph of narrative read as one item.
LONG_WORDS = 45
#: Texts shorter than this are often a label or a fragment.
SHORT_WORDS = 3


def features(kind: str, opened_by: str, text: str) -> dict[str, bool]:
    """The named binary features of one item (only the ones that hold are listed as True)."""
    plain = strip_markdown(text).strip()
    count = len(words(plain))
    reading = action_kind(plain)
    letter = next((char for char in plain if char.isalpha()), "")
    found = {
        "checkbox": kind == "checkbox",
        "table": kind == "table",
        "prose": kind == "prose",
        "reads_as_plan": reading == PLAN,
        "reads_as_gerund": reading == GERUND,
        "reads_as_done": reading == DONE,
        "reads_as_nothing": reading == NONE,
        "opened_by_label": opened_by == "label",
        "opened_inline": opened_by == "inline",
        "long_text": count > LONG_WORDS,
        "short_text": count < SHORT_WORDS,
        "lowercase_start": letter.islower(),
    }
    return {name: True for name, value in found.items() if value}


def confidence(found: dict[str, bool], weights: Weights = WEIGHTS) -> float:
    """The logistic combination of ``found`` under ``weights``, rounded to two places."""
    score = weights.bias + sum(getattr(weights, name) for name in found)
    return round(1.0 / (1.0 + math.exp(-score)), 2)


@dataclass(frozen=True)
class ItemExplanation:
    """One item's evidence: how it was read, its features, and the confidence they give."""

    line: int
    text: str
    section: str
    how: str
    features: tuple[str, ...]
    confidence: float

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["features"] = list(self.features)
        return data


@dataclass(frozen=True)
class Explanation:
    """Everything ``--explain`` shows for one document."""

    headings: tuple[HeadingDecision, ...] = ()
    items: tuple[ItemExplanation, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    weights: Weights = field(default=WEIGHTS)
    sentence_weights: SentenceWeights = field(default_factory=lambda: prose.SENTENCE_WEIGHTS)
    title_weights: TitleWeights = field(default_factory=lambda: titles.TITLE_WEIGHTS)

    def to_json(self) -> dict[str, object]:
        return {
            "headings": [h.to_json() for h in self.headings],
            "items": [i.to_json() for i in self.items],
            "skipped": [s.to_json() for s in self.skipped],
            "weights": asdict(self.weights),
            "sentence_weights": asdict(self.sentence_weights),
            "title_weights": asdict(self.title_weights),
        }

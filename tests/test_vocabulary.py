"""One vocabulary: the state words and field labels live in ``parsing/vocabulary.py`` only.

Every string constant in the rest of the code is checked: an alternation (``a|b``) or a word
list that names two or more state words, or two or more labels of one field, is a second copy
of the vocabulary, which is how the copies came to disagree (a table cell said "closed" was done,
a trailing "(closed)" was not).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from remediate.parsing import parse_text, vocabulary
from remediate.parsing.tables import cell_done
from remediate.parsing.titles import heading_facts

ROOT = Path(__file__).resolve().parent.parent
# The parser and write-back (which finds a table's ticket column as the parser does). refs.py
# is left out: its words are reference syntaxes ("bug 12345", "case 4567"), not field labels.
SOURCES = [
    *sorted(p for p in (ROOT / "src" / "remediate" / "parsing").glob("*.py") if p.name != "refs.py"),
    ROOT / "src" / "remediate" / "writeback.py",
]
STATE = {w.casefold() for w in (*vocabulary.DONE_WORDS, *vocabulary.OPEN_WORDS)}


def _members(text: str) -> set[str]:
    """The words of a string constant read as an alternation or a word list."""
    parts = re.split(r"[|,()\[\]?:]|\s{2,}", text.casefold())
    return {re.sub(r"[\\^$*+{}]|\\[sbw]", "", part).strip() for part in parts} - {""}


def _constants(path: Path) -> list[tuple[int, str]]:
    """String constants and string tuples, except on a line marked ``vocabulary-ok`` (with why)."""
    source = path.read_text(encoding="utf-8")
    marked = {n for n, line in enumerate(source.splitlines(), start=1) if "# vocabulary-ok:" in line}
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if {line, line - 1, line - 2} & marked:  # on the constant's line or just above it
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.Tuple | ast.Set | ast.List) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
        ):
            found.append((node.lineno, "|".join(e.value for e in node.elts)))  # type: ignore[attr-defined]
    return found


def test_no_state_word_list_outside_the_vocabulary() -> None:
    copies = []
    for path in SOURCES:
        if path.name == "vocabulary.py":
            continue
        for line, text in _constants(path):
            if "\n" in text and not text.lstrip().startswith("(?"):
                continue  # docstrings and messages, not patterns
            states = _members(text) & STATE
            if len(states) >= 2:
                copies.append(f"{path.relative_to(ROOT)}:{line}: {sorted(states)}")
    assert copies == []


@pytest.mark.parametrize("kind", sorted(vocabulary.FIELD_LABELS))
def test_no_field_label_list_outside_the_vocabulary(kind: str) -> None:
    labels = {label for label in vocabulary.FIELD_LABELS[kind] if len(label) > 3}
    copies = []
    for path in SOURCES:
        if path.name == "vocabulary.py":
            continue
        for line, text in _constants(path):
            if "\n" in text:
                continue
            named = _members(text) & labels
            if len(named) >= 2:
                copies.append(f"{path.relative_to(ROOT)}:{line}: {sorted(named)}")
    assert copies == []


@pytest.mark.parametrize("word", vocabulary.DONE_WORDS)
def test_every_done_word_counts_everywhere_state_is_written(word: str) -> None:
    """A status cell, a status sub-heading, a trailing marker and a leading bracket all agree."""
    assert cell_done(word.capitalize()) is True
    assert heading_facts(f"{word.capitalize()}", None).done is True
    doc = f"## Action items\n\n- Add an alert ({word})\n- [{word}] Rotate the keys\n- Page the owner\n  - Status: {word}\n"
    items = parse_text(doc).action_items
    assert [(i.text, i.done) for i in items] == [
        ("Add an alert", True),
        ("Rotate the keys", True),
        ("Page the owner", True),
    ]


@pytest.mark.parametrize("word", vocabulary.OPEN_WORDS)
def test_every_open_word_counts_everywhere_state_is_written(word: str) -> None:
    assert cell_done(word.capitalize()) is False
    doc = f"## Action items\n\n- Add an alert ({word})\n- [{word}] Rotate the keys\n"
    items = parse_text(doc).action_items
    assert [(i.text, i.done) for i in items] == [("Add an alert", False), ("Rotate the keys", False)]


def test_a_traffic_light_in_a_heading_is_a_priority_colour_not_a_state() -> None:
    assert heading_facts("🟢 Low Priority (3 months)", None).done is None
    assert heading_facts("✅ Completed", None).done is True
    items = parse_text("## Action items\n\n- Add an alert 🟢\n- Rotate the keys 🔴\n").action_items
    assert [i.done for i in items] == [True, False]

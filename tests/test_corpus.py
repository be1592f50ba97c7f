"""The labelled corpus (tests/corpus, see LABELING.md): precision, recall and field accuracy.

Matching is defined in tests/corpus_eval.py: normalized text equality, else a
difflib similarity of at least 0.9, one-to-one. ``python benchmarks/corpus_accuracy.py``
prints the per-file table.
"""

from __future__ import annotations

import json

import pytest

from remediate.parsing import parse_path
from tests.corpus_eval import CORPUS, score_corpus, totals

NEGATIVES = ("056", "058")


@pytest.fixture(scope="module")
def scores():  # type: ignore[no-untyped-def]
    return score_corpus()


def test_every_document_has_labels() -> None:
    documents = sorted(CORPUS.glob("*.md"))
    assert len(documents) >= 198
    assert all(md.with_suffix(".json").exists() for md in documents if md.name != "LABELING.md")


# Regression floors, measured 2026-12-03 on 200 documents (62 shared, batches 200, 300, 400 and
# 500 of unseen postmortems labelled before the parser saw them): F1 0.932, P 0.921, R 0.943;
# 0.944, 0.937, 0.951 after RST directives, notes under a bold title and template slots.
# Batch 500 (first look 0.721, 0.801 after general fixes) brought the pooled score down from
# 0.956: the floors follow the data, and only go up while the data stay the same. The target is
# 0.98 (issue 12). Batch 600 (32 documents, first look 0.872, 0.982 after general fixes) joined
# on 2026-12-03: 232 documents, F1 0.948, P 0.942, R 0.954. Batch 700 (32 documents, first look
# 0.819 after the batch-600 fixes) joined the same day without fixes from it yet: 264 documents,
# F1 0.935, P 0.924, R 0.946. Batch 800 (32 documents, first look 0.768) joined on 2026-12-04;
# after general fixes from batches 700 and 800 and the older batches: 296 documents, F1 0.951,
# P 0.950, R 0.952. Batch 900 (31 documents, 11 of them negatives, first look 0.661) joined the
# same day after five general fixes from it: 327 documents, F1 0.946, P 0.947, R 0.944. Batch 100
# (32 documents, first look 0.845, 0.887 after three general fixes) joined last: 359 documents,
# F1 0.946, P 0.951, R 0.940. Batch 133 (32 documents, first look 0.862 pooled over its three
# parts, 0.897 / 0.645 / 0.826) joined on 2026-12-04 after general fixes from it (the scored sentence
# decision changed no corpus output): 391 documents, F1 0.946, P 0.945, R 0.948. After general fixes
# from the older documents (tab-indented code, bold italic headings): F1 0.948. Batch 165 (10
# documents, 4 negatives, first look 0.833, 1.000 after two general fixes) joined the same day:
# 401 documents, F1 0.949, P 0.945, R 0.952.
F1_FLOOR, PRECISION_FLOOR, RECALL_FLOOR = 0.948, 0.944, 0.951


def test_item_text_f1_stays_above_the_measured_floor(scores) -> None:  # type: ignore[no-untyped-def]
    total = totals(scores)
    worst = sorted(scores, key=lambda s: s.precision + s.recall)[:3]
    detail = "; ".join(f"{s.name} p={s.precision:.2f} r={s.recall:.2f}" for s in worst)
    assert total.f1 >= F1_FLOOR, f"F1 {total.f1:.3f} (worst: {detail})"
    assert total.precision >= PRECISION_FLOOR and total.recall >= RECALL_FLOOR


@pytest.mark.parametrize(
    ("field", "threshold"),
    [("owner", 0.95), ("due", 0.95), ("priority", 0.95), ("done", 0.95), ("section", 0.9)],
)
def test_fields_of_matched_items(scores, field: str, threshold: float) -> None:  # type: ignore[no-untyped-def]
    accuracy = totals(scores).field_accuracy[field]
    errors = [e for s in scores for e in s.field_errors if e.startswith(field)]
    assert accuracy >= threshold, errors[:5]


@pytest.mark.parametrize("name", NEGATIVES)
def test_negatives_give_no_items_and_the_no_section_warning(name: str) -> None:
    labels = json.loads((CORPUS / f"{name}.json").read_text(encoding="utf-8"))
    assert labels["action_items"] == []
    result = parse_path(CORPUS / f"{name}.md")
    assert result.action_items == ()
    assert any("no action-item section" in w and "action items" in w for w in result.warnings)

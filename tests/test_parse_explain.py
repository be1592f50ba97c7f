"""``parse --explain`` and the item confidence: why the parser decided, and how sure it is."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from remediate.cli import app
from remediate.jobs import parse_documents
from remediate.lint import check_document
from remediate.parsing import parse_text
from remediate.parsing.explain import WEIGHTS, confidence, features
from remediate.settings import Settings
from tests.corpus_eval import confidence_examples

DOC = """# Database outage

## Timeline

- 10:00 the primary stopped

## Action items

The following actions will be taken:

- Add an alert on replication lag (owner: @alice)
- [x] Rotate the credentials

<!-- remediate: actions -->
### Things we noticed

- gaps in the cron job setup

## Lessons learned

- Backups were slow.
"""


def test_explanation_says_what_each_heading_did() -> None:
    result = parse_text(DOC, explain=True)
    assert result.explanation is not None
    decisions = {h.title: (h.reads_as, h.outcome) for h in result.explanation.headings}
    assert decisions["Database outage"] == ("title", "the document's title")
    assert decisions["Timeline"][0] == "other"
    assert decisions["Action items"] == ("action", "opens an action section")
    # The author's directive is named as the reason.
    assert decisions["Things we noticed"] == ("remediate: actions", "sub-heading of 'Action items'")
    assert decisions["Lessons learned"] == ("other", "ends the action section 'Action items'")


def test_explanation_lists_item_evidence_and_passed_over_prose() -> None:
    result = parse_text(DOC, explain=True)
    assert result.explanation is not None
    by_text = {i.text: i for i in result.explanation.items}
    assert set(by_text) == {item.text for item in result.action_items}
    assert by_text["Rotate the credentials"].how == "checkbox item"
    assert "checkbox" in by_text["Rotate the credentials"].features
    fragment = by_text["gaps in the cron job setup"]
    assert set(fragment.features) == {"lowercase_start", "reads_as_nothing"}
    skipped = result.explanation.skipped
    assert [(s.line, s.reason) for s in skipped] == [(9, "introduces what follows")]


def test_confidence_orders_items_and_is_in_the_json() -> None:
    result = parse_text(DOC)
    assert result.explanation is None  # only when asked
    items = {i.text: i for i in result.action_items}
    sure, doubtful = items["Rotate the credentials"], items["gaps in the cron job setup"]
    assert 0.0 <= doubtful.confidence < sure.confidence <= 1.0
    data = result.to_json()
    assert "explanation" not in data
    assert [i["confidence"] for i in data["action_items"]] == [i.confidence for i in result.action_items]


def test_confidence_is_the_logistic_sum_of_the_weights() -> None:
    found = features("list", "label", "gaps in monitoring everywhere")
    assert set(found) == {"opened_by_label", "reads_as_nothing", "lowercase_start"}
    score = WEIGHTS.bias + WEIGHTS.opened_by_label + WEIGHTS.reads_as_nothing + WEIGHTS.lowercase_start
    assert confidence(found) == round(1 / (1 + 2.718281828459045**-score), 2)
    assert features("list", "heading", "Add an alert") == {}


def test_confidence_separates_right_items_from_wrong_ones_on_the_corpus() -> None:
    """The weights were fitted on the corpus: items below the default threshold must be wrong
    markedly more often than items above it (if the features stop meaning anything, this fails)."""
    threshold = Settings().parser.confidence_threshold
    data = confidence_examples()
    above = [ok for found, ok, _ in data if confidence(dict.fromkeys(found, True)) >= threshold]
    below = [ok for found, ok, _ in data if confidence(dict.fromkeys(found, True)) < threshold]
    assert len(below) >= 10
    assert sum(below) / len(below) < sum(above) / len(above) - 0.15


def test_cli_explain_prints_why_and_json_carries_it(tmp_path: Path) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text(DOC, encoding="utf-8")
    runner = CliRunner()
    text = runner.invoke(app, ["parse", str(doc), "--explain"])
    assert text.exit_code == 0, text.output
    assert "Headings (line: title -> reads as; what it did; title score and features)" in text.output
    assert "7: Action items -> action; opens an action section; +1.5 (actions)" in text.output
    assert "7: Action items -> action; opens an action section" in text.output
    assert "9: introduces what follows" in text.output
    assert "Confidence weights (log-odds): bias" in text.output
    assert "Sentence decision (an item when the score reaches the threshold): imperative +3.0" in text.output
    data = runner.invoke(app, ["parse", str(doc), "--explain", "--format", "json"])
    assert data.exit_code == 0, data.output
    explanation = json.loads(data.stdout)["explanation"]
    assert {"headings", "items", "skipped", "weights", "sentence_weights", "title_weights"} == set(explanation)
    assert explanation["weights"]["bias"] == WEIGHTS.bias


def test_lint_reports_and_sync_warns_below_the_threshold(tmp_path: Path) -> None:
    result = parse_text(DOC, source="pm.md")
    doubtful = [i for i in result.action_items if i.confidence < 0.9]
    assert [i.text for i in doubtful] == ["gaps in the cron job setup"]
    findings = check_document(result, DOC, min_confidence=0.9)
    low = [f for f in findings if f.rule == "low-confidence"]
    assert [(f.line, f.item) for f in low] == [(17, "gaps in the cron job setup")]
    assert not [f for f in check_document(result, DOC, min_confidence=0.0) if f.rule == "low-confidence"]
    doc = tmp_path / "pm.md"
    doc.write_text(DOC, encoding="utf-8")
    _documents, warnings = parse_documents([str(doc)], Settings())
    assert [w for w in warnings if "not sure this is an action item" in w] == [
        f"{doc}:17: not sure this is an action item (confidence {doubtful[0].confidence:.2f}): "
        "check it, or mark it <!-- remediate: ignore -->"
    ]
    off = Settings.model_validate({"parser": {"confidence_threshold": 0}})
    assert not [w for w in parse_documents([str(doc)], off)[1] if "not sure" in w]

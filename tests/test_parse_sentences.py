"""The sentence decision: named features, one weight each, one threshold (``prose.SentenceWeights``)."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from remediate.parsing import prose
from remediate.parsing.text import Chunk
from tests.support import parse_md, texts


def _unit(text: str) -> Chunk:
    return Chunk(text, list(range(len(text))))


def test_a_sentence_starts_an_item_when_its_features_reach_the_threshold() -> None:
    found = prose.sentence_features("Add an alert on disk usage.", strict=False, lone=False, after_item=False)
    assert found == ("imperative",)
    weights = prose.SENTENCE_WEIGHTS
    assert weights.score(found) == weights.imperative
    assert weights.starts_item(found)
    assert not replace(weights, threshold=weights.imperative + 0.5).starts_item(found)


def test_the_weights_decide_what_the_parser_takes() -> None:
    unit = _unit("Capacity reviews every quarter.")  # no action verb: an item only as a lone line
    assert [c.text for c in prose.action_sentences(unit, strict=False)] == ["Capacity reviews every quarter."]
    stricter = replace(prose.SENTENCE_WEIGHTS, lone_line=0.0)
    assert prose.action_sentences(unit, strict=False, weights=stricter) == []


@pytest.mark.parametrize(
    ("sentence", "feature"),
    [
        ("The outage was caused by a full disk.", "narrative"),
        ("See the full diff here.", "points_elsewhere"),
        ("No further actions are needed.", "says_no_action"),
        ("Representative Diagram", "not_a_sentence"),
        ("(Completed) (OPS-7)", "too_short"),
    ],
)
def test_features_that_speak_against_an_item(sentence: str, feature: str) -> None:
    found = prose.sentence_features(sentence, strict=False, lone=False, after_item=False)
    assert feature in found
    assert not prose.SENTENCE_WEIGHTS.starts_item(found)


def test_beside_a_list_only_an_imperative_starts_an_item() -> None:
    plan = prose.sentence_features("We will add an alert.", strict=True, lone=False, after_item=False)
    assert "beside_list" in plan and not prose.SENTENCE_WEIGHTS.starts_item(plan)
    order = prose.sentence_features("Add an alert.", strict=True, lone=False, after_item=False)
    assert "beside_list" not in order and prose.SENTENCE_WEIGHTS.starts_item(order)


def test_a_done_marker_after_an_item_stays_with_it() -> None:
    # "(Completed)" reads as a past action, but a two-word fragment does not reach the threshold:
    # it marks the sentence before it done instead of becoming an item that is then dropped.
    result = parse_md(
        """
        Corrective and Preventative Measures:

        Disable the release mechanism until safer measures are implemented. (Completed)
        Add a canary stage to every deploy.
        """
    )
    assert [(i.text, i.done) for i in result.action_items] == [
        ("Disable the release mechanism until safer measures are implemented.", True),
        ("Add a canary stage to every deploy.", None),
    ]


def test_the_weights_describe_every_feature() -> None:
    described = prose.SENTENCE_WEIGHTS.describe()
    assert all(f.name in described for f in fields(prose.SentenceWeights))


def test_explain_gives_the_score_of_passed_over_prose() -> None:
    result = parse_md(
        """
        ## Action items

        The server broke again.

        - Add alerting
        """,
        explain=True,
    )
    assert result.explanation is not None
    (skipped,) = result.explanation.skipped
    assert skipped.reason.startswith("score -4.0 < +2.0") and "beside_list -4.0" in skipped.reason
    assert result.explanation.to_json()["sentence_weights"]["threshold"] == 2.0


@pytest.mark.parametrize(
    "sentence",
    [
        "While I had sent updates to customers, I also want to send a report to the public.",
        "I'm also definitely going to keep using the faster backup tool.",
    ],
)
def test_first_person_plans_are_plans(sentence: str) -> None:
    assert prose.action_kind(sentence) == prose.PLAN


def test_a_closing_summary_of_the_measures_is_no_item() -> None:
    assert texts(
        """
        ## Preventive measures

        - Add a disk alert.
        - Rotate the logs daily.

        By taking these measures, we aim to minimize the impact of future incidents.
        """
    ) == ["Add a disk alert.", "Rotate the logs daily."]


def test_a_lone_statement_of_what_something_is_is_no_item() -> None:
    found = prose.sentence_features(
        "Quality assurance is a primary stage in a software project.", strict=False, lone=True, after_item=False
    )
    assert "states_a_fact" in found and not prose.SENTENCE_WEIGHTS.starts_item(found)
    # A lone line without a verb still is one ("Capacity reviews every quarter.").
    assert prose.SENTENCE_WEIGHTS.starts_item(
        prose.sentence_features("Capacity reviews every quarter.", strict=False, lone=True, after_item=False)
    )


def test_consecutive_todo_lines_are_one_item_each() -> None:
    result = parse_md(
        """
        Tasks for the Future:
        TODO: Set up a staging environment for schema changes.
        TODO: Add query metrics to the dashboard.
        """
    )
    assert [(i.text, i.done) for i in result.action_items] == [
        ("Set up a staging environment for schema changes.", False),
        ("Add query metrics to the dashboard.", False),
    ]

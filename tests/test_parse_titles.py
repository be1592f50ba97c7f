"""Which section titles hold action items: variants, typos, word orders, config extras."""

from __future__ import annotations

import pytest

from remediate.parsing.titles import ACTION, OTHER, UNKNOWN, classify_title, heading_facts, section_name
from tests.support import parse_md, texts


@pytest.mark.parametrize(
    "title",
    [
        "Corrective and Preventative Measures",
        "Corrective and Preventive Measures",
        "Preventative and corrective actions",  # other word order
        "Corrective/Preventative measures",
        "Preventive measures",
        "Prevention",
        "Mitigation and Future Prevention",
        "Action Items",
        "Action item",
        "Actions",
        "Security-Specific Action Items",
        "Tasks to Address the Issue",
        "Tasks",
        "Follow-ups",
        "Follow-Up",
        "Follow up items",
        "Next steps",
        "What's next",
        "Remediation",
        "Remediations",
        "Improvements/Fixes",
        "Improvements",
        "What we are doing to prevent this",
        "What we're doing to prevent this from happening again?",
        "How will we prevent a repeat?",
        "What is being done about this?",
        "What are we doing about it?",
        "What's being done to stop a repeat",
        "How Do We Do Better in the Future?",
        "TODO",
        "To-do",
        "Long term solution",
        "Future work",
        # misspellings
        "Corective Actions",
        "Preventitive measures",
        "Remidiation",
        "Folow-up items",
        "Acton Items",
        # numbering and decoration
        "5. Action Items",
        "IV. Remediation",
        "🛠️ Action items",
        # the work after the incident
        "Future",
        "The Future",
        "In the future",
        "Steps taken after the incident",
        "Solutions",
        "The Solutions",
        "Corrective measures taken",
    ],
)
def test_action_titles(title: str) -> None:
    assert classify_title(title) == ACTION


@pytest.mark.parametrize(
    "title",
    [
        "Actions Taken",
        "Resolution and recovery",
        "Root Cause and Resolution",
        "Lessons Learned",
        "What should you do?",
        "Review Checklist",
        "Ticket trail",
        "Q&A",
        "Timeline",
        "Issue Summary",
        "Conclusion",
        "Why wasn't this caught earlier?",
        "Was this preventable?",
        "Follow-up timeline (times in UTC)",  # the head noun names the section
        "How was the incident resolved? How can we improve future mitigation?",  # a recovery told
        "Execution Layer Released Fixes",  # work already shipped, like "Actions taken"
        "Explored solutions",  # tried during the incident
        "Attempted fixes",
        "Steps taken",
        "Actions taken during the outage",
        "Client Releases and Resources",
        "Useful Resources",
        "",
    ],
)
def test_titles_of_other_sections(title: str) -> None:
    assert classify_title(title) == OTHER


@pytest.mark.parametrize(
    "title",
    [
        "The Fix",
        "Monitoring",
        "Detection",
        "White board session",
        # another inflection of a title word is not a typo of it ("changes" is not "changed")
        "Review DNS changes better",
        # look-alikes of action words are not typos of them: a typo keeps the first letter
        "Representative Diagram",
        "Solution",  # one solution is often the fix applied
    ],
)
def test_titles_that_name_nothing_known(title: str) -> None:
    assert classify_title(title) == UNKNOWN


def test_a_look_alike_title_line_does_not_open_a_section() -> None:
    doc = "## Corrective measures\n- Rotate the keys\n\n## Representative sketch\nAdd arrows to it.\n"
    assert texts(doc) == ["Rotate the keys"]


def test_config_titles_extend_the_list_in_any_word_order_and_with_typos() -> None:
    assert classify_title("Hardening Ops") == UNKNOWN
    assert classify_title("Hardening Ops", ["ops hardening"]) == ACTION
    assert classify_title("Ops hardenning work", ["ops hardening"]) == ACTION


def test_config_titles_reach_the_parser() -> None:
    doc = "## Hardening backlog\n- Rotate the signing keys\n"
    assert texts(doc) == []
    assert texts(doc, section_titles=["hardening backlog"]) == ["Rotate the signing keys"]


def test_no_section_warning_names_the_titles_looked_for() -> None:
    result = parse_md("# Outage\n\n## Timeline\n- 10:00 paged\n", section_titles=["Hardening"])
    assert result.action_items == ()
    (warning,) = result.warnings
    assert "no action-item section" in warning
    for title in ("action items", "remediation", "next steps", "follow-ups", "Hardening"):
        assert title in warning


@pytest.mark.parametrize(
    ("title", "priority", "done"),
    [
        ("🔴 High Priority (1 week)", "High", None),
        ("Priority: P1", "P1", None),
        ("Immediate Actions (Completed)", None, True),
        ("Short-term Improvements (In Progress - GitHub Issue #39133)", None, False),
        ("Long-term Improvements (Q4 2025 - Q1 2026)", None, None),
        ("**Automated Failover** (in development)", None, False),
        ("Completed", None, True),
        ("Open items", None, False),
        ("TODO", None, None),
    ],
)
def test_what_a_sub_heading_states_for_its_items(title: str, priority: str | None, done: bool | None) -> None:
    facts = heading_facts(title, None)
    assert (facts.priority, facts.done) == (priority, done)


def test_a_label_whose_action_word_only_qualifies_it_does_not_head_a_section() -> None:
    doc = """
    Resolution steps:
    Log Check: Read the error log and found the full disk.
    Task Review: Found a cron job that archived data every minute.
    Preventive Measures
    Disk Alert: Added an alert on disk usage.
    """
    assert texts(doc) == ["Disk Alert: Added an alert on disk usage."]
    assert texts("Task List: the plan\n- Add a disk alert\n") == ["Add a disk alert"]


@pytest.mark.parametrize(
    "title", ["**Corrective measures:**", "🛠️ Corrective measures", "Corrective measures;", "## Corrective measures"]
)
def test_section_name_drops_markup_emoji_and_trailing_punctuation(title: str) -> None:
    assert section_name(title) == "Corrective measures"


@pytest.mark.parametrize(
    "title", ["Looking Forward", "Going ahead", "Will this happen again?", "Could it happen again?"]
)
def test_titles_that_name_the_work_ahead_are_action_sections(title: str) -> None:
    assert classify_title(title) == ACTION


def test_the_title_decision_is_its_features_weights_against_one_threshold() -> None:
    from dataclasses import fields, replace

    from remediate.parsing import titles

    found = titles.title_features("Follow-up actions")
    assert found == ("names_prevention", "actions")
    weights = titles.TITLE_WEIGHTS
    assert weights.score(found) == weights.names_prevention + weights.actions >= weights.threshold
    # Work done during the incident rules a title out, whatever else it names.
    assert "done_during_incident" in titles.title_features("Actions taken")
    assert weights.score(titles.title_features("Actions taken")) < weights.threshold
    # The weights decide: without the weight of "actions", "Action items" is no action title.
    titles._classify_title.cache_clear()
    saved = titles.TITLE_WEIGHTS
    try:
        titles.TITLE_WEIGHTS = replace(saved, actions=0.0)
        assert classify_title("Action items") != ACTION
    finally:
        titles.TITLE_WEIGHTS = saved
        titles._classify_title.cache_clear()
    assert classify_title("Action items") == ACTION
    assert all(f.name in weights.describe() for f in fields(titles.TitleWeights))

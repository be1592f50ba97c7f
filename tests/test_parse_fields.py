"""Per-item facts: owner, due, priority, done, tracker reference, and the cleaned text."""

from __future__ import annotations

from datetime import date

import pytest

from remediate.parsing import ActionItem, parse_text
from tests.support import parse_md, texts


def one(line: str, *, header: str = "Date: 2024-01-24\n\n## Action items\n") -> ActionItem:
    (item,) = parse_md(header + line + "\n").action_items
    return item


# -- owner ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "owner", "text"),
    [
        ("- Alert on pool saturation. Owner: @li", "@li", "Alert on pool saturation."),
        ("- Alert on pool saturation (owner: Jane Doe)", "Jane Doe", "Alert on pool saturation"),
        ("- Alert on pool saturation @li", "@li", "Alert on pool saturation"),
        ("- Alert on pool saturation — @li", "@li", "Alert on pool saturation"),
        ("- @li: Alert on pool saturation", "@li", "Alert on pool saturation"),
        ("- Assignee: @li - Alert on pool saturation", "@li", "Alert on pool saturation"),
        ("- DevEx will update the pool size", None, "DevEx will update the pool size"),
        ("- Ask @bob to review the pool size", None, "Ask @bob to review the pool size"),
    ],
)
def test_owner_from_explicit_annotations_only(line: str, owner: str | None, text: str) -> None:
    item = one(line)
    assert (item.owner, item.text) == (owner, text)


def test_postmortem_owner_metadata_is_not_an_item_owner() -> None:
    (item,) = parse_md("---\nowner: '@boss'\n---\n## Owner: @boss\n## Action items\n- Add alerts\n").action_items
    assert item.owner is None


def test_a_handle_ending_a_sub_heading_owns_the_work_under_it() -> None:
    items = parse_md(
        """
        # Resulting Action
        #### 1) Cron cleanup scheduled `@malte_j`
        Cron scheduled to remove old archives.
        #### 2) Alerts configured (@dma)
        Alerts scheduled for full disks.

        A template created for future incidents.
        #### 3) Written by @nova
        Documented the incident in the blog.
        """
    ).action_items
    assert [(i.owner, i.section) for i in items] == [
        ("@malte_j", "1) Cron cleanup scheduled @malte_j"),
        ("@dma", "2) Alerts configured (@dma)"),
        ("@dma", "2) Alerts configured (@dma)"),
        (None, "3) Written by @nova"),
    ]


def test_a_sub_heading_handle_may_be_followed_by_a_tag_of_the_work() -> None:
    items = parse_md(
        """
        ## Action items
        ### 1) Fewer streaming processes `@dma` [repair]
        Reduced the number of streaming processes.
        ### 2) Better alerting on CPU load @kim [detect] [p2]
        We should alert on CPU load.
        ### 3) Alerting for [staging]
        Alert on staging too.
        """
    ).action_items
    assert [i.owner for i in items] == ["@dma", "@kim", None]


# -- due -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "due", "text"),
    [
        ("- Rotate keys due 2024-11-15", date(2024, 11, 15), "Rotate keys"),
        ("- Rotate keys (due: 2024-11-15)", date(2024, 11, 15), "Rotate keys"),
        ("- Rotate keys by Nov 15, 2024", date(2024, 11, 15), "Rotate keys by Nov 15, 2024"),
        (
            "- Rotate keys by 15 November 2024",
            date(2024, 11, 15),
            "Rotate keys by 15 November 2024",
        ),
        ("- Rotate keys before March 3", date(2024, 3, 3), "Rotate keys before March 3"),
        ("- Rotate keys within 2 weeks", date(2024, 2, 7), "Rotate keys within 2 weeks"),
        ("- Rotate keys - ETA: 2 weeks.", date(2024, 2, 7), "Rotate keys"),
        ("- Rotate keys - ETA: 1 week.", date(2024, 1, 31), "Rotate keys"),
        ("- Rotate keys (ETA 1 month)", date(2024, 2, 24), "Rotate keys"),
        ("- Rotate keys (target: Q2 2024)", None, "Rotate keys"),
        ("- Rotate keys in the near future", None, "Rotate keys in the near future"),
        ("- Freeze deploys until 2024-02-01", None, "Freeze deploys until 2024-02-01"),
    ],
)
def test_due_dates_absolute_and_relative_to_the_incident(line: str, due: date | None, text: str) -> None:
    item = one(line)
    assert (item.due, item.text) == (due, text)


def test_relative_due_without_an_incident_date_is_left_out_with_a_warning() -> None:
    result = parse_md("## Action items\n- Rotate keys within 2 weeks\n")
    assert result.action_items[0].due is None
    assert any("2 weeks" in warning for warning in result.warnings)


def test_month_relative_due_clamps_to_the_month_end() -> None:
    assert one("- Rotate keys within 1 month", header="Date: 2024-01-31\n## Next steps\n").due == date(2024, 2, 29)


def test_priority_sub_heading_with_a_relative_deadline() -> None:
    items = parse_md(
        """
        The outage occurred on November 20, 2025.
        ## Action Items
        ### 🔴 High Priority (1 week)
        - Add a circuit breaker
        ### Medium Priority (3 months)
        - Load test checkout
        """
    ).action_items
    assert [(i.priority, i.due, i.section) for i in items] == [
        ("High", date(2025, 11, 27), "High Priority (1 week)"),
        ("Medium", date(2026, 2, 20), "Medium Priority (3 months)"),
    ]


# -- priority ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "priority", "text"),
    [
        ("- [P1] Add a canary stage", "P1", "Add a canary stage"),
        ("- P0: Add a canary stage", "P0", "Add a canary stage"),
        ("- Add a canary stage (P2)", "P2", "Add a canary stage"),
        ("- Add a canary stage [high]", "high", "Add a canary stage"),
        ("- Add a canary stage, priority: Low", "Low", "Add a canary stage"),
        ("- Page on P0 incidents faster", None, "Page on P0 incidents faster"),
        ("- P1 Add a canary stage", "P1", "Add a canary stage"),
        ("- P0 incidents page the on-call", None, "P0 incidents page the on-call"),
    ],
)
def test_priority_forms(line: str, priority: str | None, text: str) -> None:
    item = one(line)
    assert (item.priority, item.text) == (priority, text)


def test_metadata_parenthetical_with_owner_priority_and_due() -> None:
    item = one("- [ ] Make the pool size one setting (owner: @dana, P1, due 2024-04-09)")
    assert (item.text, item.owner, item.priority, item.due, item.done) == (
        "Make the pool size one setting",
        "@dana",
        "P1",
        date(2024, 4, 9),
        False,
    )


# -- done ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "done", "text"),
    [
        ("- [x] Rotate keys", True, "Rotate keys"),
        ("- [ ] Rotate keys", False, "Rotate keys"),
        ("- ~~Rotate keys~~", True, "Rotate keys"),
        ("- DONE: Rotate keys", True, "Rotate keys"),
        ("- **TODO** Rotate keys", False, "Rotate keys"),
        ("- ✅ Rotate keys", True, "Rotate keys"),
        ("- Rotate keys ✅", True, "Rotate keys"),
        ("- Rotate keys. (Accomplished.)", True, "Rotate keys."),
        ("- Rotate keys (in progress)", False, "Rotate keys"),
        ("- Rotated the keys", None, "Rotated the keys"),
        # A trailing note saying how it was done marks it done and stays in the text.
        (
            "- Probe the docs host. (fixed by adding a probe)",
            True,
            "Probe the docs host. (fixed by adding a probe)",
        ),
        (
            "- Page more people (added an on-call role)",
            True,
            "Page more people (added an on-call role)",
        ),
        # A state with the date it was reached is a marker: removed, and the date is no deadline.
        ("- Turn actions back on. **(Done as of 2021-06-30)**", True, "Turn actions back on."),
        ("- Rotate keys (completed on March 3, 2024)", True, "Rotate keys"),
        ("- Rotate keys (done before the launch)", True, "Rotate keys (done before the launch)"),
        # After the sentence has ended, a short emphasised note opening with a state word.
        ("- Use in-progress metrics for feedback. _done in grafana_.", True, "Use in-progress metrics for feedback."),
        ("- Add alerts. *in progress*", False, "Add alerts."),
        ("- Add alerts, _done_ right this time", None, "Add alerts, done right this time"),
    ],
)
def test_done_markers(line: str, done: bool | None, text: str) -> None:
    item = one(line)
    assert (item.done, item.text) == (done, text)


def test_the_date_of_a_done_marker_is_no_due_date() -> None:
    assert one("- Turn actions back on. (Done as of 2021-06-30)").due is None


# -- tracker references --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "ref", "url"),
    [
        ("- Fix the parser (#123)", "#123", None),
        ("- Fix the parser #123", "#123", None),
        ("- Fix the parser (acme/api#123)", "acme/api#123", None),
        (
            "- Fix the parser https://github.com/acme/api/issues/123",
            "https://github.com/acme/api/issues/123",  # as written: the GitHub connector claims it
            "https://github.com/acme/api/issues/123",
        ),
        ("- Fix the parser (OPS-42)", "OPS-42", None),
        ("- Fix the parser [OPS-42]", "OPS-42", None),
        ("- OPS-42: Fix the parser", "OPS-42", None),
        (
            "- Fix the parser (see https://acme.atlassian.net/browse/OPS-42)",
            "OPS-42",
            "https://acme.atlassian.net/browse/OPS-42",
        ),
        (
            "- Fix the parser - [jira](https://acme.atlassian.net/browse/SAAS-309)",
            "SAAS-309",
            "https://acme.atlassian.net/browse/SAAS-309",
        ),
        (
            "- Fix the parser. [PR](https://github.com/acme/api/pull/2428)",
            "https://github.com/acme/api/pull/2428",  # as written: the GitHub connector claims it
            "https://github.com/acme/api/pull/2428",
        ),
        (
            "- Fix the parser. [[PR](https://github.com/acme/api/pull/2430)]",
            "https://github.com/acme/api/pull/2430",  # as written: the GitHub connector claims it
            "https://github.com/acme/api/pull/2430",
        ),
        (
            "- Fix the parser ([#12](https://github.com/o/r/issues/12))",
            "#12",
            "https://github.com/o/r/issues/12",
        ),
        (
            "- Fix the parser. (filed https://github.com/o/r/issues/77)",
            "https://github.com/o/r/issues/77",  # as written: the GitHub connector claims it
            "https://github.com/o/r/issues/77",
        ),
        (
            "- [o/r#79](https://github.com/o/r/issues/79) - Fix the parser",
            "o/r#79",
            "https://github.com/o/r/issues/79",
        ),
        (
            "- Fix the parser - https://github.com/o/r/issues/78.",
            "https://github.com/o/r/issues/78",  # as written: the GitHub connector claims it
            "https://github.com/o/r/issues/78",
        ),
    ],
)
def test_tracker_reference_forms(line: str, ref: str, url: str | None) -> None:
    item = one(line)
    assert (item.tracker_ref, item.tracker_url) == (ref, url)
    assert item.text.rstrip(".") == "Fix the parser"


@pytest.mark.parametrize("word", ["UTF-8", "SHA-256", "COVID-19", "HTTP-2", "ISO-8601", "IPv4-1"])
def test_standards_that_look_like_jira_keys_are_not_tickets(word: str) -> None:
    for line in (
        f"- Use {word} everywhere",
        f"- Use one encoding ({word})",
        f"- Use one encoding - {word}",
    ):
        item = one(line)
        assert item.tracker_ref is None, line
        assert word in item.text


def test_inline_issue_link_mid_sentence_keeps_its_text_and_is_not_the_items_ticket() -> None:
    item = one("- Fix [#12](https://github.com/o/r/issues/12) regression in the resolver")
    assert (item.text, item.tracker_ref) == ("Fix #12 regression in the resolver", None)


# -- text cleaning (LABELING.md rule 5) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "text"),
    [
        (
            "1. **Capacity Planning:** Implement a capacity plan.",
            "Capacity Planning: Implement a capacity plan.",
        ),
        ("- Prefer `npm ci` in CI", "Prefer npm ci in CI"),
        (
            "- Investigate the [Percona Operator](https://github.com/percona/op) as a replacement",
            "Investigate the Percona Operator as a replacement",
        ),
        (
            "- Report separately ([2015-03-02-2][2]). [See the blog post][4] for more.",
            "Report separately (2015-03-02-2). See the blog post for more.",
        ),
        ("- Escape &lt;tags&gt; &amp; entities", "Escape <tags> & entities"),
        ("- Deploy the fix 🚀", "Deploy the fix"),
        ("- &bull; Deploy the fix", "Deploy the fix"),
        ("- Keep typos like appllied and tranactions", "Keep typos like appllied and tranactions"),
        ("- Take logical (pg_dump) backups _daily_", "Take logical (pg_dump) backups daily"),
        ("- Action 2: Patch the proxy", "Patch the proxy"),
        ("- **Task #3:** Rotate the keys", "Rotate the keys"),
        ("- Task: Rotate the keys", "Rotate the keys"),
    ],
)
def test_item_text_cleaning(line: str, text: str) -> None:
    assert one(line).text == text


@pytest.mark.parametrize(
    ("line", "owner"),
    [
        ("- Fix the landing page @alice", "@alice"),
        ("- Ask @bob", None),
        ("- Sync the schema with @data-team", None),
        ("- Add alerting (#123) @alice", "@alice"),
    ],
)
def test_trailing_handle_is_an_owner_unless_it_is_addressed(line: str, owner: str | None) -> None:
    assert one(line).owner == owner


def test_numbered_action_markers_on_plain_lines() -> None:
    doc = "## Corrective measures\nAction 1: Patch the proxy.\nAction 2: Add a disk alert.\n"
    assert texts(doc) == ["Patch the proxy.", "Add a disk alert."]
    # Outside an action section a numbered marker does not open one.
    assert texts("## Appendix\nAction 3: Email the vendor\n") == []


def test_owner_handle_written_with_a_trailing_at_sign() -> None:
    item = one("- Add a no-op fallback until the fix ships. OWNER: dana@ (DONE).")
    assert (item.text, item.owner, item.done) == (
        "Add a no-op fallback until the fix ships.",
        "dana@",
        True,
    )


def test_a_bullet_that_is_only_a_ticket_is_the_work_that_ticket_tracks() -> None:
    """ "- #2127" under "Follow-up improvements": the item is named by its ticket, and the ticket
    is its reference (sync links it instead of filing a new one). It was dropped before."""
    doc = "## Follow-up improvements\n* [o/r#12](https://github.com/o/r/pull/12)\n* #2127\n* Add a disk alert\n"
    found = [(item.text, item.tracker_ref) for item in parse_md(doc).action_items]
    assert found == [
        ("o/r#12", "https://github.com/o/r/pull/12"),
        ("#2127", "#2127"),
        ("Add a disk alert", None),
    ]


def test_a_bare_url_ending_an_item_leaves_its_text_whatever_it_points_at() -> None:
    """LABELING's "— https://...": a commit or search URL after the text is a trailing reference
    too, not only a ticket URL (it stayed in the text); it is no ticket, so no tracker_ref."""
    item = one("- [x] Patch the QC gate https://github.com/o/r/commit/e8394fec12bc7a66e9db94f0de2f2b4e043dd3f9")
    assert (item.text, item.done, item.tracker_ref) == ("Patch the QC gate", True, None)
    item = one("- Fix the parser https://github.com/o/r/issues/78")
    assert (item.text, item.tracker_ref) == ("Fix the parser", "https://github.com/o/r/issues/78")


def test_priority_level_normalises_what_the_author_wrote() -> None:
    from remediate.parsing import parse_text

    text = "# Outage\n\n## Action items\n\n- [high] Add an alert\n- Page on lag (sev1)\n- Write a runbook (priority: low)\n- Tidy up\n"
    items = parse_text(text, source="pm.md").action_items
    assert [(i.priority, i.to_json()["priority_level"]) for i in items] == [
        ("high", "P1"),
        ("sev1", "P1"),
        ("low", "P3"),
        (None, None),
    ]


# --- owner tags, placeholders, trailing labelled notes, several items on a line (LABELING.md
# conventions) ------------------------------------------------------------------------------

OWNER_FORMS = [
    ("@alice Add an alert on lag", "Add an alert on lag", "@alice"),
    ("Owner: bob - Add an alert on lag", "Add an alert on lag", "bob"),
    ("[SRE] Add alerting", "Add alerting", "SRE"),
    ("(aki) bring the teams together", "bring the teams together", "aki"),
    ("(tc team) add heartbeat monitoring", "add heartbeat monitoring", "tc team"),
    ("Platform team: migrate the queue", "migrate the queue", "Platform team"),
    ("Hypha + ICL: publish a post", "publish a post", "Hypha + ICL"),
    # a topic label, a grammatical subject, an acronym before a colon: no owner, text kept
    ("Monitoring: add an alert on lag", "Monitoring: add an alert on lag", None),
    ("API: add a rate limit", "API: add a rate limit", None),
    ("ICL to build a dashboard", "ICL to build a dashboard", None),
    ("(optional) add a rate limit", "(optional) add a rate limit", None),
    # placeholders name nobody
    ("Add an alert on lag (owner: TBD)", "Add an alert on lag", None),
    ("Add an alert on lag - owner: n/a", "Add an alert on lag", None),
]


@pytest.mark.parametrize(("line", "text", "owner"), OWNER_FORMS, ids=[f[0][:30] for f in OWNER_FORMS])
def test_owner_tags_and_placeholders(line: str, text: str, owner: str | None) -> None:
    [item] = parse_text(f"## Action items\n\n- {line}\n").action_items
    assert (item.text, item.owner) == (text, owner)


def test_trailing_labelled_notes_after_a_dash() -> None:
    doc = (
        "# PM\n\nDate: 2024-04-01\n\n## Action items\n\n"
        "- Add an alert on lag — owner: @alice, priority: sev1, ticket: OPS-77\n"
        "- Rotate the keys - owner: @bob, due: 2024-05-01, status: done\n"
        "- Page the owner - Status: in progress\n"
        "- Keep the limits - as they are: no change\n"
    )
    got = [(i.text, i.owner, i.priority, i.tracker_ref, i.due, i.done) for i in parse_text(doc).action_items]
    assert got == [
        ("Add an alert on lag", "@alice", "sev1", "OPS-77", None, None),
        ("Rotate the keys", "@bob", None, None, date(2024, 5, 1), True),
        ("Page the owner", None, None, None, None, False),
        ("Keep the limits - as they are: no change", None, None, None, None, None),
    ]


def test_a_capitalised_state_after_the_text_and_failed() -> None:
    doc = "## Action items\n\n- ~~Add an alert on lag~~ DONE\n- Add a probe. FAILED\n- Make sure the job is DONE\n"
    got = [(i.text, i.done) for i in parse_text(doc).action_items]
    assert got == [("Add an alert on lag", True), ("Add a probe.", False), ("Make sure the job is DONE", None)]


def test_several_check_marked_items_on_one_line() -> None:
    doc = "## Action items\n\n- ✅ Implement a pipeline ✅ Enable monitoring ⬜ Add alerts\n- Add an alert ✅\n"
    got = [(i.text, i.done) for i in parse_text(doc).action_items]
    assert got == [
        ("Implement a pipeline", True),
        ("Enable monitoring", True),
        ("Add alerts", False),
        ("Add an alert", True),
    ]


def test_a_trailing_autolinked_ticket_is_the_reference() -> None:
    doc = "## Action items\n\n- Set limits on the support pods <https://github.com/acme/infra/issues/90>\n"
    [item] = parse_text(doc).action_items
    assert (item.text, item.tracker_ref) == (
        "Set limits on the support pods",
        "https://github.com/acme/infra/issues/90",
    )


def test_a_trailing_bracketed_name_is_the_owner() -> None:
    doc = "## Action items\n\n* Debrief everyone before a risky change [Rick]\n* Require 3 reviewers [P1]\n"
    got = [(i.text, i.owner, i.priority) for i in parse_text(doc).action_items]
    assert got == [("Debrief everyone before a risky change", "Rick", None), ("Require 3 reviewers", None, "P1")]


def test_a_trailing_bracketed_link_to_no_ticket_is_not_wording() -> None:
    doc = "## Action items\n\n- Stop accepting non-IUPAC data (https://github.com/acme/elan/commit/4f2a9c1)\n"
    [item] = parse_text(doc).action_items
    assert (item.text, item.tracker_ref) == ("Stop accepting non-IUPAC data", None)


def test_a_trailing_link_whose_text_is_wording_keeps_its_text() -> None:
    doc = (
        "## Action items\n\n1. Keep an eye on [the bug we ran into](https://github.com/k8s/k8s/issues/24317)\n"
        "2. Upgrade the nodes - [PR](https://github.com/acme/infra/pull/7)\n"
    )
    got = [(i.text, i.tracker_ref) for i in parse_text(doc).action_items]
    assert got == [
        ("Keep an eye on the bug we ran into", "https://github.com/k8s/k8s/issues/24317"),
        ("Upgrade the nodes", "https://github.com/acme/infra/pull/7"),
    ]


def test_field_sources_are_read_from_the_most_specific_down() -> None:
    """A checkbox or cell beats the item's own words, which beat the heading (parser.FIELD_SOURCES)."""
    doc = (
        "Date: 2024-01-24\n\n## Action items\n\n### Done (P1)\n\n- [x] Rotate keys (in progress) [P0]\n"
        "- Add alerts (in progress)\n- Drop the cron job\n"
    )
    found = [(item.text, item.done, item.priority) for item in parse_md(doc).action_items]
    assert found == [("Rotate keys", True, "P0"), ("Add alerts", False, "P1"), ("Drop the cron job", True, "P1")]


def test_a_leading_tag_naming_one_of_the_documents_people_is_the_owner() -> None:
    doc = """
        # Block times

        - Authors: Hypha, Cosmos Labs

        ## Action Items

        - [Hypha] Investigate the block window parameter.
        - [Monitoring] Add an alert on block times.
        """
    items = parse_md(doc).action_items
    assert [(i.owner, i.text) for i in items] == [
        ("Hypha", "Investigate the block window parameter."),
        (None, "[Monitoring] Add an alert on block times."),
    ]
    # Without the document naming Hypha, a bracketed word could be a topic: no owner.
    assert parse_md(doc.replace("Authors: Hypha, Cosmos Labs", "Status: resolved")).action_items[0].owner is None


def test_a_ticket_label_or_reference_link_can_carry_the_items_state() -> None:
    items = parse_md(
        """
        ### Remediation Items

        - [GH-101 (Done)][gh-101]: create a management domain.
        - [Done][remediation-done]: add a lab environment.
        - [GH-104]: export the logs.

        [gh-101]: https://github.com/o/r/pull/101
        [remediation-done]:
          https://github.com/o/r/commit/f8fe09f9
        """
    ).action_items
    assert [(i.text, i.tracker_ref, i.done) for i in items] == [
        ("create a management domain.", "GH-101", True),
        ("add a lab environment.", None, True),
        ("export the logs.", "GH-104", None),
    ]

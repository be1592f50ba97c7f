"""Item shapes: bullets, numbering, checkboxes, continuation lines, nesting, tables, prose."""

from __future__ import annotations

import pytest

from tests.support import parse_md, texts


@pytest.mark.parametrize("marker", ["*", "-", "+", "•", "—", "1.", "1)", "*1.\t", "(a)", "a)", "(1)", "1-", "o\t"])
def test_every_list_marker_people_use(marker: str) -> None:
    gap = "" if marker.endswith("\t") else " "
    doc = f"## Action items\n{marker}{gap}Add a disk alert\n{marker}{gap}Rotate the keys\n"
    assert texts(doc) == ["Add a disk alert", "Rotate the keys"]


def test_roman_numeral_markers_number_sibling_items() -> None:
    doc = "## Short-term fixes\ni. Pin the base image.\nii. Add a smoke test.\niii. Alert on 5xx.\n"
    assert texts(doc) == ["Pin the base image.", "Add a smoke test.", "Alert on 5xx."]


def test_owner_and_due_lines_after_a_prose_item_are_its_metadata() -> None:
    (first, second) = parse_md(
        """
        Date: 2024-08-08
        Action Items:
        Task: Patch the proxy to the vetted release.
        Owner: Platform Team
        Due Date: Aug 20, 2024
        Task: Add a disk alert.
        Owner: SRE
        """
    ).action_items
    assert (first.text, first.owner, str(first.due)) == (
        "Patch the proxy to the vetted release.",
        "Platform Team",
        "2024-08-20",
    )
    assert (second.text, second.owner, second.due) == ("Add a disk alert.", "SRE", None)


def test_metadata_lines_without_an_item_and_lines_of_bare_links_are_not_items() -> None:
    doc = """
    ## Follow-ups
    Status: monitoring continues.
    https://example.com/review/1234
    https://github.com/o/r/pull/9

    Add a disk alert.
    """
    assert texts(doc) == ["Add a disk alert."]


def test_sub_bullets_of_bare_issue_links_are_the_items_follow_ups_not_items() -> None:
    result = parse_md(
        """
        ## Action Items
        - [ ] hold a retrospective
          - https://github.com/acme/meta/issues/17
          - https://github.com/acme/infra/issues/18
        - [ ] raise the quota
        """
    )
    first, second = result.action_items
    assert [first.text, second.text] == ["hold a retrospective", "raise the quota"]
    assert first.tracker_ref == "https://github.com/acme/meta/issues/17"  # the first link is its ticket
    assert second.tracker_ref is None


def test_bullet_followed_by_a_number_is_one_item_without_either_marker() -> None:
    doc = "## Action items\n- 1. Script the setup\n- 2) Sign off the config\n- 1.5x more disk\n"
    assert texts(doc) == ["Script the setup", "Sign off the config", "1.5x more disk"]


def test_checkboxes_give_done_state_and_kind() -> None:
    items = parse_md(
        """
        ## Action items
        - [ ] Add a disk alert
        - [x] Rotate the keys
        - [X] Revoke the token
        * [ ] Write the runbook
        """
    ).action_items
    assert [(i.text, i.done, i.kind) for i in items] == [
        ("Add a disk alert", False, "checkbox"),
        ("Rotate the keys", True, "checkbox"),
        ("Revoke the token", True, "checkbox"),
        ("Write the runbook", False, "checkbox"),
    ]


def test_wrapped_indented_continuation_lines_join_the_item() -> None:
    items = parse_md(
        """
        ## Preventative measures
        1. A fuzz test of each pointer type has been added to the standard unit test
           suite. This test was confirmed to find the vulnerability.
        2. We will commission a security review.
        """
    ).action_items
    assert items[0].text == (
        "A fuzz test of each pointer type has been added to the standard unit test suite. "
        "This test was confirmed to find the vulnerability."
    )
    assert (items[0].line, items[0].end_line) == (2, 3)
    assert len(items) == 2


def test_lazy_unindented_continuation_line_joins_the_item() -> None:
    assert texts(
        """
        ## Action Items

        - We should consider using a versioned API for config, and banning
        incompatible changes from merging

        - We should have alerting on config load failures.
        """
    ) == [
        "We should consider using a versioned API for config, and banning incompatible changes from merging",
        "We should have alerting on config load failures.",
    ]


def test_a_label_line_after_a_labelled_item_is_the_next_item_whose_marker_was_lost() -> None:
    assert texts(
        """
        ## Preventive measures
        + Customer notification: Affected customers were informed by email.
        Regular security audits: Implement a program of regular audits.
        + Data encryption: Encrypt customer data
        Backups: nightly, to a second region.
        """
    ) == [
        "Customer notification: Affected customers were informed by email.",
        "Regular security audits: Implement a program of regular audits.",
        "Data encryption: Encrypt customer data Backups: nightly, to a second region.",
    ]


def test_a_bullet_led_by_a_bold_section_title_is_that_section_with_its_one_item() -> None:
    items = parse_md(
        """
        **Corrective Actions:**
        * **Immediate Fixes:**  Rolled back recent changes to the weather module.
        * **Preventative Measures:**
            * Implement unit tests for the weather command
        * **Load testing:** Conduct regular load tests.
        """
    ).action_items
    assert [(i.section, i.text) for i in items] == [
        ("Immediate Fixes", "Rolled back recent changes to the weather module."),
        ("Preventative Measures", "Implement unit tests for the weather command"),
        ("Corrective Actions", "Load testing: Conduct regular load tests."),
    ]


def test_a_bullet_led_by_a_bold_action_title_outside_any_section_is_its_item() -> None:
    items = parse_md(
        """
        #### Downtime on 2023-01-04
        - **Reason/Cause**: The generator used every thread.
        - **Actions Taken**: Stopped the generator.
        - **Remedial Actions**: I am going to limit the threads it may use.

        ### What Went Well
        - **Effective customer remediation**: Filtered out most exceptions.
        """
    ).action_items
    assert [(i.section, i.text) for i in items] == [("Remedial Actions", "I am going to limit the threads it may use.")]


def test_loose_list_with_inconsistent_indentation_keeps_siblings() -> None:
    assert texts(
        """
        Corrective and Preventative Measures:

          - Increase server capacity.

        - Implement a backup plan.

          - Review architecture.
          https://example.com/blog/postmortem.html
        """
    ) == ["Increase server capacity.", "Implement a backup plan.", "Review architecture."]


def test_parent_that_only_introduces_children_is_not_an_item() -> None:
    items = parse_md(
        """
        ## Corrective and Preventative Measures
        - **Improvements/Fixes**:
          - Implement disk usage monitoring.
        - Monitoring
          - Add a latency SLO
        - Improve on-call handoffs
          - Write a handoff checklist
        """
    ).action_items
    assert [(i.section, i.text) for i in items] == [
        ("Improvements/Fixes", "Implement disk usage monitoring."),
        ("Monitoring", "Add a latency SLO"),
        ("Corrective and Preventative Measures", "Improve on-call handoffs"),
        ("Corrective and Preventative Measures", "Write a handoff checklist"),
    ]


def test_metadata_sub_items_fold_into_their_item() -> None:
    (item,) = parse_md(
        """
        Date: 2024-01-01
        ## Follow-ups
        - Add canary deploys
          - Owner: @alice
          - Due: 2024-01-15
          - Status: In progress
        """
    ).action_items
    assert (item.text, item.owner, str(item.due), item.done) == (
        "Add canary deploys",
        "@alice",
        "2024-01-15",
        False,
    )


def test_table_columns_are_found_by_header_words() -> None:
    items = parse_md(
        """
        Date: 2024-03-01

        ## Action items
        | # | Task | Assignee | Due date | Prio | Status | Ticket |
        |---|------|----------|----------|------|--------|--------|
        | 1 | Add a canary | @ana | 2024-04-01 | P1 | Done | OPS-7 |
        | 2 | Tune pool sizes | Bo | in 2 weeks | P2 | Open | [#9](https://github.com/o/r/issues/9) |
        | 3 | N/A | | | | | |
        """
    ).action_items
    assert [(i.text, i.owner, str(i.due), i.priority, i.done, i.tracker_ref, i.kind) for i in items] == [
        ("Add a canary", "@ana", "2024-04-01", "P1", True, "OPS-7", "table"),
        ("Tune pool sizes", "Bo", "2024-03-15", "P2", False, "#9", "table"),
    ]


def test_sre_book_table_with_todo_and_done_in_the_bug_column() -> None:
    items = parse_md(
        """
        ## Action Items

        | Action Item | Type | Owner | Bug |
        | ----------- | ---- | ----- | --- |
        | Update playbook for cascading failure | mitigate | jennifer | n/a **DONE** |
        | Use flux capacitor to balance load | prevent | martym | [Bug 5554823](https://bugs.example/5554823) **TODO** |
        """
    ).action_items
    assert [(i.text, i.owner, i.done) for i in items] == [
        ("Update playbook for cascading failure", "jennifer", True),
        ("Use flux capacitor to balance load", "martym", False),
    ]
    assert items[0].tracker_ref is None
    assert items[1].tracker_ref == "https://bugs.example/5554823"


def test_heading_less_table_counts_when_its_first_column_is_action_items() -> None:
    items = parse_md(
        """
        Some intro text.

        | Action Item | Owner |
        |---|---|
        | Add alerting | luk,and,ale |

        | Time | Event |
        |---|---|
        | 10:00 | Paged |
        """
    ).action_items
    assert [(i.section, i.text, i.owner) for i in items] == [("Action Item", "Add alerting", "luk,and,ale")]


def test_a_list_defining_the_values_of_the_action_tables_columns_is_its_legend() -> None:
    items = parse_md(
        """
        ## Action items
        Actions fall under two types:
        * Prevent - Prevent similar issues from occurring.
        * Detect - Be more effective in detecting similar issues.

        Priorities:
        * **P0**: Critical for the release.
        * Add a canary stage - before the next release

        | Action Item | Type | Priority |
        |---|---|---|
        | Reproduce the bug in tests | Prevent | P0 |
        | Detect corruption by default | Detect | P1 |
        """
    ).action_items
    assert [(i.text, i.priority) for i in items] == [
        ("Add a canary stage - before the next release", None),
        ("Reproduce the bug in tests", "P0"),
        ("Detect corruption by default", "P1"),
    ]


def test_an_action_point_line_is_an_item_wherever_it_stands() -> None:
    # Like an "Action Item" table, the marker says so; "TODO:" outside a section is a note to self.
    items = parse_md(
        """
        ## Lessons learned
        ### Fork monitoring
        The fork monitor behaved ok during the incident.

        Action point: improve the resiliency of the forkmon.

        **Action item:** Page the on-call sooner. We lost an hour.

        TODO: k-dev email

        action items: add alerts, add dashboards
        """
    ).action_items
    assert [(i.section, i.text) for i in items] == [
        ("Action point", "improve the resiliency of the forkmon."),
        ("Action item", "Page the on-call sooner. We lost an hour."),
    ]


def test_empty_headings_and_labelled_lines_do_not_hide_a_heading_less_action_table() -> None:
    # "##" used as a rule names no section; "**Root Causes**: text" labels only its own line.
    items = parse_md(
        """
        # Upgrade halt postmortem
        ##

        **Status**: Resolved
        **Root Causes**: Nodes were built with two compiler versions.

        | Action Item | Type | Owner | Bug |
        | --- | --- | --- |---|
        | Pin the compiler version | Prevention | Core team | DONE |
        """
    ).action_items
    assert [(i.section, i.text, i.owner, i.done) for i in items] == [
        ("Action Item", "Pin the compiler version", "Core team", True)
    ]


def test_measure_table_drops_cell_numbering_and_ignores_the_description_column() -> None:
    assert texts(
        """
        ## Corrective and Preventive Measures
        | Measure | Description |
        |---------|-------------|
        | 1. Code review process | Catch configuration errors early 🦸 |
        | 2. Automated tests | Keep the middleware in check |
        """
    ) == ["Code review process", "Automated tests"]


def test_table_outside_action_sections_is_not_items() -> None:
    assert (
        texts(
            """
        ## Timeline
        | Time | Event |
        |---|---|
        | 10:00 | Rolled back |
        """
        )
        == []
    )


def test_paragraph_of_distinct_imperatives_is_one_item_per_sentence() -> None:
    items = parse_md(
        """
        ### Tasks to Address the Issue:

        Implement a patch for failover. Enhance incident response protocols. Document the incident.
        """
    ).action_items
    assert [(i.text, i.kind) for i in items] == [
        ("Implement a patch for failover.", "prose"),
        ("Enhance incident response protocols.", "prose"),
        ("Document the incident.", "prose"),
    ]


def test_prose_written_one_action_per_line() -> None:
    assert texts(
        """
        # Improvements:

        Optimize cache eviction policies.
        Evaluate and scale cache infrastructure.

        A follow-up meeting is scheduled for September 5, 2024, to review progress.
        """
    ) == [
        "Optimize cache eviction policies.",
        "Evaluate and scale cache infrastructure.",
        "A follow-up meeting is scheduled for September 5, 2024, to review progress.",
    ]


def test_explanatory_sentences_stay_with_their_action() -> None:
    assert texts(
        """
        ## Next steps
        We will run game days every month. These will be conducted during off-peak hours. Add chaos tests to CI. This would ensure regressions are caught.
        """
    ) == [
        "We will run game days every month. These will be conducted during off-peak hours.",
        "Add chaos tests to CI. This would ensure regressions are caught.",
    ]


def test_intro_and_closing_prose_around_a_list_are_not_items() -> None:
    assert texts(
        """
        **Corrective and Preventative Measures**

        To prevent similar incidents, the following measures have been implemented:
        * Regular auditing of firewall rules.
        * Automated network configuration tests.

        In conclusion, the outage was caused by a firewall rule. Feel free to share your insights.
        """
    ) == ["Regular auditing of firewall rules.", "Automated network configuration tests."]


def test_imperative_prose_before_a_list_is_an_item_but_lessons_are_not() -> None:
    assert texts(
        """
        ## Corrective/Preventative measures
        This issue could have been prevented by unit tests. Integrate pre-testing before merging.
        We've done an internal evaluation. The following are steps we are taking:
        - Disable the configuration release function. (Accomplished.)
        """
    ) == ["Integrate pre-testing before merging.", "Disable the configuration release function."]


def test_labelled_action_item_paragraph_is_one_item_with_its_owner() -> None:
    (first, second) = parse_md(
        """
        ## Remediation
        - Reverted the change

        **Action item:** Start incidents earlier. We should declare incidents sooner. Owner: @lucas
        """
    ).action_items
    assert first.text == "Reverted the change"
    assert second.text == "Start incidents earlier. We should declare incidents sooner."
    assert second.owner == "@lucas"


def test_summary_prose_over_sub_sections_made_of_lists_is_not_an_item() -> None:
    assert texts(
        """
        ## Remediation

        We reverted the problematic changes and released version 1.2.

        ### Immediate Actions
        - ✅ Issued refunds
        """
    ) == ["Issued refunds"]


def test_closing_paragraph_in_a_prose_section_is_not_an_item() -> None:
    assert texts(
        """
        Tasks to Address the Issue:
        Updating the pool configuration.

        So, dear reader, as we bid farewell, let us remember the lessons learned. We shall prevail!
        rebellions.
        """
    ) == ["Updating the pool configuration."]


def test_prose_about_the_document_itself_closes_a_prose_section() -> None:
    doc = """
    Corrective measures
    Add a disk alert.
    This postmortem aims to explain the outage. With better alerts we will ensure stability.
    """
    assert texts(doc) == ["Add a disk alert."]


def test_we_need_to_states_a_plan_not_a_past_action() -> None:
    doc = "## Follow-ups\nThis is the second such outage. We need to test config changes.\n"
    assert texts(doc) == ["We need to test config changes."]


def test_a_bullet_that_is_only_a_section_title_labels_the_bullets_after_it() -> None:
    doc = """
    Postmortem
    o\tSummation
    \u2022\tA typo broke the site.
    o\tPrevention
    \u2022\tTest the application before deploying.
    """
    items = parse_md(doc).action_items
    assert [(i.section, i.text) for i in items] == [("Prevention", "Test the application before deploying.")]


@pytest.mark.parametrize(
    "heading",
    [
        "Timeline",
        "Root Cause",
        "Resolution",
        "Actions Taken",
        "Lessons Learned",
        "Q&A",
        "Review Checklist",
    ],
)
def test_non_action_sections_yield_nothing(heading: str) -> None:
    doc = f"## {heading}\n- Roll back the config\n- [x] Rotate the keys\n\nImprove redundancy.\n"
    assert texts(doc) == []


def test_future_tense_prose_without_any_action_heading_is_not_mined() -> None:
    result = parse_md(
        """
        Our database stalled and we DDOSed ourselves.

        To start with, all SDKs will stop retrying. Secondly, we'll add a manual override.
        """
    )
    assert result.action_items == ()
    assert "no action-item section" in result.warnings[0]


def test_code_blocks_and_html_inside_a_section_are_not_items() -> None:
    assert texts(
        """
        ## Action items
        ```
        - not an item
        ```
        <img src="x.png" />
        - Add an alert
        """
    ) == ["Add an alert"]


def test_past_actions_count_in_prose_under_an_action_heading_but_findings_do_not() -> None:
    assert texts(
        """
        Preventative measures
        =====================

        The problem was caught by running the standard fuzz tests. These tests run on every
        release.

        However, these tests were introduced after the 0.5 branch. A 0.6 release will come soon.

        The BASH script was updated to check the exit code. However, it will only land in 0.6.
        """
    ) == [
        "A 0.6 release will come soon.",
        "The BASH script was updated to check the exit code. However, it will only land in 0.6.",
    ]


def test_noun_phrase_lines_in_a_prose_section_are_items() -> None:
    assert texts(
        """
        Corrective and Preventative Measures:
        Capacity reviews every quarter.
        Better alerting on disk usage.
        N/A
        """
    ) == ["Capacity reviews every quarter.", "Better alerting on disk usage."]


def test_an_adverb_before_the_verb_still_reads_as_an_imperative() -> None:
    # Next to a list only imperatives count, so the adverb must not hide the verb.
    assert texts(
        """
        ## Action items
        - Add a disk alert

        Regularly audit the firewall rules.
        """
    ) == ["Add a disk alert", "Regularly audit the firewall rules."]


def test_lines_marked_with_check_marks_are_one_item_each() -> None:
    items = parse_md(
        """
        ### Action items
        ✔️ Train engineers on "Nginx 101."  
        ✔️ add a spare server because, well, you never know  
        ✔️ Rotate the keys
        """
    ).action_items
    assert [(i.text, i.done) for i in items] == [
        ('Train engineers on "Nginx 101."', True),
        ("add a spare server because, well, you never know", True),
        ("Rotate the keys", True),
    ]


def test_stated_fix_keeps_its_explanation_and_a_pointer_to_elsewhere_is_no_item() -> None:
    fix = (
        "The proper fix is to correct the package manifest. The packager will silently skip "
        "a path with a trailing slash. The fix was to drop the slash."
    )
    assert texts(
        f"""
        # Corrective actions

        {fix}

        We will also add a lint rule for manifests.

        See the full change
        [here](https://example.org/change).
        """
    ) == [fix, "We will also add a lint rule for manifests."]


def test_sub_sections_that_say_they_hold_no_action_give_no_items() -> None:
    assert texts(
        """
        ## Action items
        ### Prevention
        It is unclear what we can do to avoid this.
        ### Fixes
        No fixes were necessary.
        ### Documentation
        Add a page on reading the audit logs.
        """
    ) == ["Add a page on reading the audit logs."]


def test_a_suggestion_with_could_is_an_item_with_its_caveats() -> None:
    suggestion = (
        "We could freeze deploys on Fridays, since fewer people are around. "
        "On the other hand, weekends have less traffic."
    )
    assert texts(f"## Follow-up\n\n{suggestion}\n") == [suggestion]


def test_a_notes_cell_that_only_says_done_gives_the_state() -> None:
    items = parse_md(
        """
        ## Action items
        | Action Item | Owner | Tracking bug | Notes |
        |---|---|---|---|
        | Pin the dependency | dana | #12 | Done |
        | Add a canary bot | ian | #13 | needs a done-ness check first |
        """
    ).action_items
    assert [(i.text, i.owner, i.done) for i in items] == [
        ("Pin the dependency", "dana", True),
        ("Add a canary bot", "ian", None),
    ]


def test_a_bare_link_under_an_action_sub_heading_is_not_an_item() -> None:
    assert texts(
        """
        ## Action items
        ### Detection
        Page the on-call when the queue stalls.
        ### Fixes
        https://github.com/acme/api/pull/47
        """
    ) == ["Page the on-call when the queue stalls."]


def test_captions_and_diagram_text_in_a_prose_section_are_not_items() -> None:
    assert texts(
        """
        Corrective and Preventative Measures:
        Capacity reviews every quarter.

        Deployment Sketch Drawing
        [ web ] --> [ db ]
        """
    ) == ["Capacity reviews every quarter."]


def test_prose_sub_section_next_to_a_list_sub_section_is_read_as_prose() -> None:
    assert texts(
        """
        ## Remediation

        We reverted the change and released 1.2.

        ### Short term
        We will add a canary stage. We will also rotate the signing keys.

        ### Long term
        - Migrate to the new cluster

        The cluster work is tracked separately.
        """
    ) == [
        "We will add a canary stage.",
        "We will also rotate the signing keys.",
        "Migrate to the new cluster",
    ]


def test_label_item_over_unindented_siblings_labels_them_and_is_not_an_item() -> None:
    items = parse_md(
        """
        Corrective and Preventative Measures:
        - Improvements/Fixes: I have set up alerting for the load balancer.
        - A List Of Tasks To Address The Issue:
        - Patching the load balancer configuration.
        - Adding monitoring for load balancer metrics.

        - Run the following:

        ```
        make check
        ```
        """
    ).action_items
    assert [(i.section, i.text) for i in items] == [
        (
            "Corrective and Preventative Measures",
            "Improvements/Fixes: I have set up alerting for the load balancer.",
        ),
        ("A List Of Tasks To Address The Issue", "Patching the load balancer configuration."),
        ("A List Of Tasks To Address The Issue", "Adding monitoring for load balancer metrics."),
        ("A List Of Tasks To Address The Issue", "Run the following"),
    ]


def test_a_bold_title_over_its_notes_is_one_item() -> None:
    """ "**Add a backup ISP**" over "- **Description:** ..." and "- Owner: ..." is an item with its
    notes (a template many teams use), not a label over items."""
    from remediate.parsing import parse_text

    doc = (
        "## Action items\n\n1. **Investigate additional ISP options**\n"
        "   - **Description:** Research backup ISPs for the servers.\n   - Owner: @grant\n"
        "2. **Monitoring**\n   - Add route latency alerts\n   - Page on packet loss\n"
    )
    got = [(i.text, i.owner, i.section) for i in parse_text(doc).action_items]
    assert got == [
        ("Investigate additional ISP options", "@grant", "Action items"),
        ("Add route latency alerts", None, "Monitoring"),
        ("Page on packet loss", None, "Monitoring"),
    ]


def test_a_filled_in_template_reads_as_its_text() -> None:
    """Template slots ("{{ text }}"), links nobody filled in ("[link to github issue]"), slots
    nobody filled in ("{{ summary }}"), and a report heading that names no work."""
    from remediate.parsing import parse_text

    doc = (
        "# After-action report\n\n## What went wrong\n\n- The hubs went down at 2 AM.\n\n## Action items\n\n"
        "### Documentation improvements\n\n1. {{ Start writing after-action reports }} [link to github issue]\n"
        "2. {{ summary }} [link to github issue]\n\n### Technical improvements\n\n"
        "1. {{ Enable logging across all hubs }}\n"
    )
    got = [(i.text, i.section) for i in parse_text(doc).action_items]
    assert got == [
        ("Start writing after-action reports", "Documentation improvements"),
        ("Enable logging across all hubs", "Technical improvements"),
    ]


def test_a_field_whose_value_is_one_link_or_code_span_is_no_item() -> None:
    """Release notes under a "Fixes" label ("Branch: [`x`](url)", "Docker image: `org/app:1`")
    name things, not work; a setting to make ("Monthly limit: $50") stays an item."""
    doc = (
        "## Action items\n\n- Lighthouse\n  - Branch: [`holesky-rescue`](https://github.com/o/r/tree/x)\n"
        "  - Docker image: `sigp/lighthouse:rescue-6399ad4`\n- Monthly limit: $50\n- Add a disk alert\n"
    )
    assert texts(doc) == ["Monthly limit: $50", "Add a disk alert"]
    # A list of bare names (hostnames, record names) under corrective actions is data too.
    names = "## Corrective actions\n\n- staticshare\n- www.statemag.state.gov\n- Purge the stale records\n"
    assert texts(names) == ["Purge the stale records"]


def test_work_already_released_or_applied_is_no_action_section_and_resources_are_an_appendix() -> None:
    doc = (
        "## Execution layer released fixes\n\n- Geth: v1.15.3 and later\n\n"
        "## Follow-ups\n\n- Add a disk alert\n\n## Useful resources\n\n- [Block verification script](https://x.test/a)\n"
    )
    assert texts(doc) == ["Add a disk alert"]
    # A link that is the whole item keeps its text without the brackets (they were left in).
    assert texts("## Follow-ups\n\n- [Write the verification script](https://x.test/a)\n") == [
        "Write the verification script"
    ]


def test_decisions_stated_in_prose_are_plans() -> None:
    doc = (
        "## Corrective and preventative measures\n\nThe server was due to be replaced. Since this is the "
        "second failure in two months, it is decided that server life expectancy will be cut to 4 years. "
        "Additional monitoring will be put in place by Friday.\n\nFurthermore, we have decided to script "
        "a notifier for the error-logging tier.\n"
    )
    assert texts(doc) == [
        "Since this is the second failure in two months, it is decided that server life expectancy will be cut to 4 years.",
        "Additional monitoring will be put in place by Friday.",
        "Furthermore, we have decided to script a notifier for the error-logging tier.",
    ]


def test_a_heading_of_planned_work_states_no_done_state() -> None:
    doc = (
        "## Lessons learned\n\n**Actions planned:**\n\n- We will add a disk alert\n\n### In progress\n\n- Rotate keys\n"
    )
    found = [(item.text, item.done) for item in parse_md(doc).action_items]
    assert found == [("We will add a disk alert", None), ("Rotate keys", False)]


def test_a_list_written_on_one_line_with_breaks_is_one_item_per_break() -> None:
    """PagerDuty's postmortem export: "<span>- Add X - <a href=URL>URL</a><br>- Do Y ...</span>"."""
    doc = (
        "<h2>Action Items</h2>\n<p>\n <span class=export>- Rotate the credentials - <a href=https://github.com/o/r/issues/7"
        " target=_blank>https://github.com/o/r/issues/7</a><br>- Clarify the escalation policy</span>\n</p>\n"
    )
    found = [(item.text, item.tracker_ref) for item in parse_md(doc).action_items]
    assert found == [
        ("Rotate the credentials", "https://github.com/o/r/issues/7"),
        ("Clarify the escalation policy", None),
    ]


def test_the_postmortems_own_closing_checklist_is_no_item() -> None:
    doc = (
        "## Action items\n\n- [ ] Add a disk alert\n\n## Actions\n\n- [x] Incident has been dealt with or is over\n"
        "- [x] Sections above are filled out\n- [x] Incident title and after-action report is cleaned up\n"
        "- [x] All actionable items above have linked GitHub Issues\n"
    )
    assert texts(doc) == ["Add a disk alert"]
    # A checklist of real work that mentions the document once stays.
    work = "## Actions\n\n- [ ] Add a disk alert\n- [ ] Rotate keys\n- [ ] Link the tickets above\n"
    assert texts(work) == ["Add a disk alert", "Rotate keys", "Link the tickets above"]


def test_a_ticket_column_whose_cells_name_their_work_holds_the_items() -> None:
    """No header names the action: "#41 — alerting gap on ..." under Issue is the item (its ticket
    leading), not the wordier Outcome cell, which states whether it is done."""
    doc = (
        "## Follow-up issues\n\n| Issue | Triggered by | Outcome |\n|---|---|---|\n"
        "| #41 — alerting gap on caught failures | Lesson 3 above | Resolved by PR #47, a log-metric alarm and a bridge |\n"
        "| #46 — versioned docs publishing via mike | The docs walk after the incident | Open — deferred pending the migration |\n"
    )
    found = [(item.text, item.tracker_ref, item.done) for item in parse_md(doc).action_items]
    assert found == [
        ("#41 — alerting gap on caught failures", "#41", True),
        ("#46 — versioned docs publishing via mike", "#46", False),
    ]


def test_a_label_bullet_over_a_paragraph_is_its_sub_heading() -> None:
    doc = (
        "## Preventive measures\n\n* Thorough Testing:\n\nTest every change before deploying it.\n\n"
        "* Status Monitoring:\n\nImplement uptime monitoring to alert on outages.\n"
    )
    found = [(item.text, item.section) for item in parse_md(doc).action_items]
    assert found == [
        ("Test every change before deploying it.", "Thorough Testing"),
        ("Implement uptime monitoring to alert on outages.", "Status Monitoring"),
    ]


def test_a_passive_plan_after_a_plan_is_a_plan_of_its_own() -> None:
    doc = (
        "## Preventative measures\n\nServer should be placed in a more secure area so that tampering is reduced. "
        "Furthermore, an uninterruptible power supply should be invested in to provide a more robust power source. "
        "This will be slower to roll out.\n"
    )
    assert texts(doc) == [
        "Server should be placed in a more secure area so that tampering is reduced.",
        "Furthermore, an uninterruptible power supply should be invested in to provide a more robust power source. "
        "This will be slower to roll out.",
    ]


def test_restructuredtext_underlines_and_links_are_read() -> None:
    """ "Why?" over "~~~~" is an RST section underline, not a fence that swallowed the rest of the
    document (its follow-up tasks included); `text <url>`__ is a link whose text is the words."""
    doc = (
        "Five whys\n---------\n\nWhy?\n~~~~\n\nA node recycle.\n\nFollow-up tasks\n---------------\n\n"
        "-  ☐ `Follow up on ticket at\n   Linode <https://www.notion.so/x-1c6c>`__\n"
        "-  ☐ Investigate the connection surge\n"
    )
    assert texts(doc) == ["Follow up on ticket at Linode", "Investigate the connection surge"]
    # A Markdown fence of tildes after a blank line still fences.
    assert texts("## Action items\n\n~~~\n- not an item\n~~~\n\n- Add alerts\n") == ["Add alerts"]


def test_work_under_way_and_past_corrective_actions_in_prose() -> None:
    doc = (
        "## Will this happen again?\n\nThere is a fix in the works for the corruption bug in libgit2.\n\n"
        "GitHub are also working on checks in the web editor.\n\n"
        "The team created a bash script that restarts Apache when the issue recurs.\n\n"
        "We noticed the outage at noon.\n"
    )
    assert texts(doc) == [
        "There is a fix in the works for the corruption bug in libgit2.",
        "GitHub are also working on checks in the web editor.",
        "The team created a bash script that restarts Apache when the issue recurs.",
    ]


def test_a_word_processors_o_bullet_before_a_capital_is_a_list_marker() -> None:
    doc = "Improvements/Fixes:\n\no Enhanced Monitoring: Add alerts on the balancer.\no Training: Run drills.\n"
    assert texts(doc) == ["Enhanced Monitoring: Add alerts on the balancer.", "Training: Run drills."]


def test_a_hope_is_a_closing_remark() -> None:
    doc = "## Corrective measures\n\nAdd a disk alert.\n\nI just hope such mistakes don't happen again and I'll fix them if they do.\n"
    assert texts(doc) == ["Add a disk alert."]


def test_hyphenated_phrasal_verbs_and_sent_state_actions() -> None:
    doc = (
        "## Preventative measures\n\nHave a database of valid file names. If a name is valid, the responsibility will "
        "be with them. The file will be uploaded to GitHub and every change tracked. "
        "Notifications will be sent out asking everyone to update their file. "
        "Set-up a monitoring system for the pairing station.\n"
    )
    assert texts(doc) == [
        "Have a database of valid file names. If a name is valid, the responsibility will be with them.",
        "The file will be uploaded to GitHub and every change tracked.",
        "Notifications will be sent out asking everyone to update their file.",
        "Set-up a monitoring system for the pairing station.",
    ]


def test_an_html_item_wrapped_over_lines_is_one_item() -> None:
    doc = (
        "<h3>Action Items</h3>\n<ul>\n    <li>Keep monitoring error rates; if the upstream incident recurs,\n"
        "        fail over to the other stack.</li>\n    <li>Add a disk alert\n    <li>Rotate keys</li>\n</ul>\n"
    )
    assert texts(doc) == [
        "Keep monitoring error rates; if the upstream incident recurs, fail over to the other stack.",
        "Add a disk alert",
        "Rotate keys",
    ]


def test_an_inline_headings_sentence_goes_on_over_the_next_line() -> None:
    doc = (
        "## Lessons\n\n**Action planned:** We will expand the checks we run on the system,\n"
        "so that we will be alerted to events such as this.\n\n## Action items\n\n"
        "Monitoring improvements: add an alert on the queue,\nand page the on-call.\n"
    )
    found = [(item.text, item.section) for item in parse_md(doc).action_items]
    assert found == [
        (
            "We will expand the checks we run on the system, so that we will be alerted to events such as this.",
            "Action planned",
        ),
        ("Monitoring improvements: add an alert on the queue, and page the on-call.", "Action items"),
    ]


def test_an_action_item_table_counts_under_any_heading_with_that_heading_as_section() -> None:
    doc = (
        "## Resolution\n\nWe weathered the storm and created follow-up action items:\n\n"
        "| Action Item | Owner |\n|---|---|\n| Review the interconnect concurrency | Backend team |\n\n"
        "## Impact\n\n**Root cause**: a sort that differed between versions.\n\n| Action Item | Owner |\n|---|---|\n| Sync Go versions | Core team |\n"
    )
    found = [(item.text, item.section, item.owner) for item in parse_md(doc).action_items]
    assert found == [
        ("Review the interconnect concurrency", "Resolution", "Backend team"),
        ("Sync Go versions", "Action Item", "Core team"),  # after inline labels: the column names it
    ]


def test_a_tab_indented_action_title_over_its_lines_is_a_heading() -> None:
    doc = (
        "Timeline\n\n9:23 AM: outage begins\n\n\t\tCorrective and Preventative Measures\n"
        "Disable the release mechanism until safer measures are implemented.\nImprove the process for auditing risky options\n"
    )
    assert texts(doc) == [
        "Disable the release mechanism until safer measures are implemented.",
        "Improve the process for auditing risky options",
    ]


def test_a_bullet_that_is_only_a_link_to_read_is_no_item_and_a_ticket_link_no_list() -> None:
    assert texts(
        """
        ## Action items

        - Add a pool-size alert.
        - https://medium.com/@someone/my-write-up-of-this-outage
        """
    ) == ["Add a pool-size alert."]
    # A list of only a ticket link does not make the prose beside it a list's aside: the plan is read.
    assert texts(
        """
        ## Next steps

        We will move the files to the production bucket.

        - https://github.com/o/r/issues/320
        """
    ) == ["We will move the files to the production bucket.", "https://github.com/o/r/issues/320"]


def test_an_arrows_glyph_is_in_progress_in_a_status_cell_only() -> None:
    items = parse_md(
        """
        ### Action Items

        Status | Action Item | Owner
        ---: | --- | ---:
        🔄 | Improve alerts for stale data | Data Analyst
        ✅ | Pin the vendor API version | DevOps

        ## Prevention

        - Review the resource limits regularly. 🔄
        """
    ).action_items
    assert [(i.text, i.done) for i in items] == [
        ("Improve alerts for stale data", False),
        ("Pin the vendor API version", True),
        ("Review the resource limits regularly.", None),
    ]

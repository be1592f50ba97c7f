"""Headings of every kind, and where an action-item section starts and ends."""

from __future__ import annotations

from remediate.parsing import parse_text
from tests.support import parse_md, texts


def sections(text: str) -> list[tuple[str, str]]:
    return [(item.section, item.text) for item in parse_md(text).action_items]


def test_atx_heading_opens_a_section_and_the_next_same_level_heading_ends_it() -> None:
    assert sections(
        """
        ## Timeline
        - 10:00 paged
        ## Action Items
        - Add a disk alert
        ## Lessons Learned
        - Test restores
        """
    ) == [("Action Items", "Add a disk alert")]


def test_atx_heading_without_space_after_hashes() -> None:
    assert sections(
        """
        ##Root Cause
        Bad config.
        ##TODO
        * Patch the config files
        """
    ) == [("TODO", "Patch the config files")]


def test_hashtag_at_line_start_is_not_a_heading() -> None:
    assert texts(
        """
        ## Action items
        - Tell the channel
        #incidents was notified
        - Rotate keys
        """
    ) == ["Tell the channel #incidents was notified", "Rotate keys"]


def test_atx_heading_with_trailing_colon_and_closing_hashes() -> None:
    assert sections("# Next steps: ##\n\nEnable backups.\n") == [("Next steps", "Enable backups.")]


def test_setext_headings_of_both_levels() -> None:
    assert sections(
        """
        Impact
        ======
        - Users could not log in

        Preventative measures
        ---------------------
        1. Add a login canary.

        Appendix
        ========
        - Logs
        """
    ) == [("Preventative measures", "Add a login canary.")]


def test_whole_line_bold_heading_with_colon_inside_or_outside() -> None:
    assert sections(
        """
        **Root Cause:**
        - Bad deploy
        **Corrective Actions**:
        - Add canaries
        __Conclusion__
        - We are sorry
        """
    ) == [("Corrective Actions", "Add canaries")]


def test_short_plain_line_ending_in_colon_with_stray_spaces() -> None:
    assert sections(
        """
          Root Cause and Resolution:  

        The disk filled up.

          Corrective and Preventative Measures:  

          - Add a disk usage alert.
        """
    ) == [("Corrective and Preventative Measures", "Add a disk usage alert.")]


def test_bare_title_line_without_markup_or_colon() -> None:
    assert sections(
        """
        Lessons Learned
        Improve Redundancy: Ensure standby servers live elsewhere.
        Action Items
        Deploy a second standby database server.
        Conclusion
        This was bad.
        """
    ) == [("Action Items", "Deploy a second standby database server.")]


def test_all_caps_line_is_a_heading() -> None:
    assert sections(
        """
        ROOT CAUSE
        Bad config.

        ACTION ITEMS
        Add config validation to CI.

        SUMMARY
        Validate the config next time.
        """
    ) == [("ACTION ITEMS", "Add config validation to CI.")]


def test_headings_glued_to_the_previous_paragraph() -> None:
    assert sections(
        """
        ### Resolution:
        Rolled back the change.
        Corrective and Preventative Measures:
        Enhance the change review process.
        **Timeline**
        * 10:00 paged
        """
    ) == [("Corrective and Preventative Measures", "Enhance the change review process.")]


def test_bullet_label_acts_as_sub_heading_for_unindented_lines() -> None:
    assert sections(
        """
        **Corrective and Preventative Measures:**
        * **Improvements/Fixes:**
        Implement automated scaling for the pool.
        Enhance monitoring of the pool.
        * **Tasks to Address the Issue:**
        Update the pool configuration.

        In conclusion, the pool ran dry.
        """
    ) == [
        ("Improvements/Fixes", "Implement automated scaling for the pool."),
        ("Improvements/Fixes", "Enhance monitoring of the pool."),
        ("Tasks to Address the Issue", "Update the pool configuration."),
    ]


def test_action_label_line_under_a_bullet_label_heads_the_lines_after_it() -> None:
    assert sections(
        """
        * Corrective and preventative measures:

        \tRun the backups on their own host.

        \tTo-do:

        \t Move the backup job to the new host.
        """
    ) == [
        ("Corrective and preventative measures", "Run the backups on their own host."),
        ("To-do", "Move the backup job to the new host."),
    ]


def test_bullet_label_with_an_action_title_works_outside_any_section() -> None:
    assert sections(
        """
        * **Root cause:** a bad deploy
        * **Tasks to Address the Issue:**
          * Add a canary
          * Add a rollback button
        """
    ) == [
        ("Tasks to Address the Issue", "Add a canary"),
        ("Tasks to Address the Issue", "Add a rollback button"),
    ]


def test_inline_title_whose_text_ends_with_colon_introduces_the_lines_after_it() -> None:
    assert sections(
        """
        Root Cause: a villainous pool.
        Intense load testing sessions to simulate heavy traffic.
        Tasks to Address the Issue: The battle plan includes:
        Updating the connection pool configuration.
        Conducting a thorough review of the stack.
        """
    ) == [
        ("Tasks to Address the Issue", "Updating the connection pool configuration."),
        ("Tasks to Address the Issue", "Conducting a thorough review of the stack."),
    ]


def test_inline_title_with_other_text_makes_that_text_the_item() -> None:
    assert sections("Corrective Actions: Add a disk alert to every database host.\n") == [
        ("Corrective Actions", "Add a disk alert to every database host.")
    ]


def test_todo_marker_line_outside_a_section_is_not_an_item() -> None:
    doc = """
    ## Appendix
    TODO: k-dev email
    """
    assert texts(doc) == []
    assert parse_md(doc).warnings


def test_sub_headings_belong_to_the_section_whatever_their_title() -> None:
    assert sections(
        """
        ## Remediation
        ### Immediate Actions (Completed)
        - Moved timeouts to config
        ### Long-term Improvements (Q4 2025 - Q1 2026)
        - Quarterly drills
        ### Odds and ends
        - Rename the dashboard
        ## Lessons Learned
        - Nothing
        """
    ) == [
        ("Immediate Actions (Completed)", "Moved timeouts to config"),
        ("Long-term Improvements (Q4 2025 - Q1 2026)", "Quarterly drills"),
        ("Odds and ends", "Rename the dashboard"),
    ]


def test_deeper_markdown_sub_heading_naming_another_section_stays_in_the_section() -> None:
    # Rule 1: lessons learned count when they sit under a corrective heading; only nesting
    # written with Markdown levels is certain enough, and a question heading still ends it.
    assert sections(
        """
        ## Corrective and preventive measures
        ### Lessons learned
        - Verify migrations before deploying
        ### Action items
        - Add a schema check to CI
        ### Why did it take so long?
        - Not an item
        ## Conclusion
        - Not an item either
        """
    ) == [
        ("Lessons learned", "Verify migrations before deploying"),
        ("Action items", "Add a schema check to CI"),
    ]
    # A bold label under a Markdown action heading is nested in it, whatever words it uses...
    assert sections(
        """
        ## Remediation
        ### Medium-term improvements
        **Incident response and monitoring:**
        - Build a flags dashboard
        ## Timeline
        - Not an item
        """
    ) == [("Incident response and monitoring", "Build a flags dashboard")]
    # ...but between same-looking bold headings the nesting is unknown: they are siblings.
    assert sections(
        """
        **Corrective and preventive measures**
        - Add a schema check to CI
        **Lessons learned**
        - Not an item
        """
    ) == [("Corrective and preventive measures", "Add a schema check to CI")]


def test_action_sub_heading_under_a_generic_heading_ends_at_the_parent_level() -> None:
    assert sections(
        """
        ## Additional Sections as required
        ### Root cause
        - Phishing
        ### Preventative and corrective actions
        - Enforce phishing-resistant MFA
        ## Q&A
        A: Audit lockfiles and rebuild from a clean cache.
        """
    ) == [("Preventative and corrective actions", "Enforce phishing-resistant MFA")]


def test_empty_heading_ends_the_section() -> None:
    assert texts("## Action items\n- Add alerts\n##\n- Not an item\n") == ["Add alerts"]


def test_question_heading_ends_the_section() -> None:
    assert texts(
        """
        **Action items**
        - Add alerts
        **Why did this happen?**
        - Not an item
        """
    ) == ["Add alerts"]


def test_question_about_prevention_opens_a_section() -> None:
    assert texts(
        """
        ## What are we doing to prevent this from happening again?
        - Add end-to-end tests for checkout
        """
    ) == ["Add end-to-end tests for checkout"]


def test_same_style_weak_heading_ends_the_section_unless_it_heads_a_list() -> None:
    assert sections(
        """
        **Corrective Measures**
        - Add synthetic login checks
        **Monitoring**
        - Alert on the login failure rate
        **Final words**
        Thanks to everyone who helped us recover.
        """
    ) == [
        ("Corrective Measures", "Add synthetic login checks"),
        ("Monitoring", "Alert on the login failure rate"),
    ]


def test_document_title_mentioning_prevention_does_not_open_a_section() -> None:
    doc = """
    # Postmortem: preventing checkout outages

    ## Summary
    - Checkout was down
    """
    assert texts(doc) == []


def test_a_level_one_title_naming_the_incident_does_not_open_a_section() -> None:
    doc = """
    # Traefik Rule Preventing Some Inbound Traffic

    ## Timeline
    - 16:06 A node went NotReady

    ## Action Items
    - Add a test for the /api path
    """
    assert texts(doc) == ["Add a test for the /api path"]
    # A first heading that names the work still opens its section.
    assert texts("# Action items\n- Add a disk alert\n") == ["Add a disk alert"]


def test_an_instruction_label_under_a_bare_title_line_is_its_sub_heading() -> None:
    doc = """
    Corrective and Preventative Measures
    Review DNS changes better:

    Require a second approval for DNS changes.
    Conclusion:
    We learned a lot.
    """
    items = parse_md(doc).action_items
    assert [(i.section, i.text) for i in items] == [
        ("Review DNS changes better", "Require a second approval for DNS changes.")
    ]


def test_html_headings_and_one_line_html_items() -> None:
    doc = """
    <h3>Root Cause</h3>
    <ul>A missing semicolon.</ul>
    <h3>Corrective Measures</h3>
    <ul>Check the service status after a reload.</ul>
    <li>Lint configuration files before saving.</li>
    <h3>Tasks</h3>
    <ol><li>Add a disk alert.</li>
    <li>Rotate the keys.</li></ol>
    """
    items = parse_md(doc).action_items
    assert [(i.section, i.text) for i in items] == [
        ("Corrective Measures", "Check the service status after a reload."),
        ("Corrective Measures", "Lint configuration files before saving."),
        ("Tasks", "Add a disk alert."),
        ("Tasks", "Rotate the keys."),
    ]


def test_intro_sentence_ending_with_colon_is_not_a_heading() -> None:
    assert sections(
        """
        ## Action items
        To prevent future outages like this one, the following tasks should be completed:
        - Increase server capacity.
        """
    ) == [("Action items", "Increase server capacity.")]


def test_a_sentence_ending_with_colon_under_a_heading_is_its_intro() -> None:
    items = parse_md(
        "## Action Items\nAdditionally we have created some follow-up action items:\n- Add a disk alert\n"
    ).action_items
    assert [(i.section, i.text) for i in items] == [("Action Items", "Add a disk alert")]


def test_lowercase_continuation_ending_with_colon_is_not_a_heading() -> None:
    assert sections(
        """
        Preventative measures
        =====================

        To help prevent new bugs, we have taken / will take the
        following preventative measures going forward:

        1. We will add fuzz testing.
        """
    ) == [("Preventative measures", "We will add fuzz testing.")]


def test_action_heading_with_only_na_gives_no_items_and_names_it_in_a_warning() -> None:
    result = parse_md("## Security-Specific Action Items\n\nN/A\n")
    assert result.action_items == ()
    assert "Security-Specific Action Items" in result.warnings[0]


def test_inline_title_followed_by_a_list_is_the_lists_intro() -> None:
    assert sections(
        """
        Corrective Actions: Based on the findings, the team proposes several solutions.
        - Add a canary stage
        - Rotate the keys
        """
    ) == [("Corrective Actions", "Add a canary stage"), ("Corrective Actions", "Rotate the keys")]


def test_emoji_led_inline_title_with_a_long_intro_heads_the_list_after_it() -> None:
    intro = "A Sturdier Castle! To keep the gremlins out of the stack we have drawn up these plans:"
    assert sections(
        f"""
        🔍 Root Cause: the disk filled up overnight while nobody was watching the graphs.
        🛠️ Preventive Measures: {intro}
        1. Add a disk alert
        📢 Conclusion: we came out of this stronger, wiser and with many more graphs to watch.
        - Users were happy again
        """
    ) == [("Preventive Measures", "Add a disk alert")]


def test_bold_document_title_mentioning_remediation_does_not_open_a_section() -> None:
    assert texts("**Postmortem: remediation of the login outage**\n\n- Users could not log in\n") == []


def test_html_paragraph_lines_after_a_p_tag_are_its_text() -> None:
    """A "<p>" line goes on its own; the "<strong>TODO:</strong> X<br>" lines after it are text."""
    doc = (
        "<h3>Corrective and Preventative Measures:</h3>\n\n<p>\n"
        "  <strong>TODO:</strong> Schedule regular database maintenance.<br>\n"
        "  <strong>TODO:</strong> Review the backup procedures.\n</p>\n\n"
        "<p>\nYou can read more on my <a href='https://example.com/post'>blog</a>.\n</p>\n"
    )
    got = [(i.text, i.done) for i in parse_text(doc).action_items]
    assert got == [("Schedule regular database maintenance.", False), ("Review the backup procedures.", False)]


def test_centred_titles_in_a_plain_text_document_are_headings() -> None:
    doc = (
        "Outage report\n\n"
        "                     Root cause and resolution\n\n"
        "The pool was exhausted.\n\n"
        "                     Corrective and preventative measures\n\n"
        "Enhance monitoring to include pool metrics.\n\n"
        "We will add load tests before each release.\n\n"
        "                     Lessons learned\n\n"
        "Test more.\n"
    )
    assert [i.text for i in parse_text(doc).action_items] == [
        "Enhance monitoring to include pool metrics.",
        "We will add load tests before each release.",
    ]


def test_an_indented_line_between_text_lines_is_no_title() -> None:
    doc = (
        "What are we doing to prevent it?\n\nWe are taking these steps:\n\n"
        "    Replacing the failed disk\n    Implementing a disaster recovery plan\n"
    )
    assert [i.text for i in parse_text(doc).action_items] == [
        "Replacing the failed disk",
        "Implementing a disaster recovery plan",
    ]


def test_a_colon_line_that_goes_on_as_a_sentence_is_no_heading() -> None:
    doc = (
        "## Resolution\n\nThe remediation approach was:\n\n1. Restore the last valid script.\n\n"
        "## Prevention\n\n- Version-control the backup logic\n"
    )
    assert [(i.text, i.section) for i in parse_text(doc).action_items] == [
        ("Version-control the backup logic", "Prevention")
    ]


def test_a_status_sub_heading_made_of_state_words() -> None:
    doc = "## Follow-ups\n\n### Scheduled and in progress\n\n- Expand alerts\n\n### Done and shipped\n\n- Add a probe\n"
    assert [(i.text, i.done) for i in parse_text(doc).action_items] == [("Expand alerts", False), ("Add a probe", True)]


def test_html_lists_written_on_one_line_or_with_paragraphs_inside() -> None:
    """Word-processor and hand-written HTML: several <li> on one line, <li><p>..</p></li>, and a
    heading inside a <div> that closes on the same line."""
    one_line = "<h3>Corrective Measures</h3><hr>\n<ul><li>Add an alert on lag</li><li>Rotate the keys</li></ul>\n"
    with_p = "<h2>Next steps</h2>\n<ol>\n<li><p>Add an alert on lag</p></li>\n<li><p>Rotate the keys</p></li>\n</ol>\n"
    in_div = "<div><h3>Remediation</h3></div>\n<p>Add an alert on lag.</p>\n<p>Rotate the keys.</p>\n"
    assert [i.text for i in parse_text(one_line).action_items] == ["Add an alert on lag", "Rotate the keys"]
    assert [i.text for i in parse_text(with_p).action_items] == ["Add an alert on lag", "Rotate the keys"]
    assert [i.text for i in parse_text(in_div).action_items] == ["Add an alert on lag.", "Rotate the keys."]
    first, second = parse_text(one_line).action_items
    assert one_line[first.span[0] : first.span[1]] == "Add an alert on lag"
    assert one_line[second.span[0] : second.span[1]] == "Rotate the keys"


def test_an_indented_html_document_with_items_wrapped_over_lines() -> None:
    """A status page's HTML: tags indented inside <article>, each <li> alone on its line with its
    text wrapped over the lines up to </li>; status updates with an <h2> inside an <li>."""
    doc = (
        '<h1 class="minor">Cloudflare outage</h1>\n<article data-start="2025-11-18">\n'
        "    <h2>Summary</h2>\n    <p>\n        The delivery service failed over.\n    </p>\n\n"
        "    <h2>Action items</h2>\n    <ol>\n      <li>\n        Switch to the healthy stack\n"
        "        (target: within 5 minutes)\n      </li>\n      <li>\n        Improve the runbook\n"
        '      </li>\n    </ol>\n</article>\n\n<ul class="updates">\n    <li>\n      <h2>monitoring</h2>\n'
        "      <p>We are continuing to monitor the incident.</p>\n    </li>\n</ul>\n"
    )
    items = parse_text(doc).action_items
    assert [(i.section, i.text) for i in items] == [
        ("Action items", "Switch to the healthy stack (target: within 5 minutes)"),
        ("Action items", "Improve the runbook"),
    ]
    assert doc[items[1].span[0] : items[1].span[1]] == "Improve the runbook"


def test_indented_html_in_a_markdown_document_is_not_dedented() -> None:
    doc = "# Outage\n\n## Action items\n\n- Add an alert\n\n    <h2>Timeline</h2>\n\n- Rotate the keys\n"
    assert [i.text for i in parse_text(doc).action_items] == ["Add an alert", "Rotate the keys"]


def test_triple_backticks_closed_on_their_line_are_inline_code_not_a_fence() -> None:
    """CommonMark: a backtick fence's info string holds no backtick. Read as a fence, the line
    swallowed the document up to the next fence, action items included."""
    doc = (
        "## Timeline\n\n```ERROR: instance has no external IP```\n\n### 17:01\n\nBilling ran out.\n\n"
        "```\nlog line\n```\n\n## Action items\n\n1. Set up billing alerts.\n"
    )
    assert [i.text for i in parse_text(doc).action_items] == ["Set up billing alerts."]


def test_a_bold_sentence_announcing_a_list_keeps_the_section_open() -> None:
    """It names no kind of section: a sub-heading of the action section, not the end of it."""
    doc = (
        "## Corrective and Preventative Measures\n\n* Add hardware monitoring.\n\n"
        "**To address the issue at hand, the following tasks will be performed:**\n\n* Replace the faulty disk.\n"
        "\n## Lessons learned\n\n* Disks fail.\n"
    )
    assert [(i.text, i.section) for i in parse_text(doc).action_items] == [
        ("Add hardware monitoring.", "Corrective and Preventative Measures"),
        ("Replace the faulty disk.", "To address the issue at hand, the following tasks will be performed"),
    ]


def test_future_works_is_an_action_heading() -> None:
    doc = "# Future works\n\n## Better monitoring\n\nWe are going to monitor blocks from partners.\n"
    assert [i.text for i in parse_text(doc).action_items] == ["We are going to monitor blocks from partners."]


def test_restructuredtext_directives_and_their_code_are_not_text() -> None:
    doc = (
        "Outage\n======\n\nHow can we improve future mitigation?\n-------------------------------------\n\n"
        "We batched the updates into smaller ones.\n\n.. code:: python\n\n"
        "   syncer = _syncers.UserSyncer\n\n   for chunk in chunks(diff.updated, 1000):\n"
        '       await bot.api_client.patch("bot/users", json=chunk)\n\n'
        ".. image:: ./graph.png\n\nLessons learned\n---------------\n\nBatch early.\n\n"
        "Follow-up tasks\n---------------\n\n- Make the syncer batch its requests\n"
    )
    texts = [i.text for i in parse_text(doc).action_items]
    assert not [t for t in texts if "syncer =" in t or "await" in t], texts
    assert texts[-1] == "Make the syncer batch its requests"


def test_a_tab_indented_hash_line_is_code_and_bold_italic_lines_are_headings() -> None:
    result = parse_md(
        """
        ## Corrective measures taken

        ***1) Create a renewal script***

        File: /usr/local/bin/renew.sh

        \t\t#!/bin/sh
        \t\tSITE=example.org

        \t\t# reload haproxy
        \t\tservice haproxy reload

        ***2) Schedule it***
           - run crontab -e
        """
    )
    assert [(i.section, i.text) for i in result.action_items] == [("2) Schedule it", "run crontab -e")]


def test_indented_prose_without_code_is_still_read() -> None:
    assert texts(
        """
        Corrective and Preventative Measures:

            Replace the failed disk on the database server.
            Review the database alerts.
        """
    ) == ["Replace the failed disk on the database server.", "Review the database alerts."]

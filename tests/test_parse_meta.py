"""Postmortem metadata: title, incident date and a stable id."""

from __future__ import annotations

from datetime import date

import pytest

from remediate.parsing import parse_text
from tests.support import parse_md


def test_front_matter_gives_id_title_and_date() -> None:
    pm = parse_md(
        """
        ---
        id: INC-2024-007
        title: "Payments outage"
        date: 2024-02-10
        owner: "[developer]"
        ---
        # Something else
        """
    ).postmortem
    assert (pm.id, pm.title, pm.date) == ("inc-2024-007", "Payments outage", date(2024, 2, 10))


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("# Outage\n\nDate: August 14, 2023\n", date(2023, 8, 14)),
        ("**Date**: 2015-10-21\n", date(2015, 10, 21)),
        ("> **Incident date:** 2026-03-29 ~00:15 UTC\n", date(2026, 3, 29)),
        (
            "### Duration:\nThe outage occurred on October 5, 2023, from 9:00 AM.\n",
            date(2023, 10, 5),
        ),
        ("The outage occurred on January23, 2021.\n", date(2021, 1, 23)),
        ("**Date of Incident:** Wednesday 20th September 2023, 14:32 UTC\n", date(2023, 9, 20)),
        ("# January 23rd, 2019 Prow Outage\n\nLast Modified: 2019-01-25\n", date(2019, 1, 23)),
        ("No date at all.\n", None),
    ],
)
def test_incident_date(text: str, when: date | None) -> None:
    assert parse_text(text).postmortem.date == when


def test_incident_date_line_wins_over_a_date_in_the_title_or_postmortem_date() -> None:
    pm = parse_md(
        """
        Postmortem Report: System Outage on August 10, 2024
        Incident Date: August 16, 2024
        Date of Postmortem: August 18, 2024
        """
    ).postmortem
    assert pm.date == date(2024, 8, 16)
    assert pm.title == "Postmortem Report: System Outage on August 10, 2024"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("# Checkout latency spike\n\n## Summary\n", "Checkout latency spike"),
        ("**Postmortem: Login outage**\n\n**Issue Summary**\n", "Postmortem: Login outage"),
        ("# Issue Summary:\n\nText.\n", None),
        ("Apache Internal Error (500) Fix\n\nSUMMARY\n", "Apache Internal Error (500) Fix"),
    ],
)
def test_title(text: str, title: str | None) -> None:
    assert parse_text(text).postmortem.title == title


@pytest.mark.parametrize(
    ("source", "pm_id"),
    [
        ("postmortems/2024-03-12-checkout-latency.md", "2024-03-12-checkout-latency"),
        ("repo/0x19-postmortem/README.md", "0x19-postmortem-readme"),
        ("incidents/db-failover/index.md", "db-failover-index"),
        ("alx/0x19-postmortem/0-postmortem.md", "0x19-postmortem-0-postmortem"),
        ("investigations/2024-02-28-decide is down.md", "2024-02-28-decide-is-down"),
    ],
)
def test_postmortem_id_from_the_file_name(source: str, pm_id: str) -> None:
    assert parse_text("# x\n", source=source).postmortem.id == pm_id


def test_postmortem_id_does_not_depend_on_the_working_directory() -> None:
    assert (
        parse_text("# x\n", source="/abs/path/pm/README.md").postmortem.id
        == parse_text("# x\n", source="pm/README.md").postmortem.id
    )


def test_stdin_id_comes_from_the_title() -> None:
    assert parse_text("# DB failover drill\n", source="<stdin>").postmortem.id == "db-failover-drill"


def test_same_document_parsed_twice_gives_the_same_ids() -> None:
    text = "## Action items\n- Add alerts\n- Rotate keys\n"
    first = parse_text(text, source="a/pm.md")
    second = parse_text(text, source="a/pm.md")
    assert [i.id for i in first.action_items] == [i.id for i in second.action_items]
    assert first.postmortem.content_hash == second.postmortem.content_hash

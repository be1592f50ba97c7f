"""overdue, digest and audit on a known database (tests/known.py), through the CLI's JSON output."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from remediate.cli import app
from remediate.reports.base import add_months, percentile, period_of
from tests import known

runner = CliRunner()


@pytest.fixture
def db(database_url: str) -> str:
    known.build(database_url)
    return database_url


def cli(db: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*args, "--db", db])
    assert result.exit_code == code, result.output
    return result.stdout


def cli_json(db: str, *args: str, code: int = 0) -> Any:
    return json.loads(cli(db, *args, "--format", "json", code=code))


# --- overdue -----------------------------------------------------------------------------------


def test_overdue_lists_open_items_past_their_effective_due_date(db: str) -> None:
    data = cli_json(db, "overdue", "--as-of", "2024-04-08")
    assert data["as_of"] == "2024-04-08" and data["count"] == 2
    rows = [(i["text"], i["days_overdue"], i["owner"], i["due"], i["due_source"], i["key"]) for i in data["items"]]
    assert rows == [
        (known.A2, 33, "@li", "2024-03-06", "policy:incident", "LOCAL-2"),
        (known.A3, 19, None, "2024-03-20", "document", "LOCAL-3"),
    ]


def test_overdue_filters_by_owner_and_postmortem(db: str) -> None:
    assert [i["text"] for i in cli_json(db, "overdue", "--as-of", "2024-04-08", "--owner", "LI")["items"]] == [known.A2]
    assert cli_json(db, "overdue", "--as-of", "2024-04-08", "--postmortem", "2024-03-15-queue-backlog")["count"] == 0
    # A week later B3 (due 04-12) has joined, and B4 (removed from its document) has not.
    later = cli_json(db, "overdue", "--as-of", "2024-04-15", "--owner", "@sam")
    assert [(i["text"], i["days_overdue"]) for i in later["items"]] == [(known.B3, 3)]


def test_overdue_fail_if_any_exit_codes(db: str) -> None:
    cli(db, "overdue", "--as-of", "2024-04-08", "--fail-if-any", code=1)
    # On its due date an item is not overdue yet: A2 is due 2024-03-06, A3 2024-03-20.
    assert cli_json(db, "overdue", "--as-of", "2024-03-06", "--fail-if-any")["count"] == 0
    assert cli_json(db, "overdue", "--as-of", "2024-03-07", "--fail-if-any", code=1)["count"] == 1


def test_overdue_csv_and_markdown(db: str) -> None:
    rows = list(csv.DictReader(io.StringIO(cli(db, "overdue", "--as-of", "2024-04-08", "--format", "csv"))))
    assert [(r["key"], r["days_overdue"]) for r in rows] == [("LOCAL-2", "33"), ("LOCAL-3", "19")]
    markdown = cli(db, "overdue", "--as-of", "2024-04-08", "--format", "markdown")
    assert (
        "| 33 | Automate the failover runbook | @li | 2024-03-06 (policy: P2, 56 days after the incident)" in markdown
    )


def test_overdue_on_an_empty_database_says_so(tmp_path: Any) -> None:
    out = cli(f"sqlite:///{tmp_path / 'none.db'}", "overdue", "--as-of", "2024-04-08")
    assert out.strip() == "0 overdue item(s) as of 2024-04-08"
    assert not (tmp_path / "none.db").exists()  # a report never creates a database


# --- digest ------------------------------------------------------------------------------------


def test_digest_groups_overdue_by_owner_and_lists_due_soon_and_completed(db: str) -> None:
    data = cli_json(db, "digest", "--as-of", "2024-04-08", "--send", "stdout")
    assert data["status"] == "printed" and data["period"] == "2024-W15"
    digest = data["digest"]
    assert digest["period"] == {"kind": "week", "key": "2024-W15", "start": "2024-04-08", "end": "2024-04-15"}
    assert digest["headline"] == {
        "total": 7,
        "open": 4,
        "overdue": 2,
        "due_soon": 1,
        "completed": 1,
        "owners_with_overdue": 1,
        "percent_complete": 42.9,
    }
    assert [(g["name"], [i["text"] for i in g["items"]]) for g in digest["overdue_by_owner"]] == [
        ("@li", [known.A2]),
        ("(no owner)", [known.A3]),
    ]
    assert [(g["name"], g["count"]) for g in digest["overdue_by_postmortem"]] == [("DB failover", 2)]
    assert [i["text"] for i in digest["due_soon"]["items"]] == [known.B3]
    assert digest["due_soon"]["until"] == "2024-04-15"
    assert [i["text"] for i in digest["completed"]["items"]] == [known.B2]
    assert digest["completed"]["since"] == "2024-04-01"


def test_digest_text_is_rendered_from_the_template(db: str) -> None:
    text = cli(db, "digest", "--as-of", "2024-04-08")
    assert text.startswith("Remediation digest, week 2024-W15 (as of 2024-04-08)\n")
    assert (
        "2 overdue, 1 due in the coming week, 1 completed in the past week; 4 of 7 items open (42.9% complete)." in text
    )
    assert f"    - 33 days overdue: {known.A2} [LOCAL-2, due 2024-03-06, DB failover]" in text
    markdown = cli(db, "digest", "--as-of", "2024-04-08", "--format", "markdown")
    assert markdown.startswith("## Remediation digest, week 2024-W15") and "**@li** (1)" in markdown


def test_monthly_digest_spans_a_calendar_month(db: str) -> None:
    digest = cli_json(db, "digest", "--as-of", "2024-03-31", "--period", "month")["digest"]
    assert digest["period"]["key"] == "2024-03"
    assert digest["completed"]["since"] == "2024-02-29"  # 31 March minus a month, in a leap year
    assert digest["due_soon"]["until"] == "2024-04-30"
    assert [i["text"] for i in digest["due_soon"]["items"]] == [known.B3]


@pytest.mark.parametrize(
    ("day", "kind", "key", "start", "end"),
    [
        (date(2024, 4, 8), "week", "2024-W15", date(2024, 4, 8), date(2024, 4, 15)),
        (date(2024, 4, 14), "week", "2024-W15", date(2024, 4, 8), date(2024, 4, 15)),  # Sunday
        (date(2021, 1, 1), "week", "2020-W53", date(2020, 12, 28), date(2021, 1, 4)),  # ISO year != calendar year
        (date(2024, 12, 31), "week", "2025-W01", date(2024, 12, 30), date(2025, 1, 6)),
        (date(2024, 2, 29), "month", "2024-02", date(2024, 2, 1), date(2024, 3, 1)),
        (date(2024, 12, 15), "month", "2024-12", date(2024, 12, 1), date(2025, 1, 1)),
    ],
)
def test_periods(day: date, kind: str, key: str, start: date, end: date) -> None:
    period = period_of(day, kind)  # type: ignore[arg-type]
    assert (period.key, period.start, period.end) == (key, start, end)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2023, 3, 31), -1, date(2023, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 12, 31), 2, date(2025, 2, 28)),
        (date(2024, 5, 15), -5, date(2023, 12, 15)),
    ],
)
def test_month_arithmetic_clamps_to_month_ends(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_percentile_is_nearest_rank() -> None:
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert (percentile(values, 0.9), percentile(values, 0.5), percentile([7], 0.9), percentile([], 0.9)) == (
        9,
        5,
        7,
        None,
    )


# --- audit -------------------------------------------------------------------------------------


def test_audit_numbers_per_postmortem_and_overall(db: str) -> None:
    data = cli_json(db, "audit", "--as-of", "2024-04-08")
    assert data["overall"] == {
        "items": 7,
        "done": 2,
        "not_doing": 1,
        "open": 4,
        "overdue": 2,
        "removed": 1,
        "percent_complete": 42.9,
        "on_time": 1,
        "late": 3,
        "on_time_rate": 25.0,
        "median_days_to_close": 20.0,
        "p90_days_to_close": 22,
        "done_when_seen": 0,
    }
    a, b = data["postmortems"]
    assert (a["id"], a["incident_date"], a["items"], a["percent_complete"], a["on_time_rate"]) == (
        "2024-01-10-db-failover",
        "2024-01-10",
        4,
        50.0,
        33.3,
    )
    assert (a["median_days_to_close"], a["p90_days_to_close"]) == (22.0, 22)
    assert (b["id"], b["items"], b["removed"], b["done"], b["open"], b["percent_complete"], b["on_time_rate"]) == (
        "2024-03-15-queue-backlog",
        3,
        1,
        1,
        2,
        33.3,
        0.0,
    )
    assert data["open_by_age"] == {"0-30 days": 2, "31-60 days": 0, "61-90 days": 2, "over 90 days": 0}


def test_audit_lists_not_doing_gaps_drift_and_recurring_items(db: str) -> None:
    data = cli_json(db, "audit", "--as-of", "2024-04-08")
    assert [i["text"] for i in data["not_doing"]] == [known.A4]
    assert [i["text"] for i in data["without_owner"]] == [known.A3]
    assert data["without_due"] == []
    assert sorted((d["kind"], d["text"]) for d in data["drift"]) == [
        ("removed_while_ticket_open", known.B4),
        ("ticket_moved", known.A3),
    ]
    [recurring] = data["recurring"]
    assert (recurring["earlier"]["text"], recurring["later"]["text"], recurring["repeats_open_item"]) == (
        known.A2,
        known.B1,
        True,
    )
    assert recurring["similarity"] >= 0.6


def test_recurring_item_closed_before_the_new_incident_is_not_flagged(db: str) -> None:
    from remediate.jobs import audit_snapshot
    from remediate.settings import Settings

    known.set_state(db, known.A2, "done", at=known.at(date(2024, 3, 1)))
    [recurring] = audit_snapshot(Settings(), database_url=db, as_of=known.AS_OF).recurring
    assert recurring.later.text == known.B1 and recurring.repeats_open_item is False


def test_audit_open_items_over_time_follows_the_history(db: str) -> None:
    points = {p["date"]: p["open"] for p in cli_json(db, "audit", "--as-of", "2024-04-08")["open_over_time"]}
    assert points["2024-01-12"] == 4  # A synced with four open items
    assert points["2024-04-08"] == 4  # A2, A3, B1, B3
    assert list(points)[-1] == "2024-04-08"
    # Replayed by hand (sampled every second day from 2024-01-12): A1 done 02-01, A4 dropped 02-15,
    # B synced 03-18 with four open items, B4 removed 03-25, B2 done 04-02.
    assert [
        points[d]
        for d in (
            "2024-01-30",
            "2024-02-01",
            "2024-02-15",
            "2024-03-16",
            "2024-03-18",
            "2024-03-24",
            "2024-03-26",
            "2024-04-01",
            "2024-04-03",
        )
    ] == [4, 3, 2, 2, 6, 6, 5, 5, 4]


def test_audit_since_until_select_postmortems(db: str) -> None:
    data = cli_json(db, "audit", "--as-of", "2024-04-08", "--since", "2024-03-01")
    assert [p["id"] for p in data["postmortems"]] == ["2024-03-15-queue-backlog"]
    assert data["overall"]["items"] == 3
    assert len(data["recurring"]) == 1  # still compared with the earlier postmortem
    only_a = cli_json(db, "audit", "--as-of", "2024-04-08", "--until", "2024-02-01")
    assert [p["id"] for p in only_a["postmortems"]] == ["2024-01-10-db-failover"]
    result = runner.invoke(app, ["audit", "--since", "2024-05-01", "--until", "2024-04-01", "--db", db])
    assert result.exit_code == 2 and "is after --until" in result.output


def test_audit_fail_under_exit_codes(db: str) -> None:
    result = runner.invoke(app, ["audit", "--as-of", "2024-04-08", "--fail-under", "50", "--db", db])
    assert result.exit_code == 1
    assert "overall completion 42.9% is below --fail-under 50%" in result.stderr
    cli(db, "audit", "--as-of", "2024-04-08", "--fail-under", "42.9")
    cli(db, "audit", "--as-of", "2024-04-08", "--fail-under", "101", code=2)  # out of range: usage error


def test_audit_csv_has_a_row_per_postmortem_and_overall(db: str) -> None:
    rows = list(csv.DictReader(io.StringIO(cli(db, "audit", "--as-of", "2024-04-08", "--format", "csv"))))
    assert [(r["postmortem_id"], r["complete"], r["on_time_rate"]) for r in rows] == [
        ("2024-01-10-db-failover", "50.0", "33.3"),
        ("2024-03-15-queue-backlog", "33.3", "0.0"),
        ("(overall)", "42.9", "25.0"),
    ]


def test_audit_table_and_markdown_for_people(db: str) -> None:
    table = cli(db, "audit", "--as-of", "2024-04-08")
    assert "Remediation audit as of 2024-04-08: 42.9% complete, 25% on time" in table
    markdown = cli(db, "audit", "--as-of", "2024-04-08", "--format", "markdown")
    assert "### Recurring action items" in markdown and "repeats an open item" in markdown


def test_bad_as_of_is_a_usage_error(db: str) -> None:
    result = runner.invoke(app, ["overdue", "--as-of", "next tuesday", "--db", db])
    assert result.exit_code == 2
    assert "--as-of 'next tuesday' is not a date" in result.output


def test_recurring_scores_are_identity_similarity() -> None:
    """find_recurring computes the score on a reused matcher; it must equal identity.similarity."""
    from remediate.identity import similarity
    from remediate.reports.audit import find_recurring
    from remediate.reports.base import ReportItem

    texts = [
        "Add alerting on queue depth for checkout",
        "Alert on the queue depth of checkout",
        "Automate the failover runbook",
        "Automate failover runbook steps for the DB",
        "Rotate the TLS certificates before expiry",
        "Rotate TLS certificates 30 days before they expire",
    ]

    def row(n: int, text: str) -> ReportItem:
        return ReportItem(
            f"i{n}",
            f"pm{n}",
            None,
            date(2024, 1, 1 + n),
            text,
            None,
            None,
            "open",
            None,
            None,
            date(2024, 1, 1 + n),
            None,
            False,
            None,
            None,
            None,
            None,
        )

    found = find_recurring([row(n, t) for n, t in enumerate(texts)], 0.5)
    assert found, "expected near-duplicates"
    for r in found:
        assert r.similarity == round(similarity(r.earlier.text, r.later.text), 3)


def test_items_done_when_first_synced_are_not_timed(tmp_path: Path, database_url: str) -> None:
    """An old postmortem imported with its items done: no 4,000-day close times, no 0% on time."""
    doc = tmp_path / "2015-03-02-outage.md"
    doc.write_text(
        "---\ndate: 2015-03-02\n---\n# Outage\n\n## Action items\n\n"
        "- [x] Add a replica for the queue database (due 2015-04-01)\n"
        "- [x] Page on replication lag\n"
        "- [ ] Write the failover runbook\n",
        encoding="utf-8",
    )
    cli(database_url, "sync", str(doc))
    data = cli_json(database_url, "audit")
    overall = data["overall"]
    assert (overall["done"], overall["done_when_seen"], overall["open"]) == (2, 2, 1)
    assert overall["median_days_to_close"] is None and overall["p90_days_to_close"] is None
    assert (overall["on_time"], overall["late"]) == (0, 1)  # the open item is past its policy due date
    assert "already done when first synced" in cli(database_url, "audit")
    # Reopened and closed again after the first sync, an item is timed like any other.
    (item,) = [i for i in cli_json(database_url, "status", "--items")["items"] if "queue database" in i["text"]]
    cli(database_url, "item", "reopen", item["key"])
    cli(database_url, "item", "done", item["key"])
    again = cli_json(database_url, "audit")["overall"]
    assert again["done_when_seen"] == 1 and again["median_days_to_close"] is not None

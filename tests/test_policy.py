"""The due-date policy: arithmetic, time zones, and the effective due date through the sync path."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from remediate.models import Item, LocalTicket
from remediate.policy import DuePolicy, EffectiveDue, normalize_priority
from remediate.settings import Settings, load_settings
from remediate.store import open_store
from tests.support import document, sync_docs


def policy(zone: str = "UTC", **days: int) -> DuePolicy:
    return DuePolicy.from_settings(Settings(timezone=zone, policy=days))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("incident", "priority", "expected"),
    [
        (date(2024, 1, 31), "P1", date(2024, 2, 28)),  # 28 days across a month end, leap year
        (date(2024, 2, 1), "P1", date(2024, 2, 29)),  # lands on the leap day
        (date(2023, 2, 1), "P1", date(2023, 3, 1)),  # no leap day in 2023
        (date(2024, 1, 31), "P0", date(2024, 2, 7)),
        (date(2024, 12, 20), "P0", date(2024, 12, 27)),
        (date(2024, 12, 20), "P2", date(2025, 2, 14)),  # 56 days across a year end
        (date(2023, 12, 31), "P3", date(2024, 3, 30)),  # 90 days through a leap February
        (date(2024, 3, 31), "P4", date(2024, 9, 27)),
        (date(2024, 3, 31), None, date(2024, 5, 26)),  # no priority: 56 days
        (date(2024, 3, 31), "urgent-ish", date(2024, 5, 26)),  # unknown priority: as none
    ],
)
def test_days_from_the_incident(incident: date, priority: str | None, expected: date) -> None:
    due = policy().effective_due(
        document_due=None, priority=priority, incident_date=incident, first_synced=datetime(2030, 1, 1, tzinfo=UTC)
    )
    assert due == EffectiveDue(expected, "policy:incident")


def test_document_due_date_always_wins() -> None:
    due = policy(p1=1).effective_due(
        document_due=date(2025, 1, 1), priority="P1", incident_date=date(2024, 3, 1), first_synced=datetime.now(UTC)
    )
    assert due == EffectiveDue(date(2025, 1, 1), "document")
    assert due.describe() == "document"


def test_zero_days_means_no_policy_date() -> None:
    due = policy(no_priority=0).effective_due(
        document_due=None, priority=None, incident_date=date(2024, 3, 1), first_synced=datetime.now(UTC)
    )
    assert due == EffectiveDue(None, None)
    assert policy(no_priority=0).days_for("P1") == 28


@pytest.mark.parametrize(
    ("zone", "synced_utc", "base"),
    [
        # 23:30 UTC on 31 January is already 1 February in Berlin (UTC+1) ...
        ("Europe/Berlin", datetime(2024, 1, 31, 23, 30, tzinfo=UTC), date(2024, 2, 1)),
        # ... and still 31 January in New York (UTC-5) and in UTC.
        ("America/New_York", datetime(2024, 1, 31, 23, 30, tzinfo=UTC), date(2024, 1, 31)),
        ("UTC", datetime(2024, 1, 31, 23, 30, tzinfo=UTC), date(2024, 1, 31)),
        # 00:30 UTC on 1 March 2024 is still 29 February in Los Angeles (UTC-8).
        ("America/Los_Angeles", datetime(2024, 3, 1, 0, 30, tzinfo=UTC), date(2024, 2, 29)),
        # Pacific/Kiritimati is UTC+14: 10:30 UTC on 31 December is already New Year's Day.
        ("Pacific/Kiritimati", datetime(2024, 12, 31, 10, 30, tzinfo=UTC), date(2025, 1, 1)),
    ],
)
def test_first_sync_date_is_taken_in_the_configured_zone(zone: str, synced_utc: datetime, base: date) -> None:
    due = policy(zone).effective_due(document_due=None, priority="P0", incident_date=None, first_synced=synced_utc)
    assert due.source == "policy:first_sync"
    assert (due.due - base).days == 7  # type: ignore[operator]


@pytest.mark.parametrize(
    ("zone", "now_utc", "today"),
    [
        ("Europe/Berlin", datetime(2024, 4, 7, 22, 30, tzinfo=UTC), date(2024, 4, 8)),  # CEST, UTC+2
        ("Europe/Berlin", datetime(2024, 4, 7, 21, 59, tzinfo=UTC), date(2024, 4, 7)),
        ("America/New_York", datetime(2024, 4, 8, 0, 30, tzinfo=UTC), date(2024, 4, 7)),
        ("UTC", datetime(2024, 4, 8, 0, 0, tzinfo=UTC), date(2024, 4, 8)),
    ],
)
def test_default_as_of_is_today_in_the_configured_zone(zone: str, now_utc: datetime, today: date) -> None:
    assert Settings(timezone=zone).today(now_utc) == today


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("P1", "P1"),
        ("p2", "P2"),
        ("sev0", "P0"),
        ("SEV-3", "P3"),
        ("[high]", "P1"),
        ("Critical", "P0"),
        ("low", "P3"),
        ("P7", None),
        ("", None),
        (None, None),
    ],
)
def test_priority_words(raw: str | None, label: str | None) -> None:
    assert normalize_priority(raw) == label


def test_policy_table_is_read_from_the_config(tmp_path: Path) -> None:
    path = tmp_path / "remediate.toml"
    path.write_text('timezone = "Europe/Berlin"\n[policy]\np1 = 14\nno_priority = 0\n')
    loaded = DuePolicy.from_settings(load_settings(path, environ={}))
    assert loaded.days_for("P1") == 14 and loaded.days_for(None) == 0 and loaded.days_for("P0") == 7
    assert loaded.tz == ZoneInfo("Europe/Berlin")


def _items(db: str) -> dict[str, Item]:
    with open_store(db) as store:
        with store.session() as session:
            return {i.text: i for i in session.exec(select(Item)).all()}


def test_sync_stores_the_effective_due_date_and_puts_it_on_the_ticket(database_url: str) -> None:
    doc = document(
        "2024-03-12-checkout",
        [
            {"text": "Make the pool size one setting", "priority": "P1"},
            {"text": "Alert on pool saturation", "priority": "P2", "due": date(2024, 4, 1)},
            "Load-test checkout with production settings",
        ],
        incident=date(2024, 3, 12),
    )
    sync_docs(database_url, [doc])
    items = _items(database_url)
    assert (
        items["Make the pool size one setting"].effective_due,
        items["Make the pool size one setting"].due_source,
    ) == (date(2024, 4, 9), "policy:incident")
    assert items["Make the pool size one setting"].due is None  # the document's own field stays as written
    assert (items["Alert on pool saturation"].effective_due, items["Alert on pool saturation"].due_source) == (
        date(2024, 4, 1),
        "document",
    )
    assert items["Load-test checkout with production settings"].effective_due == date(2024, 5, 7)
    store = open_store(database_url)
    with store.session() as session:
        tickets = {t.title: t.due for t in session.exec(select(LocalTicket)).all()}
    store.dispose()
    assert tickets["Make the pool size one setting"] == date(2024, 4, 9)


def test_a_policy_change_updates_items_and_tickets_on_the_next_sync(database_url: str) -> None:
    doc = document("pm", [{"text": "Make the pool size one setting", "priority": "P1"}], incident=date(2024, 3, 12))
    sync_docs(database_url, [doc])
    outcome = sync_docs(database_url, [doc], Settings(policy={"p1": 14}))  # type: ignore[arg-type]
    assert outcome.plan.summary()["updated"] == 1  # type: ignore[attr-defined]
    assert _items(database_url)["Make the pool size one setting"].effective_due == date(2024, 3, 26)


def test_without_incident_date_the_first_sync_day_counts(database_url: str) -> None:
    before = datetime.now(UTC)
    sync_docs(database_url, [document("pm", [{"text": "Fix the thing", "priority": "P0"}])])
    item = _items(database_url)["Fix the thing"]
    assert item.due_source == "policy:first_sync"
    assert (item.effective_due - before.date()).days in (7, 8)  # type: ignore[operator]  (midnight race)


def test_refresh_restamps_items_after_a_policy_change(database_url: str) -> None:
    from remediate.jobs import refresh_states

    sync_docs(database_url, [document("pm", [{"text": "Fix it", "priority": "P2"}], incident=date(2024, 1, 1))])
    refresh_states(Settings(policy={"p2": 10}), database_url=database_url, environ={})  # type: ignore[arg-type]
    assert _items(database_url)["Fix it"].effective_due == date(2024, 1, 11)


def test_status_counts_overdue_by_the_effective_due_date(database_url: str) -> None:
    from remediate.reports.status import postmortem_statuses

    sync_docs(
        database_url,
        [document("pm", [{"text": "Fix it", "priority": "P0"}, "Write it down"], incident=date(2024, 3, 1))],
    )
    store = open_store(database_url)
    with store.session() as session:
        on_the_day = postmortem_statuses(session, as_of=date(2024, 3, 8))[0]
        day_after = postmortem_statuses(session, as_of=date(2024, 3, 9))[0]
        later = postmortem_statuses(session, as_of=date(2024, 4, 27))[0]
    store.dispose()
    assert (on_the_day.overdue, day_after.overdue, later.overdue) == (0, 1, 2)


def test_migration_0002_keeps_document_due_dates(tmp_path: Path) -> None:
    import sqlalchemy as sa
    from alembic import command

    from remediate.store import SCHEMA_HEAD, Store, _alembic_config, _make_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = Store(_make_engine(url), url)
    with old.engine.begin() as conn:
        config = _alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(
            sa.text(
                "INSERT INTO postmortem (id, source, content_hash, first_seen, last_seen) "
                "VALUES ('pm', 'pm.md', 'x', '2024-01-01', '2024-01-01')"
            )
        )
        for item_id, due in (("a", "'2024-05-01'"), ("b", "NULL")):
            conn.execute(
                sa.text(
                    "INSERT INTO item (id, postmortem_id, content_id, position, text, section, due, line, state, "
                    f"first_seen, last_seen, removed) VALUES ('{item_id}', 'pm', '{item_id}', 0, 't', '', {due}, 0, "
                    "'open', '2024-01-01', '2024-01-01', 0)"
                )
            )
    old.dispose()
    store = open_store(url)
    assert store.revision() == SCHEMA_HEAD
    with store.session() as session:
        a, b = session.get(Item, "a"), session.get(Item, "b")
    store.dispose()
    assert (a.effective_due, a.due_source) == (date(2024, 5, 1), "document")  # type: ignore[union-attr]
    assert (b.effective_due, b.due_source) == (None, None)  # type: ignore[union-attr]

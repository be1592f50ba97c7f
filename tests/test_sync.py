"""The sync engine on the local tracker, on SQLite and PostgreSQL: exactly-once tickets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from remediate import sync as engine
from remediate.errors import ConfigError, SyncError
from remediate.jobs import sync_paths
from remediate.models import CreateIntent, Event, Item, Link, LocalTicket, SyncRun
from remediate.settings import Settings
from remediate.store import open_store
from tests.support import write_postmortem

ITEMS = [
    "Add alerting on queue depth for worker pool",
    "Make the pool size a single setting validated at deploy time",
    "Add the rollback command to the checkout runbook",
]


def run(doc: Path, db: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return sync_paths([str(doc)], Settings(), database_url=db, environ={}, **kwargs)  # type: ignore[arg-type]


def tickets(db: str) -> list[LocalTicket]:
    with open_store(db) as store:
        with store.session() as session:
            return list(session.exec(select(LocalTicket).order_by(col(LocalTicket.number))).all())


def links_by_text(db: str) -> dict[str, str]:
    with open_store(db) as store:
        with store.session() as session:
            rows = session.exec(select(Item, Link).join(Link, col(Link.item_id) == col(Item.id))).all()
            return {item.text: link.key for item, link in rows}


def actions(outcome) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {a.text: a.kind for a in outcome.plan.actions}


def test_first_sync_creates_each_ticket_once_and_rerun_creates_nothing(tmp_path: Path, database_url: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    first = run(doc, database_url)
    assert first.plan.summary() == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "linked": 0,
        "removed": 0,
        "adopted": 0,
        "missing": 0,
    }
    second = run(doc, database_url)
    assert second.plan.summary()["unchanged"] == 3
    assert len(tickets(database_url)) == 3


def test_reorder_and_insert_keep_tickets(tmp_path: Path, database_url: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    run(doc, database_url)
    before = links_by_text(database_url)
    write_postmortem(doc, [ITEMS[2], "Write a load test for the checkout service", ITEMS[0], ITEMS[1]])
    outcome = run(doc, database_url)
    assert actions(outcome)["Write a load test for the checkout service"] == "create"
    assert [actions(outcome)[t] for t in ITEMS] == ["unchanged"] * 3
    after = links_by_text(database_url)
    assert all(after[t] == before[t] for t in ITEMS)
    assert len(tickets(database_url)) == 4


def test_typo_fix_and_partial_rewording_update_the_same_ticket(tmp_path: Path, database_url: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    run(doc, database_url)
    key = links_by_text(database_url)[ITEMS[1]]
    edited = [ITEMS[0].replace("depth", "depht"), "Make the pool size one setting, validated during deploys", ITEMS[2]]
    write_postmortem(doc, edited)
    outcome = run(doc, database_url)
    kinds = actions(outcome)
    assert kinds[edited[0]] == "update" and kinds[edited[1]] == "update"
    assert links_by_text(database_url)[edited[1]] == key
    assert len(tickets(database_url)) == 3
    assert tickets(database_url)[1].title == edited[1]


def _recurrence_keys(db: str) -> dict[str, str | None]:
    with open_store(db) as store:
        with store.session() as session:
            return {item.text: item.recurrence_keys for item in session.exec(select(Item)).all()}


def test_items_keep_the_audits_recurrence_record_of_their_current_text(tmp_path: Path, database_url: str) -> None:
    """What the sync stores in item.recurrence_keys is identity.recurrence_keys of the item's text:
    on first sync, after an edit, and, for rows stored without one (older databases), after the
    next sync of their document."""
    from remediate.identity import recurrence_keys

    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    run(doc, database_url)
    assert _recurrence_keys(database_url) == {text: recurrence_keys(text) for text in ITEMS}
    edited = [ITEMS[0], "Make the pool size one setting, validated during deploys", ITEMS[2]]
    write_postmortem(doc, edited)
    run(doc, database_url)
    assert _recurrence_keys(database_url) == {text: recurrence_keys(text) for text in edited}
    with open_store(database_url) as store, store.engine.begin() as conn:
        conn.execute(Item.__table__.update().values(recurrence_keys=None))  # type: ignore[attr-defined]
    run(doc, database_url)
    assert _recurrence_keys(database_url) == {text: recurrence_keys(text) for text in edited}


def test_whole_new_sentence_gets_a_new_ticket_and_the_old_is_flagged_removed(tmp_path: Path, database_url: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    run(doc, database_url)
    replaced = [ITEMS[0], ITEMS[1], "Page the database team when replication lag passes 30 seconds"]
    write_postmortem(doc, replaced)
    outcome = run(doc, database_url)
    kinds = actions(outcome)
    assert kinds[replaced[2]] == "create"
    assert kinds[ITEMS[2]] == "removed"
    ts = tickets(database_url)
    assert len(ts) == 4
    assert ts[2].status == "open", "a removed item's ticket is never closed silently"
    store = open_store(database_url)
    with store.session() as session:
        removed = session.exec(select(Item).where(Item.text == ITEMS[2])).one()
        assert removed.removed and removed.removed_at is not None
    store.dispose()
    # Removal is reported once, not on every run.
    assert "removed" not in actions(run(doc, database_url)).values()


def test_item_put_back_is_restored_with_its_ticket(tmp_path: Path, database_url: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    run(doc, database_url)
    key = links_by_text(database_url)[ITEMS[2]]
    write_postmortem(doc, ITEMS[:2])
    run(doc, database_url)
    write_postmortem(doc, ITEMS)
    outcome = run(doc, database_url)
    assert actions(outcome)[ITEMS[2]] == "unchanged"
    assert links_by_text(database_url)[ITEMS[2]] == key
    assert len(tickets(database_url)) == 3


def test_document_reference_links_instead_of_creating(tmp_path: Path, database_url: str) -> None:
    first = write_postmortem(tmp_path / "first.md", ITEMS[:1])
    run(first, database_url)
    # A later postmortem names the ticket the first one already has.
    later = write_postmortem(tmp_path / "later.md", [ITEMS[1], "Finish the queue alerting (LOCAL-1)"])
    outcome = run(later, database_url)
    linked = [a for a in outcome.plan.actions if a.kind == "link"]
    assert [(a.text, a.ref.key) for a in linked] == [("Finish the queue alerting", "LOCAL-1")]
    assert len(tickets(database_url)) == 2
    assert run(later, database_url).plan.summary()["unchanged"] == 2


def test_foreign_reference_warns_and_creates(tmp_path: Path, database_url: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", [ITEMS[0] + " (OPS-42)"])
    outcome = run(doc, database_url)
    assert actions(outcome)[ITEMS[0]] == "create"
    assert any("OPS-42 is not a local ticket" in w for w in outcome.warnings)


def test_checkbox_change_closes_and_reopens_the_ticket(tmp_path: Path, database_url: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS, boxes=[False, False, False])
    run(doc, database_url)
    write_postmortem(doc, ITEMS, boxes=[True, False, False])
    outcome = run(doc, database_url)
    assert [a.changed for a in outcome.plan.actions if a.kind == "update"] == [frozenset({"done"})]
    assert tickets(database_url)[0].status == "done"
    write_postmortem(doc, ITEMS, boxes=[False, False, False])
    run(doc, database_url)
    assert tickets(database_url)[0].status == "open"


def test_state_changed_in_tracker_comes_back_with_history(tmp_path: Path, database_url: str) -> None:
    from remediate.connectors import Status
    from remediate.local import set_item_status

    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    outcome = run(doc, database_url)
    item_id = outcome.plan.actions[0].item_id
    store = open_store(database_url)
    set_item_status(store, item_id[:8], Status.NOT_DOING, note="superseded")
    with store.session() as session:
        item = session.get(Item, item_id)
        assert item is not None and item.state == "not_doing"
        events = session.exec(select(Event).where(Event.item_id == item_id, Event.kind == "state")).all()
        assert [(e.old, e.new, e.actor, e.detail) for e in events] == [("open", "not_doing", "cli", "superseded")]
    store.dispose()
    # The next sync neither reopens it (the document did not change) nor reports a change.
    again = run(doc, database_url)
    assert again.plan.summary()["unchanged"] == 3
    assert tickets(database_url)[0].status == "not_doing"


def test_crash_between_create_and_link_adopts_on_next_run(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    real_store_link = engine._store_link
    calls = {"n": 0}

    def die_after_first(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # every ticket of the chunk exists in the tracker; no link is stored
            raise SystemExit("killed")
        real_store_link(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_store_link", die_after_first)
    with pytest.raises(SystemExit):
        run(doc, database_url)
    monkeypatch.setattr(engine, "_store_link", real_store_link)
    # The local tracker files a chunk in one transaction, and the chunk's links commit together:
    # the crash left three tickets and three intents, and not one link.
    assert len(tickets(database_url)) == 3
    store = open_store(database_url)
    with store.session() as session:
        assert len(session.exec(select(CreateIntent)).all()) == 3
        assert session.exec(select(Link)).all() == []
        assert session.exec(select(SyncRun)).one().status == "failed"
    store.dispose()

    outcome = run(doc, database_url)
    adopted = [a.text for a in outcome.plan.actions if a.adopted]
    assert adopted == ITEMS
    assert len(tickets(database_url)) == 3, "the tickets created before the crash were adopted, not duplicated"
    store = open_store(database_url)
    with store.session() as session:
        assert session.exec(select(CreateIntent)).all() == []
    store.dispose()


def test_failure_midway_leaves_a_consistent_database_and_next_run_completes(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from remediate.errors import Unavailable
    from remediate.local import LocalTracker

    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    real_create = LocalTracker.create

    def flaky(self: LocalTracker, drafts):  # type: ignore[no-untyped-def]
        for n, created in enumerate(real_create(self, drafts)):
            if n == 1:
                raise Unavailable("tracker went away", tracker="local")
            yield created

    monkeypatch.setattr(LocalTracker, "create", flaky)
    with pytest.raises(Unavailable):
        run(doc, database_url)
    monkeypatch.setattr(LocalTracker, "create", real_create)
    outcome = run(doc, database_url)
    assert len(tickets(database_url)) == 3
    assert sorted(a.kind for a in outcome.plan.actions) == ["create", "create", "unchanged"]
    # The local tracker filed the chunk in one transaction: the two not answered before the
    # failure exist, and are adopted; the one answered was linked before the error went up.
    assert sum(a.adopted for a in outcome.plan.actions) == 2


def test_dry_run_writes_nothing_anywhere(tmp_path: Path, database_url: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    original = doc.read_bytes()
    outcome = run(doc, database_url, dry_run=True, write_back=True)
    assert outcome.plan.summary()["created"] == 3
    assert doc.read_bytes() == original
    if database_url.startswith("sqlite"):
        assert not Path(database_url.removeprefix("sqlite:///")).exists()
    run(doc, database_url)
    before = _row_counts(database_url)
    write_postmortem(doc, [*ITEMS, "Write a load test"])
    plan = run(doc, database_url, dry_run=True)
    assert actions(plan)["Write a load test"] == "create"
    assert _row_counts(database_url) == before


def _row_counts(db: str) -> dict[str, int]:
    with open_store(db) as store:
        with store.session() as session:
            return {
                model.__name__: session.exec(select(func.count()).select_from(model)).one()
                for model in (Item, Link, LocalTicket, Event, SyncRun, CreateIntent)
            }


def test_history_records_each_run_and_change(tmp_path: Path, database_url: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    run(doc, database_url)
    run(doc, database_url)
    store = open_store(database_url)
    with store.session() as session:
        runs = session.exec(select(SyncRun).order_by(col(SyncRun.id))).all()
        assert [r.status for r in runs] == ["ok", "ok"]
        assert json.loads(runs[0].summary or "{}")["created"] == 3
        kinds = sorted(e.kind for e in session.exec(select(Event)).all())
        assert kinds == ["added"] * 3 + ["created"] * 3
    store.dispose()


def test_duplicate_postmortem_ids_are_refused_before_anything_is_written(tmp_path: Path, database_url: str) -> None:
    a = write_postmortem(tmp_path / "a" / "outage.md", ITEMS[:1])
    b = write_postmortem(tmp_path / "b" / "outage.md", ITEMS[1:2])
    with pytest.raises(SyncError, match="both have postmortem id"):
        sync_paths([str(a), str(b)], Settings(), database_url=database_url, environ={})
    assert tickets(database_url) == []


def test_unknown_tracker_is_a_config_error(tmp_path: Path, database_url: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    with pytest.raises(ConfigError, match="unknown tracker 'linear'"):
        run(doc, database_url, tracker="linear")


def test_deleted_ticket_is_reported_once_and_never_recreated(tmp_path: Path, database_url: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    run(doc, database_url)
    store = open_store(database_url)
    with store.session() as session:
        session.delete(session.get(LocalTicket, 2))
        session.commit()
    store.dispose()
    outcome = run(doc, database_url)
    assert [(c.key, c.missing) for c in outcome.state_changes] == [("LOCAL-2", "deleted")]
    again = run(doc, database_url)
    assert again.state_changes == []
    assert [a.note for a in again.plan.actions if a.note] == ["ticket LOCAL-2 is deleted on the tracker; not recreated"]
    assert again.plan.summary()["missing"] == 1, "every sync counts the links whose ticket is gone"
    assert len(tickets(database_url)) == 2


def test_each_chunk_is_looked_up_right_before_it_is_created(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two databases racing get a window of one chunk (50 items), not of the whole postmortem."""
    from remediate.local import LocalTracker

    calls: list[tuple[str, int]] = []
    find, create = LocalTracker.find, LocalTracker.create

    def counting_find(self: LocalTracker, drafts):  # type: ignore[no-untyped-def]
        calls.append(("find", len(drafts)))
        return find(self, drafts)

    def counting_create(self: LocalTracker, drafts):  # type: ignore[no-untyped-def]
        calls.append(("create", len(drafts)))
        return create(self, drafts)

    monkeypatch.setattr(LocalTracker, "find", counting_find)
    monkeypatch.setattr(LocalTracker, "create", counting_create)
    doc = write_postmortem(tmp_path / "pm.md", [f"Add an alert on queue {n} depth" for n in range(120)])
    outcome = run(doc, database_url)
    assert outcome.plan.summary()["created"] == 120
    creates_and_lookups = [c for c in calls if c != ("find", 120)]  # the post-create duplicate check
    assert creates_and_lookups[:6] == [
        ("find", 50),
        ("create", 50),
        ("find", 50),
        ("create", 50),
        ("find", 20),
        ("create", 20),
    ]


def test_apply_records_outcomes_and_leaves_the_decisions_as_planned(tmp_path: Path, database_url: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    plan = run(doc, database_url).plan
    assert [a.ref for a in plan.planned] == [None, None, None], "the plan is what was decided, before any call"
    assert [a.decision for a in plan.actions] == [a.decision for a in plan.planned]
    assert [a.outcome for a in plan.actions] == [
        engine.Outcome(engine.TicketRef("local", f"LOCAL-{n}")) for n in (1, 2, 3)
    ]


def test_a_sync_of_many_postmortems_lets_go_of_each_parsed_document_once_it_is_applied(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What bounds a large first sync's memory: neither the plan nor ``sync_paths`` keeps a parsed
    document (its items) after its tickets are done; the plan keeps its postmortem, the actions
    what the output needs (no draft, no due date)."""
    import gc
    import weakref

    from remediate.parsing import ParseResult

    seen: list[weakref.ref[ParseResult]] = []
    alive_at_last: list[int] = []
    add = engine._Window.add

    def watching_add(self: engine._Window, document: ParseResult, actions: list[engine.Action]) -> None:
        seen.append(weakref.ref(document))
        if len(seen) == 30:
            gc.collect()
            alive_at_last.extend(n for n, ref in enumerate(seen) if ref() is not None)
        add(self, document, actions)

    monkeypatch.setattr(engine._Window, "add", watching_add)
    docs = [write_postmortem(tmp_path / f"pm{n:02d}.md", [f"Add alert {n}-{i}" for i in range(5)]) for n in range(30)]
    outcome = sync_paths([str(d) for d in docs], Settings(), database_url=database_url, environ={})
    # 50 creates a chunk: the first 20 documents (two chunks) are done before the last is planned.
    assert alive_at_last and min(alive_at_last) >= 20, alive_at_last
    plan = outcome.plan
    assert [d.postmortem.source for d in plan.documents] == [str(d) for d in docs]
    assert all(d.action_items == () for d in plan.documents)
    assert plan.summary()["created"] == 150 and len(plan.actions) == 150
    assert all(a.draft is None and a.due is None and a.parsed is None for a in plan.actions)
    assert len({id(a.decision) for a in plan.actions}) == 1, "equal decisions are kept once"
    assert len({a.ref.key for a in plan.actions if a.ref}) == 150


def test_creates_are_chunked_across_postmortems(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small postmortems share chunks: one lookup by marker and one create per 50 items, not per document.

    A document's duplicate check (also a lookup by marker) runs once its last create is done."""
    from remediate.local import LocalTracker

    calls: list[tuple[str, list[str]]] = []
    find_all, create = LocalTracker.find_all, LocalTracker.create

    def counting_find_all(self: LocalTracker, drafts):  # type: ignore[no-untyped-def]
        calls.append(("find", sorted({d.postmortem.id for d in drafts}) + [str(len(drafts))]))
        return find_all(self, drafts)

    def counting_create(self: LocalTracker, drafts):  # type: ignore[no-untyped-def]
        calls.append(("create", sorted({d.postmortem.id for d in drafts}) + [str(len(drafts))]))
        return create(self, drafts)

    monkeypatch.setattr(LocalTracker, "find_all", counting_find_all)
    monkeypatch.setattr(LocalTracker, "create", counting_create)
    docs = [
        write_postmortem(
            tmp_path / f"pm{n}.md", [f"Add an alert on queue {n}-{i} depth" for i in range(20)], title=f"P{n}"
        )
        for n in range(3)
    ]
    outcome = sync_paths([str(d) for d in docs], Settings(), database_url=database_url, environ={})
    assert outcome.plan.summary()["created"] == 60
    ids = [d.postmortem.id for d in outcome.plan.documents]
    assert calls == [
        ("find", [ids[0], ids[1], ids[2], "50"]),  # the first chunk: 20 + 20 + 10 items
        ("create", [ids[0], ids[1], ids[2], "50"]),
        ("find", [ids[0], ids[1], "40"]),  # the first two documents are done: their duplicate check
        ("find", [ids[2], "10"]),  # the rest of the third
        ("create", [ids[2], "10"]),
        ("find", [ids[2], "20"]),
    ]
    assert len(tickets(database_url)) == 60
    calls.clear()
    assert (
        sync_paths([str(d) for d in docs], Settings(), database_url=database_url, environ={}).plan.summary()[
            "unchanged"
        ]
        == 60
    )
    assert calls == [], "a re-sync with every item linked asks the tracker nothing"


def test_a_crash_inside_a_chunk_spanning_postmortems_adopts_on_the_next_run(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = [
        write_postmortem(
            tmp_path / f"pm{n}.md", [f"Add an alert on queue {n}-{i} depth" for i in range(20)], title=f"P{n}"
        )
        for n in range(3)
    ]
    real_store_link = engine._store_link
    calls = {"n": 0}

    def die_in_the_second_document(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 31:  # the ticket exists on the tracker; its link is never stored
            raise SystemExit("killed")
        real_store_link(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_store_link", die_in_the_second_document)
    with pytest.raises(SystemExit):
        sync_paths([str(d) for d in docs], Settings(), database_url=database_url, environ={})
    monkeypatch.setattr(engine, "_store_link", real_store_link)
    # The local tracker filed the first chunk (50 items from three documents) in one transaction,
    # and its links commit together: the crash left 50 tickets, 50 intents and no link.
    assert len(tickets(database_url)) == 50
    store = open_store(database_url)
    with store.session() as session:
        assert len(session.exec(select(CreateIntent)).all()) == 50, "the whole chunk, from three documents"
        assert session.exec(select(Link)).all() == []
    store.dispose()

    outcome = sync_paths([str(d) for d in docs], Settings(), database_url=database_url, environ={})
    assert outcome.plan.summary() == {
        "created": 10,
        "updated": 0,
        "unchanged": 0,
        "linked": 0,
        "removed": 0,
        "adopted": 50,
        "missing": 0,
    }
    assert len(tickets(database_url)) == 60, "exactly one ticket per item"
    assert len({t.item_id for t in tickets(database_url)}) == 60


def test_documents_waiting_for_a_chunk_stay_fewer_than_a_chunk(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory does not grow with the number of postmortems: at most CREATE_CHUNK - 1 documents wait."""
    waiting: list[int] = []
    add = engine._Window.add

    def measured(self: engine._Window, document, actions) -> None:  # type: ignore[no-untyped-def]
        add(self, document, actions)
        waiting.append(len(self.waiting))

    monkeypatch.setattr(engine._Window, "add", measured)
    docs = [
        write_postmortem(tmp_path / f"pm{n}.md", [f"Rotate the signing key of service {n}"], title=f"P{n}")
        for n in range(120)
    ]
    outcome = sync_paths([str(d) for d in docs], Settings(), database_url=database_url, environ={})
    assert outcome.plan.summary()["created"] == 120
    assert max(waiting) == engine.CREATE_CHUNK - 1
    assert waiting[49] == 0, "the fiftieth document fills the first chunk: all fifty are done"


def test_the_group_ticket_gets_the_document_link_the_items_got(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With [postmortem_url], a tracking issue or epic links the document as its items do (it got
    the bare repository path, and Jira rewrote the epic right after filing it)."""
    from remediate.local import LocalTracker

    seen: list[str | None] = []

    def record(self: LocalTracker, postmortem, group, members):  # type: ignore[no-untyped-def]
        seen.append(postmortem.link)
        return None

    monkeypatch.setattr(LocalTracker, "sync_group", record)
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    settings = Settings.model_validate({"postmortem_url": "https://git.example/acme/pms/blob/main/"})
    # A dry run's plan keeps the drafts (a real run drops each once its tickets are done).
    planned = sync_paths([str(doc)], settings, database_url=database_url, environ={}, dry_run=True)
    [link] = {a.draft.postmortem.link for a in planned.plan.actions if a.draft is not None}
    sync_paths([str(doc)], settings, database_url=database_url, environ={})
    assert link is not None and link.startswith("https://git.example/acme/pms/blob/main/")
    assert seen == [link]

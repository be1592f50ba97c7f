"""``sync.decide``: what one item needs, as a table of every identity and state case (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from remediate.connectors import PostmortemInfo, TicketDraft, TicketRef
from remediate.drafts import dump_draft
from remediate.models import Item, Link
from remediate.sync import REMOVED_NOTE, Decision, Kind, decide

ITEM_ID = "a1b2c3d4e5f6"
DRAFT = TicketDraft(
    item_id=ITEM_ID,
    title="Add alerting on queue depth",
    text="Add alerting on queue depth",
    section="Action Items",
    owner=None,
    due=None,
    priority=None,
    done=False,
    postmortem=PostmortemInfo("pm-1", "Checkout outage", None, "pm.md"),
)
EDITED = replace(DRAFT, title="Add alerting on queue depht", text="Add alerting on queue depht")
DONE = replace(DRAFT, done=True)
TICKET = TicketRef("local", "LOCAL-1", "local://1", "1")
OTHER = TicketRef("local", "LOCAL-9", "local://9", "9")
WHEN = datetime(2026, 1, 5, 12, 0)


def item(*, removed: bool = False) -> Item:
    return Item(
        id=ITEM_ID,
        postmortem_id="pm-1",
        content_id=ITEM_ID,
        text=DRAFT.text,
        first_seen=WHEN,
        last_seen=WHEN,
        removed=removed,
    )


def link(*, how: str = "created", pushed: TicketDraft | None = DRAFT, missing: str | None = None) -> Link:
    return Link(
        item_id=ITEM_ID,
        tracker=TICKET.tracker,
        key=TICKET.key,
        url=TICKET.url,
        remote_id=TICKET.remote_id,
        how=how,
        pushed=dump_draft(pushed) if pushed else None,
        missing=missing,
    )


DELETED_NOTE = "ticket LOCAL-1 is deleted on the tracker; not recreated"

# (stored item, its link, the ticket the document names (claimed), draft (None: not in the document),
#  intents, expected decision); each row is one branch of decide.
CASES = [
    pytest.param(None, None, None, DRAFT, set(), Decision(Kind.CREATE, new_item=True), id="new-item"),
    pytest.param(
        None, None, TICKET, DRAFT, set(), Decision(Kind.LINK, TICKET, new_item=True), id="new-item-names-a-ticket"
    ),
    pytest.param(item(), None, None, DRAFT, set(), Decision(Kind.CREATE), id="stored-never-created-no-intent"),
    pytest.param(
        item(), None, None, DRAFT, {ITEM_ID}, Decision(Kind.CREATE, recover=True), id="intent-left-by-crash-recovers"
    ),
    pytest.param(
        item(), None, None, DRAFT, {"someone-else"}, Decision(Kind.CREATE), id="another-items-intent-is-not-ours"
    ),
    pytest.param(item(), link(), None, DRAFT, set(), Decision(Kind.UNCHANGED, TICKET), id="unchanged-linked"),
    pytest.param(
        item(), link(how="adopted"), None, DRAFT, set(), Decision(Kind.UNCHANGED, TICKET), id="unchanged-adopted"
    ),
    pytest.param(
        item(),
        link(),
        None,
        EDITED,
        set(),
        Decision(Kind.UPDATE, TICKET, frozenset({"title", "text"})),
        id="edited-linked-updates-what-changed",
    ),
    pytest.param(
        item(),
        link(),
        None,
        DONE,
        set(),
        Decision(Kind.UPDATE, TICKET, frozenset({"done"})),
        id="done-in-doc-open-ticket-closes",
    ),
    pytest.param(
        item(),
        link(pushed=DONE),
        None,
        DONE,
        set(),
        Decision(Kind.UNCHANGED, TICKET),
        id="done-in-doc-as-pushed-ticket-reopened-on-tracker-stays",
    ),
    pytest.param(
        item(), link(pushed=None), None, EDITED, set(), Decision(Kind.UNCHANGED, TICKET), id="never-pushed-unchanged"
    ),
    pytest.param(
        item(),
        link(how="linked"),
        None,
        EDITED,
        set(),
        Decision(Kind.UNCHANGED, TICKET),
        id="named-by-document-never-written-to",
    ),
    pytest.param(
        item(), None, TICKET, DRAFT, set(), Decision(Kind.LINK, TICKET), id="document-names-ticket-claimed-by-connector"
    ),
    pytest.param(
        item(), None, TICKET, DRAFT, {ITEM_ID}, Decision(Kind.LINK, TICKET), id="document-reference-wins-over-intent"
    ),
    pytest.param(
        item(), link(), OTHER, DRAFT, set(), Decision(Kind.LINK, OTHER), id="document-names-another-ticket-relinks"
    ),
    pytest.param(
        item(),
        link(how="linked", pushed=None),
        TICKET,
        EDITED,
        set(),
        Decision(Kind.UNCHANGED, TICKET),
        id="document-names-the-linked-ticket",
    ),
    pytest.param(
        item(),
        link(missing="deleted"),
        None,
        EDITED,
        set(),
        Decision(Kind.UNCHANGED, TICKET, missing="deleted", note=DELETED_NOTE),
        id="ticket-deleted-on-tracker-not-recreated-nor-updated",
    ),
    pytest.param(
        item(),
        link(missing="deleted"),
        OTHER,
        DRAFT,
        set(),
        Decision(Kind.LINK, OTHER),
        id="ticket-deleted-document-names-a-new-one",
    ),
    pytest.param(
        item(removed=True),
        link(),
        None,
        DRAFT,
        set(),
        Decision(Kind.UNCHANGED, TICKET, restored=True),
        id="restored-item-keeps-its-ticket",
    ),
    pytest.param(
        item(removed=True),
        link(),
        None,
        EDITED,
        set(),
        Decision(Kind.UPDATE, TICKET, frozenset({"title", "text"}), restored=True),
        id="restored-and-edited",
    ),
    pytest.param(
        item(removed=True),
        None,
        None,
        DRAFT,
        set(),
        Decision(Kind.CREATE, restored=True),
        id="restored-item-without-ticket",
    ),
    pytest.param(
        item(), link(), None, None, set(), Decision(Kind.REMOVED, TICKET, note=REMOVED_NOTE), id="removed-item-flagged"
    ),
    pytest.param(
        item(), None, None, None, {ITEM_ID}, Decision(Kind.REMOVED, note=REMOVED_NOTE), id="removed-item-without-ticket"
    ),
    pytest.param(item(removed=True), link(), None, None, set(), None, id="removed-before-still-absent-nothing"),
    pytest.param(None, None, None, None, set(), None, id="nothing-stored-nothing-parsed"),
]


@pytest.mark.parametrize(("stored", "stored_link", "claimed", "draft", "intents", "expected"), CASES)
def test_decide(
    stored: Item | None,
    stored_link: Link | None,
    claimed: TicketRef | None,
    draft: TicketDraft | None,
    intents: set[str],
    expected: Decision | None,
) -> None:
    assert decide(stored, stored_link, claimed, draft, intents) == expected


def test_every_kind_has_a_row() -> None:
    kinds = {case.values[-1].kind for case in CASES if case.values[-1] is not None}  # type: ignore[union-attr]
    assert kinds == set(Kind)


def test_kinds_spell_the_json_actions() -> None:
    assert [k.value for k in Kind] == ["create", "update", "unchanged", "link", "removed"]


def test_actions_show_each_outcome_as_apply_records_it() -> None:
    from remediate.sync import Action, Outcome, Plan

    planned = Action(ITEM_ID, "pm-1", DRAFT.text, Decision(Kind.CREATE), DRAFT)
    plan = Plan("local", [], (planned,))
    assert plan.actions == [planned] and plan.summary()["created"] == 1
    plan.applied.record(ITEM_ID, Outcome(TICKET, adopted=True))
    (action,) = plan.actions
    assert (action.ref, action.adopted, action.decision) == (TICKET, True, planned.decision)
    assert plan.summary()["adopted"] == 1 and plan.summary()["created"] == 0
    assert plan.planned == (planned,), "the plan's decisions never change"

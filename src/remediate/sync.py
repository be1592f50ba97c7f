"""The sync engine: plan what each action item needs, then apply it exactly once.

``plan`` reads documents and the database and decides, per item: create, update, unchanged,
link (the document already names a ticket) or removed (the item left the document: flagged,
its ticket never closed silently). It writes nothing, which is all ``--dry-run`` runs.

``apply`` carries a plan out under the database's ``sync:<tracker>`` lock, so two syncs on one
database never both create a ticket: the second waits, re-plans and finds the links the first
stored. Before tickets are created, a ``create_intent`` row per item is committed; each link is
committed as soon as the connector yields it, and its intent deleted. A run that dies in between
leaves intents behind. Before any create, the engine asks the tracker for the markers of every
item it is about to create (``find``, one batched read) and adopts what it finds instead of
creating a second ticket: after a crash, and with a new or lost database alike.

Bringing ticket states back afterwards is ``remediate.refresh``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import update
from sqlmodel import Session, col, select

from remediate import dedupe
from remediate.connectors import Connector, Status, TicketDraft, TicketRef
from remediate.drafts import build_draft, changed_since_push, dump_draft, postmortem_info
from remediate.errors import Conflict, NotFound, SyncError
from remediate.identity import Candidate, Known, Match, match_items
from remediate.models import CreateIntent, Event, GroupLink, Item, Link, Postmortem, SyncRun, utcnow
from remediate.parsing import ActionItem, ParseResult
from remediate.policy import DuePolicy, EffectiveDue

log = logging.getLogger("remediate.sync")

ActionKind = Literal["create", "update", "unchanged", "link", "removed"]
SUMMARY_KEYS = ("created", "updated", "unchanged", "linked", "removed", "adopted", "missing")
_SUMMARY_OF: dict[str, str] = {
    "create": "created",
    "update": "updated",
    "unchanged": "unchanged",
    "link": "linked",
    "removed": "removed",
}


@dataclass
class Action:
    """What one item needs, and after ``apply`` what was done."""

    kind: ActionKind
    item_id: str
    postmortem_id: str
    text: str
    draft: TicketDraft | None = None  # None for removed items
    parsed: ActionItem | None = None
    ref: TicketRef | None = None  # the ticket (existing, to link, or created)
    changed: frozenset[str] = frozenset()
    match: Match | None = None
    recover: bool = False  # a previous run may have created the ticket already
    new_item: bool = False
    restored: bool = False
    note: str | None = None
    adopted: bool = False  # the tracker had the ticket (found by marker); counted as adopted, not created
    missing: str | None = None  # the linked ticket was deleted or moved away (Link.missing)
    failed: str | None = None
    due: EffectiveDue | None = None  # the effective due date (remediate.policy), also on the draft

    def to_json(self) -> dict[str, object]:
        """One entry of ``remediate sync --format json``."""
        return {
            "item_id": self.item_id,
            "postmortem_id": self.postmortem_id,
            "action": self.kind,
            "tracker": self.ref.tracker if self.ref else None,
            "key": self.ref.key if self.ref else None,
            "url": self.ref.url if self.ref else None,
            "text": self.text,
            "changed": sorted(self.changed),
            "match": self.match.how if self.match else None,
            "adopted": self.adopted,
            "missing": self.missing,
            "error": self.failed,
            "note": self.note,
        }


@dataclass
class Plan:
    """Everything ``apply`` will do, per document."""

    tracker: str
    documents: list[ParseResult]
    actions: list[Action] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """Counts per action, keyed created/updated/unchanged/linked/removed/adopted/missing.

        ``adopted`` tickets were found on the tracker by marker instead of created; ``missing``
        counts items whose ticket was deleted or moved away (also counted by their action).
        """
        counts = dict.fromkeys(SUMMARY_KEYS, 0)
        for action in self.actions:
            if action.failed is None:
                counts["adopted" if action.adopted else _SUMMARY_OF[action.kind]] += 1
            if action.missing:
                counts["missing"] += 1
        return counts


# --- plan ------------------------------------------------------------------------------------


def plan(
    session: Session,
    connector: Connector,
    documents: Sequence[ParseResult],
    *,
    base_url: str | None = None,
    threshold: float,
    policy: DuePolicy | None = None,
) -> Plan:
    """Decide what every item of ``documents`` needs in ``connector``'s tracker. Writes nothing.

    Each ticket draft carries the item's effective due date (``policy``, default the built-in one).
    """
    _check_unique_ids(documents)
    result = Plan(connector.name, list(documents))
    policy = policy or DuePolicy.default()
    for document in documents:
        _plan_document(session, connector, document, result, base_url, threshold, policy)
    return result


def _check_unique_ids(documents: Sequence[ParseResult]) -> None:
    seen: dict[str, str] = {}
    for document in documents:
        pm = document.postmortem
        if pm.id in seen:
            raise SyncError(
                f"{seen[pm.id]} and {pm.source} both have postmortem id {pm.id!r}; "
                "give one of them an `id:` in its front matter"
            )
        seen[pm.id] = pm.source


def _plan_document(
    session: Session,
    connector: Connector,
    document: ParseResult,
    result: Plan,
    base_url: str | None,
    threshold: float,
    policy: DuePolicy,
) -> None:
    pm = document.postmortem
    now = utcnow()
    info = postmortem_info(pm, base_url)
    stored = session.get(Postmortem, pm.id)
    if stored is not None and stored.source != pm.source and not pm.source.startswith("<"):
        result.warnings.append(f"postmortem {pm.id} moved from {stored.source} to {pm.source}")
    items = session.exec(select(Item).where(Item.postmortem_id == pm.id)).all()
    links = {
        link.item_id: link
        for link in session.exec(
            select(Link).where(Link.tracker == connector.name, col(Link.item_id).in_([i.id for i in items]))
        ).all()
    }
    intents = {
        intent.item_id
        for intent in session.exec(select(CreateIntent).where(CreateIntent.tracker == connector.name)).all()
    }
    claimed = [_claim(connector, item) for item in document.action_items]
    for item, ref in zip(document.action_items, claimed, strict=True):
        if item.tracker_ref and ref is None:
            result.warnings.append(
                f"{pm.source}:{item.line}: {item.tracker_ref} is not a {connector.name} ticket; "
                "the item is tracked on its own"
            )
    known = [Known(i.id, i.content_id, i.text, i.section, links[i.id].key if i.id in links else None) for i in items]
    candidates = [
        Candidate(item.id, item.text, item.section, ref.key if ref else None)
        for item, ref in zip(document.action_items, claimed, strict=True)
    ]
    matches = match_items(candidates, known, threshold=threshold)
    by_id = {i.id: i for i in items}
    taken: set[str] = set()
    for item, ref, match in zip(document.action_items, claimed, matches, strict=True):
        stored_item = by_id.get(match.known_id) if match.known_id else None
        item_id = stored_item.id if stored_item else _fresh_id(session, item.id, taken)
        taken.add(item_id)
        due = policy.effective_due(
            document_due=item.due,
            priority=item.priority,
            incident_date=pm.date,
            first_synced=stored_item.first_seen if stored_item else now,
        )
        draft = build_draft(item_id, item, info, due=due.due)
        action = Action("unchanged", item_id, pm.id, item.text, draft, item, match=match, due=due)
        action.new_item = stored_item is None
        action.restored = bool(stored_item and stored_item.removed)
        link = links.get(item_id)
        if ref is not None and (link is None or link.key != ref.key):
            action.kind, action.ref = "link", ref
        elif link is not None:
            action.ref = TicketRef(link.tracker, link.key, link.url, link.remote_id)
            if link.missing:
                action.missing = link.missing
                action.note = f"ticket {link.key} is {link.missing} on the tracker; not recreated"
            elif link.how != "linked":
                action.changed = changed_since_push(link.pushed, draft)
                if action.changed:
                    action.kind = "update"
        else:
            action.kind = "create"
            action.recover = item_id in intents
        result.actions.append(action)
    present = {a.item_id for a in result.actions if a.postmortem_id == pm.id}
    for stored_item in items:
        if stored_item.id not in present and not stored_item.removed:
            link = links.get(stored_item.id)
            ref = TicketRef(link.tracker, link.key, link.url, link.remote_id) if link else None
            result.actions.append(
                Action(
                    "removed",
                    stored_item.id,
                    pm.id,
                    stored_item.text,
                    ref=ref,
                    note="no longer in the document; ticket left as it is",
                )
            )


def _claim(connector: Connector, item: ActionItem) -> TicketRef | None:
    """The first reference of the item that names one of this tracker's tickets, if any."""
    for reference in item.refs or ((item.tracker_ref,) if item.tracker_ref else ()):
        ref = connector.claim(reference)
        if ref is not None:
            return ref
    return None


def _fresh_id(session: Session, parser_id: str, taken: set[str]) -> str:
    """The parser id, unless another item already owns it (an old wording of an edited item)."""
    candidate, n = parser_id, 1
    while candidate in taken or session.get(Item, candidate) is not None:
        n += 1
        candidate = f"{parser_id}-{n}"
    return candidate


# --- apply -----------------------------------------------------------------------------------


def apply(session: Session, connector: Connector, result: Plan, run_id: int, *, create: bool = True) -> None:
    """Carry out ``result``: store items, create/update/link tickets, flag removed items.

    With ``create=False`` (``remediate db rebuild``) nothing is written to the tracker: tickets
    found by marker are adopted and linked, and every other item is left for the next sync.
    """
    for document in result.documents:
        pm = document.postmortem
        actions = [a for a in result.actions if a.postmortem_id == pm.id]
        _store_document(session, document, actions, run_id)
        creates = [a for a in actions if a.kind == "create"]
        _create(session, connector, creates, run_id, create=create)
        if create:
            _check_duplicates(session, connector, creates, result)
        for action in actions:
            if action.kind == "update" and create:
                _update(session, connector, action, run_id)
            elif action.kind == "link":
                _link(session, action, run_id)
        if create:
            _sync_group(session, connector, document, result)


def _store_document(session: Session, document: ParseResult, actions: list[Action], run_id: int) -> None:
    """Upsert the postmortem and its items, flag removed ones; one commit."""
    pm, now = document.postmortem, utcnow()
    row = session.get(Postmortem, pm.id) or Postmortem(id=pm.id, source=pm.source, content_hash="", first_seen=now)
    row.title, row.incident_date, row.content_hash, row.last_seen = pm.title, pm.date, pm.content_hash, now
    if not pm.source.startswith("<"):
        row.source = pm.source
    session.add(row)
    session.flush()
    existing = {i.id: i for i in session.exec(select(Item).where(Item.postmortem_id == pm.id)).all()}
    position = 0
    with session.no_autoflush:
        for action in actions:
            item = existing.get(action.item_id)
            if action.kind == "removed":
                if item is not None:
                    item.removed, item.removed_at = True, now
                    _event(session, run_id, action, "removed", detail=action.note)
                continue
            parsed = action.parsed
            assert parsed is not None
            if item is None:
                item = Item(
                    id=action.item_id,
                    postmortem_id=pm.id,
                    content_id=parsed.id,
                    text=parsed.text,
                    first_seen=now,
                    last_seen=now,
                )
                session.add(item)
                _event(session, run_id, action, "added", new=parsed.text)
            elif item.text != parsed.text:
                _event(
                    session,
                    run_id,
                    action,
                    "edited",
                    old=item.text,
                    new=parsed.text,
                    detail=action.match.how if action.match else None,
                )
            if action.restored:
                _event(session, run_id, action, "restored")
            # Assigning equal values does not dirty a row, so unchanged items cost no UPDATE.
            item.content_id, item.position, item.text, item.section = parsed.id, position, parsed.text, parsed.section
            item.owner, item.due, item.priority, item.doc_done = parsed.owner, parsed.due, parsed.priority, parsed.done
            if action.due is not None:
                item.effective_due, item.due_source = action.due.due, action.due.source
            item.tracker_ref, item.line = parsed.tracker_ref, parsed.line
            item.removed, item.removed_at = False, None
            position += 1
    session.flush()
    seen = [a.item_id for a in actions if a.kind != "removed"]
    session.execute(update(Item).where(col(Item.id).in_(seen)).values(last_seen=now))
    session.commit()


#: Items created per lookup: each chunk is looked up by marker right before it is created, so a
#: sync on another database has a window of one chunk, not of the whole postmortem, to race in.
CREATE_CHUNK = 50


def _create(session: Session, connector: Connector, actions: list[Action], run_id: int, *, create: bool) -> None:
    """Adopt what the tracker already has, create the rest, chunk by chunk."""
    for start in range(0, len(actions), CREATE_CHUNK):
        _create_chunk(session, connector, actions[start : start + CREATE_CHUNK], run_id, create=create)


def _create_chunk(session: Session, connector: Connector, actions: list[Action], run_id: int, *, create: bool) -> None:
    if not actions:
        return
    by_item = {a.item_id: a for a in actions}
    # The tracker is the identity of record: every item about to be created is first looked up
    # by its marker, in one batched read, right before the create. An item the database has no
    # link for may still have a ticket: a previous run died before linking it (an intent is
    # left), or the database is new, lost or another machine's. Items with a link never get
    # here, so a re-sync with a warm database costs nothing extra.
    unlinked = [a.draft for a in actions if a.draft is not None]
    for item_id, ref in connector.find(unlinked).items():
        action = by_item[item_id]
        action.ref, action.adopted = ref, True
        _store_link(session, action, ref, "adopted", run_id)
        if action.recover:
            log.warning("adopted %s for item %s: a previous run created it and died before linking", ref.key, item_id)
        else:
            log.warning("adopted %s for item %s: the tracker has it, this database had no link", ref.key, item_id)
    todo = [a for a in actions if not a.adopted]
    if not create:
        for action in todo:
            action.note = "no ticket on the tracker carries this item's marker; the next sync creates it"
        session.commit()
        return
    ids = [a.item_id for a in todo]
    intents = {
        i.item_id: i
        for i in session.exec(
            select(CreateIntent).where(col(CreateIntent.item_id).in_(ids), CreateIntent.tracker == connector.name)
        )
    }
    for action in todo:
        if action.item_id not in intents:
            intents[action.item_id] = CreateIntent(item_id=action.item_id, tracker=connector.name, run_id=run_id)
            session.add(intents[action.item_id])
    session.commit()
    # Held here (the session's identity map is weak): storing the links reads nothing back.
    items = {i.id: i for i in session.exec(select(Item).where(col(Item.id).in_(ids)))}
    drafts = [a.draft for a in todo if a.draft is not None]
    # A tracker whose marker lookup sees a ticket the moment it is created (the local one) gets
    # its chunk's links in one commit: a crash before it leaves the intents, and the next run's
    # lookup adopts every ticket. Elsewhere (a search index may lag) each link commits at once.
    at_once = bool(getattr(connector, "finds_at_once", False))
    try:
        for created in connector.create(drafts):
            action = by_item[created.item_id]
            action.ref = created.ref
            _store_link(
                session,
                action,
                created.ref,
                "created",
                run_id,
                intent=intents.get(created.item_id),
                item=items.get(created.item_id),
                commit=not at_once,
            )
    except Exception:
        session.commit()  # the links of what was created before the failure
        raise
    session.commit()


def _check_duplicates(session: Session, connector: Connector, creates: list[Action], result: Plan) -> None:
    """Ask once more for what was just created: a sync on another database may have raced this one."""
    made = [a for a in creates if a.ref is not None and not a.adopted and a.draft is not None]
    if not made:
        return
    found = dedupe.scan(connector, [a.draft for a in made if a.draft], {a.item_id: a.ref.key for a in made if a.ref})
    dedupe.record(session, connector.name, [a.item_id for a in made], found)
    for duplicate in found:
        result.warnings.append(
            f"{duplicate.describe()} (another sync, on another database, filed it at the same time); "
            "run `remediate dedupe --apply` to close the later one"
        )


def _store_link(
    session: Session,
    action: Action,
    ref: TicketRef,
    how: str,
    run_id: int,
    *,
    intent: CreateIntent | None = None,
    item: Item | None = None,
    commit: bool = True,
) -> None:
    """Store the link and drop the intent: the moment the ticket becomes ours.

    One commit per link unless ``commit=False`` (a chunk of creates commits once; see
    :func:`_create_chunk`). ``intent`` and ``item``, when the caller holds them, save two reads.
    """
    now = utcnow()
    assert action.draft is not None
    state = Status.DONE if action.draft.done else Status.OPEN
    session.add(
        Link(
            item_id=action.item_id,
            tracker=ref.tracker,
            key=ref.key,
            url=ref.url,
            remote_id=ref.remote_id,
            how=how,
            pushed=dump_draft(action.draft),
            # A ticket we just created is in the state we created it in; an adopted one is read back.
            remote_state=state if how == "created" else None,
            last_synced=now if how == "created" else None,
        )
    )
    if intent is None:
        intent = session.get(CreateIntent, (action.item_id, ref.tracker))
    if intent is not None:
        session.delete(intent)
    if item is None:
        item = session.get(Item, action.item_id)
    if item is not None and how == "created" and item.state != state:
        item.state, item.state_changed_at = state, now
        item.closed_when_seen = state.closed  # filed already done: it was never open here
        session.add(item)
    _event(session, run_id, action, how, new=ref.key)
    if commit:
        session.commit()


def _update(session: Session, connector: Connector, action: Action, run_id: int) -> None:
    assert action.ref is not None and action.draft is not None
    try:
        ref = connector.update(action.ref, action.draft, action.changed)
    except (NotFound, Conflict) as exc:
        action.failed = str(exc)
        log.warning("could not update %s: %s", action.ref.key, exc)
        return
    link = session.exec(select(Link).where(Link.item_id == action.item_id, Link.tracker == ref.tracker)).one()
    link.key, link.url, link.remote_id = ref.key, ref.url, ref.remote_id
    link.pushed = dump_draft(action.draft)
    session.add(link)
    _event(session, run_id, action, "updated", new=ref.key, detail=",".join(sorted(action.changed)))
    session.commit()
    action.ref = ref


def _link(session: Session, action: Action, run_id: int) -> None:
    assert action.ref is not None
    ref = action.ref
    link = session.exec(select(Link).where(Link.item_id == action.item_id, Link.tracker == ref.tracker)).first()
    old = link.key if link else None
    if link is None:
        link = Link(item_id=action.item_id, tracker=ref.tracker, key=ref.key)
    link.key, link.url, link.remote_id, link.how = ref.key, ref.url, ref.remote_id, "linked"
    link.pushed, link.remote_state, link.last_synced, link.missing = None, None, None, None
    session.add(link)
    _event(session, run_id, action, "linked", old=old, new=ref.key)
    session.commit()


def _sync_group(session: Session, connector: Connector, document: ParseResult, result: Plan) -> None:
    pm = document.postmortem
    members = session.exec(
        select(Link)
        .join(Item, col(Item.id) == col(Link.item_id))
        .where(Item.postmortem_id == pm.id, Link.tracker == connector.name, col(Item.removed).is_(False))
        .order_by(col(Item.position))
    ).all()
    refs = [TicketRef(m.tracker, m.key, m.url, m.remote_id) for m in members]
    digest = json.dumps([pm.title, [r.key for r in refs]])
    group = session.get(GroupLink, (pm.id, connector.name))
    if group is not None and group.members_hash == _hash(digest):
        return
    if group is None and not refs:
        return
    current = TicketRef(connector.name, group.key, group.url, group.remote_id) if group else None
    ref = connector.sync_group(postmortem_info(pm, None), current, refs)
    if ref is None:
        return
    group = group or GroupLink(postmortem_id=pm.id, tracker=connector.name, key=ref.key)
    group.key, group.url, group.remote_id = ref.key, ref.url, ref.remote_id
    group.members_hash, group.updated_at = _hash(digest), utcnow()
    session.add(group)
    session.commit()


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _event(
    session: Session,
    run_id: int | None,
    action: Action,
    kind: str,
    *,
    old: str | None = None,
    new: str | None = None,
    detail: str | None = None,
) -> None:
    session.add(
        Event(
            run_id=run_id,
            postmortem_id=action.postmortem_id,
            item_id=action.item_id,
            kind=kind,
            old=old,
            new=new,
            detail=detail,
        )
    )


# --- runs ------------------------------------------------------------------------------------


def start_run(session: Session, tracker: str, kind: str = "sync") -> int:
    """Record the start of a run; runs left 'running' by a dead process are marked aborted."""
    for stale in session.exec(
        select(SyncRun).where(SyncRun.status == "running", SyncRun.tracker == tracker, SyncRun.kind == kind)
    ).all():
        stale.status, stale.error = "aborted", "the process stopped before the run finished"
        session.add(stale)
    run = SyncRun(kind=kind, tracker=tracker)
    session.add(run)
    session.commit()
    assert run.id is not None
    return run.id


def finish_run(session: Session, run_id: int, summary: Mapping[str, object], error: str | None = None) -> None:
    """Record how a run ended."""
    run = session.get(SyncRun, run_id)
    if run is None:
        return
    run.finished_at, run.status = utcnow(), "failed" if error else "ok"
    run.summary, run.error = json.dumps(summary, default=str), error
    session.add(run)
    session.commit()

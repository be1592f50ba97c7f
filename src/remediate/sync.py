"""The sync engine: plan what each action item needs, then apply it exactly once.

``plan`` reads documents and the database and decides, per item: create, update, unchanged,
link (the document already names a ticket) or removed (the item left the document: flagged,
its ticket never closed silently). It writes nothing, which is all ``--dry-run`` runs. It is
three steps: load (``_load``: a postmortem's stored items, links and intents), match
(``remediate.identity``) and ``decide``, a pure function of one item's rows and draft that
returns a frozen ``Decision``; ``tests/test_decide.py`` is its table of cases.

``apply`` carries a plan out under the database's ``sync:<tracker>`` lock, so two syncs on one
database never both create a ticket: the second waits, re-plans and finds the links the first
stored. Before tickets are created, a ``create_intent`` row per item is committed; each link is
committed as soon as the connector yields it, and its intent deleted. A run that dies in between
leaves intents behind. Before any create, the engine asks the tracker for the markers of every
item it is about to create (``find``, one batched read) and adopts what it finds instead of
creating a second ticket: after a crash, and with a new or lost database alike. ``apply`` never
changes a decision: it records what it did per item, an ``Outcome``, in ``Plan.applied``.

Bringing ticket states back afterwards is ``remediate.refresh``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import Session, col, select

from remediate import dedupe
from remediate.connectors import Connector, Created, PostmortemInfo, Status, TicketDraft, TicketRef
from remediate.drafts import build_draft, changed_since_push, dump_draft, postmortem_info
from remediate.errors import Conflict, NotFound, SyncError
from remediate.identity import Candidate, Known, Match, match_items, updated_recurrence_keys
from remediate.models import CreateIntent, Event, GroupLink, Item, Link, Postmortem, SyncRun, utcnow
from remediate.parsing import ActionItem, ParseResult
from remediate.policy import DuePolicy, EffectiveDue
from remediate.refresh import ticket_ref

log = logging.getLogger("remediate.sync")


class Kind(StrEnum):
    """What one item needs: the ``action`` of ``remediate sync --format json``."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    LINK = "link"  # the document names a ticket of this tracker
    REMOVED = "removed"  # the item left the document: flagged, its ticket never closed silently


SUMMARY_KEYS = ("created", "updated", "unchanged", "linked", "removed", "adopted", "missing")
_SUMMARY_OF: dict[Kind, str] = {
    Kind.CREATE: "created",
    Kind.UPDATE: "updated",
    Kind.UNCHANGED: "unchanged",
    Kind.LINK: "linked",
    Kind.REMOVED: "removed",
}
REMOVED_NOTE = "no longer in the document; ticket left as it is"


@dataclass(frozen=True, slots=True)
class Decision:
    """What one item needs, decided by ``decide`` from what is stored and what the document says."""

    kind: Kind
    ref: TicketRef | None = None  # the ticket: the linked one, or the one the document names
    changed: frozenset[str] = frozenset()  # fields to update
    recover: bool = False  # a create intent is left: a previous run may have created the ticket
    new_item: bool = False
    restored: bool = False  # flagged removed before, back in the document now
    missing: str | None = None  # the linked ticket was deleted or moved away (Link.missing)
    note: str | None = None


def decide(
    stored: Item | None,
    link: Link | None,
    claimed_ref: TicketRef | None,
    draft: TicketDraft | None,
    intents: Collection[str],
) -> Decision | None:
    """What one item needs; pure: every row it looks at is read before, nothing is written.

    ``stored`` is the stored item the parsed one matched (None: a new item), ``link`` its link
    to this tracker, ``claimed_ref`` the ticket the document names if this tracker claims it,
    ``draft`` what the ticket should say (None: the stored item is no longer in the document)
    and ``intents`` the items a run committed to create. None: nothing to do (removed before).
    """
    if draft is None:
        if stored is None or stored.removed:
            return None
        return Decision(Kind.REMOVED, ticket_ref(link) if link else None, note=REMOVED_NOTE)
    new_item, restored = stored is None, stored is not None and stored.removed
    if claimed_ref is not None and (link is None or link.key != claimed_ref.key):
        return Decision(Kind.LINK, claimed_ref, new_item=new_item, restored=restored)
    if link is None:
        return Decision(Kind.CREATE, recover=draft.item_id in intents, new_item=new_item, restored=restored)
    ref = ticket_ref(link)
    if link.missing:
        note = f"ticket {link.key} is {link.missing} on the tracker; not recreated"
        return Decision(Kind.UNCHANGED, ref, missing=link.missing, note=note, new_item=new_item, restored=restored)
    # A ticket the document named ("linked") is never written to; the others get what changed.
    changed = changed_since_push(link.pushed, draft) if link.how != "linked" else frozenset()
    kind = Kind.UPDATE if changed else Kind.UNCHANGED
    return Decision(kind, ref, changed, new_item=new_item, restored=restored)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What ``apply`` did for one item; recorded in ``Plan.applied``, the decision stays as planned."""

    ref: TicketRef | None = None  # the ticket created, adopted or updated
    adopted: bool = False  # the tracker had the ticket (found by marker); counted as adopted, not created
    failed: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """One item of a plan: the item, what it needs (``decision``) and what ``apply`` did (``outcome``)."""

    item_id: str
    postmortem_id: str
    text: str
    decision: Decision
    draft: TicketDraft | None = None  # None for removed items
    parsed: ActionItem | None = None
    match: Match | None = None
    due: EffectiveDue | None = None  # the effective due date (remediate.policy), also on the draft
    outcome: Outcome = field(default_factory=Outcome)

    @property
    def kind(self) -> Kind:
        return self.decision.kind

    @property
    def ref(self) -> TicketRef | None:
        """The ticket: created, adopted or updated, else the one decided on."""
        return self.outcome.ref or self.decision.ref

    @property
    def changed(self) -> frozenset[str]:
        return self.decision.changed

    @property
    def recover(self) -> bool:
        return self.decision.recover

    @property
    def restored(self) -> bool:
        return self.decision.restored

    @property
    def missing(self) -> str | None:
        return self.decision.missing

    @property
    def note(self) -> str | None:
        return self.outcome.note or self.decision.note

    @property
    def adopted(self) -> bool:
        return self.outcome.adopted

    @property
    def failed(self) -> str | None:
        return self.outcome.failed

    def to_json(self) -> dict[str, object]:
        """One entry of ``remediate sync --format json``."""
        ref = self.ref
        return {
            "item_id": self.item_id,
            "postmortem_id": self.postmortem_id,
            "action": self.kind.value,
            "tracker": ref.tracker if ref else None,
            "key": ref.key if ref else None,
            "url": ref.url if ref else None,
            "text": self.text,
            "changed": sorted(self.changed),
            "match": self.match.how if self.match else None,
            "adopted": self.adopted,
            "missing": self.missing,
            "error": self.failed,
            "note": self.note,
        }


@dataclass
class Applied:
    """What ``apply`` has done so far: an outcome per item, and the warnings it found."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    version: int = 0  # counts records, so a view of the plan knows when it is stale

    def record(self, item_id: str, outcome: Outcome) -> None:
        self.outcomes[item_id] = outcome
        self.version += 1


@dataclass(frozen=True)
class Plan:
    """Everything ``apply`` will do, per document; ``applied`` is the one part ``apply`` writes."""

    tracker: str
    documents: Sequence[ParseResult]
    planned: Sequence[Action] = ()  # a streamed plan's list grows as its documents are applied
    planning_warnings: Sequence[str] = ()
    applied: Applied = field(default_factory=Applied)
    _view: dict[int, list[Action]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def streamed(cls, tracker: str, documents: Sequence[ParseResult]) -> Plan:
        """An empty plan that :func:`plan_and_apply` fills document by document (on a copy of the list).

        Once applied, its ``documents`` keep their postmortem and warnings, not their items.
        """
        return cls(tracker, list(documents), [], [])

    @property
    def actions(self) -> list[Action]:
        """Every item's action, with its outcome once ``apply`` has recorded one."""
        version = self.applied.version
        if version not in self._view:  # built once per change, not on every look
            outcomes = self.applied.outcomes
            self._view.clear()
            self._view[version] = [
                replace(a, outcome=outcomes[a.item_id]) if a.item_id in outcomes else a for a in self.planned
            ]
        return self._view[version]

    @property
    def warnings(self) -> list[str]:
        return [*self.planning_warnings, *self.applied.warnings]

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
    policy = policy or DuePolicy.default()
    actions: list[Action] = []
    warnings: list[str] = []
    for document in documents:
        stored = _load(session, connector.name, document.postmortem.id)
        actions.extend(_plan_document(session, connector, document, stored, base_url, threshold, policy, warnings))
    return Plan(connector.name, list(documents), tuple(actions), tuple(warnings))


def plan_and_apply(
    session: Session,
    connector: Connector,
    result: Plan,
    run_id: int,
    *,
    base_url: str | None = None,
    threshold: float,
    policy: DuePolicy | None = None,
    create: bool = True,
    keep_parsed: bool = False,
) -> None:
    """:func:`plan` and :func:`apply` one document at a time, into a :meth:`Plan.streamed` plan.

    The same decisions and writes as planning everything first, but a document is planned right
    before it is stored, and once its tickets are done its actions keep only what reports and the
    output need (no draft and no effective due date, both stored; the parsed item only with
    ``keep_parsed``, for write-back), and the plan's ``documents`` keep only their postmortem (no
    ``action_items``). Memory so holds the documents in the create window, not every draft of an
    organisation (100,000 items over 10,000 postmortems: most of a first sync's 427 MiB peak),
    and, when the caller lets go of its documents (``jobs.sync_paths``), not every parsed item.
    """
    planned, warnings, documents = result.planned, result.planning_warnings, result.documents
    assert isinstance(planned, list) and isinstance(warnings, list) and isinstance(documents, list), (
        "plan_and_apply fills a Plan.streamed()"
    )
    _check_unique_ids(documents)
    policy = policy or DuePolicy.default()
    order = {document.postmortem.id: n for n, document in enumerate(documents)}

    # Equal decisions and matches without a ticket or stored item (every new item's, in a first
    # sync) are kept once: a first sync of 100,000 items held 100,000 equal pairs.
    decisions: dict[Decision, Decision] = {}
    matches: dict[Match, Match] = {}

    def finished(document: ParseResult, actions: Sequence[Action]) -> None:
        # Its actions hold what the plan needs of the items now: keep the postmortem only.
        documents[order[document.postmortem.id]] = replace(document, action_items=(), explanation=None)
        for a in actions:
            decision, match = a.decision, a.match
            if decision.ref is None:
                decision = decisions.setdefault(decision, decision)
            if match is not None and match.known_id is None:
                match = matches.setdefault(match, match)
            parsed = a.parsed if keep_parsed else None
            planned.append(replace(a, decision=decision, draft=None, parsed=parsed, match=match, due=None))
        result.applied.version += 1  # the plan's view of its actions is stale

    window = _Window(session, connector, result.applied, run_id, create, finished=finished)
    for n in range(len(documents)):  # by index: finished() replaces the entries before n
        document = documents[n]
        stored = _load(session, connector.name, document.postmortem.id)
        actions = _plan_document(session, connector, document, stored, base_url, threshold, policy, warnings)
        _store_document(session, document, actions, run_id)
        window.add(document, actions)
    window.flush()
    # Documents finish out of order when a later one has no create waiting; the plan keeps theirs.
    planned.sort(key=lambda a: order[a.postmortem_id])
    result.applied.version += 1


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


@dataclass(frozen=True)
class Stored:
    """What the database holds for one postmortem and one tracker: all ``decide`` needs of it."""

    postmortem: Postmortem | None
    items: Sequence[Item]
    links: Mapping[str, Link]  # by item id
    intents: frozenset[str]  # item ids with a create intent on this tracker


def _load(session: Session, tracker: str, postmortem_id: str) -> Stored:
    items = session.exec(select(Item).where(Item.postmortem_id == postmortem_id)).all()
    links = session.exec(
        select(Link).where(Link.tracker == tracker, col(Link.item_id).in_([i.id for i in items]))
    ).all()
    intents = session.exec(select(CreateIntent).where(CreateIntent.tracker == tracker)).all()
    return Stored(
        session.get(Postmortem, postmortem_id),
        items,
        {link.item_id: link for link in links},
        frozenset(intent.item_id for intent in intents),
    )


def _plan_document(
    session: Session,
    connector: Connector,
    document: ParseResult,
    stored: Stored,
    base_url: str | None,
    threshold: float,
    policy: DuePolicy,
    warnings: list[str],
) -> list[Action]:
    pm = document.postmortem
    claimed = [_claim(connector, item) for item in document.action_items]
    warnings.extend(_planning_warnings(document, stored, claimed, connector.name))
    matches = _match(document, claimed, stored, threshold)
    by_id = {i.id: i for i in stored.items}
    info, now = postmortem_info(pm, base_url), utcnow()
    actions: list[Action] = []
    taken: set[str] = set()
    for item, ref, match in zip(document.action_items, claimed, matches, strict=True):
        stored_item = by_id.get(match.known_id) if match.known_id else None
        item_id = stored_item.id if stored_item else _fresh_id(session, item.id, taken)
        taken.add(item_id)
        actions.append(_plan_item(item_id, item, stored_item, ref, match, stored, info, policy, now))
    present = {a.item_id for a in actions}
    for stored_item in stored.items:
        if stored_item.id in present:
            continue
        decision = decide(stored_item, stored.links.get(stored_item.id), None, None, stored.intents)
        if decision is not None:
            actions.append(Action(stored_item.id, pm.id, stored_item.text, decision))
    return actions


def _planning_warnings(
    document: ParseResult, stored: Stored, claimed: Sequence[TicketRef | None], tracker: str
) -> list[str]:
    """A document that moved; references that name no ticket of this tracker."""
    pm, found = document.postmortem, []
    if stored.postmortem is not None and stored.postmortem.source != pm.source and not pm.source.startswith("<"):
        found.append(f"postmortem {pm.id} moved from {stored.postmortem.source} to {pm.source}")
    for item, ref in zip(document.action_items, claimed, strict=True):
        if item.tracker_ref and ref is None:
            found.append(
                f"{pm.source}:{item.line}: {item.tracker_ref} is not a {tracker} ticket; the item is tracked on its own"
            )
    return found


def _match(document: ParseResult, claimed: Sequence[TicketRef | None], stored: Stored, threshold: float) -> list[Match]:
    """Which stored item each parsed item is (``remediate.identity``)."""
    links = stored.links
    known = [
        Known(i.id, i.content_id, i.text, i.section, links[i.id].key if i.id in links else None) for i in stored.items
    ]
    candidates = [
        Candidate(item.id, item.text, item.section, ref.key if ref else None)
        for item, ref in zip(document.action_items, claimed, strict=True)
    ]
    return match_items(candidates, known, threshold=threshold)


def _plan_item(
    item_id: str,
    item: ActionItem,
    stored_item: Item | None,
    claimed: TicketRef | None,
    match: Match,
    stored: Stored,
    info: PostmortemInfo,
    policy: DuePolicy,
    now: datetime,
) -> Action:
    """One parsed item's action: its effective due date, its draft and the decision."""
    due = policy.effective_due(
        document_due=item.due,
        priority=item.priority,
        incident_date=info.date,
        first_synced=stored_item.first_seen if stored_item else now,
    )
    draft = build_draft(item_id, item, info, due=due.due)
    decision = decide(stored_item, stored.links.get(item_id), claimed, draft, stored.intents)
    assert decision is not None  # an item in the document always needs something
    return Action(item_id, info.id, item.text, decision, draft, item, match, due)


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
    What was done is recorded item by item in ``result.applied`` (its outcome) as it happens.
    Documents are stored one after the other; their creates are chunked across them (``_Window``).
    """
    window = _Window(session, connector, result.applied, run_id, create)
    # Grouped in one pass: scanning the whole plan per document was quadratic (16 s of a
    # 20,000-item sync over 2,000 documents).
    by_document: dict[str, list[Action]] = defaultdict(list)
    for action in result.planned:
        by_document[action.postmortem_id].append(action)
    for document in result.documents:
        actions = by_document.pop(document.postmortem.id, [])
        _store_document(session, document, actions, run_id)
        window.add(document, actions)
    window.flush()


@dataclass
class _Window:
    """Stored documents whose creates wait for a full chunk, CREATE_CHUNK items from as many
    documents as it takes (Jira's bulk create takes 50 across small postmortems).

    Each chunk is looked up by marker right before it is created, as ever. A document's other
    steps (the duplicate check of what it created, updates, links, its group) run as soon as none
    of its creates waits, so fewer than CREATE_CHUNK items, and their documents, wait at a time.
    """

    session: Session
    connector: Connector
    applied: Applied
    run_id: int
    create: bool  # False: look up and adopt only (db rebuild)
    pending: list[Action] = field(default_factory=list)  # creates not sent yet, in document order
    waiting: list[tuple[ParseResult, list[Action]]] = field(default_factory=list)
    finished: Callable[[ParseResult, Sequence[Action]], None] | None = None  # told of each document done

    def add(self, document: ParseResult, actions: list[Action]) -> None:
        self.waiting.append((document, actions))
        self.pending.extend(a for a in actions if a.kind is Kind.CREATE)
        while len(self.pending) >= CREATE_CHUNK:
            self._send(CREATE_CHUNK)
        self._finish_ready()

    def flush(self) -> None:
        self._send(len(self.pending))
        self._finish_ready()

    def _send(self, count: int) -> None:
        chunk, self.pending = self.pending[:count], self.pending[count:]
        _create_chunk(self.session, self.connector, chunk, self.run_id, self.applied, create=self.create)

    def _finish_ready(self) -> None:
        busy = {a.postmortem_id for a in self.pending}
        ready = [(d, actions) for d, actions in self.waiting if d.postmortem.id not in busy]
        if not ready:
            return
        self.waiting = [(d, actions) for d, actions in self.waiting if d.postmortem.id in busy]
        session, connector, create = self.session, self.connector, self.create
        if create:
            creates = [a for _, actions in ready for a in actions if a.kind is Kind.CREATE]
            _check_duplicates(session, connector, creates, self.applied)
        for document, actions in ready:
            for action in actions:
                if action.kind is Kind.UPDATE and create:
                    _update(session, connector, action, self.run_id, self.applied)
                elif action.kind is Kind.LINK:
                    _link(session, action, self.run_id)
            if create:
                _sync_group(session, connector, document, actions)
            if self.finished is not None:
                self.finished(document, actions)


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
            if action.kind is Kind.REMOVED:
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
            item.recurrence_keys = updated_recurrence_keys(item.recurrence_keys, item.text, parsed.text)
            item.content_id, item.position, item.text, item.section = parsed.id, position, parsed.text, parsed.section
            item.owner, item.due, item.priority, item.doc_done = parsed.owner, parsed.due, parsed.priority, parsed.done
            if action.due is not None:
                item.effective_due, item.due_source = action.due.due, action.due.source
            item.tracker_ref, item.line = parsed.tracker_ref, parsed.line
            item.removed, item.removed_at = False, None
            position += 1
    session.flush()
    seen = [a.item_id for a in actions if a.kind is not Kind.REMOVED]
    session.execute(update(Item).where(col(Item.id).in_(seen)).values(last_seen=now))
    session.commit()


#: Items created per lookup: each chunk is looked up by marker right before it is created, so a
#: sync on another database has a window of one chunk, not of the whole postmortem, to race in.
#: A chunk draws on as many postmortems as it takes (``_Window``).
CREATE_CHUNK = 50


def _create_chunk(
    session: Session, connector: Connector, actions: list[Action], run_id: int, applied: Applied, *, create: bool
) -> None:
    if not actions:
        return
    by_item = {a.item_id: a for a in actions}
    # The tracker is the identity of record: every item about to be created is first looked up
    # by its marker, in one batched read, right before the create. An item the database has no
    # link for may still have a ticket: a previous run died before linking it (an intent is
    # left), or the database is new, lost or another machine's. Items with a link never get
    # here, so a re-sync with a warm database costs nothing extra.
    unlinked = [a.draft for a in actions if a.draft is not None]
    found = connector.find(unlinked)
    for item_id, ref in found.items():
        action = by_item[item_id]
        applied.record(item_id, Outcome(ref, adopted=True))
        _store_link(session, action, ref, "adopted", run_id)
        if action.recover:
            log.warning("adopted %s for item %s: a previous run created it and died before linking", ref.key, item_id)
        else:
            log.warning("adopted %s for item %s: the tracker has it, this database had no link", ref.key, item_id)
    todo = [a for a in actions if a.item_id not in found]
    if not create:
        for action in todo:
            applied.record(action.item_id, Outcome(note=NOT_FOUND_NOTE))
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

    def store(created: Created) -> None:
        applied.record(created.item_id, Outcome(created.ref))
        _store_link(
            session,
            by_item[created.item_id],
            created.ref,
            "created",
            run_id,
            intent=intents.get(created.item_id),
            item=items.get(created.item_id),
            commit=not at_once,
        )

    # With ``at_once`` the links are stored after the tracker has answered for the whole chunk:
    # such a tracker may write the same database, and a session holding a write between its
    # answers would lock it out.
    answered: list[Created] = []
    failure: Exception | None = None
    try:
        for created in connector.create(drafts):
            if at_once:
                answered.append(created)
            else:
                store(created)
    except Exception as err:  # the links of what was created before the failure are kept
        failure = err
    for created in answered:
        store(created)
    session.commit()
    if failure is not None:
        raise failure


#: The note of an item ``db rebuild`` found no ticket for.
NOT_FOUND_NOTE = "no ticket on the tracker carries this item's marker; the next sync creates it"


def _check_duplicates(session: Session, connector: Connector, creates: list[Action], applied: Applied) -> None:
    """Ask once more for what was just created: a sync on another database may have raced this one."""
    made: dict[str, tuple[TicketDraft, TicketRef]] = {}
    for action in creates:
        outcome = applied.outcomes.get(action.item_id)
        if outcome is not None and outcome.ref is not None and not outcome.adopted and action.draft is not None:
            made[action.item_id] = (action.draft, outcome.ref)
    if not made:
        return
    found = dedupe.scan(connector, [draft for draft, _ in made.values()], {i: ref.key for i, (_, ref) in made.items()})
    dedupe.record(session, connector.name, list(made), found)
    for duplicate in found:
        applied.warnings.append(
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


def _update(session: Session, connector: Connector, action: Action, run_id: int, applied: Applied) -> None:
    assert action.ref is not None and action.draft is not None
    try:
        ref = connector.update(action.ref, action.draft, action.changed)
    except (NotFound, Conflict) as exc:
        applied.record(action.item_id, Outcome(failed=str(exc)))
        log.warning("could not update %s: %s", action.ref.key, exc)
        return
    link = session.exec(select(Link).where(Link.item_id == action.item_id, Link.tracker == ref.tracker)).one()
    link.key, link.url, link.remote_id = ref.key, ref.url, ref.remote_id
    link.pushed = dump_draft(action.draft)
    session.add(link)
    _event(session, run_id, action, "updated", new=ref.key, detail=",".join(sorted(action.changed)))
    session.commit()
    applied.record(action.item_id, Outcome(ref))


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


def _sync_group(session: Session, connector: Connector, document: ParseResult, actions: Sequence[Action]) -> None:
    pm = document.postmortem
    # The postmortem as its items were drafted: with the document's link under [sync] base_url.
    info = next((a.draft.postmortem for a in actions if a.draft is not None), None) or postmortem_info(pm, None)
    members = session.exec(
        select(Link)
        .join(Item, col(Item.id) == col(Link.item_id))
        .where(Item.postmortem_id == pm.id, Link.tracker == connector.name, col(Item.removed).is_(False))
        .order_by(col(Item.position))
    ).all()
    refs = [ticket_ref(m) for m in members]
    digest = json.dumps([pm.title, [r.key for r in refs]])
    group = session.get(GroupLink, (pm.id, connector.name))
    if group is not None and group.members_hash == _hash(digest):
        return
    if group is None and not refs:
        return
    current = TicketRef(connector.name, group.key, group.url, group.remote_id) if group else None
    ref = connector.sync_group(info, current, refs)
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

"""Tickets that share one item's marker: found after the fact, remembered, closed as duplicates.

The engine looks every unlinked item up by marker right before creating it, so one database
never files an item twice. Two syncs on *separate* databases (two CI runners, each with a lost
cache) can still both file an item in the instant between one's lookup and its create. Nothing
can close that window without a lock on the tracker, so remediate finds the pairs afterwards:

1. ``sync`` asks the tracker once more for the items it has just created (one batched read per
   postmortem that had creates) and warns about any item with more than one ticket;
2. ``remediate doctor`` and ``remediate dedupe`` look at every item of the database;
3. what the last look found is kept in the ``kv`` table (namespace ``duplicates:<tracker>``),
   so ``remediate audit`` reports it as drift without asking the tracker;
4. ``remediate dedupe --apply`` keeps the ticket the database links (else the oldest), and
   closes each other one as a duplicate of it, with a comment, through the connector.

Trackers opt in by implementing :class:`remediate.connectors.Deduplicates`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from remediate.connectors import Connector, Deduplicates, PostmortemInfo, TicketDraft, TicketRef
from remediate.models import KV, Item, Link, Postmortem

NAMESPACE = "duplicates"


@dataclass(frozen=True)
class Duplicate:
    """One item with more than one live ticket: the one to keep and the others."""

    item_id: str
    postmortem_id: str
    keep: TicketRef
    extra: tuple[TicketRef, ...]

    def to_json(self) -> dict[str, object]:
        """JSON-ready fields."""
        return {
            "item_id": self.item_id,
            "postmortem_id": self.postmortem_id,
            "keep": self.keep.key,
            "duplicates": [ref.key for ref in self.extra],
        }

    def describe(self) -> str:
        """One line for people."""
        return f"item {self.item_id} has {len(self.extra) + 1} tickets: {self.keep.key} and {', '.join(r.key for r in self.extra)}"


def supported(connector: Connector) -> bool:
    """True when the tracker can list every ticket of a marker and close duplicates."""
    return isinstance(connector, Deduplicates)


def scan(connector: Connector, drafts: Sequence[TicketDraft], linked: Mapping[str, str]) -> list[Duplicate]:
    """Items of ``drafts`` with more than one live ticket; keep the linked one (``linked``), else the oldest."""
    if not drafts or not isinstance(connector, Deduplicates):
        return []
    postmortem_of = {d.item_id: d.postmortem.id for d in drafts}
    found: list[Duplicate] = []
    for item_id, refs in connector.find_all(drafts).items():
        if len(refs) < 2 or item_id not in postmortem_of:
            continue
        keep = next((ref for ref in refs if ref.key == linked.get(item_id)), refs[0])
        extra = tuple(ref for ref in refs if ref.key != keep.key)
        found.append(Duplicate(item_id, postmortem_of[item_id], keep, extra))
    return found


def record(session: Session, tracker: str, scanned: Iterable[str], duplicates: Sequence[Duplicate]) -> None:
    """Remember what a look at ``scanned`` items found (and forget what it no longer finds)."""
    namespace = f"{NAMESPACE}:{tracker}"
    wanted = {d.item_id: d for d in duplicates}
    ids = list(set(scanned) | set(wanted))
    rows = {row.key: row for row in session.exec(select(KV).where(KV.namespace == namespace, col(KV.key).in_(ids)))}
    for item_id in ids:
        row, duplicate = rows.get(item_id), wanted.get(item_id)
        if duplicate is None:
            if row is not None:
                session.delete(row)
            continue
        value = json.dumps([duplicate.keep.key, *(ref.key for ref in duplicate.extra)])
        if row is None:
            session.add(KV(namespace=namespace, key=item_id, value=value))
        else:
            row.value = value
            session.add(row)
    session.commit()


def recorded(session: Session) -> dict[str, list[str]]:
    """{item_id: [kept key, duplicate keys...]} as the last look found them, every tracker."""
    rows = session.exec(select(KV).where(col(KV.namespace).startswith(f"{NAMESPACE}:"))).all()
    return {row.key: list(json.loads(row.value)) for row in rows}


def stored_drafts(session: Session, tracker: str) -> tuple[list[TicketDraft], dict[str, str]]:
    """Drafts (what ``find_all`` needs) of every current item, and the key each is linked to."""
    postmortems = {pm.id: pm for pm in session.exec(select(Postmortem)).all()}
    linked = {link.item_id: link.key for link in session.exec(select(Link).where(Link.tracker == tracker)).all()}
    drafts = []
    for item in session.exec(select(Item).where(col(Item.removed).is_(False))).all():
        pm = postmortems.get(item.postmortem_id)
        info = PostmortemInfo(
            item.postmortem_id, pm.title if pm else None, pm.incident_date if pm else None, pm.source if pm else ""
        )
        drafts.append(
            TicketDraft(
                item.id,
                item.text,
                item.text,
                item.section,
                item.owner,
                item.effective_due,
                item.priority,
                item.doc_done,
                info,
            )
        )
    return drafts, linked


def close(connector: Connector, duplicates: Sequence[Duplicate]) -> list[TicketRef]:
    """Close every extra ticket as a duplicate of the kept one; return those closed.

    A tracker that keeps failing on one ticket (:class:`~remediate.errors.Unavailable`) does not
    stop the others: each close is retry-safe (the next run finds what is left), so with a flaky
    tracker every run makes progress instead of ending at its first fault. The run still fails,
    afterwards, saying how many are left. Any other error (auth, rate limit, refusal) stops at once.
    """
    from remediate.errors import Unavailable

    assert isinstance(connector, Deduplicates)
    closed = []
    failed: list[Unavailable] = []
    for duplicate in duplicates:
        for ref in duplicate.extra:
            try:
                connector.close_duplicate(ref, duplicate.keep)
            except Unavailable as err:
                failed.append(err)
                continue
            closed.append(ref)
    if failed:
        total = len(closed) + len(failed)
        raise Unavailable(
            f"{len(failed)} of {total} duplicate tickets could not be closed ({failed[0].args[0]}); "
            "run `remediate dedupe --apply` again to close the rest",
            tracker=connector.name,
        )
    return closed

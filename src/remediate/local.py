"""The built-in ``local`` tracker: tickets kept in remediate's own database, no account needed.

It is registered in the ``remediate.connectors`` entry-point group like any other connector, and
is the default tracker, so ``remediate sync`` works out of the box. Its tickets are keyed
``LOCAL-<n>``; people close them with ``remediate item done|wont-do|reopen ITEM_ID``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import ClassVar, Self

from sqlmodel import col, func, select

from remediate.connectors import (
    Check,
    ConnectorContext,
    Created,
    PostmortemInfo,
    Status,
    TicketDraft,
    TicketRef,
    TicketState,
)
from remediate.errors import ConfigError, NotFound
from remediate.models import LocalTicket, utcnow
from remediate.settings import StrictModel

#: Tickets read per query by ``states``: the columns a state needs, a chunk at a time, so reading
#: back 100,000 tickets holds one chunk (whole rows with their bodies, all at once, were a large
#: part of a first sync's peak memory).
STATES_CHUNK = 1000

KEY_PREFIX = "LOCAL-"
#: The resolution of a ticket closed by ``remediate dedupe``: "duplicate of LOCAL-3".
DUPLICATE_OF = "duplicate of "
_KEY = re.compile(r"^\s*LOCAL-(\d+)\s*$", re.IGNORECASE)


class LocalConfig(StrictModel):
    """The local tracker has nothing to configure."""


def ticket_key(number: int) -> str:
    """The key people see for local ticket ``number``."""
    return f"{KEY_PREFIX}{number}"


def _number(ref: TicketRef) -> int:
    match = _KEY.match(ref.key)
    if not match:
        raise NotFound(f"{ref.key} is not a local ticket", tracker=LocalTracker.name)
    return int(match.group(1))


def _body(draft: TicketDraft) -> str:
    pm = draft.postmortem
    lines = [draft.text, "", f"Postmortem: {pm.title or pm.id} ({pm.link or pm.source})"]
    lines += [f"Section: {draft.section}"] if draft.section else []
    return "\n".join(lines)


class LocalTracker:
    """Tickets in the state database."""

    name: ClassVar[str] = "local"
    Config: ClassVar[type[StrictModel]] = LocalConfig
    #: find() reads the same database create() wrote: a ticket is found the moment it exists, so
    #: the engine commits a chunk's links together (see sync._create_chunk).
    finds_at_once: ClassVar[bool] = True

    def __init__(self, context: ConnectorContext) -> None:
        if context.store is None:
            raise ConfigError("the local tracker needs the state database")
        self._store = context.store

    @classmethod
    def from_config(cls, config: LocalConfig, context: ConnectorContext) -> Self:
        """Build the tracker on the store the engine opened."""
        return cls(context)

    def check(self) -> list[Check]:
        """``remediate doctor``: nothing to reach, the tickets live in the state database."""
        return [Check("tickets", "ok", "kept in the state database (checked above): nothing to reach")]

    def claim(self, reference: str) -> TicketRef | None:
        """``LOCAL-3`` is ours; anything else is not."""
        match = _KEY.match(reference)
        return TicketRef(self.name, ticket_key(int(match.group(1)))) if match else None

    def find(self, drafts: Sequence[TicketDraft]) -> Mapping[str, TicketRef]:
        """Tickets carrying these item ids (the oldest one if there are several)."""
        return {item_id: refs[0] for item_id, refs in self.find_all(drafts).items()}

    def find_all(self, drafts: Sequence[TicketDraft]) -> Mapping[str, Sequence[TicketRef]]:
        """Every ticket of these item ids, oldest first, except those closed as duplicates."""
        ids = [d.item_id for d in drafts]
        found: dict[str, list[TicketRef]] = {}
        with self._store.session() as session:
            rows = session.exec(
                select(LocalTicket).where(col(LocalTicket.item_id).in_(ids)).order_by(col(LocalTicket.number))
            ).all()
        for row in rows:
            if not (row.resolution or "").startswith(DUPLICATE_OF):
                found.setdefault(row.item_id, []).append(TicketRef(self.name, ticket_key(row.number or 0)))
        return found

    def close_duplicate(self, ref: TicketRef, original: TicketRef) -> None:
        """Close the ticket as not doing, its resolution naming the ticket it duplicates."""
        with self._store.session() as session:
            ticket = session.get(LocalTicket, _number(ref))
            if ticket is None:
                raise NotFound(f"{ref.key} no longer exists", tracker=self.name)
            ticket.status, ticket.resolution = Status.NOT_DOING, f"{DUPLICATE_OF}{original.key}"
            ticket.updated_at = utcnow()
            session.add(ticket)
            session.commit()

    def create(self, drafts: Sequence[TicketDraft]) -> Iterator[Created]:
        """One ticket per draft, all in one transaction, committed before any is yielded."""
        tickets = []
        for draft in drafts:
            now = utcnow()
            ticket = LocalTicket(
                item_id=draft.item_id,
                postmortem_id=draft.postmortem.id,
                title=draft.title,
                body=_body(draft),
                owner=draft.owner,
                due=draft.due,
                priority=draft.priority,
                status=Status.DONE if draft.done else Status.OPEN,
                resolution="completed" if draft.done else None,
                created_at=now,
                updated_at=now,
            )
            tickets.append(ticket)
        if not tickets:
            return
        with self._store.session() as session:
            session.add_all(tickets)
            session.commit()
        for ticket in tickets:
            yield Created(ticket.item_id, TicketRef(self.name, ticket_key(ticket.number or 0)))

    def update(self, ref: TicketRef, draft: TicketDraft, changed: frozenset[str]) -> TicketRef:
        """Rewrite the ticket's fields; a changed ``done`` closes or reopens it."""
        with self._store.session() as session:
            ticket = session.get(LocalTicket, _number(ref))
            if ticket is None:
                raise NotFound(f"{ref.key} no longer exists", tracker=self.name)
            ticket.title, ticket.body = draft.title, _body(draft)
            ticket.owner, ticket.due, ticket.priority = draft.owner, draft.due, draft.priority
            if "done" in changed and draft.done is not None:
                ticket.status = Status.DONE if draft.done else Status.OPEN
                ticket.resolution = "completed" if draft.done else None
            ticket.updated_at = utcnow()
            session.add(ticket)
            session.commit()
        return ref

    def states(self, refs: Sequence[TicketRef], since: datetime | None) -> Iterator[TicketState]:
        """States of the tickets updated after ``since``; unknown numbers come back as deleted."""
        numbers = {_number(ref): ref for ref in refs}
        wanted = list(numbers)
        for start in range(0, len(wanted), STATES_CHUNK):
            chunk = wanted[start : start + STATES_CHUNK]
            with self._store.session() as session:
                t = LocalTicket
                query = select(t.number, t.status, t.updated_at, t.resolution).where(col(t.number).in_(chunk))
                rows = {
                    number: (status, updated, resolution) for number, status, updated, resolution in session.exec(query)
                }
            for number in chunk:
                ref, row = numbers[number], rows.get(number)
                if row is None:
                    yield TicketState(ref, Status.OPEN, missing="deleted", detail="no such ticket")
                    continue
                status, updated, resolution = row
                if since is None or updated > since:
                    yield TicketState(ref, Status(status), updated, resolution)

    def sync_group(
        self, postmortem: PostmortemInfo, group: TicketRef | None, members: Sequence[TicketRef]
    ) -> TicketRef | None:
        """The local tracker has no grouping tickets."""
        return None


def set_item_status(store: object, item_id: str, status: Status, *, note: str | None = None) -> tuple[str, str, str]:
    """Close or reopen an item's local ticket from the CLI; return (item id, old state, new state).

    ``item_id`` may be a unique prefix, or a ticket key as every report shows it (``LOCAL-3``,
    ``acme/api#12``). Items tracked elsewhere are changed in their tracker.
    """
    from remediate.errors import InputError, RemediateError
    from remediate.models import Event, Item, Link

    with store.session() as session:  # type: ignore[attr-defined]
        by_key = session.exec(select(Link.item_id).where(func.lower(Link.key) == item_id.casefold())).all()
        if by_key:
            matches = session.exec(select(Item).where(col(Item.id).in_(set(by_key)))).all()
        else:
            matches = session.exec(select(Item).where(col(Item.id).startswith(item_id))).all()
        if not matches:
            raise InputError(item_id, "no such item (see `remediate status --items`)")
        if len(matches) > 1:
            raise InputError(item_id, f"ambiguous item id: matches {len(matches)} items, type more of it")
        item = matches[0]
        links = session.exec(select(Link).where(Link.item_id == item.id)).all()
        local = next((link for link in links if link.tracker == LocalTracker.name), None)
        if local is None:
            elsewhere = ", ".join(f"{link.tracker} {link.key}" for link in links)
            raise RemediateError(
                f"item {item.id} is tracked in {elsewhere}; change its state there"
                if elsewhere
                else f"item {item.id} has no ticket yet; run `remediate sync` first"
            )
        ticket = session.get(LocalTicket, _number(TicketRef(LocalTracker.name, local.key)))
        now = utcnow()
        old = item.state
        if ticket is not None:
            ticket.status = status.value
            ticket.resolution = {Status.DONE: "completed", Status.NOT_DOING: "won't do"}.get(status)
            ticket.updated_at = now
            session.add(ticket)
        local.remote_state, local.remote_detail, local.last_synced = status.value, note, now
        local.remote_updated_at = now
        item.state, item.state_changed_at, item.closed_when_seen = status.value, now, False
        session.add_all([local, item])
        session.add(
            Event(
                postmortem_id=item.postmortem_id,
                item_id=item.id,
                kind="state",
                old=old,
                new=status.value,
                actor="cli",
                detail=note,
            )
        )
        session.commit()
        return item.id, old, status.value

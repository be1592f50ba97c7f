"""Bringing ticket states back from the tracker, incrementally, with every change in the history.

Tickets never read yet (linked ones, adopted ones) are fetched in full; the others only if they
changed after the watermark, the newest ``updated_at`` the tracker reported last time (the
tracker's clock, not ours). A ticket the tracker reports deleted or moved is recorded once and
never recreated.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy import update
from sqlmodel import Session, col, select

from remediate.connectors import Connector, TicketRef, TicketState
from remediate.models import KV, Event, Item, Link, utcnow

log = logging.getLogger("remediate.refresh")

# Tickets updated this long before the watermark are asked for again: trackers' clocks and
# search indexes lag, and asking twice is harmless.
WATERMARK_OVERLAP = timedelta(minutes=5)


@dataclass(frozen=True)
class StateChange:
    """An item whose ticket changed state in the tracker."""

    item_id: str
    key: str
    old: str
    new: str
    missing: str | None = None


#: States are recorded this many links at a time: the links and items of one chunk are loaded,
#: written and flushed, so memory holds one chunk of ORM objects, not every link of an
#: organisation (100,000 links with their pushed drafts and their items were most of a first
#: sync's peak memory).
CHUNK = 500


class _LinkRow(NamedTuple):
    """What matching a state to its link needs, read as a plain row."""

    id: int
    item_id: str
    key: str
    url: str | None
    remote_id: str | None
    read_before: bool  # last_synced is set
    missing: str | None


def refresh(
    session: Session,
    connector: Connector,
    run_id: int | None,
    cache_key: str = "states_since",
    *,
    full: bool = False,
) -> list[StateChange]:
    """Read ticket states back from the tracker and record every change in the history.

    ``full`` (``remediate refresh --full``) reads every linked ticket, those already known to be
    missing included, with no ``since``: the read that sees deletions and transfers at once
    instead of at the tracker's next scheduled full read, and notices a ticket that came back.
    """
    c = Link.__table__.c  # type: ignore[attr-defined]
    query = (
        sa.select(c.id, c.item_id, c.key, c.url, c.remote_id, c.last_synced.is_not(None), c.missing)
        .where(c.tracker == connector.name)
        .order_by(c.id)
    )
    links = [_LinkRow(*row) for row in session.connection().execute(query)]
    watermark_row = _watermark(session, connector.name, cache_key)
    since = datetime.fromisoformat(watermark_row) if watermark_row else None
    if full:
        fresh, known = links, []
    else:
        fresh = [link for link in links if not link.read_before]
        known = [link for link in links if link.read_before and not link.missing]
    changes: list[StateChange] = []
    newest = since
    batches: list[tuple[list[_LinkRow], datetime | None]] = [(fresh, None)] if fresh else []
    if known:
        batches.append((known, since - WATERMARK_OVERLAP if since else None))
    for rows, window in batches:
        found, latest = _apply(
            session, links, connector.states([_ref(connector.name, r) for r in rows], window), run_id
        )
        # Commit before the connector is called again: it keeps its cursors and ETags in the
        # same database through another connection, which an open write here would lock out.
        session.commit()
        changes.extend(found)
        if latest and (newest is None or latest > newest):
            newest = latest
    if newest is not None and newest != since:
        _set_watermark(session, connector.name, cache_key, newest.isoformat())
    session.commit()
    return changes


def refresh_tickets(
    session: Session, links: Sequence[Link], states: Iterable[TicketState], run_id: int | None
) -> list[StateChange]:
    """Record the states just read for ``links`` (a webhook named their tickets), as a refresh would.

    The watermark does not move: a few tickets read now say nothing about the others, which the
    next scheduled refresh still reads from where it left off.
    """
    rows = [
        _LinkRow(link.id, link.item_id, link.key, link.url, link.remote_id, link.last_synced is not None, link.missing)
        for link in links
        if link.id is not None
    ]
    changes, _ = _apply(session, rows, states, run_id)
    session.commit()
    return changes


def _apply(
    session: Session,
    links: Sequence[_LinkRow],
    states: Iterable[TicketState],
    run_id: int | None,
) -> tuple[list[StateChange], datetime | None]:
    """Record each state against its link (the one code path of refresh and webhooks), flushed.

    States are matched to links as they come and recorded :data:`CHUNK` at a time. Returns the
    changes and the newest ``updated_at`` seen.
    """
    by_key = {link.key: link for link in links}
    # A moved ticket comes back under a new key; its remote id (if the tracker has one) is stable.
    by_remote_id = {link.remote_id: link for link in links if link.remote_id}
    changes: list[StateChange] = []
    pending: list[tuple[_LinkRow, TicketState]] = []
    newest: datetime | None = None
    for state in states:
        link = by_remote_id.get(state.ref.remote_id or "") or by_key.get(state.ref.key)
        if link is None:
            continue
        pending.append((link, state))
        if state.updated_at and (newest is None or state.updated_at > newest):
            newest = state.updated_at
        if len(pending) >= CHUNK:
            changes.extend(_record_chunk(session, pending, run_id))
            pending = []
    if pending:
        changes.extend(_record_chunk(session, pending, run_id))
    return changes, newest


def _record_chunk(
    session: Session, pending: Sequence[tuple[_LinkRow, TicketState]], run_id: int | None
) -> list[StateChange]:
    """Record one chunk of states: its links and items loaded in two queries, written, flushed."""
    link_ids = [row.id for row, _ in pending]
    with session.no_autoflush:
        links = {link.id: link for link in session.exec(select(Link).where(col(Link.id).in_(link_ids))).all()}
        item_ids = {row.item_id for row, _ in pending}
        items = {i.id: i for i in session.exec(select(Item).where(col(Item.id).in_(item_ids))).all()}
        changes = []
        for row, state in pending:
            link = links.get(row.id)
            if link is None:
                continue  # removed by another run since it was listed
            change = _record_state(session, link, items.get(link.item_id), state, run_id)
            if change:
                changes.append(change)
    session.flush()
    session.execute(update(Link).where(col(Link.id).in_(link_ids)).values(last_synced=utcnow()))
    return changes


def _ref(tracker: str, link: _LinkRow) -> TicketRef:
    return TicketRef(tracker, link.key, link.url, link.remote_id)


def ticket_ref(link: Link) -> TicketRef:
    """The ref of a stored link."""
    return TicketRef(link.tracker, link.key, link.url, link.remote_id)


def _record_state(
    session: Session, link: Link, item: Item | None, state: TicketState, run_id: int | None
) -> StateChange | None:
    now = utcnow()
    was_missing = link.missing
    first_read = link.remote_state is None  # adopted or linked: this is the first we hear of it
    link.remote_state, link.remote_detail = state.status.value, state.detail
    link.remote_updated_at, link.missing = state.updated_at, state.missing
    if state.ref.key != link.key or (state.ref.url and state.ref.url != link.url):
        link.key, link.url = state.ref.key, state.ref.url or link.url
    if item is None:
        return None
    change = None
    if state.missing:
        if was_missing == state.missing:
            return None  # already reported
        session.add(
            Event(
                run_id=run_id,
                postmortem_id=item.postmortem_id,
                item_id=item.id,
                kind="ticket_missing",
                new=state.missing,
                actor="tracker",
                detail=state.detail,
            )
        )
        log.warning(
            "ticket %s of item %s is %s%s",
            link.key,
            item.id,
            state.missing,
            f" ({state.detail})" if state.detail else "",
        )
        change = StateChange(item.id, link.key, item.state, item.state, state.missing)
    elif item.state != state.status.value:
        change = StateChange(item.id, link.key, item.state, state.status.value)
        session.add(
            Event(
                run_id=run_id,
                postmortem_id=item.postmortem_id,
                item_id=item.id,
                kind="state",
                old=item.state,
                new=state.status.value,
                actor="tracker",
                detail=state.detail,
            )
        )
        item.state, item.state_changed_at = state.status.value, state.updated_at or now
        # A ticket already closed the first time it is read was closed before we knew of it.
        item.closed_when_seen = first_read and state.status.closed
    return change


def _watermark(session: Session, tracker: str, key: str) -> str | None:
    row = session.get(KV, (f"engine:{tracker}", key))
    return row.value if row else None


def _set_watermark(session: Session, tracker: str, key: str, value: str) -> None:
    row = session.get(KV, (f"engine:{tracker}", key)) or KV(namespace=f"engine:{tracker}", key=key, value=value)
    row.value = value
    session.add(row)

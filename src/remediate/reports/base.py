"""What every report reads: items with their postmortem and ticket, periods, and small statistics."""

from __future__ import annotations

import calendar
import functools
import gc
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Literal, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from remediate import dedupe
from remediate.connectors import Status
from remediate.models import Item, Link, Postmortem
from remediate.policy import EffectiveDue, local_date

# --- the one definition of "open" and "overdue" --------------------------------------------
#
# Every report (status, overdue, digest, audit) and /metrics count with these: an item is open
# while its state is open or in progress (done and not doing are closed); it is overdue on a day
# when it is still in its document (not removed), open, and its effective due date (the
# document's, else the policy's) is before that day. ``overdue_sql`` is the same rule in SQL.

OPEN_STATES = frozenset({Status.OPEN.value, Status.IN_PROGRESS.value})


def is_open(state: str) -> bool:
    """True while an item in ``state`` is neither done nor dropped."""
    return state in OPEN_STATES


def days_overdue(state: str, removed: bool, due: date | None, as_of: date) -> int:
    """Days an item is past its effective due date on ``as_of`` (0 when it is not overdue)."""
    if removed or due is None or due >= as_of or state not in OPEN_STATES:
        return 0
    return (as_of - due).days


def overdue_sql(as_of: date) -> sa.ColumnElement[bool]:
    """:func:`days_overdue` as a SQL condition on the ``item`` table (for counting in the database)."""
    c = Item.__table__.c  # type: ignore[attr-defined]
    return sa.and_(c.removed.is_(False), c.state.in_(sorted(OPEN_STATES)), c.effective_due < as_of)


def ticket_gone_sql() -> sa.ColumnElement[bool]:
    """SQL: the item's newest ticket link says the ticket was deleted, moved or became inaccessible."""
    link = Link.__table__  # type: ignore[attr-defined]
    newer = link.alias("newer")
    newest = ~sa.exists().where(
        newer.c.item_id == link.c.item_id,
        sa.or_(
            newer.c.created_at > link.c.created_at,
            sa.and_(newer.c.created_at == link.c.created_at, newer.c.id > link.c.id),
        ),
    )
    gone = sa.select(link.c.item_id).where(link.c.missing.is_not(None), newest)
    return Item.__table__.c.id.in_(gone)  # type: ignore[attr-defined,no-any-return]


PeriodKind = Literal["week", "month"]
_P = ParamSpec("_P")
_R = TypeVar("_R")


def bulk(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``func`` with Python's cycle collector paused: for the steps that build a report's rows.

    A report at 100,000 items builds several hundred thousand objects that all live until it is
    printed, and every collection the allocations trigger walks all of them again (measured: the
    audit's build at 100,000 items 3.9 s with the collector, 1.9 s without). Nothing these steps
    build is a cycle that needs collecting; the collector resumes (if it was on) when they return.
    """

    @functools.wraps(func)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return paused


@dataclass(slots=True)
class ReportItem:
    """One action item with what reports need: its postmortem, effective due date and ticket.

    Read-only by convention (nothing changes one after :func:`load_items`); not ``frozen``, whose
    ``__init__`` costs four times as much, and an organisation's audit builds 100,000.
    """

    id: str
    postmortem_id: str
    postmortem_title: str | None
    incident_date: date | None
    text: str
    owner: str | None
    priority: str | None
    state: str
    due: date | None  # effective due date
    due_source: str | None
    first_seen: date  # in the configured zone
    closed_on: date | None  # the day it was closed (done or not doing), in the configured zone
    removed: bool
    tracker: str | None
    key: str | None
    url: str | None
    missing: str | None  # the ticket was deleted, moved or became inaccessible
    duplicates: tuple[str, ...] = ()  # other live tickets with this item's marker (remediate.dedupe)
    closed_when_seen: bool = False  # already closed at its first sync: no measured close time
    recurrence_keys: str | None = None  # as stored (identity.recurrence_keys); read for the audit only

    @property
    def is_open(self) -> bool:
        """True while the item is neither done nor dropped."""
        return is_open(self.state)

    @property
    def start(self) -> date:
        """The day the clock started: the incident, else the first sync."""
        return self.incident_date or self.first_seen

    def overdue_days(self, as_of: date) -> int:
        """Days past the due date on ``as_of`` (0 when not overdue)."""
        return days_overdue(self.state, self.removed, self.due, as_of)

    def due_description(self) -> str:
        """Where the due date came from, for people."""
        source = self.due_source if self.due_source in ("document", "policy:incident", "policy:first_sync") else None
        return EffectiveDue(self.due, source).describe(self.priority, self.start)  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields, the same in every report."""
        return {
            "item_id": self.id,
            "postmortem_id": self.postmortem_id,
            "postmortem_title": self.postmortem_title,
            "text": self.text,
            "owner": self.owner,
            "priority": self.priority,
            "state": self.state,
            "due": _iso(self.due),
            "due_source": self.due_source,
            "removed": self.removed,
            "tracker": self.tracker,
            "key": self.key,
            "url": self.url,
        }


class Converted(dict[Any, Any]):
    """Values as the database driver returns them -> as SQLAlchemy returns them for ``type_``,
    each distinct value converted once (then ``then`` applied, if given).

    Reports read 100,000 rows whose dates and times take a few thousand distinct values (one sync
    stamps many items); SQLAlchemy converts every one of them (SQLite keeps them as text), this
    converts each value once. The conversion is SQLAlchemy's own (the type's result processor),
    so the values are the same.
    """

    def __init__(
        self, type_: sa.types.TypeEngine[Any], dialect: sa.Dialect, then: Callable[[Any], Any] | None = None
    ) -> None:
        super().__init__()
        self.process = type_.dialect_impl(dialect).result_processor(dialect, None)
        self.then = then

    def __missing__(self, raw: Any) -> Any:
        value = raw if self.process is None else self.process(raw)
        if self.then is not None and value is not None:
            value = self.then(value)
        self[raw] = value
        return value


def driver_rows(session: Session, query: sa.Select[Any]) -> Sequence[Sequence[Any]]:
    """The rows of ``query`` as plain tuples from the database driver, without SQLAlchemy's
    per-row and per-value processing (a third of reading 100,000 items): the caller converts
    what needs it (dates and times: :class:`Converted`; SQLite's booleans: ``bool``)."""
    result = session.connection().execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


@bulk
def load_items(
    session: Session,
    tz: tzinfo,
    *,
    include_removed: bool = True,
    where: sa.ColumnElement[bool] | None = None,
    recurrence_keys: bool = False,
) -> list[ReportItem]:
    """Items with their postmortem and newest ticket link, in postmortem and document order.

    Three plain queries (items joined to their postmortem, their links, recorded duplicates)
    read as driver rows, not ORM objects: the cost is one pass over the items, whatever their
    number. ``where`` (a condition on the ``item`` table, such as :func:`overdue_sql`) reads only
    the items a report shows; the order comes from the ``ix_item_postmortem_position`` index.
    ``recurrence_keys``: also read each item's stored blocking keys (the audit's recurring search).
    """
    it, pm = Item.__table__.c, Postmortem.__table__.c  # type: ignore[attr-defined]
    conditions = [] if where is None else [where]
    if not include_removed:
        conditions.append(it.removed.is_(False))
    links = newest_links(session, *conditions)
    duplicates = dedupe.recorded(session)
    query = (
        sa.select(
            it.id,
            it.postmortem_id,
            pm.title,
            pm.incident_date,
            it.text,
            it.owner,
            it.priority,
            it.state,
            it.effective_due,
            it.due_source,
            it.first_seen,
            it.state_changed_at,
            it.removed,
            it.closed_when_seen,
            it.recurrence_keys if recurrence_keys else sa.null(),
        )
        .select_from(Item.__table__.outerjoin(Postmortem.__table__, it.postmortem_id == pm.id))  # type: ignore[attr-defined]
        .where(*conditions)
        .order_by(it.postmortem_id, it.position)
    )
    dialect = session.get_bind().dialect
    dates = Converted(sa.Date(), dialect)
    # The local day of a moment. Without the UTC decorator: naive values are UTC, as local_date takes them.
    days = Converted(sa.DateTime(timezone=True), dialect, lambda moment: local_date(moment, tz))
    no_link = (None, None, None, None)
    no_duplicates: tuple[str, ...] = ()
    rows = []
    for (
        item_id,
        pm_id,
        title,
        incident,
        text,
        owner,
        priority,
        state,
        due,
        due_source,
        first_seen,
        changed,
        removed,
        when_seen,
        keys,
    ) in driver_rows(session, query):
        closed = state not in OPEN_STATES
        tracker, key, url, missing = links.get(item_id, no_link)
        dups = duplicates.get(item_id)
        rows.append(
            ReportItem(  # positional: 100,000 of these are built for an organisation's audit
                item_id,
                pm_id,
                title,
                dates[incident],
                text,
                owner,
                priority,
                state,
                dates[due],
                due_source,
                days[first_seen],
                days[changed] if closed else None,
                bool(removed),
                tracker,
                key,
                url,
                missing,
                tuple(dups[1:]) if dups else no_duplicates,
                bool(when_seen) and closed,
                keys,
            )
        )
    return rows


def newest_links(
    session: Session, *where: sa.ColumnElement[bool]
) -> dict[str, tuple[str, str, str | None, str | None]]:
    """{item id: (tracker, key, url, missing)} of each item's newest ticket link, in one query.

    ``where``: conditions on the ``item`` table, to read only the links of the items a report shows.
    """
    c = Link.__table__.c  # type: ignore[attr-defined]
    query = sa.select(c.item_id, c.tracker, c.key, c.url, c.missing).order_by(c.created_at, c.id)
    if where:
        query = query.join(Item.__table__, Item.__table__.c.id == c.item_id).where(*where)  # type: ignore[attr-defined]
    # The newest link wins.
    return {
        item_id: (tracker, key, url, missing) for item_id, tracker, key, url, missing in driver_rows(session, query)
    }


def owner_key(owner: str | None) -> str:
    """How owners are compared: case and a leading '@' do not matter."""
    return (owner or "").strip().lstrip("@").casefold()


# --- periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A calendar period: ``start`` inclusive, ``end`` exclusive; ``key`` names it (2024-W15, 2024-04)."""

    kind: PeriodKind
    key: str
    start: date
    end: date

    def to_json(self) -> dict[str, str]:
        """JSON-ready fields."""
        return {"kind": self.kind, "key": self.key, "start": self.start.isoformat(), "end": self.end.isoformat()}


def period_of(day: date, kind: PeriodKind) -> Period:
    """The week (ISO, Monday first) or month that contains ``day``."""
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        year, week, _ = day.isocalendar()
        return Period(kind, f"{year}-W{week:02d}", start, start + timedelta(days=7))
    if kind == "month":
        start = day.replace(day=1)
        return Period(kind, f"{day.year}-{day.month:02d}", start, add_months(start, 1))
    raise ValueError(f"unknown period {kind!r}")


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the month's end (31 March - 1 month = 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def span_back(as_of: date, kind: PeriodKind) -> date:
    """The start of the period's length before ``as_of`` (7 days, or one calendar month)."""
    return as_of - timedelta(days=7) if kind == "week" else add_months(as_of, -1)


def span_ahead(as_of: date, kind: PeriodKind) -> date:
    """The end of the period's length after ``as_of`` (7 days, or one calendar month)."""
    return as_of + timedelta(days=7) if kind == "week" else add_months(as_of, 1)


# --- statistics ------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile (0.5 is the median's upper neighbour for even counts): None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def median(values: Sequence[float]) -> float | None:
    """The median (mean of the middle two for even counts), None if empty."""
    if not values:
        return None
    import statistics

    return float(statistics.median(values))


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, one decimal; None when ``whole`` is 0."""
    return round(100 * part / whole, 1) if whole else None


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None

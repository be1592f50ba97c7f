"""``remediate audit``: how well the organisation finishes what its postmortems promise.

Definitions (per postmortem and overall; items removed from their documents are left out of
the counts and reported as drift when their ticket is still open):

- **percent complete**: items closed either way (done, or closed as not doing) over all items.
- **on-time rate**: of the items whose due date has come (done ones, and open ones past due),
  the share done on or before their effective due date. Items closed as not doing do not count.
- **days to close**: for done items, days from the incident (else the first sync) to the day
  the item was closed; the median and the 90th percentile (nearest rank). Items that were
  already done when first synced (an old postmortem imported with its items marked done) have
  no measured close time: they count as done, and are left out of days to close and the
  on-time rate (``done_when_seen``).
- **open items by age**: open items by days since the incident (else the first sync).
- **recurring items**: pairs of items from different postmortems whose texts score at least
  ``[audit] recurring_threshold`` (``remediate.identity.similarity``). A pair is flagged
  ``repeats_open_item`` when the later postmortem repeats an item the earlier one had not
  finished by the later incident: the same fix promised twice. Only pairs that share a blocking
  key (two adjacent content words; a word, for items of one or two words) that at most
  ``MAX_KEY_ITEMS`` items share are scored, so the audit is linear in the number of items. At
  organisation scale the search runs in a forked child beside the rest of the audit
  (:func:`start_recurring`), with the same result.

``--since``/``--until`` select postmortems by incident date (else first-sync date); recurring
items compare the selected postmortems with all earlier ones.
"""

from __future__ import annotations

import os
import pickle
import threading
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from itertools import chain, filterfalse
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa
from sqlmodel import Session

from remediate.identity import _STOPWORDS, recurrence_record, stored_recurrence
from remediate.models import Event
from remediate.policy import local_date
from remediate.reports.base import (
    OPEN_STATES,
    Converted,
    ReportItem,
    bulk,
    driver_rows,
    is_open,
    median,
    percent,
    percentile,
)

try:  # the same algorithm as difflib's, compiled (identical ratios, several times faster)
    from cydifflib import SequenceMatcher
except ImportError:  # pragma: no cover - a dependency; difflib gives the same numbers, slower
    from difflib import SequenceMatcher

AGE_BUCKETS = ((0, 30, "0-30 days"), (31, 60, "31-60 days"), (61, 90, "61-90 days"), (91, None, "over 90 days"))
MAX_TIMELINE_POINTS = 60


@dataclass
class Completion:
    """Completion numbers for a set of items."""

    items: int = 0
    done: int = 0
    not_doing: int = 0
    open: int = 0
    overdue: int = 0
    removed: int = 0
    percent_complete: float | None = None
    on_time: int = 0
    late: int = 0
    on_time_rate: float | None = None
    median_days_to_close: float | None = None
    p90_days_to_close: float | None = None
    # Done before remediate first saw them: counted as done, not timed (no close time is known).
    done_when_seen: int = 0

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return dict(vars(self))


@dataclass
class PostmortemAudit:
    """One postmortem's line in the audit."""

    id: str
    title: str | None
    incident_date: date | None
    start: date
    completion: Completion

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "id": self.id,
            "title": self.title,
            "incident_date": self.incident_date.isoformat() if self.incident_date else None,
            **self.completion.to_json(),
        }


@dataclass(frozen=True)
class Drift:
    """An item and its ticket that no longer agree: removed while open, or a ticket gone."""

    item: ReportItem
    # removed_while_ticket_open | ticket_deleted | ticket_moved | ticket_inaccessible | duplicate_tickets
    kind: str

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields (``duplicates``: the other tickets of a duplicate_tickets item)."""
        data = {"kind": self.kind, **self.item.to_json()}
        if self.kind == "duplicate_tickets":
            data["duplicates"] = list(self.item.duplicates)
        return data


@dataclass(frozen=True)
class Recurrence:
    """Two items of different postmortems that say the same thing."""

    earlier: ReportItem
    later: ReportItem
    similarity: float
    repeats_open_item: bool

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "similarity": self.similarity,
            "repeats_open_item": self.repeats_open_item,
            "earlier": self.earlier.to_json(),
            "later": self.later.to_json(),
        }


@dataclass
class AuditReport:
    """The whole audit, ready for any renderer."""

    as_of: date
    since: date | None
    until: date | None
    overall: Completion
    postmortems: list[PostmortemAudit]
    open_by_age: dict[str, int]
    not_doing: list[ReportItem]
    without_owner: list[ReportItem]
    without_due: list[ReportItem]
    drift: list[Drift]
    recurring: list[Recurrence]
    open_over_time: list[tuple[date, int]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``remediate audit --format json`` object."""
        return {
            "as_of": self.as_of.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "overall": self.overall.to_json(),
            "postmortems": [p.to_json() for p in self.postmortems],
            "open_by_age": self.open_by_age,
            "not_doing": [i.to_json() for i in self.not_doing],
            "without_owner": [i.to_json() for i in self.without_owner],
            "without_due": [i.to_json() for i in self.without_due],
            "drift": [d.to_json() for d in self.drift],
            "recurring": [r.to_json() for r in self.recurring],
            "open_over_time": [{"date": d.isoformat(), "open": n} for d, n in self.open_over_time],
        }


def completion(items: Sequence[ReportItem], as_of: date) -> Completion:
    """Completion numbers of ``items`` (removed ones only counted as removed)."""
    # Counted in locals, the rules of ReportItem.is_open and overdue_days inline: the audit counts
    # every postmortem's items (10,000 postmortems at 100,000 items).
    count = done = when_seen = on_time = late = not_doing = open_ = overdue = 0
    days_to_close: list[float] = []
    for item in items:
        if item.removed:
            continue
        count += 1
        state = item.state
        if state == "done":
            done += 1
            if item.closed_when_seen:
                when_seen += 1
            elif item.closed_on is not None:
                days_to_close.append(max(0, (item.closed_on - item.start).days))
                if item.due is not None:
                    if item.closed_on <= item.due:
                        on_time += 1
                    else:
                        late += 1
        elif state == "not_doing":
            not_doing += 1
        elif state in OPEN_STATES:
            open_ += 1
            if item.due is not None and item.due < as_of:  # days_overdue of an item still in its document
                overdue += 1
                late += 1
    return Completion(
        items=count,
        done=done,
        not_doing=not_doing,
        open=open_,
        overdue=overdue,
        removed=len(items) - count,
        percent_complete=percent(done + not_doing, count),
        on_time=on_time,
        late=late,
        on_time_rate=percent(on_time, on_time + late),
        median_days_to_close=median(days_to_close),
        p90_days_to_close=percentile(days_to_close, 0.9),
        done_when_seen=when_seen,
    )


@bulk
def build_audit(
    items: list[ReportItem],
    events: Sequence[HistoryEvent],
    tz: tzinfo,
    *,
    as_of: date,
    since: date | None = None,
    until: date | None = None,
    recurring_threshold: float = 0.6,
    recurring: Callable[[], list[Recurrence]] | None = None,
) -> AuditReport:
    """The audit of the postmortems started in [since, until], as of ``as_of``.

    ``recurring``: the recurring search already begun on ``items`` (:func:`start_recurring`);
    without it the search runs here.
    """
    if recurring is None:
        recurring = start_recurring(items, recurring_threshold)
    chosen = [i for i in items if (since is None or i.start >= since) and (until is None or i.start <= until)]
    groups: dict[str, list[ReportItem]] = defaultdict(list)
    for item in chosen:
        groups[item.postmortem_id].append(item)
    postmortems = sorted(
        (
            PostmortemAudit(
                pm_id,
                rows[0].postmortem_title,
                rows[0].incident_date,
                min(r.start for r in rows),
                completion(rows, as_of),
            )
            for pm_id, rows in groups.items()
        ),
        key=lambda p: (p.start, p.id),
    )
    current = [i for i in chosen if not i.removed]
    open_items = [i for i in current if i.is_open]
    by_age = {label: 0 for _, _, label in AGE_BUCKETS}
    for item in open_items:
        age = (as_of - item.start).days
        for low, high, label in AGE_BUCKETS:
            if age >= low and (high is None or age <= high) or (low == 0 and age < 0):
                by_age[label] += 1
                break
    chosen_ids = {i.id for i in chosen}
    # Every item chosen: the timeline looks events up by its items' ids, so none need filtering out.
    timeline = open_over_time(
        chosen, events if len(chosen) == len(items) else [e for e in events if e.item_id in chosen_ids], tz, as_of
    )
    overall = completion(chosen, as_of)
    drift = find_drift(chosen)
    return AuditReport(  # the recurring search last: it may still be running beside this
        as_of=as_of,
        since=since,
        until=until,
        overall=overall,
        postmortems=postmortems,
        open_by_age=by_age,
        not_doing=[i for i in current if i.state == "not_doing"],
        without_owner=[i for i in open_items if not i.owner],
        without_due=[i for i in open_items if i.due is None],
        drift=drift,
        recurring=[r for r in recurring() if r.later.id in chosen_ids or r.earlier.id in chosen_ids],
        open_over_time=timeline,
    )


def find_drift(items: Sequence[ReportItem]) -> list[Drift]:
    """Items removed from their document while their ticket is open, tickets that went away, and
    items with more than one live ticket (as the last sync, doctor or dedupe found them)."""
    found = []
    for item in items:
        if item.duplicates:
            found.append(Drift(item, "duplicate_tickets"))
        if item.missing:
            found.append(Drift(item, f"ticket_{item.missing}"))
        elif item.removed and item.is_open and item.key:
            found.append(Drift(item, "removed_while_ticket_open"))
    return found


#: A blocking key (content word, or two adjacent content words) shared by more items than this
#: is not used to find candidate pairs: it says little about which items repeat each other, and
#: pairing every item that carries it would make the audit quadratic. Pairs are still scored on
#: all their words; only the search for candidates skips such keys.
MAX_KEY_ITEMS = 32


def find_recurring(
    items: Sequence[ReportItem], threshold: float, *, max_key_items: int = MAX_KEY_ITEMS
) -> list[Recurrence]:
    """Near-duplicate items across postmortems: for each item, the earlier item it repeats best.

    An item repeated by several postmortems gives one pair per later postmortem (each paired with
    the earlier item it repeats, preferring one left open, then the most similar, then the
    earliest), not one pair per combination.

    Cost is linear in the number of items: candidate pairs come from an inverted index of
    blocking keys (adjacent content-word pairs; the words themselves for items of one or two
    words: ``identity.blocking_keys``), leaving out keys that more than ``max_key_items`` items
    share. Each item so meets at most a bounded number of others. The keys and normalized texts
    are the ones the sync stored with each item (``ReportItem.recurrence_keys``), else computed
    here by the function that makes the stored ones (``identity.recurrence_record``), so both give
    the same pairs. Candidates whose cheap upper bounds (word overlap, difflib's quick ratios)
    cannot reach the threshold are dropped before the character diff of ``identity.similarity``;
    equal normalized texts score 1.0 without one. A pair that shares no key, or only keys common
    to very many items, is not compared; on data where no key is that common this is exactly the
    result of comparing every pair (``tests/test_report_scale.py`` checks it). Only the items
    that share a usable key get word sets for the bounds: most of an organisation's items repeat
    nothing.
    """
    # (incident_date or first_seen: ReportItem.start, without a property call per item)
    current = sorted(
        (i for i in items if not i.removed), key=lambda i: (i.incident_date or i.first_seen, i.postmortem_id, i.id)
    )
    records = [stored_recurrence(i.recurrence_keys) or recurrence_record(i.text) for i in current]
    candidates = _candidate_pairs([keys for _, keys in records], max_key_items)
    involved = set(candidates).union(*candidates.values())
    norms = {n: records[n][0] for n in involved}
    words = {n: frozenset(filterfalse(_STOPWORDS.__contains__, norms[n].split())) for n in involved}
    best: list[Recurrence] = []
    for later in sorted(candidates):
        ranked = _ranked_candidates(current, norms, words, later, candidates[later], threshold)
        found = _best_repeat(current, norms, later, ranked, threshold)
        if found is not None:
            best.append(found)
    return sorted(best, key=lambda r: (-r.repeats_open_item, -r.similarity, r.later.start, r.later.id))


#: Below this many items the recurring search takes well under a tenth of a second: not worth a process.
FORK_MIN_ITEMS = 20_000


def start_recurring(items: Sequence[ReportItem], threshold: float) -> Callable[[], list[Recurrence]]:
    """Begin :func:`find_recurring` on ``items``; the function returned gives its result.

    At organisation scale the search is the audit's longest step, and it needs nothing the rest
    of the audit computes: where it is safe and worth it (a POSIX ``fork``, more than one CPU,
    one thread in this process, at least :data:`FORK_MIN_ITEMS` items) it runs in a forked child
    while this process reads the event history and builds the rest, and the child sends back
    only (earlier, later, similarity, repeats) as positions in ``items``. Otherwise, or if the
    child fails for any reason, the search runs here when its result is asked for: the answer is
    the same function's on the same items either way.
    """

    def here() -> list[Recurrence]:
        return find_recurring(items, threshold)

    if (
        not hasattr(os, "fork")
        or len(items) < FORK_MIN_ITEMS
        or (os.cpu_count() or 1) < 2
        or threading.active_count() > 1
    ):
        return here
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running anything of the parent's
        status = 1
        try:
            os.close(read_end)
            position = {id(item): n for n, item in enumerate(items)}
            found = [
                (position[id(r.earlier)], position[id(r.later)], r.similarity, r.repeats_open_item) for r in here()
            ]
            with os.fdopen(write_end, "wb") as out:
                pickle.dump(found, out, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)

    def result() -> list[Recurrence]:
        with os.fdopen(read_end, "rb") as answer:
            data = answer.read()  # all of it before waiting: a full pipe would block the child
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            return here()
        return [
            Recurrence(items[e], items[later], similarity, repeats)
            for e, later, similarity, repeats in pickle.loads(data)
        ]

    return result


def _candidate_pairs(keys: Sequence[Collection[str]], max_key_items: int) -> dict[int, set[int]]:
    """Later item -> the earlier items sharing a usable blocking key with it (the inverted index)."""
    counts = Counter(chain.from_iterable(keys))
    usable = {k for k, n in counts.items() if 1 < n <= max_key_items}
    postings: dict[str, list[int]] = defaultdict(list)
    candidates: dict[int, set[int]] = defaultdict(set)
    for n, ks in enumerate(keys):
        for k in usable.intersection(ks):
            sharing = postings[k]
            if sharing:
                candidates[n].update(sharing)
            sharing.append(n)
    return candidates


#: A candidate as ranked: (repeats an item still open, score bound, -index of the earlier item, dice).
_Ranked = tuple[bool, float, int, float]


def _ranked_candidates(
    current: Sequence[ReportItem],
    norms: Mapping[int, str],
    words: Mapping[int, frozenset[str]],
    later: int,
    earlier_items: set[int],
    threshold: float,
) -> list[_Ranked]:
    """Best first: each candidate's rank bound from its word overlap and lengths (difflib's
    real_quick_ratio); candidates of the same postmortem or whose bound misses the threshold go."""
    b = current[later]
    wb, lb = words[later], len(norms[later])
    min_dice = 2 * threshold - 1  # the score is the mean of two numbers of at most 1
    ranked = []
    for earlier in earlier_items:
        a = current[earlier]
        if a.postmortem_id == b.postmortem_id:
            continue
        wa = words[earlier]
        dice = 2 * len(wa & wb) / (len(wa) + len(wb))
        if dice < min_dice:
            continue
        la = len(norms[earlier])
        bound = (2 * min(la, lb) / (la + lb) + dice) / 2 if la + lb else dice / 2
        if bound < threshold:
            continue
        repeats = a.start < b.start and _open_on(a, b.start)
        ranked.append((repeats, bound, -earlier, dice))
    ranked.sort(reverse=True)
    return ranked


def _best_repeat(
    current: Sequence[ReportItem], norms: Mapping[int, str], later: int, ranked: Sequence[_Ranked], threshold: float
) -> Recurrence | None:
    """The earlier item ``later`` repeats best; a candidate whose bound cannot beat it is not diffed."""
    matcher: Any = None  # a SequenceMatcher once needed
    kept: tuple[tuple[bool, float, int], Recurrence] | None = None
    for repeats, bound, minus_earlier, dice in ranked:
        if kept is not None and (repeats, round(bound, 3), minus_earlier) <= kept[0]:
            continue
        earlier = -minus_earlier
        if norms[earlier] == norms[later]:
            # The same words: difflib's ratio is exactly 1.0 (2 * n matches / 2n characters).
            score = (1.0 + dice) / 2
        else:
            if matcher is None:
                # difflib caches what it learns about the second sequence: one matcher per later item.
                matcher = SequenceMatcher(None, autojunk=False)
                matcher.set_seq2(norms[later])
            matcher.set_seq1(norms[earlier])
            if (matcher.quick_ratio() + dice) / 2 < threshold:
                continue
            score = (matcher.ratio() + dice) / 2  # identity.similarity(a.text, b.text), on the cached matcher
        if score < threshold:
            continue
        found = Recurrence(current[earlier], current[later], round(score, 3), repeats)
        rank = (repeats, found.similarity, minus_earlier)
        if kept is None or rank > kept[0]:
            kept = (rank, found)
    return kept[1] if kept is not None else None


def _open_on(item: ReportItem, day: date) -> bool:
    """Whether ``item`` was still open on ``day`` (it is open now, or was closed after that day)."""
    if item.is_open:
        return True
    return item.state == "done" and item.closed_on is not None and item.closed_on > day


class HistoryEvent(Protocol):
    """What the timeline reads of an event (an :class:`~remediate.models.Event` or an :class:`EventRow`)."""

    @property
    def item_id(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def new(self) -> str | None: ...
    @property
    def at(self) -> datetime: ...


class EventRow(NamedTuple):
    """One event of the item history, as the timeline reads it."""

    item_id: str | None
    kind: str
    new: str | None
    at: datetime


@bulk
def load_events(session: Session) -> list[EventRow]:
    """The item history the timeline is rebuilt from, oldest first (driver rows, one query)."""
    kinds = ("added", "state", "removed", "restored")
    c = Event.__table__.c  # type: ignore[attr-defined]
    query = sa.select(c.item_id, c.kind, c.new, c.at).where(c.kind.in_(kinds)).order_by(c.at, c.id)
    # Each distinct moment converted once (one sync stamps many events), without the UTC
    # decorator's per-row Python: naive values are UTC, as local_date takes them.
    moments = Converted(sa.DateTime(timezone=True), session.get_bind().dialect)
    return [EventRow(item_id, kind, new, moments[at]) for item_id, kind, new, at in driver_rows(session, query)]


def open_over_time(
    items: Sequence[ReportItem], events: Sequence[HistoryEvent], tz: tzinfo, as_of: date
) -> list[tuple[date, int]]:
    """How many items were open at the end of each sampled day, rebuilt from the event history.

    A ticket created already done changes the item's state without a ``state`` event, so an
    item whose replayed state disagrees with its current one is taken to have changed on the
    day its state last changed.
    """
    by_item: dict[str, list[HistoryEvent]] = defaultdict(list)
    for event in events:
        if event.item_id:
            by_item[event.item_id].append(event)
    intervals: list[tuple[date, date | None]] = []  # open from, until (exclusive)
    local_days: dict[datetime, date] = {}  # events share their moments (one sync stamps many)
    for item in items:
        intervals.extend(_open_spans(item, by_item.get(item.id), tz, local_days))
    return _open_counts(intervals, as_of)


def _open_spans(
    item: ReportItem, events: Sequence[HistoryEvent] | None, tz: tzinfo, local_days: dict[datetime, date]
) -> list[tuple[date, date | None]]:
    """When ``item`` was open (from, until exclusive; None: open still), its events replayed in one pass."""
    spans: list[tuple[date, date | None]] = []
    start: date | None = None
    if events:
        present, state = True, "open"
        for event in events:
            day = local_days.get(event.at)
            if day is None:
                day = local_days[event.at] = local_date(event.at, tz)
            kind = event.kind
            if kind == "state" and event.new:
                state = event.new
            elif kind == "removed":
                present = False
            elif kind in ("restored", "added"):
                present = True
            if present and is_open(state):
                if start is None:
                    start = day
            elif start is not None:
                spans.append((start, day))
                start = None
        open_then = present and is_open(state)
    else:  # no history: open since its first sync
        day, open_then, start = item.first_seen, True, item.first_seen
    if open_then != (item.is_open and not item.removed):  # closed without a state event
        day = item.closed_on or day
        if open_then and start is not None:
            spans.append((start, day))
            start = None
        elif not open_then:
            start = day
    if start is not None:
        spans.append((start, None))
    return spans


def _open_counts(intervals: Sequence[tuple[date, date | None]], as_of: date) -> list[tuple[date, int]]:
    """How many intervals are open at the end of each sampled day up to ``as_of``."""
    if not intervals:
        return []
    first = min(s for s, _ in intervals)
    if first > as_of:
        return []
    total = (as_of - first).days
    step = max(1, -(-total // (MAX_TIMELINE_POINTS - 1)))
    days = [first + timedelta(days=n) for n in range(0, total + 1, step)]
    if days[-1] != as_of:
        days.append(as_of)
    # Open on d: intervals started on or before d, less those that also ended on or before d.
    # (An interval that ends on or before its start is open on no day.)
    counted = [(s, e) for s, e in intervals if e is None or e > s]
    starts = sorted(s for s, _ in counted)
    ends = sorted(e for _, e in counted if e is not None)
    return [(d, bisect_right(starts, d) - bisect_right(ends, d)) for d in days]

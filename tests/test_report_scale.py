"""Reports at organisation scale: the same answers as the exhaustive definitions, at linear cost.

- ``find_recurring`` (candidate pairs from a capped inverted index) finds exactly the pairs the
  definition gives when every pair of items is scored with ``identity.similarity``, on the known
  database and on a generated one of 500 items with repeats and near-duplicates;
- the reports grow linearly: 10x more items cost at most ~15x more time, measured in one run
  (a quadratic implementation costs ~100x), for status, overdue, digest and audit (json, html);
- the HTML audit caps its long tables and says so on the page;
- each report sends the same few SQL statements at 1,000 and at 10,000 items (pinned: deterministic,
  unlike the times);
- status, overdue, digest, audit and the SQL rule /metrics uses count open and overdue alike.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remediate.identity import _STOPWORDS, similarity
from remediate.parsing import normalize_text
from remediate.reports import audit
from remediate.reports.audit import Recurrence, _open_on, find_recurring
from remediate.reports.base import ReportItem, load_items
from remediate.settings import Settings
from remediate.store import open_store
from tests import known, scale


def exhaustive_recurring(items: Sequence[ReportItem], threshold: float) -> list[Recurrence]:
    """The definition, as the audit computed it before candidate generation: score every pair.

    The only shortcut is exact: the score is the mean of the character ratio (at most 1) and the
    word Dice, so a pair whose Dice is below ``2 * threshold - 1`` cannot reach the threshold.
    """
    current = sorted((i for i in items if not i.removed), key=lambda i: (i.start, i.postmortem_id, i.id))
    words = [frozenset(w for w in normalize_text(i.text).split() if w not in _STOPWORDS) for i in current]
    best: dict[int, Recurrence] = {}
    for later, b in enumerate(current):
        for earlier in range(later):
            a = current[earlier]
            if a.postmortem_id == b.postmortem_id:
                continue
            wa, wb = words[earlier], words[later]
            if wa and wb and 2 * len(wa & wb) / (len(wa) + len(wb)) < 2 * threshold - 1:
                continue
            score = similarity(a.text, b.text)
            if score < threshold:
                continue
            found = Recurrence(a, b, round(score, 3), a.start < b.start and _open_on(a, b.start))
            kept = best.get(later)
            if kept is None or (found.repeats_open_item, found.similarity) > (kept.repeats_open_item, kept.similarity):
                best[later] = found
    return sorted(best.values(), key=lambda r: (-r.repeats_open_item, -r.similarity, r.later.start, r.later.id))


def _pairs(found: Sequence[Recurrence]) -> list[tuple[str, str, float, bool]]:
    return [(r.earlier.id, r.later.id, r.similarity, r.repeats_open_item) for r in found]


def _items(url: str) -> list[ReportItem]:
    with open_store(url) as store:
        with store.session() as session:
            return load_items(session, Settings().tz())


@pytest.fixture(scope="module")
def generated_500(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('scale') / 'g500.db'}"
    scale.fill(url, 500, seed=3)
    yield url


def test_recurring_equals_exhaustive_on_known_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'known.db'}"
    known.build(url)
    items = _items(url)
    for threshold in (0.5, 0.6, 0.7):
        assert _pairs(find_recurring(items, threshold)) == _pairs(exhaustive_recurring(items, threshold))
    assert _pairs(find_recurring(items, 0.6))  # B1 repeats A2: there is something to find


def test_recurring_equals_exhaustive_on_generated_items(generated_500: str) -> None:
    """With no key left out, candidate generation and the bounds lose nothing: the exhaustive result.

    With the default cap, keys shared by more than MAX_KEY_ITEMS items are not searched: on these
    500 items (whose tails and reasons repeat every ~20 items) that still finds 98% of the pairs,
    and every pair it reports is a real one (scored like the definition).
    """
    items = _items(generated_500)
    assert len(items) == 500
    for threshold in (0.6, 0.75):
        expected = _pairs(exhaustive_recurring(items, threshold))
        assert len(expected) > 20  # repeats and look-alikes exist
        assert _pairs(find_recurring(items, threshold, max_key_items=len(items))) == expected
        capped = find_recurring(items, threshold)
        assert len(set(_pairs(capped)) & set(expected)) >= 0.98 * len(expected)
        for r in capped:
            assert similarity(r.earlier.text, r.later.text) >= threshold
            assert r.earlier.postmortem_id != r.later.postmortem_id


def test_the_recurring_search_beside_the_audit_gives_the_same_pairs(
    generated_500: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """start_recurring in a forked child (forced here for 500 items) returns what find_recurring
    does, on the very item objects; a child that fails leaves the search to this process."""
    items = _items(generated_500)
    monkeypatch.setattr(audit, "FORK_MIN_ITEMS", 0)
    monkeypatch.setattr(audit.os, "cpu_count", lambda: 2)
    expected = find_recurring(items, 0.6)
    assert expected
    pids: list[int] = []
    real_fork = audit.os.fork
    monkeypatch.setattr(audit.os, "fork", lambda: pids.append(real_fork()) or pids[-1])
    found = audit.start_recurring(items, 0.6)()
    assert pids and pids[0] > 0  # a child did the search
    assert _pairs(found) == _pairs(expected)
    assert all(r.earlier in items and r.later in items for r in found)
    # A child that dies before answering: the parent searches itself.
    monkeypatch.setattr(audit, "find_recurring", lambda *a, **k: os._exit(3) if os.getpid() != parent else expected)
    parent = os.getpid()
    assert audit.start_recurring(items, 0.6)() is expected
    # In a threaded process (the service) nothing is forked.
    pids.clear()
    monkeypatch.setattr(audit.threading, "active_count", lambda: 2)
    assert _pairs(audit.start_recurring(items, 0.6)()) == _pairs(expected) and pids == []


def _audit_json(url: str) -> str:
    return _run_cli(["audit", "--format", "json", "--as-of", scale.AS_OF.isoformat(), "--db", url])


def test_items_without_a_stored_record_audit_identically(tmp_path: Path, generated_500: str) -> None:
    """An older database (no item.recurrence_keys), or records of another version, give the audit
    the sync's database gives: the records are computed by the function that stores them."""
    import sqlalchemy as sa

    from remediate.identity import recurrence_keys
    from remediate.models import Item

    item = Item.__table__  # type: ignore[attr-defined]
    with open_store(generated_500) as store, store.engine.connect() as conn:
        stored = conn.execute(sa.select(item.c.text, item.c.recurrence_keys)).all()
    assert len(stored) == 500 and all(keys == recurrence_keys(text) for text, keys in stored)
    with_records = _audit_json(generated_500)
    assert with_records.count('"repeats_open_item"') > 20  # there are pairs to find

    old = f"sqlite:///{tmp_path / 'old.db'}"
    scale.fill(old, 500, seed=3, recurrence=False)
    assert _audit_json(old) == with_records
    # Records of another version are not read, even when what they say is nonsense.
    with open_store(old) as store, store.engine.begin() as conn:
        conn.execute(item.update().values(recurrence_keys="recurrence-0\nx\nx"))
    assert _audit_json(old) == with_records


def test_db_upgrade_fills_in_the_records_an_older_database_lacks(tmp_path: Path) -> None:
    """`remediate db upgrade` gives every item without a current record its record (1,000 rows a
    transaction), so an older database audits at the stored-record speed; a second run fills none."""
    import sqlalchemy as sa

    from remediate.identity import recurrence_keys
    from remediate.models import Item

    url = f"sqlite:///{tmp_path / 'old.db'}"
    scale.fill(url, 2_500, seed=3, recurrence=False)
    before = _audit_json(url)
    item = Item.__table__  # type: ignore[attr-defined]
    assert "2500 item(s) given their recurrence keys" in _run_cli(["db", "upgrade", "--db", url])
    with open_store(url) as store, store.engine.connect() as conn:
        stored = conn.execute(sa.select(item.c.text, item.c.recurrence_keys)).all()
    assert len(stored) == 2_500 and all(keys == recurrence_keys(text) for text, keys in stored)
    assert _audit_json(url) == before
    with open_store(url) as store, store.engine.begin() as conn:  # a record of another version
        first = conn.execute(sa.select(item.c.id).limit(1)).scalar()
        conn.execute(item.update().where(item.c.id == first).values(recurrence_keys="recurrence-0\nx"))
    assert "; 1 item(s) given their recurrence keys" in _run_cli(["db", "upgrade", "--db", url])
    assert "recurrence keys" not in _run_cli(["db", "upgrade", "--db", url])


def test_identical_texts_score_exactly_what_the_diff_gives() -> None:
    """Pairs whose normalized texts are equal are not diffed: they score 1.0, as identity.similarity does."""
    items = _items_from_texts(["Rotate the **secrets** weekly", "rotate the secrets, weekly!", "Rotate secrets daily"])
    found = {(r.earlier.id, r.later.id): r.similarity for r in find_recurring(items, 0.6)}
    assert found["i0", "i1"] == round(similarity(items[0].text, items[1].text), 3) == 1.0
    assert found == {pair: s for pair, s in _pairs_scores(exhaustive_recurring(items, 0.6)).items()}


def _pairs_scores(found: Sequence[Recurrence]) -> dict[tuple[str, str], float]:
    return {(r.earlier.id, r.later.id): r.similarity for r in found}


def test_common_keys_are_not_candidates() -> None:
    """A key shared by more than max_key_items items finds no pairs (this is what keeps it linear)."""
    items = _items_from_texts(["Automate the failover runbook"] * 5)
    assert len(find_recurring(items, 0.6)) == 4
    assert find_recurring(items, 0.6, max_key_items=4) == []


def _items_from_texts(texts: Sequence[str]) -> list[ReportItem]:
    return [
        ReportItem(
            id=f"i{n}",
            postmortem_id=f"pm{n}",
            postmortem_title=None,
            incident_date=date(2024, 1, 1 + n),
            text=text,
            owner=None,
            priority=None,
            state="open",
            due=None,
            due_source=None,
            first_seen=date(2024, 1, 1 + n),
            closed_on=None,
            removed=False,
            tracker=None,
            key=None,
            url=None,
            missing=None,
        )
        for n, text in enumerate(texts)
    ]


# --- growth -----------------------------------------------------------------------------------


def _run_cli(args: list[str]) -> str:
    from typer.testing import CliRunner

    from remediate.cli import app

    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def _timed(func: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with redirect_stdout(io.StringIO()):
            func()
        times.append(time.perf_counter() - start)
    return min(times)


@pytest.fixture(scope="module")
def sized(tmp_path_factory: pytest.TempPathFactory) -> dict[int, str]:
    urls = {}
    for n in (1_000, 10_000):
        url = f"sqlite:///{tmp_path_factory.mktemp('scale') / f'g{n}.db'}"
        scale.fill(url, n)
        urls[n] = url
    return urls


@pytest.mark.parametrize(
    "command",
    [["status"], ["overdue"], ["digest"], ["audit", "--format", "json"], ["audit", "--format", "html"]],
    ids=["status", "overdue", "digest", "audit-json", "audit-html"],
)
def test_reports_grow_linearly(sized: dict[int, str], command: list[str]) -> None:
    """10x the items costs at most ~15x the time (quadratic work costs ~100x); times of one run."""
    as_of = ["--as-of", scale.AS_OF.isoformat()] if command[0] != "status" else []
    times = {n: _timed(lambda url=url: _run_cli([*command, *as_of, "--db", url])) for n, url in sized.items()}
    ratio = times[10_000] / times[1_000]
    print(f"{command}: {times} ({ratio:.1f}x for 10x the items)")
    assert ratio <= 15, f"{command}: {times} ({ratio:.1f}x for 10x the items)"


def test_html_audit_caps_long_tables_and_says_so(generated_500: str) -> None:
    from remediate.cli.output import audit_html
    from remediate.jobs import audit_snapshot

    report = audit_snapshot(Settings(), database_url=generated_500, as_of=scale.AS_OF)
    assert len(report.postmortems) == 50 and len(report.recurring) > 10
    page = audit_html(report, None, limit=10)
    body = page.split('<table id="postmortems">')[1].split("</table>")[0]
    assert body.count("<tr>") == 11  # header and the newest 10
    assert f"<td>{report.postmortems[-1].title}</td>" in body
    assert f"<td>{report.postmortems[0].title}</td>" not in body
    assert "40 more older postmortems not shown (this page shows 10)" in page
    assert f"{len(report.recurring) - 10} more recurring pairs not shown" in page
    assert "remediate audit --format json" in page
    whole = audit_html(report, None, limit=None)
    assert "not shown" not in whole and whole.count("<tr>") > page.count("<tr>")


# --- SQL statements per report ------------------------------------------------------------------


def _report_statements(args: list[str]) -> list[str]:
    """The SQL statements a report sends, less the schema check every open makes (PRAGMA, catalogue)."""
    import sqlalchemy as sa

    sent: list[str] = []

    def record(conn: object, cursor: object, statement: str, *rest: object) -> None:
        text = " ".join(statement.split()).casefold()
        if not text.startswith("pragma") and "sqlite_master" not in text and "alembic_version" not in text:
            sent.append(text)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        _run_cli(args)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    return sent


#: Statements per report, whatever the number of items: reports read in a few whole-table queries
#: (status counts in one grouped query), never one query per postmortem or item.
REPORT_STATEMENTS = {"status": 4, "overdue": 3, "digest": 3, "audit-json": 4, "audit-html": 4}


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("status", ["status"]),
        ("overdue", ["overdue"]),
        ("digest", ["digest"]),
        ("audit-json", ["audit", "--format", "json"]),
        ("audit-html", ["audit", "--format", "html"]),
    ],
)
def test_statements_per_report_do_not_grow_with_items(sized: dict[int, str], name: str, command: list[str]) -> None:
    counts = {
        n: len(_report_statements([*command, "--as-of", scale.AS_OF.isoformat(), "--db", url]))
        for n, url in sized.items()
    }
    assert counts == {n: REPORT_STATEMENTS[name] for n in sized}, counts


# --- one definition of open and overdue --------------------------------------------------------


def test_every_report_counts_open_and_overdue_alike(generated_500: str) -> None:
    """status, overdue, digest, audit and the SQL rule (/metrics) agree, on the due day itself too."""
    import sqlalchemy as sa

    from remediate.jobs import audit_snapshot, build_digest_for, overdue_report
    from remediate.models import Item
    from remediate.reports.base import days_overdue, is_open, overdue_sql
    from remediate.reports.status import postmortem_statuses

    items = _items(generated_500)
    due_day = next(i.due for i in items if i.is_open and not i.removed and i.due)
    assert due_day is not None
    settings = Settings()
    store = open_store(generated_500)
    try:
        for as_of in (due_day, scale.AS_OF):
            expected = sum(days_overdue(i.state, i.removed, i.due, as_of) > 0 for i in items)
            open_now = sum(is_open(i.state) and not i.removed for i in items)
            assert 0 < expected < open_now
            with store.session() as session:
                totals = postmortem_statuses(session, as_of=as_of)
                in_sql = session.execute(
                    sa.select(sa.func.count()).select_from(Item).where(overdue_sql(as_of))
                ).scalar()
            digest = build_digest_for(settings, database_url=generated_500, as_of=as_of)
            audit = audit_snapshot(settings, database_url=generated_500, as_of=as_of)
            overdue = overdue_report(settings, database_url=generated_500, as_of=as_of)
            assert sum(t.overdue for t in totals) == expected
            assert in_sql == expected
            assert len(overdue.items) == expected and digest.headline["overdue"] == expected
            assert audit.overall.overdue == expected
            assert sum(t.open for t in totals) == digest.headline["open"] == audit.overall.open == open_now
    finally:
        store.dispose()


# --- the fast paths give the slow paths' answers ---------------------------------------------


_EXAMPLES = settings(
    derandomize=True, database=None, max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@_EXAMPLES
@given(st.one_of(st.text(), st.text(alphabet=st.characters(max_codepoint=0x7F)), st.text(alphabet="ab _*`~[]()-.,\n")))
def test_normalized_words_are_normalize_texts_words(text: str) -> None:
    from remediate.parsing import normalized_words

    assert normalized_words(text) == normalize_text(text).split()


def test_plain_table_lines_are_equally_wide_with_wide_and_combining_characters() -> None:
    """plain_table measures only non-ASCII characters with rich's cell_len: the frame still lines up."""
    from rich.cells import cell_len

    from remediate.cli.render import plain_table

    cells = ["plain", "clipped…", "漢字の項目", "e\u0301te\u0301", "🔥 hot", "x"]
    text = plain_table("t", ["a", "b"], [(c, cells[-1 - n]) for n, c in enumerate(cells)])
    widths = {cell_len(line) for line in text.splitlines()[1:]}
    assert len(widths) == 1, text

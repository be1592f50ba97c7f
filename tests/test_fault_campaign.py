"""The fault campaign: the real engine and connectors against the fakes while things go wrong.

The fakes inject seeded random faults (tests/fakes/chaos.py: 5xx, 429 with and without
Retry-After, connection resets, writes applied and then answered with a 5xx or a dropped
connection, timeouts), the CLI is SIGKILLed at many requests, syncs race on one database and on
two. After each scenario the invariant holds or the test fails: every item linked to exactly one
ticket on the tracker (counted per marker in the fake's own state), none lost, none duplicated,
and the database's links name those very tickets.

Bounded in time: waits advance the fakes' clocks (or are recorded) instead of sleeping, the
subprocesses get near-zero backoff, and the sizes are small enough for a shared machine
(benchmarks/fault_campaign.py runs the same scenarios bigger). ``CAMPAIGN_SEED=<n>`` replays
another sequence of faults. Each scenario adds a line to the campaign's figures, written to
``fault_campaign.json`` in pytest's base temp directory and printed at the end of the session.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from remediate.jobs import find_duplicates
from tests.campaign import (
    Figures,
    Target,
    check,
    concurrent_scenario,
    converge,
    expected_ids,
    fast_waits,
    faults_scenario,
    fresh_scenario,
    items,
    kill_scenario,
    serve,
    settings,
    table,
    timed,
    two_databases_scenario,
)
from tests.fakes.chaos import DEFAULT_KINDS, Chaos
from tests.support import write_postmortem

SEED = int(os.environ.get("CAMPAIGN_SEED", "20261203"))
RATE = 0.2
#: Kill points spread over the first 40 requests (each costs two CLI start-ups; the benchmark
#: kills at every one of the first 60, both ways); every other one dies with its write applied.
#: Jira files 40 items in 10 requests (the epic's and the items' bulk creates, no per-item
#: remote link), so it is killed at every one of them.
KILL_POINTS = {"github": list(range(1, 41, 3)), "jira-cloud": list(range(1, 11))}


@pytest.fixture(scope="session")
def campaign_figures(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Figures]]:
    """Every scenario's figures; written to JSON and printed when the session ends."""
    collected: list[Figures] = []
    yield collected
    if not collected:
        return
    rows = [f.to_json() for f in collected]
    path = tmp_path_factory.getbasetemp() / "fault_campaign.json"
    path.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    lines = ["", f"fault campaign (seed {SEED}), figures in {path}:", *table(rows)]
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    # Past pytest's capture, which would swallow the output of a passing session's teardown.
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        for line in lines:
            reporter.write_line(line)


def finish(figures: Figures, target: Target, expected: set[str], databases: list[str]) -> None:
    """Check the invariant, record the figures, then fail if it does not hold."""
    target.fake.chaos = None
    verdict = check(target, expected, databases)
    figures.lost = len(verdict.lost)
    figures.duplicates = sum(len(keys) - 1 for keys in verdict.duplicated.values())
    figures.requests = target.requests
    assert verdict.ok, verdict
    assert target.violations == []


def test_chaos_is_reproducible_and_uses_every_kind() -> None:
    def run(seed: int) -> list[str]:
        chaos = Chaos(0.5, seed)
        return [str(d and d.kind) for d in (chaos.decide("POST" if n % 2 else "GET", "/x") for n in range(400))]

    assert run(1) == run(1) and run(1) != run(2)
    assert {kind for kind in run(1) if kind != "None"} == set(DEFAULT_KINDS)
    reads = Chaos(1.0, 3)
    assert all(not reads.decide("GET", "/x").apply for _ in range(100))  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ["github", "jira-cloud", "jira-dc", "gitlab"])
def test_200_items_at_20_percent_faults(kind: str, tmp_path: Path, campaign_figures: list[Figures]) -> None:
    figures, verdict, created = faults_scenario(kind, 200, RATE, SEED, tmp_path)
    campaign_figures.append(figures)
    assert verdict.ok, verdict
    assert sum(figures.faults.values()) >= 0.1 * figures.requests, "the faults were injected"
    assert created == 0, "once converged, a clean rerun creates nothing"


@pytest.mark.parametrize("kind", ["github", "jira-cloud"])
def test_timeouts_and_every_other_fault(kind: str, tmp_path: Path, campaign_figures: list[Figures]) -> None:
    """Timeouts cost real seconds (the client's own timeout), so a small run: 10% of 20 items' requests."""
    doc = write_postmortem(tmp_path / "pm.md", items(20))
    db = f"sqlite:///{tmp_path / 'state.db'}"
    figures = Figures("20 items, 10% faults + timeouts", kind, 20)
    campaign_figures.append(figures)
    stop = timed(figures)
    with serve(kind) as target, fast_waits(target):
        expected = expected_ids([doc], target.tracker)
        base = settings(target.tracker)
        table = base.connectors.get(target.tracker, {})
        if target.tracker == "github":
            table = {**table, "pacing": {**table.get("pacing", {}), "timeout": 1}}
        else:
            table = {**table, "timeout": 0.3}
        tuned = base.model_copy(update={"connectors": {**base.connectors, target.tracker: table}})
        kinds = ("timeout", "503", "applied-drop")
        if kind == "github":
            chaos = Chaos(0.1, SEED, kinds, timeout=1.3)
        else:
            # Jira files 20 items with 3 writes (the epic's and the items' bulk creates, the epic's
            # description), GitHub with about 45: Jira's faults go to its writes, at a higher rate.
            chaos = Chaos(0.5, SEED, kinds, timeout=1.3, match=lambda method, path: method in ("POST", "PUT"))
        target.fake.chaos = chaos

        def attempt() -> object:
            from remediate.jobs import sync_paths

            return sync_paths(
                [str(doc)],
                tuned,
                database_url=db,
                tracker=target.tracker,
                options=target.options,
                environ=target.env,
            )

        converge(attempt, figures)
        figures.add_chaos(chaos)
        finish(figures, target, expected, [db])
        assert chaos.counts["timeout"] >= 1
    stop()


@pytest.mark.parametrize("kind", ["github", "jira-cloud"])
def test_sigkill_at_many_points_then_rerun(kind: str, tmp_path: Path, campaign_figures: list[Figures]) -> None:
    """``remediate sync`` in a subprocess, SIGKILLed at its N-th request (N spread over 1..40), then rerun."""
    count = 20 if kind == "github" else 40
    figures, failures = kill_scenario(kind, count, KILL_POINTS[kind], tmp_path)
    campaign_figures.append(figures)
    assert failures == []
    assert figures.kills == len(KILL_POINTS[kind])


@pytest.mark.parametrize("workers", [2, 4])
def test_concurrent_syncs_on_one_database_with_faults(
    workers: int, database_url: str, tmp_path: Path, campaign_figures: list[Figures]
) -> None:
    figures, verdict, errors = concurrent_scenario(workers, database_url, 60, RATE, SEED + workers, tmp_path)
    campaign_figures.append(figures)
    assert errors == []
    assert verdict.ok, verdict


@pytest.mark.parametrize("kind", ["github", "jira-cloud", "jira-dc"])
def test_a_fresh_database_against_a_populated_tracker_adopts_and_creates_none(
    kind: str, tmp_path: Path, campaign_figures: list[Figures]
) -> None:
    figures, verdict, created, same = fresh_scenario(kind, 100, RATE, SEED, tmp_path)
    campaign_figures.append(figures)
    assert created == 0, "the fresh database created tickets"
    assert verdict.ok, verdict
    assert same, "both databases link every item to the same ticket"


@pytest.mark.parametrize("kind", ["github", "jira-cloud"])
def test_two_databases_at_once_then_dedupe_leaves_one_live_ticket_per_item(
    kind: str, tmp_path: Path, campaign_figures: list[Figures]
) -> None:
    """Two runners with separate databases may both file an item in the race window; dedupe closes the extras."""
    outcome = two_databases_scenario(kind, 60, RATE, SEED, tmp_path)
    campaign_figures.append(outcome.figures)
    assert outcome.errors == []
    assert outcome.raced.lost == [], outcome.raced
    assert outcome.verdict.ok, outcome.verdict
    raced = sum(len(keys) - 1 for keys in outcome.raced.duplicated.values())
    assert outcome.figures.closed_by_dedupe == raced, "dedupe closed exactly the race's duplicates"
    assert outcome.rescan == 0
    assert outcome.left_open == [], "a duplicate dedupe began to close was left open and unmarked"


@pytest.mark.xfail(
    strict=True,
    reason="a create the server finishes after the client's timeout AND after its recovery lookup is "
    "filed twice: GitHub has no idempotency key, and the connector looks for the issue after its "
    "backoff (instant here: the campaign's waits are injected), so the lookup misses a write still in progress. Only a client "
    "timeout shorter than the server's processing time opens the window (GitHub itself stops requests "
    "after 10 s; the default timeout is 15 s); `remediate dedupe --apply` closes the extra issue",
)
@contextlib.contextmanager
def late_applied_create(tmp_path: Path) -> Iterator[tuple[Target, str, set[str]]]:
    """A GitHub sync whose first ``POST /issues`` the fake holds 2.5 s and then applies; timeout 1 s."""
    from remediate.jobs import sync_paths

    doc = write_postmortem(tmp_path / "pm.md", items(3))
    db = f"sqlite:///{tmp_path / 'state.db'}"
    with serve("github") as target, fast_waits(target):
        expected = expected_ids([doc], "github")
        base = settings("github")
        pacing = {**base.connectors["github"]["pacing"], "timeout": 1}
        tuned = base.model_copy(update={"connectors": {"github": {"pacing": pacing}}})
        target.fake.chaos = Chaos(
            1.0,
            SEED,
            ("late-apply",),
            timeout=2.5,
            match=lambda method, path: method == "POST" and path.endswith("/issues"),
            limit=1,
        )
        sync_paths([str(doc)], tuned, database_url=db, tracker="github", options=target.options, environ=target.env)
        time.sleep(2.0)  # let the held request finish on the server
        target.fake.chaos = None
        yield target, db, expected


@pytest.mark.xfail(
    strict=True,
    reason="a create the server finishes after the client's timeout AND after its recovery lookup is "
    "filed twice: GitHub has no idempotency key, and the connector looks for the issue after its "
    "backoff (instant here: the campaign's waits are injected), so the lookup misses a write still in progress. Only a client "
    "timeout shorter than the server's processing time opens the window (GitHub itself stops requests "
    "after 10 s; the default timeout is 15 s); `remediate dedupe --apply` closes the extra issue",
)
def test_a_create_applied_after_the_client_gave_up_is_not_duplicated(tmp_path: Path) -> None:
    """Reproduce: timeout = 1 s, the fake holds the first ``POST /issues`` 2.5 s, then applies it."""
    with late_applied_create(tmp_path) as (target, db, expected):
        verdict = check(target, expected, [db])
        assert verdict.ok, verdict


def test_a_create_applied_after_the_client_gave_up_is_closed_by_dedupe(tmp_path: Path) -> None:
    """What the xfail above leaves behind, ``remediate dedupe --apply`` repairs: one live issue per item."""
    with late_applied_create(tmp_path) as (target, db, expected):
        assert len(check(target, expected, [db]).duplicated) == 1  # the window is real
        outcome = find_duplicates(
            settings("github"),
            database_url=db,
            tracker="github",
            options=target.options,
            environ=target.env,
            apply=True,
        )
        assert len(outcome.closed) == 1 and target.closed_duplicates() == 1
        verdict = check(target, expected, [db])
        assert verdict.ok, verdict

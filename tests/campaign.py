"""The fault campaign's machinery, shared by tests/test_fault_campaign.py and benchmarks/fault_campaign.py.

A :class:`Target` is one fake tracker (GitHub, Jira Cloud, Jira Data Center, GitLab) with what the
campaign needs around it: the environment and options a user would pass, a way to count the
tickets that carry each item's marker in the fake's own state (never through the connector under
test), and injected waits (:func:`fast_waits`) so that backoff and rate-limit pauses cost no real
time. :func:`converge` reruns a sync until it succeeds, counting the runs that failed (each must
fail with a one-line :class:`~remediate.errors.ConnectorError`, anything else is a bug), and
:func:`check` is the invariant: every item linked to exactly one ticket, none lost, none
duplicated, and the database's links naming those very tickets.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import select

from remediate.errors import ConnectorError
from remediate.models import Link
from remediate.settings import Settings
from remediate.store import open_store
from tests.fakes.chaos import Chaos
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.fakes.jira import FakeJira

REPO = "acme/api"
PROJECT = "acme/platform/api"
TRACKERS = ("github", "jira-cloud", "jira-dc", "gitlab")
_GH_MARKER = re.compile(r"<!-- remediate:item=([^\s>]+) -->")
#: Waits that cost nothing: the connectors' sleeps advance the fakes' clocks (or are recorded).
PACING: dict[str, dict[str, Any]] = {
    "github": {"write_interval": 0, "request_interval": 0, "backoff": 1, "max_backoff": 4},
    "gitlab": {"backoff": 1, "max_total_wait": 120},
}


def items(count: int, salt: str = "") -> list[str]:
    """``count`` distinct action-item texts."""
    return [f"Add alerting on queue depth for worker pool {salt}{n} before the next release" for n in range(count)]


def settings(tracker: str) -> Settings:
    """Settings for a campaign run: test pacing, and a lock wait long enough for 4 racing syncs."""
    connectors = {name: {"pacing": pacing} for name, pacing in PACING.items() if name == tracker}
    # A postmortem URL makes every Jira issue get its remote link: one more write per item.
    return Settings(
        connectors=connectors,
        sync={"lock_timeout": 600},  # type: ignore[arg-type]
        postmortem_url="https://git.example.com/acme/postmortems/blob/main/",
    )


@dataclass
class Target:
    """One fake tracker under the campaign."""

    kind: str  # github | jira-cloud | jira-dc | gitlab
    fake: Any
    slept: list[float] = field(default_factory=list)  # waits asked for (fake seconds)

    @property
    def tracker(self) -> str:
        """The connector's name."""
        return self.kind.split("-")[0]

    @property
    def options(self) -> dict[str, str]:
        """The CLI options (--repo, --project)."""
        return {"github": {"repo": REPO}, "jira": {"project": "OPS"}, "gitlab": {"project": PROJECT}}[self.tracker]

    @property
    def env(self) -> dict[str, str]:
        """What a user of this tracker exports."""
        fake = self.fake
        if self.tracker == "github":
            return {"GITHUB_TOKEN": fake.token, "GITHUB_API_URL": fake.base_url}
        if self.tracker == "gitlab":
            return {"GITLAB_TOKEN": fake.token, "GITLAB_URL": fake.url}
        if fake.mode == "cloud":
            return {"JIRA_URL": fake.base, "JIRA_USER": fake.email, "JIRA_API_TOKEN": fake.api_token}
        return {"JIRA_URL": fake.base, "JIRA_PAT": fake.pat}

    @property
    def requests(self) -> int:
        """Requests the fake has received."""
        return len(self.fake.requests)

    @property
    def violations(self) -> list[str]:
        """Requests that broke the tracker's contract."""
        return list(getattr(self.fake, "violations", None) or getattr(self.fake, "contract_violations", []))

    def live_tickets(self) -> dict[str, list[str]]:
        """Item id -> keys of the live tickets carrying its marker (closed duplicates left out)."""
        found: dict[str, list[str]] = {}
        fake = self.fake
        if self.tracker == "github":
            for issue in fake.all_issues(REPO):
                match = _GH_MARKER.search(issue.body or "")
                if match and not (issue.state == "closed" and issue.state_reason == "duplicate"):
                    found.setdefault(match.group(1), []).append(f"{REPO}#{issue.number}")
        elif self.tracker == "gitlab":
            for issue in fake.issues(PROJECT):
                match = _GH_MARKER.search(issue.description or "")
                duplicate = issue.state == "closed" and any("duplicate" in label.lower() for label in issue.labels)
                if match and not duplicate:
                    found.setdefault(match.group(1), []).append(f"{PROJECT}#{issue.iid}")
        else:
            from remediate_jira.fields import MARKER_PREFIX, is_marker_label

            for issue in fake.issues.values():
                for label in issue["fields"].get("labels") or []:
                    if is_marker_label(label):  # dedupe swaps the marker for remediate-duplicate
                        found.setdefault(label.removeprefix(MARKER_PREFIX), []).append(issue["key"])
        return found

    def closed_duplicates(self) -> int:
        """Tickets ``remediate dedupe`` closed as duplicates."""
        fake = self.fake
        if self.tracker == "github":
            return sum(1 for i in fake.all_issues(REPO) if i.state == "closed" and i.state_reason == "duplicate")
        if self.tracker == "jira":
            from remediate_jira.fields import DUPLICATE_LABEL

            return sum(1 for i in fake.issues.values() if DUPLICATE_LABEL in (i["fields"].get("labels") or []))
        return sum(1 for i in fake.issues(PROJECT) if i.state == "closed" and _GH_MARKER.search(i.description or ""))

    def left_open(self) -> list[str]:
        """Tickets marked as duplicates by dedupe but still open (a close that stopped halfway)."""
        fake = self.fake
        if self.tracker != "jira":
            return []  # GitHub's and GitLab's close is the one write that marks them
        from remediate_jira.fields import DUPLICATE_LABEL

        return sorted(
            issue["key"]
            for issue in fake.issues.values()
            if DUPLICATE_LABEL in (issue["fields"].get("labels") or [])
            and (issue["fields"]["status"].get("statusCategory") or {}).get("key") != "done"
        )

    def ticket_count(self) -> int:
        """Tickets carrying an item marker, live or closed as duplicates."""
        fake = self.fake
        if self.tracker == "github":
            return sum(1 for i in fake.all_issues(REPO) if _GH_MARKER.search(i.body or ""))
        if self.tracker == "gitlab":
            return sum(1 for i in fake.issues(PROJECT) if _GH_MARKER.search(i.description or ""))
        from remediate_jira.fields import DUPLICATE_LABEL, is_marker_label

        return sum(
            1
            for i in fake.issues.values()
            if any(is_marker_label(label) or label == DUPLICATE_LABEL for label in i["fields"].get("labels") or [])
        )  # not the postmortems' epics


@contextmanager
def serve(kind: str) -> Iterator[Target]:
    """A running fake of ``kind``, with the project or repository the campaign syncs to."""
    if kind == "github":
        # GitHub's content-creation limit (80 a minute, 500 an hour) is tested elsewhere; here it
        # would only turn reruns into hour-long (fake) waits.
        with FakeGitHub(content_limits=False) as github:
            github.add_repo(REPO, collaborators=("alice", "bob"))
            yield Target(kind, github)
    elif kind == "gitlab":
        with FakeGitLab() as gitlab:
            gitlab.add_project(PROJECT)
            gitlab.add_user("alice")
            yield Target(kind, gitlab)
    else:
        jira = FakeJira("cloud" if kind == "jira-cloud" else "datacenter")
        with jira.serve():
            yield Target(kind, jira)


@contextmanager
def fast_waits(target: Target) -> Iterator[None]:
    """Every connector built meanwhile sleeps on the fake's clock (or records its waits): no real sleeping."""
    from remediate_github import GitHubConnector
    from remediate_gitlab import GitLabConnector
    from remediate_jira.connector import JiraConnector

    fake = target.fake

    def advance(seconds: float) -> None:
        target.slept.append(seconds)
        if hasattr(fake, "advance"):
            fake.advance(seconds)

    saved = {cls: cls.__dict__["from_config"] for cls in (GitHubConnector, GitLabConnector, JiraConnector)}

    def clocked(cls: Any, config: Any, context: Any) -> Any:
        return cls(config, context, clock=fake.now, sleep=advance)

    def recorded(cls: Any, config: Any, context: Any) -> Any:
        connector = cls(config, context)
        connector.sleep = advance
        return connector

    GitHubConnector.from_config = classmethod(clocked)  # type: ignore[method-assign,assignment]
    GitLabConnector.from_config = classmethod(clocked)  # type: ignore[method-assign,assignment]
    JiraConnector.from_config = classmethod(recorded)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        for cls, original in saved.items():
            cls.from_config = original  # type: ignore[method-assign]


@dataclass
class Figures:
    """What one campaign scenario did and found."""

    scenario: str
    tracker: str
    items: int
    runs: int = 0
    failed_runs: int = 0
    requests: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    kills: int = 0
    lost: int = 0
    duplicates: int = 0
    closed_by_dedupe: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)  # first failure lines, for the report

    def add_chaos(self, chaos: Chaos | None) -> None:
        """Count a chaos's injected faults."""
        if chaos is not None:
            self.faults.update(chaos.counts)

    def to_json(self) -> dict[str, Any]:
        """One line of the summary."""
        return {
            "scenario": self.scenario,
            "tracker": self.tracker,
            "items": self.items,
            "runs": self.runs,
            "failed_runs": self.failed_runs,
            "requests": self.requests,
            "faults": sum(v for k, v in self.faults.items() if k not in ("kill", "after-kill")),
            "faults_by_kind": dict(sorted(self.faults.items())),
            "kills": self.kills,
            "lost": self.lost,
            "duplicates": self.duplicates,
            "closed_by_dedupe": self.closed_by_dedupe,
            "seconds": round(self.seconds, 2),
            "errors": sorted(set(self.errors))[:5],
        }


def table(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The figures as aligned text lines."""
    return [
        f"  {r['scenario']:<34} {r['tracker']:<10} items={r['items']:<5} runs={r['runs']:<3} "
        f"failed={r['failed_runs']:<3} requests={r['requests']:<6} faults={r['faults']:<5} kills={r['kills']:<3} "
        f"lost={r['lost']} duplicates={r['duplicates']} dedupe_closed={r['closed_by_dedupe']} {r['seconds']}s"
        for r in rows
    ]


def converge(
    attempt: Callable[[], object], figures: Figures, *, max_runs: int = 40, lock: threading.Lock | None = None
) -> object:
    """Run ``attempt`` until it succeeds; every failure must be a one-line ConnectorError."""
    for _ in range(max_runs):
        if lock is not None:
            with lock:
                figures.runs += 1
        else:
            figures.runs += 1
        try:
            return attempt()
        except ConnectorError as err:
            message = str(err)
            assert message and "\n" not in message.strip(), f"a failure must be one line: {message!r}"
            assert "Traceback" not in message
            if lock is not None:
                with lock:
                    figures.failed_runs += 1
                    figures.errors.append(_shape(message))
            else:
                figures.failed_runs += 1
                figures.errors.append(_shape(message))
    raise AssertionError(f"no success in {max_runs} runs: {figures.errors[-3:]}")


def _shape(message: str) -> str:
    # Keys and numbers differ run to run; the report wants the kinds of failures.
    return re.sub(r"\d+", "N", message)[:160]


def expected_ids(paths: Sequence[Path], tracker: str) -> set[str]:
    """The item ids the documents hold (parsed independently of any database)."""
    from remediate.jobs import parse_documents

    documents, _ = parse_documents([str(p) for p in paths], settings(tracker))
    return {item.id for doc in documents for item in doc.action_items}


def links(database_url: str, tracker: str) -> dict[str, str]:
    """Item id -> ticket key, as the database has it."""
    with open_store(database_url) as store:
        with store.session() as session:
            rows = session.exec(select(Link).where(Link.tracker == tracker)).all()
            return {row.item_id: row.key for row in rows}


@dataclass
class Verdict:
    """The invariant's findings."""

    lost: list[str]
    duplicated: dict[str, list[str]]
    strays: list[str]  # markers of items no document holds
    unlinked: list[str]  # items the database has no link for
    mislinked: dict[str, tuple[str, list[str]]]  # database link not the ticket carrying the marker

    @property
    def ok(self) -> bool:
        """Every item exactly once, and the database agrees."""
        return not (self.lost or self.duplicated or self.strays or self.unlinked or self.mislinked)

    def __str__(self) -> str:
        return (
            f"lost={self.lost[:5]} ({len(self.lost)}) duplicated={dict(list(self.duplicated.items())[:5])} "
            f"({len(self.duplicated)}) strays={self.strays[:5]} unlinked={self.unlinked[:5]} "
            f"({len(self.unlinked)}) mislinked={dict(list(self.mislinked.items())[:5])} ({len(self.mislinked)})"
        )


def check(target: Target, expected: set[str], database_urls: Sequence[str] = ()) -> Verdict:
    """The invariant on the tracker's state and, for each database, on its links."""
    tickets = target.live_tickets()
    lost = sorted(expected - tickets.keys())
    duplicated = {item: keys for item, keys in tickets.items() if len(keys) > 1}
    strays = sorted(tickets.keys() - expected)
    unlinked: list[str] = []
    mislinked: dict[str, tuple[str, list[str]]] = {}
    for url in database_urls:
        linked = links(url, target.tracker)
        unlinked += sorted(expected - linked.keys())
        for item, key in linked.items():
            if item in expected and tickets.get(item) != [key]:
                mislinked[item] = (key, tickets.get(item, []))
    return Verdict(lost, duplicated, strays, unlinked, mislinked)


def sync_once(doc: Path, database_url: str, target: Target) -> Any:
    """One in-process ``remediate sync`` of ``doc`` into ``database_url``."""
    from remediate.jobs import sync_paths

    return sync_paths(
        [str(doc)],
        settings(target.tracker),
        database_url=database_url,
        tracker=target.tracker,
        options=target.options,
        environ=target.env,
    )


def timed(figures: Figures) -> Callable[[], None]:
    """Start a stopwatch; calling the result stores the elapsed seconds in ``figures``."""
    start = time.perf_counter()

    def stop() -> None:
        figures.seconds = time.perf_counter() - start

    return stop


def quietly(fn: Callable[[], object]) -> None:
    """Run ``fn``, ignoring connector errors (cleanup that may meet a fault)."""
    with suppress(ConnectorError):
        fn()


# --- the CLI in a subprocess, killed at a chosen request ------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
#: No pacing and near-zero waits: a subprocess cannot be handed the fake's clock.
CLI_CONFIG = """\
postmortem_url = "https://git.example.com/acme/postmortems/blob/main/"

[connectors.github.pacing]
write_interval = 0
request_interval = 0
backoff = 0.01
max_backoff = 0.05
secondary_wait = 0.01

[sync]
lock_timeout = 600
"""


def cli_command(doc: Path, database_url: str, config: Path, target: Target) -> list[str]:
    """``remediate sync`` of ``doc`` as a user would type it."""
    import sys

    command = [sys.executable, "-m", "remediate", "sync", str(doc), "--tracker", target.tracker]
    for name, value in target.options.items():
        command += [f"--{name}", value]
    return [*command, "--config", str(config), "--db", database_url, "--format", "json"]


def cli_env(target: Target, home: Path) -> dict[str, str]:
    """A clean environment: this checkout's code first, the tracker's variables, a private HOME."""
    import os

    path = os.pathsep.join(str(ROOT / sub) for sub in ("src", "connectors", ""))
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": path, **target.env}


@dataclass
class KillResult:
    """What a killed run and the rerun after it did."""

    kill_after: int
    applied: bool
    killed: bool  # False: the run finished before its N-th request
    requests_before_kill: int
    rerun_code: int
    rerun_stderr: str


def kill_and_rerun(
    target: Target, doc: Path, database_url: str, config: Path, home: Path, kill_after: int, *, applied: bool
) -> KillResult:
    """Run the CLI, SIGKILL it at its ``kill_after``-th request (that write applied or not), then rerun it."""
    import os
    import signal
    import subprocess

    command = cli_command(doc, database_url, config, target)
    env = cli_env(target, home)
    holder: list[int] = []

    def kill() -> None:
        if holder:
            os.kill(holder[0], signal.SIGKILL)

    chaos = Chaos(0.0, kill_after, kill_after=kill_after, on_kill=kill, kill_applied=applied)
    target.fake.chaos = chaos
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    holder.append(proc.pid)
    try:
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    killed = chaos.killed
    assert killed == (proc.returncode == -signal.SIGKILL), (proc.returncode, err[-500:])
    if not killed:
        assert proc.returncode == 0, err[-500:]
    seen = chaos.requests
    target.fake.chaos = None
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    return KillResult(kill_after, applied, killed, min(seen, kill_after), rerun.returncode, rerun.stderr)


# --- the scenarios (the tests assert on their results; benchmarks/fault_campaign.py prints them) ---


def _tally(figures: Figures, verdict: Verdict) -> None:
    figures.lost += len(verdict.lost)
    figures.duplicates += sum(len(keys) - 1 for keys in verdict.duplicated.values())


def _settle(figures: Figures, target: Target, expected: set[str], databases: Sequence[str]) -> Verdict:
    """Switch the faults off, check the invariant and count what it found."""
    figures.add_chaos(target.fake.chaos)
    target.fake.chaos = None
    verdict = check(target, expected, databases)
    _tally(figures, verdict)
    figures.requests += target.requests
    return verdict


def faults_scenario(kind: str, count: int, rate: float, seed: int, work: Path) -> tuple[Figures, Verdict, int]:
    """One sync of ``count`` items at ``rate`` faults, rerun until it succeeds; then a clean rerun.

    Returns the figures, the invariant's verdict and how many tickets the clean rerun created.
    """
    doc = write_doc(work / "pm.md", count)
    db = f"sqlite:///{work / 'state.db'}"
    figures = Figures(f"{count} items, {rate:.0%} faults", kind, count)
    stop = timed(figures)
    with serve(kind) as target, fast_waits(target):
        expected = expected_ids([doc], target.tracker)
        target.fake.chaos = Chaos(rate, seed)
        converge(lambda: sync_once(doc, db, target), figures)
        verdict = _settle(figures, target, expected, [db])
        tickets = target.ticket_count()
        sync_once(doc, db, target)
        created = target.ticket_count() - tickets
    stop()
    return figures, verdict, created


def kill_scenario(
    kind: str, count: int, points: Sequence[int], work: Path, *, both: bool = False
) -> tuple[Figures, list[str]]:
    """For each point N: SIGKILL the CLI at its N-th request, then rerun it; returns the failures found.

    The write the run dies on is applied at every other point (both ways at each point if ``both``).
    """
    doc = write_doc(work / "pm.md", count)
    config = work / "remediate.toml"
    config.write_text(CLI_CONFIG, encoding="utf-8")
    figures = Figures(f"SIGKILL at {len(points) * (2 if both else 1)} points, rerun", kind, count)
    stop = timed(figures)
    failures: list[str] = []
    expected = expected_ids([doc], kind.split("-")[0])
    runs = (
        [(p, flag) for p in points for flag in (True, False)]
        if both
        else [(p, i % 2 == 0) for i, p in enumerate(points)]
    )
    for point, flag in runs:
        db = f"sqlite:///{work / f'state-{point}-{int(flag)}.db'}"
        with serve(kind) as target:
            result = kill_and_rerun(target, doc, db, config, work, point, applied=flag)
            figures.runs += 2
            figures.kills += result.killed
            figures.requests += target.requests
            if not result.killed:
                failures.append(f"kill at {point}: the run ended before its {point}th request")
            if result.rerun_code != 0:
                failures.append(f"kill at {point}: the rerun failed: {result.rerun_stderr.strip()[-300:]}")
                continue
            verdict = check(target, expected, [db])
            _tally(figures, verdict)
            if not verdict.ok:
                failures.append(f"kill at {point} (write applied: {flag}): {verdict}")
            if target.violations:
                failures.append(f"kill at {point}: contract violations {target.violations[:3]}")
    stop()
    return figures, failures


def race(target: Target, jobs: Sequence[tuple[str, Path]], figures: Figures) -> list[BaseException]:
    """Run one converging sync per (database, document) in threads at once; the errors they raised."""
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def work(db: str, doc: Path) -> None:
        try:
            start.wait(timeout=60)
            converge(lambda: sync_once(doc, db, target), figures, lock=lock)
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=work, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    if any(t.is_alive() for t in threads):
        errors.append(AssertionError("a racing sync did not finish"))
    return errors


def concurrent_scenario(
    workers: int, database_url: str, count: int, rate: float, seed: int, work: Path
) -> tuple[Figures, Verdict, list[BaseException]]:
    """``workers`` syncs at once (threads) on one database against the fake GitHub with faults."""
    doc = write_doc(work / "pm.md", count)
    backend = database_url.split(":", 1)[0].split("+")[0]
    figures = Figures(f"{workers} syncs at once on one {backend} db", "github", count)
    stop = timed(figures)
    with serve("github") as target, fast_waits(target):
        expected = expected_ids([doc], "github")
        target.fake.chaos = Chaos(rate, seed)
        errors = race(target, [(database_url, doc)] * workers, figures)
        verdict = _settle(figures, target, expected, [database_url])
    stop()
    return figures, verdict, errors


def fresh_scenario(kind: str, count: int, rate: float, seed: int, work: Path) -> tuple[Figures, Verdict, int, bool]:
    """Sync into one database, then into a fresh one, both with faults.

    Returns the figures, the verdict over both databases, the tickets the fresh database created,
    and whether both databases link every item to the same ticket.
    """
    doc = write_doc(work / "pm.md", count)
    first, fresh = (f"sqlite:///{work / name}" for name in ("first.db", "fresh.db"))
    figures = Figures("fresh db, populated tracker", kind, count)
    stop = timed(figures)
    with serve(kind) as target, fast_waits(target):
        expected = expected_ids([doc], target.tracker)
        target.fake.chaos = Chaos(rate, seed)
        converge(lambda: sync_once(doc, first, target), figures)
        tickets = target.ticket_count()
        converge(lambda: sync_once(doc, fresh, target), figures)
        created = target.ticket_count() - tickets
        verdict = _settle(figures, target, expected, [first, fresh])
        same = links(first, target.tracker) == links(fresh, target.tracker)
    stop()
    return figures, verdict, created, same


@dataclass
class RaceOutcome:
    """What two databases syncing at once, then ``dedupe --apply``, left behind."""

    figures: Figures
    errors: list[BaseException]
    raced: Verdict  # right after the race: duplicates allowed, losses not
    verdict: Verdict  # after dedupe: the invariant, on the surviving database
    rescan: int  # duplicates a second dedupe still finds
    left_open: list[str]  # tickets dedupe marked as duplicates but left open


def two_databases_scenario(kind: str, count: int, rate: float, seed: int, work: Path) -> RaceOutcome:
    """Two databases sync the same document at once (they may both file an item), then dedupe --apply on one."""
    from remediate.jobs import find_duplicates

    doc = write_doc(work / "pm.md", count)
    db_a, db_b = (f"sqlite:///{work / name}" for name in ("a.db", "b.db"))
    figures = Figures("two databases at once + dedupe", kind, count)
    stop = timed(figures)
    with serve(kind) as target, fast_waits(target):
        expected = expected_ids([doc], target.tracker)
        for db in (db_a, db_b):
            # Migrations one at a time: alembic's context is global to the process (real runners
            # are separate processes).
            open_store(db).dispose()
        target.fake.chaos = Chaos(rate, seed)
        errors = race(target, [(db_a, doc), (db_b, doc)], figures)
        raced = check(target, expected)

        def dedupe(scan_only: bool = False) -> Any:
            return find_duplicates(
                settings(target.tracker),
                database_url=db_a,
                tracker=target.tracker,
                options=target.options,
                environ=target.env,
                apply=not scan_only,
            )

        converge(dedupe, figures)
        verdict = _settle(figures, target, expected, [db_a])
        figures.closed_by_dedupe = target.closed_duplicates()
        rescan = len(dedupe(scan_only=True).duplicates)
        left_open = target.left_open()
    stop()
    return RaceOutcome(figures, errors, raced, verdict, rescan, left_open)


def write_doc(path: Path, count: int) -> Path:
    """A postmortem with ``count`` action items."""
    from tests.support import write_postmortem

    return write_postmortem(path, items(count))

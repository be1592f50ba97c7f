"""Webhook deliveries over real HTTP: the service's HTTP server (in-process, on a free port) and the
stateful fakes. A signed event changes the item's state by reading the ticket back; forged,
oversize, malformed and replayed deliveries change nothing."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from remediate.jobs import sync_paths
from remediate.models import KV, Event, Item, Link, SyncRun
from remediate.service.health import HealthServer
from remediate.service.hooks import HookReceiver
from remediate.settings import Settings
from remediate.store import Store, open_store
from tests.connectors.github.conftest import REPO, TEST_PACING
from tests.connectors.gitlab.conftest import PROJECT
from tests.connectors.gitlab.conftest import TEST_PACING as GITLAB_PACING
from tests.connectors.jira.conftest import jira_env
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.fakes.jira import FakeJira
from tests.support import write_postmortem

CONTRACTS = Path(__file__).parent / "contracts" / "webhooks"
GITHUB_SECRET = "whsec-github-0123456789abcdef"
GITLAB_SECRET = "glwhs-token-0123456789abcdef"
JIRA_SECRET = "jira-secret-0123456789abcdef"
ITEMS = ["Add alerting on queue depth for worker pool 1", "Rotate the TLS keys of the edge proxies"]


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Receiver:
    """The HTTP server of ``remediate schedule --http`` with its webhook receiver, on a free port."""

    server: HealthServer
    hooks: HookReceiver
    store: Store
    database_url: str

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        host, port = self.server.address
        conn = http.client.HTTPConnection(host, port, timeout=30)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            return response.status, json.loads(data) if data.strip().startswith(b"{") else {"text": data.decode()}
        finally:
            conn.close()

    def announce(self, path: str, length: int, headers: dict[str, str]) -> int:
        """Send only the headers of a POST claiming ``length`` bytes; the status of the answer."""
        host, port = self.server.address
        conn = http.client.HTTPConnection(host, port, timeout=30)
        try:
            conn.putrequest("POST", path)
            for name, value in {**headers, "Content-Length": str(length)}.items():
                conn.putheader(name, value)
            conn.endheaders()
            return conn.getresponse().status
        finally:
            conn.close()

    def item(self, text: str) -> Item:
        with self.store.session() as session:
            return session.exec(select(Item).where(Item.text == text)).one()

    def runs(self, kind: str = "hook") -> list[SyncRun]:
        with self.store.session() as session:
            return list(session.exec(select(SyncRun).where(SyncRun.kind == kind)).all())

    def link(self, text: str) -> Link:
        with self.store.session() as session:
            item = session.exec(select(Item).where(Item.text == text)).one()
            return session.exec(select(Link).where(Link.item_id == item.id)).one()


def settings() -> Settings:
    return Settings(
        connectors={
            "github": {"pacing": TEST_PACING, "repo": REPO},
            "gitlab": {"pacing": GITLAB_PACING, "project": PROJECT},
            "jira": {"project": "OPS"},
        }
    )


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_repo(REPO, collaborators=("alice",))
        yield server
        assert server.violations == [], server.violations


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], Receiver]]:
    started: list[Receiver] = []

    def start(environ: dict[str, str]) -> Receiver:
        url = f"sqlite:///{tmp_path / 'state.db'}"
        store = open_store(url)
        hooks = HookReceiver(settings(), store, environ=environ)
        server = HealthServer(settings(), store, lambda: "active", host="127.0.0.1", port=0, hooks=hooks)
        server.start()
        receiver = Receiver(server, hooks, store, url)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.server.stop()
        receiver.store.dispose()


def github_env(fake: FakeGitHub) -> dict[str, str]:
    return {
        "GITHUB_TOKEN": fake.token,
        "GITHUB_API_URL": fake.base_url,
        "REMEDIATE_GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
    }


def synced_github(tmp_path: Path, fake: FakeGitHub) -> dict[str, int]:
    """Sync two items to the fake GitHub; {item text: issue number}."""
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    outcome = sync_paths(
        [str(doc)],
        settings(),
        database_url=f"sqlite:///{tmp_path / 'state.db'}",
        tracker="github",
        environ=github_env(fake),
    )
    return {a.text: int(a.ref.key.rsplit("#", 1)[1]) for a in outcome.plan.actions}  # type: ignore[attr-defined]


def github_event(fake: FakeGitHub, number: int, action: str = "closed") -> bytes:
    payload = json.loads((CONTRACTS / "github-issues-closed.json").read_text())
    issue = fake.issue(REPO, number)
    payload["action"] = action
    payload["issue"].update(number=number, id=issue.id, html_url=f"https://github.com/{REPO}/issues/{number}")
    return json.dumps(payload).encode()


def github_headers(
    body: bytes, *, delivery: str | None = None, event: str = "issues", secret: str = GITHUB_SECRET
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(secret, body),
    }


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured log line with its structured fields (what the service would write)."""
    return caplog.text + repr([getattr(record, "fields", None) for record in caplog.records])


def wait_until(check: Callable[[], bool], timeout: float = 30.0) -> float:
    """Wait for ``check``; return the seconds it took."""
    started = time.monotonic()
    deadline = started + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
    return time.monotonic() - started


#: The issue's promise: a close reaches the database within a second of the delivery.
WITHIN = 1.0


def test_a_signed_github_close_marks_the_item_done_by_reading_the_issue(
    tmp_path: Path, github: FakeGitHub, serve: Callable[[dict[str, str]], Receiver]
) -> None:
    numbers = synced_github(tmp_path, github)
    receiver = serve(github_env(github))
    target = ITEMS[0]
    github.set_state(REPO, numbers[target], "closed", "completed")
    body = github_event(github, numbers[target])
    github.reset_log()
    started = time.monotonic()
    status, answer = receiver.post("/hooks/github", body, github_headers(body))
    assert (status, answer["status"]) == (202, "accepted")
    wait_until(lambda: receiver.item(target).state == "done")
    assert time.monotonic() - started < WITHIN
    receiver.hooks.drain()  # the run is finished after the state is committed
    assert receiver.item(ITEMS[1]).state == "open"
    # Just the one issue was read, by a GET; nothing was written or listed.
    assert [(r.method, r.path) for r in github.requests] == [("GET", f"/repos/{REPO}/issues/{numbers[target]}")]
    [run] = receiver.runs()
    assert run.status == "ok" and run.tracker == "github"
    assert json.loads(run.summary or "{}")["state_changes"] == 1
    with receiver.store.session() as session:
        events = session.exec(select(Event).where(Event.kind == "state", Event.run_id == run.id)).all()
    assert [(e.old, e.new, e.actor) for e in events] == [("open", "done", "tracker")]


def test_the_payload_state_is_not_trusted(
    tmp_path: Path, github: FakeGitHub, serve: Callable[[dict[str, str]], Receiver]
) -> None:
    """A validly signed "closed" for an issue GitHub says is open changes nothing."""
    numbers = synced_github(tmp_path, github)
    receiver = serve(github_env(github))
    body = github_event(github, numbers[ITEMS[0]])
    assert receiver.post("/hooks/github", body, github_headers(body))[0] == 202
    receiver.hooks.drain()
    assert receiver.item(ITEMS[0]).state == "open"
    assert [run.status for run in receiver.runs()] == ["ok"]


def test_a_replayed_delivery_is_processed_once(
    tmp_path: Path, github: FakeGitHub, serve: Callable[[dict[str, str]], Receiver]
) -> None:
    numbers = synced_github(tmp_path, github)
    receiver = serve(github_env(github))
    number = numbers[ITEMS[0]]
    github.set_state(REPO, number, "closed", "not_planned")
    body = github_event(github, number)
    headers = github_headers(body, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    assert receiver.post("/hooks/github", body, headers)[0] == 202
    receiver.hooks.drain()
    assert receiver.item(ITEMS[0]).state == "not_doing"
    # Someone reopens it; a replay of the old delivery must not be processed (nor reread).
    github.set_state(REPO, number, "open")
    github.reset_log()
    for _ in range(3):
        status, answer = receiver.post("/hooks/github", body, headers)
        assert (status, answer["status"]) == (200, "duplicate")
    receiver.hooks.drain()
    assert github.requests == []
    assert len(receiver.runs()) == 1
    assert receiver.item(ITEMS[0]).state == "not_doing"
    # A new delivery for the reopen is processed.
    reopened = github_event(github, number, "reopened")
    assert receiver.post("/hooks/github", reopened, github_headers(reopened))[0] == 202
    wait_until(lambda: receiver.item(ITEMS[0]).state == "open")
    with receiver.store.session() as session:
        stored = session.exec(select(KV).where(KV.namespace == "hooks:github")).all()
    assert len(stored) == 2


def test_forged_oversize_and_malformed_deliveries_change_nothing(
    tmp_path: Path,
    github: FakeGitHub,
    serve: Callable[[dict[str, str]], Receiver],
    caplog: pytest.LogCaptureFixture,
) -> None:
    numbers = synced_github(tmp_path, github)
    receiver = serve(github_env(github))
    github.set_state(REPO, numbers[ITEMS[0]], "closed", "completed")
    body = github_event(github, numbers[ITEMS[0]])
    github.reset_log()
    caplog.set_level("DEBUG")

    forged = github_headers(body, secret="not-the-secret")
    assert receiver.post("/hooks/github", body, forged)[0] == 401
    unsigned = {k: v for k, v in github_headers(body).items() if k != "X-Hub-Signature-256"}
    assert receiver.post("/hooks/github", body, unsigned)[0] == 401
    tampered = body.replace(b'"closed"', b'"reopened"', 1)
    assert receiver.post("/hooks/github", tampered, github_headers(body))[0] == 401

    # Refused on the Content-Length alone, before any of the body is sent or read.
    assert receiver.announce("/hooks/github", 1024 * 1024 + 1, github_headers(body)) == 413
    host, port = receiver.server.address
    with socket.create_connection((host, port), timeout=30) as raw:  # chunked, no Content-Length
        raw.sendall(b"POST /hooks/github HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        assert raw.recv(64).startswith(b"HTTP/1.0 411")

    garbage = b"this is not json"
    assert receiver.post("/hooks/github", garbage, github_headers(garbage))[0] == 400
    shapeless = json.dumps({"action": "closed", "issue": {"number": "seven"}}).encode()
    assert receiver.post("/hooks/github", shapeless, github_headers(shapeless))[0] == 400
    assert receiver.post("/hooks/nonesuch", body, github_headers(body))[0] == 404

    receiver.hooks.drain()
    assert github.requests == []
    assert receiver.runs() == []
    assert receiver.item(ITEMS[0]).state == "open"
    with receiver.store.session() as session:
        assert session.exec(select(KV).where(KV.namespace == "hooks:github")).all() == []
    text = logged(caplog)
    assert "hook_refused" in text and "status': 401" in text
    assert GITHUB_SECRET not in text and sign(GITHUB_SECRET, body) not in text


def test_a_deleted_github_issue_is_recorded_missing_once(
    tmp_path: Path, github: FakeGitHub, serve: Callable[[dict[str, str]], Receiver]
) -> None:
    numbers = synced_github(tmp_path, github)
    receiver = serve(github_env(github))
    number = numbers[ITEMS[1]]
    body = github_event(github, number, "deleted")
    github.delete(REPO, number)
    assert receiver.post("/hooks/github", body, github_headers(body))[0] == 202
    wait_until(lambda: receiver.link(ITEMS[1]).missing == "deleted")
    again = github_event(github, numbers[ITEMS[0]], "deleted").replace(
        f'"number": {numbers[ITEMS[0]]}'.encode(), f'"number": {number}'.encode()
    )
    assert receiver.post("/hooks/github", again, github_headers(again))[0] == 202  # a second delivery, new id
    receiver.hooks.drain()
    with receiver.store.session() as session:
        missing = session.exec(select(Event).where(Event.kind == "ticket_missing")).all()
    assert [e.new for e in missing] == ["deleted"]  # recorded once, as a refresh would


def test_ping_unknown_tickets_other_events_and_hooks_off(
    tmp_path: Path, github: FakeGitHub, serve: Callable[[dict[str, str]], Receiver]
) -> None:
    synced_github(tmp_path, github)
    receiver = serve(github_env(github))
    ping = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
    assert receiver.post("/hooks/github", ping, github_headers(ping, event="ping")) == (200, {"status": "pong"})
    stranger = github.open_issue(REPO, "Not a remediation item")
    body = github_event(github, stranger.number)
    status, answer = receiver.post("/hooks/github", body, github_headers(body))
    assert (status, answer["status"]) == (202, "ignored")
    comment = json.dumps({"action": "created", "issue": {}, "comment": {}}).encode()
    assert receiver.post("/hooks/github", comment, github_headers(comment, event="issue_comment"))[0] == 200
    receiver.hooks.drain()
    assert receiver.runs() == []

    off = serve({"GITHUB_TOKEN": github.token, "GITHUB_API_URL": github.base_url})
    status, answer = off.post("/hooks/github", body, github_headers(body))
    assert status == 404 and "REMEDIATE_GITHUB_WEBHOOK_SECRET" in answer["error"]


def test_the_job_itself_processes_a_delivery_once(tmp_path: Path, github: FakeGitHub) -> None:
    """Under the sync lock the delivery id is checked again: two workers cannot both process it."""
    from remediate.connectors import TicketRef
    from remediate.jobs import refresh_from_hook

    numbers = synced_github(tmp_path, github)
    with open_store(f"sqlite:///{tmp_path / 'state.db'}") as store:
        number = numbers[ITEMS[0]]
        github.set_state(REPO, number, "closed", "completed")
        refs = [TicketRef("github", f"{REPO}#{number}")]
        first = refresh_from_hook(settings(), "github", refs, delivery="d-1", store=store, environ=github_env(github))
        github.set_state(REPO, number, "open")
        again = refresh_from_hook(settings(), "github", refs, delivery="d-1", store=store, environ=github_env(github))
        assert (len(first.state_changes), first.duplicate) == (1, False)
        assert (again.state_changes, again.duplicate) == ([], True)
        with store.session() as session:
            assert session.exec(select(Item).where(Item.text == ITEMS[0])).one().state == "done"


def test_doctor_says_when_a_delivery_was_last_processed(tmp_path: Path, github: FakeGitHub) -> None:
    from remediate.connectors import TicketRef
    from remediate.doctor import run_checks
    from remediate.jobs import refresh_from_hook

    numbers = synced_github(tmp_path, github)
    url = f"sqlite:///{tmp_path / 'state.db'}"
    config = tmp_path / "remediate.toml"
    config.write_text(f'tracker = "github"\n\n[connectors.github]\nrepo = "{REPO}"\n')
    env = github_env(github)

    def hooks_check() -> str:
        [check] = [c for c in run_checks(config, url, env, reach=False) if c.name == "webhooks"]
        assert check.status == "info"
        return check.detail

    assert hooks_check().startswith("no github webhook delivery recorded")
    with open_store(url) as store:
        refs = [TicketRef("github", f"{REPO}#{numbers[ITEMS[0]]}")]
        refresh_from_hook(settings(), "github", refs, delivery="d-9", store=store, environ=env)
    assert hooks_check() == "last github webhook delivery processed 0 min ago (1 in the last 7 days)"


# --- GitLab ----------------------------------------------------------------------------------------


def gitlab_event(fake: FakeGitLab, iid: int, action: str = "close") -> bytes:
    payload = json.loads((CONTRACTS / "gitlab-issue-hook.json").read_text())
    payload["object_attributes"].update(iid=iid, id=fake.issue(PROJECT, iid).id, action=action)
    payload["project"]["path_with_namespace"] = PROJECT
    return json.dumps(payload).encode()


def gitlab_headers(*, token: str = GITLAB_SECRET, key: str | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Gitlab-Event": "Issue Hook",
        "X-Gitlab-Token": token,
        "X-Gitlab-Event-UUID": str(uuid.uuid4()),
        "Idempotency-Key": key or str(uuid.uuid4()),
    }


def test_gitlab_issue_hook_with_the_token_closes_the_item_and_replays_do_nothing(
    tmp_path: Path, serve: Callable[[dict[str, str]], Receiver]
) -> None:
    with FakeGitLab() as fake:
        fake.add_project(PROJECT)
        env = {"GITLAB_TOKEN": fake.token, "GITLAB_URL": fake.url, "REMEDIATE_GITLAB_WEBHOOK_SECRET": GITLAB_SECRET}
        doc = write_postmortem(tmp_path / "pm.md", ITEMS)
        outcome = sync_paths(
            [str(doc)], settings(), database_url=f"sqlite:///{tmp_path / 'state.db'}", tracker="gitlab", environ=env
        )
        iids = {a.text: int(a.ref.key.rsplit("#", 1)[1]) for a in outcome.plan.actions}  # type: ignore[attr-defined]
        receiver = serve(env)
        iid = iids[ITEMS[1]]
        fake.set_state(PROJECT, iid, "closed")
        body = gitlab_event(fake, iid)

        assert receiver.post("/hooks/gitlab", body, gitlab_headers(token="wrong"))[0] == 401
        assert receiver.post("/hooks/gitlab", b"[1, 2", gitlab_headers())[0] == 400
        receiver.hooks.drain()
        assert receiver.item(ITEMS[1]).state == "open" and receiver.runs() == []

        before = len(fake.requests)
        headers = gitlab_headers(key="5f6d1a2e-0000-4000-8000-000000000001")
        started = time.monotonic()
        assert receiver.post("/hooks/gitlab", body, headers)[0] == 202
        wait_until(lambda: receiver.item(ITEMS[1]).state == "done")
        assert time.monotonic() - started < WITHIN
        receiver.hooks.drain()
        read = [(r.method, r.path) for r in fake.requests[before:]]
        assert len(read) == 1 and read[0][0] == "GET" and read[0][1].endswith(f"/issues/{iid}")
        assert receiver.post("/hooks/gitlab", body, headers) == (
            200,
            {"status": "duplicate", "delivery": "5f6d1a2e-0000-4000-8000-000000000001"},
        )
        receiver.hooks.drain()
        assert len(receiver.runs()) == 1
        assert receiver.item(ITEMS[0]).state == "open"
        assert fake.violations == []


# --- Jira ----------------------------------------------------------------------------------------


def jira_event(fake: FakeJira, key: str, event: str = "jira:issue_updated") -> bytes:
    payload = json.loads((CONTRACTS / "jira-issue-updated.json").read_text())
    issue = fake.issue(key)
    assert issue is not None
    payload["webhookEvent"] = event
    payload["issue"].update(key=key, id=issue["id"])
    return json.dumps(payload).encode()


def test_jira_signed_or_url_secret_deliveries_update_the_item_forged_ones_do_not(
    tmp_path: Path, serve: Callable[[dict[str, str]], Receiver], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    fake = FakeJira("cloud")
    with fake.serve():
        env = {**jira_env(fake), "REMEDIATE_JIRA_WEBHOOK_SECRET": JIRA_SECRET}
        doc = write_postmortem(tmp_path / "pm.md", ITEMS)
        outcome = sync_paths(
            [str(doc)], settings(), database_url=f"sqlite:///{tmp_path / 'state.db'}", tracker="jira", environ=env
        )
        keys = {a.text: a.ref.key for a in outcome.plan.actions}  # type: ignore[attr-defined]
        receiver = serve(env)
        fake.set_status(keys[ITEMS[0]], "Done")
        body = jira_event(fake, keys[ITEMS[0]])
        plain = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": "1001"}

        assert receiver.post("/hooks/jira", body, {**plain, "X-Hub-Signature": sign("wrong", body)})[0] == 401
        assert receiver.post("/hooks/jira", body, plain)[0] == 401  # unsigned, no secret in the URL
        assert receiver.post("/hooks/jira/not-the-secret", body, plain)[0] == 401
        receiver.hooks.drain()
        assert receiver.item(ITEMS[0]).state == "open" and receiver.runs() == []

        signed = {**plain, "X-Hub-Signature": sign(JIRA_SECRET, body)}
        started = time.monotonic()
        assert receiver.post("/hooks/jira", body, signed)[0] == 202
        wait_until(lambda: receiver.item(ITEMS[0]).state == "done")
        assert time.monotonic() - started < WITHIN
        assert receiver.post("/hooks/jira", body, signed)[1]["status"] == "duplicate"

        # An unsigned webhook (no secret field in Jira) with the secret as the URL's last part.
        fake.set_status(keys[ITEMS[1]], "Done")
        other = jira_event(fake, keys[ITEMS[1]])
        url_headers = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": "1002"}
        assert receiver.post(f"/hooks/jira/{JIRA_SECRET}", other, url_headers)[0] == 202
        wait_until(lambda: receiver.item(ITEMS[1]).state == "done")
        deleted_key = keys[ITEMS[1]]
        deleted = jira_event(fake, deleted_key, "jira:issue_deleted")
        fake.delete(deleted_key)
        gone = {**plain, "X-Atlassian-Webhook-Identifier": "1003", "X-Hub-Signature": sign(JIRA_SECRET, deleted)}
        assert receiver.post("/hooks/jira", deleted, gone)[0] == 202
        wait_until(lambda: receiver.link(ITEMS[1]).missing == "deleted")
        receiver.hooks.drain()
        assert [run.status for run in receiver.runs()] == ["ok", "ok", "ok"]
    assert fake.contract_violations == []
    text = logged(caplog)
    assert "/hooks/jira/" in text  # the access log line is there, with the URL's secret cut off
    assert JIRA_SECRET not in text


# --- the real service ------------------------------------------------------------------------------


def test_the_running_service_receives_a_github_close(tmp_path: Path, github: FakeGitHub) -> None:
    """`remediate schedule --http 0` as a subprocess: the close reaches the database; the log is clean."""
    from tests.service_helpers import ServiceProcess, write_config

    numbers = synced_github(tmp_path, github)
    url = f"sqlite:///{tmp_path / 'state.db'}"
    pacing = ", ".join(f"{k} = {v}" for k, v in TEST_PACING.items())
    config = write_config(
        tmp_path / "remediate.toml",
        url,
        every="1h",
        tracker="github",
        extra=f'\n[connectors.github]\nrepo = "{REPO}"\npacing = {{ {pacing} }}\n',
    )
    env = {**os.environ, **github_env(github)}
    service = ServiceProcess(config, tmp_path / "service.log", env=env)
    try:
        service.wait_for("active")
        github.set_state(REPO, numbers[ITEMS[0]], "closed", "completed")
        body = github_event(github, numbers[ITEMS[0]])
        host_port = ("127.0.0.1", service.port)
        forged = github_headers(body, secret="forged")
        for headers, expected in ((forged, 401), (github_headers(body), 202)):
            conn = http.client.HTTPConnection(*host_port, timeout=30)
            conn.request("POST", "/hooks/github", body=body, headers=headers)
            assert conn.getresponse().status == expected
            conn.close()
        service.wait_for("hook_processed", state_changes="1")
        with open_store(url) as store:
            with store.session() as session:
                item = session.exec(select(Item).where(Item.text == ITEMS[0])).one()
            assert item.state == "done"
        assert service.stop() == 0
    finally:
        service.kill()
    log = service.log.read_text()
    assert "hook_refused" in log and "Traceback" not in log
    assert GITHUB_SECRET not in log and github.token not in log


# --- a third party's connector -------------------------------------------------------------------

HOOKED = '''
"""A plugin tracker (the local one) with webhooks but no read_tickets: the core's generic path."""
from remediate.connectors import TicketRef, WebhookError, WebhookEvent, token_matches, webhook_json
from remediate.local import LocalTracker


class HookedTracker(LocalTracker):
    name = "hooked"

    @classmethod
    def verify_webhook(cls, request, env):
        if not token_matches(env.get("HOOKED_SECRET", ""), request.headers.get("x-token")):
            raise WebhookError(401, "bad token")
        keys = webhook_json(request.body).get("keys") or []
        refs = tuple(TicketRef("hooked", str(key)) for key in keys)
        return WebhookEvent("tickets", request.headers.get("x-id"), refs, "changed")
'''


def test_a_plugin_with_only_verify_webhook_goes_through_states(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serve: Callable[[dict[str, str]], Receiver]
) -> None:
    """No tracker names in the core: a third party's connector gets hooks by implementing one classmethod."""
    from remediate.models import LocalTicket
    from tests.support import install_connector

    monkeypatch.syspath_prepend(str(install_connector(tmp_path / "plugins", "hooked", HOOKED, "HookedTracker")))
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    outcome = sync_paths([str(doc)], settings(), database_url=f"sqlite:///{tmp_path / 'state.db'}", tracker="hooked")
    keys = {a.text: a.ref.key for a in outcome.plan.actions}  # type: ignore[attr-defined]
    receiver = serve({"HOOKED_SECRET": "s3"})
    with receiver.store.session() as session:
        ticket = session.get(LocalTicket, int(keys[ITEMS[0]].rsplit("-", 1)[1]))
        assert ticket is not None
        ticket.status = "not_doing"
        session.add(ticket)
        session.commit()
    body = json.dumps({"keys": [keys[ITEMS[0]], "LOCAL-999"]}).encode()
    assert receiver.post("/hooks/hooked", body, {"X-Token": "nope", "X-Id": "1"})[0] == 401
    assert receiver.post("/hooks/hooked", body, {"X-Token": "s3", "X-Id": "1"})[0] == 202
    wait_until(lambda: receiver.item(ITEMS[0]).state == "not_doing")
    receiver.hooks.drain()
    assert receiver.item(ITEMS[1]).state == "open"
    assert receiver.post("/hooks/local", body, {"X-Token": "s3"})[0] == 404  # the local tracker has no hooks


def test_verification_edge_cases_without_a_server() -> None:
    from remediate_github.hooks import verify as github_verify
    from remediate_gitlab.hooks import verify as gitlab_verify
    from remediate_jira.hooks import verify as jira_verify

    from remediate.connectors import WebhookError, WebhookRequest

    body = b'{"zen": "ok"}'
    # A secret read from a file keeps its newline; the tracker's copy has none.
    env = {"REMEDIATE_GITHUB_WEBHOOK_SECRET": GITHUB_SECRET + "\n"}
    headers = {"x-hub-signature-256": sign(GITHUB_SECRET, body), "x-github-event": "ping", "x-github-delivery": "g1"}
    assert github_verify(WebhookRequest(headers, body), env).kind == "ping"
    for bad in ("sha1=" + sign(GITHUB_SECRET, body)[7:], "sha256=", "sha256=zz", sign(GITHUB_SECRET, body)[:-1]):
        with pytest.raises(WebhookError) as refused:
            github_verify(WebhookRequest({**headers, "x-hub-signature-256": bad}, body), env)
        assert refused.value.status == 401
    with pytest.raises(WebhookError) as off:
        github_verify(WebhookRequest(headers, body), {"REMEDIATE_GITHUB_WEBHOOK_SECRET": "  "})
    assert off.value.status == 404

    gitlab_env = {"REMEDIATE_GITLAB_WEBHOOK_SECRET": GITLAB_SECRET}
    note = WebhookRequest({"x-gitlab-token": GITLAB_SECRET, "x-gitlab-event": "Note Hook"}, b'{"object_kind": "note"}')
    assert gitlab_verify(note, gitlab_env).kind == "ignored"
    with pytest.raises(WebhookError) as refused:
        gitlab_verify(WebhookRequest({"x-gitlab-token": GITLAB_SECRET[:-1]}, b"{}"), gitlab_env)
    assert refused.value.status == 401

    jira_env_ = {"REMEDIATE_JIRA_WEBHOOK_SECRET": JIRA_SECRET}
    created = json.dumps({"webhookEvent": "jira:issue_created", "issue": {"key": "OPS-1"}}).encode()
    signed = WebhookRequest({"x-hub-signature": sign(JIRA_SECRET, created)}, created)
    assert jira_verify(signed, jira_env_).kind == "ignored"
    no_key = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"key": "not a key"}}).encode()
    with pytest.raises(WebhookError) as malformed:
        jira_verify(WebhookRequest({"x-hub-signature": sign(JIRA_SECRET, no_key)}, no_key), jira_env_)
    assert malformed.value.status == 400

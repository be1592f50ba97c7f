"""Malformed GitHub answers, through the CLI: one line naming the request, nothing lost or doubled.

Every endpoint a sync or refresh reads answers, in turn, a body that is not JSON (a proxy's
HTML page with 200), truncated JSON, the wrong shape, a missing required field, a wrong type
and an empty body. Each time ``remediate`` exits 1 or 2 with exactly one line on stderr that
names the request, shows no traceback, no part of the body and no token; a rerun against the
healthy server then files every item exactly once.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from remediate_github.markers import find_item_marker
from typer.testing import CliRunner

from remediate.cli import app
from tests.connectors.github.conftest import REPO, ConnectorFactory
from tests.fakes.github import FakeGitHub
from tests.support import write_postmortem

ITEMS = ["Add alerting on queue depth", "Document the failover", "Load-test checkout"]
#: In every malformed body: it must never reach the terminal.
LEAK = "BODY-WORDS-THAT-MUST-NOT-BE-PRINTED"


@dataclass(frozen=True)
class Endpoint:
    """One request a command sends, and the command that reaches it."""

    method: str
    path: str  # regex over the path the fake sees
    shown: str  # what the error line must name
    many: bool  # the answer is a list
    command: str  # "sync" (first sync), "resync" (after an edit), "refresh" (after a label change)
    fields: dict[str, object]  # a valid object of the expected shape


ISSUE = {"id": 7, "number": 3, "state": "open", "title": "t", "body": "", "labels": []}
ENDPOINTS = [
    Endpoint("GET", rf"/repos/{REPO}", f"GET /repos/{REPO}", False, "sync", {"full_name": REPO}),
    Endpoint("POST", rf"/repos/{REPO}/labels", f"POST /repos/{REPO}/labels", False, "sync", {"name": "x"}),
    Endpoint("GET", rf"/repos/{REPO}/issues", f"GET /repos/{REPO}/issues", True, "sync", ISSUE),
    Endpoint("POST", rf"/repos/{REPO}/issues", f"POST /repos/{REPO}/issues", False, "sync", ISSUE),
    Endpoint("POST", rf"/repos/{REPO}/issues/\d+/sub_issues", "/sub_issues", False, "sync", ISSUE),
    Endpoint("PATCH", rf"/repos/{REPO}/issues/\d+", f"PATCH /repos/{REPO}/issues/1", False, "resync", ISSUE),
    Endpoint("GET", rf"/repos/{REPO}/issues/\d+", f"GET /repos/{REPO}/issues/1", False, "refresh", ISSUE),
]


def _body(endpoint: Endpoint, kind: str) -> tuple[bytes, str]:
    """A malformed answer of ``kind`` for ``endpoint``, and its content type."""
    valid = {**endpoint.fields, "note": LEAK}
    if kind == "not-json":
        return f"<html><body><h1>Proxy login</h1>{LEAK}</body></html>".encode(), "text/html"
    if kind == "truncated":
        return json.dumps([valid] if endpoint.many else valid).encode()[:-7], "application/json"
    if kind == "wrong-shape":
        wrong: object = {"items": [valid], "note": LEAK} if endpoint.many else [valid]
    elif kind == "missing-field":
        required = next(k for k in ("number", "full_name", "name") if k in valid)
        wrong = {k: v for k, v in valid.items() if k != required}
        wrong = [wrong] if endpoint.many else wrong
    elif kind == "wrong-type":
        wrong = {**valid, "number": "three", "full_name": 12, "name": ["x"], "id": None}
        wrong = [wrong] if endpoint.many else wrong
    else:
        assert kind == "empty"
        return b"", "application/json"
    return json.dumps(wrong).encode(), "application/json; charset=utf-8"


KINDS = ["not-json", "truncated", "wrong-shape", "missing-field", "wrong-type", "empty"]


def _run(fake: FakeGitHub, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    config = tmp_path / "remediate.toml"
    # full_refresh_hours = 0: every state read also probes, by number, issues the list did not show.
    config.write_text(
        "[connectors.github]\nfull_refresh_hours = 0\n[connectors.github.pacing]\nwrite_interval = 0\nbackoff = 0\n"
    )
    env = {"GITHUB_TOKEN": fake.token, "GITHUB_API_URL": fake.base_url}
    db = f"sqlite:///{tmp_path / 'state.db'}"
    result = CliRunner().invoke(
        app, [*args, "--tracker", "github", "--repo", REPO, "--config", str(config), "--db", db], env=env
    )
    return result.exit_code, result.stdout, result.stderr


def _markers(fake: FakeGitHub) -> list[str | None]:
    return [find_item_marker(issue.body) for issue in fake.all_issues(REPO)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path.split(REPO)[-1] or '/'}")
def test_a_malformed_answer_is_one_line_naming_the_request(
    fake: FakeGitHub, tmp_path: Path, endpoint: Endpoint, kind: str
) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    command = ["sync", str(doc)]
    if endpoint.command == "resync":
        assert _run(fake, tmp_path, *command)[0] == 0
        write_postmortem(doc, [ITEMS[0] + " before the next release", *ITEMS[1:]])
    elif endpoint.command == "refresh":
        assert _run(fake, tmp_path, *command)[0] == 0
        fake.set_labels(REPO, 1, "someone-else")  # the list no longer shows #1: it is read by number
        command = ["refresh"]
    body, content_type = _body(endpoint, kind)
    status = 201 if endpoint.method == "POST" else 200  # what GitHub answers a successful one
    fake.malform(endpoint.method, endpoint.path, body, status=status, content_type=content_type)

    code, out, err = _run(fake, tmp_path, *command)

    assert code in (1, 2), (code, out, err)
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert endpoint.shown in err and "malformed answer" in err, err
    assert "Traceback" not in err + out and "unexpected error" not in err
    assert LEAK not in err + out and fake.token not in err + out and "<html" not in err
    assert fake.malformed[-1].count == 0, "the malformed answer was never asked for"

    # Nothing stored is lost, nothing is filed twice: a healthy rerun completes the work.
    code, out, err = _run(fake, tmp_path, "sync", str(doc))
    assert code == 0, err
    filed = sorted(m for m in _markers(fake) if m is not None)
    assert len(filed) == len(ITEMS) and len(set(filed)) == len(ITEMS), filed


def test_a_create_applied_but_answered_with_garbage_is_adopted_not_repeated(fake: FakeGitHub, tmp_path: Path) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    fake.malform(
        "POST", rf"/repos/{REPO}/issues", b"<html>garbage</html>", status=201, content_type="text/html", apply=True
    )
    code, _, err = _run(fake, tmp_path, "sync", str(doc))
    assert code == 0, err
    creates = [r for r in fake.requests if r.method == "POST" and r.path == f"/repos/{REPO}/issues"]
    assert len(creates) == len(ITEMS) + 1  # the items and the tracking issue, each POSTed once
    filed = [m for m in _markers(fake) if m is not None]
    assert sorted(filed) == sorted(set(filed)) and len(filed) == len(ITEMS)


def test_slow_github_gives_up_within_the_total_wait(tmp_path: Path) -> None:
    """Every answer takes 5 s; timeout 2 s and max_total_wait 3 s: one line after about 3 s, not 5 x 2 s."""
    doc = write_postmortem(tmp_path / "pm.md", ITEMS[:1])
    with FakeGitHub(latency=5.0) as slow:
        slow.add_repo(REPO)
        config = tmp_path / "slow.toml"
        config.write_text(
            "[connectors.github.pacing]\nwrite_interval = 0\nbackoff = 0.5\ntimeout = 2\nmax_total_wait = 3\n"
        )
        env = {"GITHUB_TOKEN": slow.token, "GITHUB_API_URL": slow.base_url}
        started = time.monotonic()
        result = CliRunner().invoke(
            app,
            ["sync", str(doc), "--tracker", "github", "--repo", REPO, "--config", str(config)]
            + ["--db", f"sqlite:///{tmp_path / 'state.db'}"],
            env=env,
        )
        elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "GitHub did not answer within 3 s (GET /repos/acme/api/issues" in result.stderr, result.stderr
    assert "max_total_wait" in result.stderr
    # 2 s (timed out) + 0.5 s backoff + 0.5 s (the rest of the budget, not another 2 s); then
    # the next backoff would end past the bound. Without the bound: 5 attempts of 2 s and backoffs.
    assert 2.8 <= elapsed < 4.2, elapsed  # without the shrinking: 4.5 s


@pytest.mark.parametrize(
    ("status", "payload"),
    [
        (422, f"<html><body>{LEAK}</body></html>".encode()),
        (404, json.dumps([LEAK]).encode()),
        (400, f"upstream said {LEAK}".encode()),
    ],
)
def test_an_error_page_is_never_repeated(fake: FakeGitHub, tmp_path: Path, status: int, payload: bytes) -> None:
    """A proxy's error page (or an error JSON of a foreign shape) may echo the request: not quoted."""
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    fake.malform("POST", rf"/repos/{REPO}/issues", payload, status=status, count=10, content_type="text/html")
    code, out, err = _run(fake, tmp_path, "sync", str(doc))
    assert code in (1, 2), (code, err)
    assert err.count("\n") == 1 and "Traceback" not in err and "unexpected error" not in err, err
    assert LEAK not in err + out and "<html" not in err
    assert f"({status}" in err or f"HTTP {status}" in err, err


def test_5xx_retries_stop_at_the_total_wait_on_the_fake_clock(
    fake: FakeGitHub, make_connector: ConnectorFactory
) -> None:
    """Backoff 4, 8, 16 s: the third would end past max_total_wait = 20 s, so it gives up at once."""
    from remediate.errors import Unavailable
    from remediate.testing import make_draft

    connector = make_connector(pacing={"backoff": 4, "max_backoff": 30, "max_attempts": 10, "max_total_wait": 20})
    fake.fail_next(100, status=503, methods=("GET",))
    started = fake.now()
    with pytest.raises(Unavailable) as caught:
        connector.find([make_draft(1)])
    assert fake.now() - started <= 20
    assert fake.count("GET") == 3  # not 10 attempts
    message = str(caught.value)
    assert message.startswith(
        f"github: GitHub did not answer within 20 s (GET /repos/{REPO}/issues; last attempt: HTTP 503)"
    )
    assert "[connectors.github.pacing] max_total_wait" in message


@pytest.mark.parametrize(
    "error", [KeyError("location"), AttributeError("'NoneType' has no 'read'"), TypeError("unsupported operand")]
)
def test_pygithub_failing_on_an_answer_is_one_malformed_line(
    fake: FakeGitHub, make_connector: ConnectorFactory, error: Exception
) -> None:
    """PyGithub reads headers and follows redirects itself; if it trips on an answer, it is the answer's fault."""
    from remediate.errors import ConnectorError
    from remediate.testing import make_draft

    connector = make_connector()
    requester = connector.transport._client()

    def broken(*args: object, **kwargs: object) -> object:
        raise error

    requester.requestJson = broken
    with pytest.raises(ConnectorError) as caught:
        connector.find([make_draft(1)])
    assert str(caught.value).startswith(f"github: GitHub sent a malformed answer to GET /repos/{REPO}/issues while")
    assert "PyGithub could not read it" in str(caught.value) and str(error) not in str(caught.value)

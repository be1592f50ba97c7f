"""Malformed Jira answers, through the CLI, on Cloud and Data Center: one line, nothing lost or doubled.

Every endpoint a sync or refresh reads answers, in turn, a body that is not JSON (an HTML page
with 200), truncated JSON, the wrong shape, a missing required field, a wrong type and an
empty body; endpoints whose answer is not read (204s) get the first two. Each time
``remediate`` exits 1 or 2 with exactly one line on stderr naming the request, with no
traceback, no part of the body and no credential; a rerun against the healthy site then has
every item filed exactly once.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from remediate.cli import app
from tests.connectors.jira.conftest import MakeConnector, jira_env
from tests.fakes.jira import FakeJira, Fault
from tests.support import write_postmortem

ITEMS = ["Add alerting on queue depth", "Document the failover", "Load-test checkout"]
REAL_SLEEP = time.sleep  # conftest forbids sleeping (for the jira library); the slow test needs it
LEAK = "BODY-WORDS-THAT-MUST-NOT-BE-PRINTED"
KINDS = ["not-json", "truncated", "wrong-shape", "missing-field", "wrong-type", "empty"]


@dataclass(frozen=True)
class Endpoint:
    """One request a command sends, the malformed answers to try, and what the line must name."""

    name: str
    method: str
    path: str  # regex over the request path, as the fake's faults take it
    shown: str  # what the error line must name (the path as sent, minus the site)
    command: str  # "sync", "resync" (an item edited and ticked done) or "refresh"
    status: int = 200
    valid: dict[str, object] = field(default_factory=dict)
    missing: dict[str, object] | None = None  # None: the shape has no required field
    wrong_type: dict[str, object] = field(default_factory=dict)
    read: bool = True  # False: the answer is not read (only non-JSON is wrong)


def _endpoints(mode: str) -> list[Endpoint]:
    search = "search/jql" if mode == "cloud" else "search"
    issue = {"id": "10000", "key": "OPS-1", "fields": {"labels": [], "status": {"name": "To Do"}}}
    return [
        Endpoint(
            "serverInfo",
            "GET",
            r"/serverInfo$",
            "GET /rest/api/2/serverInfo",
            "sync",
            valid={"deploymentType": "Cloud" if mode == "cloud" else "Server"},
            wrong_type={"deploymentType": 2},
        ),
        Endpoint(
            "search",
            "GET",
            rf"/{search}$",
            f"GET /rest/api/2/{search}",
            "sync",
            valid={"issues": [issue], "total": 1, "isLast": True},
            missing={"total": 1},
            wrong_type={"issues": [{**issue, "key": 17}], "total": "one"},
        ),
        Endpoint(
            "createmeta",
            "GET",
            r"/issue/createmeta/OPS/issuetypes$",
            "GET /rest/api/2/issue/createmeta/OPS/issuetypes",
            "sync",
            valid={"values": [{"id": "10001", "name": "Task"}]},
            missing={"values": [{"name": "Task"}]},
            wrong_type={"values": [{"id": 10001, "name": "Task"}]},
        ),
        Endpoint(
            "bulk create",
            "POST",
            r"/issue/bulk$",
            "POST /rest/api/2/issue/bulk",
            "sync",
            status=201,
            valid={"issues": [{"id": "10000", "key": "OPS-1"}], "errors": []},
            missing={"issues": [{"id": "10000"}], "errors": []},
            wrong_type={"issues": [{"id": "10000", "key": "OPS-1"}], "errors": [{"failedElementNumber": "x"}]},
        ),
        Endpoint(
            "transitions",
            "GET",
            r"/issue/[^/]+$",
            "GET /rest/api/2/issue/",
            "resync",
            valid={"fields": {"status": {"name": "To Do"}}, "transitions": [{"id": "31", "name": "Done"}]},
            missing={"transitions": [{"name": "Done"}]},
            wrong_type={"fields": {"status": "To Do"}, "transitions": []},
        ),
        Endpoint("edit", "PUT", r"/issue/[^/]+$", "PUT /rest/api/2/issue/", "resync", status=200, read=False),
        Endpoint("transition", "POST", r"/issue/[^/]+/transitions$", "/transitions", "resync", status=200, read=False),
        Endpoint(
            "state search",
            "GET",
            rf"/{search}$",
            f"GET /rest/api/2/{search}",
            "refresh",
            valid={"issues": [issue], "total": 1, "isLast": True},
            missing={"total": 1},
            wrong_type={"issues": [{**issue, "fields": {"labels": "x"}}]},
        ),
    ]


def _raw(endpoint: Endpoint, kind: str) -> tuple[bytes, str]:
    if kind == "not-json":
        return f"<html><body>Jira is down for maintenance {LEAK}</body></html>".encode(), "text/html"
    if kind == "truncated":
        return json.dumps({**endpoint.valid, "note": LEAK}).encode()[:-5], "application/json"
    if kind == "empty":
        return b"", "application/json"
    body: object
    if kind == "wrong-shape":
        body = [{**endpoint.valid, "note": LEAK}]
    elif kind == "missing-field":
        body = {**(endpoint.missing or {}), "note": LEAK}
    else:
        body = {**endpoint.wrong_type, "note": LEAK}
    return json.dumps(body).encode(), "application/json;charset=UTF-8"


def _cases() -> list[tuple[str, Endpoint, str]]:
    cases = []
    for mode in ("cloud", "datacenter"):
        for endpoint in _endpoints(mode):
            for kind in KINDS if endpoint.read else KINDS[:2]:
                if kind == "missing-field" and endpoint.missing is None:
                    continue
                cases.append((mode, endpoint, kind))
    return cases


def _run(fake: FakeJira, tmp_path: Path, *args: str, config: str = "") -> tuple[int, str, str]:
    toml = tmp_path / "remediate.toml"
    toml.write_text(config)
    db = f"sqlite:///{tmp_path / 'state.db'}"
    result = CliRunner().invoke(
        app, [*args, "--tracker", "jira", "--project", "OPS", "--config", str(toml), "--db", db], env=jira_env(fake)
    )
    return result.exit_code, result.stdout, result.stderr


def _filed(fake: FakeJira) -> list[str]:
    """The items' marker labels (not the postmortem epic's ``remediate-pm-`` marker)."""
    from remediate_jira.fields import is_marker_label

    return sorted(label for i in fake.issues.values() for label in i["fields"]["labels"] if is_marker_label(label))


@pytest.mark.parametrize(("mode", "endpoint", "kind"), _cases(), ids=[f"{m}-{e.name}-{k}" for m, e, k in _cases()])
def test_a_malformed_answer_is_one_line_naming_the_request(
    tmp_path: Path, mode: str, endpoint: Endpoint, kind: str
) -> None:
    fake = FakeJira(mode)
    secrets = (fake.api_token, fake.pat, fake.email)
    with fake.serve():
        doc = write_postmortem(tmp_path / "pm.md", ITEMS, boxes=[False] * 3)
        command = ["sync", str(doc)]
        if endpoint.command != "sync":
            assert _run(fake, tmp_path, *command)[0] == 0
        if endpoint.command == "resync":
            write_postmortem(doc, [ITEMS[0] + " before the next release", *ITEMS[1:]], boxes=[True, False, False])
        elif endpoint.command == "refresh":
            command = ["refresh"]
        raw, content_type = _raw(endpoint, kind)
        fault = Fault(endpoint.method, endpoint.path, endpoint.status, {"Content-Type": content_type}, raw=raw)
        fake.faults.append(fault)

        code, out, err = _run(fake, tmp_path, *command)

        assert fault not in fake.faults, "the malformed answer was never asked for"
        assert code in (1, 2), (code, out, err)
        assert err.count("\n") == 1 and err.endswith("\n"), err
        assert endpoint.shown in err and "malformed answer" in err, err
        assert "Traceback" not in err + out and "unexpected error" not in err
        assert LEAK not in err + out and "<html" not in err
        assert not any(secret in err + out for secret in secrets)

        code, out, err = _run(fake, tmp_path, "sync", str(doc))
        assert code == 0, err
        filed = _filed(fake)
        assert len(filed) == len(ITEMS) and len(set(filed)) == len(ITEMS), filed


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_a_bulk_create_applied_but_answered_with_garbage_is_adopted_not_repeated(tmp_path: Path, mode: str) -> None:
    fake = FakeJira(mode)
    with fake.serve():
        doc = write_postmortem(tmp_path / "pm.md", ITEMS)
        fault = Fault("POST", r"/issue/bulk$", 201, {"Content-Type": "text/html"}, raw=b"<html>oops</html>")
        fake.faults.append(Fault(**{**fault.__dict__, "apply_first": True}))
        code, _, err = _run(fake, tmp_path, "sync", str(doc))
        assert code == 0, err  # found by reading the keys above the watermark, and adopted
        # The first bulk create (the epic's) got the garbage; neither it nor the items' was repeated.
        assert fake.count("POST", r"/issue/bulk$") == 2
        assert len([i for i in fake.issues.values() if i["fields"]["issuetype"]["name"] == "Epic"]) == 1
        assert len(_filed(fake)) == len(ITEMS) == len(set(_filed(fake)))


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_slow_jira_gives_up_within_the_total_wait(tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every answer takes 5 s; timeout 2 s, max_total_wait 3.5 s: one clear line after 3.5 s.

    The first attempt times out after 2 s, the backoff takes 1 s, and the second attempt gets
    the 0.5 s that are left instead of another 2 s; without the bound it took 5 attempts.
    """
    monkeypatch.setattr(time, "sleep", REAL_SLEEP)  # the fake's latency and the real backoff
    fake = FakeJira(mode)
    with fake.serve():
        fake.latency = 5.0
        doc = write_postmortem(tmp_path / "pm.md", ITEMS[:1])
        started = time.monotonic()
        code, out, err = _run(
            fake, tmp_path, "sync", str(doc), config="[connectors.jira]\ntimeout = 2\nmax_total_wait = 3.5\n"
        )
        elapsed = time.monotonic() - started
        fake.latency = 0.0
    assert code == 1, (out, err)
    assert err.count("\n") == 1, err
    assert "Jira did not answer within 3.5 s (GET /rest/api/2/serverInfo; last attempt: timeout)" in err, err
    assert "[connectors.jira] max_total_wait" in err
    assert 3.3 <= elapsed < 4.6, elapsed  # without the shrinking: 5 s


@pytest.mark.parametrize(
    ("status", "payload"),
    [
        (400, f"<html><body>{LEAK}</body></html>".encode()),
        (400, b"5"),
        (404, json.dumps({"errorMessages": 7, "errors": [LEAK]}).encode()),
        (500, f"upstream said {LEAK}".encode()),
    ],
)
def test_an_error_page_is_never_repeated(tmp_path: Path, status: int, payload: bytes) -> None:
    """A proxy's error page (or an error JSON of a foreign shape) may echo the request: not quoted."""
    fake = FakeJira("datacenter")
    with fake.serve():
        doc = write_postmortem(tmp_path / "pm.md", ITEMS)
        fake.faults.append(Fault("POST", r"/issue/bulk$", status, {"Content-Type": "text/html"}, raw=payload))
        code, out, err = _run(fake, tmp_path, "sync", str(doc))
        assert code in (1, 2), (code, err)
        assert err.count("\n") == 1 and "Traceback" not in err and "unexpected error" not in err, err
        assert LEAK not in err + out and "<html" not in err and fake.pat not in err
        assert len(fake.issues) == 0


def test_retries_stop_at_the_total_wait_on_an_injected_clock(fake: FakeJira, make: MakeConnector) -> None:
    """Backoff 1, 2, 4, 8, 16 s: the fifth would end past max_total_wait = 20 s, so it gives up at once."""
    from datetime import UTC, datetime, timedelta

    from remediate.errors import Unavailable
    from remediate.testing import make_draft

    now = [datetime(2025, 3, 1, tzinfo=UTC)]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += timedelta(seconds=seconds)

    connector = make(fake, max_retries=10, max_total_wait=20)
    connector.clock, connector.sleep = (lambda: now[0]), sleep
    fake.faults.append(Fault("GET", r"/search", 503, times=50))
    with pytest.raises(Unavailable) as caught:
        connector.find([make_draft(1)])
    assert waits == [1.0, 2.0, 4.0, 8.0]  # 15 s; 16 more would pass 20
    search = "search/jql" if fake.mode == "cloud" else "search"
    assert str(caught.value).startswith(
        f"jira: Jira did not answer within 20 s (GET /rest/api/2/{search}; last attempt: HTTP 503) while trying to "
        "search issues"
    ), caught.value

"""Malformed GitLab answers: one ConnectorError naming the request (method and path), nothing doubled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from remediate.errors import ConnectorError
from remediate.jobs import sync_paths
from remediate.settings import Settings
from tests.connectors.gitlab.conftest import PROJECT, TEST_PACING
from tests.fakes.gitlab import FakeGitLab
from tests.support import write_postmortem

ITEMS = ["Add alerting on queue depth", "Document the failover", "Load-test checkout"]
LEAK = "BODY-WORDS-THAT-MUST-NOT-BE-PRINTED"
BASE = "/projects/acme%2Fplatform%2Fapi"
ISSUE = {
    "id": 1,
    "iid": 1,
    "project_id": 1,
    "title": "t",
    "state": "opened",
    "web_url": "http://x",
    "updated_at": "2024-05-01T00:00:00Z",
}
ENDPOINTS = [
    ("GET", rf"{BASE}/issues", f"GET {BASE}/issues", True),
    ("POST", rf"{BASE}/issues", f"POST {BASE}/issues", False),
]
KINDS = {
    "not-json": lambda many: f"<html>{LEAK}</html>".encode(),
    "truncated": lambda many: json.dumps([ISSUE] if many else ISSUE).encode()[:-4],
    "wrong-shape": lambda many: json.dumps({"items": [ISSUE]} if many else [ISSUE]).encode(),
    "missing-field": lambda many: json.dumps([{"id": 1, "note": LEAK}] if many else {"id": 1, "note": LEAK}).encode(),
    "wrong-type": lambda many: json.dumps([{**ISSUE, "iid": "one"}] if many else {**ISSUE, "iid": "one"}).encode(),
    "empty": lambda many: b"",
}


def _sync(fake: FakeGitLab, doc: Path, db: str) -> object:
    settings = Settings(
        connectors={"gitlab": {"project": PROJECT, "pacing": TEST_PACING, "tracking": {"enabled": False}}}
    )
    env = {"GITLAB_TOKEN": fake.token, "GITLAB_URL": fake.url}
    return sync_paths([str(doc)], settings, database_url=db, tracker="gitlab", environ=env)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(("method", "path", "shown", "many"), ENDPOINTS, ids=["list", "create"])
def test_a_malformed_answer_names_the_request(
    tmp_path: Path, fake: FakeGitLab, method: str, path: str, shown: str, many: bool, kind: str
) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    db = f"sqlite:///{tmp_path / 'state.db'}"
    fake.malform(method, path, KINDS[kind](many), status=201 if method == "POST" else 200)
    with pytest.raises(ConnectorError) as caught:
        _sync(fake, doc, db)
    message = str(caught.value)
    assert shown in message and "malformed answer" in message, message
    assert "\n" not in message and LEAK not in message and fake.token not in message
    assert fake.malformed == []
    _sync(fake, doc, db)
    assert len(fake.issues(PROJECT)) == len(ITEMS)

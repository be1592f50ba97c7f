"""Fixtures for connector tests: the fake GitHub and connectors wired to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from remediate_github import GitHubConnector
from remediate_github.config import Config

from remediate.connectors import ConnectorContext, MemoryCache, StateCache
from tests.fakes.github import FakeGitHub

REPO = "acme/api"
#: No pacing and short waits: tests advance the fake's clock instead of sleeping.
TEST_PACING = {"write_interval": 0, "request_interval": 0, "backoff": 1, "max_backoff": 4}


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    """A running fake GitHub with one repository; fails the test if a request broke the contract."""
    with FakeGitHub() as server:
        server.add_repo(REPO, collaborators=("alice", "bob"))
        yield server
        assert server.violations == [], server.violations


ConnectorFactory = Callable[..., GitHubConnector]


@pytest.fixture
def make_connector(fake: FakeGitHub) -> ConnectorFactory:
    """Build connectors against ``fake``; keyword arguments override [connectors.github] keys."""

    def build(*, cache: StateCache | None = None, env: dict[str, str] | None = None, **table: Any) -> GitHubConnector:
        raw = {"repo": REPO, **table}
        raw["pacing"] = {**TEST_PACING, **table.get("pacing", {})}
        config = Config.model_validate(raw)
        environ = {"GITHUB_TOKEN": fake.token, "GITHUB_API_URL": fake.base_url} if env is None else env
        context = ConnectorContext(env=environ, cache=cache if cache is not None else MemoryCache())
        return GitHubConnector(config, context, clock=fake.now, sleep=fake.advance)

    return build

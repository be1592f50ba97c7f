"""Fixtures for GitLab connector tests: the fake GitLab and connectors wired to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from remediate_gitlab import GitLabConnector
from remediate_gitlab.config import Config

from remediate.connectors import ConnectorContext, MemoryCache, StateCache
from tests.fakes.gitlab import FakeGitLab

PROJECT = "acme/platform/api"
#: Short waits: tests advance the fake's clock instead of sleeping.
TEST_PACING = {"backoff": 1, "max_total_wait": 30}


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    """A running fake GitLab with one project; fails the test if a request broke the contract."""
    with FakeGitLab() as server:
        server.add_project(PROJECT)
        server.add_user("alice")
        yield server
        assert server.violations == [], server.violations


ConnectorFactory = Callable[..., GitLabConnector]


@pytest.fixture
def make_connector(fake: FakeGitLab) -> ConnectorFactory:
    """Build connectors against ``fake``; keyword arguments override [connectors.gitlab] keys."""

    def build(*, cache: StateCache | None = None, env: dict[str, str] | None = None, **table: Any) -> GitLabConnector:
        raw = {"project": PROJECT, **table}
        raw["pacing"] = {**TEST_PACING, **table.get("pacing", {})}
        config = Config.model_validate(raw)
        environ = {"GITLAB_TOKEN": fake.token, "GITLAB_URL": fake.url} if env is None else env
        context = ConnectorContext(env=environ, cache=cache if cache is not None else MemoryCache())
        return GitLabConnector(config, context, clock=fake.now, sleep=fake.advance)

    return build

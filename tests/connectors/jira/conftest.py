"""Fixtures for the Jira connector tests: a fake Jira per mode and connectors wired to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from remediate.connectors import ConnectorContext, MemoryCache, load
from tests.fakes.jira import FakeJira

MakeConnector = Callable[..., Any]


def jira_env(fake: FakeJira) -> dict[str, str]:
    """The environment a user of that fake would set."""
    env = {"JIRA_URL": fake.base}
    if fake.mode == "cloud":
        env.update(JIRA_USER=fake.email, JIRA_API_TOKEN=fake.api_token)
    else:
        env.update(JIRA_PAT=fake.pat)
    return env


@pytest.fixture(autouse=True)
def no_real_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """The jira library must never sleep in our tests: its retries are switched off."""

    def refuse(seconds: float) -> None:
        raise AssertionError(f"jira's ResilientSession tried to sleep {seconds}s")

    import jira.resilientsession

    monkeypatch.setattr(jira.resilientsession.time, "sleep", refuse)


def _serve(mode: str) -> Iterator[FakeJira]:
    fake = FakeJira(mode)
    with fake.serve():
        yield fake
    assert fake.contract_violations == []


@pytest.fixture
def cloud() -> Iterator[FakeJira]:
    """A fake Jira Cloud site."""
    yield from _serve("cloud")


@pytest.fixture
def dc() -> Iterator[FakeJira]:
    """A fake Jira Data Center site."""
    yield from _serve("datacenter")


@pytest.fixture(params=["cloud", "datacenter"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeJira]:
    """A fake Jira site in each mode in turn."""
    yield from _serve(request.param)


@pytest.fixture
def sleeps() -> list[float]:
    """The waits a connector asked for (recorded, never slept)."""
    return []


@pytest.fixture
def make(sleeps: list[float]) -> MakeConnector:
    """Build a connector for a fake through the real entry point and config validation."""

    def build(
        fake: FakeJira,
        env: dict[str, str] | None = None,
        cache: Any = None,
        options: dict[str, Any] | None = None,
        **config: Any,
    ) -> Any:
        context = ConnectorContext(
            env=jira_env(fake) if env is None else env,
            options={"project": "OPS", **(options or {})},
            cache=cache if cache is not None else MemoryCache(),
        )
        connector = load("jira", config, context)
        connector.sleep = sleeps.append  # type: ignore[attr-defined]
        return connector

    return build

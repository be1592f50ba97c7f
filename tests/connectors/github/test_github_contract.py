"""The GitHub connector passes the contract every connector must pass, on github.com and GHES URLs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from remediate_github import GitHubConnector
from remediate_github.config import Config

from remediate.connectors import ConnectorContext, MemoryCache, Status, TicketRef
from remediate.testing import ConnectorContract
from tests.connectors.github.conftest import REPO, TEST_PACING
from tests.fakes.github import FakeGitHub

_STATES = {
    Status.OPEN: ("open", None),
    Status.DONE: ("closed", "completed"),
    Status.NOT_DOING: ("closed", "not_planned"),
}


class GitHubBackdoor:
    """What a person does in GitHub's web UI, on the fake's state."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake

    def _number(self, ref: TicketRef) -> int:
        repo, number = ref.key.split("#")
        assert repo == REPO
        return int(number)

    def set_status(self, ref: TicketRef, status: Status) -> None:
        """Close, close as not planned, reopen, or label in progress."""
        if status is Status.IN_PROGRESS:
            self.fake.set_labels(REPO, self._number(ref), "remediation", "in-progress")
            return
        state, reason = _STATES[status]
        self.fake.set_state(REPO, self._number(ref), state, reason)

    def title_of(self, ref: TicketRef) -> str:
        """The issue's title."""
        return self.fake.issue(REPO, self._number(ref)).title

    def ticket_count(self) -> int:
        """Issues in the repository (pull requests not counted)."""
        return len(self.fake.all_issues(REPO))


@pytest.fixture(params=["/api/v3", ""], ids=["ghes-prefix", "root"])
def contract_fake(request: pytest.FixtureRequest) -> Iterator[FakeGitHub]:
    """A fake served under a GHES-style /api/v3 prefix, and at the root like api.github.com."""
    with FakeGitHub(prefix=request.param) as server:
        server.add_repo(REPO)
        server.open_issue(REPO, "Unrelated pull request", labels=("remediation",), pull_request=True)
        yield server
        assert server.violations == [], server.violations


class TestGitHubContract(ConnectorContract):
    """remediate.testing.ConnectorContract against the fake GitHub."""

    @pytest.fixture
    def connector(self, contract_fake: FakeGitHub) -> GitHubConnector:
        config = Config.model_validate({"repo": REPO, "pacing": TEST_PACING})
        env = {"GITHUB_TOKEN": contract_fake.token, "GITHUB_API_URL": contract_fake.base_url}
        context = ConnectorContext(env=env, cache=MemoryCache())
        return GitHubConnector(config, context, clock=contract_fake.now, sleep=contract_fake.advance)

    @pytest.fixture
    def backdoor(self, contract_fake: FakeGitHub) -> GitHubBackdoor:
        return GitHubBackdoor(contract_fake)

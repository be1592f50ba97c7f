"""The GitLab connector passes the contract every connector must pass."""

from __future__ import annotations

import pytest
from remediate_gitlab import GitLabConnector

from remediate.connectors import Status, TicketRef
from remediate.testing import ConnectorContract
from tests.connectors.gitlab.conftest import PROJECT, ConnectorFactory
from tests.fakes.gitlab import FakeGitLab


class GitLabBackdoor:
    """What a person does in GitLab's web UI, on the fake's state."""

    def __init__(self, fake: FakeGitLab) -> None:
        self.fake = fake

    def _iid(self, ref: TicketRef) -> int:
        project, iid = ref.key.rsplit("#", 1)
        assert project == PROJECT
        return int(iid)

    def set_status(self, ref: TicketRef, status: Status) -> None:
        """Close, close with a won't-do label, reopen, or label in progress."""
        iid = self._iid(ref)
        if status is Status.IN_PROGRESS:
            self.fake.set_labels(PROJECT, iid, "remediation", "workflow::in progress")
        elif status is Status.DONE:
            self.fake.set_state(PROJECT, iid, "closed")
        elif status is Status.NOT_DOING:
            self.fake.set_state(PROJECT, iid, "closed", "won't do")
        else:
            self.fake.set_state(PROJECT, iid, "opened")

    def title_of(self, ref: TicketRef) -> str:
        """The issue's title."""
        return self.fake.issue(PROJECT, self._iid(ref)).title

    def ticket_count(self) -> int:
        """Issues in the project."""
        return len(self.fake.issues(PROJECT))


class TestGitLabContract(ConnectorContract):
    """remediate.testing.ConnectorContract against the fake GitLab."""

    @pytest.fixture
    def connector(self, make_connector: ConnectorFactory) -> GitLabConnector:
        return make_connector()

    @pytest.fixture
    def backdoor(self, fake: FakeGitLab) -> GitLabBackdoor:
        return GitLabBackdoor(fake)

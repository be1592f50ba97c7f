"""The shared connector contract, run against the fake Jira in Cloud and Data Center mode."""

from __future__ import annotations

from typing import Any

import pytest

from remediate.connectors import Status, TicketRef
from remediate.testing import ConnectorContract
from tests.connectors.jira.conftest import MakeConnector
from tests.fakes.jira import FakeJira

_STATUS = {
    Status.OPEN: ("To Do", None),
    Status.IN_PROGRESS: ("In Progress", None),
    Status.DONE: ("Done", "Done"),
    Status.NOT_DOING: ("Done", "Won't Do"),
}


class Backdoor:
    """A person working in the fake Jira's web UI."""

    def __init__(self, fake: FakeJira) -> None:
        self.fake = fake

    def set_status(self, ref: TicketRef, status: Status) -> None:
        """Move the issue as a person would."""
        name, resolution = _STATUS[status]
        self.fake.set_status(ref.key, name, resolution)

    def title_of(self, ref: TicketRef) -> str:
        """The issue's summary."""
        issue = self.fake.issue(ref.key)
        assert issue is not None
        return str(issue["fields"]["summary"])

    def ticket_count(self) -> int:
        """Action items' issues in the fake (the postmortems' epics are not tickets of items)."""
        from remediate_jira.fields import GROUP_MARKER_PREFIX

        issues = self.fake.issues.values()
        return sum(not any(label.startswith(GROUP_MARKER_PREFIX) for label in i["fields"]["labels"]) for i in issues)


class TestJiraCloudContract(ConnectorContract):
    """Cloud: basic auth, /search/jql, no parents."""

    @pytest.fixture
    def connector(self, cloud: FakeJira, make: MakeConnector) -> Any:
        return make(cloud, parent="none")

    @pytest.fixture
    def backdoor(self, cloud: FakeJira) -> Backdoor:
        return Backdoor(cloud)


class TestJiraDataCenterContract(ConnectorContract):
    """Data Center: bearer PAT, /search with startAt, per-postmortem epics (the default) by Epic Link."""

    @pytest.fixture
    def connector(self, dc: FakeJira, make: MakeConnector) -> Any:
        return make(dc)

    @pytest.fixture
    def backdoor(self, dc: FakeJira) -> Backdoor:
        return Backdoor(dc)

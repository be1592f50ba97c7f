"""Configuration and credentials: validated once, secrets from the environment only."""

from __future__ import annotations

import pytest

from remediate.connectors import ConnectorContext, load
from remediate.errors import AuthError, ConfigError, NotFound
from remediate.testing import make_draft as draft
from tests.connectors.jira.conftest import MakeConnector, jira_env
from tests.fakes.jira import FakeJira


def test_building_makes_no_request(fake: FakeJira, make: MakeConnector) -> None:
    make(fake)
    assert fake.requests == []


def test_project_from_the_command_line_wins(fake: FakeJira) -> None:
    context = ConnectorContext(env=jira_env(fake), options={"project": "ops2"})
    connector = load("jira", {"project": "OPS"}, context)
    assert connector.config.project == "OPS2"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, "[connectors.jira] project <- Field required"),
        ({"project": "1BAD"}, "[connectors.jira] project <- Value error, '1BAD' is not a Jira project key"),
        ({"project": "OPS", "parent": "epic"}, "[connectors.jira] parent <- Value error, expected an issue key"),
        ({"project": "OPS", "labels": ["two words"]}, "[connectors.jira] labels <- Value error, Jira labels cannot"),
        ({"project": "OPS", "api_version": 4}, "[connectors.jira] api_version <- Input should be 2 or 3"),
        ({"project": "OPS", "token": "x"}, "[connectors.jira] token <- Extra inputs are not permitted"),
        (
            {"project": "OPS", "status_map": {"Shipped": "gone"}},
            "[connectors.jira.status_map] Shipped <- Input should be 'open'",
        ),
    ],
)
def test_bad_config_is_one_clear_line(raw: dict[str, object], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load("jira", raw, ConnectorContext(env={"JIRA_URL": "https://x.example"}))
    assert expected in str(info.value)


def test_url_comes_from_config_or_env() -> None:
    with pytest.raises(ConfigError, match="JIRA_URL"):
        load("jira", {"project": "OPS"}, ConnectorContext(env={}))
    with pytest.raises(ConfigError, match="must not contain credentials"):
        load("jira", {"project": "OPS", "url": "https://me:pw@x.example"}, ConnectorContext(env={}))
    connector = load("jira", {"project": "OPS", "url": "https://x.example/jira/"}, ConnectorContext(env={}))
    assert connector.server == "https://x.example/jira"


@pytest.mark.parametrize(
    ("deployment", "env", "names"),
    [
        ("cloud", {}, "JIRA_USER (the Atlassian account email) and JIRA_API_TOKEN"),
        ("datacenter", {"JIRA_USER": "a", "JIRA_API_TOKEN": "b"}, "JIRA_PAT"),
        ("auto", {}, "JIRA_USER and JIRA_API_TOKEN (Jira Cloud) or JIRA_PAT"),
        ("auto", {"JIRA_USER": "me@example.com"}, "JIRA_API_TOKEN is not set"),
    ],
)
def test_missing_credentials_name_the_variables(
    fake: FakeJira, make: MakeConnector, deployment: str, env: dict[str, str], names: str
) -> None:
    connector = make(fake, env={"JIRA_URL": fake.base, **env}, deployment=deployment)
    with pytest.raises(AuthError) as info:
        connector.find([draft(1)])
    assert names in str(info.value)
    assert fake.requests == []


def test_cloud_refuses_a_bearer_token(cloud: FakeJira, make: MakeConnector) -> None:
    connector = make(cloud, env={"JIRA_URL": cloud.base, "JIRA_PAT": "a-pat-value"})
    with pytest.raises(AuthError) as info:
        connector.find([draft(1)])
    assert "check JIRA_PAT" in str(info.value) and "a-pat-value" not in str(info.value)


def test_both_credential_kinds_are_resolved_by_server_info(fake: FakeJira, make: MakeConnector) -> None:
    env = {"JIRA_URL": fake.base, "JIRA_USER": fake.email, "JIRA_API_TOKEN": fake.api_token, "JIRA_PAT": fake.pat}
    connector = make(fake, env=env)
    assert connector.deployment == fake.mode
    connector.find([draft(1)])
    first, *rest = fake.requests
    assert first.path == "/rest/api/2/serverInfo" and first.auth == "none"
    assert {r.auth for r in rest} == {"basic" if fake.mode == "cloud" else "bearer"}


def test_deployment_override_skips_server_info(cloud: FakeJira, make: MakeConnector) -> None:
    connector = make(cloud, deployment="cloud")
    connector.find([draft(1)])
    assert cloud.count("GET", "serverInfo") == 0


def test_v3_on_data_center_is_refused(dc: FakeJira, make: MakeConnector) -> None:
    with pytest.raises(NotFound, match="api_version = 2"):
        make(dc, api_version=3).find([draft(1)])


def test_parent_defaults_to_one_epic_per_postmortem_and_none_opts_out() -> None:
    from remediate_jira.config import Config

    assert Config(project="OPS").parent == "per-postmortem"
    assert Config(project="OPS", parent="none").parent is None
    assert Config(project="OPS", parent="None").parent is None
    assert Config(project="OPS", parent="ops-7").parent == "OPS-7"

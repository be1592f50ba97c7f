"""The GitLab connector is found through the entry point, and its settings are documented."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from remediate_gitlab import GitLabConnector
from remediate_gitlab.config import Config, Pacing, Tracking

from remediate.connectors import Connector, ConnectorContext, discover, load
from remediate.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "remediate.example.toml"


def test_registered_as_gitlab_and_implements_the_protocol() -> None:
    assert discover()["gitlab"].value == "remediate_gitlab:GitLabConnector"
    connector = load("gitlab", {"project": "acme/api"}, ConnectorContext(env={}))
    assert isinstance(connector, GitLabConnector) and isinstance(connector, Connector)


def test_cli_project_option_overrides_the_table() -> None:
    context = ConnectorContext(env={}, options={"project": "acme/web"})
    connector = load("gitlab", {"project": "acme/api"}, context)
    assert isinstance(connector, GitLabConnector) and connector.config.project == "acme/web"


@pytest.mark.parametrize("project", ["api", "acme api/x", "/", "acme/api,x"])
def test_bad_project_is_one_config_error(project: str) -> None:
    with pytest.raises(ConfigError, match=r"\[connectors.gitlab\] project"):
        load("gitlab", {"project": project}, ConnectorContext(env={}))


def test_example_config_names_every_gitlab_setting() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    section = text.split("# [connectors.gitlab]", 1)[1].split("\n\n", 1)[0]
    for name in Config.model_fields:
        assert re.search(rf"^# (\[connectors\.gitlab\.{name}\]|{name} =)", section, re.M), name
    for table, model in (("tracking", Tracking), ("pacing", Pacing)):
        body = section.split(f"[connectors.gitlab.{table}]", 1)[1].split("\n# [", 1)[0]
        for name in model.model_fields:
            assert re.search(rf"^# {name} =", body, re.M), f"{table}.{name}"
    uncommented = "\n".join(line[2:] for line in ("# [connectors.gitlab]" + section).splitlines())
    table = tomllib.loads(uncommented)["connectors"]["gitlab"]
    assert Config.model_validate(table).project == "platform/api"

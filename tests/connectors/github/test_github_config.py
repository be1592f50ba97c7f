"""The GitHub connector's configuration: entry point, [connectors.github], --repo, env vars."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from remediate_github import GitHubConnector
from remediate_github.config import Config, Pacing, Tracking

from remediate.connectors import Connector, ConnectorContext, discover, load
from remediate.errors import ConfigError
from remediate.settings import load_settings
from tests.support import REPO as CHECKOUT

EXAMPLE = CHECKOUT / "config" / "remediate.example.toml"


def test_registered_as_github_and_implements_the_protocol() -> None:
    assert discover()["github"].value == "remediate_github:GitHubConnector"
    connector = load("github", {"repo": "acme/api"}, ConnectorContext(env={}))
    assert isinstance(connector, GitHubConnector) and isinstance(connector, Connector)
    assert connector.name == "github"


def test_cli_repo_overrides_the_table(tmp_path: Path) -> None:
    context = ConnectorContext(env={}, options={"repo": "acme/web", "tracker": None})
    connector = load("github", {"repo": "acme/api", "label": "followup"}, context)
    assert isinstance(connector, GitHubConnector)
    assert connector.config.repo == "acme/web" and connector.config.label == "followup"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({}, r"\[connectors.github\] repo <- Field required"),
        ({"repo": "acme"}, r"\[connectors.github\] repo <- Value error, must be OWNER/NAME"),
        ({"repo": "a/b", "label": "a,b"}, r"label <- Value error, must not contain a comma"),
        (
            {"repo": "a/b", "label": "x" * 51},
            r"label <- Value error, GitHub label names are at most 50",
        ),
        (
            {"repo": "a/b", "label_color": "red"},
            r"label_color <- Value error, must be six hex digits",
        ),
        (
            {"repo": "a/b", "owners": {"Al": "not a login!"}},
            r"owners <- Value error, 'Al' -> 'not a login!'",
        ),
        (
            {"repo": "a/b", "token": "x"},
            r"\[connectors.github\] token <- Extra inputs are not permitted",
        ),
        (
            {"repo": "a/b", "tracking": {"mode": "epics"}},
            r"\[connectors.github.tracking\] mode <- ",
        ),
        (
            {"repo": "a/b", "pacing": {"write_interval": -1}},
            r"\[connectors.github.pacing\] write_interval <- ",
        ),
    ],
)
def test_bad_tables_give_one_line_per_problem(table: dict[str, object], message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load("github", table, ConnectorContext(env={}), config_path=tmp_path / "remediate.toml")
    assert re.search(message, str(caught.value)), str(caught.value)
    assert "\n" not in str(caught.value)


def test_owner_logins_lose_their_at_sign() -> None:
    assert Config.model_validate({"repo": "a/b", "owners": {"Alice": "@alice"}}).owners == {"Alice": "alice"}


@pytest.mark.parametrize("url", ["ftp://ghe.example.com", "not a url", "https://ghe.example.com/api/v3?x=1"])
def test_bad_api_url_names_the_variable(url: str) -> None:
    with pytest.raises(ConfigError, match="GITHUB_API_URL="):
        load("github", {"repo": "a/b"}, ConnectorContext(env={"GITHUB_API_URL": url}))


def test_api_url_defaults_to_github_com_and_accepts_ghes() -> None:
    default = load("github", {"repo": "a/b"}, ConnectorContext(env={}))
    ghes = load(
        "github",
        {"repo": "a/b"},
        ConnectorContext(env={"GITHUB_API_URL": "https://ghe.example.com/api/v3/"}),
    )
    assert isinstance(default, GitHubConnector) and isinstance(ghes, GitHubConnector)
    assert default.transport.base_url == "https://api.github.com"
    assert ghes.transport.base_url == "https://ghe.example.com/api/v3"
    assert ghes.claim("https://ghe.example.com/a/b/issues/2") is not None


def test_example_config_table_is_valid_and_names_every_key() -> None:
    table = load_settings(EXAMPLE, environ={}).connectors["github"]
    connector = load("github", table, ConnectorContext(env={}), config_path=EXAMPLE)
    assert isinstance(connector, GitHubConnector)
    text = EXAMPLE.read_text(encoding="utf-8")
    for name in Config.model_fields:
        pattern = rf"^(\[connectors\.github\.{name}\]|#? ?{name} =)"
        assert re.search(pattern, text, re.MULTILINE), name
    for section, model in (("tracking", Tracking), ("pacing", Pacing)):
        body = text.split(f"[connectors.github.{section}]", 1)[1].split("\n[", 1)[0]
        for name in model.model_fields:
            assert re.search(rf"^#? ?{name} =", body, re.MULTILINE), f"{section}.{name}"
    assert tomllib.loads(text)["connectors"]["github"]["repo"] == "acme/api"

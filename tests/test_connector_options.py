"""``--set KEY=VALUE``: any setting of the tracker's own Config for one run; ``--repo``/``--project`` alias it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from remediate.cli import app
from remediate.cli.options import connector_options
from remediate.connectors import configure
from remediate.errors import ConfigError
from tests.support import write_postmortem

runner = CliRunner()


def test_dotted_keys_reach_nested_tables_and_values_are_read_as_toml() -> None:
    options = connector_options(
        ["tracking.mode=task-list", "pacing.timeout=5", "tracking.enabled=false", "label=123", "owners.Al=al-gh"],
        repo="acme/api",
    )
    _, config = configure("github", {"label": "followup", "tracking": {"label": "pm"}}, options)
    assert config.repo == "acme/api"
    assert (config.tracking.mode, config.tracking.enabled, config.tracking.label) == ("task-list", False, "pm")
    assert config.pacing.timeout == 5 and config.pacing.write_interval == 1.0  # the rest keeps its default
    assert config.label == "123"  # a string field keeps the text: 123 is no label of type int
    assert config.owners == {"Al": "al-gh"}


def test_project_is_set_project_for_any_tracker_that_has_one() -> None:
    _, jira = configure(
        "jira", {"project": "OPS", "url": "https://jira.example"}, connector_options(None, project="SRE")
    )
    _, gitlab = configure("gitlab", {}, connector_options(None, project="acme/api"))
    assert jira.project == "SRE" and gitlab.project == "acme/api"
    _, arrays = configure("jira", {"project": "OPS"}, connector_options(['labels=["a", "b"]', "api_version=3"]))
    assert arrays.labels == ["a", "b"] and arrays.api_version == 3


@pytest.mark.parametrize(
    ("tracker", "flags", "message"),
    [
        (
            "github",
            ["--repo", "a/b", "--set", "tracking.nosuch=1"],
            "--set tracking.nosuch: the github connector has no setting 'tracking.nosuch'",
        ),
        (
            "github",
            ["--repo", "a/b", "--set", "tracking.mode=epics"],
            "--set tracking.mode <- Input should be 'auto', 'sub-issues' or 'task-list'",
        ),
        (
            "github",
            ["--repo", "a/b", "--set", "pacing.timeout=soon"],
            "--set pacing.timeout <- Input should be a valid integer",
        ),
        ("github", ["--repo", "acme"], "--set repo <- Value error, must be OWNER/NAME"),
        ("github", ["--repo", "a/b", "--set", "tracking=1"], "'tracking' is a table; set one of its keys"),
        ("jira", ["--repo", "a/b"], "--set repo: the jira connector has no setting 'repo'"),
        ("local", ["--set", "nonsense"], "--set 'nonsense': expected KEY=VALUE"),
        ("local", ["--set", "a..b=1"], "--set 'a..b=1': expected KEY=VALUE"),
    ],
)
def test_bad_settings_are_one_line_naming_the_key_and_exit_2(
    tmp_path, tracker: str, flags: list[str], message: str
) -> None:  # type: ignore[no-untyped-def]
    doc = write_postmortem(tmp_path / "pm.md", ["Add an alert on queue depth"])
    env = {"JIRA_URL": "https://jira.example"}
    result = runner.invoke(
        app,
        ["sync", str(doc), "--dry-run", "--tracker", tracker, *flags, "--db", f"sqlite:///{tmp_path / 's.db'}"],
        env=env,
    )
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output


@pytest.mark.parametrize("command", [["sync", "PM", "--dry-run"], ["refresh"], ["dedupe"], ["db", "rebuild", "PM"]])
def test_every_command_with_repo_takes_set(tmp_path, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    doc = write_postmortem(tmp_path / "pm.md", ["Add an alert on queue depth"])
    args = [str(doc) if part == "PM" else part for part in command]
    result = runner.invoke(
        app, [*args, "--tracker", "local", "--set", "nosuch=1", "--db", f"sqlite:///{tmp_path / 's.db'}"]
    )
    assert result.exit_code == 2 and "the local connector has no setting 'nosuch'" in result.output, result.output


def test_a_set_that_is_both_value_and_table_is_refused() -> None:
    with pytest.raises(ConfigError, match="given twice"):
        configure("github", {}, {"owners": "x", "owners.al": "al"})
    with pytest.raises(ConfigError, match="given twice"):
        configure("github", {}, {"owners.al": "al", "owners": "x"})


def test_a_caller_may_pass_a_whole_sub_table() -> None:
    """``jobs`` callers pass options as values, not text: a mapping lays over the table key by key."""
    _, config = configure("github", {"repo": "a/b", "tracking": {"label": "pm"}}, {"tracking": {"mode": "task-list"}})
    assert (config.tracking.mode, config.tracking.label) == ("task-list", "pm")

"""Settings: where they come from and how errors read."""

from __future__ import annotations

from pathlib import Path

import pytest

from remediate.errors import ConfigError
from remediate.settings import load_settings


def test_defaults_without_any_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.tracker == "local" and settings.source is None


def test_file_in_working_directory_then_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "remediate.toml").write_text('tracker = "github"\n')
    assert load_settings(environ={}).tracker == "github"
    other = tmp_path / "other.toml"
    other.write_text('tracker = "jira"\n')
    assert load_settings(environ={"REMEDIATE_CONFIG": str(other)}).tracker == "jira"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tracker = \n", "not valid TOML"),
        ("[parser]\nmax_bytes = -1\n", "[parser] max_bytes <- Input should be greater than 0"),
        ("colour = 'blue'\n", "colour <- Extra inputs are not permitted"),
        ("timezone = 'Mars/Olympus'\n", "timezone <- Value error, unknown time zone 'Mars/Olympus'"),
    ],
)
def test_errors_name_file_table_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "remediate.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", environ={})

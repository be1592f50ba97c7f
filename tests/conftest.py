"""Guards that make accidents loud: a clean environment and a private home per test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


# Variables that would leak a developer's setup (or secrets) into a test.
_LEAKY_PREFIXES = ("REMEDIATE_", "GITHUB_", "JIRA_", "SMTP_", "SLACK_")


@pytest.fixture(autouse=True)
def clean_environ(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """No leaked tokens or config, and HOME/XDG dirs inside a temp dir so nothing touches ~."""
    for name in list(os.environ):
        if name.startswith(_LEAKY_PREFIXES):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    yield

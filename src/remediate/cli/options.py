"""Options shared by several commands, declared once."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any

import typer


class Format(enum.StrEnum):
    """Output formats of commands that list things."""

    table = "table"
    json = "json"
    markdown = "markdown"


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        envvar="REMEDIATE_CONFIG",
        help="Config file (default: ./remediate.toml, then the user config directory).",
        show_default=False,
    ),
]

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="REMEDIATE_DATABASE_URL",
        help="Database URL (default: SQLite in the user data directory).",
        show_default=False,
    ),
]

FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)]

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Set one of the tracker's settings for this run, as in its [connectors.<name>] table "
        "(repeatable; dotted keys for sub-tables, e.g. tracking.mode=task-list; TOML values).",
        show_default=False,
    ),
]
RepoOption = Annotated[
    str | None,
    typer.Option("--repo", help="Same as --set repo=VALUE (GitHub's OWNER/NAME).", show_default=False),
]
ProjectOption = Annotated[
    str | None,
    typer.Option("--project", help="Same as --set project=VALUE (Jira's key, GitLab's path).", show_default=False),
]


def connector_options(sets: list[str] | None, repo: str | None = None, project: str | None = None) -> dict[str, Any]:
    """``--set KEY=VALUE`` pairs (and the ``--repo``/``--project`` aliases) as {dotted key: text}.

    The tracker's own Config checks the keys and reads the values (``remediate.connectors.configure``).
    """
    from remediate.errors import ConfigError

    options: dict[str, Any] = {}
    for pair in sets or []:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            raise ConfigError(f"--set {pair!r}: expected KEY=VALUE, e.g. --set tracking.mode=task-list")
        options[key] = value.strip()
    for alias, given in (("repo", repo), ("project", project)):
        if given is not None:
            options[alias] = given
    return options

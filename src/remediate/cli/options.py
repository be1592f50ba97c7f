"""Options shared by several commands, declared once."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

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

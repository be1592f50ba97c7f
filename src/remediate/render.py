"""Rendering library results for people (rich tables, Markdown) and scripts (JSON)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from remediate.parsing import ParseResult


def emit_json(data: Any) -> None:
    """Print one JSON document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def warnings(messages: Sequence[str]) -> None:
    """Print warnings on stderr, one line each."""
    for message in messages:
        sys.stderr.write(f"remediate: warning: {message}\n")


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a rich table on stdout."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Text() cells: document text such as "[developer]" or "[/x]" is not rich markup.
    grid = Table(title=Text(title) if title else None, show_lines=False, expand=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    Console(soft_wrap=False).print(grid)


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table; pipes and newlines in cells are escaped."""

    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _done(value: bool | None) -> str:
    return {True: "done", False: "open", None: ""}[value]


def parse_result(result: ParseResult, format: str) -> None:
    """Render ``remediate parse`` output in the requested format."""
    if format == "json":
        # The warnings are in the JSON too; stderr keeps them visible to a person at a terminal.
        emit_json(result.to_json())
        warnings(result.warnings)
        return
    columns = ["id", "line", "section", "action item", "owner", "due", "priority", "state", "ticket"]
    rows = [
        (i.id, i.line, i.section, i.text, i.owner, i.due, i.priority, _done(i.done), i.tracker_ref)
        for i in result.action_items
    ]
    pm = result.postmortem
    count = f"{len(rows)} action item" + ("" if len(rows) == 1 else "s")
    heading = f"{pm.title or pm.id} ({count})"
    if format == "markdown":
        sys.stdout.write(f"## {heading}\n\n" + markdown_table(columns, rows))
    else:
        table(heading, columns, rows)
    warnings(result.warnings)

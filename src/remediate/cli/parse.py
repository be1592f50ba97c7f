"""``remediate parse``: show the action items a postmortem contains."""

from typing import Annotated

import typer

from remediate.cli import app
from remediate.cli.options import ConfigOption, Format, FormatOption


@app.command()
def parse(
    path: Annotated[str, typer.Argument(help="Postmortem file (Markdown or text); - reads stdin.")],
    format: FormatOption = Format.table,
    config: ConfigOption = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Show why: what each heading reads as, each item's features and confidence, and "
            "the prose in action sections that became no item.",
        ),
    ] = False,
) -> None:
    """List the action items in a postmortem, with owner, due date, priority and state."""
    from remediate.cli import render
    from remediate.parsing import parse_path
    from remediate.settings import load_parser_settings

    settings = load_parser_settings(config)
    result = parse_path(path, section_titles=settings.section_titles, max_bytes=settings.max_bytes, explain=explain)
    render.parse_result(result, format)

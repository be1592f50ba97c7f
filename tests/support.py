"""Small helpers shared by test modules."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from remediate.parsing import ParseResult

REPO = Path(__file__).resolve().parent.parent


def write_postmortem(
    path: Path, items: list[str], *, boxes: list[bool] | None = None, title: str = "Checkout outage"
) -> Path:
    """Write a small Markdown postmortem with ``items`` under an Action Items heading."""
    lines = [f"# {title}", "", "## Summary", "", "Checkout was slow for an hour.", "", "## Action Items", ""]
    for index, text in enumerate(items):
        box = "" if boxes is None else ("[x] " if boxes[index] else "[ ] ")
        lines.append(f"- {box}{text}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def parse_md(text: str, **kwargs: Any) -> ParseResult:
    """Parse an inline example (dedented, leading newline dropped)."""
    from remediate.parsing import parse_text

    return parse_text(textwrap.dedent(text).lstrip("\n"), **kwargs)


def texts(text: str, **kwargs: Any) -> list[str]:
    """The item texts of an inline example."""
    return [item.text for item in parse_md(text, **kwargs).action_items]

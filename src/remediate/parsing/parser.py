"""Placeholder parser: Markdown headings and bullet lists only (to be replaced by issue 2)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePath

from remediate.parsing.model import ActionItem, ParseResult, Postmortem, content_hash, item_id

DEFAULT_SECTION_TITLES = (
    "action items",
    "corrective and preventative measures",
    "corrective and preventive measures",
    "follow-ups",
    "next steps",
    "remediation",
    "tasks to address the issue",
)

_HEADING = re.compile(r"^(#{1,6})\s*(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[( |x|X)\]\s+)?(.+)$")


def parse_text(
    text: str, *, source: str = "<text>", section_titles: Sequence[str] = ()
) -> ParseResult:
    """Parse postmortem text into its action items."""
    titles = {t.casefold() for t in (*DEFAULT_SECTION_TITLES, *section_titles)}
    pm_id = re.sub(r"[^a-z0-9]+", "-", PurePath(source).stem.lower()).strip("-") or "postmortem"
    title: str | None = None
    section: str | None = None
    items: list[ActionItem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        heading = _HEADING.match(line)
        if heading:
            name = heading.group(2).rstrip(":").strip()
            title = title or name
            section = name if name.casefold() in titles else None
            continue
        bullet = _BULLET.match(line)
        if section and bullet:
            body = bullet.group(2).strip()
            occurrence = seen.get(body, 0)
            seen[body] = occurrence + 1
            box = bullet.group(1)
            items.append(
                ActionItem(
                    id=item_id(pm_id, body, occurrence),
                    text=body,
                    section=section,
                    done=None if box is None else box != " ",
                    line=number,
                    end_line=number,
                    kind="list" if box is None else "checkbox",
                )
            )
    postmortem = Postmortem(pm_id, title, None, source, content_hash(text))
    warnings = () if items else ("no action-item section found",)
    return ParseResult(postmortem, tuple(items), warnings)

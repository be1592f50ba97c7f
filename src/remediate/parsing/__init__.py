"""Postmortem text -> action items. Pure functions, no I/O beyond reading the document.

``parse_path`` reads a file (or ``-`` for stdin) and ``parse_text`` parses a
string; both return a :class:`ParseResult`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from remediate.parsing.model import ActionItem, ParseResult, Postmortem, item_id, normalize_text, normalized_words
from remediate.parsing.parser import DEFAULT_SECTION_TITLES, parse_text
from remediate.parsing.read import Document, read_document

__all__ = [
    "DEFAULT_SECTION_TITLES",
    "ActionItem",
    "Document",
    "ParseResult",
    "Postmortem",
    "item_id",
    "normalize_text",
    "normalized_words",
    "parse_path",
    "parse_text",
    "read_document",
]

DEFAULT_MAX_BYTES = 5_000_000


def parse_path(
    path: str | Path,
    *,
    section_titles: Sequence[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    explain: bool = False,
) -> ParseResult:
    """Read and parse one postmortem file (``-`` reads stdin)."""
    document = read_document(path, max_bytes=max_bytes)
    result = parse_text(document.text, source=document.source, section_titles=section_titles, explain=explain)
    if document.warnings:
        result = dataclasses.replace(result, warnings=document.warnings + result.warnings)
    return result

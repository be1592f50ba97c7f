"""``remediate sync --write-back``: write each item's ticket reference into the postmortem.

The reference goes where the parser reads it back as the item's ``tracker_ref``: at the end of a
list item (`` (LOCAL-3)``, `` ([#12](https://github.com/o/r/issues/12))``), before the final
period of a prose sentence, or into a table's ticket/bug column (else the end of the action
cell). Only the inserted characters change: encoding, byte-order mark, line endings and every
other byte stay as they were. A second run finds the references and changes nothing. A file
that changed since it was parsed is left alone (with a warning) rather than patched blindly.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from remediate.connectors import TicketRef
from remediate.parsing import ActionItem
from remediate.parsing.tables import TICKET_COLUMN
from remediate.parsing.text import TRAILING_BREAKS, strip_markdown

if TYPE_CHECKING:
    from remediate.sync import Plan

log = logging.getLogger("remediate.writeback")

_BOM = "\ufeff"
_TABLE_REF_COLUMN = TICKET_COLUMN


def reference_text(ref: TicketRef) -> str:
    """How a ticket reference is written into a document."""
    return f"[{ref.key}]({ref.url})" if ref.url else ref.key


def write_back(plan: Plan, claim: Callable[[str], TicketRef | None] | None = None) -> list[str]:
    """Write missing references for every document of ``plan``; return the paths changed.

    ``claim`` is the connector's: a reference the document already names in its own words (an
    issue URL with ``#issuecomment-1``, a pull request URL) counts when it claims the ticket.
    """
    changed: list[str] = []
    for document in plan.documents:
        source = document.postmortem.source
        if source.startswith("<"):
            continue
        pending = [
            (action.parsed, action.ref)
            for action in plan.actions
            if action.postmortem_id == document.postmortem.id
            and action.parsed is not None
            and action.ref is not None
            and action.failed is None
            and not _already_referenced(action.parsed, action.ref, claim)
        ]
        if pending and patch_file(Path(source), document.postmortem.content_hash, pending):
            changed.append(source)
    return changed


def _already_referenced(
    item: ActionItem, ref: TicketRef, claim: Callable[[str], TicketRef | None] | None = None
) -> bool:
    written = {w.strip() for w in (item.tracker_ref, item.tracker_url, *item.refs) if w}
    if written & {ref.key, ref.url} or any(w.endswith(f"/{ref.key}") for w in written):
        return True
    return claim is not None and any(getattr(claim(w), "key", None) == ref.key for w in sorted(written))


def patch_file(path: Path, expected_hash: str, pending: Sequence[tuple[ActionItem, TicketRef]]) -> bool:
    """Insert references into ``path``; False (and a warning) if it cannot be done safely."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        log.warning("%s: not UTF-8, references not written back", path)
        return False
    bom = text.startswith(_BOM)
    body = text[1:] if bom else text
    if hashlib.sha256(body.encode("utf-8")).hexdigest() != expected_hash:
        log.warning("%s changed since it was read; references not written back", path)
        return False
    edits = sorted((insertion(body, item, ref) for item, ref in pending), reverse=True)
    for offset, insert in edits:
        body = body[:offset] + insert + body[offset:]
    path.write_bytes(((_BOM if bom else "") + body).encode("utf-8"))
    return True


def insertion(text: str, item: ActionItem, ref: TicketRef) -> tuple[int, str]:
    """Where and what to insert into ``text`` so that ``item`` names ``ref``."""
    reference = reference_text(ref)
    if item.kind == "table":
        return _table_insertion(text, item, reference)
    end = item.span[1]
    while end > item.span[0] and text[end - 1] in " \t":
        end -= 1
    if (tag := TRAILING_BREAKS.search(text, item.span[0], end)) is not None:
        end = tag.start()  # "Do X.<br>": the reference goes before the line break, in the text
    if end > item.span[0] and text[end - 1] in ".!?":
        # "Do X." -> "Do X (REF)." keeps the sentence whole for the parser, and the line still
        # ends a sentence (a next line without its marker is read as an item of its own after one).
        end -= 1
    return end, f" ({reference})"


@lru_cache(maxsize=4)
def _layout(text: str) -> tuple[list[int], list[str], list[int]]:
    """Line starts (``\\n`` lines), ``splitlines()`` lines, and for each of those the index where
    the run of ``|`` lines above it starts: computed once per document, not once per item (every
    table item rescanned the document from its start, and its table from its row: quadratic)."""
    starts = [0, *(match.end() for match in re.finditer("\n", text))]
    lines = text.splitlines()
    run_start: list[int] = []
    for index in range(len(lines)):
        piped = index > 0 and lines[index - 1].lstrip().startswith("|")
        run_start.append(run_start[index - 1] if piped else index)
    return starts, lines, run_start


def _line_bounds(text: str, line: int) -> tuple[int, int]:
    """[start, end) of 1-based ``line`` without its line break."""
    starts = _layout(text)[0]
    if not 1 <= line <= len(starts):
        raise ValueError(f"no line {line}")
    start = starts[line - 1]
    end = text.find("\n", start)
    end = len(text) if end == -1 else end
    if end > start and text[end - 1] == "\r":
        end -= 1
    return start, end


def _table_insertion(text: str, item: ActionItem, reference: str) -> tuple[int, str]:
    """Into the ticket/bug column if the table has one (and it is empty), else after the action cell."""
    start, end = _line_bounds(text, item.line)
    row = text[start:end]
    header = _table_header(text, item.line)
    cells = _cell_bounds(row)
    if header is not None and len(cells) == len(header):
        for index, name in enumerate(header):
            cell_start, cell_end = cells[index]
            if _TABLE_REF_COLUMN.search(name) and not row[cell_start:cell_end].strip():
                return start + cell_start, f" {reference} " if cell_end == cell_start else f" {reference}"
    # No empty ticket column: after the first non-empty cell that holds the item's words (read
    # as the parser reads them: "Switch `armhf-gnu`" holds "Switch armhf-gnu").
    needle = item.text[:20].strip().lower()[:10]
    for cell_start, cell_end in cells:
        cell = row[cell_start:cell_end]
        if cell.strip() and needle in strip_markdown(cell).lower():
            stripped_end = cell_start + len(cell.rstrip())
            return start + stripped_end, f" ({reference})"
    return start + len(row.rstrip()), f" ({reference})"


def _table_header(text: str, row_line: int) -> list[str] | None:
    _starts, lines, run_start = _layout(text)
    index = row_line - 1
    if 0 < index <= len(lines) and lines[index - 1].lstrip().startswith("|"):
        index = run_start[index - 1]  # up to the first line of the table
    if index >= len(lines):
        return None
    return [cell.strip() for cell in _split_cells(lines[index])]


def _split_cells(row: str) -> list[str]:
    bounds = _cell_bounds(row)
    return [row[a:b] for a, b in bounds]


def _cell_bounds(row: str) -> list[tuple[int, int]]:
    """[start, end) of each cell's content between unescaped pipes."""
    pipes = [i for i, ch in enumerate(row) if ch == "|" and (i == 0 or row[i - 1] != "\\")]
    if not pipes:
        return []
    bounds = [(a + 1, b) for a, b in zip(pipes, pipes[1:], strict=False)]
    if row.strip() and not row.rstrip().endswith("|"):
        bounds.append((pipes[-1] + 1, len(row)))
    if not row.lstrip().startswith("|"):
        bounds.insert(0, (0, pipes[0]))
    return bounds

"""Postmortem text -> :class:`ParseResult`: the pipeline that ties the parsing modules together.

``meta`` reads front matter, title, incident date and id; ``blocks`` splits the
lines into headings, list items, tables and paragraphs; ``sections`` finds the
action-item sections; ``items`` turns their content into raw items; ``fields``
reads each item's owner, due date, priority, state and ticket reference.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable, Sequence
from datetime import date
from typing import NamedTuple

from remediate.parsing import blocks, items, meta, prose, sections, tables, vocabulary
from remediate.parsing import explain as reasons
from remediate.parsing.fields import Fields, read_fields
from remediate.parsing.model import (
    ActionItem,
    ParseResult,
    Postmortem,
    content_hash,
    item_id,
    normalize_text,
)
from remediate.parsing.text import Line, split_lines
from remediate.parsing.titles import DEFAULT_SECTION_TITLES, section_name

__all__ = ["DEFAULT_SECTION_TITLES", "parse_text"]


#: Where an item's owner, due date, priority and done state come from, most specific first: the
#: block that holds it (a table row's cells, a checkbox), then its own words and metadata
#: sub-lines ("Owner: @alice" under it), then the (sub-)headings above it. The first source that
#: states a field wins. Measured on tests/corpus (296 documents, 1,318 matched items) over all six
#: orders: owner, due and priority agree whatever the order (the sources rarely disagree there),
#: and done is right on one item more when headings come last (a "### Done" sub-heading over an
#: item marked "(in progress)"); the order is kept from the most specific statement down.
FIELD_SOURCES = ("block", "item", "heading")


class Stated(NamedTuple):
    """What one source states of an item (None: nothing)."""

    owner: str | None
    due: date | None
    priority: str | None
    done: bool | None


def resolve_fields(raw: items.RawItem, fields: Fields, order: tuple[str, ...] = FIELD_SOURCES) -> Stated:
    """Owner, due, priority and done of ``raw``, each from the first source in ``order`` that states it."""
    stated = {
        "block": Stated(raw.owner, raw.due, raw.priority, raw.done),
        "item": Stated(fields.owner, fields.due, fields.priority, fields.done),
        "heading": Stated(raw.facts.owner, raw.facts.due, raw.facts.priority, raw.facts.done),
    }
    sources = [stated[name] for name in order]
    return Stated(
        next((s.owner for s in sources if s.owner), None),
        next((s.due for s in sources if s.due is not None), None),
        next((s.priority for s in sources if s.priority), None),
        next((s.done for s in sources if s.done is not None), None),
    )


def _block_scanner() -> Callable[[Sequence[Line], int, Sequence[str]], blocks.Scan]:
    """The hand-written block layer; ``REMEDIATE_BLOCKS=mdit`` selects the markdown-it-py
    experiment instead (parsing/mdit_blocks.py, measured by benchmarks/block_layer.py)."""
    if os.environ.get("REMEDIATE_BLOCKS") == "mdit":
        from remediate.parsing import mdit_blocks

        return mdit_blocks.scan
    return blocks.scan


def _no_section_warning(extra: Sequence[str]) -> str:
    titles = ", ".join(f'"{title}"' for title in (*DEFAULT_SECTION_TITLES, *extra))
    return (
        f"no action-item section found; looked for headings such as {titles} "
        "and their variants (add more with [parser] section_titles)"
    )


def _apply_note(note: str, fields: Fields, base: date | None) -> None:
    """Fold a metadata sub-item ("Owner: @alice", "Due: 2024-01-15", "Status: done") into its item."""
    name, _, value = note.replace("：", ":", 1).partition(":")
    kind = vocabulary.label_kind(name)
    value = value.strip(" *_")
    if kind == "notes":
        return  # an explanation of the item: its wording is the item's own text
    if kind == "status":
        done = tables.cell_done(value)
        fields.done = fields.done if done is None else done
    elif kind == "ticket":
        fields.ref = fields.ref or tables.cell_ticket(value)
    elif kind == "due":
        fields.due = fields.due or tables.cell_due(value, base)
    elif kind == "priority":
        fields.priority = fields.priority or tables.cell_priority(value)
    else:
        fields.owner = fields.owner or tables.cell_owner(value)


def _how(raw: items.RawItem) -> str:
    """How an item was read, in words (for ``--explain``)."""
    if raw.kind == "prose":
        return f"prose sentence ({raw.prose_kind or 'labelled'})"
    if raw.kind == "table":
        return "table row"
    return "checkbox item" if raw.kind == "checkbox" else "list item"


def parse_text(
    text: str, *, source: str = "<text>", section_titles: Sequence[str] = (), explain: bool = False
) -> ParseResult:
    """Parse postmortem text into its metadata and action items.

    ``explain``: attach an :class:`~remediate.parsing.explain.Explanation` (heading decisions,
    item features, passed-over prose) to the result.
    """
    extra = tuple(title for title in section_titles if title.strip())
    lines = split_lines(text)
    info = meta.read_meta(lines, source)
    scan = _block_scanner()(lines, info.body_start, extra)
    outline = sections.outline(scan.blocks, info.date, extra)
    starts = [line.start for line in lines]

    def line_of(offset: int) -> int:
        return bisect.bisect_right(starts, offset)

    result: list[ActionItem] = []
    explained: list[reasons.ItemExplanation] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    raws, passed_over = items.raw_items(outline, info.date)
    for raw in raws:
        fields = read_fields(
            raw.raw.text,
            base=info.date,
            link_labels=scan.link_labels,
            clean=tables.drop_numbering if raw.table_cell else None,
            people=info.people,
        )
        if not fields.text:
            continue
        if prose.reads_as_data(raw.raw.text):
            passed_over.append((raw.raw.offsets[0], fields.text, "a field and its value, not an action"))
            continue
        for note in raw.notes:
            _apply_note(note, fields, info.date)
        if raw.row_span is not None:
            span = raw.row_span
        elif raw.kind == "prose":
            span = raw.raw.span()
        else:
            span = (raw.raw.offsets[0], raw.raw.offsets[max(fields.core_end, 1) - 1] + 1)
        key = normalize_text(fields.text)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        ref = raw.ref or fields.ref
        named = [r for r in (raw.ref, *fields.all_refs) if r is not None]
        refs = tuple(dict.fromkeys(form for r in named for form in (r.key, r.url) if form))
        chosen = resolve_fields(raw, fields)
        line = line_of(span[0])
        if fields.relative_due and not (raw.due or fields.due):
            warnings.append(
                f"line {line}: relative deadline '{fields.relative_due}' ignored (the document states no incident date)"
            )
        found = reasons.features(raw.kind, raw.opened_by, fields.text)
        confidence = reasons.confidence(found)
        if explain:
            explained.append(
                reasons.ItemExplanation(line, fields.text, raw.section, _how(raw), tuple(found), confidence)
            )
        result.append(
            ActionItem(
                id=item_id(info.id, fields.text, occurrence),
                text=fields.text,
                section=raw.section,
                owner=chosen.owner,
                due=chosen.due,
                priority=chosen.priority,
                done=chosen.done,
                tracker_ref=ref.key if ref else None,
                line=line,
                # The item's last line, a ticket reference on its own continuation line included.
                end_line=line_of(
                    raw.raw.offsets[-1] if raw.kind in ("list", "checkbox") else max(span[1] - 1, span[0])
                ),
                kind=raw.kind,  # type: ignore[arg-type]
                span=span,
                tracker_url=ref.url if ref else None,
                refs=refs,
                confidence=confidence,
            )
        )
    if not result:
        if outline.action_headings:
            names = ", ".join(f"'{section_name(h.title)}' (line {h.line.number})" for h in outline.action_headings)
            warnings.append(f"action-item section(s) {names} hold no items")
        else:
            warnings.append(_no_section_warning(extra))
    postmortem = Postmortem(info.id, info.title, info.date, source, content_hash(text))
    explanation = None
    if explain:
        skipped = tuple(
            reasons.Skipped(line_of(offset), words[:100], why if isinstance(why, str) else why())
            for offset, words, why in passed_over
        )
        explanation = reasons.Explanation(tuple(outline.decisions), tuple(explained), skipped)
    return ParseResult(postmortem, tuple(result), tuple(warnings), explanation)

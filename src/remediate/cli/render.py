"""Rendering library results for people (rich tables, Markdown) and scripts (JSON)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from remediate.parsing import ParseResult
from remediate.parsing.explain import Explanation
from remediate.sanitize import clean

#: JSON documents larger than this (in bytes, compact) are printed compact: Python's indenting
#: encoder is pure Python and took seconds on a 100,000-item audit; the compact one is C.
INDENT_MAX_BYTES = 1_000_000


def emit_json(data: Any) -> None:
    """Print one JSON document on stdout (indented, unless it is large)."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    if len(text) <= INDENT_MAX_BYTES:
        text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(text + "\n")


#: Entries of a streamed list written to stdout at a time.
STREAM_BATCH = 1000


def emit_json_streamed(frame: dict[str, Any], key: str, entries: Iterable[Any]) -> None:
    """Print ``frame`` with ``frame[key]`` set to the list of ``entries``, exactly as :func:`emit_json`.

    The list is encoded entry by entry and written as it goes: a 100,000-item sync's JSON was
    built whole (the entries' dicts, then one string of all of them) before it was printed. Up to
    :data:`INDENT_MAX_BYTES` of compact JSON the entries are collected and printed indented by
    :func:`emit_json`; past it the output is compact, the same bytes ``json.dumps`` gives.
    ``frame`` must hold ``key`` already (its place in the object); its other values are small.
    """
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    rest = iter(entries)
    head: list[Any] = []
    texts: list[str] = []
    size = len(encode({**frame, key: []}))  # the compact length, with "[]" for the list
    for entry in rest:
        head.append(entry)
        texts.append(encode(entry))
        size += len(texts[-1]) + (2 if len(texts) > 1 else 0)  # ", " between entries
        if size > INDENT_MAX_BYTES:
            break
    else:
        emit_json({**frame, key: head})
        return
    del head
    fields = [f"{encode(name)}: {encode(value)}" for name, value in frame.items() if name != key]
    at = list(frame).index(key)
    out = sys.stdout
    out.write("{" + "".join(f + ", " for f in fields[:at]) + encode(key) + ": [" + ", ".join(texts))
    batch: list[str] = []
    for entry in rest:
        batch.append(encode(entry))
        if len(batch) >= STREAM_BATCH:
            out.write(", " + ", ".join(batch))
            batch.clear()
    if batch:
        out.write(", " + ", ".join(batch))
    out.write("]" + "".join(", " + f for f in fields[at:]) + "}\n")


def warnings(messages: Sequence[str]) -> None:
    """Print warnings on stderr, one line each."""
    for message in messages:
        sys.stderr.write(f"remediate: warning: {message}\n")


#: Tables longer than this are drawn by :func:`plain_table` (rich lays out every cell at some
#: tens of microseconds each: 10,000 rows took seconds).
RICH_MAX_ROWS = 200


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a table on stdout: rich's for short tables, the same frame drawn in one pass for long ones."""
    if len(rows) > RICH_MAX_ROWS:
        sys.stdout.write(plain_table(title, columns, rows))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Text() cells: document text such as "[developer]" or "[/x]" is not rich markup.
    grid = Table(title=Text(title) if title else None, show_lines=False, expand=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*(Text("" if cell is None else clean(str(cell))) for cell in row))
    Console(soft_wrap=False).print(grid)


#: Characters rich may draw wider or narrower than one cell: the non-ASCII ones. Measuring only
#: these (rich's cell_len adds up its characters' widths) instead of every character of a cell
#: with one (a clipped cell's "…") made the 47,000-row overdue table six times faster to lay out.
_MAYBE_WIDE = re.compile("[^\x00-\x7f]")


def plain_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A table in rich's default frame, one line per row and no wrapping: linear in the cells.

    Cells are cleaned like rich's (``sanitize.clean``); newlines in a cell become spaces.
    """
    from rich.cells import cell_len

    def width(text: str) -> int:  # rich's cell width, walking only the characters that may be wide
        if text.isascii():
            return len(text)
        return len(text) + sum(cell_len(c) - 1 for c in _MAYBE_WIDE.findall(text))

    cells = [[clean(str(c)).replace("\n", " ") if c is not None else "" for c in row] for row in rows]
    head = [clean(c) for c in columns]
    sized = [[(c, width(c)) for c in row] for row in cells]
    widths = [width(c) for c in head]
    for row in sized:
        for n, (_, w) in enumerate(row):
            if w > widths[n]:
                widths[n] = w

    def line(values: Sequence[tuple[str, int]], edge: str, sep: str) -> str:
        parts = [v + " " * (w - vw) for (v, vw), w in zip(values, widths, strict=True)]
        return f"{edge} " + f" {sep} ".join(parts) + f" {edge}"

    total = sum(widths) + 3 * len(widths) + 1
    out = []
    if title:
        out.append(clean(title).center(total).rstrip())
    out.append("┏" + "┳".join("━" * (w + 2) for w in widths) + "┓")
    out.append(line([(h, width(h)) for h in head], "┃", "┃"))
    out.append("┡" + "╇".join("━" * (w + 2) for w in widths) + "┩")
    out.extend(line(row, "│", "│") for row in sized)
    out.append("└" + "┴".join("─" * (w + 2) for w in widths) + "┘")
    return "\n".join(out) + "\n"


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table; pipes and newlines in cells are escaped."""

    def cell(value: Any) -> str:
        text = "" if value is None else clean(str(value))
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
    if result.explanation is not None:
        sys.stdout.write(explanation(result.explanation))
    warnings(result.warnings)


def explanation(why: Explanation) -> str:
    """``parse --explain`` as text: headings, items with their features, passed-over prose."""
    out = ["", "Headings (line: title -> reads as; what it did; title score and features)"]
    out += [
        f"  {h.line}: {clean(h.title)} -> {h.reads_as}; {h.outcome}; {h.score:+.1f} ({', '.join(h.features) or 'no feature'})"
        for h in why.headings
    ] or ["  (none)"]
    out += ["", "Items (line: how read, confidence, features)"]
    for item in why.items:
        features = ", ".join(item.features) or "no doubtful feature"
        out.append(f"  {item.line}: {item.how} under '{clean(item.section)}', {item.confidence:.2f} ({features})")
        out.append(f"      {_clip(clean(item.text), 90)}")
    if not why.items:
        out.append("  (none)")
    out += ["", "Passed over in action sections (line: reason)"]
    out += [f"  {s.line}: {s.reason}: {_clip(clean(s.text), 70)}" for s in why.skipped] or ["  (none)"]
    out += [
        "",
        f"Title decision (an action section when the score reaches the threshold): {why.title_weights.describe()}",
        f"Sentence decision (an item when the score reaches the threshold): {why.sentence_weights.describe()}",
        f"Confidence weights (log-odds): {why.weights.describe()}",
        "",
    ]
    return "\n".join(out)


def sync_outcome(outcome: Any, format: str) -> None:
    """Render ``remediate sync``: a summary line (and a plan table) or the JSON object."""
    if format == "json":
        emit_json_streamed(outcome.to_json(items=False), "items", (a.to_json() for a in outcome.plan.actions))
        return
    plan = outcome.plan
    shown = [a for a in plan.actions if a.kind != "unchanged" or a.failed or a.note]
    if shown:
        rows = [
            (
                a.item_id,
                a.kind + (" (adopted)" if a.adopted else ""),
                a.ref.key if a.ref else "",
                _clip(a.text),
                a.failed or a.note or ", ".join(sorted(a.changed)),
            )
            for a in shown
        ]
        title = (
            f"Plan for {plan.tracker} (dry run: nothing written)" if outcome.dry_run else f"Synced to {plan.tracker}"
        )
        table(title, ["item", "action", "ticket", "text", "note"], rows)
    counts = plan.summary()
    verb = "would be" if outcome.dry_run else ""
    # adopted (found by marker) and missing (deleted or moved on the tracker) show when they happen.
    parts = ", ".join(f"{n} {k}" for k, n in counts.items() if n or k not in ("adopted", "missing"))
    sys.stdout.write(
        f"{len(plan.documents)} postmortem(s), {len(plan.actions)} item(s): {parts}{' ' + verb if verb else ''}\n"
    )
    if outcome.state_changes:
        sys.stdout.write(f"{len(outcome.state_changes)} ticket state change(s) brought back\n")
    for path in outcome.written_back:
        sys.stdout.write(f"wrote ticket references into {path}\n")
    warnings(outcome.warnings)


def state_changes(changes: Sequence[Any], format: str) -> None:
    """Render the state changes a refresh brought back."""
    if format == "json":
        emit_json({"state_changes": [vars(c) for c in changes]})
        return
    if changes:
        table(
            "Ticket state changes",
            ["item", "ticket", "was", "now"],
            [(c.item_id, c.key, c.old, c.missing or c.new) for c in changes],
        )
    sys.stdout.write(f"{len(changes)} state change(s)\n")


def status(totals: Sequence[Any], items: Sequence[Any] | None, format: str, gone: Sequence[Any] = ()) -> None:
    """Render ``remediate status``; ``gone`` are items whose ticket was deleted or moved (a warning)."""
    if format == "json":
        data: dict[str, Any] = {"postmortems": [t.to_json() for t in totals]}
        if items is not None:
            data["items"] = [i.to_json() for i in items]
        emit_json(data)
        return
    if not totals:
        sys.stdout.write("nothing synced yet: run `remediate sync PATH`\n")
        return
    table(
        "Remediation status",
        ["postmortem", "items", "done", "not doing", "open", "overdue", "removed", "complete"],
        [
            (
                t.title or t.id,
                t.items,
                t.done,
                t.not_doing,
                t.open,
                t.overdue,
                t.removed,
                "-" if t.percent_complete is None else f"{t.percent_complete:g}%",
            )
            for t in totals
        ],
    )
    if items is not None:
        table(
            "Items",
            ["item", "postmortem", "text", "owner", "due", "state", "ticket"],
            [
                (
                    i.id,
                    i.postmortem_id,
                    _clip(i.text),
                    i.owner,
                    i.due,
                    i.state + (" OVERDUE" if i.overdue else "") + (" (removed)" if i.removed else ""),
                    f"{i.key} ({i.missing})" if i.missing else i.key,
                )
                for i in items
            ],
        )
    if gone:
        shown = ", ".join(f"{i.key} ({i.missing})" for i in gone[:10]) + (" ..." if len(gone) > 10 else "")
        warnings(
            [
                f"{len(gone)} item(s) have a ticket that is gone from the tracker: {shown}; "
                "their state is the last one read (see `remediate audit` drift)"
            ]
        )


def _clip(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

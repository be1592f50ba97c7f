"""From placed blocks to raw items: list items, table rows and action sentences.

Rule 3 (lists): every list item is an item, except one that only introduces
sub-items ("Monitoring:" with children, ``* **Tasks to Address the Issue:**``
with lazy lines under it): its children (or its lines) are the items and its
label is their section. Rule 4 (prose): in a region made of lists or tables,
prose is intro or closing text unless it is an imperative or an explicit
"Action item:" paragraph; in a region of prose only, each unit is read for
the distinct actions it states (see ``prose``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial

from remediate.parsing import prose, tables, vocabulary
from remediate.parsing.blocks import ListItem, Paragraph, Table
from remediate.parsing.refs import ANY_URL, Ref, from_url, reference
from remediate.parsing.sections import Context, InlineText, Outline, Placed
from remediate.parsing.text import Chunk, Line, strip_markdown, words
from remediate.parsing.titles import (
    ACTION,
    UNKNOWN,
    HeadingFacts,
    classify_title,
    heading_facts,
    only_title_words,
    section_name,
)

_METADATA_LINE = re.compile(
    rf"^\s*(?:\*\*|__)?(?P<name>{vocabulary.alternation(tuple(n for ns in vocabulary.FIELD_LABELS.values() for n in ns))})"
    r"(?:\*\*|__)?\s*[:：]",
    re.I,
)
_LABELLED = re.compile(r"^\s*+(?:\*\*|__)?\s*+(?:action\s+(?:items?|points?)|ai|todo|to-do)\s*+[:：]", re.I)
# "Action point: create a mailing list ..." marks one item wherever it stands, as an "Action
# Item" table does; "TODO: ..." outside an action section is a note to self, not an item.
_ONE_ITEM = re.compile(r"^\s*+(?:\*\*|__)?\s*+(?P<marker>action\s+(?:item|point))\s*+(?:\*\*|__)?\s*+[:：]\s*+\S", re.I)
# "{{ summary }} [link to github issue]": a template's slot nobody filled in.
_UNFILLED = re.compile(r"^\s*\{\{\s*[\w-]+(?:\s+[\w-]+)?\s*\}\}\s*(?:\[[^\[\]]*\]\]?)?\s*$")
# "**Immediate Fixes:** Rolled back ...": a bold title, its colon, then text.
_TITLED_BULLET = re.compile(r"^(\*\*|__)(?P<title>[^*_:：\n]{2,60}?)\s*(?:[:：]\1|\1\s*[:：])\s+(?=\S)")
_BOLD_ONLY = re.compile(r"^(\*\*|__)(?:(?!\1).)+\1\s*[:：]?$")


@dataclass
class RawItem:
    """An item before its fields are read: raw Markdown with offsets, and what its context says."""

    kind: str  # list | checkbox | table | prose
    raw: Chunk
    section: str
    facts: HeadingFacts
    done: bool | None = None  # from a checkbox or a status column
    owner: str | None = None
    due: date | None = None
    priority: str | None = None
    ref: Ref | None = None
    row_span: tuple[int, int] | None = None  # a table row's whole line
    table_cell: bool = False
    notes: list[str] = field(default_factory=list)  # metadata sub-items ("Owner: @alice")
    opened_by: str = "heading"  # how its section was opened (explain.OPENERS)
    prose_kind: str | None = None  # how a prose item states its action (prose.action_kind)


_MARKS = vocabulary.DONE_MARKS + vocabulary.OPEN_MARKS
_MARK = re.compile(rf"[{_MARKS}]\ufe0f?")


def split_marked(raw: Chunk) -> list[Chunk]:
    """ "✅ Implement a pipeline ✅ Enable monitoring": one item per check mark that leads text.

    Only a line whose text starts with a mark is split, at every later mark that follows a space;
    each part keeps its mark (it states that part's state) and must hold two words.
    """
    text = raw.text
    lead = len(text) - len(text.lstrip())
    if not _MARK.match(text, lead):
        return [raw]
    cuts = [m.start() for m in _MARK.finditer(text, lead + 1) if text[m.start() - 1].isspace()]
    if not cuts:
        return [raw]
    bounds = [lead, *cuts, len(text)]
    parts = [raw.sub(a, b).strip() for a, b in zip(bounds, bounds[1:], strict=False)]
    if any(len(words(strip_markdown(_MARK.sub(" ", part.text)))) < 2 for part in parts):
        return [raw]
    return parts


def label_of(item: ListItem) -> str | None:
    """The label of a list item that only introduces what follows it, else None."""
    if item.checkbox is not None or not (item.children or item.more):
        return None
    raw = item.first.text.strip()
    plain = strip_markdown(raw).strip()
    if not plain:
        return None
    if plain.endswith((":", "：")) and len(words(plain)) <= 14:
        return plain
    if _BOLD_ONLY.match(raw) and item.children and len(words(plain)) <= 8:
        # "**Add a backup ISP**" over "- Description: ..." (or Owner:, Due: ...) is an item with
        # its notes, not a label over items.
        if not all(_METADATA_LINE.match(child.first.text) for child in item.children):
            return plain
    if item.children and not item.more and len(words(plain)) <= 3 and plain[-1].isalnum():
        if prose.action_kind(plain) != prose.IMPERATIVE:
            return plain  # "Monitoring" over its sub-items; "Improve handoffs" is an item itself
    return None


def _level(item: ListItem) -> int:
    """Identifies the list an item belongs to (its parent), for sibling labels."""
    return id(item.parent) if item.parent is not None else 0


def _introduces_siblings(item: ListItem, following: object) -> bool:
    """A short "Label:" item without children, followed by a sibling item, labels its siblings.

    So does an item that is only a section title ("o<TAB>Prevention" in a word processor's
    export), as a bare title line is a heading (LABELING.md conventions).
    """
    if item.checkbox is not None or item.children or item.more or _UNFILLED.match(item.first.text):
        return False
    if not (isinstance(following, ListItem) and following.parent is item.parent):
        return False
    plain = strip_markdown(item.first.text).strip()
    if plain.endswith((":", "：")):
        return len(words(plain)) <= 14
    return len(words(plain)) <= 6 and only_title_words(plain) and classify_title(plain) != UNKNOWN


def _labels_paragraphs(item: ListItem, following: object) -> bool:
    """A short "Label:" bullet alone, followed by a paragraph (not a sibling item), labels it."""
    if item.checkbox is not None or item.children or item.more or not isinstance(following, Paragraph):
        return False
    plain = strip_markdown(item.first.text).strip()
    return plain.endswith((":", "：")) and len(words(plain)) <= 6


def _is_action_label(text: str) -> bool:
    """A short line such as "To-do:" or "**Follow-ups:**" that names an action section."""
    plain = strip_markdown(text).strip()
    return plain.endswith((":", "：")) and len(words(plain)) <= 8 and classify_title(plain) == ACTION


def _label_section(label: str, fallback: str) -> str:
    name = section_name(label)
    return name if len(words(name)) <= 10 else fallback


def _cell_text(cells: Sequence[Chunk], index: int | None) -> str:
    return cells[index].text if index is not None and index < len(cells) else ""


def _is_bare_url(text: str) -> bool:
    stripped = strip_markdown(text).strip("<>() ")
    return bool(ANY_URL.fullmatch(stripped))


def _names_no_work(text: str) -> bool:
    """A bullet that states no work: a placeholder ("N/A"), no words and no ticket, an unfilled
    template slot, or a link to read ("- https://medium.com/@me/my-write-up"; a ticket's URL names
    its work, as "- #2127" under follow-ups does)."""
    if _is_bare_url(text):
        return from_url(strip_markdown(text).strip("<>() ")) is None
    wordless = not re.search(r"[^\W\d_]", text) and reference(strip_markdown(text)) is None
    return tables.no_value(text) or wordless or _UNFILLED.match(text) is not None


def _column_values(table: Table) -> set[str]:
    """The short values of an action table's columns other than the action (lower case)."""
    cols = tables.columns(table.header, [[c.text for c in row.cells] for row in table.rows])
    if cols.action is None:
        return set()
    values: set[str] = set()
    for row in table.rows:
        for index, cell in enumerate(row.cells):
            value = strip_markdown(cell.text).strip().casefold()
            if index != cols.action and value and len(value.split()) <= 2:
                values.add(value)
    return values


# "* Prevent - Prevent similar issues ...", "* **P0**: Critical for ...": a term, then its meaning.
_DEFINED_TERM = re.compile(r"^\s*+(?:\*\*|__)?(?P<term>[\w-]{1,20})(?:\*\*|__)?\s*+(?:[-–—]|[:：])\s")


# Items that speak of the postmortem itself: "Sections above are filled out", "All action items
# above have linked issues", "After-action report is cleaned up", "Postmortem reviewed".
_OF_THE_DOCUMENT = re.compile(
    r"\b(?:above|below|this (?:document|report|page|post-?mortem)|(?:after-action|incident) report"
    r"|post-?mortem|sections?|template|filled (?:out|in))\b",
    re.I,
)


def _document_checklists(placed: Sequence[Placed]) -> set[int]:
    """The top-level checkbox items of runs (3 or more, one section) most of whose items speak of
    the document: a template's closing checklist for its author, not corrective work."""
    found: set[int] = set()
    run: list[ListItem] = []

    def close() -> None:
        if len(run) >= 3 and 2 * sum(bool(_OF_THE_DOCUMENT.search(i.first.text)) for i in run) >= len(run):
            found.update(id(i) for i in run)
        run.clear()

    line: int | None = None
    for one in placed:
        block = one.block
        if isinstance(block, ListItem) and block.parent is None and block.checkbox is not None:
            here = one.context.line if one.context is not None else None
            if run and here != line:
                close()
            line = here
            run.append(block)
        elif not (isinstance(block, ListItem) and block.parent is not None):
            close()
    close()
    return found


class _Extractor:
    def __init__(self, outline: Outline, incident_date: date | None) -> None:
        self.outline = outline
        self.incident_date = incident_date
        self.items: list[RawItem] = []
        # Prose in action sections that states no item, for --explain: (offset, text, reason).
        # (The reason is worked out only if asked for: most parses are not explained.)
        self.skipped: list[tuple[int, str, str | Callable[[], str]]] = []
        self.by_list_item: dict[int, RawItem] = {}
        # Prose is read strictly (imperatives only) where it sits beside lists or tables: in a
        # (sub-)section that has one, or directly under the heading of a region that has one.
        self.sibling_labels: dict[int, str] = {}  # list level -> label of a sibling above
        # The last prose item and its section line: an "Owner: X" / "Due Date: Y" line right
        # after it is its metadata, as a metadata sub-bullet is for a list item.
        self.last_prose: tuple[RawItem, int] | None = None
        self.listed_sections: set[int] = set()
        self.listed_regions: set[int] = set()
        # Per region, the values of an action table's other columns ("Prevent", "P0"): a list
        # whose items define them ("* P0 - Critical for the release") is the table's legend.
        self.legend_terms: dict[int, set[str]] = {}
        self.checklist = _document_checklists(outline.placed)
        self.paragraph_label: tuple[str, int | None] | None = None  # (label, its section line)
        # "* Thorough Testing:" bullets over a paragraph each: labels, not items (see run).
        self.paragraph_labels = {
            id(placed.block)
            for placed, following in zip(outline.placed, outline.placed[1:], strict=False)
            if isinstance(placed.block, ListItem) and _labels_paragraphs(placed.block, following.block)
        }
        for placed in outline.placed:
            if id(placed.block) in self.paragraph_labels:
                continue  # a label over paragraphs: its section holds prose, not a list
            block = placed.block
            if (
                isinstance(block, ListItem)
                and "://" in block.first.text
                and not block.children
                and not block.more
                and _is_bare_url(block.first.text)
            ):
                continue  # "- https://github.com/o/r/issues/7": a reference, no list the prose sits beside
            if placed.context is not None and isinstance(block, ListItem | Table):
                self.listed_sections.add(placed.context.line)
                self.listed_regions.add(placed.context.region)
            if placed.context is not None and isinstance(placed.block, Table):
                self.legend_terms.setdefault(placed.context.region, set()).update(_column_values(placed.block))

    def run(self) -> list[RawItem]:
        placed_blocks = self.outline.placed
        heading_line: int | None = None
        for index, placed in enumerate(placed_blocks):
            block = placed.block
            line = placed.context.line if placed.context is not None else None
            # A label over sibling items holds until something else comes, a new heading included.
            if not isinstance(block, ListItem) or line != heading_line:
                self.sibling_labels.clear()
            heading_line = line
            if not isinstance(block, Paragraph | InlineText):
                self.last_prose = None
            if not isinstance(block, Paragraph) or line != (self.paragraph_label or ("", None))[1]:
                self.paragraph_label = None
            if isinstance(block, ListItem):
                following = placed_blocks[index + 1].block if index + 1 < len(placed_blocks) else None
                if line is not None and id(block) in self.paragraph_labels:
                    # "* Thorough Testing:", a blank line, then a paragraph: the bullet is that
                    # paragraph's label, as a sub-heading would be (LABELING.md 026/027).
                    self.paragraph_label = (strip_markdown(block.first.text).strip(), line)
                    continue
                if _introduces_siblings(block, following):
                    # "- A List Of Tasks To Address The Issue:" over unindented sibling bullets.
                    self.sibling_labels[_level(block)] = strip_markdown(block.first.text)
                    continue
                self.list_item(block, placed)
            elif isinstance(block, Table):
                self.table(block, placed)
            elif placed.context is None:
                if isinstance(block, Paragraph) and (marked := _ONE_ITEM.match(block.lines[0].text)):
                    name = section_name(marked["marker"])
                    context = Context(name, HeadingFacts(), -1, block.lines[0].number, opened_by="label")
                    self.paragraph(block, context)
                continue
            elif isinstance(block, Paragraph):
                context = placed.context
                if self.paragraph_label is not None:
                    context = replace(context, section=section_name(self.paragraph_label[0]))
                self.paragraph(block, context)
            elif isinstance(block, InlineText):
                self.prose_unit(block.chunk, placed.context, strict=False)
        return self.items

    # -- lists ------------------------------------------------------------------------------

    def _labels(self, item: ListItem) -> Iterator[str]:
        """Labels over an item, nearest first: a label sibling above it, then labelling parents."""
        node: ListItem | None = item
        while node is not None:
            sibling = self.sibling_labels.get(_level(node))
            if sibling is not None:
                yield sibling
            parent = node.parent
            if parent is not None and (label := label_of(parent)) is not None:
                yield label
            node = parent

    def list_item(self, item: ListItem, placed: Placed) -> None:
        context = placed.context
        if id(item) in self.checklist:
            reason = "the postmortem's own checklist (its items speak of the document), not corrective work"
            self.skipped.append((item.first.offsets[0] if item.first.offsets else 0, item.first.text, reason))
            return
        labels = list(self._labels(item))
        if context is None:
            # Outside action sections only a label such as "* **Tasks to Address the Issue:**"
            # opens one for the items under it.
            outer = next((lbl for lbl in labels if classify_title(lbl) == ACTION), None)
            own = label_of(item)
            if own is not None and classify_title(own) == ACTION:
                context = Context(section_name(own), HeadingFacts(), -1, item.line.number, opened_by="label")
                self.label_lines(item, context, own)
                return
            titled = _TITLED_BULLET.match(item.first.text) if not item.children else None
            if outer is None and titled and not placed.in_other and classify_title(titled["title"]) == ACTION:
                # "- **Remedial Actions**: I am going to limit ...": an action title with its
                # item inline, as a "Title: text" line outside a section is (LABELING.md 021).
                outer = titled["title"]
            if outer is None:
                return
            context = Context(section_name(outer), HeadingFacts(), -1, item.line.number, opened_by="label")
        own = label_of(item)
        if own is not None:
            self.label_lines(item, context, own, labels)
            return
        term = _DEFINED_TERM.match(item.first.text)
        if term and term["term"].casefold() in self.legend_terms.get(context.region, ()):
            return  # the legend of the region's action table, not an item
        parent_item = self.by_list_item.get(id(item.parent)) if item.parent is not None else None
        if parent_item is not None and _METADATA_LINE.match(item.first.text) and not item.children:
            parent_item.notes.append(item.first.text)  # "- Owner: @alice" under its item
            return
        if parent_item is not None and not item.children and not item.more and _is_bare_url(item.first.text):
            # "  - https://github.com/o/r/issues/7" under its item: the item's follow-up issue, no item
            # of its own (it states nothing); a ticket URL is the item's ticket if it names none.
            parent_item.ref = parent_item.ref or from_url(strip_markdown(item.first.text).strip("<>() "))
            return
        section, facts = self._under_labels(context, labels)
        first = item.first
        titled = _TITLED_BULLET.match(first.text) if not item.children else None
        if titled and (
            (only_title_words(titled["title"]) and classify_title(titled["title"]) != UNKNOWN)
            or (context.opened_by == "label" and section_name(titled["title"]) == context.section)
        ):
            # "* **Immediate Fixes:** Rolled back X" beside "* **Preventative Measures:**" over
            # its children: a section title with its one item inline, as "Title: text" is.
            section = section_name(titled["title"])
            first = first.sub(titled.end(), len(first.text)).strip()
        parts = [first]
        for _line, chunk, _lazy in item.more:
            # A bare URL line under an item (a blog link) is not wording; a ticket URL is its ticket.
            url = strip_markdown(chunk.text).strip("<>() ")
            if _is_bare_url(chunk.text) and from_url(url) is None:
                continue
            parts.append(chunk)
        raw = Chunk.join(parts)
        if _names_no_work(raw.text):
            return
        done = None if item.checkbox is None else item.checkbox == "x"
        kind = "list" if item.checkbox is None else "checkbox"
        for part in split_marked(raw):
            raw_item = RawItem(kind, part, section, facts, done=done, opened_by=context.opened_by)
            self.items.append(raw_item)
            self.by_list_item[id(item)] = raw_item

    def _under_labels(self, context: Context, labels: Sequence[str]) -> tuple[str, HeadingFacts]:
        if not labels:
            return context.section, context.facts
        section = _label_section(labels[0], context.section)
        facts = context.facts
        for label in reversed(labels):
            own = heading_facts(label, self.incident_date)
            facts = HeadingFacts(
                own.priority or facts.priority,
                own.done if own.done is not None else facts.done,
                own.due or facts.due,
                own.owner or facts.owner,
            )
        return section, facts

    def label_lines(self, item: ListItem, context: Context, label: str, outer: Sequence[str] = ()) -> None:
        """The lines under a label-only item (indented or lazy) are its items, one per unit.

        A line among them that is itself an action label ("To-do:") heads the lines after it.
        """
        section, facts = self._under_labels(context, [label, *outer])
        sub = Context(section, facts, context.region, item.line.number, opened_by=context.opened_by)
        group: list[Line] = []
        for line, chunk, _lazy in item.more:
            if _is_bare_url(chunk.text):
                continue
            if _is_action_label(chunk.text):
                self._prose_lines(group, sub)
                group = []
                section, facts = self._under_labels(context, [chunk.text, label, *outer])
                sub = Context(section, facts, context.region, line.number, opened_by=context.opened_by)
                continue
            group.append(line)
        self._prose_lines(group, sub)

    def _prose_lines(self, lines: Sequence[Line], context: Context) -> None:
        for unit in prose.units(lines):
            self.prose_unit(unit, context, strict=False)

    # -- tables -----------------------------------------------------------------------------

    def table(self, table: Table, placed: Placed) -> None:
        context = placed.context
        cols = tables.columns(table.header, [[c.text for c in row.cells] for row in table.rows])
        if cols.action is None:
            return
        if context is None:
            # "| Action Item | Owner |" is an action table wherever it stands, under "Resolution"
            # too; its section is the heading above it (LABELING.md conventions).
            if not tables.is_action_table(table.header):
                return
            name = section_name(placed.heading) if placed.heading else section_name(table.header[cols.action])
            context = Context(name, HeadingFacts(), -1, table.line.number, opened_by="label")
        base = self.incident_date
        for row in table.rows:
            cells = row.cells
            if cols.action >= len(cells) or tables.no_value(cells[cols.action].text):
                continue
            if re.fullmatch(r"[\s:|-]*", row.line.text):
                continue
            cell = partial(_cell_text, cells)

            done = tables.cell_done(cell(cols.status)) if cols.status is not None else None
            ticket_text = cell(cols.ticket)
            if done is None and ticket_text:
                done = tables.cell_done(ticket_text)
            notes_text = cell(cols.notes)
            if done is None and len(words(notes_text)) <= 2:
                done = tables.cell_done(notes_text)  # a Notes cell that only says "Done"
            ref = tables.cell_ticket(ticket_text) if ticket_text else None
            ref = ref or tables.link_ticket(cell(cols.type)) or tables.link_ticket(cell(cols.status))
            self.items.append(
                RawItem(
                    "table",
                    cells[cols.action],
                    context.section,
                    context.facts,
                    done=done,
                    owner=tables.cell_owner(cell(cols.owner)) if cols.owner is not None else None,
                    due=tables.cell_due(cell(cols.due), base) if cols.due is not None else None,
                    priority=tables.cell_priority(cell(cols.priority)) if cols.priority is not None else None,
                    ref=ref,
                    row_span=(row.line.start, row.line.end),
                    table_cell=True,
                    opened_by=context.opened_by,
                )
            )

    # -- prose ------------------------------------------------------------------------------

    def paragraph(self, paragraph: Paragraph, context: Context) -> None:
        strict = context.line in self.listed_sections or (
            context.line == context.root_line and context.region in self.listed_regions
        )
        if _LABELLED.match(paragraph.lines[0].text):
            # "**Action item:** Start incidents earlier. We should ..." is one item, up to the next
            # line that is labelled the same way ("TODO: X" / "TODO: Y" on consecutive lines).
            groups: list[list[Line]] = []
            for line in paragraph.lines:
                if _LABELLED.match(line.text) or not groups:
                    groups.append([])
                groups[-1].append(line)
            for group in groups:
                unit = Chunk.join(Chunk.of_line(line).strip() for line in group)
                self.items.append(RawItem("prose", unit, context.section, context.facts, opened_by=context.opened_by))
            return
        for unit in prose.units(paragraph.lines):
            self.prose_unit(unit, context, strict=strict)

    def prose_unit(self, unit: Chunk, context: Context, *, strict: bool) -> None:
        last = self.last_prose
        self.last_prose = None
        if _METADATA_LINE.match(unit.text):
            # "Owner: X" after a prose item is that item's; with no item before it, it is no item.
            if last is not None and last[1] == context.line:
                last[0].notes.append(unit.text)
                self.last_prose = last
            return
        # A note to the reader, or bare links (to the fix, to a ticket), state no action.
        if re.match(r"^\s*(?:\*|_)?\s*note\b", unit.text, re.I) or all(
            _is_bare_url(token) for token in unit.text.split()
        ):
            return
        found = prose.action_sentences(unit, strict=strict)
        if not found:
            offset = unit.offsets[0] if unit.offsets else 0
            self.skipped.append((offset, unit.text, partial(prose.why_not, unit, strict=strict)))
        for sentence in found:
            kind = prose.action_kind(sentence.text)
            item = RawItem(
                "prose", sentence, context.section, context.facts, opened_by=context.opened_by, prose_kind=kind
            )
            self.items.append(item)
            self.last_prose = (item, context.line)


def raw_items(
    outline: Outline, incident_date: date | None
) -> tuple[list[RawItem], list[tuple[int, str, str | Callable[[], str]]]]:
    """Every raw action item of the document, in document order, and the prose passed over."""
    extractor = _Extractor(outline, incident_date)
    return extractor.run(), extractor.skipped

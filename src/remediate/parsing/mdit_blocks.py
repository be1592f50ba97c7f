"""EXPERIMENT: the block layer on markdown-it-py, measured against the hand-written ``blocks``.

Not used by default. ``REMEDIATE_BLOCKS=mdit`` (read by ``parser.parse_text``) switches the
parser to it; benchmarks/block_layer.py compares the two on tests/corpus and
benchmarks/RESULTS.md ("Block layer: hand-written vs markdown-it-py") records the result.

Same output contract as :func:`blocks.scan` (a :class:`blocks.Scan` of Heading, ListItem,
Table, Paragraph and Directive blocks whose lines are the document's own ``Line`` objects),
built in three steps:

1. ``blocks.prepare`` (shared with the hand-written layer): directives, "<br>" lists, HTML
   documents.
2. markdown-it-py (CommonMark + GFM tables) reads the structure. A normalising pass then
   rewrites, on the lines markdown-it read as paragraph text only, what authors write that
   CommonMark does not read: ``##TODO``, list markers outside CommonMark (``*1.``, ``•``,
   ``o<TAB>``, ``1-``, ``(a)``, a bare ``[ ]``), an ordered item not numbered 1 after a
   paragraph line, and weak headings (bold lines, "Title:" lines, bare titles, glued to a
   paragraph or not), which become ATX headings. The recognisers are the hand-written layer's
   own (``atx_heading``, ``list_marker``, ``weak_heading``). When anything was rewritten
   markdown-it reads the text again.
3. A promotion pass turns tokens into blocks: a weak heading keeps the hand-written
   ``Heading``; a setext heading over several lines is a paragraph then a heading (a long or
   full-stop "-" setext title stays a paragraph); list items come from nested list tokens;
   tables from table tokens (cells split by ``blocks.split_cells`` for their offsets); HTML
   blocks are read line by line by the hand-written HTML functions, their non-tag lines as
   Markdown again; fences, indented code, block quotes and rules hold no blocks.

Every rewrite maps columns back to the original line, so each Chunk keeps document offsets.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from remediate.parsing import blocks
from remediate.parsing.blocks import (
    Block,
    Directive,
    Heading,
    ListItem,
    Paragraph,
    Scan,
    Table,
    TableRow,
    atx_heading,
    list_marker,
    split_cells,
    weak_heading,
)
from remediate.parsing.text import Chunk, Line, indent_width, strip_markdown
from remediate.parsing.titles import classify_title

_MD = MarkdownIt("commonmark").enable("table")
# A marker CommonMark reads as a list item.
_CM_MARKER = re.compile(r"^(?:[-*+]|\d{1,9}[.)])$")
_ORDERED = re.compile(r"^(\d{1,9})([.)])$")
_ATX_GLUED = re.compile(r"^(\s{0,3}#{1,6})(?=[^\s#])")
_PASSES = 3
_CODE = -1  # _paragraph_lines: an indented code block


def _reads_as_html(text: str) -> bool:
    """Whether the hand-written layer reads a line starting with a tag as HTML."""
    return bool(
        blocks._HTML_HEADING.match(text)
        or blocks._HTML_ITEM.match(text)
        or blocks._HTML_LI_OPEN.match(text)
        or blocks._HTML_PARAGRAPH.match(text)
        or blocks._HTML.match(text)
    )


@dataclass
class _Text:
    """The text markdown-it reads for a range of lines, and how its columns map back."""

    texts: list[str]
    # line index -> (length of the rewritten prefix, length of the original prefix it replaced)
    prefix: dict[int, tuple[int, int]] = field(default_factory=dict)
    weak: dict[int, Heading] = field(default_factory=dict)  # line index -> its weak heading

    def original_col(self, index: int, col: int) -> int:
        new, old = self.prefix.get(index, (0, 0))
        return old + max(col - new, 0)

    def rewrite(self, index: int, old: int, new: str) -> None:
        """Replace the first ``old`` characters of line ``index`` (as it reads now) by ``new``."""
        current = self.texts[index]
        self.texts[index] = new + current[old:]
        self.prefix[index] = (len(new), self.original_col(index, old))


@dataclass
class _Open:
    """A list item whose tokens are open: its block (None when it only wraps a same-line list)."""

    level: int
    line: int
    col: int  # the column (in the read text) where its content starts
    item: ListItem | None


def _paragraph_lines(tokens: Sequence[Token], code: bool) -> list[tuple[int, int, int | None]]:
    """(first line, end line, first line of the list item it is in or None) of each paragraph
    outside block quotes, as markdown-it read them; with ``code``, also each indented code block
    outside lists (marked ``_CODE``)."""
    found: list[tuple[int, int, int | None]] = []
    quotes = 0
    items: list[tuple[int, int]] = []  # (level, first line) of open list items
    for token in tokens:
        kind = token.type
        if kind == "blockquote_open":
            quotes += 1
        elif kind == "blockquote_close":
            quotes -= 1
        elif kind == "list_item_open" and token.map:
            items.append((token.level, token.map[0]))
        elif kind == "list_item_close" and items:
            items.pop()
        elif kind == "paragraph_open" and token.map and not quotes:
            inside = items[-1][1] if items and items[-1][0] == token.level - 1 else None
            found.append((token.map[0], token.map[1], inside))
        elif kind == "code_block" and token.map and code and not quotes and not items:
            found.append((token.map[0], token.map[1], _CODE))
    return found


class _Reader:
    def __init__(
        self, lines: Sequence[Line], extra: Sequence[str], directives: dict[int, list[str]], *, dedent: bool = True
    ) -> None:
        self.lines = lines
        self.dedent = dedent  # read indented code as text (as the hand-written layer does)
        self.stats: Counter[str] = Counter()  # what the normalising pass rewrote, for the benchmark
        self.extra = extra
        self.directives = deque(sorted((n, k) for n, kinds in directives.items() for k in kinds))
        self.blocks: list[Block] = []
        self.labels: dict[str, str] = {}
        # The hand-written layer's HTML functions, writing into the same block list.
        self.html = blocks._Scanner(lines, extra)
        self.html.blocks = self.blocks
        self.skip_until = 0  # lines before it were read already (an HTML item's lines)
        self.reading: list[tuple[int, int]] = []  # the line ranges being read, innermost last

    # -- normalising pass ---------------------------------------------------------------------

    def read(self, lo: int, hi: int) -> None:
        """Read lines ``[lo, hi)`` into blocks."""
        self.reading.append((lo, hi))
        text = _Text([self.lines[i].text.replace("\r", " ") for i in range(lo, hi)])
        self._before(text, lo)
        env: dict[str, object] = {}
        tokens = _MD.parse("\n".join(text.texts), env)
        # A rewrite can uncover more ("Summary:" made a heading leaves the indented list under
        # it as code): read again until nothing changes, a few times at most.
        for _ in range(_PASSES):
            if not self._normalise(text, tokens, lo):
                break
            env = {}
            tokens = _MD.parse("\n".join(text.texts), env)
        references = env.get("references")
        if isinstance(references, dict):
            for label, target in references.items():
                if isinstance(target, dict):
                    self.labels.setdefault(str(label).casefold(), str(target.get("href", "")))
        self._walk(tokens, text, lo)
        self.reading.pop()

    def _before(self, text: _Text, lo: int) -> None:
        """What markdown-it would misread before any structure is known: reStructuredText ("~~~~"
        under a title is no fence, a directive line is markup), and a line starting with a tag
        the hand-written layer does not read as HTML ("<strong>Impact:</strong>"), which is text."""
        for i, raw in enumerate(text.texts):
            if "~~~~" in raw and blocks._rst_underline(self.lines, lo + i):
                text.texts[i] = " " * len(raw)
                self.stats["rst underline"] += 1
            elif raw.lstrip().startswith("..") and blocks._RST_DIRECTIVE.match(raw):
                text.texts[i] = " " * len(raw)
                self.stats["rst directive"] += 1
            elif raw.lstrip().startswith("<") and not _html_line(raw):
                at = raw.index("<")
                text.rewrite(i, at, raw[:at] + "\\")
                self.stats["tag line read as text"] += 1

    def _dedent(self, text: _Text, first: int, end: int) -> bool:
        """Indented lines markdown-it read as code: text to the hand-written layer (plain-text
        documents indent paragraphs, lists and centred titles), unindented by their common
        indent and normalised like paragraph text."""
        body = [i for i in range(first, end) if text.texts[i].strip()]
        if not body:
            return False
        cut = min(len(text.texts[i]) - len(text.texts[i].lstrip(" \t")) for i in body)
        for i in body:
            text.rewrite(i, cut, "")
        self.stats["indented code read as text"] += 1
        return True

    def _normalise(self, text: _Text, tokens: Sequence[Token], lo: int) -> bool:
        changed = False
        for first, end, item_line in _paragraph_lines(tokens, self.dedent):
            item_indent = indent_width(text.texts[item_line]) if item_line is not None else None
            if item_line == _CODE:
                if not self._dedent(text, first, end):
                    continue
                changed = True
                item_indent = item_line = None
            for i in range(first, end):
                if i == item_line or not text.texts[i].strip():
                    continue  # the item's own line
                top = item_indent is None and (i == first or not text.texts[i - 1].strip())
                changed |= self._rewrite(text, i, lo, item_indent, top=top)
        return changed

    def _rewrite(self, text: _Text, i: int, lo: int, item_indent: int | None, top: bool) -> bool:
        """Rewrite line ``i`` to the CommonMark form of what it is to its author, if it is one."""
        raw = text.texts[i]
        line = self.lines[lo + i]
        if "#" in raw and (glued := _ATX_GLUED.match(raw)) and atx_heading(line, self.extra):
            text.rewrite(i, glued.end(), glued.group(1) + " ")
            self.stats["atx without space"] += 1
            return True
        if marker := list_marker(raw):
            kind = _rewrite_marker(text, i, marker)
            if kind:
                self.stats[kind] += 1
            return bool(kind)
        if item_indent is not None and line.indent > item_indent:
            return False  # an indented line goes on the item
        isolated = top and self._isolated(lo + i)
        if heading := weak_heading(line, self.extra, isolated=isolated):
            text.rewrite(i, len(raw) - len(raw.lstrip()), "# ")
            text.weak[i] = heading
            self.stats[f"weak heading ({heading.kind})"] += 1
            return True
        return False

    def _isolated(self, index: int) -> bool:
        lines = self.lines
        return (index == 0 or lines[index - 1].blank) and (index + 1 >= len(lines) or lines[index + 1].blank)

    # -- promotion pass -----------------------------------------------------------------------

    def emit(self, block: Block) -> None:
        first = _first_line(block)
        while self.directives and self.directives[0][0] <= first.number:
            self.blocks.append(Directive(self.directives.popleft()[1], first))
        self.blocks.append(block)

    def _walk(self, tokens: Sequence[Token], text: _Text, lo: int) -> None:  # noqa: C901 - one dispatch on the token type
        opened: list[_Open] = []
        quotes = 0
        index = 0
        while index < len(tokens):
            token = tokens[index]
            kind = token.type
            index += 1
            if token.map and lo + token.map[0] < self.skip_until and token.nesting >= 0:
                index = _close(tokens, index - 1) if token.nesting == 1 else index
                continue
            if kind == "blockquote_open":
                quotes += 1
            elif kind == "blockquote_close":
                quotes -= 1
            elif quotes:
                continue
            elif kind == "list_item_open" and token.map:
                opened.append(self._item(tokens, index - 1, text, lo, opened))
            elif kind == "list_item_close" and opened:
                opened.pop()
            elif kind == "paragraph_open" and token.map:
                self._paragraph(token, lo, opened)
            elif kind == "heading_open" and token.map:
                if not (opened and opened[-1].line == token.map[0]):  # "- # Title" is the item's text
                    self._heading(token, tokens[index], text, lo)
            elif kind == "table_open" and token.map:
                index = self._table(tokens, index, lo)
            elif kind == "code_block" and token.map and opened and opened[-1].item is not None and self.dedent:
                item = opened[-1].item
                for line in self.lines[lo + token.map[0] : lo + token.map[1]]:
                    if not line.blank:
                        item.more.append((line, Chunk.of_line(line).strip(), False))
            elif kind == "html_block" and token.map:
                self._html(lo + token.map[0], lo + token.map[1])

    def _item(self, tokens: Sequence[Token], at: int, text: _Text, lo: int, opened: list[_Open]) -> _Open:
        token = tokens[at]
        assert token.map is not None
        i = token.map[0]
        same = opened[-1] if opened and opened[-1].line == i else None
        raw = text.texts[i]
        col = same.col if same is not None else len(raw) - len(raw.lstrip(" \t"))
        marker = token.info + token.markup
        if raw.startswith(marker, col):
            col += len(marker)
        while col < len(raw) and raw[col] in " \t":
            col += 1
        follower = tokens[at + 1] if at + 1 < len(tokens) else None
        nested_here = (
            follower is not None
            and follower.type in ("bullet_list_open", "ordered_list_open")
            and follower.map is not None
            and follower.map[0] == i
        )
        parent = next((o.item for o in reversed(opened) if o.item is not None), None)
        if nested_here:
            # "- 1. Script the setup": a bullet and a number, one item (its inner list's).
            return _Open(token.level, i, col, None)
        line = self.lines[lo + i]
        start = text.original_col(i, col)
        checkbox = None
        if box := blocks._CHECKBOX.match(line.text, start):
            checkbox = "x" if box.group(1) != " " else " "
            start = box.end()
        indent = indent_width(line.text)
        item = ListItem(line, indent, start, token.info + token.markup, checkbox, Chunk.of_line(line, start).strip())
        if parent is not None:
            item.parent = parent
            parent.children.append(item)
        self.emit(item)
        return _Open(token.level, i, col, item)

    def _paragraph(self, token: Token, lo: int, opened: list[_Open]) -> None:
        assert token.map is not None
        first, end = token.map
        owner = opened[-1] if opened and opened[-1].level == token.level - 1 else None
        if owner is not None and owner.item is None:
            return  # a wrapper's text is its inner item's
        if owner is not None and owner.item is not None:
            item = owner.item
            for i in range(first, end):
                if i != owner.line:
                    line = self.lines[lo + i]
                    item.more.append((line, Chunk.of_line(line).strip(), line.indent <= item.indent))
            return
        self.emit(Paragraph(list(self.lines[lo + first : lo + end])))

    def _heading(self, token: Token, inline: Token, text: _Text, lo: int) -> None:
        assert token.map is not None
        first, end = token.map
        if first in text.weak:
            self.emit(text.weak[first])
            return
        if token.markup in ("=", "-"):
            title_lines = list(self.lines[lo + first : lo + end - 1])
            title = title_lines[-1].text.strip()
            if token.markup == "-" and (len(title.split()) > 10 or title.endswith(".")):
                self.emit(Paragraph(title_lines))
                return
            if len(title_lines) > 1:
                self.emit(Paragraph(title_lines[:-1]))
            level = 1 if token.markup == "=" else 2
            self.emit(Heading("setext", level, title, title_lines[-1], classify_title(title, self.extra)))
            return
        line = self.lines[lo + first]
        heading = atx_heading(line, self.extra)
        if heading is None:
            title = inline.content.strip()
            heading = Heading("atx", int(token.tag[1:]), title, line, classify_title(title, self.extra))
        self.emit(heading)

    def _table(self, tokens: Sequence[Token], index: int, lo: int) -> int:
        opener = tokens[index - 1]
        assert opener.map is not None
        header_line = self.lines[lo + opener.map[0]]
        rows: list[TableRow] = []
        in_body = False
        while index < len(tokens) and tokens[index].type != "table_close":
            token = tokens[index]
            if token.type == "tbody_open":
                in_body = True
            elif token.type == "tr_open" and in_body and token.map:
                line = self.lines[lo + token.map[0]]
                rows.append(TableRow(line, split_cells(line)))
            index += 1
        header = [strip_markdown(cell.text) for cell in split_cells(header_line)]
        self.emit(Table(header, rows, header_line))
        return index + 1

    def _html(self, lo: int, hi: int) -> None:
        """An HTML block: its tag lines as the hand-written layer reads them (headings, items,
        paragraphs, else nothing), its other lines as Markdown."""
        index = lo
        lines = self.lines
        while index < hi:
            line = lines[index]
            if line.blank:
                index += 1
                continue
            if not _html_line(line.text):
                end = index + 1
                while end < hi and not _html_line(lines[end].text):
                    end += 1
                if (index, end) != self.reading[-1]:  # else markdown-it would read it as HTML again
                    self.read(index, end)
                index = end
                continue
            if line.text.lstrip().startswith("<!--"):
                index += 1
                continue
            before = len(self.blocks)
            after = self.html.html_block(index, True)
            self._directives_before(before)
            if after is None or after <= index:
                after = index + 1
            if after > hi:
                self.skip_until = max(self.skip_until, after)
            index = after

    def _directives_before(self, before: int) -> None:
        """Directives due before the blocks the HTML functions appended from ``before`` on."""
        if not self.directives or before >= len(self.blocks):
            return
        added = self.blocks[before:]
        del self.blocks[before:]
        for block in added:
            self.emit(block)


def _html_line(text: str) -> bool:
    """A comment or a tag line the hand-written layer reads as HTML."""
    stripped = text.lstrip()
    return stripped.startswith("<!--") or (stripped.startswith("<") and _reads_as_html(text))


def _first_line(block: Block) -> Line:
    return block.lines[0] if isinstance(block, Paragraph) else block.line


def _close(tokens: Sequence[Token], at: int) -> int:
    """The index after the token that closes ``tokens[at]``."""
    depth = 0
    index = at
    while index < len(tokens):
        depth += tokens[index].nesting
        index += 1
        if depth <= 0:
            break
    return index


def _rewrite_marker(text: _Text, i: int, marker: re.Match[str]) -> str:
    """A list line markdown-it read as paragraph text: its marker in CommonMark's form.

    Returns what was rewritten, "" for nothing."""
    raw = text.texts[i]
    symbol = marker.group("marker")
    indent = marker.group("indent")
    if not symbol:  # "[ ] Do X" with no marker
        text.rewrite(i, len(indent), indent + "- ")
        return "bare checkbox"
    if not raw[marker.end() :].strip():
        return ""  # an empty item does not interrupt a paragraph in CommonMark either
    if ordered := _ORDERED.match(symbol):
        if int(ordered.group(1)) == 1:
            return ""
        # Only an item numbered 1 interrupts a paragraph: "3." becomes "1." ("12." "01."), same width.
        number = "1".rjust(len(ordered.group(1)), "0")
        at = len(indent)
        text.texts[i] = raw[:at] + number + raw[at + len(ordered.group(1)) :]
        return "ordered item not numbered 1 after a paragraph"
    if _CM_MARKER.match(symbol):
        return ""
    text.rewrite(i, marker.end(), indent + "-" + (marker.group("gap") or " "))
    return "non-CommonMark list marker"


def scan(
    lines: Sequence[Line],
    start: int = 0,
    extra: Sequence[str] = (),
    *,
    dedent: bool = True,
    stats: Counter[str] | None = None,
) -> Scan:
    """Split the document (from line index ``start``) into blocks, with markdown-it-py.

    ``dedent``: read indented code blocks as text, as the hand-written layer does (False: as
    CommonMark does, code holding no blocks). ``stats``: counts what the normalising pass rewrote."""
    clean, directives = blocks.prepare(lines, start)
    reader = _Reader(clean, extra, directives, dedent=dedent)
    reader.read(start, len(clean))
    if stats is not None:
        stats.update(reader.stats)
    return Scan(reader.blocks, reader.labels)

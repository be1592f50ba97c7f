"""Line structure: headings of every kind, list items, tables, paragraphs.

A line scanner rather than a CommonMark parser, on purpose: postmortems are
written by people who do not follow CommonMark. ``##TODO`` is a heading to its
author, ``**Timeline**`` glued to the previous paragraph is a heading, a short
"Corrective and Preventative Measures:" line is a heading, and unindented lines
after a ``* **Tasks:**`` bullet are its items, not one lazy paragraph.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from remediate.parsing.text import JOINING_END, Chunk, Line, indent_width, is_decoration, strip_markdown
from remediate.parsing.titles import (
    ACTION,
    OTHER,
    UNKNOWN,
    classify_title,
    is_item_marker,
    names_the_work,
    title_roots,
)

BOLD_LEVEL = 7
PLAIN_LEVEL = 8

# A backtick fence's info string holds no backtick (CommonMark 4.5): "```ERROR: x```" on one line
# is inline code, not a fence that would swallow the document up to the next one.
_FENCE = re.compile(r"^\s{0,3}(`{3,}(?=[^`]*$)|~{3,})")
# Up to three spaces before the "#": a tab is four columns, and "\t# x" is code (CommonMark).
_ATX = re.compile(r"^ {0,3}(#{1,6})((?:[ \t].*)?|[^\s#0-9!].*)$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-{2,})\s*$")
_THEMATIC = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
# Possessive runs: "\s*\|?\s*" and "\s*)*\|?\s*$" split a run of spaces in n ways (quadratic per line).
_TABLE_SEP = re.compile(r"^\s*+\|?\s*+:?-++:?\s*+(?:\|\s*+:?-++:?\s*+)*+\|?\s*+$")
_CODE_LINE = re.compile(r"^\s*+(?:#|\$ |[\w.-]+=\S)|[;{}]\s*$")
_LINKDEF = re.compile(r"^\s{0,3}\[([^\]]+)\]:\s*(\S+)")
_LINKDEF_OPEN = re.compile(r"^\s{0,3}\[([^\]]+)\]:\s*$")
# One paragraph written as HTML on one line, with words in it: read like a Markdown paragraph.
_HTML_PARAGRAPH = re.compile(r"^\s{0,3}<p(?:\s[^<>]{0,200})?>(?=[^<>]*[A-Za-z]{2})", re.I)
_HTML = re.compile(
    r"^\s{0,3}</?(?:p|div|img|br|details|summary|table|thead|tbody|tr|td|th|center|figure"
    r"|picture|video|span|h[1-6]|ul|ol|li|hr|section|iframe|style|script)\b",
    re.I,
)
_LIST = re.compile(
    r"^(?P<indent>[ \t]*)(?P<marker>[-*+•▪●◦‣–—]|&bull;|&#8226;|\*?\d{1,3}[.)]|\*\*\d{1,3}[.)]\*\*"
    # "1- Do X"; "o<TAB>" (or "o " before a capital) is a word processor's second-level bullet
    r"|\d{1,3}-(?=[ \t])|o(?=\t|[ ][A-Z])"
    r"|\((?:\d{1,3}|[a-zA-Z]|[ivx]{1,4})\)|[a-z][.)]|[ivx]{2,4}[.)]|[A-Z]\))(?P<gap>[ \t]+|$)"
)
# Authors who write HTML write headings and list items on one line each. In _HTML_ITEM a body
# followed by no "</li>" never ends inside a run of spaces (it would end one character earlier),
# so "(?<!\s)" spares a rescan of the run from each of its characters.
# An HTML heading alone on its line, maybe inside opening container tags (pasted exports:
# ``<div class=...><h2>Action Items</h2>``) and followed by void tags (``</h2><br>``, ``<hr>``).
_HTML_HEADING = re.compile(
    r"^\s{0,3}(?:<(?:div|section|header|article)\b[^<>]{0,300}>\s*){0,4}"
    r"<h([1-6])(?:\s[^>]*)?>(?P<title>[^<>]*(?:<[^<>]*>[^<>]*){0,8}?)</h\1>(?:\s*<(?:br|hr)\s*/?>)*"
    r"(?:\s*</(?:div|section|header|article)>){0,4}\s*$",
    re.I,
)
_HTML_ITEM = re.compile(
    r"^\s*(?:<[ou]l(?:\s[^>]*)?>\s*)?<(li|ul|ol)(?:\s[^>]*)?>(?:<p(?:\s[^>]*)?>\s*)?(?P<body>[^<\s].*?)"
    r"(?:(?:</p>\s*)?</\1>(?:\s*+</[ou]l>)?\s*+$|(?<!\s)(?:\s*+</[ou]l>)?\s*+$)",
    re.I,
)
# "<li>" alone on its line, its text on the lines after it up to "</li>" (an HTML export).
_HTML_LI_OPEN = re.compile(r"^\s*<li(?:\s[^<>]*)?>\s*$", re.I)
# Where such an item's text ends: its "</li>", the next item, a list or a heading.
_HTML_LI_END = re.compile(r"^\s*</?(?:li|ul|ol|h[1-6])\b", re.I)
# An HTML document starts with a tag ("<h1 class=...>", "<!DOCTYPE html>", "<div>").
_HTML_DOCUMENT = re.compile(r"^\s*<(?:!doctype\b|[a-z][a-z0-9]*\b)", re.I)
# Each "<li>...</li>" of a line that holds several ("<ul><li>Add X</li><li>Do Y</li></ul>").
_HTML_ITEMS = re.compile(r"<li(?:\s[^>]*)?>\s*(?:<p(?:\s[^>]*)?>\s*)?(?P<body>[^<\s].*?)\s*(?:</p>\s*)?</li>", re.I)
# ".. code:: python", ".. image:: ./x.png", ".. note::": reStructuredText directives.
_RST_DIRECTIVE = re.compile(r"^\s*\.\.\s+(?P<name>[A-Za-z][\w-]*)::(?:\s|$)")
#: Directives whose indented block is code or media options, never prose.
_RST_CONTENT_DIRECTIVES = frozenset(
    "code code-block sourcecode literalinclude highlight image figure raw math csv-table list-table".split()
)
_BARE_CHECKBOX = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>)(?P<gap>)(?=\[[ xX]\][ \t])")
_INNER_NUMBER = re.compile(r"(?:\d{1,3}[.)]|\(\d{1,3}\))[ \t]+(?=\S)")
_CHECKBOX = re.compile(r"\[([ xX✓✔])\](?:[ \t]+|$)")
# "**Title**", "__Title__", and bold italic "***Title***" on a line of their own.
_BOLD_LINE = re.compile(r"^(\*\*|__)(?P<em>[*_]?)(?P<title>(?:(?!\1).)+?)(?P=em)\1\s*(?P<colon>[:：]?)$")
_COLON_LINE = re.compile(r"^(?P<title>[^:：|>]{1,80}?)\s*[:：]$")
_INLINE = re.compile(
    r"^(?:\*\*|__)?(?P<title>[A-Za-z][^:：*_|]{1,60}?)(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s+(?P<rest>\S.*)$"
)
_INTRO = re.compile(
    r"\b(?:following|below|as follows|would be|here are|these are|include[sd]?|such as)\b|^to\s|,\s"
    # "Additionally we have created some follow-up action items:" is a sentence, not a title
    r"|^(?:\w+ly,?\s+|also\s+)?(?:we|i|they)\s+(?:have|had|will|are|were|did|\w+ed)\b"
    # "The remediation approach was:", "caused by a combination of:": a sentence that goes on
    # after the colon ends in a verb or a function word, a title in a noun.
    r"|\b(?:was|were|is|are|be|been|of|to|by|with|for|the|a|an|and|or|that|including)$",
    re.I,
)
# A sentence announcing the list after it: "**The following tasks will be performed:**".
_ANNOUNCES = re.compile(r"\b(?:the following|below|as follows|here are|these are)\b", re.I)
_INTRO_WORDS = re.compile(
    r"\b(?:following|below|include[sd]?|are|is|was|were|will|should|have|has|had|we|these|this"
    r"|as follows|must|can|would)\b",
    re.I,
)
# Roots of "Title: text" labels that end an action section even with inline text after them.
_ENDING_ROOTS = frozenset({"conclusion", "summary", "lessons", "timeline", "cause", "appendix"})


@dataclass
class Heading:
    """A heading: ``kind`` says how it was written, ``level`` ranks it (1-6 Markdown, 7-8 weaker)."""

    kind: str  # atx | setext | bold | colon | bare | caps | inline
    level: int
    title: str
    line: Line
    cls: str
    inline: Chunk | None = None  # the text after "Title:" on an inline heading

    @property
    def strong(self) -> bool:
        """True for Markdown headings (ATX or setext), whose level is reliable."""
        return self.kind in ("atx", "setext")


@dataclass
class ListItem:
    """One list item: its marker, first-line content and continuation lines."""

    line: Line
    indent: int
    content_col: int
    marker: str
    checkbox: str | None
    first: Chunk
    more: list[tuple[Line, Chunk, bool]] = field(default_factory=list)  # (line, text, lazy)
    parent: ListItem | None = None
    children: list[ListItem] = field(default_factory=list)

    @property
    def end_line(self) -> int:
        """Last line number holding this item's own text."""
        return self.more[-1][0].number if self.more else self.line.number


@dataclass
class TableRow:
    """One body row of a table, split into cells."""

    line: Line
    cells: list[Chunk]


@dataclass
class Table:
    """A pipe table: header cell texts and body rows."""

    header: list[str]
    rows: list[TableRow]
    line: Line


@dataclass
class Paragraph:
    """Consecutive non-blank lines that are nothing else."""

    lines: list[Line]


@dataclass
class Directive:
    """A correction the author wrote into the document: ``<!-- remediate: ignore|actions|end -->``.

    ``ignore`` skips the next item, or the section of the next heading; ``actions`` makes the
    next heading an action section; ``end`` ends the action section here. Written on a line of
    its own before the item or heading, or at the end of the item's or heading's first line.
    """

    kind: str  # ignore | actions | end
    line: Line


Block = Heading | ListItem | Table | Paragraph | Directive

_DIRECTIVE = re.compile(r"<!--\s*remediate:\s*(ignore|actions|end)\s*-->", re.I)


@dataclass
class Scan:
    """The blocks of a document and the link reference labels it defines."""

    blocks: list[Block]
    link_labels: dict[str, str]


def split_cells(line: Line) -> list[Chunk]:
    """Cells of a pipe-table row (escaped pipes and pipes inside backticks do not split)."""
    text = line.text
    cells: list[Chunk] = []
    start, in_code = 0, False
    for index, char in enumerate(text):
        if char == "`":
            in_code = not in_code
        elif char == "|" and not in_code and (index == 0 or text[index - 1] != "\\"):
            cells.append(Chunk.of_line(line, start, index).strip())
            start = index + 1
    cells.append(Chunk.of_line(line, start).strip())
    stripped = text.strip()
    if stripped.startswith("|"):
        cells = cells[1:]
    if stripped.endswith("|") and len(stripped) > 1:
        cells = cells[:-1]
    return cells


def _words(text: str) -> int:
    return len(text.split())


def atx_heading(line: Line, extra: Sequence[str]) -> Heading | None:
    """A ``#`` heading, also without the space (``##TODO``) or with a trailing colon."""
    match = _ATX.match(line.text)
    if not match:
        return None
    hashes, rest = match.group(1), match.group(2)
    if rest and not rest[0].isspace() and len(hashes) == 1 and not rest[0].isupper():
        return None  # "#hashtag" or "#channel" is not a heading
    title = re.sub(r"\s+#+\s*$", "", rest).strip()
    return Heading("atx", len(hashes), title, line, classify_title(title, extra))


def html_heading(line: Line, extra: Sequence[str]) -> Heading | None:
    """An HTML heading on one line (``<h3>Corrective Measures</h3>``), ranked like ``###``."""
    match = _HTML_HEADING.match(line.text)
    if not match:
        return None
    title = strip_markdown(match.group("title"))
    return Heading("atx", int(match.group(1)), title, line, classify_title(title, extra))


def weak_heading(line: Line, extra: Sequence[str], *, isolated: bool = False) -> Heading | None:
    """A heading not written with ``#``: bold line, "Title:" line, bare title, ALL CAPS.

    ``isolated``: blank lines before and after it (only then may an indented line be a title).
    """
    text = line.text.strip()
    if not text:
        return None
    if line.indent > 3:
        # Only when isolated: indented lines are code in Markdown. A tab-indented action title
        # right over its lines (a word processor's centred "Corrective and Preventative Measures")
        # is one too: no code line reads as one.
        centred = _centred_title(text, line, extra)
        return centred if centred is not None and (isolated or centred.cls == ACTION) else None
    # "Title: text" may run long (its text is the section's intro or content); other forms are short.
    inline = _INLINE.match(_lstrip_decoration(text)) if len(text) > 150 else None
    if len(text) > 150 and not inline:
        return None
    bold = _BOLD_LINE.match(text)
    if bold:
        return _bold_heading(bold, line, extra)
    if not _starts_upper(text):
        return None  # "following preventative measures going forward:" continues a sentence
    colon = _COLON_LINE.match(text)
    if colon:
        return _colon_heading(colon, line, extra)
    if len(text) <= 150:
        inline = _INLINE.match(_lstrip_decoration(text))
    if inline:
        return _inline_heading(inline, line, extra)
    return _bare_heading(text, line, extra)


def _bold_heading(bold: re.Match[str], line: Line, extra: Sequence[str]) -> Heading | None:
    """``**Action items**`` on a line of its own."""
    title = bold.group("title").strip()
    plain = strip_markdown(title)
    if plain and _words(plain) <= 12 and not plain.endswith((".", ",", ";")):
        # "**The following tasks will be performed:**" announces the list after it: a heading
        # that names no kind of section, so it neither opens nor ends one.
        cls = UNKNOWN if _ANNOUNCES.search(plain) else classify_title(title, extra)
        return Heading("bold", BOLD_LEVEL, title, line, cls)
    return None


def _colon_heading(colon: re.Match[str], line: Line, extra: Sequence[str]) -> Heading | None:
    """``Action items:`` on a line of its own."""
    title = colon.group("title").strip()
    plain = strip_markdown(title)
    if _INTRO.search(plain):
        return None
    cls = classify_title(title, extra)
    if (cls != UNKNOWN and _words(plain) <= 12) or _title_like(plain, 8):
        return Heading("colon", PLAIN_LEVEL, title, line, cls)
    return None


def _inline_heading(inline: re.Match[str], line: Line, extra: Sequence[str]) -> Heading | None:
    """``Action items: add an alert, ...``: a title, then the section's text on the same line."""
    title = inline.group("title").strip()
    cls = classify_title(title, extra)
    ending = cls == OTHER and set(title_roots(title)) & _ENDING_ROOTS
    if (
        cls == ACTION and _words(title) <= 8 and not is_item_marker(title) and names_the_work(title, extra, every=True)
    ) or ending:
        start = line.text.index(inline.group("rest"), line.indent)
        rest = Chunk.of_line(line, start).strip()
        return Heading("inline", PLAIN_LEVEL, title, line, cls, rest)
    return None


def _bare_heading(text: str, line: Line, extra: Sequence[str]) -> Heading | None:
    """A bare title: ALL CAPS, a short known title, or a question asking what is done about it."""
    plain = strip_markdown(text)
    if plain and not plain.endswith((".", ",", ";", "!")) and _words(plain) <= 8:
        letters = [c for c in plain if c.isalpha()]
        if len(letters) >= 3 and all(c.isupper() for c in letters):
            if len(letters) >= 0.6 * len(plain.replace(" ", "")):
                return Heading("caps", PLAIN_LEVEL, text, line, classify_title(text, extra))
        cls = classify_title(text, extra)
        if cls != UNKNOWN and _words(plain) <= 6 and plain[0].isupper():
            return Heading("bare", PLAIN_LEVEL, text, line, cls)
    # A question on its own line that asks what is done about it: "What are we doing to prevent
    # it from happening again?" (longer than a title, but a heading all the same).
    if plain.endswith("?") and _words(plain) <= 14 and plain[:1].isupper():
        if classify_title(text, extra) == ACTION:
            return Heading("bare", PLAIN_LEVEL, text, line, ACTION)
    return None


def _centred_title(text: str, line: Line, extra: Sequence[str]) -> Heading | None:
    """A section title indented like centred text in a plain-text document ("      Root cause").

    Indented lines are code in Markdown, so only a short line that is a known section title
    (action or other, no final punctuation) is one.
    """
    plain = strip_markdown(text)
    if not plain or plain.endswith((".", ",", ";", "!", ":")) or _words(plain) > 8 or not plain[0].isupper():
        return None
    cls = classify_title(text, extra)
    return Heading("bare", PLAIN_LEVEL, text, line, cls) if cls != UNKNOWN else None


def _lstrip_decoration(text: str) -> str:
    """Without leading emoji ("🛠️ Corrective measures: ...")."""
    start = 0
    while start < len(text) and (is_decoration(text[start]) or text[start] in " \t"):
        start += 1
    return text[start:]


def _starts_upper(text: str) -> bool:
    plain = strip_markdown(text).lstrip("*_#>([ ")
    first = next((c for c in plain if c.isalnum()), "")
    return bool(first) and (first.isupper() or first.isdigit() or not first.isalpha())


def _title_like(text: str, max_words: int) -> bool:
    if not text or _words(text) > max_words or not (text[0].isupper() or text[0].isdigit()):
        return False
    if re.search(r"[.,;!?]\s|https?://", text) or _INTRO_WORDS.search(text):
        return False
    return True


def list_marker(text: str) -> re.Match[str] | None:
    """The list-marker match of a line (bullet, any numbering, or a bare ``[ ]`` checkbox)."""
    if _THEMATIC.match(text):
        return None
    return _LIST.match(text) or _BARE_CHECKBOX.match(text)


class _Scanner:
    def __init__(
        self, lines: Sequence[Line], extra: Sequence[str], directives: dict[int, list[str]] | None = None
    ) -> None:
        self.lines = lines
        self.extra = extra
        # (line number, kind) in document order, consumed as the scan passes them.
        self.directives = deque(sorted((n, k) for n, kinds in (directives or {}).items() for k in kinds))
        self.blocks: list[Block] = []
        self.labels: dict[str, str] = {}
        self.stack: list[ListItem] = []

    def emit(self, block: Block) -> None:
        if not isinstance(block, ListItem | Directive):
            self.stack.clear()
        self.blocks.append(block)

    def block_start(self, index: int) -> bool:
        """Whether line ``index`` starts a block that interrupts a paragraph."""
        line = self.lines[index]
        text = line.text
        return bool(
            _FENCE.match(text)
            or atx_heading(line, self.extra)
            or _THEMATIC.match(text)
            or _HTML.match(text)
            or text.lstrip().startswith(">")
            or list_marker(text)
            or self.table_at(index)
            or weak_heading(line, self.extra)
        )

    def isolated(self, index: int) -> bool:
        """Blank (or nothing) on both sides of line ``index``."""
        lines = self.lines
        return (index == 0 or lines[index - 1].blank) and (index + 1 >= len(lines) or lines[index + 1].blank)

    def table_at(self, index: int) -> bool:
        if index + 1 >= len(self.lines) or "|" not in self.lines[index].text:
            return False
        sep = self.lines[index + 1].text
        return "|" in sep and "-" in sep and bool(_TABLE_SEP.match(sep))

    def run(self, start: int) -> Scan:
        index = start
        lines = self.lines
        while index < len(lines):
            line = lines[index]
            text = line.text
            # Directives on lines a block before swallowed (a blank line inside a loose list)
            # still come before the block that starts here.
            while self.directives and self.directives[0][0] <= line.number:
                self.emit(Directive(self.directives.popleft()[1], line))
            # Each pattern runs only when the character it starts with is on the line: most
            # lines are plain text, and this loop is the parser's hottest code.
            html = "<" in text
            if line.blank:
                index += 1
            elif "~" in text and _rst_underline(lines, index):
                index += 1  # "Why?" over "~~~~": reStructuredText's section underline, no fence
            elif ("`" in text or "~" in text) and (fence := _FENCE.match(text)):
                index = self.skip_fence(index, fence.group(1))
            elif html and text.lstrip().startswith("<!--"):
                index = self.skip_comment(index)
            elif text.lstrip().startswith("..") and (directive := _RST_DIRECTIVE.match(text)):
                index = self.skip_rst_directive(index, directive)
            elif (html or text.lstrip().startswith(">")) and (after := self.html_block(index, html)) is not None:
                index = after
            elif "]:" in text and (after := self.link_definition(index)) is not None:
                index = after
            elif heading := atx_heading(line, self.extra):
                self.emit(heading)
                index += 1
            elif _THEMATIC.match(text):
                self.stack.clear()
                index += 1
            elif self.table_at(index):
                index = self.table(index)
            elif marker := list_marker(text):
                index = self.list_item(index, marker)
            elif heading := weak_heading(line, self.extra, isolated=self.isolated(index)):
                self.emit(heading)
                index = index + 1 if heading.inline is None else self.inline_tail(heading, index + 1)
            else:
                index = self.indented_code(index) or self.paragraph(index)
        return Scan(self.blocks, self.labels)

    def inline_tail(self, heading: Heading, index: int) -> int:
        """ "**Action planned:** We will expand the checks we run,\nso that we are alerted ...": the
        lines that go on with an inline heading's sentence are its text too."""
        assert heading.inline is not None
        parts = [heading.inline]
        while index < len(self.lines) and not self.lines[index].blank and not self.block_start(index):
            previous = strip_markdown(parts[-1].text).rstrip()
            line = self.lines[index]
            if previous.endswith((".", "!", "?", ":", "：")) or not (
                JOINING_END.search(previous) or not line.text.lstrip()[:1].isupper()
            ):
                break
            parts.append(Chunk.of_line(line, line.indent).strip())
            index += 1
        if len(parts) > 1:
            heading.inline = Chunk.join(parts)
        return index

    def html_block(self, index: int, html: bool) -> int | None:
        """An HTML heading, item or paragraph, other HTML or a block quote: the index after it.

        ``html``: the line has a ``<``. None: the line starts no such block."""
        line = self.lines[index]
        text = line.text
        if html and (heading := html_heading(line, self.extra)):
            self.emit(heading)
        elif html and (item := _HTML_ITEM.match(text)):
            self.html_item(line, item)
            lowered = text.lower()
            if item.group(1).lower() == "li" and lowered.count("<li") == 1 and "</li>" not in lowered:
                return self.html_item_tail(index + 1)
        elif html and _HTML_LI_OPEN.match(text):
            return self.html_item_lines(index)
        elif html and _HTML_PARAGRAPH.match(text):
            # "<p>Implement X.</p>" (pasted or hand-written HTML): a paragraph of its own.
            self.emit(Paragraph([line]))
        elif (html and _HTML.match(text)) or text.lstrip().startswith(">"):
            return self.skip_quoted(index)
        else:
            return None
        return index + 1

    def skip_quoted(self, index: int) -> int:
        """Other HTML and block quotes (metadata, notes) hold no items; only their own lines go."""
        lines = self.lines
        self.stack.clear()
        first = lines[index].text.lstrip()[0]
        index += 1
        # The lines that go with it are more of the same: quote lines, or HTML block tags
        # ("<strong>TODO:</strong> Do X" after a "<p>" line is a paragraph's text).
        while (
            index < len(lines)
            and lines[index].text.lstrip()[:1] == first
            and (first == ">" or _HTML.match(lines[index].text))
            and not (_HTML_HEADING.match(lines[index].text) or _HTML_ITEM.match(lines[index].text))
        ):
            index += 1
        return index

    def link_definition(self, index: int) -> int | None:
        """Read the link reference definition at ``index`` ("[label]: url", or "[label]:" with the
        destination alone on the next line, as CommonMark allows): the index after it, or None."""
        text = self.lines[index].text
        if definition := _LINKDEF.match(text):
            self.labels[definition.group(1).casefold()] = definition.group(2)
            return index + 1
        if (opened := _LINKDEF_OPEN.match(text)) and index + 1 < len(self.lines):
            words = self.lines[index + 1].text.split()
            if len(words) == 1 and "://" in words[0]:
                self.labels[opened.group(1).casefold()] = words[0].strip("<>")
                return index + 2
        return None

    def indented_code(self, index: int) -> int | None:
        """The end of an indented code block that starts at ``index``, or None.

        CommonMark reads lines indented four columns or more after a blank line as code, but
        people indent lists and paragraphs in pasted text that way too ("    Replacing the failed
        hardware ..."), so the block is taken for code only when a line of it reads as code: a
        shell comment or ``#!``, a prompt, an assignment (``SITE=example.org``), or a line that
        ends in ``;``, ``{`` or ``}``.
        """
        lines = self.lines
        if lines[index].indent <= 3 or self.stack or (index > 0 and not lines[index - 1].blank):
            return None
        end = index
        while end < len(lines) and (lines[end].blank or lines[end].indent > 3):
            end += 1
        if any(_CODE_LINE.search(lines[n].text) for n in range(index, end)):
            return end
        return None

    def skip_fence(self, index: int, fence: str) -> int:
        self.stack.clear()
        index += 1
        while index < len(self.lines):
            if self.lines[index].text.strip().startswith(fence[0] * len(fence)):
                return index + 1
            index += 1
        return index

    def skip_rst_directive(self, index: int, directive: re.Match[str]) -> int:
        """A reStructuredText directive (``.. code:: python``, ``.. image:: x.png``) is markup, and
        the indented block under a code or media directive is its content, not text."""
        self.stack.clear()
        index += 1
        if directive.group("name").lower() not in _RST_CONTENT_DIRECTIVES:
            return index
        indent = self.lines[index - 1].indent
        while index < len(self.lines) and (self.lines[index].blank or self.lines[index].indent > indent):
            index += 1
        return index

    def skip_comment(self, index: int) -> int:
        while index < len(self.lines) and "-->" not in self.lines[index].text:
            index += 1
        return index + 1

    def table(self, index: int) -> int:
        header_line = self.lines[index]
        header = [strip_markdown(cell.text) for cell in split_cells(header_line)]
        rows = []
        index += 2
        while index < len(self.lines) and "|" in self.lines[index].text:
            if self.lines[index].blank:
                break
            rows.append(TableRow(self.lines[index], split_cells(self.lines[index])))
            index += 1
        self.emit(Table(header, rows, header_line))
        return index

    def list_item(self, index: int, marker: re.Match[str]) -> int:
        line = self.lines[index]
        indent = indent_width(marker.group("indent"))
        start = marker.end()
        content_col = len(line.text[:start].expandtabs(4)) if marker.group("gap") else indent + 2
        if numbering := _INNER_NUMBER.match(line.text, start):
            start = numbering.end()  # "- 1. Script the setup": a bullet and a number, one item
        checkbox = None
        box = _CHECKBOX.match(line.text, start)
        if box:
            checkbox = "x" if box.group(1) != " " else " "
            start = box.end()
        item = ListItem(
            line, indent, content_col, marker.group("marker"), checkbox,
            Chunk.of_line(line, start).strip(),
        )  # fmt: skip
        index = self.continuation(item, index + 1)
        while self.stack and indent <= self.stack[-1].indent:
            self.stack.pop()
        if self.stack:
            item.parent = self.stack[-1]
            self.stack[-1].children.append(item)
        self.stack.append(item)
        self.blocks.append(item)
        return index

    def html_item(self, line: Line, match: re.Match[str]) -> None:
        """``<li>Add a disk alert</li>`` (or ``<ul>...</ul>``, as some authors write it): one item,
        or one per ``<li>`` when the line holds several."""
        several = list(_HTML_ITEMS.finditer(line.text)) if line.text.lower().count("<li") > 1 else []
        bodies = [(m.start("body"), m.end("body")) for m in several] or [(match.start("body"), match.end("body"))]
        self.stack.clear()
        for start, end in bodies:
            item = ListItem(line, 0, 0, f"<{match.group(1).lower()}>", None, Chunk.of_line(line, start, end).strip())
            self.stack[:] = [item]
            self.blocks.append(item)

    def html_item_tail(self, index: int) -> int:
        """The wrapped lines of an ``<li>`` whose ``</li>`` comes on a later line: the item's text."""
        item = self.blocks[-1]
        assert isinstance(item, ListItem)
        lines = self.lines
        start = index
        while index < len(lines) and index - start < 50 and not lines[index].blank:
            line = lines[index]
            if _HTML_LI_END.match(line.text):
                break
            end = line.text.lower().find("</li>")
            item.more.append((line, Chunk.of_line(line, 0, None if end < 0 else end).strip(), False))
            index += 1
            if end >= 0:
                break
        return index

    def html_item_lines(self, index: int) -> int:
        """``<li>`` alone on its line: the text lines after it, up to ``</li>``, are one item."""
        lines = self.lines
        index += 1
        body: list[Line] = []
        while index < len(lines) and not _HTML_LI_END.match(lines[index].text) and len(body) < 50:
            if not lines[index].blank:
                body.append(lines[index])
            index += 1
        if index < len(lines) and re.match(r"^\s*</li>", lines[index].text, re.I):
            index += 1
        self.stack.clear()
        text = [line for line in body if not _HTML.match(line.text.lstrip())]
        if text:
            first = text[0]
            item = ListItem(first, 0, 0, "<li>", None, Chunk.of_line(first).strip())
            item.more = [(line, Chunk.of_line(line).strip(), False) for line in text[1:]]
            self.stack[:] = [item]
            self.blocks.append(item)
        return index

    def continuation(self, item: ListItem, index: int) -> int:
        """Collect the item's wrapped, indented and lazy lines; return the next unread index."""
        after_blank = False
        while index < len(self.lines):
            line = self.lines[index]
            if line.blank:
                after_blank = True
                index += 1
                continue
            text = line.text
            if (
                _FENCE.match(text)
                or atx_heading(line, self.extra)
                or _THEMATIC.match(text)
                or list_marker(text)
                or self.table_at(index)
                or _LINKDEF.match(text)
                or _HTML.match(text)
            ):
                break
            if line.indent <= item.indent and weak_heading(line, self.extra):
                break
            if after_blank and line.indent < min(item.content_col, item.indent + 2):
                break
            lazy = line.indent <= item.indent
            if lazy and _lost_marker(item, text):
                break
            item.more.append((line, Chunk.of_line(line).strip(), lazy))
            after_blank = False
            index += 1
        return index

    def paragraph(self, index: int) -> int:
        lines = [self.lines[index]]
        index += 1
        while index < len(self.lines) and not self.lines[index].blank:
            line = self.lines[index]
            underline = _SETEXT.match(line.text)
            if underline and self.setext(lines, underline.group(1)):
                return index + 1
            if self.block_start(index):
                break
            lines.append(line)
            index += 1
        self.emit(Paragraph(lines))
        return index

    def setext(self, lines: list[Line], underline: str) -> bool:
        """Turn the paragraph's last line into a setext heading when it reads as a title."""
        title = lines[-1].text.strip()
        if underline.startswith("-") and (_words(title) > 10 or title.endswith(".")):
            return False
        if len(lines) > 1:
            self.emit(Paragraph(lines[:-1]))
        level = 1 if underline.startswith("=") else 2
        self.emit(Heading("setext", level, title, lines[-1], classify_title(title, self.extra)))
        return True


# "Customer notification: Affected customers were ...": a short capitalised topic label, a colon, text.
_LABEL_LEAD = re.compile(r"^\s*+(?:\*\*|__)?[A-Z][\w'’/-]*+(?: [\w'’/-]++){0,4}(?:\*\*|__)?\s*+:(?:\*\*|__)?\s++\S")


_TILDE_LINE = re.compile(r"^(~{4,})\s*$")


def _rst_underline(lines: Sequence[Line], index: int) -> bool:
    """A line of tildes right under a short text line at least as long as it underlines that line
    (reStructuredText); a Markdown fence of tildes follows a blank line or stands longer than text."""
    run = _TILDE_LINE.match(lines[index].text)
    if run is None or index == 0 or lines[index - 1].blank:
        return False
    title = lines[index - 1].text.strip()
    return 0 < len(title) <= len(run.group(1)) and len(title.split()) <= 10 and not _FENCE.match(title)


def _lost_marker(item: ListItem, text: str) -> bool:
    """An unindented line after a finished sentence of a "Label: text" item that is itself
    "Label: text" is the next item of the list whose marker was lost, not a lazy continuation."""
    last = item.more[-1][1].text if item.more else item.first.text
    return (
        last.rstrip().endswith((".", "!", "?"))
        and _LABEL_LEAD.match(item.first.text) is not None
        and _LABEL_LEAD.match(text) is not None
    )


def scan(lines: Sequence[Line], start: int = 0, extra: Sequence[str] = ()) -> Scan:
    """Split the document (from line index ``start``) into blocks."""
    clean, directives = prepare(lines, start)
    return _Scanner(clean, extra, directives).run(start)


def prepare(lines: Sequence[Line], start: int = 0) -> tuple[list[Line], dict[int, list[str]]]:
    """The lines a scanner reads, and the author's directives by line number.

    Directive comments are blanked, a list written on one line with "<br>" between its items
    is split into one line per item, and in an HTML document tag lines are unindented. Every
    line keeps its document number and offsets (write-back inserts at them)."""
    directives: dict[int, list[str]] = {}
    clean: list[Line] = []
    for line in lines:
        if "<!--" in line.text and "remediate" in line.text:
            kinds = [m.group(1).casefold() for m in _DIRECTIVE.finditer(line.text)]
            if kinds:
                directives[line.number] = kinds
                # Blanked, not removed: offsets stay those of the document, for write-back.
                line = Line(line.number, line.start, _DIRECTIVE.sub(lambda m: " " * len(m.group(0)), line.text))
        if "<br" in line.text and _BREAK_ITEM.search(line.text):
            clean.extend(_split_at_breaks(line))
            continue
        clean.append(line)
    if start < len(clean) and _HTML_DOCUMENT.match(next((ln.text for ln in clean[start:] if not ln.blank), "")):
        # In an HTML document indentation means nothing: a tag line is read as if unindented
        # ("    <h2>Action items</h2>" is a heading, not an indented code line).
        clean = [_dedent_tag(line) for line in clean]
    return clean, directives


# Pasted exports put a list on one line, its items after "<br>" ("<span>- Add X<br>- Do Y</span>",
# PagerDuty's postmortem export): each "<br>" before a list marker starts a line of its own.
_BREAK_ITEM = re.compile(r"<br\s*/?>\s*(?=(?:[-*•]|\d{1,3}[.)])[ \t]+\S)", re.I)
# The container tags before the first item of such a line ("<span class=...>- Add X").
_LEADING_TAGS = re.compile(r"^\s*(?:<[a-z][a-z0-9]*\b[^<>]*>\s*)+(?=(?:[-*•]|\d{1,3}[.)])[ \t]+\S)", re.I)


def _split_at_breaks(line: Line) -> list[Line]:
    """One line per item of a list written on one line with "<br>" between its items.

    The pieces keep the line's number and their own offsets (write-back inserts at them)."""
    pieces: list[Line] = []
    begin = 0
    for match in _BREAK_ITEM.finditer(line.text):
        pieces.append(Line(line.number, line.start + begin, line.text[begin : match.start()]))
        begin = match.end()
    pieces.append(Line(line.number, line.start + begin, line.text[begin:]))
    first = pieces[0]
    if lead := _LEADING_TAGS.match(first.text):
        pieces[0] = Line(first.number, first.start + lead.end(), first.text[lead.end() :])
    return pieces


def _dedent_tag(line: Line) -> Line:
    stripped = line.text.lstrip()
    if not stripped.startswith("<") or stripped == line.text:
        return line
    return Line(line.number, line.start + len(line.text) - len(stripped), stripped)

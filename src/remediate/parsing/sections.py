"""Which blocks sit in an action-item section, under which (sub-)heading.

A section opens at a heading whose title denotes corrective work (see
``titles``). Headings after it are its sub-headings when they rank lower
(a deeper ``#`` level, or any bold/plain heading under a Markdown one); a
sub-heading keeps the section open whatever its title (LABELING.md rule 1: even
lessons learned count under a corrective heading), unless it is empty or asks a
question. A known other section name (timeline, lessons learned, Q&A ...) ends the
section unless the nesting is certain: a deeper Markdown heading, or a bold/plain
heading, under a Markdown action heading.
A heading that is not a sub-heading ends the section, unless it opens another
action section. Consecutive action sections form one *region*; the region decides
whether stray prose is an item (see ``items``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from remediate.parsing.blocks import Block, Directive, Heading, ListItem, Paragraph, Table
from remediate.parsing.explain import HeadingDecision
from remediate.parsing.prose import IMPERATIVE, action_kind
from remediate.parsing.text import Chunk, Line
from remediate.parsing.titles import (
    ACTION,
    OTHER,
    TITLE_WEIGHTS,
    HeadingFacts,
    heading_facts,
    names_the_work,
    only_title_words,
    section_name,
    title_features,
    title_words,
)

_DOCUMENT_WORDS = re.compile(r"post[\s-]?mortem|\brca\b|retrospective|incident report", re.I)
_DOCUMENT_TITLE = re.compile(r"incident|outage|report", re.I)


@dataclass(frozen=True)
class Context:
    """Where a block sits: its section name, what the headings say, and its region number."""

    section: str
    facts: HeadingFacts
    region: int
    line: int  # line of the innermost heading
    root_line: int = 0  # line of the heading that opened the section
    opened_by: str = "heading"  # see explain.OPENERS


@dataclass
class InlineText:
    """The text after "Title:" on an inline action heading: that section's content."""

    chunk: Chunk
    line: Line


@dataclass
class Placed:
    """A content block and its action-section context (None outside action sections)."""

    block: Block | InlineText
    context: Context | None
    in_other: bool = False  # the innermost heading names a known non-action section
    heading: str = ""  # the innermost heading's title outside action sections (a table's section)


@dataclass
class Outline:
    """The placed blocks plus the action headings found (for warnings)."""

    placed: list[Placed] = field(default_factory=list)
    action_headings: list[Heading] = field(default_factory=list)
    decisions: list[HeadingDecision] = field(default_factory=list)  # one per heading, for --explain


class _Walker:
    def __init__(self, incident_date: date | None, extra: Sequence[str] = ()) -> None:
        self.incident_date = incident_date
        self.extra = extra
        self.root: Heading | None = None
        self.subs: list[Heading] = []
        self.enclosing_level = 0  # level of the last Markdown heading before a weak root
        self.strong_level = 0  # level of the last Markdown heading seen
        self.region = 0
        self.in_other = False
        self.last_title = ""  # the last heading's title (a table's section outside action sections)
        self.outline = Outline()
        self._cached: tuple[tuple[int, ...], Context] | None = None
        self.pending: str | None = None  # an author's directive waiting for its heading or item
        self.opened_by = "heading"  # how the current section was opened (explain.OPENERS)
        self.reads_as = ""  # what the last heading's title read as, for its decision
        self.ignoring: Heading | None = None  # a heading the author said to skip, with its sub-headings

    def context(self) -> Context | None:
        if self.root is None:
            return None
        key = (id(self.root), *map(id, self.subs))
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]
        chain = [self.root, *self.subs]
        facts = [heading_facts(h.title, self.incident_date) for h in chain]
        merged = HeadingFacts(
            priority=next((f.priority for f in reversed(facts) if f.priority), None),
            done=next((f.done for f in reversed(facts) if f.done is not None), None),
            due=next((f.due for f in reversed(facts) if f.due), None),
            owner=next((f.owner for f in reversed(facts) if f.owner), None),
        )
        context = Context(
            section_name(chain[-1].title),
            merged,
            self.region,
            chain[-1].line.number,
            self.root.line.number,
            self.opened_by,
        )
        self._cached = (key, context)
        return context

    def open(self, heading: Heading, opened_by: str = "heading") -> None:
        if self.root is None:
            self.region += 1
        self.root = heading
        self.opened_by = opened_by
        self.subs = []
        self.enclosing_level = 0 if heading.strong else self.strong_level
        self.outline.action_headings.append(heading)

    def close(self) -> None:
        self.root = None
        self.subs = []

    def is_sub(self, heading: Heading, following: Block | None) -> bool:
        root = self.root
        assert root is not None
        if root.strong and heading.strong:
            return heading.level > root.level
        if root.strong:
            return True
        if heading.strong:
            return heading.level > self.enclosing_level
        if _family(heading) != _family(root) or heading.cls == ACTION:
            return True
        # Same-looking weak headings are siblings ("**Conclusion**" after "**Action Items**"),
        # except one that heads a list or table, a group of items ("**Monitoring**"), or one
        # that is itself an instruction ("Review DNS changes better:").
        return isinstance(following, ListItem | Table) or action_kind(heading.title) == IMPERATIVE

    def push_sub(self, heading: Heading) -> None:
        while self.subs and self.subs[-1].level >= heading.level:
            self.subs.pop()
        self.subs.append(heading)
        if heading.cls == ACTION:
            self.outline.action_headings.append(heading)

    def nested_other(self, heading: Heading) -> bool:
        """A known other section name nested under a Markdown action heading ("### Lessons
        Learned" or "**Incident response:**" under "## Corrective Measures") is its sub-heading."""
        root = self.root
        assert root is not None
        title = heading.title.rstrip(" *_:")
        return (
            root.strong
            and (not heading.strong or heading.level > root.level)
            and bool(title_words(heading.title))
            and not title.endswith("?")
        )

    def heading(self, heading: Heading, first: bool, following: Block | None = None) -> None:
        cls = heading.cls
        directive, self.pending = self.pending, None
        self.reads_as = f"remediate: {directive}" if directive else cls
        if self.ignoring is not None:
            under = self.ignoring
            if (under.strong and (not heading.strong or heading.level > under.level)) or (
                not under.strong and not heading.strong and heading.level > under.level
            ):
                return  # a sub-heading of the skipped section is skipped with it
            self.ignoring = None
        if directive == "actions":
            cls = ACTION
            first = False  # the author says so: even a first heading opens the section
        elif directive == "ignore":
            self.close()  # the author's "not action items": this heading and what it holds
            self.in_other = True
            self.ignoring = heading
            return
        if first and (
            _DOCUMENT_WORDS.search(heading.title)
            or (heading.level == 1 and _DOCUMENT_TITLE.search(heading.title))
            # "# Traefik Rule Preventing Some Inbound Traffic" names the incident, not the work
            or (heading.level == 1 and heading.strong and cls == ACTION and not names_the_work(heading.title))
        ):
            cls = "title"  # the document's own title never opens or closes a section
            self.reads_as = cls
        opener = "directive" if directive == "actions" else "heading"
        if heading.kind == "inline" and cls == ACTION:
            self.inline(heading, following)
        elif self.root is None:
            if cls == ACTION:
                self.open(heading, opener)
        elif cls == OTHER and not self.nested_other(heading):
            self.close()
        elif cls == ACTION:
            if self.is_sub(heading, following):
                self.push_sub(heading)
            else:
                self.open(heading, opener)
        elif cls != "title" and not self.is_sub(heading, following):
            self.close()
        elif cls != "title":
            self.push_sub(heading)
        # Blocks after a known non-action heading are "in" it (a table there is not an action
        # table), but an empty heading ("##" as a rule) names no section, and an inline
        # "Root Causes: text" label covers only its own line.
        self.in_other = (
            self.root is None and cls == OTHER and heading.kind != "inline" and bool(title_words(heading.title))
        )
        # After inline "Trigger: ..." labels the heading above no longer names what follows.
        self.last_title = heading.title if heading.kind != "inline" else ""
        if heading.strong:
            self.strong_level = heading.level

    def decide(self, heading: Heading, before: Heading | None) -> None:
        """Record what ``heading`` did, for ``--explain`` (one short phrase, no decision made here)."""
        if self.ignoring is heading:
            outcome = "skipped with its section (remediate: ignore)"
        elif self.root is heading:
            outcome = "opens an action section" + (" (remediate: actions)" if self.opened_by == "directive" else "")
        elif self.root is not None and heading in self.subs:
            outcome = f"sub-heading of '{section_name(self.root.title)}'"
        elif self.root is not None and heading.kind == "inline":
            outcome = f"a labelled item under '{section_name(self.root.title)}'"
        elif before is not None and self.root is None:
            outcome = f"ends the action section '{section_name(before.title)}'"
        elif self.reads_as == "title":
            outcome = "the document's title"
        elif self.ignoring is not None:
            outcome = "skipped (under an ignored heading)"
        else:
            outcome = "outside action sections"
        title = section_name(heading.title)[:80]
        found = title_features(heading.title, self.extra)
        self.outline.decisions.append(
            HeadingDecision(
                heading.line.number, title, self.reads_as or "skipped", outcome, found, TITLE_WEIGHTS.score(found)
            )
        )

    def inline(self, heading: Heading, following: Block | None) -> None:
        """ "Title: text": opens a section (text ending in ':' is its intro, else its content)."""
        assert heading.inline is not None
        # The text is the section's intro when it ends with ':' or a list/table follows it.
        intro = heading.inline.text.rstrip().endswith((":", "：")) or isinstance(following, ListItem | Table)
        if self.root is None:
            self.open(heading, "inline")
        elif intro or only_title_words(heading.title):
            # "Improvements/Fixes: I added X. I set up Y." is a sub-section with its text after
            # it; "Monitoring improvements: add X" (a topic, then work) is one labelled item.
            self.push_sub(heading)
        else:
            # Inside an action section "Monitoring improvements: add X" is a labelled item.
            # The title, then the text (which may go on over the next lines: blocks.inline_tail).
            title = Chunk.of_line(heading.line, heading.line.indent, heading.inline.offsets[0] - heading.line.start)
            chunk = Chunk.join([title, heading.inline], sep="")
            self.outline.placed.append(Placed(InlineText(chunk, heading.line), self.context()))
            return
        if not intro:
            self.outline.placed.append(Placed(InlineText(heading.inline, heading.line), self.context()))

    def walk(self, blocks: Sequence[Block]) -> Outline:
        for index, block in enumerate(blocks):
            if isinstance(block, Directive):
                if block.kind == "end":
                    self.close()
                    self.pending = None
                else:
                    self.pending = block.kind
            elif isinstance(block, Heading):
                # Indexing, not a slice: copying the rest of the list per heading was quadratic.
                following = next(
                    (blocks[j] for j in range(index + 1, len(blocks)) if not isinstance(blocks[j], Directive)),
                    None,
                )
                before = self.root
                self.heading(block, first=index == 0, following=following)
                self.decide(block, before)
            elif isinstance(block, ListItem | Table | Paragraph):
                if self.pending == "ignore":
                    self.pending = None  # the author's "not an item": placed nowhere
                    continue
                self.pending = None
                self.outline.placed.append(Placed(block, self.context(), self.in_other, self.last_title))
        return self.outline


def _family(heading: Heading) -> str:
    return "bold" if heading.kind == "bold" else "plain"


def outline(blocks: Sequence[Block], incident_date: date | None, extra: Sequence[str] = ()) -> Outline:
    """Place every content block in its action section (or none). ``extra``: the configured
    section titles the headings were classified with (for the decisions ``--explain`` shows)."""
    return _Walker(incident_date, extra).walk(blocks)

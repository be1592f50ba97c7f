"""Action-item tables: find the action, owner, due, priority, status and ticket columns by header.

Works for the SRE-book table (``Action Item | Type | Owner | Bug`` with
``**TODO**``/``**DONE**`` in the Bug column) and the many variations people
write (``# | Action Item | Type | Priority | Owner | Issue``, ``Measure |
Description``, ``What | Who | When``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from remediate.parsing import refs, vocabulary
from remediate.parsing.dates import RELATIVE, first_date, resolve_relative
from remediate.parsing.text import strip_decoration, strip_markdown
from remediate.parsing.titles import title_roots

# Checked in order: the first role whose words appear in a header wins that column. A header
# uses the field labels (vocabulary.FIELD_LABELS) and words that only make sense as a header.
_HEADER_WORDS = {
    "owner": ("owners", "assignees", "assigned", "who", "lead"),
    "due": ("when", "date"),
    "priority": ("pri", "sev", "urgency", "importance", "p"),
    "status": ("done", "progress", "complete", "completed", "outcome"),  # vocabulary-ok: header words ("Done?")
    "ticket": (
        "bugs",
        "tickets",
        "issues",
        "links",
        "link",
        "prs",
        "pr",
        "references",
        "reference",
        "ref",
        "github",
        "url",
    ),
}
_ROLES = (
    *(
        (kind, vocabulary.alternation((*vocabulary.FIELD_LABELS[kind], *_HEADER_WORDS[kind])))
        for kind in ("owner", "due", "priority", "status", "ticket")
    ),
    ("type", r"type|category|kind|class|area|theme"),
    ("index", r"#|no\.?|nr\.?|n°|id|number"),
    (
        "action",
        r"actions?|items?|tasks?|measures?|todos?|remediations?|follow[\s-]?ups?|improvements?"
        r"|fix(?:es)?|what|steps?|recommendations?|changes?|mitigations?|work|description",
    ),
    ("notes", vocabulary.alternation((*vocabulary.FIELD_LABELS["notes"], "why"))),
)
_DONE = re.compile(rf"\b(?:{vocabulary.DONE_PATTERN})\b|[{vocabulary.DONE_MARKS}]", re.I)
_OPEN = re.compile(rf"\b(?:{vocabulary.OPEN_PATTERN})\b|[{vocabulary.OPEN_MARKS}]|\[ \]", re.I)
# "not done", "not yet implemented": a done word denied.
_OPEN_CELL = frozenset(vocabulary.OPEN_CELL_MARKS)  # each glyph alone in a status cell
_NOT_DONE = re.compile(rf"\bnot\s+(?:yet\s+)?(?:{vocabulary.DONE_PATTERN})\b", re.I)
# "**TODO**", "DONE" beside a reference in a ticket cell: a state, not part of the reference.
_STATE_IN_CAPITALS = re.compile(rf"(?:\*\*|__)?\b(?:{vocabulary.STATE_CAPS_PATTERN})\b(?:\*\*|__)?")
_NUMBERING = re.compile(r"^\s*(?:\d{1,3}[.)]|[a-z][.)])\s+")


@dataclass(frozen=True)
class Columns:
    """Which column index holds what (None when the table has no such column)."""

    action: int | None
    owner: int | None = None
    due: int | None = None
    priority: int | None = None
    status: int | None = None
    ticket: int | None = None
    type: int | None = None
    notes: int | None = None


#: A ticket column's header ("Bug", "Tickets", "Jira"): write-back puts references there.
TICKET_COLUMN = re.compile(rf"(?<![\w#])(?:{dict(_ROLES)['ticket']})(?!\w)", re.I)


def columns(header: Sequence[str], rows: Sequence[Sequence[str]] = ()) -> Columns:
    """Assign a role to each header cell; the action column falls back to the wordiest free one."""
    roles: dict[str, int] = {}
    taken: set[int] = set()
    for index, cell in enumerate(header):
        name = strip_markdown(cell).casefold().strip()
        for role, words in _ROLES:
            if re.fullmatch(r"#|no\.?|nr\.?|n°|id|number|", name) and role != "index":
                continue
            if re.search(rf"(?<![\w#])(?:{words})(?!\w)", name) or (role == "index" and not name):
                if role not in roles:
                    roles[role] = index
                taken.add(index)
                break
    action = roles.get("action")
    ticket = roles.get("ticket")
    if action is None and ticket is not None and _names_its_work(rows, ticket):
        # "| Issue | Triggered by | Outcome |" with "#41 — alerting gap on ..." under Issue: the
        # tickets are named by their work, and that column is the items'.
        action = ticket
    if action is None:
        free = [i for i in range(len(header)) if i not in taken]

        def wordiness(index: int) -> int:
            return sum(len(row[index]) for row in rows if index < len(row))

        action = max(free, key=lambda i: (wordiness(i), -i)) if free else None
    return Columns(
        action=action,
        owner=roles.get("owner"),
        due=roles.get("due"),
        priority=roles.get("priority"),
        status=roles.get("status"),
        ticket=ticket,
        type=roles.get("type"),
        notes=roles.get("notes"),
    )


_REF_THEN_WORDS = re.compile(r"^\W*(?:#\d{1,7}|[A-Z][A-Z0-9_]{1,9}-\d{1,7})\b\W+(?:[^\W\d_]{2,}\W+){2,}")


def _names_its_work(rows: Sequence[Sequence[str]], index: int) -> bool:
    """Most cells of column ``index`` are a ticket and then words of their own ("#41 — alerting gap on ...")."""
    cells = [strip_markdown(row[index]) for row in rows if index < len(row)]
    return bool(cells) and 2 * sum(bool(_REF_THEN_WORDS.match(cell)) for cell in cells) > len(cells)


def is_action_table(header: Sequence[str]) -> bool:
    """A table that counts without a heading: its first real column is "Action Item(s)"."""
    for cell in header:
        name = strip_markdown(cell).strip()
        if re.fullmatch(r"#|no\.?|id|", name, re.I):
            continue
        return "action" in title_roots(name)
    return False


def no_value(text: str) -> bool:
    """Empty cells and placeholders such as "-", "N/A", "TBD"."""
    return strip_markdown(text).strip().casefold().strip(".") in vocabulary.NO_VALUE


def cell_owner(text: str) -> str | None:
    """The owner column value, verbatim apart from Markdown (``[developer]`` stays as written)."""
    value = strip_markdown(text).strip()
    if no_value(value) or vocabulary.names_nobody(value):
        return None
    return value


def cell_due(text: str, base: date | None) -> date | None:
    """A due column value: a date, or a duration counted from the incident date."""
    value = strip_markdown(text)
    if re.search(r"\bQ[1-4]\b", value):
        return None
    if found := first_date(value, default_year=base.year if base else None):
        return found
    if base and (relative := RELATIVE.search(value)):
        return resolve_relative(relative, base)
    return None


def cell_priority(text: str) -> str | None:
    """A priority column value as written."""
    value = strip_decoration(strip_markdown(text)).strip()
    return None if no_value(value) else value


def cell_done(text: str) -> bool | None:
    """Done state from a status or ticket cell: DONE/Done/✅ -> True, TODO/Open -> False."""
    plain = strip_markdown(text)
    denied = _NOT_DONE.search(plain) is not None
    if _DONE.search(plain) and not denied:
        return True
    if _OPEN.search(plain) or denied or plain.strip(" \ufe0f") in _OPEN_CELL:
        return False
    return None


def cell_ticket(text: str) -> refs.Ref | None:
    """The ticket reference in a ticket/bug/issue cell."""
    if no_value(text):
        return None
    without_state = _STATE_IN_CAPITALS.sub(" ", text)
    return refs.find_in_cell(without_state.strip())


def link_ticket(text: str) -> refs.Ref | None:
    """A tracker link in any other cell (some tables put PR links in the Type column)."""
    for match in re.finditer(r"\[([^\[\]]*)\]\(([^()\s]+)\)", text):
        if found := refs.from_url(match.group(2)):
            return found
    for match in refs.ANY_URL.finditer(text):
        if found := refs.from_url(match.group().rstrip(".,;")):
            return found
    return None


def drop_numbering(text: str) -> str:
    """An action cell's own "1." numbering is not part of the text."""
    return _NUMBERING.sub("", text, count=1)

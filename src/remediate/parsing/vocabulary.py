"""Words the parser and every consumer of its output agree on.

Priorities first: authors write ``P1``, ``sev1``, ``SEV-1``, ``[high]``, ``Critical``. The JSON
``priority`` keeps the author's word; :func:`priority_level` is the one normalisation to
``P0``..``P4`` that the due-date policy, the Jira priority field, lint and the reports all use.
Adding a synonym is one line in :data:`PRIORITY_WORDS`.

Then states: the words that say an item is done or still open, wherever they are written (a
status cell, a ``[done]`` marker, a trailing ``(in progress)``, a status sub-heading) and the
check-mark glyphs. Every state pattern of the parser is built from :data:`DONE_WORDS`,
:data:`OPEN_WORDS` and the glyphs, so a new word is one line here and counts everywhere.
"""

from __future__ import annotations

import re

PRIORITY_LEVELS = ("P0", "P1", "P2", "P3", "P4")

#: Words people write for priorities, mapped to P0-P4. Anything else is no known priority.
PRIORITY_WORDS = {
    "critical": "P0",
    "blocker": "P0",
    "highest": "P0",
    "urgent": "P0",
    "high": "P1",
    "major": "P1",
    "medium": "P2",
    "normal": "P2",
    "moderate": "P2",
    "low": "P3",
    "minor": "P3",
    "lowest": "P4",
    "trivial": "P4",
}
#: Words that say an item is finished. A space matches any run of spaces or a hyphen.
DONE_WORDS = (
    "done",
    "complete",
    "completed",
    "finished",
    "fixed",
    "implemented",
    "shipped",
    "resolved",
    "merged",
    "deployed",
    "closed",
    "accomplished",
)
#: Words that say an item is not finished yet.
OPEN_WORDS = (
    "open",
    "todo",
    "to do",
    "in progress",
    "in development",
    "under development",
    "ongoing",
    "wip",
    "pending",
    "not started",
    "planned",
    "scheduled",
    "underway",
    "blocked",
    "backlog",
    "outstanding",
    "remaining",
    "failed",
)
#: Open words that name planned work: a state in a status cell or marker ("(planned)"), but a
#: heading made only of them ("Actions planned", "Scheduled") names the plan, not its items' state.
PLAN_WORDS = ("planned", "scheduled")
#: Check marks and status glyphs: a state wherever they are written.
DONE_MARKS = "✅✔☑"
OPEN_MARKS = "⬜☐🔲⏳🚧❌"
#: Glyphs that are a state only alone in a status cell: "🔄" is "in progress" there, and "again,
#: regularly" after an item's text ("Review the limits regularly. 🔄").
OPEN_CELL_MARKS = "🔄"
#: Traffic lights: a state beside an item ("Add X 🟢"), but a priority's colour in a heading
#: ("### 🟢 Low Priority"), so only the item's own text reads them as a state.
DONE_LIGHTS = "🟢"
OPEN_LIGHTS = "🔴🟡"


#: Labels of an item's fields, as people write them before a value ("Owner: @alice",
#: "(ETA: March 3)", "- Ticket: OPS-7"). A table's column headers use these and a few words
#: that only make sense as headers ("Who", "When"): see ``tables``.
FIELD_LABELS = {
    "owner": (
        "owner",
        "owners",
        "assignee",
        "assigned to",
        "dri",
        "responsible",
        "poc",
        "point of contact",
        "ai owner",
    ),
    "due": (
        "due",
        "due date",
        "due by",
        "eta",
        "deadline",
        "target",
        "target date",
        "by when",
        "complete by",
        "timeline",
    ),
    "priority": ("priority", "prio", "severity"),
    "status": ("status", "state"),
    "ticket": ("ticket", "jira", "issue", "bug", "tracking", "tracker"),
    # Notes that explain an item ("- **Description:** ..." under "**Add a probe**"): read as
    # the item's, and not kept as fields.
    "notes": ("description", "details", "notes", "note", "comments", "comment", "rationale", "context"),
}


#: Cell values and field values that say nothing ("-", "N/A", "TBD"), lower case.
NO_VALUE = frozenset({"", "-", "—", "–", "n/a", "na", "none", "tbd", "tba", "?", "unknown", "unassigned"})
#: Owner values that name nobody.
OWNER_PLACEHOLDERS = NO_VALUE | {"??", "???"}


def names_nobody(owner: str | None) -> bool:
    """An owner value that is a placeholder ("TBD", "(n/a)", "**?**"), not a person or team."""
    return owner is not None and owner.strip(" *_.()[]").casefold() in OWNER_PLACEHOLDERS


#: Labels of the lines where a document names its people ("Authors: Hypha, ICL", "Incident
#: commander: Ana"): a bracketed tag naming one of them leads that person's item.
PEOPLE_LABELS = (
    "author",
    "authors",
    "written by",
    "prepared by",
    "participants",
    "people involved",
    "responders",
    "incident commander",
    "incident lead",
    "incident owner",
    "on call",
    *FIELD_LABELS["owner"],
)

#: Words that make a name a group of people ("Platform team", "the SRE squad").
TEAM_WORDS = ("team", "teams", "squad", "group", "crew", "guild", "org", "on-call", "oncall")


def label_kind(label: str) -> str | None:
    """Which field ``label`` names ("ETA" -> "due"), or None."""
    word = " ".join(label.strip(" *_").casefold().split())
    return next((kind for kind, names in FIELD_LABELS.items() if word in names), None)


def alternation(phrases: tuple[str, ...]) -> str:
    """A regex alternation of ``phrases``, longest first, a space matching spaces or a hyphen."""
    ordered = sorted(phrases, key=len, reverse=True)
    return "|".join(re.escape(phrase).replace(r"\ ", r"[\s-]+") for phrase in ordered)


DONE_PATTERN = alternation(DONE_WORDS)
OPEN_PATTERN = alternation(OPEN_WORDS)
#: Every state word in capitals ("DONE", "IN PROGRESS"), for markers that are case-sensitive.
STATE_CAPS_PATTERN = alternation(tuple(w.upper() for w in (*DONE_WORDS, *OPEN_WORDS)))
PRIORITY_PATTERN = alternation(tuple(PRIORITY_WORDS))
LABEL_PATTERNS = {kind: alternation(names) for kind, names in FIELD_LABELS.items()}
_DONE_ONLY = re.compile(rf"^(?:{DONE_PATTERN})$", re.I)
_OPEN_ONLY = re.compile(rf"^(?:{OPEN_PATTERN})$", re.I)


def is_done_word(word: str) -> bool:
    """``word`` is one of :data:`DONE_WORDS` (any case, spaces or hyphens between its words)."""
    return bool(_DONE_ONLY.match(word.strip()))


def is_open_word(word: str) -> bool:
    """``word`` is one of :data:`OPEN_WORDS` (any case, spaces or hyphens between its words)."""
    return bool(_OPEN_ONLY.match(word.strip()))


def is_plan_word(word: str) -> bool:
    """``word`` is one of :data:`PLAN_WORDS` (any case)."""
    return word.strip().casefold() in PLAN_WORDS


_NUMBERED = re.compile(r"^(?:p|sev|sev-|s)([0-4])$")


def priority_level(raw: str | None) -> str | None:
    """``P1``, ``p1``, ``sev1``, ``SEV-1``, ``[high]``, ``High priority`` -> ``P1``; None if unknown."""
    if not raw:
        return None
    word = raw.strip().strip("[]()").strip().casefold()
    word = re.sub(r"[\s-]+priority$", "", word)
    numbered = _NUMBERED.match(word)
    if numbered:
        return f"P{numbered.group(1)}"
    return PRIORITY_WORDS.get(word)

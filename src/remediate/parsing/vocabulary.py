"""Words the parser and every consumer of its output agree on.

Priorities first: authors write ``P1``, ``sev1``, ``SEV-1``, ``[high]``, ``Critical``. The JSON
``priority`` keeps the author's word; :func:`priority_level` is the one normalisation to
``P0``..``P4`` that the due-date policy, the Jira priority field, lint and the reports all use.
Adding a synonym is one line in :data:`PRIORITY_WORDS`.
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

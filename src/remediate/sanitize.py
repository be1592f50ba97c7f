"""One rule for text that leaves remediate for a tracker or a terminal: no control characters.

Postmortems are pasted from anywhere. A BEL, a backspace, an ANSI escape sequence (which can
recolour, move the cursor or retitle a terminal) or a bidi override (U+202E, which makes text
read differently than it is stored: the "Trojan Source" trick) must reach neither a ticket nor
a terminal, CSV or Markdown file. Tabs and newlines are kept; ANSI sequences go whole, so no
``[31m`` residue is left.
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
# C0 but tab and newline, DEL, C1; bidi embeddings, overrides and isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """``text`` without ANSI escape sequences, control characters (but tab and newline) or bidi overrides."""
    if text.isprintable():
        return text
    return _CONTROL.sub("", _ANSI.sub("", text))


def clean_optional(text: str | None) -> str | None:
    """:func:`clean` that passes None through."""
    return None if text is None else clean(text)

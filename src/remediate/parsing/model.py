"""What parsing a postmortem produces: plain frozen values, cheap to import."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from remediate.parsing.vocabulary import priority_level

if TYPE_CHECKING:
    from remediate.parsing.explain import Explanation

ItemKind = Literal["list", "checkbox", "table", "prose"]


@dataclass(frozen=True)
class ActionItem:
    """One action item found in a postmortem."""

    id: str
    text: str
    section: str
    owner: str | None = None
    due: date | None = None
    priority: str | None = None
    done: bool | None = None
    tracker_ref: str | None = None
    line: int = 0  # 1-based line where the item starts
    end_line: int = 0  # 1-based line where it ends (wrapped lines, multi-line cells)
    kind: ItemKind = "list"
    # Character offsets [start, end) into the decoded document text of the item as written:
    # a list item from after its marker/checkbox to the end of its last line, without a
    # trailing ticket reference; a prose item the sentence(s) with final punctuation; a
    # table item the whole row line. Write-back inserts the ticket reference at span end
    # (before the final punctuation for prose, in the ticket cell for tables).
    span: tuple[int, int] = (0, 0)
    tracker_url: str | None = None  # the link target when the reference was written as a link
    # Every reference the item names, in order (the first is tracker_ref): a table row may name
    # a bug in its Bug column and, after a write-back, remediate's ticket after its action text.
    refs: tuple[str, ...] = ()
    # How sure the parser is that this is an action item, in [0, 1] (see parsing/explain.py).
    # Not part of equality: it describes the reading, not the item.
    confidence: float = field(default=1.0, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The item as the ``--format json`` object documents it."""
        return {
            "id": self.id,
            "text": self.text,
            "section": self.section,
            "owner": self.owner,
            "due": self.due.isoformat() if self.due else None,
            "priority": self.priority,
            "done": self.done,
            "tracker_ref": self.tracker_ref,
            "line": self.line,
            "end_line": self.end_line,
            "kind": self.kind,
            "span": list(self.span),
            "tracker_url": self.tracker_url,
            "refs": list(self.refs),
            "priority_level": self.priority_level,
            "confidence": self.confidence,
        }

    @property
    def priority_level(self) -> str | None:
        """The priority as P0-P4 (``[high]`` -> P1), None when it names no known level."""
        return priority_level(self.priority)


@dataclass(frozen=True)
class Postmortem:
    """A postmortem's identity and metadata."""

    id: str
    title: str | None
    date: date | None
    source: str
    content_hash: str

    def to_json(self) -> dict[str, Any]:
        """The postmortem as the ``--format json`` object documents it."""
        return {
            "id": self.id,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "source": self.source,
            "content_hash": self.content_hash,
        }


@dataclass(frozen=True)
class ParseResult:
    """A parsed postmortem: its metadata, action items and anything worth warning about."""

    postmortem: Postmortem
    action_items: tuple[ActionItem, ...]
    warnings: tuple[str, ...] = field(default=())
    # Why the parser decided what it did; only when asked (``parse_text(..., explain=True)``).
    explanation: Explanation | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        """Exactly the object ``remediate parse --format json`` prints."""
        data: dict[str, Any] = {
            "postmortem": self.postmortem.to_json(),
            "action_items": [item.to_json() for item in self.action_items],
            "warnings": list(self.warnings),
        }
        if self.explanation is not None:
            data["explanation"] = self.explanation.to_json()
        return data


# Markup characters, or the "[" of a link "[text](url)". The rest of a link is found by
# _drop_markup: "\[([^\]]*)\]\([^)]*\)" scanned to the end for every "[" with no "](...)" after it.
_MARKUP = re.compile(r"[*_`~]+|\[")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def _drop_markup(text: str) -> str:
    """Markup runs become a space and ``[text](url)`` its text (a space if empty), in linear time.

    The same result as the former pattern "markup run, or [text](url)" applied with re.sub.
    """
    parts: list[str] = []
    done = position = 0
    bracket = paren = -2  # cached positions of the next "]" and ")" (-1: none left)
    while match := _MARKUP.search(text, position):
        start = match.start()
        if match.group() != "[":
            parts.append(text[done:start])
            parts.append(" ")
            done = position = match.end()
            continue
        position = start + 1
        if bracket != -1 and bracket < start + 1:
            bracket = text.find("]", start + 1)
        if bracket == -1 or text[bracket + 1 : bracket + 2] != "(":
            continue
        if paren != -1 and paren < bracket + 2:
            paren = text.find(")", bracket + 2)
        if paren == -1:
            continue
        parts.append(text[done:start])
        parts.append(text[start + 1 : bracket] or " ")
        done = position = paren + 1
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def normalize_text(text: str) -> str:
    """Reduce item text to its words: case, markup, punctuation and spacing do not matter."""
    return _NON_WORD.sub(" ", _drop_markup(text).casefold()).strip()


# Every ASCII character that is not a letter or a digit (what _NON_WORD matches in ASCII text).
_ASCII_NON_WORD = {c: " " for c in range(128) if not chr(c).isalnum()}


def normalized_words(text: str) -> list[str]:
    """``normalize_text(text).split()``, three times faster for ASCII text without a link.

    For such text dropping markup only turns markup runs into spaces, as punctuation is anyway;
    the audit splits 100,000 item texts into words.
    """
    if text.isascii() and "[" not in text:
        return text.lower().translate(_ASCII_NON_WORD).split()
    return normalize_text(text).split()


def item_id(postmortem_id: str, text: str, occurrence: int = 0) -> str:
    """A stable id for an item: the same words in the same postmortem give the same id.

    ``occurrence`` tells apart items whose normalized text is identical in one document.
    """
    key = f"{postmortem_id}\n{normalize_text(text)}\n{occurrence}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def content_hash(text: str) -> str:
    """Hash of the document text, to notice when a postmortem changed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

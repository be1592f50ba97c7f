"""Which stored item is this parsed item? The rule that keeps one ticket per action item.

An item found in a document is matched to the items stored for the same postmortem, in order:

1. **Ticket reference.** If the document names a ticket (``(OPS-42)``, ``#12``, a URL, or the
   reference that ``--write-back`` wrote) and a stored item is linked to that ticket, it is that
   item, however much the wording changed.
2. **Same words.** The parser id is a hash of the item's normalized words (case, markup,
   punctuation and spacing do not count), so an item whose id equals a stored item's current or
   original id is that item. Reordering and inserting items change nothing.
3. **Similar words.** Items left over on both sides (wording that disappeared, wording that
   appeared) are paired by similarity, best pairs first: the mean of the character-level
   similarity of the normalized texts and the overlap (Dice) of their content words, plus
   ``SECTION_BONUS`` when both sit in the same section. Pairs scoring at least the threshold
   (``DEFAULT_THRESHOLD``, ``[sync] match_threshold`` in the config) are the same item: a fixed
   typo or a partly reworded sentence keeps its ticket. Measured on edit pairs, same-item edits
   score 0.72 and up; different items of the same shape score up to 0.68.
4. Anything else is a new item and gets a new ticket; stored items left over were removed from
   the document (flagged, their tickets left alone).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import filterfalse
from typing import Literal

from remediate.parsing.model import normalize_text, normalized_words

DEFAULT_THRESHOLD = 0.65
SECTION_BONUS = 0.05

# Words that carry no meaning of their own; ignored by the word-overlap half of the score.
_STOPWORDS = frozenset(
    "a an and are as at be by for from in into is it of on or our the this that to we will with".split()
)

How = Literal["ref", "id", "fuzzy", "new"]


@dataclass(frozen=True)
class Known:
    """A stored item, as the matcher needs it."""

    id: str
    content_id: str
    text: str
    section: str
    ticket_key: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A parsed item, as the matcher needs it."""

    id: str
    text: str
    section: str
    ticket_key: str | None = None  # the document's reference, already claimed by the tracker


@dataclass(frozen=True, slots=True)
class Match:
    """The stored item a parsed item is (None: a new item), and how that was decided."""

    known_id: str | None
    how: How
    score: float = 1.0


def similarity(a: str, b: str) -> float:
    """Similarity of two item texts in [0, 1]: character ratio and content-word Dice, averaged."""
    norm_a, norm_b = normalize_text(a), normalize_text(b)
    chars = SequenceMatcher(None, norm_a, norm_b, autojunk=False).ratio()
    words_a = {w for w in norm_a.split() if w not in _STOPWORDS}
    words_b = {w for w in norm_b.split() if w not in _STOPWORDS}
    dice = 2 * len(words_a & words_b) / (len(words_a) + len(words_b)) if words_a and words_b else 0.0
    return (chars + dice) / 2


# --- what the audit's recurring search keeps of each item ------------------------------------
#
# ``remediate audit`` looks for items of different postmortems that say the same thing. It finds
# candidate pairs through blocking keys and diffs their normalized texts
# (``reports.audit.find_recurring``); normalizing and keying 100,000 texts took a third of the
# audit, so the sync stores both with each item (``item.recurrence_keys``, written by
# :func:`recurrence_keys`) and the audit only reads them. Items stored without them (older
# databases, bulk writes) get them at audit time from :func:`recurrence_record`, the function
# the stored ones come from, so stored and computed keys cannot differ.

#: The first line of every stored record. Change it whenever :func:`recurrence_record` (or the
#: normalization under it) changes what it returns: records stored under another tag are then
#: ignored and computed afresh, never mixed with new ones.
RECURRENCE_KEYS_VERSION = "recurrence-1"


def blocking_keys(words: Sequence[str]) -> set[str]:
    """An item's blocking keys from its content words: pairs of adjacent words, and the words
    themselves when it has fewer than three (so short items still meet their repeats)."""
    keys = set(map(" ".join, zip(words, words[1:], strict=False)))  # map: twice a set comprehension's speed
    if len(words) < 3:
        keys.update(words)
    return keys


def recurrence_record(text: str) -> tuple[str, Collection[str]]:
    """What the recurring search compares of ``text``: its normalized text (``normalize_text``'s)
    and its blocking keys (from its content words: the normalized words less the stop words)."""
    words = normalized_words(text)
    return " ".join(words), blocking_keys(list(filterfalse(_STOPWORDS.__contains__, words)))


def recurrence_keys(text: str) -> str:
    """What ``item.recurrence_keys`` holds for ``text``: the version tag, the normalized text, then
    the blocking keys sorted, one a line (normalized words never contain a line break)."""
    norm, keys = recurrence_record(text)
    return "\n".join([RECURRENCE_KEYS_VERSION, norm, *sorted(keys)])


def stored_recurrence(stored: str | None) -> tuple[str, Collection[str]] | None:
    """The :func:`recurrence_record` kept in ``stored`` (an ``item.recurrence_keys``); None when
    there is none or it was written under another version (then compute it from the text)."""
    if stored is None:
        return None
    lines = stored.split("\n")
    return (lines[1], lines[2:]) if lines[0] == RECURRENCE_KEYS_VERSION and len(lines) > 1 else None


def updated_recurrence_keys(stored: str | None, old_text: str, text: str) -> str:
    """What ``item.recurrence_keys`` should hold once the item's text is ``text`` (was ``old_text``):
    ``stored`` when it holds a current record and the text is unchanged, else :func:`recurrence_keys`."""
    if stored is not None and old_text == text and stored_recurrence(stored) is not None:
        return stored
    return recurrence_keys(text)


def match_items(
    candidates: Sequence[Candidate],
    known: Sequence[Known],
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Match]:
    """Match each candidate to at most one known item; return one Match per candidate, in order."""
    result: dict[int, Match] = {}
    free = {k.id: k for k in known}

    by_ticket: Mapping[str, Known] = {k.ticket_key: k for k in known if k.ticket_key}
    for index, candidate in enumerate(candidates):
        owner = by_ticket.get(candidate.ticket_key) if candidate.ticket_key else None
        if owner is not None and owner.id in free:
            result[index] = Match(owner.id, "ref")
            del free[owner.id]

    for index, candidate in enumerate(candidates):
        if index in result:
            continue
        exact = next((k for k in free.values() if candidate.id in (k.content_id, k.id)), None)
        if exact is not None:
            result[index] = Match(exact.id, "id")
            del free[exact.id]

    pairs = []
    for index, candidate in enumerate(candidates):
        if index in result:
            continue
        for stored in free.values():
            score = similarity(candidate.text, stored.text)
            if candidate.section and candidate.section == stored.section:
                score += SECTION_BONUS
            if score >= threshold:
                pairs.append((score, index, stored.id))
    # Best pairs first, so an edit is not stolen by a weaker look-alike; ties keep document order.
    for score, index, stored_id in sorted(pairs, key=lambda p: (-p[0], p[1])):
        if index in result or stored_id not in free:
            continue
        result[index] = Match(stored_id, "fuzzy", round(min(score, 1.0), 3))
        del free[stored_id]

    return [result.get(i, Match(None, "new", 0.0)) for i in range(len(candidates))]

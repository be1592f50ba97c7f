"""Prose under an action heading: which lines and sentences state an action (LABELING.md rule 4).

A paragraph is cut into *units* (one per line when its lines are whole
sentences, else the whole paragraph), and a unit into sentences. A sentence
states an action when it is an imperative ("Enhance monitoring ..."), a plan
("We will add ...", "The team should ...", "... is scheduled for ..."), or an
action gerund ("Updating the pool configuration ..."). Sentences that explain
the previous action ("This will ensure ...") stay with it; intro sentences
("The following measures will be taken:"), closing remarks ("In conclusion,
...") and lessons ("This issue could have been prevented by ...") are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from remediate.parsing.text import Chunk, Line, split_sentences, strip_markdown

# Base forms of verbs that open an action item. Kept to verbs people use in postmortems;
# a verb missing here only matters for prose next to a list, where we stay strict.
ACTION_VERBS = frozenset(
    """
    add adjust adopt alert align allow analyse analyze apply archive ask assess assign audit
    automate avoid backfill backport build bump cap capture change check clarify clean communicate
    complete conduct configure consider consolidate continue create debug decommission decouple
    define delete deploy deprecate design detect develop disable disallow document double drop
    educate eliminate embrace enable encourage enforce enhance ensure escalate establish evaluate
    expand expose extend finalize fix flag follow gate generate harden hire identify implement
    improve include increase instrument integrate introduce investigate isolate keep label limit
    log lower maintain make measure merge migrate minimize mitigate modify monitor move notify
    offer onboard optimize optimise organize organise own page partition patch perform pin plan
    prefer prepare prevent prioritize prioritise provide provision publish purge raise re-enable
    rebuild recheck record reduce refactor refine reinforce release remove rename repair replace
    reproduce require rerun research reset resize restart restore restrict retire retry revert
    review revise revisit rewrite roll rollback rotate route run scale schedule scope secure
    segregate separate set setup share ship simplify split stage standardize standardise start stop
    store streamline strengthen submit support switch tag teach test throttle tighten track train
    triage tune turn unify update upgrade use validate verify version warn watch wire write
    """.split()
)
_AUXILIARIES = frozenset(
    "is are was were be been has have had will would should can could may might must does did "
    "of helps needs".split()
)
_MODAL = re.compile(
    r"\b(?:will|shall|should|must|need(?:s)? to|plan(?:s)? to|(?:are|is) going to|intend(?:s)? to"
    r"|(?:is|are) (?:scheduled|planned|being \w+ed)|(?:it is |we )?recommend(?:ed|s)?"
    r"|^(?:we|the \w+ team|\w+ team|they)(?: are|['’]re| is) (?:now |also |currently |actively )?\w+ing)\b"
    r"|['’]ll\b",
    re.I,
)
_CLOSING = re.compile(
    r"^(?:in conclusion|to conclude|in summary|to summari[sz]e|overall|all in all|so,|finally, we"
    r"|thank|thanks|we (?:sincerely )?apologi[sz]e|we appreciate|we are committed|we remain"
    r"|we['’]re committed|feel free|please|if you|note\b|nb\b|p\.s\.|once again|with these"
    r"|by implementing|by addressing|these (?:measures|steps|actions|changes|improvements) (?:will|aim|should)"
    r"|the (?:corrective )?measures aim|this (?:incident|outage|issue|event|experience) (?:highlighted|underscored|taught|reminded|showed))",
    re.I,
)
_NARRATIVE = re.compile(
    r"^(?:this|the|that) (?:incident|outage|issue|problem|event|bug|failure)\b"
    r"|^(?:we|i|the team|they)(?: have| had|['’]ve)? (?:\w+ed|done|taken|made|built|wrote|did|ran|found|saw)\b"
    r"|\b(?:could|would|should) have been\b",
    re.I,
)
_EXPLAINS = re.compile(
    r"^(?:this|these|that|those|it|they|such|doing so|which|so that|otherwise|as a result|that way"
    r"|in doing so|by doing|the goal|the aim|the purpose)\b",
    re.I,
)
_CONNECTIVE = re.compile(
    r"^(?:also|additionally|further(?:more)?|moreover|then|next|finally|first(?:ly)?|second(?:ly)?"
    r"|third(?:ly)?|lastly|in addition|in parallel|going forward|moving forward|longer[- ]term"
    r"|short[- ]term|long[- ]term|immediately|as a (?:first|next) step|to start with|to that end"
    r"|in the (?:short|long|medium) term|where possible|if needed)\b[,:]?\s*",
    re.I,
)
_LABEL = re.compile(r"^(?:[^:.!?]{1,50}):\s+(?=\S)")

IMPERATIVE, PLAN, GERUND, NONE = "imperative", "plan", "gerund", "none"

# Every check below reads the plain words of the same sentences; strip the Markdown once.
_plain = lru_cache(maxsize=4096)(strip_markdown)


def _verb_of_gerund(word: str) -> str | None:
    if not word.endswith("ing") or len(word) < 6:
        return None
    stem = word[:-3]
    for candidate in (
        stem,
        stem + "e",
        stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else "",
    ):
        if candidate in ACTION_VERBS:
            return candidate
    return None


def action_kind(sentence: str) -> str:
    """How a sentence states an action: IMPERATIVE, PLAN, GERUND or NONE."""
    text = _plain(sentence).strip()
    text = _LABEL.sub("", text, count=1) if _LABEL.match(text) and len(text) > 60 else text
    for _ in range(2):
        text = _CONNECTIVE.sub("", text, count=1)
    tokens = re.findall(r"[A-Za-z][A-Za-z'’\-]*", text)
    if not tokens or _CLOSING.match(text):
        return NONE
    first = tokens[0].casefold()
    second = tokens[1].casefold() if len(tokens) > 1 else ""
    if first in ACTION_VERBS and second not in _AUXILIARIES and not first.endswith("s"):
        return IMPERATIVE
    if first in ACTION_VERBS and first.endswith("s") and second not in _AUXILIARIES:
        return IMPERATIVE  # "Fixes and monitors ..." reads as a headline of the action
    if _MODAL.search(text) and not _NARRATIVE.match(text):
        return PLAN
    if _verb_of_gerund(first) and second not in _AUXILIARIES:
        return GERUND
    return NONE


def is_closing(sentence: str) -> bool:
    """Closing remarks, apologies and notes to the reader."""
    text = _CONNECTIVE.sub("", _plain(sentence).strip(), count=1)
    return bool(_CLOSING.match(text))


def is_intro(sentence: str) -> bool:
    """Sentences that introduce a list: they end with ':' or announce "the following"."""
    text = _plain(sentence).rstrip()
    return text.endswith((":", "：")) or bool(
        re.search(r"\b(?:the following|as follows)\b", text, re.I)
    )


def is_narrative(sentence: str) -> bool:
    """What happened, or what should have happened, rather than what will be done."""
    return bool(_NARRATIVE.search(_plain(sentence).strip()))


def explains(sentence: str) -> bool:
    """Sentences that explain or justify the sentence before them."""
    return bool(_EXPLAINS.match(_plain(sentence).strip()))


_JOINING_END = re.compile(
    r"(?:[,;\-–—/(]|\b(?:and|or|the|a|an|to|of|with|for|in|on|by|from|that|which|as|at|is|are))$",
    re.I,
)


def units(lines: Sequence[Line]) -> list[Chunk]:
    """Cut a paragraph into units: a new unit starts where a line ends a sentence or a new one begins."""
    result: list[list[Chunk]] = []
    for line in lines:
        chunk = Chunk.of_line(line).strip()
        if not chunk.text:
            continue
        if result:
            previous = _plain(result[-1][-1].text)
            starts_new = re.match(r"[\"'“‘(*_]*[A-Z0-9]", chunk.text) is not None
            if previous.endswith((".", "!", "?", ":", "：")) or (
                starts_new and not _JOINING_END.search(previous) and len(previous) < 100
            ):
                result.append([chunk])
                continue
            result[-1].append(chunk)
        else:
            result.append([chunk])
    return [Chunk.join(parts) for parts in result]


def too_short(text: str) -> bool:
    """Fewer than two words: "N/A", "TBD", "None.", a stray "rebellions." line."""
    plain = _plain(text)
    return len(re.findall(r"[^\W\d_]{2,}", plain)) < 2


def action_sentences(unit: Chunk, *, strict: bool) -> list[Chunk]:
    """The items a prose unit holds: one per distinct action, explanations kept with it.

    ``strict`` (prose next to a list or table) accepts only imperatives; otherwise plans
    and gerunds count too, and a unit with no action sentence is one item unless it is
    an intro, a closing remark or too short.
    """
    sentences = split_sentences(unit)
    if not sentences:
        return []
    kinds = [action_kind(s.text) for s in sentences]
    accepted = {IMPERATIVE} if strict else {IMPERATIVE, PLAN, GERUND}
    items: list[list[Chunk]] = []
    for sentence, kind in zip(sentences, kinds, strict=True):
        text = sentence.text
        if is_intro(text) or is_closing(text):
            if items and not is_closing(text) and not text.rstrip().endswith(":"):
                items[-1].append(sentence)
                continue
            if is_closing(text) and not items:
                break  # closing remarks: nothing after them is an item either
            continue
        if kind in accepted and not (items and explains(text) and kind != IMPERATIVE):
            items.append([sentence])
        elif items and not is_narrative(text):
            items[-1].append(sentence)
    if not items and not strict and len(sentences) >= 1:
        first = sentences[0].text
        if not (is_intro(first) or is_closing(first) or too_short(unit.text)):
            items = [sentences]
    return [Chunk.join(group) for group in items if not too_short(" ".join(c.text for c in group))]

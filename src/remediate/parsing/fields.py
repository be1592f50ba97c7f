"""Per-item facts written into the item's own text: owner, due, priority, done, ticket.

:func:`read_fields` peels metadata off the end (and the start) of the raw item
text until nothing more comes off, then cleans what is left into the item text
(LABELING.md rule 5): markers, emphasis, backticks and trailing ticket links go,
inline links keep their text, the wording stays.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date

from remediate.parsing import refs, vocabulary
from remediate.parsing.dates import RELATIVE, find_dates, first_date, resolve_relative
from remediate.parsing.prose import ACTION_VERBS
from remediate.parsing.text import TRAILING_BREAKS, strip_decoration, strip_markdown
from remediate.parsing.vocabulary import PRIORITY_WORDS

# Linear-time rules for the patterns below (they run on user text, at every start position of a
# search): a quantifier over whitespace or separators is possessive (``*+``) when what follows it
# cannot start with what it repeats; a pattern that starts with such a run is searched only from
# the start of a run (``(?<!...)``: a match inside a run would also match one character earlier),
# so a run is scanned once, not once per start; an optional part is written ``(?:x\s*+)?``
# rather than ``x?\s*``, whose two adjacent whitespace runs can split a run in n ways.
_SEP_CHARS = r"\s,;:\-–—|"
_SEP = rf"[{_SEP_CHARS}]*+"
_SEP_GUARD = rf"(?<![{_SEP_CHARS}])"
_WS_GUARD = r"(?<!\s)"
_END = r"\s*+(?:\.\s*+)?$"  # "\s*\.?\s*$"


class _Trailing:
    """A trailing pattern for :func:`_tail`: ``guard + body`` (see the rules above), compiled on
    first use, since a document's items need few of them.

    ``needs``: strings one of which any match contains (lower case); a window without them is
    answered without running the pattern (most items have no trailing note at all). The body
    alone (the pattern without its guard) is tried at the start of the window _tail searches,
    where the guard would look at a character before the window: only items longer than the
    window need it.
    """

    __slots__ = ("_compiled", "_unguarded", "body", "flags", "guard", "needs")

    def __init__(self, guard: str, body: str, flags: int = 0, *, needs: tuple[str, ...] = ()) -> None:
        self.guard, self.body, self.flags, self.needs = guard, body, flags, needs
        self._compiled: re.Pattern[str] | None = None
        self._unguarded: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self.guard + self.body, self.flags)
        return self._compiled

    def unguarded(self) -> re.Pattern[str] | None:
        if not self.guard:
            return None
        if self._unguarded is None:
            self._unguarded = re.compile(self.body, self.flags)
        return self._unguarded


_LINK = r"\[(?P<text>[^\[\]]*)\]\((?P<url>[^()\s]+)\)"
_HTML_LINK = r"<a\s[^<>]*?\bhref=[\"']?(?P<url>[^\"'\s<>]+)[\"']?[^<>]*>(?P<text>[^<>]*)</a>"
_REF_TOKEN = r"(?P<ref>#\d{1,7}|[\w.-]+/[\w.-]+#\d+|[A-Z][A-Z0-9_]{1,9}-\d{1,7}|https?://[^\s()\[\]]+)"

_TICKET_LABEL = vocabulary.LABEL_PATTERNS["ticket"]
_REF_WORDS = (
    rf"(?:see|{_TICKET_LABEL}|tracked (?:in|by)|follow[- ]up(?: in)?"
    rf"|filed(?: as| in)?|opened|logged)(?:\s*+:\s++|\s++)|(?:{_TICKET_LABEL}):\s*+"
)
# Trailing ticket references, tried in order; each must leave the item text before it.
_TRAILING_REFS = [
    _Trailing(_SEP_GUARD, rf"{_SEP}\[\s*+{_LINK}\s*+\]{_END}", needs=("](",)),  # [[PR](url)]
    _Trailing(_SEP_GUARD, rf"{_SEP}\(\s*+(?:{_REF_WORDS})?{_LINK}\s*+\){_END}", re.I, needs=("](",)),  # ([#12](url))
    _Trailing(_SEP_GUARD, rf"{_SEP}{_LINK}{_END}", needs=("](",)),  # - [jira](url)
    # "- <a href=https://github.com/o/r/issues/7>...</a></span>": the same link in pasted HTML
    _Trailing(_SEP_GUARD, rf"{_SEP}{_HTML_LINK}(?:\s*+</[a-z]++>)*+{_END}", re.I, needs=("</a>",)),
    _Trailing(_WS_GUARD, rf"\s*+[(\[]\s*+(?:{_REF_WORDS})?{_REF_TOKEN}\s*+[)\]]{_END}", re.I, needs=(")", "]")),
    # "... - <url>.": the separators before the URL end in whitespace (or the URL starts the text)
    _Trailing(_SEP_GUARD, rf"(?:[{_SEP_CHARS}]++(?<=\s)|^)(?P<ref>https?://[^\s()\[\]]+?)[.,;]?\s*+$", needs=("http",)),
    # "... <https://github.com/o/r/issues/89>": the same as an autolink
    _Trailing(_SEP_GUARD, rf"(?:[{_SEP_CHARS}]++(?<=\s)|^)<(?P<ref>https?://[^\s<>]+)>[.,;]?\s*+$", needs=("<http",)),
    _Trailing("", rf"(?:\s[-–—:]\s*+|\s)(?P<ref>#\d{{1,7}}|[\w.-]+/[\w.-]+#\d+){_END}"),
    _Trailing("", rf"\s[-–—:]\s*+(?:see\s++|(?:{_TICKET_LABEL}):?\s*+)?(?P<ref>[A-Z][A-Z0-9_]{{1,9}}-\d{{1,7}}){_END}"),
]
# "Do X (OPS-42)." -- the sync engine writes a prose sentence's ticket before its final period.
_BEFORE_PERIOD = _Trailing(_WS_GUARD, rf"\s*+\(\s*+(?:{_LINK}|{_REF_TOKEN})\s*+\)(?P<punct>[.!?])\s*+$", needs=("(",))
_LEADING_REF = re.compile(
    rf"^\s*{_LINK}\s*[:\-–—]?\s*"  # "[org/repo#12](url) - Do X": a ticket link leading the text
    # "[GH-7]: X", "[GH-7 (Done)][gh-7]: X": a ticket as the label of the text, maybe with its state.
    rf"|^\s*\[\s*{_REF_TOKEN}(?:\s*\(\s*(?P<state>(?i:{vocabulary.DONE_PATTERN}|{vocabulary.OPEN_PATTERN}))\s*\))?\s*\]"
    rf"(?:\[[^\[\]\s]+\])?\s*[:\-–—]?\s*|^\s*(?P<key>[A-Z][A-Z0-9_]{{1,9}}-\d{{1,7}})\s*:\s+"
)

_DONE_WORDS = vocabulary.DONE_PATTERN
_OPEN_WORDS = vocabulary.OPEN_PATTERN
_TRAILING_DONE = _Trailing(
    _WS_GUARD,
    rf"(?:\s*+(?:[-–—]\s*+)?[(\[]\s*+\**+(?P<word>{_DONE_WORDS}|{_OPEN_WORDS})\**+\s*+(?:[.!]\s*+)?[)\]]{_END}"
    rf"|\s++[-–—]\s*+\**+(?P<word2>{_DONE_WORDS}|{_OPEN_WORDS})\**+{_END})",
    re.I,
    needs=("(", "[", "-", "–", "—"),
)
_STATE_WORDS = (*vocabulary.DONE_WORDS, *vocabulary.OPEN_WORDS)
# "~~Add X~~ DONE", "Add X. FIXED": a state word in capitals after the text has ended (struck
# through, or a full stop or bracket); case-sensitive, so "... is done" stays wording.
_TRAILING_CAPS_STATE = _Trailing(
    _WS_GUARD,
    rf"(?:(?<=~~)|(?<=[.)]))\s++\**+(?P<word>{vocabulary.STATE_CAPS_PATTERN})\**+{_END}",
    needs=("~~", ".", ")"),
)
# "**(Done as of 2021-06-30)**", "(completed on March 3, 2024)": a state with the date it was
# reached, a marker like "(done)"; the date is when, not a deadline (checked by _dated_state).
_TRAILING_DATED_STATE = _Trailing(
    _WS_GUARD,
    rf"\s*+(?:\*\*|__)?[(\[]\s*+\**+(?P<word>{_DONE_WORDS}|{_OPEN_WORDS})\s++(?:(?:as\s++of|on|since)\s++)?"
    rf"(?P<when>[^()\[\]*\n]{{4,30}}?)\s*+\**+[)\]](?:\*\*|__)?{_END}",
    re.I,
    needs=("(", "["),
)
# "... in the current metrics. _done in grafana_.": after the sentence has ended, an emphasised
# note of a few words that opens with a state word is a marker, not wording.
_TRAILING_EMPH_STATE = _Trailing(
    _WS_GUARD,
    rf"(?<=[.!?])\s++(?P<em>\*\*|__|\*|_)(?P<word>{_DONE_WORDS}|{_OPEN_WORDS})\b(?P<rest>[^*_\n]{{0,40}}?)(?P=em){_END}",
    re.I,
    needs=("*", "_"),
)
# "(fixed by adding a probe)", "(added an on-call role)": a trailing note saying it was done.
_DONE_NOTE = _Trailing("", rf"\(\s*(?:{_DONE_WORDS}|added)\b[^()]*\)\s*\.?\s*$", re.I)
_DONE_EMOJI = vocabulary.DONE_MARKS + vocabulary.DONE_LIGHTS
_OPEN_EMOJI = vocabulary.OPEN_MARKS + vocabulary.OPEN_LIGHTS
_EMPH_OPEN = r"(?:\*\*|__|<(?:strong|b|em|i)>)?"
_EMPH_CLOSE = r"(?:\*\*|__|</(?:strong|b|em|i)>)?"
_LEADING_STATE = re.compile(
    # "DONE - X", "[WIP] X": a state word in capitals; "Done: X": capitalised, with a colon;
    # "(Done) Roll out X", "[in progress] Add Y": a bracketed state of any case before the text.
    # Emphasis around the word may hold its colon: "**TODO:** X", "<strong>TODO:</strong> X".
    rf"^\s*{_EMPH_OPEN}\[?(?P<word>{vocabulary.STATE_CAPS_PATTERN})\]?"
    rf"(?:(?::\s*)?{_EMPH_CLOSE})?(?:\s*[:\-–—]\s*|\s+(?=\S)|(?<=[>*_])(?=\S))"
    rf"|^\s*{_EMPH_OPEN}(?P<word2>{vocabulary.alternation(tuple(w.capitalize() for w in _STATE_WORDS))})"
    rf"(?::\s*{_EMPH_CLOSE}|{_EMPH_CLOSE}\s*:)\s*"
    # "[Done][ref]: X": the bracketed state is a reference link's text.
    rf"|^\s*[(\[]\s*(?P<word3>(?i:{vocabulary.alternation(_STATE_WORDS)}))\s*[)\]](?:\[[^\[\]\s]+\])?\s*[:\-–—]?\s*(?=\S)"
)
_OWNER_LABEL = rf"(?:{vocabulary.LABEL_PATTERNS['owner']})"
# "@dana", "Dana Smith", "dana, lee", and the "dana@" handles some teams write.
_OWNER_VALUE = r"(?P<owner>@?[\w][\w.'\-/]*@?(?:\s+[A-Z][a-z][\w.'\-]*)?(?:\s*(?:,|&|\band\b)\s*@?[\w][\w.'\-/]*@?)*)"
_CLOSE_END = r"\s*+(?:[)\]]\s*+)?(?:\.\s*+)?$"  # "\s*[)\]]?\s*\.?\s*$"
_TRAILING_OWNER = _Trailing(
    _SEP_GUARD,
    rf"{_SEP}(?:[(\[]\s*+)?\b{_OWNER_LABEL}\s*+[:=\-]\s*+{_OWNER_VALUE}{_CLOSE_END}",
    re.I,
    needs=vocabulary.FIELD_LABELS["owner"],
)
_TRAILING_HANDLE = _Trailing(_WS_GUARD, rf"(?:\s++[-–—]\s*+|\s*+[(\[]\s*+|\s++)(?P<owner>@[\w][\w.\-/]*){_CLOSE_END}")
_LEADING_OWNER = re.compile(
    rf"^\s*+(?:[(\[]\s*+)?(?:{_OWNER_LABEL}\s*+[:=]\s*+)?(?P<owner>@[\w][\w.\-/]*)\s*+(?:[)\]:]|(?<=\s)[-–—])\s*+",
    re.I,
)
_DUE_LABEL = rf"(?:{vocabulary.LABEL_PATTERNS['due']})"
# "Owner: bob - Add X", "Owner: Platform team; Add X": a labelled owner before the text.
_LEADING_OWNER_LABEL = re.compile(
    rf"^\s*+(?:\*\*|__)?{_OWNER_LABEL}(?:\*\*|__)?\s*+[:=]\s*+(?P<owner>[^\s\-–—;,()][^\-–—;,()\n]{{0,40}}?)"
    r"(?:\s*+[;,]|\s++[-–—])\s*+(?=\S)",
    re.I,
)
# "[SRE] Add X", "(aki) bring the teams together": a bracketed tag before the text.
_LEADING_TAG = re.compile(r"^\s*+[\[(]\s*+(?P<tag>[^\[\]()\n]{1,40}?)\s*+[\])]\s*+(?:[:\-–—]\s*+)?(?=\S)")
# "... brought into the house [Rick]": a bracketed name or team after the text.
_TRAILING_TAG = _Trailing(_WS_GUARD, r"\s++\[(?P<tag>[^\[\]()\n]{1,40})\]\s*+$", needs=("]",))
# "Platform team: migrate the queue", "Hypha + ICL: publish a post": a doer before a colon.
_LEADING_DOER = re.compile(r"^\s*+(?:\*\*|__)?(?P<tag>[^:：*_\n]{1,40}?)(?:\*\*|__)?\s*+[:：]\s++(?=\S)")
# "@alice Add an alert": a handle before an imperative.
_LEADING_HANDLE = re.compile(r"^\s*+(?P<owner>@[\w][\w.\-/]*)\s++(?P<verb>[A-Za-z]+)\b")
_TEAM = re.compile(rf"^(?:the\s+)?[\w.-]+(?:\s+[\w.-]+)?\s+(?:{vocabulary.alternation(vocabulary.TEAM_WORDS)})$", re.I)
_HANDLE = re.compile(r"@[\w][\w.\-/]*")
_ACRONYM = re.compile(r"[A-Z][A-Z0-9]{1,5}")
_NAME = re.compile(r"[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?")


def _names_doers(tag: str, *, bracketed: bool, people: Collection[str] = ()) -> bool:
    """A person, team or organisation, or several joined by "+", "&", "/" or "and".

    A team phrase ("Platform team") or a handle always is; an acronym ("SRE") only in brackets
    ("API: add a limit" names a topic); a bare name only beside another doer ("Hypha + ICL") or
    when the document names it among its people (``people``: its authors, owners, responders,
    casefolded; "Authors: Hypha" makes "[Hypha] Investigate ..." Hypha's); a short lower-case
    word only in brackets, where people put handles ("(aki) ...").
    """
    tag = tag.strip()
    if not tag or vocabulary.priority_level(tag) or vocabulary.is_done_word(tag) or vocabulary.is_open_word(tag):
        return False
    parts = [p for p in re.split(r"\s*+(?:\+|&|/|,|\band\b)\s*+", tag) if p]

    def doer(part: str) -> bool:
        return bool(
            _HANDLE.fullmatch(part)
            or _TEAM.fullmatch(part)
            or (bracketed and _ACRONYM.fullmatch(part))
            or (bracketed and part.casefold() in people)
        )

    if len(parts) >= 2:
        return all(doer(p) or _ACRONYM.fullmatch(p) or _NAME.fullmatch(p) for p in parts) and any(
            doer(p) or _ACRONYM.fullmatch(p) for p in parts
        )
    if doer(tag):
        return True
    return bracketed and bool(re.fullmatch(r"[a-z]{2,4}", tag)) and tag not in _NOT_HANDLES


_TRAILING_DUE = _Trailing(
    _SEP_GUARD,
    rf"{_SEP}(?:[(\[]\s*+)?\b{_DUE_LABEL}\s*[:=\-]?\s*(?P<value>[^()\[\]]{{1,40}}?){_CLOSE_END}",
    re.I,
    needs=vocabulary.FIELD_LABELS["due"],
)
# Levels and words from the one vocabulary (remediate.parsing.vocabulary), longest first.
_LEVEL = r"P[0-4]|sev[\s-]?[0-4]"
_PRIORITY_VALUE = rf"(?P<prio>{_LEVEL}|{'|'.join(sorted(PRIORITY_WORDS, key=len, reverse=True))})"
_TRAILING_PRIORITY = [
    _Trailing(_WS_GUARD, rf"\s*+[(\[]\s*+{_PRIORITY_VALUE}(?:\s++priority)?\s*+[)\]]{_END}", re.I, needs=("(", "[")),
    _Trailing(_SEP_GUARD, rf"{_SEP}\bpriority\s*+[:=]\s*+{_PRIORITY_VALUE}{_END}", re.I, needs=("priority",)),
    _Trailing(_WS_GUARD, rf"(?:\s*+[-–—,;]\s*+|\s++)(?P<prio>P[0-4]|(?i:sev)-?[0-4]){_END}", needs=("p", "sev")),
]
_LEADING_PRIORITY = re.compile(
    # "(high) X", "P1: X", and "P1 Add X" (a capitalised word after the level)
    rf"^\s*(?:[(\[]\s*{_PRIORITY_VALUE}\s*[)\]]\s*[:\-–—]?\s*|(?P<prio2>P[0-4])\s*[:\-–—]\s*"
    r"|(?-i:(?P<prio3>P[0-4])\s+(?=[A-Z])))",
    re.I,
)
_BRACKET_PRIORITY = re.compile(rf"(?<!\s)\s*+\[\s*+{_PRIORITY_VALUE}\s*+\]", re.I)
# Atomic: once a body holds one of the words, a later one cannot make it end differently.
_META_PAREN = re.compile(
    r"(?<!\s)\s*+\((?P<body>(?>[^()]*?\b(?:"
    + "|".join(vocabulary.LABEL_PATTERNS[kind] for kind in ("owner", "due", "priority"))
    + r"|P[0-4]|sev-?[0-4])\b)[^()]*+)\)",
    re.I,
)
# "{{ text }}" (a template's slot) and a trailing "[link to github issue]" never filled in.
_TEMPLATE_BRACES = re.compile(r"\{\{\s*|\s*\}\}")
_PLACEHOLDER_LINK = _Trailing(_WS_GUARD, r"\s*+\[[^\[\]()]*\blink\b[^\[\]()]*\]\s*+$", re.I, needs=("link",))
# A bare link in brackets after the text, to something that is no ticket (a commit, a page).
_TRAILING_LINK_NOTE = _Trailing(_WS_GUARD, r"\s*+\(\s*+https?://[^\s()]++\s*+\)\.?\s*+$", needs=("http",))
_ANY_LABEL = vocabulary.alternation(tuple(n for names in vocabulary.FIELD_LABELS.values() for n in names))
# "Add X — owner: @alice, priority: sev1, ticket: OPS-77", "Add X - Status: done": labelled notes
# after a dash, each "label: value"; the values hold no separator of their own.
_TRAILING_META = _Trailing(
    _WS_GUARD,
    rf"\s++[-–—|]\s*+(?P<body>(?:{_ANY_LABEL})\s*+[:=]\s*+[^,;:\n]{{1,60}}?"
    rf"(?:\s*+[,;]\s*+(?:{_ANY_LABEL})\s*+[:=]\s*+[^,;:\n]{{1,60}}?){{0,5}}){_END}",
    re.I,
    needs=(":",),
)
_INLINE_DUE = re.compile(
    r"\b(?:by|before|due(?:\s+(?:on|by))?|no later than|scheduled for|deadline(?:\s+of)?|eta:?)\s+(?=\S)",
    re.I,
)
_WITHIN = re.compile(r"\b(?:within|in(?:\s+the\s+next)?|eta:?)\s+(?=(?:\d|a |an |one|two|three|four|five|six))", re.I)
# "Action item:", "Action point:", "TODO:", "Task:", and numbered markers such as "Action 2:" or "Task #3:" label one item.
_ITEM_MARKER = re.compile(
    r"^\s*+(?:\*\*|__)?(?:action\s+(?:item|point)|ai|todo|to-do|fixme|(?:action|task|item)(?:\s*#?\d{1,3})?)"
    r"\s*+(?:(?:\*\*|__)\s*+)?[:：]\s*+(?:(?:\*\*|__)\s*+)?",
    re.I,
)
#: Short lower-case words in brackets that are no handle ("(new) Add X", "[opt] ...").
_NOT_HANDLES = frozenset("new opt tbd todo wip ok yes no all any etc fix bug".split())
_TAIL = 400
_ADDRESS_WORDS = frozenset("to for with from by ask ping notify tell cc inform contact thank thanks and or of".split())
_JUNK = frozenset("-–—:;,|")


def _strip_junk(text: str) -> str:
    """Without trailing whitespace and ``-–—:;,|`` (a ``[...]+$`` pattern rescanned every run: quadratic)."""
    end = len(text)
    while end and (text[end - 1] in _JUNK or text[end - 1].isspace()):
        end -= 1
    return text[:end]


@dataclass
class Fields:
    """An item's cleaned text and the facts stated in it."""

    text: str = ""
    owner: str | None = None
    due: date | None = None
    priority: str | None = None
    done: bool | None = None
    ref: refs.Ref | None = None
    all_refs: list[refs.Ref] = field(default_factory=list)  # every reference peeled, as found
    core_end: int = 0  # length of the raw text before a trailing ticket reference
    relative_due: str | None = None  # "2 weeks" when no incident date could resolve it


def _parse_due(value: str, base: date | None, fields: Fields) -> bool:
    """Set ``fields.due`` from a due annotation's value; True when the value was a deadline."""
    if re.search(r"\bQ[1-4]\b|\bH[12]\b|\btbd\b|\bnext (?:sprint|quarter)\b", value, re.I):
        return True
    year = base.year if base else None
    if found := first_date(value, default_year=year):
        if base and found < base and not re.search(r"\d{4}", value):
            found = found.replace(year=found.year + 1)
        fields.due = fields.due or found
        return True
    if relative := RELATIVE.search(value):
        if base:
            fields.due = fields.due or resolve_relative(relative, base)
        else:
            fields.relative_due = relative.group()
        return True
    return False


def _owner_part(value: str) -> str:
    return value.strip().rstrip(".,;").strip()


def _meta_part(part: str, fields: Fields, base: date | None) -> bool:
    """Read one "owner: @dana" / "P1" / "due 2024-04-09" / "status: done" / "ticket: OPS-7" note."""
    if m := re.fullmatch(rf"{_OWNER_LABEL}\s*[:=]?\s*(.+)", part, re.I):
        fields.owner = fields.owner or _owner_part(m.group(1))
    elif re.fullmatch(r"@[\w][\w.\-/]*", part):
        fields.owner = fields.owner or part
    elif m := re.fullmatch(
        rf"(?:(?:{vocabulary.LABEL_PATTERNS['priority']})\s*[:=]?\s*)?{_PRIORITY_VALUE}", part, re.I
    ):
        fields.priority = fields.priority or m["prio"]
    elif m := re.fullmatch(rf"{_DUE_LABEL}\s*[:=]?\s*(.+)", part, re.I):
        return _parse_due(m.group(1), base, fields)
    elif m := re.fullmatch(rf"(?:{vocabulary.LABEL_PATTERNS['status']})\s*[:=]\s*(.+)", part, re.I):
        word = m.group(1).strip(" *_.")
        if vocabulary.is_done_word(word) or vocabulary.is_open_word(word):
            fields.done = vocabulary.is_done_word(word) if fields.done is None else fields.done
        else:
            return False
    elif m := re.fullmatch(rf"(?:{_TICKET_LABEL})\s*[:=]\s*(.+)", part, re.I):
        found = refs.reference(m.group(1).strip())
        if found is None:
            return False
        fields.ref = fields.ref or found
        fields.all_refs.append(found)
    else:
        return False
    return True


def _meta_parts(body: str, fields: Fields, base: date | None) -> bool:
    """Read every comma- or semicolon-separated note of ``body``; True when each was one."""
    parts = [p.strip() for p in re.split(r"[,;]", body) if p.strip()]
    known = 0
    for part in parts:
        if _meta_part(part, fields, base):
            known += 1
    return bool(known) and known == len(parts)


def _meta_paren(raw: str, fields: Fields, base: date | None) -> str:
    """Read and drop "(owner: @dana, P1, due 2024-04-09)" style notes anywhere in the text."""

    def one(match: re.Match[str]) -> str:
        return " " if _meta_parts(match["body"], fields, base) else match.group()

    return _META_PAREN.sub(one, raw)


def _tail(trailing: _Trailing, raw: str) -> re.Match[str] | None:
    """Search only the end of ``raw``: trailing notes are short, items can be long."""
    start = max(0, len(raw) - _TAIL)
    if trailing.needs:
        window = raw[start:].casefold()
        if not any(needle in window for needle in trailing.needs):
            return None
    unguarded = trailing.unguarded() if start else None
    if unguarded is not None and (match := unguarded.match(raw, start)):
        return match  # what the search finds first, where the guard would look before the window
    return trailing.compiled().search(raw, start)


def _peel_ref(raw: str, fields: Fields) -> str:
    """Remove one trailing ticket reference from ``raw``; unchanged if there is none."""
    # Every trailing reference ends in ")", "]", a URL or a number: skip the rest cheaply.
    maybe = raw and (raw[-1] in ").]>" or raw[-2:-1] == ")" or "http" in raw[-_TAIL:] or "#" in raw[-12:])
    if not maybe and not re.search(r"\d\s*\.?$", raw):
        return raw
    if match := _tail(_BEFORE_PERIOD, raw):
        groups = match.groupdict()
        if groups.get("url"):
            found = refs.reference(groups["text"], url=groups["url"])
        else:
            found = refs.reference(groups["ref"])
        if found and match.start() > 0:
            fields.ref = fields.ref or found
            fields.all_refs.append(found)
            return raw[: match.start()] + match["punct"]
    for pattern in _TRAILING_REFS:
        if match := _tail(pattern, raw):
            groups = match.groupdict()
            if groups.get("url") is not None:
                found = refs.reference(groups["text"], url=groups["url"])
            else:
                found = refs.reference(groups["ref"])
                bare = groups["ref"].startswith("http") and raw[match.start("ref") - 1].isspace()
                if found is None and bare and match.start() > 0:
                    # A bare URL ending the item (a commit, a search) is a trailing reference
                    # too (LABELING's "— https://..."): out of the text, but no ticket.
                    return raw[: match.start()]
            if found and match.start() > 0:
                fields.ref = fields.ref or found
                fields.all_refs.append(found)
                if groups.get("url") is not None and _is_wording(groups["text"]):
                    # "Keep an eye on [the bug we ran into](url)": the link's text is part of the
                    # sentence, so it stays (as every inline link's text does); the ticket is read.
                    return raw[: match.start("text") - 1] + groups["text"]
                return raw[: match.start()]
    return raw


def _state_link(before: str) -> bool:
    """``before`` ends with a link text that is a state word (LABELING: a state marker)."""
    opening = before.rfind("[")
    word = before[opening + 1 : -1] if opening >= 0 else ""
    return vocabulary.is_done_word(word) or vocabulary.is_open_word(word)


def _is_wording(text: str) -> bool:
    """Link text that reads as part of a sentence, not a label ("PR", "#12", "OPS-7", "jira")."""
    plain = strip_markdown(text).strip()
    return not plain.startswith(("http://", "https://")) and len(re.findall(r"[^\W\d_]{2,}", plain)) >= 3


def _peel_once(raw: str, fields: Fields, base: date | None) -> str:
    """Remove one trailing annotation from ``raw`` and record it; unchanged if none."""
    peeled = _peel_ref(raw, fields)
    if peeled != raw:
        return peeled
    state = _peel_trailing_state(raw, fields, base)
    return state if state is not None else _peel_trailing_field(raw, fields, base)


def _peel_trailing_state(raw: str, fields: Fields, base: date | None) -> str | None:
    """A trailing state (word, metadata, capitalised word, check mark): ``raw`` without it.

    None: there is none (a field may trail); ``raw`` itself: stop peeling."""
    if match := _tail(_TRAILING_DONE, raw):
        word = (match["word"] or match["word2"]).casefold()
        fields.done = vocabulary.is_done_word(word) if fields.done is None else fields.done
        return raw[: match.start()]
    if (match := _tail(_TRAILING_DATED_STATE, raw)) and match.start() > 0 and _is_one_date(match["when"]):
        fields.done = vocabulary.is_done_word(match["word"]) if fields.done is None else fields.done
        return raw[: match.start()]
    if (match := _tail(_TRAILING_EMPH_STATE, raw)) and match.start() > 0 and len(match["rest"].split()) <= 3:
        fields.done = vocabulary.is_done_word(match["word"]) if fields.done is None else fields.done
        return raw[: match.start()]
    if raw.endswith("]") and (match := _tail(_PLACEHOLDER_LINK, raw)) and match.start() > 0:
        return raw[: match.start()]  # "[link to github issue]": a template's link, never filled in
    if (
        raw.endswith((")", ")."))
        and (match := _tail(_TRAILING_LINK_NOTE, raw))
        and match.start() > 0
        and (raw[match.start() - 1] != "]" or _state_link(raw[: match.start()]))
    ):
        # "[text](url)" is a link whose target is no note, unless its text is a state ("[FIXED](url)")
        return raw[: match.start()]  # "(https://github.com/o/r/commit/4f2a)": a reference, not wording
    if ":" in raw[-_TAIL:] and (match := _tail(_TRAILING_META, raw)):
        probe = Fields()
        if match.start() > 0 and _meta_parts(match["body"], probe, base):
            _meta_parts(match["body"], fields, base)
            return raw[: match.start()]
    if match := _tail(_TRAILING_CAPS_STATE, raw):
        if match.start() > 0 and fields.done is None:
            fields.done = vocabulary.is_done_word(match["word"])
        return raw[: match.start()] if match.start() > 0 else raw
    stripped = raw.rstrip()
    if stripped and stripped[-1] in _DONE_EMOJI + _OPEN_EMOJI + "\ufe0f":
        tail = stripped.rstrip(_DONE_EMOJI + _OPEN_EMOJI + "\ufe0f ")
        marks = stripped[len(tail) :]
        if fields.done is None and any(c in marks for c in _DONE_EMOJI + _OPEN_EMOJI):
            fields.done = any(c in marks for c in _DONE_EMOJI)
        return tail
    return None


def _is_one_date(text: str) -> bool:
    """``text`` is a single date and nothing else ("2021-06-30", "March 3, 2024")."""
    found = find_dates(text.strip(), default_year=2000)
    return len(found) == 1 and found[0].start == 0 and found[0].end == len(text.strip().rstrip("."))


def _peel_trailing_field(raw: str, fields: Fields, base: date | None) -> str:
    """A trailing owner, due date, priority, owner tag or handle: ``raw`` without it (unchanged if none)."""
    if match := _tail(_TRAILING_OWNER, raw):
        if match.start() > 0:
            fields.owner = fields.owner or _owner_part(match["owner"])
            return raw[: match.start()]
    if match := _tail(_TRAILING_DUE, raw):
        if match.start() > 0 and _parse_due(match["value"], base, fields):
            return raw[: match.start()]
    for pattern in _TRAILING_PRIORITY:
        if (match := _tail(pattern, raw)) and match.start() > 0:
            fields.priority = fields.priority or match["prio"]
            return raw[: match.start()]
    if raw.endswith("]") and (match := _tail(_TRAILING_TAG, raw)):
        tag = match["tag"].strip()
        if match.start() > 0 and (_names_doers(tag, bracketed=True) or _NAME.fullmatch(tag)):
            fields.owner = fields.owner or tag
            return raw[: match.start()]
    if "@" in raw[-_TAIL:] and (match := _tail(_TRAILING_HANDLE, raw)):
        before = raw[: match.start()].rstrip()
        # "Page @oncall" / "ask @bob" name someone to contact, not the item's owner.
        last_word = before.rsplit(None, 1)[-1].casefold() if before else ""
        addressed = match.group().lstrip()[:1] == "@" and last_word in _ADDRESS_WORDS
        if before and not addressed:
            fields.owner = fields.owner or match["owner"]
            return raw[: match.start()]
    return raw


def _peel_leading(raw: str, fields: Fields, people: Collection[str] = ()) -> str:
    """Remove state, priority, owner and ticket notes written before the item text."""
    for _ in range(4):
        before = raw
        raw = _peel_leading_once(raw, fields, people)
        if raw == before:
            break
    return raw


def _peel_leading_once(raw: str, fields: Fields, people: Collection[str]) -> str:
    """One pass over the leading notes: check mark, state, priority, owner, ticket, item marker."""
    first = raw.lstrip()[:1]
    if first and first in _DONE_EMOJI + _OPEN_EMOJI:
        body = raw.lstrip().lstrip(_DONE_EMOJI + _OPEN_EMOJI + "\ufe0f")
        if fields.done is None:
            fields.done = raw.lstrip()[0] in _DONE_EMOJI
        raw = body
    if match := _LEADING_STATE.match(raw):
        word = (match["word"] or match["word2"] or match["word3"]).casefold()
        if fields.done is None:
            fields.done = vocabulary.is_done_word(word)
        raw = raw[match.end() :]
    if match := _LEADING_PRIORITY.match(raw):
        fields.priority = fields.priority or match["prio"] or match["prio2"] or match["prio3"]
        raw = raw[match.end() :]
    raw = _peel_leading_owner(raw, fields, people)
    if match := _LEADING_REF.match(raw):
        if match["url"] is not None:
            found = refs.reference(match["text"], url=match["url"])
        else:
            found = refs.reference(match["ref"] or match["key"])
        if found:
            fields.ref = fields.ref or found
            fields.all_refs.append(found)
            raw = raw[match.end() :]
            if match["state"] and fields.done is None:
                fields.done = vocabulary.is_done_word(match["state"])
    if match := _ITEM_MARKER.match(raw):
        raw = raw[match.end() :]
    return raw


def _peel_leading_owner(raw: str, fields: Fields, people: Collection[str] = ()) -> str:
    """A leading owner ("Owner: bob -", "@alice Add", "[SRE]", "Platform team:"): ``raw`` without it."""
    if match := _LEADING_OWNER.match(raw):
        fields.owner = fields.owner or match["owner"]
        return raw[match.end() :]
    if match := _LEADING_OWNER_LABEL.match(raw):
        fields.owner = fields.owner or _owner_part(match["owner"])
        return raw[match.end() :]
    if (match := _LEADING_HANDLE.match(raw)) and match["verb"].casefold() in ACTION_VERBS:
        fields.owner = fields.owner or match["owner"]
        return raw[match.end("owner") :].lstrip()
    if (match := _LEADING_TAG.match(raw)) and _names_doers(match["tag"], bracketed=True, people=people):
        fields.owner = fields.owner or match["tag"].strip()
        return raw[match.end() :]
    if (match := _LEADING_DOER.match(raw)) and _names_doers(match["tag"], bracketed=False):
        fields.owner = fields.owner or match["tag"].strip()
        return raw[match.end() :]
    return raw


def _inline_due(raw: str, fields: Fields, base: date | None) -> None:
    """Deadlines stated in the wording ("by Nov 15, 2023", "within 2 weeks"): kept in the text."""
    year = base.year if base else None
    for match in _INLINE_DUE.finditer(raw):
        found = find_dates(raw[match.end() : match.end() + 40], default_year=year)
        if found and found[0].start == 0:
            value = found[0].value
            if base and value < base and not re.search(r"\d{4}", raw[match.end() : match.end() + found[0].end]):
                value = value.replace(year=value.year + 1)
            fields.due = value
            return
    for match in _WITHIN.finditer(raw):
        relative = RELATIVE.match(raw, match.end())
        if relative:
            if base:
                fields.due = resolve_relative(relative, base)
            else:
                fields.relative_due = relative.group()
            return


def read_fields(
    raw: str,
    *,
    base: date | None,
    link_labels: Mapping[str, str] | None = None,
    clean: Callable[[str], str] | None = None,
    people: Collection[str] = (),
) -> Fields:
    """Split raw item Markdown into its cleaned text and the facts it states.

    ``people``: the names the document gives its people (``meta.Meta.people``), casefolded.
    """
    text = TRAILING_BREAKS.sub("", raw.rstrip())  # "Do X.<br>": the break is layout, not text
    fields = Fields(core_end=len(text))
    if re.fullmatch(r"\s*~~.+~~\s*\.?", text):
        fields.done = True
    # Trailing ticket references first: the span the sync engine writes at ends before them.
    for _ in range(4):
        peeled = _peel_ref(text, fields).rstrip()
        if peeled == text:
            break
        if text.startswith(peeled) and fields.core_end == len(text):
            fields.core_end = len(peeled)
        text = peeled
    text = _meta_paren(text, fields, base).rstrip()
    for _ in range(12):
        peeled = _peel_once(text, fields, base).rstrip()
        if peeled == text:
            break
        text = peeled
    text = _peel_leading(text, fields, people)
    if fields.done is None and _tail(_DONE_NOTE, text):
        fields.done = True
    text = _BRACKET_PRIORITY.sub(lambda m: _set_priority(fields, m["prio"]), text)
    if fields.due is None:
        _inline_due(text, fields, base)
    cleaned = strip_markdown(text, link_labels)
    if clean is not None:
        cleaned = clean(cleaned)
    cleaned = strip_decoration(cleaned)
    cleaned = _ITEM_MARKER.sub("", cleaned)
    cleaned = _TEMPLATE_BRACES.sub("", cleaned)  # "{{ Add X }}": a template's slot, filled in
    fields.text = _strip_junk(cleaned).strip()
    # "- #2127" under follow-ups: an item that is only a ticket is that ticket's work, named by it.
    if fields.ref is None and (whole := refs.reference(fields.text)) is not None:
        fields.ref = whole
        fields.all_refs.append(whole)
    elif not fields.text and fields.ref is not None:  # "- [o/r#12](url)": the link's text names it
        fields.text = _strip_junk(strip_markdown(raw, link_labels)).strip() or fields.ref.key
    if vocabulary.names_nobody(fields.owner):
        fields.owner = None  # "(owner: TBD)" names nobody
    return fields


def _set_priority(fields: Fields, value: str) -> str:
    fields.priority = fields.priority or value
    return ""

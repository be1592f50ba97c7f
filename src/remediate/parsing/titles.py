"""Which heading titles denote action items, which denote something else, and what they imply.

Titles are compared by word roots, not by spelling: "Preventative and corrective
actions", "Corrective/Preventive measures", "Mitigation and Future Prevention",
"Follow-Up", "##TODO" and "Remidiation" all reduce to roots that name corrective
work. Misspellings are caught with ``difflib`` against a small vocabulary, so a
new typo needs no new entry; a typo keeps its first letter, which stops look-alike
words ("Representative" is not "Preventative") from matching. Extra titles from the config are matched the same
way (every root of the configured title present in the heading, in any order).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from remediate.parsing import vocabulary
from remediate.parsing.dates import RELATIVE, first_date, resolve_relative
from remediate.parsing.scoring import Scored
from remediate.parsing.text import strip_decoration, strip_markdown

ACTION = "action"
OTHER = "other"
UNKNOWN = "unknown"

#: The section titles the warning names; the matcher also accepts their variants and typos.
DEFAULT_SECTION_TITLES = (
    "corrective and preventive/preventative measures",
    "action items",
    "actions",
    "tasks (to address the issue)",
    "follow-ups",
    "next steps",
    "remediation",
    "improvements/fixes",
    "prevention",
    "what we are doing to prevent this",
    "todo",
)

# Surface word -> root. Only words that matter for classification are listed; roots in
# _ACTION_ROOTS name corrective work, roots in _OTHER_ROOTS name a section that is not it.
_SURFACE = {
    **dict.fromkeys(
        ("prevent", "preventive", "preventative", "prevention", "preventions", "preventing", "proactive"),
        "prevent",
    ),
    **dict.fromkeys(("corrective", "correction", "corrections", "correcting"), "correct"),
    **dict.fromkeys(
        ("remediation", "remediations", "remediate", "remediating", "remedial", "remedies"),
        "remedy",
    ),
    **dict.fromkeys(("action", "actions"), "action"),
    **dict.fromkeys(("item", "items"), "item"),
    **dict.fromkeys(("task", "tasks"), "task"),
    **dict.fromkeys(("step", "steps"), "step"),
    **dict.fromkeys(("improvement", "improvements"), "improvement"),
    **dict.fromkeys(("fixes", "bugfixes"), "fix"),
    **dict.fromkeys(("followup", "followups"), "followup"),
    **dict.fromkeys(("todo", "todos"), "todo"),
    "solution": "solution",
    # "Solutions" heads the fixes adopted, as "Fixes" does; one "Solution" is often the fix applied.
    "solutions": "fix",
    **dict.fromkeys(("plan", "plans", "planned"), "plan"),
    **dict.fromkeys(("measure", "measures"), "measure"),
    **dict.fromkeys(("change", "changes"), "change"),
    **dict.fromkeys(("recommendation", "recommendations", "recommended"), "recommend"),
    "next": "next",
    "whats": "whats",
    "future": "future",
    **dict.fromkeys(("work", "works"), "work"),
    "long": "long",
    "short": "short",
    "term": "term",
    # Work already done during the incident: "Actions taken", "Tasks performed", "Released fixes",
    # "Explored solutions".
    **dict.fromkeys(
        (
            "taken",
            "performed",
            "executed",
            "undertaken",
            "immediate",
            "released",
            "applied",
            "explored",
            "attempted",
            "tried",
        ),
        "taken",
    ),
    "fix": "neutral",
    # Sections that are not action items.
    **dict.fromkeys(("timeline", "timelines", "chronology"), "timeline"),
    **dict.fromkeys(("cause", "causes", "root"), "cause"),
    **dict.fromkeys(("resolution", "resolved", "resolving", "recovery", "restoration"), "resolution"),
    **dict.fromkeys(("impact", "impacts", "severity", "duration"), "impact"),
    **dict.fromkeys(("summary", "overview", "background", "introduction", "tldr"), "summary"),
    **dict.fromkeys(("lessons", "learned", "learnings", "takeaways", "learn"), "lessons"),
    **dict.fromkeys(("went", "lucky", "worked", "happened", "changed"), "went"),
    **dict.fromkeys(("conclusion", "conclusions", "closing", "thoughts", "epilogue"), "conclusion"),
    **dict.fromkeys(
        ("appendix", "glossary", "references", "sources", "resources", "links", "attachments", "credits"),
        "appendix",
    ),
    **dict.fromkeys(("qanda", "faq", "faqs", "questions"), "qanda"),
    **dict.fromkeys(("checklist", "trail"), "checklist"),
    **dict.fromkeys(("contributing", "factors", "trigger", "triggers"), "factors"),
    # vocabulary-ok: section titles ("Incident details"), not field labels.
    **dict.fromkeys(("incident", "outage", "problem", "symptoms", "details", "description"), "incident"),
    **dict.fromkeys(("analysis", "investigation", "escalation", "detected"), "analysis"),
    **dict.fromkeys(("acknowledgements", "acknowledgments", "thanks", "disclaimer"), "appendix"),
    **dict.fromkeys(("announced", "discovered", "fixed", "cve", "authors", "participants"), "meta"),
    # "After-action report": a report about the work, not the work ("Action items" is).
    **dict.fromkeys(("report", "reports"), "meta"),
    "you": "you",
    # Words that look like action words to the fuzzy matcher but are not.
    **dict.fromkeys(("preventable", "prevented", "correct", "incorrect", "action-taken"), "neutral"),
    # Not typos of "released": "Release process", "Client releases" name no work already done.
    **dict.fromkeys(("release", "releases", "releasing"), "neutral"),
}
_OTHER_ROOTS = frozenset(
    "timeline cause resolution impact summary lessons went conclusion appendix qanda checklist "
    "factors incident analysis meta you taken".split()
)
#: Roots that name corrective work on their own, whatever else the title says.
_STRONG_ACTION_ROOTS = frozenset("prevent correct remedy followup todo task improvement".split())
_VOCABULARY = sorted(word for word in _SURFACE if len(word) >= 5)
_STOPWORDS = frozenset("a an and or the to of for in on with we our are is be this it from by".split())
_MARKERS = frozenset({("action", "item"), ("action", "point"), ("action",), ("todo",), ("task",), ("ai",), ("fixme",)})


_TIME_OF_DAY = re.compile(r"^\W{0,3}~?\d{1,2}:\d{2}\b")


@lru_cache(maxsize=4096)
def title_words(title: str) -> tuple[str, ...]:
    """The words of a heading title, markup, numbering and parenthesised notes removed."""
    text = strip_decoration(strip_markdown(title)).casefold()
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)
    text = re.sub(r"\bq\s*&\s*a\b", " qanda ", text)
    text = re.sub(r"^\s*to\s+dos?\b|\bto-?dos?\b", " todo ", text)
    text = re.sub(r"\bfol+ow[\s-]*ups?\b", " followup ", text)
    text = re.sub(r"\bwhat['’]?s\b", " whats ", text)
    text = re.sub(r"\bwe['’]re\b", " we are ", text)
    text = re.sub(r"\bwe['’]ll\b", " we will ", text)
    text = re.sub(r"^\s*(?:(?:step|part|section)\s+)?(?:\d+(?:\.\d+)*|[ivx]+)[.):]?\s+", " ", text)
    return tuple(re.findall(r"[a-z0-9]+(?:-[a-z]+)*", text.replace("&", " and ")))


@lru_cache(maxsize=8192)
def _root(word: str) -> str:
    if word in _SURFACE:
        return _SURFACE[word]
    if len(word) >= 5:
        close = difflib.get_close_matches(word, _VOCABULARY, n=3, cutoff=0.84)
        for candidate in close:
            # A typo keeps the first letter; another inflection of a word ("changes" beside
            # "changed") is a different word, not a typo of it.
            if candidate[0] == word[0] and candidate[:-1] != word[:-1]:
                return _SURFACE[candidate]
    return word


# Sized like _classify_title's: the repeats within a document, not a memory of the corpus.
@lru_cache(maxsize=512)
def title_roots(title: str) -> tuple[str, ...]:
    """The roots of a title's words, stopwords dropped, misspellings mapped to known words."""
    roots: list[str] = []
    for word in title_words(title):
        for part in word.split("-") if "-" in word else (word,):
            if part and part not in _STOPWORDS:
                roots.append(_root(part))
    return tuple(roots)


_LATER = frozenset({"prevent", "correct", "remedy", "followup", "todo", "future", "next"})
# Questions and statements about the work under way: "What we're doing to prevent this",
# "What are we doing about it?", "What is being done about this?", "What will we do?",
# "How do we do better in the future?".
_WORK_AHEAD = re.compile(
    r"^(?:looking|going|moving) (?:forward|ahead)$"  # a heading that names the work ahead
    r"|\b(?:will|could|can|might) (?:this|it) (?:happen|occur) again\b"  # "Will this happen again?"
    r"|^(?:things|areas|points|items)(?: we need| that need)? to (?:improve|fix|change)\b"  # "Things to Improve/Fix"
    r"|\bwhat (?:we (?:are|will) (?:be )?doing|(?:are|will) we (?:be )?doing|we will do"
    r"|will we do|(?:are )?we (?:are )?going to do)\b|\bwhat(?:s| is) being done\b"
    r"|\b(?:how|what) (?:do|will|can|should|could|are) we (?:going to )?(?:do better|do differently"
    r"|improve|avoid)\b"
    # "What could be done to avoid this in future?", "What can be changed so it does not recur?"
    r"|\b(?:what|how) (?:could|can|should|will|would|must) (?:be|we) (?:done|do|changed?)\b"
    r"[\w\s]{0,40}\b(?:avoid|prevent|again|future|recur)"
)


#: Every phrase of _WORK_AHEAD holds one of these words: a title without any is not searched.
_WORK_AHEAD_WORDS = frozenset(
    "forward ahead again improve fix change changed doing do done avoid prevent future recur".split()
)


@dataclass(frozen=True)
class TitleWeights(Scored):
    """Does a heading title name corrective work? One weight per named feature, one threshold.

    Each feature of :func:`title_features` that holds adds its weight; the title heads an action
    section when the sum reaches ``threshold``. The large negative weights are the readings that
    rule a title out whatever else it says (work done during the incident, the fix of another
    section, a title whose head noun names another section, a sentence rather than a title).
    ``benchmarks/decision_fit.py --decision title`` searches them on the labelled corpus.
    """

    names_prevention: float = 2.0  # prevent, correct, remedy, follow-up, to-do, task, improvement
    fixes: float = 2.0  # "Fixes", "Solutions"
    actions: float = 1.5  # "Actions", "Action items" (not "Actions taken")
    recommendations: float = 2.0  # "Recommendations" as the head noun
    next_steps: float = 2.0  # "Next steps", "What's next", "Next items"
    future_work: float = 2.0  # "Future work", "Future plans", "Future measures"
    only_the_future: float = 2.0  # "Future", "The Future", "In the future"
    term_plan: float = 2.0  # "Long-term solution", "Short term plan"
    asks_about_the_work: float = 1.5  # "What we are doing to prevent this", "Will this happen again?"
    taken_afterwards: float = 2.0  # "Steps taken after the incident"
    configured_title: float = 10.0  # a title from ``[parser] section_titles``
    done_during_incident: float = -10.0  # "Actions taken", "Tasks performed", "Explored solutions"
    fixes_of_another_section: float = -10.0  # "Root cause and fix", "Incident response and fixes"
    resolution: float = -1.0  # "Resolution and recovery" (with a question: a template's recovery told)
    heads_another_section: float = -10.0  # "Follow-up timeline": the head noun names another section
    over_twelve_words: float = -10.0  # a sentence, not a title
    threshold: float = 1.0


TITLE_WEIGHTS = TitleWeights()


def title_features(title: str, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """The named features of a heading title that hold (see :class:`TitleWeights`)."""
    return _title_features(title, tuple(extra))


# Asked by the classifier and again for each heading's decision: most calls repeat one.
@lru_cache(maxsize=512)
def _title_features(title: str, extra: tuple[str, ...]) -> tuple[str, ...]:
    words = title_words(title)
    roots = title_roots(title)
    found = set(roots)
    joined = " ".join(words)
    heads = _head_words(words)
    afterwards = "taken" in found and _taken_afterwards(found, joined)
    holds = {
        "names_prevention": bool(found & _STRONG_ACTION_ROOTS),
        "fixes": "fix" in found,
        "actions": "action" in found and "taken" not in found,
        "recommendations": "recommend" in found and any(_root(head) == "recommend" for head in heads),
        "next_steps": "next" in found and bool(found & {"step", "whats", "item", "plan"}),
        "future_work": "future" in found and bool(found & {"work", "plan", "measure"}),
        "only_the_future": found == {"future"},
        "term_plan": bool(found & {"long", "short"})
        and "term" in found
        and bool(found & {"solution", "plan", "work", "change"}),
        "asks_about_the_work": not _WORK_AHEAD_WORDS.isdisjoint(words) and _WORK_AHEAD.search(joined) is not None,
        "taken_afterwards": afterwards,
        "configured_title": _matches_extra(roots, extra),
        "done_during_incident": "taken" in found and not found & _LATER and not afterwards,
        "fixes_of_another_section": "fix" in found and not found & _STRONG_ACTION_ROOTS and bool(found & _OTHER_ROOTS),
        "resolution": "resolution" in found,
        # ("Corrective measures taken": "taken" qualifies the measures, it names no section.)
        "heads_another_section": bool(heads)
        and not any(map(_is_work_head, heads))
        and _root(heads[-1]) in _OTHER_ROOTS - {"taken"},
        "over_twelve_words": len(words) > 12,
    }
    return tuple(name for name, value in holds.items() if value)


def _taken_afterwards(roots: set[str], joined: str) -> bool:
    """ "Steps taken after the incident": the follow-up work, not the response to it."""
    return (
        "incident" in roots and re.search(r"\b(?:after|since|following) (?:the |this |that )?\w+$", joined) is not None
    )


def _close(word: str, candidates: Iterable[str]) -> bool:
    return any(
        word == other or (word[:1] == other[:1] and difflib.SequenceMatcher(None, word, other).ratio() >= 0.84)
        for other in candidates
    )


def _matches_extra(roots: Sequence[str], extra: Iterable[str]) -> bool:
    """Every word of a configured title appears in the heading (any order, small typos allowed)."""
    for title in extra:
        wanted = title_roots(title)
        if wanted and all(_close(word, roots) for word in wanted):
            return True
    return False


# Words that end a title's noun phrase ("Tasks to Address the Issue"), and the head words that
# name the work itself ("... Measures", "... Actions", "Next Steps", "Task List").
_HEAD_CUT = frozenset("to for of on in against from with by that which after before about".split())
_WORK_HEADS = frozenset(
    "prevent correct remedy action item task step improvement fix followup todo solution plan measure work "
    "recommend".split()
)


@lru_cache(maxsize=512)
def _head_words(words: tuple[str, ...]) -> tuple[str, ...]:
    """The head (last) word of each conjunct of a title's noun phrase.

    "Corrective and Preventive Measures" -> (corrective, measures); "Task Review" -> (review,);
    "Follow-up timeline" -> (timeline,); a trailing "list" defers to the word before it.
    """
    prefix: list[str] = []
    for word in words:
        if word in _HEAD_CUT:
            break
        prefix.append(word)
    heads: list[str] = []
    group: list[str] = []
    for word in (*prefix, "and"):
        if word not in ("and", "or"):
            group.append(word)
            continue
        while len(group) > 1 and group[-1] == "list":
            group.pop()
        if group:
            heads.append(group[-1].split("-")[-1])
        group = []
    return tuple(heads)


def _is_work_head(word: str) -> bool:
    return word == "fix" or _root(word) in _WORK_HEADS


def names_the_work(title: str, extra: Sequence[str] = (), *, every: bool = False) -> bool:
    """An action title whose head noun is the work ("Task List", "Corrective Actions"), not a
    title where an action word only qualifies something else ("Task Review").

    ``every``: each conjunct must name the work ("Actions and follow-ups"), not only one of them
    ("Action or events" is a timeline label).
    """
    words = title_words(title)
    if _matches_extra(title_roots(title), extra) or "what" in words:
        return True
    heads = _head_words(words)
    return (all if every else any)(_is_work_head(word) for word in heads) and bool(heads)


def only_title_words(title: str) -> bool:
    """Every word is a known section-title word ("Prevention", "Next Steps", "Root Cause")."""
    parts = [part for word in title_words(title) for part in word.split("-") if part]
    return bool(parts) and all(part in _SURFACE or part in _STOPWORDS for part in parts)


def classify_title(title: str, extra: Sequence[str] = ()) -> str:
    """ACTION for a heading that holds action items, OTHER for a known other section, else UNKNOWN.

    An empty heading and a question that is not about prevention are OTHER: both end a section.
    A title whose head noun names another section is that section ("Follow-up timeline").
    """
    return _classify_title(title, tuple(extra))


# The scanner asks about a line each time it checks whether a block starts there, and the
# sections and items ask again about the headings it found: most calls repeat one.
@lru_cache(maxsize=512)
def _classify_title(title: str, extra: tuple[str, ...]) -> str:
    words = title_words(title)
    if not words:
        return OTHER
    if _TIME_OF_DAY.match(strip_markdown(title)):
        return OTHER  # "4:09-4:56 PM: Post-Incident Follow-up" is a timeline entry
    weights = TITLE_WEIGHTS
    if weights.score(_title_features(title, extra)) >= weights.threshold:
        return ACTION
    if set(title_roots(title)) & _OTHER_ROOTS or title.rstrip(" *_:").endswith("?"):
        return OTHER
    return UNKNOWN


def is_item_marker(title: str) -> bool:
    """True for labels such as "Action item:", "TODO:" or "Action 2:" that mark one item."""
    return tuple(w for w in title_words(title) if not w.isdigit()) in _MARKERS


def section_name(title: str) -> str:
    """A heading title as the ``section`` field shows it: no markup, emoji or trailing colon."""
    text = strip_decoration(strip_markdown(title)).strip()
    text = re.sub(r"^#+\s*", "", text)
    return text.rstrip(":：;").strip().rstrip("*_").strip()


@dataclass(frozen=True)
class HeadingFacts:
    """What a heading says about every item under it (priority, state, deadline, owner)."""

    priority: str | None = None
    done: bool | None = None
    due: date | None = None
    owner: str | None = None


_PRIORITY_WORD = re.compile(
    rf"\b({vocabulary.PRIORITY_PATTERN})[\s-]+priority\b"
    rf"|\bpriority\s*[:\-]?\s*({vocabulary.PRIORITY_PATTERN}|p[0-4])\b",
    re.I,
)
_P_LEVEL = re.compile(r"(?<![\w-])(P[0-4])(?![\w-])")
_DONE_NOTE = re.compile(
    rf"[(\[]\s*(?:status\s*:\s*)?({vocabulary.DONE_PATTERN}|{vocabulary.OPEN_PATTERN})\b",
    re.I,
)


# "#### 1) Cron cleanup scheduled `@malte_j`", "### Alerting (@dma)": a handle that ends the
# title is the owner of the work under it, as a trailing handle is an item's. Short bracketed
# tags may follow it ("### 2) Better alerting `@dma` [detect]": the kind of the work).
_TRAILING_HANDLE = re.compile(
    r"(?:^|\s)[(\[]?\s*+(?P<owner>@[\w][\w.\-/]*+)\s*+[)\]]?(?:\s*+\[[\w\- ]{1,20}\])*+\s*+:?$"
)

# A sub-heading that is only a status ("Completed", "Open items") states every item's state.
_STATUS_NOISE = frozenset("action actions item items task tasks fixes work".split())


def heading_facts(title: str, incident_date: date | None) -> HeadingFacts:
    """Priority, done state and relative deadline that a (sub-)heading states for its items."""
    text = strip_markdown(title)
    priority = None
    match = _PRIORITY_WORD.search(text)
    if match:
        priority = match.group(1) or match.group(2)
    elif level := _P_LEVEL.search(text):
        priority = level.group(1)
    done = None
    if note := _DONE_NOTE.search(text):
        done = vocabulary.is_done_word(note.group(1))
    elif any(mark in title for mark in vocabulary.DONE_MARKS):
        done = True
    else:
        status = [w for w in title_words(title) if w not in _STATUS_NOISE]
        phrase = re.sub(r"^(?:still|already)\s+", "", " ".join(status))
        # "Scheduled and in progress": every part a state word of the same kind.
        parts = [part for part in re.split(r"\s+(?:and|or|/)\s+|\s*,\s*", phrase) if part]
        if classify_title(phrase) == ACTION or not parts:
            pass  # "TODO" is a section's title, not its items' state
        elif all(vocabulary.is_done_word(part) for part in parts):
            done = True
        elif all(vocabulary.is_open_word(part) for part in parts) and not all(
            vocabulary.is_plan_word(part) for part in parts
        ):
            done = False  # "Actions planned" names planned work: no state (LABELING)
    due = None
    for group in re.findall(r"\(([^()]*)\)", text):
        if re.search(r"\bQ[1-4]\b", group):
            continue  # quarter targets are too vague for a due date
        if absolute := first_date(group):
            due = absolute
        elif (relative := RELATIVE.search(group)) and incident_date:
            due = resolve_relative(relative, incident_date)
    handle = _TRAILING_HANDLE.search(text.strip())
    owner = None
    if handle and handle.start() > 0:
        before = text.strip()[: handle.start()].strip(" :-–—*_`")
        # "## Owner: @x", "Written by @x": the document's author, never an item's owner.
        if vocabulary.label_kind(before) != "owner" and not re.search(r"\b(?:by|author|authors)$", before, re.I):
            owner = handle["owner"].rstrip(".")
    return HeadingFacts(priority, done, due, owner)

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from remediate.parsing import refs
from remediate.parsing.scoring import Scored
from remediate.parsing.text import JOINING_END, Chunk, Line, is_decoration, split_sentences, strip_markdown

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
    prefer prepare prevent prioritize prioritise provide provision publish purge put raise re-enable
    rebuild recheck record reduce refactor refine reinforce release remove rename repair replace
    reproduce require rerun research reset resize restart restore restrict retire retry revert
    review revise revisit rewrite roll rollback rotate route run scale schedule scope secure
    segregate send separate set setup share ship simplify split stage standardize standardise start stop
    store streamline strengthen submit support switch tag teach test throttle tighten track train
    triage tune turn unify update upgrade use validate verify version warn watch wire write
    """.split()
)
_DETERMINERS = frozenset("a an the all every each some more our someone".split())
_PARTICLES = frozenset("up down out in on off over back".split())
_AUXILIARIES = frozenset(
    "is are was were be been has have had will would should can could may might must does did of helps needs".split()
)
# vocabulary-ok: "is scheduled", "are planned" state a plan in a sentence, not an item's state.
_MODAL = re.compile(
    r"\b(?:will|shall|should|must|need(?:s)? to|plan(?:s)? to|(?:are|is|am|['’]m)(?: also| still| now| \w+ly)* going to|intend(?:s)? to"
    r"|(?:is|are) (?:scheduled|planned|being \w+ed)|(?:it is |we )?recommend(?:ed|s)?"
    r"|^(?:the|our) (?:\w+ )?(?:fix|plan|solution|remedy|next step|goal),? (?:is|will be) to \w+"
    r"|^(?:we|the \w+ team|\w+ team|they)(?: are|['’]re| is) (?:now |also |currently |actively )?\w+ing"
    r"|^(?:we|you|they|the \w+ team|\w+ team) could"
    r"|\b(?:decided|agreed)(?: on| to| that)?"  # "It was decided to ...", "We have agreed that ..."
    # "GitHub are also working on ...", "There is a fix in the works": work under way, any subject
    r"|\b(?:is|are) (?:now |also |currently |actively )?working (?:on|to)|\bin the works)\b"
    r"|['’]ll\b"
    r"|(?:^|,\s*)(?:i|we)(?: also| still| really)? (?:want|would like|['’]d like|wish) to (?!thank|apologi[sz]e)\w",  # "I also want to send ..."
    re.I,
)
# "No fixes were necessary.", "It is unclear what we can do ...": an action section saying
# that it holds no action.
# vocabulary-ok: "nothing to do", "none planned" say there is no item; they are no state.
_NO_ACTION = re.compile(
    r"^(?:no (?:\w+ )?(?:actions?|fix(?:es)?|changes?|work|follow[- ]?ups?|items?)\b"
    r"|nothing (?:to do|needed|required|further)|not (?:applicable|needed|required)"
    r"|none (?:needed|required|planned)|it(?: is|['’]s) (?:unclear|not clear))",
    re.I,
)
# Pointers to read something elsewhere ("See the full diff here.") state no action.
# vocabulary-ok: "for more details" is a phrase of the sentence, not a field label.
_REFERENCE = re.compile(
    r"^(?:(?:you|readers) (?:can|may|could) )?(?:see|refer to|check out|read)\b"
    r"|^(?:for )?(?:more|further|full) (?:details|information|context)\b",
    re.I,
)
_CLOSING = re.compile(
    r"^(?:in conclusion|to conclude|in summary|to summari[sz]e|overall|all in all|so,|finally, we"
    r"|thank|thanks|we (?:sincerely )?apologi[sz]e|we appreciate|we are committed|we remain"
    r"|(?:i|we) (?:just |really |sincerely |truly )?hope\b"  # "I just hope such mistakes don't happen again"
    r"|we['’]re committed|feel free|please|if you|note\b|nb\b|p\.s\.|once again|with these"
    r"|by implementing|by addressing|by \w+ing (?:these|those|the above|such|all (?:of )?these)\b|these (?:measures|steps|actions|changes|improvements) (?:will|aim|should)"
    r"|the (?:corrective )?measures aim|this (?:incident|outage|issue|event|experience) (?:highlighted|underscored|taught|reminded|showed)"
    r"|this (?:post-?mortem|report|document|write-?up|analysis)\b)",  # the document speaking of itself
    re.I,
)
_NARRATIVE = re.compile(
    r"^(?:this|the|that) (?:incident|outage|issue|problem|event|bug|failure)\b"
    # "We need to ..." is a plan: "need" (like "proceed") is no past tense.
    r"|^(?:we|i|the team|they)(?: have| had|['’]ve)? (?:(?!need\b|proceed\b|decided\b|agreed\b)\w+ed|done|taken|made|built|wrote|did|ran"
    r"|found|saw)\b"
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

IMPERATIVE, PLAN, GERUND, DONE, NONE = "imperative", "plan", "gerund", "done", "none"

# "Quality assurance is a primary stage ...", "Monitoring is essential": a subject of a few words,
# then "is"/"are" and what it is.
_FACT = re.compile(r"^(?:[\w'’-]+ ){1,4}(?:is|are) (?:a|an|the|one|very|essential|important|crucial|key|vital)\b", re.I)

# Sentences that qualify the one before them ("However, this quick fix ..."): never an item.
_CONTRAST = re.compile(
    r"^(?:however|but|although|though|unfortunately|note that|hence|therefore|thus|because|since"
    r"|that said|nevertheless|nonetheless|instead|meanwhile|in practice)\b",
    re.I,
)
# "Since this is the second failure, we will ...": a reason that leads a plan, not a qualification.
_CAUSE = re.compile(r"^(?:because|since|as)\b", re.I)
# "The script was updated ...", "A fix has been implemented ...": past actions count under an
# action heading (LABELING.md), "The problem was discovered by ..." does not (no action verb).
_PASSIVE = re.compile(
    r"\b(?:was|were|has been|have been|had been|is now|are now|got)\s+(?:\w+ly\s+)?(?P<verb>[a-z]+)\b",
    re.I,
)
_IRREGULAR = {
    "built": "build", "rebuilt": "rebuild", "made": "make", "set": "set", "run": "run", "rerun": "rerun",
    "written": "write", "rewritten": "rewrite", "put": "put", "kept": "keep", "taught": "teach",
    "split": "split", "shut": "shut", "sent": "send",
}  # fmt: skip


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


def _verb_of_participle(word: str) -> str | None:
    if word in _IRREGULAR:
        return _IRREGULAR[word] if _IRREGULAR[word] in ACTION_VERBS else None
    if word.endswith("ied"):
        candidates = [word[:-3] + "y"]
    elif word.endswith("ed") and len(word) > 4:
        stem = word[:-2]
        candidates = [stem, stem + "e", stem[:-1] if stem[-1] == stem[-2] else ""]
    else:
        return None
    return next((c for c in candidates if c in ACTION_VERBS), None)


def _is_adverb(word: str) -> bool:
    lowered = word.casefold()
    return lowered.endswith("ly") and len(lowered) > 4 and lowered not in ACTION_VERBS


def action_kind(sentence: str) -> str:
    """How a sentence states an action: IMPERATIVE, PLAN, GERUND, DONE (past action) or NONE."""
    text = strip_markdown(sentence).strip()
    text = _LABEL.sub("", text, count=1) if _LABEL.match(text) and len(text) > 60 else text
    for _ in range(2):
        text = _CONNECTIVE.sub("", text, count=1)
    tokens = re.findall(r"[A-Za-z][A-Za-z'’\-]*", text)
    if not tokens or _CLOSING.match(text):
        return NONE
    if len(tokens) > 1 and _is_adverb(tokens[0]) and tokens[1].casefold() in ACTION_VERBS:
        tokens = tokens[1:]  # "Regularly review ...", "Continuously optimize ..."
    first = tokens[0].casefold()
    second = tokens[1].casefold() if len(tokens) > 1 else ""
    verb, _, particle = first.partition("-")
    if particle in _PARTICLES and verb in ACTION_VERBS:
        first = verb  # "Set-up a monitoring system", "Roll-out the fix": a phrasal verb, hyphenated
    if first in ACTION_VERBS and second not in _AUXILIARIES and not first.endswith("s"):
        return IMPERATIVE
    if first in ("have", "get") and second in _DETERMINERS:
        return IMPERATIVE  # "Have a database of valid names ...", "Get the team trained ..."
    if first in ACTION_VERBS and first.endswith("s") and second not in _AUXILIARIES:
        return IMPERATIVE  # "Fixes and monitors ..." reads as a headline of the action
    if _MODAL.search(text) and not _NARRATIVE.match(text):
        return PLAN
    if _verb_of_gerund(first) and second not in _AUXILIARIES:
        return GERUND
    if _verb_of_participle(first) and second not in _AUXILIARIES:
        return DONE  # "Rolled back the config", "Added alerts"
    for passive in _PASSIVE.finditer(text):
        if _verb_of_participle(passive.group("verb").casefold()):
            return DONE
    # "We have implemented a new load balancer", "We've tightened ...": a past action, told.
    rest = (
        tokens[1:] if first in ("we've", "we’ve", "i've", "i’ve") else tokens[2:] if second in ("have", "has") else []
    )
    if first in ("we", "i", "we've", "we’ve", "i've", "i’ve") and rest and _verb_of_participle(rest[0].casefold()):
        return DONE
    # "We updated the compose file ...", "The team created a script ...": a corrective action
    # told in the past (an action verb; "We noticed ..." is no action).
    subject = 2 if first == "the" and second == "team" else 1 if first in ("we", "i", "they") else 0
    if subject and len(tokens) > subject and _verb_of_participle(tokens[subject].casefold()):
        return DONE
    return NONE


_AFTER_MODAL = re.compile(
    r"\b(?:will|shall|should|must|would|can)\b(?P<rest>(?:\s+[\w'’-]+){1,4})|['’]ll\b(?P<rest2>(?:\s+[\w'’-]+){1,4})",
    re.I,
)
_MODAL_FILLER = frozenset("not also always never then still only be now".split())


def _states_an_effect(sentence: str) -> bool:
    """ "Python will silently fail when ...": a modal sentence whose verb is no action verb
    describes an effect or a behaviour; after an action it explains that action."""
    match = _AFTER_MODAL.search(strip_markdown(sentence))
    if match is None:
        return False
    previous = ""
    for word in (match["rest"] or match["rest2"]).split():
        lowered = word.casefold()
        if lowered in _MODAL_FILLER or _is_adverb(word):
            previous = lowered
            continue
        return not (
            lowered in ACTION_VERBS
            or _verb_of_participle(lowered)
            or _verb_of_gerund(lowered)
            or lowered in {"continue", "keep", "begin", "start", "work"}
            # "... should be invested in", "... will be placed": a passive states an action
            or (previous == "be" and lowered.endswith("ed") and len(lowered) > 4)
        )
    return False


def is_closing(sentence: str) -> bool:
    """Closing remarks, apologies and notes to the reader."""
    text = _CONNECTIVE.sub("", strip_markdown(sentence).strip(), count=1)
    return bool(_CLOSING.match(text))


def is_intro(sentence: str) -> bool:
    """Sentences that introduce a list: they end with ':' or announce "the following"."""
    text = strip_markdown(sentence).rstrip()
    return text.endswith((":", "：")) or bool(re.search(r"\b(?:the following|as follows)\b", text, re.I))


def is_narrative(sentence: str) -> bool:
    """What happened, or what should have happened, rather than what will be done."""
    return bool(_NARRATIVE.search(strip_markdown(sentence).strip()))


def explains(sentence: str) -> bool:
    """Sentences that explain or justify the sentence before them."""
    return bool(_EXPLAINS.match(strip_markdown(sentence).strip()))


def units(lines: Sequence[Line]) -> list[Chunk]:
    """Cut a paragraph into units: a new unit starts where a line ends a sentence or a new one begins."""
    result: list[list[Chunk]] = []
    for line in lines:
        chunk = Chunk.of_line(line).strip()
        if not chunk.text:
            continue
        if result:
            previous = strip_markdown(result[-1][-1].text)
            starts_new = re.match(r"[\"'“‘(*_]*[A-Z0-9]", chunk.text) is not None
            # 'Add "a test."' ends a sentence too; a line led by ✅ or ✔️ is marked like a bullet.
            ended = previous.rstrip("\"'”’)]*_").endswith((".", "!", "?", ":", "："))
            if ended or is_decoration(chunk.text[0]) or (starts_new and not JOINING_END.search(previous)):
                result.append([chunk])
                continue
            result[-1].append(chunk)
        else:
            result.append([chunk])
    return [Chunk.join(parts) for parts in result]


def reads_as_sentence(text: str) -> bool:
    """Prose, not a caption, title or diagram: three or more words, mostly letters, and not
    every word capitalised without final punctuation ("Representative Diagram", "[ A ] | v")."""
    plain = strip_markdown(text)
    words_ = re.findall(r"[^\W\d_][\w'’\-]*", plain)
    if len(words_) < 3:
        return False
    visible = [c for c in plain if not c.isspace()]
    if sum(c.isalpha() for c in visible) < 0.6 * len(visible):
        return False
    titled = all(w[0].isupper() for w in words_ if len(w) > 3)
    return not (titled and not plain.rstrip().endswith((".", "!", "?")))


# "Branch: [`holesky-rescue`](url)", "Docker image: `org/image:tag`", "File: /usr/local/bin/renew.sh":
# a field whose whole value is one link, one code span or one path names a thing, not work ("Monthly limit: $50" under prevention,
# "systemd: TimeoutStopSec=120." are settings to make: items).
_FIELD_VALUE = re.compile(
    r"^\s*[^\W\d_][^\W\d_ ]*(?: [^\W\d_]+){0,2}\s*:\s+(?:\[[^\[\]]+\]\([^()\s]+\)|`[^`]+`|[/~][^\s`]*)\s*$"
)


# "staticshare", "publications.america.gov", "`api-gateway`": one bare name listed, no work.
_BARE_NAME = re.compile(r"^\s*`?(?:[a-z][a-z0-9_-]*|[\w-]+(?:\.[\w-]+)+)`?\s*$")


def reads_as_data(markdown: str) -> bool:
    """A field whose value is one link or code span ("Image: `org/app:1.2`"), or one bare
    lowercase name or dotted name ("staticshare", "share.america.gov"): data, not an action."""
    if _BARE_NAME.match(markdown):
        return markdown.strip(" `").casefold() not in ACTION_VERBS
    match = _FIELD_VALUE.match(markdown)
    return match is not None and markdown.split(None, 1)[0].casefold().rstrip(":") not in ACTION_VERBS


def too_short(text: str) -> bool:
    """Fewer than two words: "N/A", "TBD", "None.", a stray one-word line ("(Completed) (OPS-7)":
    a ticket key is no word)."""
    plain = strip_markdown(text)
    if "-" in plain:
        plain = refs.KEY.sub(" ", plain)
    return len(re.findall(r"[^\W\d_]{2,}", plain)) < 2


@dataclass(frozen=True)
class SentenceWeights(Scored):
    """Does a sentence of an action section start an item? One weight per named feature, one threshold.

    Each feature of :func:`sentence_features` that holds adds its weight; the sentence starts an
    item when the sum reaches ``threshold``. A sentence that does not, and follows an item, stays
    with that item as its explanation (unless it tells what happened). Tuned on the labelled
    corpus by ``benchmarks/decision_fit.py``, which prints the corpus F1 of every weight it tries;
    ``remediate parse PATH --explain`` prints the features and score of the prose it passed over.
    """

    imperative: float = 3.0  # "Add alerting on ...": an action verb leads
    plan: float = 3.0  # "We will add ...", "The team should ..."
    gerund: float = 3.0  # "Updating the pool configuration ..."
    past_action: float = 3.0  # "Added alerts ...", "The script was updated ..." (counts under an action heading)
    lone_line: float = 2.5  # the unit's only sentence, away from lists ("Capacity reviews every quarter.")
    beside_list: float = -4.0  # prose next to a list or table that is no imperative: an aside to the list
    explains_previous: float = -4.0  # follows an item, no imperative, explains it or states its effect
    narrative: float = -1.0  # tells what happened or should have happened
    states_a_fact: float = -1.0  # "Quality assurance is a primary stage ...": what is, not what to do
    too_short: float = -1.0  # fewer than two words
    points_elsewhere: float = -1.0  # "See the full diff here."
    says_no_action: float = -1.0  # "No fixes were necessary."
    not_a_sentence: float = -1.0  # a caption, title or diagram
    threshold: float = 2.0

    def starts_item(self, found: Iterable[str]) -> bool:
        return self.score(found) >= self.threshold

    @cached_property
    def doubt_bounds(self) -> tuple[float, float]:
        """The least and the most the doubts (:data:`_DOUBTS`) can add to a sentence's score."""
        return self.bounds(_DOUBTS)


SENTENCE_WEIGHTS = SentenceWeights()
_KIND_FEATURES = {IMPERATIVE: "imperative", PLAN: "plan", GERUND: "gerund", DONE: "past_action"}


def _framing(sentence: str, *, strict: bool, lone: bool, after_item: bool) -> dict[str, bool]:
    """The features that say how the sentence reads and where it stands (cheap: one reading)."""
    kind = action_kind(sentence)
    return {
        _KIND_FEATURES.get(kind, ""): kind != NONE,
        "lone_line": lone and not strict,
        "beside_list": strict and kind != IMPERATIVE,
        "explains_previous": after_item and kind != IMPERATIVE and (explains(sentence) or _states_an_effect(sentence)),
        "no_verb": kind == NONE,  # not a feature: what states_a_fact needs
    }


#: The features :func:`_doubts` computes: each speaks against an item.
_DOUBTS = ("narrative", "states_a_fact", "too_short", "points_elsewhere", "says_no_action", "not_a_sentence")


def _doubts(sentence: str, *, no_verb: bool) -> dict[str, bool]:
    """The features that speak against an item (each a pattern or a count over the text)."""
    plain = strip_markdown(sentence).strip()
    return {
        "narrative": is_narrative(sentence),
        "states_a_fact": no_verb and _FACT.match(plain) is not None,
        "too_short": too_short(sentence),
        "points_elsewhere": _REFERENCE.match(plain) is not None,
        "says_no_action": _NO_ACTION.match(plain) is not None,
        "not_a_sentence": not reads_as_sentence(sentence),
    }


def sentence_features(sentence: str, *, strict: bool, lone: bool, after_item: bool) -> tuple[str, ...]:
    """The named features of one sentence of an action section that hold (see :class:`SentenceWeights`).

    ``strict``: the prose sits next to a list or table; ``lone``: it is its unit's only sentence;
    ``after_item``: an item of the same unit comes before it.
    """
    framing = _framing(sentence, strict=strict, lone=lone, after_item=after_item)
    no_verb = framing.pop("no_verb")
    found = {**framing, **_doubts(sentence, no_verb=no_verb)}
    return tuple(name for name, holds in found.items() if holds)


def _starts_item(sentence: str, weights: SentenceWeights, *, strict: bool, lone: bool, after_item: bool) -> bool:
    """``weights.starts_item(sentence_features(...))``, without the doubts where they cannot
    change the answer: below the threshold without them, or above it with all of them."""
    framing = _framing(sentence, strict=strict, lone=lone, after_item=after_item)
    no_verb = framing.pop("no_verb")
    score = weights.score(name for name, holds in framing.items() if holds)
    least, most = weights.doubt_bounds
    if score + most < weights.threshold:
        return False  # not even with every doubt that adds
    if score + least >= weights.threshold:
        return True  # even with every doubt that subtracts
    doubts = _doubts(sentence, no_verb=no_verb)
    return score + weights.score(name for name, holds in doubts.items() if holds) >= weights.threshold


def action_sentences(unit: Chunk, *, strict: bool, weights: SentenceWeights | None = None) -> list[Chunk]:
    """The items a prose unit holds: one per distinct action, explanations kept with it.

    Intro sentences and closing remarks are never items (nothing after a closing remark is
    either); a sentence that qualifies the one before it ("However, ...") stays with it. Every
    other sentence starts an item when its features score enough (:class:`SentenceWeights`).
    """
    weights = weights or SENTENCE_WEIGHTS
    sentences = split_sentences(unit)
    lone = len(sentences) == 1
    items: list[list[Chunk]] = []
    for sentence in sentences:
        text = sentence.text
        if is_intro(text) or is_closing(text):
            if items and not is_closing(text) and not text.rstrip().endswith(":"):
                items[-1].append(sentence)
                continue
            if is_closing(text) and not items:
                break  # closing remarks: nothing after them is an item either
            continue
        plain = strip_markdown(text).strip()
        if not lone and _CONTRAST.match(plain) and not (_CAUSE.match(plain) and action_kind(text) == PLAN):
            if items:
                items[-1].append(sentence)
            continue
        if _starts_item(text, weights, strict=strict, lone=lone, after_item=bool(items)):
            items.append([sentence])
        elif items and not is_narrative(text):
            items[-1].append(sentence)
    return [Chunk.join(group) for group in items if not too_short(" ".join(c.text for c in group))]


def why_not(unit: Chunk, *, strict: bool, weights: SentenceWeights | None = None) -> str:
    """Why a prose unit in an action section states no item (for ``--explain``): a closing remark
    or an intro, else its first sentence's features and score against the threshold."""
    weights = weights or SENTENCE_WEIGHTS
    sentences = split_sentences(unit)
    first = sentences[0].text if sentences else unit.text
    if is_closing(first):
        return "a closing remark"
    if is_intro(first):
        return "introduces what follows"
    found = sentence_features(first, strict=strict, lone=len(sentences) <= 1, after_item=False)
    listed = ", ".join(f"{name} {getattr(weights, name):+.1f}" for name in found) or "no feature"
    return f"score {weights.score(found):+.1f} < {weights.threshold:+.1f} ({listed})"

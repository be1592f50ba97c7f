"""``remediate lint``: action-item quality before a postmortem is published.

Rules (each finding is a warning unless ``[lint] rules`` or ``--error`` makes its rule an error,
or ``--disable`` turns it off; errors fail lint, and ``--strict`` makes any finding fail):

- ``missing-owner``, ``missing-due``, ``missing-priority``: the item does not say who, by when
  or how urgent. An item the due-date policy gives a date (by its priority) satisfies
  ``missing-due`` unless ``[lint] policy_due_counts = false`` or ``--require-due``.
- ``no-action-verb``: the item does not start with a verb of action ("Monitoring gaps" is a
  topic, "Add an alert on queue depth" is an action). Leading "we should", "need to", "TODO:",
  "@owner:" and "[P1]" are skipped before looking.
- ``vague``: the item starts with a verb that promises nothing checkable ("improve",
  "investigate", "look into", "consider", ...) and says nothing measurable (no number, unit,
  threshold or percentile): "Improve monitoring".
- ``duplicate``: two items of the same document say the same thing
  (``remediate.identity.similarity`` at the sync match threshold).
- ``empty-section``: an action-item section heading with no items under it;
  ``no-action-items``: no action-item section at all.
- ``low-confidence``: the parser is less sure than ``[parser] confidence_threshold`` that this
  is an action item (``remediate parse PATH --explain`` shows why); fix the wording or mark it
  with ``<!-- remediate: ignore -->``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from remediate.identity import similarity
from remediate.parsing import DEFAULT_SECTION_TITLES, ActionItem, ParseResult, normalize_text
from remediate.policy import DuePolicy
from remediate.settings import LINT_RULES as RULES

ACTION_VERBS = frozenset(
    """
abort add adjust adopt alert align allow announce apply archive assign audit automate backfill backport block
build bump cache cap change clarify clean cleanup close codify collect communicate configure confirm consolidate
convert copy create decommission define delete deploy deprecate design detect disable document drain drop
enable enforce ensure escalate establish estimate expand expose extend extract fail fix flag force gate
generate handle harden hire hold implement import increase index inform install instrument integrate introduce
isolate keep label launch limit lint load lock log lower make map mark measure merge migrate mirror move
notify observe onboard open page partition patch pin plan populate port prevent prioritize profile provision
prune publish purge raise rate-limit rebalance rebuild record reduce refactor rehearse reject release remove
rename reorganize repair replace replicate report require reroute reserve reset resize restore restrict
retire retry return revert rewrite roll rollback rotate route run scale schedule scope script secure send
separate set setup share ship shorten shut simplify simulate spin split stage standardize start stop store
streamline stress subscribe switch sync tag teach template test throttle tighten timebox track train
translate trigger tune turn unify update upgrade use validate verify version watch whitelist widen write
""".split()
)

# Verbs that name an activity but no checkable outcome.
VAGUE_VERBS = frozenset(
    "improve investigate look consider review revisit enhance explore discuss think evaluate assess better "
    "optimize optimise understand check research follow monitor".split()
)
_MEASURABLE = re.compile(
    r"\d|%|\bp\d\d\b|\b(?:ms|sec|secs|seconds?|minutes?|hours?|days?|weeks?|slo|sla|threshold|below|above|"
    r"under|within|at least|at most|less than|more than|fewer than|zero|every|each|all)\b",
    re.IGNORECASE,
)
_PREFIX = re.compile(
    r"^(?:\s*(?:\[[^\]]*\]|\([^)]*\)|todo:?|action:?|ai:?|@[\w.-]+:?|p[0-4]:?|we\s+(?:should|will|must|need\s+to)|"
    r"(?:should|must|need\s+to|needs\s+to|to)\b)\s*)+",
    re.IGNORECASE,
)
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Finding:
    """One problem in one document."""

    path: str
    line: int
    rule: str
    message: str
    item: str | None = None
    severity: str = "warning"  # error | warning

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


@dataclass(frozen=True)
class Rules:
    """What lint reports: a severity per rule, and the policy that may satisfy missing-due."""

    severity: Mapping[str, str] = field(default_factory=dict)  # rule -> error | warning | off
    policy: DuePolicy | None = None  # None: every item must state its own due date

    def level(self, rule: str) -> str:
        """The rule's severity (warning unless configured)."""
        return self.severity.get(rule, "warning")

    def apply(self, findings: Sequence[Finding]) -> list[Finding]:
        """Drop the findings of rules that are off; stamp the others with their severity."""
        return [replace(f, severity=self.level(f.rule)) for f in findings if self.level(f.rule) != "off"]


def first_word(text: str) -> str:
    """The item's first real word, lower-cased, after prefixes like ``TODO:``, ``@dana:`` or ``we should``."""
    plain = _PREFIX.sub("", text.strip().lstrip("*_` ")).strip()
    words = normalize_text(plain).split()
    return words[0] if words else ""


def check_item(path: str, item: ActionItem, policy: DuePolicy | None = None) -> list[Finding]:
    """Findings for one item: missing fields, no action verb, vagueness.

    With ``policy``, an item the policy gives a due date (by its priority) is not missing one.
    """
    found: list[Finding] = []
    text = item.text
    if item.done:  # a finished item needs no owner or due date any more
        return found
    if not item.owner:
        found.append(Finding(path, item.line, "missing-owner", "no owner: add (owner: @someone)", text))
    policy_due = policy is not None and policy.days_for(item.priority) > 0
    if not item.due and not policy_due:
        found.append(
            Finding(path, item.line, "missing-due", "no due date, and the due-date policy gives none: add one", text)
        )
    if not item.priority:
        found.append(Finding(path, item.line, "missing-priority", "no priority: add P0-P4", text))
    verb = first_word(text)
    if verb in VAGUE_VERBS or (verb == "look" and " into " in f" {text.lower()} "):
        if not _MEASURABLE.search(text):
            found.append(
                Finding(
                    path,
                    item.line,
                    "vague",
                    f"vague: '{verb}' with nothing measurable; say what done looks like "
                    "(a number, threshold or concrete change)",
                    text,
                )
            )
    elif verb not in ACTION_VERBS and not verb.endswith(("ize", "ise", "ify")):
        found.append(
            Finding(
                path,
                item.line,
                "no-action-verb",
                f"does not start with a verb of action ('{verb or text[:20]}'): say what will be done",
                text,
            )
        )
    return found


def check_document(
    result: ParseResult,
    text: str,
    *,
    section_titles: Sequence[str] = (),
    threshold: float = 0.65,
    rules: Rules | None = None,
    min_confidence: float = 0.0,
) -> list[Finding]:
    """Every finding for one parsed document (``text`` is its source, for section headings)."""
    rules = rules or Rules()
    path = result.postmortem.source
    found: list[Finding] = []
    for item in result.action_items:
        found.extend(check_item(path, item, rules.policy))
        if item.confidence < min_confidence:
            found.append(
                Finding(
                    path,
                    item.line,
                    "low-confidence",
                    f"the parser is not sure this is an action item (confidence {item.confidence:.2f}); "
                    "`remediate parse --explain` shows why",
                    item.text,
                )
            )
    items = list(result.action_items)
    for n, a in enumerate(items):
        for b in items[n + 1 :]:
            score = similarity(a.text, b.text)
            if score >= threshold:
                found.append(
                    Finding(
                        path, b.line, "duplicate", f"same as the item on line {a.line} (similarity {score:.2f})", b.text
                    )
                )
    titles = {normalize_text(t) for t in (*DEFAULT_SECTION_TITLES, *section_titles)}
    with_items = {normalize_text(i.section) for i in items}
    headings = [(n, m.group(2)) for n, line in enumerate(text.splitlines(), start=1) if (m := _HEADING.match(line))]
    sections = [(n, title) for n, title in headings if normalize_text(title.rstrip(":")) in titles]
    for line, title in sections:
        if normalize_text(title.rstrip(":")) not in with_items:
            found.append(Finding(path, line, "empty-section", f"section '{title}' has no action items"))
    if not sections and not items:
        found.append(
            Finding(path, 1, "no-action-items", "no action-item section (e.g. '## Action items') and no action items")
        )
    return sorted(rules.apply(found), key=lambda f: (f.line, RULES.index(f.rule)))


def lint_paths(
    paths: Sequence[str],
    *,
    section_titles: Sequence[str] = (),
    max_bytes: int = 5_000_000,
    threshold: float = 0.65,
    rules: Rules | None = None,
    min_confidence: float = 0.0,
) -> tuple[int, list[Finding]]:
    """Lint every postmortem under ``paths``; return (files read, findings)."""
    from remediate.jobs import collect_paths
    from remediate.parsing import parse_text, read_document

    files = collect_paths(paths)
    findings: list[Finding] = []
    for path in files:
        document = read_document(path, max_bytes=max_bytes)
        result = parse_text(document.text, source=document.source, section_titles=section_titles)
        findings.extend(
            check_document(
                result,
                document.text,
                section_titles=section_titles,
                threshold=threshold,
                rules=rules,
                min_confidence=min_confidence,
            )
        )
    return len(files), findings

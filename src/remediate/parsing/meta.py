"""Postmortem metadata: front matter, title, incident date and a stable postmortem id."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath

from remediate.parsing import vocabulary
from remediate.parsing.dates import first_date
from remediate.parsing.text import Line, strip_decoration, strip_markdown
from remediate.parsing.titles import OTHER, UNKNOWN, classify_title

# Stems that say nothing about the incident: the parent directory names it instead.
_GENERIC_STEMS = frozenset(
    "readme index postmortem post-mortem postmortems post-mortems incident incident-report "
    "report rca retro retrospective doc document main notes writeup write-up".split()
)
_FRONT_MATTER_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
_DATE_KEYS = ("incident_date", "incident-date", "date", "started", "start", "created")
_DATE_LABEL = re.compile(
    r"^\W*(?P<label>(?:date of (?:the )?(?:incident|outage)|incident date|outage date"
    r"|date of postmortem|date|when|duration|incident time|start(?:ed)?(?: time)?))\W*[:：]",
    re.I,
)
_OCCURRED = re.compile(
    r"\b(?:occurred|happened|began|started|took place|went down|experienced)\b[^.]{0,40}?\bon\b"
    r"|^\W*on\b",
    re.I,
)
_TITLE_WORDS = re.compile(r"post[\s-]?mortem|incident|outage|report|\brca\b|retrospective", re.I)
_SCAN_LINES = 80  # the incident date is stated near the top


@dataclass(frozen=True)
class Meta:
    """What the document says about itself."""

    id: str
    title: str | None
    date: date | None
    body_start: int  # index of the first line after the front matter
    front_matter: dict[str, str] = field(default_factory=dict)
    people: frozenset[str] = frozenset()  # names the document gives its people, casefolded


def front_matter(lines: Sequence[Line]) -> tuple[dict[str, str], int]:
    """Top-level ``key: value`` pairs of a leading ``---`` block, and the index after it."""
    if not lines or lines[0].text.strip() != "---":
        return {}, 0
    values: dict[str, str] = {}
    for index in range(1, min(len(lines), 200)):
        text = lines[index].text
        if text.strip() in ("---", "..."):
            return values, index + 1
        match = _FRONT_MATTER_KEY.match(text)
        if match and not text[:1].isspace():
            values[match.group(1).casefold()] = match.group(2).strip().strip("'\"")
    return {}, 0  # no closing line: not front matter after all


def slug(text: str) -> str:
    """Lowercase words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def postmortem_id(source: str, values: dict[str, str], title: str | None) -> str:
    """Front matter ``id``; else the file name (with its directory when the name is generic)."""
    if values.get("id"):
        return slug(values["id"]) or values["id"]
    if source.startswith("<") or not source:
        return slug(title or "") or "postmortem"
    path = PurePath(source)
    stem = slug(path.stem)
    if re.sub(r"^\d+-", "", stem) in _GENERIC_STEMS or not stem:
        parent = slug(path.parent.name)
        if parent:
            return f"{parent}-{stem}" if stem else parent
    return stem or "postmortem"


def document_title(lines: Sequence[Line], start: int, values: dict[str, str]) -> str | None:
    """Front matter title, else the first level-1 heading, else a short first line."""
    if values.get("title"):
        return values["title"]
    first: str | None = None
    for index in range(start, min(len(lines), start + _SCAN_LINES)):
        text = lines[index].text.strip()
        if not text:
            continue
        heading = re.match(r"^#\s+(.+?)\s*#*$", text)
        following = lines[index + 1].text.strip() if index + 1 < len(lines) else ""
        candidate = heading.group(1) if heading else text if re.fullmatch(r"=+", following) else None
        if candidate is not None and _names_document(candidate):
            return _clean_title(candidate)
        if first is None:
            first = text
    if first and re.fullmatch(r"(\*\*|__)(.+?)\1", first):
        first = first[2:-2].strip()
    if first and len(first) <= 120 and not re.search(r"https?://|^[!<\[|>*#-]", first):
        if not first.endswith((".", ":")) and _names_document(first):
            return _clean_title(first)
    return None


def _names_document(title: str) -> bool:
    """A title of the whole document, not a section name such as "Issue Summary"."""
    cls = classify_title(title)
    return cls == UNKNOWN or (cls == OTHER and bool(_TITLE_WORDS.search(title)))


def _clean_title(text: str) -> str:
    return strip_decoration(strip_markdown(text)).strip() or text


#: Every date ``first_date`` finds states a year (19xx or 20xx). Inline markup can split the year
#: on the raw line ("20**24**"), and link text or an entity ("&#50;") can make one: a line
#: without such a year, a "[" or a "&" states no date, and is neither stripped nor ranked.
_SPLIT_YEAR = re.compile(r"(?:1[`*_~]*9|2[`*_~]*0)[`*_~]*\d[`*_~]*\d")


def _line_rank(plain: str, position: int) -> int:
    """How strongly a line that states a date gives the incident date: 0 (best) to 4."""
    label = _DATE_LABEL.match(plain)
    if label:
        name = label.group("label").casefold()
        return 0 if "incident" in name or "outage" in name else 2 if "postmortem" in name else 1
    if "on" in plain.lower() and _OCCURRED.search(plain):  # both of its forms end in "on"
        return 1
    return 3 if plain.lstrip().startswith("#") or position == 0 else 4


def incident_date(lines: Sequence[Line], start: int, values: dict[str, str]) -> date | None:
    """Front matter date, else a ``Date:``-style line, else "occurred on <date>", else the title.

    Among the lines that state a date, the best-ranked wins (the first of equals); the date is
    looked for in rank order, so most documents read one line's dates, not every line's."""
    for key in _DATE_KEYS:
        if values.get(key) and (found := first_date(values[key])):
            return found
    candidates: list[tuple[int, int, str]] = []
    for position, line in enumerate(lines[start : start + _SCAN_LINES]):
        if "[" in line.text or "&" in line.text or _SPLIT_YEAR.search(line.text):
            plain = strip_markdown(line.text)
            candidates.append((_line_rank(plain, position), position, plain))
    for _rank, _position, plain in sorted(candidates):
        if found := first_date(plain):
            return found
    return None


_PEOPLE_LINE = re.compile(rf"^\W*(?:{vocabulary.alternation(vocabulary.PEOPLE_LABELS)})\W*[:：]\s*(?P<names>.+)$", re.I)
#: The first word of each label ("author", "incident", "on"), to pass over other "X:" lines quickly.
_PEOPLE_STEMS = frozenset(label.split()[0] for label in vocabulary.PEOPLE_LABELS)
_FIRST_WORD = re.compile(r"[\W_]*([^\W\d_]+)")
_NAME_SPLIT = re.compile(r"\s*(?:,|;|/|&|\+|\band\b)\s*")


def people(lines: Sequence[Line], start: int, values: dict[str, str]) -> frozenset[str]:
    """The names of "Authors: A, B"-style lines near the top (and such front matter keys),
    casefolded, each of at most three words: who the document says its people are."""
    stated = [values[key] for key in vocabulary.PEOPLE_LABELS if values.get(key)]
    for line in lines[start : start + _SCAN_LINES]:
        text = line.text
        colon = text.find(":")
        if colon < 0:
            colon = text.find("：")
        # A label is a few words before the colon: most lines with a colon say something else.
        if (
            0 < colon <= 40
            and (first := _FIRST_WORD.match(text)) is not None
            and first.group(1).casefold() in _PEOPLE_STEMS
            and (match := _PEOPLE_LINE.match(strip_markdown(text)))
        ):
            stated.append(match["names"])
    names = set()
    for value in stated:
        for name in _NAME_SPLIT.split(strip_markdown(value)):
            name = name.strip(" @*_`'\"()[].")
            if name and len(name.split()) <= 3:
                names.add(name.casefold())
    return frozenset(names)


def read_meta(lines: Sequence[Line], source: str) -> Meta:
    """Everything the document says about itself."""
    values, start = front_matter(lines)
    title = document_title(lines, start, values)
    when = incident_date(lines, start, values)
    return Meta(postmortem_id(source, values, title), title, when, start, values, people(lines, start, values))

"""Dates as people write them in postmortems, and deadlines relative to the incident date."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (
        calendar.month_name[number].casefold(),
        calendar.month_abbr[number].casefold(),
    )
}
_MONTHS["sept"] = 9
_MONTH = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)(?!\d)"

# "January 24, 2024", "Nov 15 2023", "August 5th, 2023", "January23, 2021", "September 5,, 2024"
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s*{_DAY}(?:\s*,)*\s*{_YEAR}", re.I)
# "20th September 2023", "6 Nov, 2023", "1 of March 2024"
_DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}", re.I)
_ISO = re.compile(r"(?<![\d-])(?P<year>(?:19|20)\d\d)-(?P<month>\d\d?)-(?P<day>\d\d?)(?!\d|-\d)")
_SLASHED = re.compile(r"(?<![\d/])(?P<a>\d\d?)/(?P<b>\d\d?)/(?P<year>(?:19|20)\d\d)(?![\d/])")
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s*{_DAY}\b(?!\s*,?\s*\d)", re.I)

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_AMOUNT = r"(?P<n>\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")"
_UNIT = r"(?P<unit>business\s+days?|days?|weeks?|wks?|months?|mos?|years?|sprints?)"
RELATIVE = re.compile(rf"\b{_AMOUNT}[\s-]*{_UNIT}\b", re.I)


@dataclass(frozen=True)
class Found:
    """A date found in text, with where it was."""

    value: date
    start: int
    end: int


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


#: Every date pattern needs a digit, and all but the year-less one a four-digit year: a text
#: without them (most lines) is answered without running the month-name patterns.
_DIGIT = re.compile(r"\d")
_YEARISH = re.compile(r"(?:19|20)\d\d")
#: Every month name and abbreviation starts a word with one of these.
_MONTHISH = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", re.I)


def find_dates(text: str, *, default_year: int | None = None) -> list[Found]:
    """Every full date in ``text``, left to right (year-less ones only with ``default_year``)."""
    if _DIGIT.search(text) is None:
        return []
    found: list[Found] = []
    taken: list[tuple[int, int]] = []

    def add(value: date | None, match: re.Match[str]) -> None:
        span = match.span()
        if value is None or any(s < span[1] and span[0] < e for s, e in taken):
            return
        taken.append(span)
        found.append(Found(value, *span))

    if _YEARISH.search(text) is not None:
        _dated(text, add)
    if default_year is not None:
        for match in _MONTH_DAY.finditer(text):
            mon = _MONTHS[match["mon"].casefold().rstrip(".")]
            add(_make(default_year, mon, int(match["day"])), match)
    return sorted(found, key=lambda f: f.start)


def _dated(text: str, add: Callable[[date | None, re.Match[str]], None]) -> None:
    """The dates that state their year, in the order of precedence: ISO, named months, slashes."""
    for match in _ISO.finditer(text):
        add(_make(int(match["year"]), int(match["month"]), int(match["day"])), match)
    for pattern in (_MONTH_DAY_YEAR, _DAY_MONTH_YEAR) if _MONTHISH.search(text) else ():
        for match in pattern.finditer(text):
            mon = _MONTHS[match["mon"].casefold().rstrip(".")]
            add(_make(int(match["year"]), mon, int(match["day"])), match)
    for match in _SLASHED.finditer(text):
        a, b = int(match["a"]), int(match["b"])
        # Only unambiguous numeric dates: 11/15/2023 (US) or 15/11/2023 (elsewhere).
        if (a > 12) != (b > 12):
            month, day = (b, a) if a > 12 else (a, b)
            add(_make(int(match["year"]), month, day), match)


def first_date(text: str, *, default_year: int | None = None) -> date | None:
    """The first full date in ``text``, or None."""
    found = find_dates(text, default_year=default_year)
    return found[0].value if found else None


def add_months(start: date, months: int) -> date:
    """``start`` plus whole months, clamping the day to the target month's length."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def resolve_relative(match: re.Match[str], base: date) -> date:
    """Turn a :data:`RELATIVE` match ("2 weeks", "one month") into a date after ``base``."""
    raw = match["n"].casefold()
    amount = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
    unit = match["unit"].casefold()
    if unit.startswith("business"):
        return base + timedelta(days=amount * 7 // 5 + (1 if amount % 5 else 0))
    if unit.startswith("d"):
        return base + timedelta(days=amount)
    if unit.startswith("w"):
        return base + timedelta(weeks=amount)
    if unit.startswith("s"):  # a sprint is most often two weeks
        return base + timedelta(weeks=2 * amount)
    if unit.startswith("y"):
        return add_months(base, 12 * amount)
    return add_months(base, amount)

"""Lines and offset-tracking text: the raw material every other parsing module works on.

A :class:`Chunk` is a piece of the document, possibly joined from several
lines, that remembers the document offset of each of its characters. That is
what lets an item report the exact ``span`` the sync engine writes back into,
even after wrapped lines were joined and markers were cut off.
"""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

TAB_WIDTH = 4


@dataclass(frozen=True)
class Line:
    """One line of the document: 1-based number, offset of its first character, text without EOL."""

    number: int
    start: int
    text: str

    @property
    def end(self) -> int:
        """Offset just past the last character (before the line break)."""
        return self.start + len(self.text)

    @property
    def blank(self) -> bool:
        """True for an empty or whitespace-only line."""
        return not self.text.strip()

    @property
    def indent(self) -> int:
        """Leading whitespace width, tabs expanded to the next multiple of four."""
        return indent_width(self.text)


def indent_width(text: str) -> int:
    """Width of the leading whitespace of ``text`` (tabs to the next multiple of four)."""
    width = 0
    for char in text:
        if char == " ":
            width += 1
        elif char == "\t":
            width += TAB_WIDTH - width % TAB_WIDTH
        else:
            break
    return width


def split_lines(text: str) -> list[Line]:
    """Split on ``\\n`` only (a ``\\r`` before it is dropped), keeping each line's offset."""
    lines = []
    position = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        body = raw[:-1] if raw.endswith("\r") else raw
        lines.append(Line(number, position, body))
        position += len(raw) + 1
    return lines


class Chunk:
    """Text plus the document offset of each character, so spans survive joins and cuts."""

    __slots__ = ("offsets", "text")

    def __init__(self, text: str, offsets: Iterable[int]) -> None:
        self.text = text
        self.offsets = tuple(offsets)

    @classmethod
    def of_line(cls, line: Line, start: int = 0, end: int | None = None) -> Chunk:
        """The part ``[start:end)`` of one line."""
        end = len(line.text) if end is None else end
        return cls(line.text[start:end], range(line.start + start, line.start + end))

    @classmethod
    def join(cls, parts: Iterable[Chunk], sep: str = " ") -> Chunk:
        """Join chunks with ``sep``; separator characters borrow the previous character's offset."""
        text: list[str] = []
        offsets: list[int] = []
        for part in parts:
            if not part.text:
                continue
            if text:
                text.append(sep)
                offsets.extend([offsets[-1]] * len(sep))
            text.append(part.text)
            offsets.extend(part.offsets)
        return cls("".join(text), offsets)

    def __len__(self) -> int:
        return len(self.text)

    def __repr__(self) -> str:
        return f"Chunk({self.text!r})"

    def sub(self, start: int, end: int | None = None) -> Chunk:
        """The characters ``[start:end)``."""
        end = len(self.text) if end is None else end
        return Chunk(self.text[start:end], self.offsets[start:end])

    def strip(self) -> Chunk:
        """Without leading and trailing whitespace."""
        stripped = self.text.lstrip()
        start = len(self.text) - len(stripped)
        end = start + len(stripped.rstrip())
        return self.sub(start, end)

    def span(self) -> tuple[int, int]:
        """Document offsets ``[start, end)`` covered by this chunk (``(0, 0)`` when empty)."""
        if not self.offsets:
            return (0, 0)
        return (self.offsets[0], self.offsets[-1] + 1)


# --- inline Markdown -------------------------------------------------------------------------

_IMAGE = re.compile(r"!\[[^\]]*\]\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)")
_INLINE_LINK = re.compile(r"\[([^\[\]]*)\]\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)")
_REF_LINK = re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]")
_SHORTCUT_LINK = re.compile(r"\[([^\[\]]+)\](?![(\[:])")
_AUTOLINK = re.compile(r"<((?:https?|mailto|ftp):[^>\s]+)>")
# A tag, or the opening of a comment: its end is found by _drop_tags (".*?-->" scanned to the end
# of the line for every unclosed "<!--").
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<!--")
_STRONG = re.compile(r"\*\*|(?<![A-Za-z0-9])__|__(?![A-Za-z0-9])|~~")
# Emphasis was one pattern per marker, "opener (.+?) closer", whose lazy scan to the end of the
# line for every unclosed opener made "*a _b *c ..." quadratic. The same matches are found by
# locating openers and closers separately (lookarounds only) and pairing them in one pass.
_EM_STAR_OPEN = re.compile(r"(?<![\w*\\])\*(?=[^\s*])")
_EM_STAR_CLOSE = re.compile(r"(?<=[^\s*])\*(?![\w*])")
_EM_UNDERSCORE_OPEN = re.compile(r"(?<![\w\\])_(?=\S)")
_EM_UNDERSCORE_CLOSE = re.compile(r"(?<=\S)_(?!\w)")
_SPACES = re.compile(r"\s+")


def strip_markdown(text: str, link_labels: Mapping[str, str] | None = None) -> str:
    """Inline Markdown to plain words: links keep their text, emphasis/backticks/tags go."""
    if link_labels and "[" in text:
        return _strip_markdown(text, link_labels)
    return _strip_plain(text)  # the labels only matter to a "[": the result depends on the text alone


@lru_cache(maxsize=1024)
def _strip_plain(text: str) -> str:
    """``strip_markdown`` without link labels, remembered: the parser strips the same heading,
    item and line several times (classifying, naming, reading fields), about 60% of all calls."""
    return _strip_markdown(text, None)


# reStructuredText's inline link: `text <https://...>`_ (or __, anonymous).
_RST_LINK = re.compile(r"`([^`<>]+?)\s*<[^<>`\s]+>`__?")


def _strip_markdown(text: str, link_labels: Mapping[str, str] | None) -> str:
    # Each substitution only runs when its trigger character is present: this is hot code.
    if "[" in text:
        text = _IMAGE.sub(" ", text)
        for _ in range(3):  # nested brackets such as "[[PR](url)]" peel one level per pass
            new = _INLINE_LINK.sub(lambda m: m.group(1), text)
            new = _REF_LINK.sub(lambda m: m.group(1), new)
            if new == text:
                break
            text = new
        if link_labels:
            text = _SHORTCUT_LINK.sub(
                lambda m: m.group(1) if m.group(1).casefold() in link_labels else m.group(0), text
            )
    if ">`_" in text:
        text = _RST_LINK.sub(lambda m: m.group(1), text)  # `Follow up at Linode <url>`__
    if "<" in text:
        text = _AUTOLINK.sub(lambda m: m.group(1), text)
        text = _drop_tags(text)
    text = text.replace("`", "")
    if "*" in text or "_" in text or "~" in text:
        text = _STRONG.sub("", text)
        if "*" in text:
            text = unwrap_emphasis(text, _EM_STAR_OPEN, _EM_STAR_CLOSE)
        if "_" in text:
            text = unwrap_emphasis(text, _EM_UNDERSCORE_OPEN, _EM_UNDERSCORE_CLOSE)
    if "&" in text:
        text = html.unescape(text)
    return _SPACES.sub(" ", text).strip()


def unwrap_emphasis(text: str, opener: re.Pattern[str], closer: re.Pattern[str]) -> str:
    """Replace each ``<open>words<close>`` by its words, in linear time.

    Gives what ``re.sub(open + "(.+?)" + close, r"\\1", text)`` gives: left to right, an opener
    pairs with the first closer at least two characters after it on the same line, and scanning
    resumes after that closer.
    """
    opens = [m.start() for m in opener.finditer(text)]
    if not opens:
        return text
    closes = [m.start() for m in closer.finditer(text)]
    if not closes:
        return text
    newlines = [m.start() for m in re.finditer("\n", text)]
    parts: list[str] = []
    done = 0  # text[:done] is settled
    for start in opens:
        if start < done:
            continue
        index = bisect.bisect_left(closes, start + 2)
        if index == len(closes):
            break  # no closer after this opener, nor after any later one
        end = closes[index]
        line_end = bisect.bisect_left(newlines, start + 1)
        if line_end < len(newlines) and newlines[line_end] < end:
            continue  # "." stops at a line break
        parts.append(text[done:start])
        parts.append(text[start + 1 : end])
        done = end + 1
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def _drop_tags(text: str) -> str:
    """Replace each HTML tag and one-line comment by a space, in linear time.

    Gives what ``re.sub(r"<tag>|<!--.*?-->", " ", text)`` gives; the end of a comment is looked
    up once per closing ``-->`` and line break rather than rescanned from every ``<!--``.
    """
    parts: list[str] = []
    done = position = 0
    close = line_break = -2  # cached positions of the next "-->" and "\n" (-1: none left)
    while match := _HTML_TAG.search(text, position):
        start = match.start()
        if match.group() != "<!--":
            parts.append(text[done:start])
            parts.append(" ")
            done = position = match.end()
            continue
        position = start + 1
        if close != -1 and close < start + 4:
            close = text.find("-->", start + 4)
        if close == -1:
            continue
        if line_break != -1 and line_break < start + 4:
            line_break = text.find("\n", start + 4)
        if line_break != -1 and line_break < close:
            continue
        parts.append(text[done:start])
        parts.append(" ")
        done = position = close + 3
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


#: A line that ends mid-sentence ("... the checks we run,", "... and"): the next line goes on with it.
JOINING_END = re.compile(
    r"(?:[,;\-–—/(]|\b(?:and|or|the|a|an|to|of|with|for|in|on|by|from|that|which|as|at|is|are))$",
    re.I,
)
#: Line breaks that end an item's text ("Do X.<br>"): layout, not text.
TRAILING_BREAKS = re.compile(r"(?:\s*<br\s*/?>)+\s*$", re.I)


def is_decoration(char: str) -> bool:
    """Emoji and pictographs (and their joiners/selectors) that decorate rather than say."""
    if char in "\u200d\ufe0f\ufe0e\u20e3":
        return True
    category = unicodedata.category(char)
    return category == "So" or (category == "Sk" and 0x1F3FB <= ord(char) <= 0x1F3FF)


# GitHub's emoji shortcodes (":small_orange_diamond:", ":white_check_mark:") used as bullets.
_SHORTCODE_LEAD = re.compile(r"^(?:\s*:[a-z][a-z0-9_+-]{1,39}:)+\s*")
_SHORTCODE = re.compile(r":[a-z][a-z0-9_+-]{1,39}:")


def _strip_shortcode_tail(text: str) -> str:
    """Without trailing shortcodes, peeled from the end.

    What ``re.sub(r"(?:\\s*:[a-z][a-z0-9_+-]{1,39}:)+\\s*$", "", text)`` gives; that search
    retried the chain from every shortcode of ":ab: :ab: ... x" (quadratic).
    """
    end = len(text)
    while end and text[end - 1].isspace():
        end -= 1
    cut = None
    while end >= 4 and text[end - 1] == ":":
        opener = text.rfind(":", max(0, end - 42), end - 1)
        if opener == -1 or not _SHORTCODE.fullmatch(text, opener, end):
            break
        end = opener
        while end and text[end - 1].isspace():
            end -= 1
        cut = end
    return text if cut is None else text[:cut]


def strip_decoration(text: str) -> str:
    """Drop leading/trailing emoji, emoji shortcodes and bullet glyphs such as "•"."""
    start, end = 0, len(text)
    while start < end and (is_decoration(text[start]) or text[start] in "•·▪●◦ \t"):
        start += 1
    while end > start and (is_decoration(text[end - 1]) or text[end - 1] in " \t"):
        end -= 1
    text = text[start:end]
    if ":" in text:
        text = _strip_shortcode_tail(_SHORTCODE_LEAD.sub("", text))
    return text


# --- sentences -------------------------------------------------------------------------------

_ABBREVIATIONS = frozenset("e.g i.e etc vs approx inc ltd co mr mrs ms dr prof no fig st jr sr a.m p.m cf al".split())
_LAST_WORD = re.compile(r"([\w.]+)\W*$")
# Only from the start of a run of "...": a match inside it would match one character earlier.
_SENTENCE_END = re.compile(r"(?<![.!?])[.!?]+[\"'”’)\]*_]*(?=\s+[\"'“‘(\[*_]*[A-Z0-9@])")


def split_sentences(chunk: Chunk) -> list[Chunk]:
    """Split prose into sentences at ``.``/``!``/``?`` followed by a capitalised word."""
    pieces = []
    start = 0
    text = chunk.text
    for match in _SENTENCE_END.finditer(text):
        word = _LAST_WORD.search(text, max(start, match.start() - 40), match.start())
        if word and word.group(1).casefold().rstrip(".") in _ABBREVIATIONS:
            continue
        if match.group().startswith(".") and match.start() > 0 and text[match.start() - 1].isdigit():
            if text[match.start() + 1 : match.start() + 2].isdigit():
                continue
        pieces.append(chunk.sub(start, match.end()).strip())
        start = match.end()
    pieces.append(chunk.sub(start).strip())
    return [piece for piece in pieces if piece.text]


def words(text: str) -> list[str]:
    """The words of ``text`` (letters, digits, apostrophes, inner hyphens), lowercased."""
    return re.findall(r"[a-z0-9][a-z0-9'’\-]*", text.casefold())

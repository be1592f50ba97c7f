"""Ticket references: ``#123``, ``owner/repo#123``, issue keys and ticket URLs of any tracker.

The parser knows no tracker. It reports every reference an item names, as written, and each
connector's ``claim()`` recognises its own (``remediate.sync``): GitHub its issue URLs and
``owner/repo#12``, Jira its site's ``/browse/OPS-42``, a third party's connector its URLs.

What :func:`reference` returns as ``tracker_ref`` for each written form:

=====================================================  ==============================
written                                                tracker_ref
=====================================================  ==============================
``#12``                                                ``#12``
``owner/repo#12``                                      ``owner/repo#12``
``OPS-42`` (where it reads as a reference)             ``OPS-42``
a ticket URL naming a key, ``https://x/browse/OPS-42``  ``OPS-42`` (``refs``: the URL too)
``https://github.com/o/r/issues/12`` (or ``/pull/``)   the URL
``[#12](https://github.com/o/r/issues/12)``            ``#12`` (the link text is a key)
``[OPS-42](https://x/browse/OPS-42)``                  ``OPS-42``
``[jira](https://x/browse/OPS-42)``, ``[PR](url)``     ``OPS-42``, the URL
``[ticket](https://other.example/T/9)``                the URL
=====================================================  ==============================

A ticket URL is one whose path names a ticket: a word such as ``issues``, ``issue``,
``pull``, ``merge_requests``, ``browse``, ``tickets`` or ``story`` followed by the
ticket's number or key (``/issues/12``, ``/-/merge_requests/3``, ``/browse/OPS-42``,
``/issue/ENG-42/its-title``), or a ``selectedIssue=KEY`` query. Which tracker it belongs
to is for the connectors to say.

A Jira-style key is only taken where it reads as a reference (a ticket column, a
trailing parenthesised or bracketed note, a link, a URL), and never when its
prefix is a well-known standard (``UTF-8``, ``SHA-256``, ``HTTP-2``, ``ISO-8601``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The path of a URL that names one ticket: what it is, then its number or key, then anything.
_TICKET_WORDS_IN_PATH = (
    r"issues?|pulls?|pull-requests|merge_requests|work_items|workitems|tickets?|browse|bugs?|tasks?"
    r"|stor(?:y|ies)|cards?"
)
TICKET_URL = re.compile(
    rf"https?://[^\s/)\]]+(?:/[^\s)\]]*)?/(?:{_TICKET_WORDS_IN_PATH})/(?P<id>[A-Z][A-Z0-9_]+-\d+|\d+)"
    r"(?:[/?#][^\s)\]]*)?"
    r"|https?://[^\s)\]]+[?&]selectedIssue=(?P<key>[A-Z][A-Z0-9_]+-\d+)[^\s)\]]*"
)
ANY_URL = re.compile(r"https?://[^\s)\]>]+")
KEY = re.compile(r"(?<![\w-])(?P<key>[A-Z][A-Z0-9_]{1,9}-\d{1,7})(?![\w-]|\.\d)")
SHORT = re.compile(r"(?<![\w/])(?P<ref>[\w.-]+/[\w.-]+#\d+)(?!\w)")
HASH = re.compile(r"(?<![\w&/#])(?P<ref>#\d{1,7})(?!\w)")
TICKET_WORDS = re.compile(
    r"^(?:jira|jira link|ticket|issue|github issue|gh issue|bug|pr|prs|pull request|mr|merge request"
    r"|link|tracking|tracker|task|story|epic|here|details|fix|pr link|issue link|ticket link)"
    r"(?:\s+\S+)?$",
    re.I,
)
# Prefixes of standards and versions that look like Jira keys but never are.
_NOT_KEYS = frozenset(
    "UTF UTF8 UCS SHA MD AES RSA DES ECDSA ECDH EC HMAC TLS SSL HTTP HTTPS HTTP2 ISO IEC IEEE RFC CVE "
    "CWE GHSA COVID SARS MERS ANSI ASCII IPV IP TCP UDP PCI SOC NIST FIPS PEP JSR ES ECMA X Y "
    "CP WIN WINDOWS IBM ARM AMD PG MPEG H AV1 DDR PCIE USB GPT LLAMA TYPE CLASS LEVEL TIER PHASE "
    "STEP PART WEEK DAY Q P SEV PRIORITY VERSION V R G".split()
)


@dataclass(frozen=True)
class Ref:
    """A tracker reference: the key people type and, when written as a link, its URL."""

    key: str
    url: str | None = None


def is_key(text: str) -> bool:
    """True when ``text`` is exactly a plausible Jira-style key (not ``UTF-8``, ``SHA-256``...)."""
    match = KEY.fullmatch(text.strip())
    return match is not None and match.group("key").split("-")[0] not in _NOT_KEYS


def from_url(url: str) -> Ref | None:
    """The reference a ticket URL is (see the module docstring), else None.

    A URL that names the ticket by key gives that key, with the URL: ``/browse/OPS-42`` is
    ``OPS-42``. Any other ticket URL is itself the reference.
    """
    match = TICKET_URL.fullmatch(url)
    if match is None:
        return None
    key = match["key"] or match["id"]
    return Ref(key if is_key(key) else url, url)


def reference(text: str, *, url: str | None = None, loose: bool = False) -> Ref | None:
    """Read ``text`` (a whole note, cell or link text) as one tracker reference, or None.

    ``url`` is the target when ``text`` was a link's text. ``loose`` (a ticket column)
    also accepts any URL and a bare bug number such as "Bug 5554823".
    """
    text = text.strip().strip("*_`").strip()
    if re.fullmatch(r"#\d{1,7}", text) or SHORT.fullmatch(text):
        return Ref(text, url)
    if is_key(text):
        return Ref(text, url)
    if url is not None:
        if found := from_url(url):
            return found
        if TICKET_WORDS.match(text) or loose:
            return Ref(url, url)
        return None
    if ANY_URL.fullmatch(text):
        return from_url(text) or (Ref(text, text) if loose else None)
    if loose and re.fullmatch(r"(?:bug|b|issue|ticket|case)[\s/:#-]*\d{3,}", text, re.I):
        return Ref(text)
    return None


_LINK = re.compile(r"\[(?P<text>[^\[\]]*)\]\((?P<url>[^()\s]+)\)")
_RUN = re.compile(r"[\w.-]+")
_SHORT_RIGHT = re.compile(r"[\w.-]+#\d+(?!\w)")


def search_short(text: str) -> str | None:
    """The ``ref`` of ``SHORT.search(text)``, in linear time.

    The search tried every position of a run such as "-1-1-1..." and scanned the rest of the run
    from each (quadratic). A match ends the left part at the end of a ``[\\w.-]`` run that a "/"
    follows, so each run is looked at once: where in it the match may start, and whether the
    part after the "/" is ``name#N``.
    """
    for run in _RUN.finditer(text):
        start, end = run.span()
        if text[end : end + 1] != "/" or not (right := _SHORT_RIGHT.match(text, end + 1)):
            continue
        # The match starts where the lookbehind (?<![\w/]) allows: the run's start unless a "/"
        # precedes it, else just after a "." or "-" inside the run.
        if start > 0 and text[start - 1] == "/":
            inner = next((i + 1 for i in range(start, end - 1) if text[i] in ".-"), None)
            if inner is None:
                continue
            start = inner
        return text[start : right.end()]
    return None


def find_in_cell(text: str) -> Ref | None:
    """The first reference in a table cell: a link, a URL, ``#N``, a key or "Bug N"."""
    for match in _LINK.finditer(text):
        if found := reference(match["text"], url=match["url"], loose=True):
            return found
    for match in ANY_URL.finditer(text):
        if found := from_url(match.group().rstrip(".,;")):
            return found
    plain = _LINK.sub(lambda m: m["text"], text)
    plain = re.sub(r"\*\*|__|`|~~", "", plain)
    if short := search_short(plain):
        return Ref(short)
    if found_ref := HASH.search(plain):
        return Ref(found_ref.group("ref"))
    for key in KEY.finditer(plain):
        if is_key(key.group("key")):
            return Ref(key.group("key"))
    if bug := re.search(r"\b(?:bug|b|issue|ticket|case)[\s/:#-]*\d{3,}\b", plain, re.I):
        return Ref(bug.group())
    if url := ANY_URL.search(plain):
        return Ref(url.group(), url.group())
    return None

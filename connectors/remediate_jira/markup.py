"""Issue descriptions in the two text formats Jira speaks, with document text made inert.

REST v2 takes wiki markup, a string in which ``*bold*``, ``[text|url]``, ``{code}`` or ``h1.``
would render as markup; REST v3 takes Atlassian Document Format (ADF), a JSON tree whose text
nodes are always literal. Postmortem text is untrusted (anyone can write ``[click|http://evil]``
or ``{html}`` into a document), so on v2 every markup character is backslash-escaped and line
breaks are folded so that no block markup (``h1.``, ``bq.``, tables) can start a line.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from remediate.connectors import PostmortemInfo, TicketDraft

# Characters that open or close wiki markup: text effects, links, macros, lists, tables, images.
_WIKI_SPECIAL = re.compile(r"[*_+\-^~?{}\[\]|!#\\]")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
#: Jira refuses text fields (the description) longer than 32,767 characters; keep a margin for
#: the ADF JSON around the text.
TEXT_FIELD_MAX = 32767
_ADF_OVERHEAD = 1500


def _cap(text: str, room: int) -> str:
    """``text`` cut to ``room`` characters at a space, ending in an ellipsis (never mid-escape)."""
    if len(text) <= room:
        return text
    cut = text[: max(0, room - 1)]
    space = cut.rfind(" ")
    if space > room // 2:
        cut = cut[:space]
    cut = re.sub(r"(?:\\|&#?9?2?)$", "", cut)  # a cut escape would escape our ellipsis
    return cut.rstrip() + "…"


def escape_wiki(text: str) -> str:
    """Make ``text`` render literally in Jira wiki markup, on one line."""
    flat = _LINE_BREAKS.sub(" ", text.strip())
    # A backslash cannot itself be backslash-escaped (``\\`` is a forced line break), and a
    # lone one would escape our own escapes; the numeric entity renders as a plain backslash
    # (pandoc's Jira writer settled on the same).
    return _WIKI_SPECIAL.sub(lambda m: "&#92;" if m.group() == "\\" else "\\" + m.group(), flat)


def safe_url(url: str | None) -> str | None:
    """Return ``url`` if it is an http(s) URL that can sit inside ``[text|url]``, else None."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    # ``|``, ``]`` and spaces would end the link early; percent-encoding keeps the target.
    return quote(url.strip(), safe=":/?#@!$&'()*+,;=%-._~")


def _postmortem_name(draft: TicketDraft) -> str:
    return draft.postmortem.title or draft.postmortem.id


def wiki_description(draft: TicketDraft) -> str:
    """The description of ``draft``'s issue as v2 wiki markup."""
    name = escape_wiki(_postmortem_name(draft))
    url = safe_url(draft.postmortem.link)
    source = f"[{name}|{url}]" if url else name
    lines = [
        "",
        "",
        f"From postmortem {source}, section {escape_wiki(draft.section or '(none)')}.",
        f"Source: {escape_wiki(draft.postmortem.source)}",
        "",
        f"_Filed by remediate; item id {escape_wiki(draft.item_id)}._",
    ]
    rest = "\n".join(lines)
    return _cap(escape_wiki(draft.text), TEXT_FIELD_MAX - len(rest)) + rest


def _text(value: str, link: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    if link:
        node["marks"] = [{"type": "link", "attrs": {"href": link}}]
    return node


def _paragraph(*nodes: dict[str, Any]) -> dict[str, Any]:
    # ADF rejects empty text nodes, so drop them instead of sending "".
    return {"type": "paragraph", "content": [n for n in nodes if n.get("text")]}


def adf_description(draft: TicketDraft) -> dict[str, Any]:
    """The description of ``draft``'s issue as an Atlassian Document Format document (v3)."""
    url = safe_url(draft.postmortem.link)
    return {
        "type": "doc",
        "version": 1,
        "content": [
            _paragraph(_text(_cap(draft.text.strip() or draft.title, TEXT_FIELD_MAX - _ADF_OVERHEAD))),
            _paragraph(
                _text("From postmortem "),
                _text(_postmortem_name(draft), url),
                _text(f", section {draft.section or '(none)'}."),
            ),
            _paragraph(_text(f"Source: {draft.postmortem.source}")),
            {
                "type": "paragraph",
                "content": [
                    {
                        "type": "text",
                        "text": f"Filed by remediate; item id {draft.item_id}.",
                        "marks": [{"type": "em"}],
                    }
                ],
            },
        ],
    }


def description(draft: TicketDraft, api_version: int) -> str | dict[str, Any]:
    """The description in the format ``api_version`` expects (2: wiki markup, 3: ADF)."""
    return adf_description(draft) if api_version == 3 else wiki_description(draft)


def group_description(postmortem: PostmortemInfo, keys: list[str], api_version: int) -> str | dict[str, Any]:
    """The per-postmortem epic's description: the postmortem, its date, where to read it, its items."""
    name = postmortem.title or postmortem.id
    url = safe_url(postmortem.link)
    date = postmortem.date.isoformat() if postmortem.date else "not given"
    where = postmortem.link if postmortem.link and not url else postmortem.source
    footer = f"Kept up to date by remediate; edit the postmortem, not this description (postmortem id {postmortem.id})."
    count = f"{len(keys)} action item{'s' if len(keys) != 1 else ''}:" if keys else "No action items filed yet."
    if api_version == 3:
        items = [{"type": "listItem", "content": [_paragraph(_text(key))]} for key in keys]
        return {
            "type": "doc",
            "version": 1,
            "content": [
                _paragraph(_text("Action items from the postmortem "), _text(name, url), _text(".")),
                _paragraph(_text(f"Incident date: {date}")),
                _paragraph(_text(f"Source: {where}")),
                _paragraph(_text(count)),
                *([{"type": "bulletList", "content": items}] if items else []),
                {"type": "paragraph", "content": [{"type": "text", "text": footer, "marks": [{"type": "em"}]}]},
            ],
        }
    title = f"[{escape_wiki(name)}|{url}]" if url else escape_wiki(name)
    lines = [
        f"Action items from the postmortem {title}.",
        f"Incident date: {date}",
        f"Source: {escape_wiki(where)}",
        "",
        count,
        *(f"* {key}" for key in keys),  # Jira renders a bare issue key as a link to the issue
        "",
        f"_{escape_wiki(footer)}_",
    ]
    return "\n".join(lines)


def comment(text: str, api_version: int) -> str | dict[str, Any]:
    """A plain comment body in the format ``api_version`` expects (2: wiki markup, 3: ADF)."""
    if api_version == 3:
        return {"type": "doc", "version": 1, "content": [_paragraph(_text(text))]}
    return escape_wiki(text)


def summary(title: str) -> str:
    """A summary Jira accepts: one line, at most 255 characters (Jira's hard limit)."""
    flat = _LINE_BREAKS.sub(" ", title.strip()) or "(untitled action item)"
    return flat if len(flat) <= 255 else flat[:254] + "…"

"""What remediate writes into GitHub issues: titles, bodies, hidden markers and label names.

Pure text functions, no PyGithub: the connector and the tests share them.

Neutralising document text. A postmortem is written for people, so its action items say
"ask @alice" or "see #123". Copied into an issue body, GitHub would notify @alice (and a
team mention notifies the whole team) and add a "mentioned this" event to issue #123 of
*this* repository, which is usually not the issue the author meant. We wrap every such token
in backticks: GitHub does not process mentions or issue references inside code spans, the
text stays readable and copyable, and a reader can see what was neutralised. A zero-width
joiner after the ``@`` would also work but hides an invisible character that breaks copy,
paste and search. Text already inside a code span is left alone (it is inert already).
Only the assignee line may carry a real ``@login``, and only when it came from the
configured owner map.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote, unquote

from remediate.connectors import PostmortemInfo, TicketDraft

#: GitHub answers 422 "title is too long (maximum is 256 characters)" beyond this.
TITLE_MAX = 256
#: GitHub answers 422 "body is too long (maximum is 65536 characters)" beyond this.
BODY_MAX = 65536
LABEL_MAX = 50

_ITEM_MARKER = re.compile(r"<!-- remediate:item=([^\s>]+) -->")
_TRACKING_MARKER = re.compile(r"<!-- remediate:postmortem=([^\s>]+) -->")

# An @mention: not part of an e-mail address or a path, optionally a team (@org/team).
_MENTION = r"(?<![\w`@/.+-])@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9][\w.-]*)?(?![\w-])"
# An issue reference: #12, owner/repo#12, GH-12 (not an HTML entity like &#123;, not a URL fragment).
_REFERENCE = r"(?<![\w/`#&.:-])(?:[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+)?#\d+(?!\w)|(?<![\w-])GH-\d+(?!\w)"
# URLs come first so that a fragment or path inside one (…/page#12) is left alone.
_PINGS = re.compile(f"(?P<url>https?://[^\\s<>()]+)|{_MENTION}|{_REFERENCE}")
_BACKTICKS = re.compile(r"`+")


def _wrap(match: re.Match[str]) -> str:
    return match.group(0) if match.group("url") else f"`{match.group(0)}`"


def neutralise(text: str) -> str:
    """Wrap @mentions and issue references that sit outside code spans in backticks."""
    out: list[str] = []
    pos = 0
    while True:
        opening = _BACKTICKS.search(text, pos)
        if opening is None:
            out.append(_PINGS.sub(_wrap, text[pos:]))
            return "".join(out)
        # A code span ends at the next run of exactly as many backticks.
        closing = re.compile(rf"(?<!`){re.escape(opening.group(0))}(?!`)").search(text, opening.end())
        out.append(_PINGS.sub(_wrap, text[pos : opening.start()]))
        if closing is None:
            out.append(opening.group(0))
            pos = opening.end()
        else:
            out.append(text[opening.start() : closing.end()])
            pos = closing.end()


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters at a word boundary, ending with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def issue_title(draft: TicketDraft) -> str:
    """The issue title: the engine's short title, on one line and within GitHub's limit."""
    title = shorten(draft.title, TITLE_MAX) or shorten(draft.text, TITLE_MAX)
    return title or f"Action item {draft.item_id}"


def item_marker(item_id: str) -> str:
    """The hidden HTML comment that ties an issue to its action item."""
    return f"<!-- remediate:item={quote(item_id, safe='')} -->"


def find_item_marker(body: str | None) -> str | None:
    """The item id in an issue body's marker, or None."""
    match = _ITEM_MARKER.search(body or "")
    return unquote(match.group(1)) if match else None


def tracking_marker(postmortem_id: str) -> str:
    """The hidden HTML comment that marks a postmortem's tracking issue."""
    return f"<!-- remediate:postmortem={quote(postmortem_id, safe='')} -->"


def find_tracking_marker(body: str | None) -> str | None:
    """The postmortem id in a tracking issue's marker, or None."""
    match = _TRACKING_MARKER.search(body or "")
    return unquote(match.group(1)) if match else None


def _link_text(text: str) -> str:
    return neutralise(text).replace("[", "\\[").replace("]", "\\]")


def postmortem_link(postmortem: PostmortemInfo) -> str:
    """Markdown for the postmortem: a link when we have a URL, else its path in a code span."""
    title = _link_text(postmortem.title or postmortem.id)
    link = postmortem.link or ""
    if link.startswith(("https://", "http://")):
        return f"[{title}]({link.replace(' ', '%20').replace(')', '%29')})"
    path = (link or postmortem.source).replace("`", "'")
    return f"{title} (`{path}`)"


def issue_body(draft: TicketDraft, login: str | None) -> str:
    """The issue body: item text, where it came from, its fields, and the hidden marker."""
    owner = "not set"
    if login:
        owner = f"@{login}"  # from the owner map: the one mention we mean to make
    elif draft.owner:
        owner = f"{neutralise(draft.owner)} (no GitHub login mapped)"
    facts = [
        f"- **Postmortem:** {postmortem_link(draft.postmortem)}",
        f"- **Section:** {neutralise(draft.section) or 'not set'}",
        f"- **Owner:** {owner}",
        f"- **Due:** {draft.due.isoformat() if draft.due else 'not set'}",
        f"- **Priority:** {neutralise(draft.priority) if draft.priority else 'not set'}",
    ]
    footer = (
        "<sub>Filed by remediate from the postmortem. Change the action item there: remediate "
        "rewrites this description on the next sync.</sub>"
    )
    tail = "\n".join(["", "\n".join(facts), "", footer, "", item_marker(draft.item_id), ""])
    text = neutralise(draft.text.strip())
    room = BODY_MAX - len(tail) - 1
    if len(text) > room:
        text = text[: room - 40].rstrip() + "\n\n… (truncated, see the postmortem)"
    return text + "\n" + tail


def tracking_title(pattern: str, postmortem: PostmortemInfo) -> str:
    """The tracking issue's title from the configured pattern."""
    title = pattern.replace("{title}", postmortem.title or postmortem.id).replace("{id}", postmortem.id)
    return shorten(title, TITLE_MAX) or f"Postmortem {postmortem.id}"


def tracking_body(postmortem: PostmortemInfo, listed: list[str], *, sub_issues: bool) -> str:
    """The tracking issue's body; ``listed`` are issue references shown as a task list."""
    lines = [f"Action items from the postmortem {postmortem_link(postmortem)}."]
    if sub_issues:
        lines += ["", "They are linked below as sub-issues."]
        if listed:
            lines += ["", "Also tracked:"]
    if listed:
        lines += [""] + [f"- [ ] {ref}" for ref in listed]
    lines += [
        "",
        "<sub>Kept up to date by remediate; edit the postmortem, not this description.</sub>",
        "",
        tracking_marker(postmortem.id),
        "",
    ]
    return "\n".join(lines)


def postmortem_label(pattern: str, postmortem: PostmortemInfo) -> str:
    """The per-postmortem label: the pattern filled in, without commas, at most 50 characters."""
    name = pattern.replace("{id}", postmortem.id).replace(
        "{date}", postmortem.date.isoformat() if postmortem.date else "undated"
    )
    name = " ".join(name.replace(",", "-").split())
    if len(name) > LABEL_MAX:
        # Keep labels of different postmortems apart even when their ids share a long prefix.
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
        name = name[: LABEL_MAX - 9].rstrip() + "-" + digest
    return name

"""What remediate writes into GitLab issues: titles, descriptions, hidden markers, labels, references.

Pure text functions: the connector, the webhook handler and the tests share them.

GitLab Flavored Markdown turns ``@name`` into a mention (a notification) and ``#12``, ``!3``,
``~label`` and ``%milestone`` into references; document text is written for people, so every
such token outside a code span is wrapped in backticks, where GitLab does not process it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from remediate.connectors import PostmortemInfo, TicketDraft
from remediate_gitlab.config import DESCRIPTION_MAX, TITLE_MAX

ITEM_MARKER = re.compile(r"<!-- remediate:item=([^\s>]+) -->")
TRACKING_MARKER = re.compile(r"<!-- remediate:postmortem=([^\s>]+) -->")

_PINGS = re.compile(
    r"(?P<url>https?://[^\s<>()]+)"
    r"|(?<![\w`@/.+-])@[A-Za-z0-9_][A-Za-z0-9_.-]*(?<![.-])"
    r"|(?<![\w/`#&.:-])(?:[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)?[#!]\d+(?!\w)"
    r"|(?<![\w`])[~%]\d+(?!\w)"
)
_CODE = re.compile(r"(`+)(?:.*?[^`])?\1(?!`)", re.DOTALL)


def neutralise(text: str) -> str:
    """Wrap mentions and references that sit outside code spans in backticks."""
    out: list[str] = []
    pos = 0
    for span in _CODE.finditer(text):
        out.append(_PINGS.sub(_wrap, text[pos : span.start()]))
        out.append(span.group(0))
        pos = span.end()
    out.append(_PINGS.sub(_wrap, text[pos:]))
    return "".join(out)


def _wrap(match: re.Match[str]) -> str:
    return match.group(0) if match.group("url") else f"`{match.group(0)}`"


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def issue_title(draft: TicketDraft) -> str:
    """The issue title, on one line and within GitLab's limit."""
    return shorten(draft.title, TITLE_MAX)


def item_marker(item_id: str) -> str:
    """The hidden marker that lets remediate find the issue again with an empty database."""
    return f"<!-- remediate:item={item_id} -->"


def issue_description(draft: TicketDraft, username: str | None) -> str:
    """The description: the item text, its facts, the postmortem, and the marker (always kept)."""
    facts = [f"**Section:** {neutralise(draft.section)}"] if draft.section else []
    if draft.owner:
        facts.append(f"**Owner:** @{username}" if username else f"**Owner:** {neutralise(draft.owner)}")
    if draft.due:
        facts.append(f"**Due:** {draft.due.isoformat()}")
    if draft.priority:
        facts.append(f"**Priority:** {neutralise(draft.priority)}")
    pm = draft.postmortem
    source = f"[{neutralise(pm.title or pm.id)}]({pm.link})" if pm.link else neutralise(pm.title or pm.source)
    facts.append(f"**Postmortem:** {source}" + (f" ({pm.date.isoformat()})" if pm.date else ""))
    marker = item_marker(draft.item_id)
    tail = (
        "\n\n"
        + "  \n".join(facts)
        + "\n\n_Filed by remediate from the postmortem; edit the document, not this text._\n"
        + marker
    )
    room = DESCRIPTION_MAX - len(tail)
    return shorten(neutralise(draft.text), room) + tail if len(draft.text) > room else neutralise(draft.text) + tail


def find_item_marker(description: str | None) -> str | None:
    """The item id in a description's marker, wherever a person moved it, or None."""
    match = ITEM_MARKER.search(description or "")
    return match.group(1) if match else None


def postmortem_label(template: str, postmortem: PostmortemInfo) -> str:
    """The per-postmortem label (``postmortem:{id}``), without commas."""
    label = template.format(id=postmortem.id, date=postmortem.date.isoformat() if postmortem.date else "")
    return label.replace(",", " ")[:255]


# --- references -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueAddress:
    """One issue of one project: ``group/project#12``."""

    project: str
    iid: int

    @property
    def key(self) -> str:
        """What people type and what remediate shows."""
        return f"{self.project}#{self.iid}"


class References:
    """Reads the references people write for this project's issues; pure, no request."""

    def __init__(self, project: str, web_root: str) -> None:
        self.project = project
        self.web_root = web_root.rstrip("/")
        self.host = (urlsplit(self.web_root).hostname or "").casefold()

    def url(self, address: IssueAddress) -> str:
        """The issue's web page."""
        return f"{self.web_root}/{address.project}/-/issues/{address.iid}"

    def parse(self, reference: str) -> IssueAddress | None:
        """``#12``, ``group/project#12`` or an issue URL on this instance and project."""
        reference = reference.strip()
        if match := re.fullmatch(r"#(\d+)", reference):
            return IssueAddress(self.project, int(match.group(1)))
        if match := re.fullmatch(r"([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)#(\d+)", reference):
            if match.group(1).casefold() == self.project.casefold():
                return IssueAddress(self.project, int(match.group(2)))
            return None
        parts = urlsplit(reference)
        if parts.scheme in ("http", "https") and (parts.hostname or "").casefold() == self.host:
            root_path = urlsplit(self.web_root).path.rstrip("/")
            path = parts.path[len(root_path) :] if parts.path.startswith(root_path) else parts.path
            if match := re.fullmatch(r"/(.+?)/-/(?:issues|work_items)/(\d+)/?", path):
                if match.group(1).casefold() == self.project.casefold():
                    return IssueAddress(self.project, int(match.group(2)))
        return None


def project_path(project: str) -> str:
    """The project as the API wants it in a URL: a numeric id, or the URL-encoded full path."""
    return project if project.isdigit() else quote(project, safe="")

"""From a parsed item to what its ticket should say: titles, links, and the draft itself."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from remediate.connectors import PostmortemInfo, TicketDraft
from remediate.parsing import ActionItem, Postmortem
from remediate.sanitize import clean, clean_optional

TITLE_LIMIT = 80
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def ticket_title(text: str, limit: int = TITLE_LIMIT) -> str:
    """A ticket title from item text: the whole text if short, else its first sentence, else cut at a word."""
    text = " ".join(text.split())
    if len(text.rstrip(".")) <= limit:
        return text.rstrip(".") or text
    first = _SENTENCE_END.split(text, maxsplit=1)[0].rstrip(".")
    if 15 <= len(first) <= limit:
        return first
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"


def postmortem_link(source: str, base_url: str | None) -> str | None:
    """Where readers of a ticket can open the postmortem: base URL + repository path, or the path."""
    if source.startswith("<"):
        return base_url
    path = Path(source).resolve()
    relative = _repository_path(path)
    if base_url:
        return base_url.rstrip("/") + "/" + relative
    return relative


def _repository_path(path: Path) -> str:
    """The path relative to the enclosing git repository, else relative to the working directory."""
    for parent in path.parents:
        if (parent / ".git").exists():
            return path.relative_to(parent).as_posix()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def postmortem_info(postmortem: Postmortem, base_url: str | None) -> PostmortemInfo:
    """The postmortem as connectors see it."""
    return PostmortemInfo(
        id=postmortem.id,
        title=postmortem.title,
        date=postmortem.date,
        source=postmortem.source,
        link=postmortem_link(postmortem.source, base_url),
    )


def build_draft(item_id: str, item: ActionItem, info: PostmortemInfo, *, due: date | None = None) -> TicketDraft:
    """The draft of one item's ticket; ``due`` is the effective due date (default: the document's)."""
    text = clean(item.text)
    return TicketDraft(
        item_id=item_id,
        title=ticket_title(text),
        text=text,
        section=clean(item.section),
        owner=clean_optional(item.owner),
        due=due if due is not None else item.due,
        priority=clean_optional(item.priority),
        done=item.done,
        postmortem=info,
    )


def dump_draft(draft: TicketDraft) -> str:
    """The draft's fields as stored in ``link.pushed`` (what the tracker was last told)."""
    fields = {k: v for k, v in asdict(draft).items() if k not in ("postmortem", "item_id")}
    return json.dumps(fields, default=_iso, sort_keys=True)


def changed_since_push(pushed: str | None, draft: TicketDraft) -> frozenset[str]:
    """Fields of ``draft`` that differ from what was last pushed (all of them if unknown)."""
    if pushed is None:
        return frozenset()
    before: dict[str, Any] = json.loads(pushed)
    now: dict[str, Any] = json.loads(dump_draft(draft))
    return frozenset(k for k, v in now.items() if before.get(k) != v)


def _iso(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)

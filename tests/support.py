"""Small helpers shared by test modules."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from remediate.parsing import ParseResult

REPO = Path(__file__).resolve().parent.parent


def write_postmortem(
    path: Path, items: list[str], *, boxes: list[bool] | None = None, title: str = "Checkout outage"
) -> Path:
    """Write a small Markdown postmortem with ``items`` under an Action Items heading."""
    lines = [f"# {title}", "", "## Summary", "", "Checkout was slow for an hour.", "", "## Action Items", ""]
    for index, text in enumerate(items):
        box = "" if boxes is None else ("[x] " if boxes[index] else "[ ] ")
        lines.append(f"- {box}{text}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def parse_md(text: str, **kwargs: Any) -> ParseResult:
    """Parse an inline example (dedented, leading newline dropped)."""
    from remediate.parsing import parse_text

    return parse_text(textwrap.dedent(text).lstrip("\n"), **kwargs)


def texts(text: str, **kwargs: Any) -> list[str]:
    """The item texts of an inline example."""
    return [item.text for item in parse_md(text, **kwargs).action_items]


def document(
    pm_id: str,
    items: list[dict[str, object] | str],
    *,
    title: str | None = None,
    incident: object = None,
    source: str | None = None,
) -> object:
    """A ParseResult built by hand, so tests need no parser features (owner, due, priority).

    Each item is its text, or a dict of ActionItem fields (``text`` required).
    """
    from remediate.parsing import ActionItem, ParseResult, Postmortem, item_id
    from remediate.parsing.model import content_hash

    built = []
    for line, raw in enumerate(items, start=10):
        fields = {"text": raw} if isinstance(raw, str) else dict(raw)
        text = str(fields.pop("text"))
        built.append(
            ActionItem(id=item_id(pm_id, text), text=text, section="Action items", line=line, end_line=line, **fields)
        )  # type: ignore[arg-type]
    postmortem = Postmortem(
        pm_id,
        title or pm_id,
        incident,
        source or f"postmortems/{pm_id}.md",  # type: ignore[arg-type]
        content_hash(pm_id + repr(items)),
    )
    return ParseResult(postmortem, tuple(built))


def sync_docs(database_url: str, documents: list[object], settings: object = None) -> object:
    """Sync hand-built documents through the real engine path (jobs.sync_documents, local tracker)."""
    from remediate.jobs import sync_documents
    from remediate.settings import Settings

    return sync_documents(documents, settings or Settings(), database_url=database_url, environ={})  # type: ignore[arg-type]


def set_state(database_url: str, text: str, state: str, *, at: object = None) -> str:
    """Close/reopen the item with this text through the local tracker's CLI path; return its id.

    ``at`` (a UTC datetime) backdates the change, as if it had happened then.
    """
    from sqlmodel import select

    from remediate.connectors import Status
    from remediate.local import set_item_status
    from remediate.models import Event, Item
    from remediate.store import open_store

    with open_store(database_url) as store:
        with store.session() as session:
            item = session.exec(select(Item).where(Item.text == text)).one()
        set_item_status(store, item.id, Status(state))
        if at is not None:
            with store.session() as session:
                row = session.get(Item, item.id)
                assert row is not None
                row.state_changed_at = at  # type: ignore[assignment]
                session.add(row)
                event = session.exec(
                    select(Event).where(Event.item_id == item.id, Event.kind == "state").order_by(Event.id.desc())
                ).first()  # type: ignore[union-attr]
                if event is not None:
                    event.at = at  # type: ignore[assignment]
                    session.add(event)
                session.commit()
        return item.id


def install_connector(root: Path, name: str, module_source: str, class_name: str) -> Path:
    """Install a test connector the way a third party's is: ``<name>_tracker.py`` plus a
    dist-info whose entry point registers it as ``name`` in ``remediate.connectors``.

    Put ``root`` on PYTHONPATH (subprocesses) or sys.path (this process) to make it visible.
    """
    module = f"{name}_tracker"
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(module_source)
    dist = root / f"{module}-1.0.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}-tracker\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[remediate.connectors]\n{name} = {module}:{class_name}\n")
    return root

"""Authors correct the parser in the document: ``<!-- remediate: ignore|actions|end -->``."""

from __future__ import annotations

from pathlib import Path

from remediate.jobs import sync_paths
from remediate.parsing import parse_path, parse_text
from remediate.settings import Settings

DOC = """# Outage

## Action items

- Add an alert on queue depth
- Ask Bob about the bar tab <!-- remediate: ignore -->
<!-- remediate: ignore -->
- Buy cake for the team
- Write the failover runbook

<!-- remediate: end -->
- Not an item any more

## Things we might do <!-- remediate: actions -->

- Shard the queue

<!-- remediate: ignore -->
## Next steps

- Celebrate

### Follow-ups

- Also skipped

## Follow-ups

- Page on lag
"""


def test_ignore_actions_and_end_override_what_the_parser_would_decide() -> None:
    items = parse_text(DOC, source="pm.md").action_items
    assert [(i.section, i.text) for i in items] == [
        ("Action items", "Add an alert on queue depth"),
        ("Action items", "Write the failover runbook"),
        ("Things we might do", "Shard the queue"),
        ("Follow-ups", "Page on lag"),
    ]
    without = parse_text(DOC.replace("remediate:", "nothing:"), source="pm.md").action_items
    assert {"Buy cake for the team", "Celebrate", "Also skipped"} <= {i.text for i in without}
    assert "Shard the queue" not in {i.text for i in without}, "the heading alone is not an action section"


def test_directives_survive_write_back_and_keep_their_meaning(tmp_path: Path) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text(DOC, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'state.db'}"
    first = sync_paths([str(doc)], Settings(), database_url=db, write_back=True)
    assert first.plan.summary()["created"] == 4
    written = doc.read_text(encoding="utf-8")
    assert written.count("<!-- remediate:") == DOC.count("<!-- remediate:")
    assert [i.text for i in parse_path(doc).action_items] == [i.text for i in parse_text(DOC).action_items]
    second = sync_paths([str(doc)], Settings(), database_url=db, write_back=True)
    assert second.plan.summary()["created"] == 0 and doc.read_text(encoding="utf-8") == written


def test_a_directive_on_the_first_heading_and_spans_stay_document_offsets() -> None:
    text = "<!-- remediate: actions -->\n# Ideas\n\n- Add a canary stage\n"
    (item,) = parse_text(text, source="pm.md").action_items
    assert item.text == "Add a canary stage"
    assert text[item.span[0] : item.span[1]] == "Add a canary stage"

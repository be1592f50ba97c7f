"""Write-back support: spans point at the item as written, and an appended ticket reads back.

The sync engine appends the ticket reference at ``span`` end for list items, just
before the final punctuation for prose, and in the ticket cell for table rows.
Reading the document again must give the same item id and text, with
``tracker_ref`` set to the key: ``LOCAL-3``, ``OPS-42``, ``#12``.
"""

from __future__ import annotations

import pytest

from remediate.parsing import ActionItem, parse_text

DOC = """\
# Checkout latency

## Action items

- [ ] Make the pool size a single setting
- Alert on pool saturation. Owner: @li P2
1. Load-test checkout with production
   pool settings
- Document the rollback - ETA: 2 weeks.

## Next steps

Add a canary stage. Review the timeouts of the payment client
"""

WRITTEN = [" (LOCAL-3)", " (OPS-42)", " ([#12](https://github.com/o/r/issues/12))"]
EXPECTED = ["LOCAL-3", "OPS-42", "#12"]


def write_back(text: str, item: ActionItem, note: str) -> str:
    """What the sync engine does: append at span end, before final punctuation for prose."""
    start, end = item.span
    if item.kind == "prose" and text[end - 1] in ".!?":
        end -= 1
    return text[:end] + note + text[end:]


def test_list_item_spans_cover_the_text_after_the_marker_to_the_end_of_the_last_line() -> None:
    items = parse_text(DOC).action_items
    spans = [DOC[slice(*i.span)] for i in items]
    assert spans[:4] == [
        "Make the pool size a single setting",
        "Alert on pool saturation. Owner: @li P2",
        "Load-test checkout with production\n   pool settings",
        "Document the rollback - ETA: 2 weeks.",
    ]
    assert [(i.kind, i.line, i.end_line) for i in items[:4]] == [
        ("checkbox", 5, 5),
        ("list", 6, 6),
        ("list", 7, 8),
        ("list", 9, 9),
    ]


def test_prose_spans_are_the_sentence_with_its_final_punctuation() -> None:
    items = parse_text(DOC).action_items
    assert [DOC[slice(*i.span)] for i in items[4:]] == [
        "Add a canary stage.",
        "Review the timeouts of the payment client",
    ]
    assert [(i.kind, i.line) for i in items[4:]] == [("prose", 13), ("prose", 13)]


@pytest.mark.parametrize(("note", "expected"), list(zip(WRITTEN, EXPECTED, strict=True)))
def test_every_item_reads_back_its_written_reference_with_the_same_id(note: str, expected: str) -> None:
    before = parse_text(DOC).action_items
    for index, item in enumerate(before):
        edited = write_back(DOC, item, note)
        after = parse_text(edited).action_items
        assert len(after) == len(before), (item.text, edited)
        again = after[index]
        assert again.tracker_ref == expected, edited
        assert (again.id, again.text, again.owner, again.due, again.priority) == (
            item.id,
            item.text,
            item.owner,
            item.due,
            item.priority,
        )
        if item.kind != "prose":
            # The span still ends before the reference, so a second write-back is not confused.
            assert edited[slice(*again.span)] == DOC[slice(*item.span)]


def test_span_excludes_an_existing_trailing_ticket_link() -> None:
    text = "## Action items\n- Create alerts when backups fail - [jira](https://x.atlassian.net/browse/SAAS-311)\n"
    (item,) = parse_text(text).action_items
    assert text[slice(*item.span)] == "Create alerts when backups fail"
    assert item.tracker_ref == "SAAS-311"


TABLE = """\
## Action Items

| Action Item | Owner | Bug |
|---|---|---|
| Add load shedding | agoogler |  |
| Plug the fd leak | agoogler | **TODO** |
"""


@pytest.mark.parametrize(("key", "cell"), [("OPS-42", "OPS-42"), ("#12", "[#12](https://github.com/o/r/issues/12)")])
def test_table_rows_read_back_a_reference_written_in_the_bug_column(key: str, cell: str) -> None:
    before = parse_text(TABLE).action_items
    assert [TABLE[slice(*i.span)] for i in before] == [
        "| Add load shedding | agoogler |  |",
        "| Plug the fd leak | agoogler | **TODO** |",
    ]
    edited = TABLE.replace("| agoogler |  |", f"| agoogler | {cell} |").replace("**TODO** |", f"**TODO** {cell} |")
    after = parse_text(edited).action_items
    assert [i.tracker_ref for i in after] == [key, key]
    assert [i.id for i in after] == [i.id for i in before]
    assert after[1].done is False


def test_table_without_ticket_column_reads_a_reference_appended_to_the_action_cell() -> None:
    text = "## Action Items\n| Action | Owner |\n|---|---|\n| Add load shedding | ana |\n"
    (item,) = parse_text(text).action_items
    (again,) = parse_text(text.replace("shedding |", "shedding (OPS-42) |")).action_items
    assert (again.tracker_ref, again.id, again.text) == ("OPS-42", item.id, item.text)


def test_spans_are_offsets_into_the_decoded_text_with_crlf_line_endings() -> None:
    text = DOC.replace("\n", "\r\n")
    items = parse_text(text).action_items
    assert text[slice(*items[0].span)] == "Make the pool size a single setting"
    assert text[slice(*items[2].span)] == "Load-test checkout with production\r\n   pool settings"
    assert [i.id for i in items] == [i.id for i in parse_text(DOC).action_items]


def test_ids_do_not_change_with_formatting_edits() -> None:
    original = parse_text("## Action items\n- Add a disk alert to every host\n- Rotate keys\n", source="pm.md")
    edited = parse_text(
        "## Action Items:\n\n*   **Add a disk alert**\n    to every host.\n1) Rotate  keys\n",
        source="pm.md",
    )
    assert [i.id for i in edited.action_items] == [i.id for i in original.action_items]


def test_duplicate_items_get_distinct_stable_ids() -> None:
    text = "## Action items\n- Rotate keys\n- Rotate keys\n"
    first = [i.id for i in parse_text(text, source="pm.md").action_items]
    assert len(set(first)) == 2
    assert first == [i.id for i in parse_text(text, source="pm.md").action_items]


def test_every_corpus_item_reads_its_written_back_ticket_again() -> None:
    """All of a document's references written back at once (as sync does) read back: same ids,
    each item its own ticket. Failed on 12 corpus items: a "<br>" after the item, a table cell in
    backticks, a sentence ending in "!", a list line that no longer ended a sentence."""
    from pathlib import Path

    from remediate.connectors import TicketRef
    from remediate.writeback import insertion

    wrong: list[str] = []
    for path in sorted((Path(__file__).parent / "corpus").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        items = [item for item in parse_text(text).action_items if item.tracker_ref is None]
        if not items:
            continue
        keys = {item.id: f"LOCAL-{n + 1}" for n, item in enumerate(items)}
        edits = sorted((insertion(text, item, TicketRef("local", keys[item.id])) for item in items), reverse=True)
        written = text
        for at, inserted in edits:
            written = written[:at] + inserted + written[at:]
        again = {item.id: item.tracker_ref for item in parse_text(written).action_items}
        wrong.extend(f"{path.name}: {key} on {item_id}" for item_id, key in keys.items() if again.get(item_id) != key)
    assert wrong == []

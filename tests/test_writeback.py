"""`remediate sync --write-back`: references written into the postmortem, idempotently, byte for byte."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from remediate.jobs import sync_paths
from remediate.parsing import parse_path
from remediate.settings import Settings

LIST_DOC = """# Checkout outage

## Action Items

- Add alerting on queue depth for worker pools
- [ ] Make the pool size a single setting validated at deploy time   
1. Document the failover procedure in the runbook,
   including the manual DNS switch
- [x] ~~Remove the stale feature flag~~

## Lessons learned

Config in two places drifts.
"""

TABLE_DOC = """# Outage

## Action Items

| Action Item | Type | Owner | Bug |
|---|---|---|---|
| Add alerting on queue depth | mitigate | alice | |
| Make the pool size one setting | prevent | bob | |

## Follow-ups

| Action | Owner |
|---|---|
| Load-test checkout weekly | carol |
"""

PROSE_DOC = """# Outage

## Corrective and Preventative Measures

Implement automatic failover for the identity provider. Enhance incident response protocols for the SRE team. Document the incident for training.
"""


def sync(doc: Path, db: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return sync_paths([str(doc)], Settings(), database_url=db, environ={}, **kwargs)  # type: ignore[arg-type]


def strip_refs(text: str) -> str:
    return re.sub(r" ?\(?LOCAL-\d+\)? ?", lambda m: "" if "(" in m.group(0) else "", text)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state.db'}"


def test_list_items_get_references_and_a_second_run_changes_nothing(tmp_path: Path, db: str) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text(LIST_DOC)
    before = parse_path(doc)
    outcome = sync(doc, db, write_back=True)
    assert outcome.written_back == [str(doc)]
    text = doc.read_text()
    assert "- Add alerting on queue depth for worker pools (LOCAL-1)\n" in text
    assert "validated at deploy time (LOCAL-2)   \n" in text, "trailing spaces after the reference stay"
    assert "   including the manual DNS switch (LOCAL-3)\n" in text
    assert "- [x] ~~Remove the stale feature flag~~ (LOCAL-4)\n" in text
    after = parse_path(doc)
    assert [i.tracker_ref for i in after.action_items] == ["LOCAL-1", "LOCAL-2", "LOCAL-3", "LOCAL-4"]
    assert [i.id for i in after.action_items] == [i.id for i in before.action_items]
    written = doc.read_bytes()
    again = sync(doc, db, write_back=True)
    assert again.written_back == []
    assert doc.read_bytes() == written
    assert again.plan.summary()["unchanged"] == 4


@pytest.mark.parametrize(
    ("newline", "bom", "final_newline"),
    [("\r\n", False, True), ("\n", True, False), ("\r\n", True, False)],
)
def test_every_other_byte_is_preserved(tmp_path: Path, db: str, newline: str, bom: bool, final_newline: bool) -> None:
    body = LIST_DOC.replace("\n", newline)
    if not final_newline:
        body = body.rstrip(newline)
    original = ("\ufeff" if bom else "") + body
    doc = tmp_path / "pm.md"
    doc.write_bytes(original.encode("utf-8"))
    sync(doc, db, write_back=True)
    result = doc.read_bytes().decode("utf-8")
    assert result != original
    assert re.sub(r" \(LOCAL-\d+\)", "", result) == original
    assert sync(doc, db, write_back=True).written_back == []


def test_tables_write_into_the_bug_column_or_after_the_action(tmp_path: Path, db: str) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text(TABLE_DOC)
    sync(doc, db, write_back=True)
    text = doc.read_text()
    assert "| Add alerting on queue depth | mitigate | alice | LOCAL-1 |" in text
    assert "| Make the pool size one setting | prevent | bob | LOCAL-2 |" in text
    assert "| Load-test checkout weekly (LOCAL-3) | carol |" in text
    parsed = parse_path(doc)
    assert [i.tracker_ref for i in parsed.action_items] == ["LOCAL-1", "LOCAL-2", "LOCAL-3"]
    assert [i.text for i in parsed.action_items][2] == "Load-test checkout weekly"
    written = doc.read_bytes()
    sync(doc, db, write_back=True)
    assert doc.read_bytes() == written


def test_prose_sentences_get_the_reference_before_their_period(tmp_path: Path, db: str) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text(PROSE_DOC)
    sync(doc, db, write_back=True)
    text = doc.read_text()
    assert (
        "Implement automatic failover for the identity provider (LOCAL-1). "
        "Enhance incident response protocols for the SRE team (LOCAL-2). "
        "Document the incident for training (LOCAL-3)."
    ) in text
    assert [i.tracker_ref for i in parse_path(doc).action_items] == ["LOCAL-1", "LOCAL-2", "LOCAL-3"]


def test_written_reference_pins_identity_through_heavy_rewording(tmp_path: Path, db: str) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text(LIST_DOC)
    sync(doc, db, write_back=True)
    text = doc.read_text().replace(
        "Add alerting on queue depth for worker pools (LOCAL-1)",
        "Page the on-call engineer when the job backlog exceeds ten thousand (LOCAL-1)",
    )
    doc.write_text(text)
    outcome = sync(doc, db, write_back=True)
    first = outcome.plan.actions[0]
    assert (first.kind, first.ref.key, first.match.how) == ("update", "LOCAL-1", "ref")
    assert outcome.plan.summary()["created"] == 0


def test_a_file_changed_since_it_was_read_is_left_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from remediate.connectors import TicketRef
    from remediate.writeback import patch_file

    doc = tmp_path / "pm.md"
    doc.write_text(LIST_DOC)
    item = parse_path(doc).action_items[0]
    doc.write_text(LIST_DOC + "\nEdited meanwhile.\n")
    assert not patch_file(doc, "0" * 64, [(item, TicketRef("local", "LOCAL-1"))])
    assert doc.read_text().endswith("Edited meanwhile.\n")
    assert "changed since it was read" in caplog.text


def test_links_are_written_as_markdown_links(tmp_path: Path) -> None:
    from remediate.connectors import TicketRef
    from remediate.writeback import insertion

    text = "## Action Items\n\n- Add alerting\n"
    doc = tmp_path / "pm.md"
    doc.write_text(text)
    item = parse_path(doc).action_items[0]
    offset, insert = insertion(text, item, TicketRef("github", "acme/api#12", "https://github.com/acme/api/issues/12"))
    patched = text[:offset] + insert + text[offset:]
    assert patched == "## Action Items\n\n- Add alerting ([acme/api#12](https://github.com/acme/api/issues/12))\n"
    doc.write_text(patched)
    reread = parse_path(doc).action_items[0]
    assert reread.text == "Add alerting" and reread.id == item.id
    assert (reread.tracker_ref, reread.tracker_url) == ("acme/api#12", "https://github.com/acme/api/issues/12")


# Every item kind, with whatever reference it already carries: a second write-back changes nothing.
EXISTING_REFS = ["", " (OPS-7)", " ([#12](https://github.com/acme/api/issues/12))", " https://example.com/T/9"]
ROW_REFS = ["", "Bug 5554823 **TODO**", "n/a **DONE**", "[OPS-7](https://acme.atlassian.net/browse/OPS-7)"]


def _kinds(existing: str, cell: str) -> list[str]:
    return [
        f"# Outage\n\n## Action Items\n\n- Add alerting on queue depth{existing}\n- Page on replica lag\n",
        f"# Outage\n\n## Action Items\n\n- [ ] Add alerting on queue depth{existing}\n- [x] Page on replica lag\n",
        f"# Outage\n\n## Action Items\n\n1. Add alerting on queue depth{existing}\n2. Page on replica lag\n",
        "# Outage\n\n## Action Items\n\n| Action Item | Type | Owner | Bug |\n|---|---|---|---|\n"
        f"| Add request coalescing | prevent | alice | {cell} |\n| Page on replica lag | detect | bob | |\n",
        "# Outage\n\n## Action Items\n\n| Action | Owner |\n|---|---|\n"
        f"| Add request coalescing{existing} | alice |\n| Page on replica lag | bob |\n",
        "# Outage\n\n## Corrective and Preventative Measures\n\n"
        "Implement automatic failover for the identity provider. Document the incident for training.\n",
    ]


@pytest.mark.parametrize("existing, cell", list(zip(EXISTING_REFS, ROW_REFS, strict=True)))
def test_a_second_write_back_changes_nothing_for_every_item_kind(tmp_path: Path, existing: str, cell: str) -> None:
    for n, text in enumerate(_kinds(existing, cell)):
        doc = tmp_path / f"pm{n}.md"
        doc.write_text(text, encoding="utf-8")
        db = f"sqlite:///{tmp_path / f'state{n}.db'}"
        first = sync(doc, db, write_back=True)
        after_first = doc.read_bytes()
        items = [(i.text, i.section, i.done) for i in parse_path(doc).action_items]
        second = sync(doc, db, write_back=True)
        assert doc.read_bytes() == after_first, (text, doc.read_text())
        assert second.written_back == [] and second.plan.summary()["created"] == 0
        assert [(i.text, i.section, i.done) for i in parse_path(doc).action_items] == items
        # Every item now names its ticket, and the names stay whatever else the row says.
        keys = {a.item_id: a.ref.key for a in first.plan.actions if a.ref}
        for item in parse_path(doc).action_items:
            linked = [a for a in second.plan.actions if a.text == item.text]
            assert linked and linked[0].ref is not None
            if linked[0].ref.tracker == "local":
                assert keys[linked[0].item_id] in item.refs, (item, doc.read_text())
        assert not [w for w in second.warnings if "is not a local ticket" in w and "LOCAL-" in w]

"""Properties of the parser on generated input: it never raises, and write-back round-trips.

Deterministic (``derandomize=True``) and modest in examples, so CI sees the same cases every
run and the file stays fast.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remediate.connectors import TicketRef
from remediate.parsing import parse_path, parse_text
from remediate.writeback import _already_referenced, patch_file

PROPERTIES = settings(
    derandomize=True,
    database=None,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

WORDS = st.sampled_from(
    "add alert disk monitoring rotate keys the for and we will fix config deploy queue runbook owner".split()
)
PHRASE = st.lists(WORDS, min_size=1, max_size=8).map(" ".join)
HEADINGS = st.sampled_from(
    [
        "# Checkout outage",
        "## Action items",
        "## Action Items",
        "### Follow-ups",
        "## Timeline",
        "## Lessons learned",
        "**Next steps**",
        "Corrective measures:",
        "NEXT STEPS",
        "Remediation",
        "Action items",
        "---",
        "<h2>Action items</h2>",
    ]
)
INLINE = st.sampled_from(
    ["*", "_", "**", "`", "[", "](", ")", "<", ">", "~~", "(", ":", "|", " ", "#", "@bob", "OPS-1"]
)


@st.composite
def fragment(draw: st.DrawFn) -> str:
    """One Markdown-ish line or block of a postmortem."""
    kind = draw(st.integers(0, 9))
    phrase = draw(PHRASE)
    decorated = phrase
    if draw(st.booleans()):
        decorated = draw(INLINE) + phrase + draw(INLINE)
    if kind == 0:
        return draw(HEADINGS)
    if kind == 1:
        return f"- {decorated.capitalize()}"
    if kind == 2:
        return f"- [{draw(st.sampled_from([' ', 'x']))}] {decorated.capitalize()}"
    if kind == 3:
        return f"{draw(st.integers(1, 12))}. {decorated.capitalize()}"
    if kind == 4:
        return f"{' ' * draw(st.integers(1, 6))}- {decorated}"
    if kind == 5:
        rows = draw(st.lists(PHRASE, min_size=1, max_size=3))
        return "| Action Item | Owner | Bug |\n|---|---|---|\n" + "\n".join(
            f"| {r.capitalize()} | bob | |" for r in rows
        )
    if kind == 6:
        return f"{decorated.capitalize()}."
    if kind == 7:
        return f"We will {phrase}. {phrase.capitalize()}."
    if kind == 8:
        return ""
    return decorated


@st.composite
def markdown(draw: st.DrawFn) -> str:
    """A document built from heading, list, table, emphasis and prose fragments."""
    text = "\n".join(draw(st.lists(fragment(), max_size=14)))
    if draw(st.booleans()):
        text = "## Action items\n\n" + text
    if draw(st.integers(0, 4)) == 0:
        text = text.replace("\n", "\r\n")
    return text + draw(st.sampled_from(["", "\n"]))


@PROPERTIES
@given(st.text())
def test_any_text_parses(text: str) -> None:
    result = parse_text(text)
    for item in result.action_items:
        assert 0 <= item.span[0] <= item.span[1] <= len(text)
        assert item.text


@PROPERTIES
@given(markdown())
def test_markdown_shaped_text_parses(text: str) -> None:
    result = parse_text(text)
    for item in result.action_items:
        assert 0 <= item.span[0] <= item.span[1] <= len(text)
        assert 1 <= item.line <= item.end_line


def _write_back(path: Path, refs: dict[str, TicketRef]) -> bool:
    """What ``sync --write-back`` does for one document whose items got the tickets ``refs``."""
    parsed = parse_path(path)
    pending = [
        (item, refs[item.id])
        for item in parsed.action_items
        if item.id in refs and not _already_referenced(item, refs[item.id])
    ]
    if not pending:
        return False
    assert patch_file(path, parsed.postmortem.content_hash, pending)
    return True


@PROPERTIES
@given(markdown(), st.booleans())
def test_write_back_round_trips(text: str, links: bool) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "pm.md"
        path.write_bytes(text.encode("utf-8"))
        before = parse_path(path)
        refs = {
            item.id: TicketRef("local", f"LOCAL-{n}", f"https://tracker.example/browse/LOCAL-{n}" if links else None)
            for n, item in enumerate(before.action_items, start=1)
            if item.tracker_ref is None
        }
        _write_back(path, refs)
        after = parse_path(path)
        assert [(i.id, i.text) for i in after.action_items] == [(i.id, i.text) for i in before.action_items]
        for old, new in zip(before.action_items, after.action_items, strict=True):
            expected = refs[old.id].key if old.id in refs else old.tracker_ref
            assert new.tracker_ref == expected, (old, new)
        written = path.read_bytes()
        assert not _write_back(path, refs), "a second write-back found references missing"
        assert path.read_bytes() == written

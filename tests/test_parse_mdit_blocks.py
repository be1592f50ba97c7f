"""The markdown-it-py block layer experiment (parsing/mdit_blocks.py) keeps working on the corpus.

It is not the parser's default; benchmarks/block_layer.py measures it against the hand-written
layer. These tests keep it from rotting: it reads every corpus document without an error, its
blocks' lines are the document's own, and every chunk it cuts points at the document's text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from remediate.parsing import blocks, mdit_blocks, meta
from remediate.parsing.text import Chunk, split_lines

CORPUS = Path(__file__).parent / "corpus"


def _chunks(block: blocks.Block) -> list[Chunk]:
    if isinstance(block, blocks.ListItem):
        return [block.first, *(chunk for _line, chunk, _lazy in block.more)]
    if isinstance(block, blocks.Table):
        return [cell for row in block.rows for cell in row.cells]
    if isinstance(block, blocks.Heading) and block.inline is not None:
        return [block.inline]
    return []


def _lines(block: blocks.Block) -> list[int]:
    if isinstance(block, blocks.Paragraph):
        return [line.number for line in block.lines]
    if isinstance(block, blocks.ListItem):
        return [block.line.number, *(line.number for line, _c, _l in block.more)]
    if isinstance(block, blocks.Table):
        return [block.line.number, *(row.line.number for row in block.rows)]
    return [block.line.number]


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.md")), ids=lambda p: p.name)
def test_reads_every_corpus_document_within_its_lines(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = split_lines(text)
    info = meta.read_meta(lines, path.name)
    scan = mdit_blocks.scan(lines, info.body_start)
    assert text.strip() == "" or scan.blocks
    for block in scan.blocks:
        numbers = _lines(block)
        assert all(info.body_start < n <= len(lines) for n in numbers), (block, numbers)
        for chunk in _chunks(block):
            # Each character's offset is where it stands in the document (what write-back needs).
            assert all(text[at] == char for at, char in zip(chunk.offsets, chunk.text, strict=True)), chunk


def test_reads_non_commonmark_forms_as_the_hand_written_layer_does() -> None:
    """The normalising pass: "##TODO", "•" and "1-" markers, a bold heading glued to a paragraph,
    an indented list under a "Title:" line; the promotion pass keeps spans in the original text."""
    text = (
        "Intro text.\n**Action items**\n"
        "• Add a disk alert\n"
        "1- Rotate the keys\n"
        "\n##TODO\n\nFollow-ups:\n    - Fix the runbook\n"
    )
    scan = mdit_blocks.scan(split_lines(text))
    headings = [(b.kind, b.title) for b in scan.blocks if isinstance(b, blocks.Heading)]
    items = [b.first for b in scan.blocks if isinstance(b, blocks.ListItem)]
    assert headings == [("bold", "Action items"), ("atx", "TODO"), ("colon", "Follow-ups")]
    assert [c.text for c in items] == ["Add a disk alert", "Rotate the keys", "Fix the runbook"]
    assert [text[slice(*c.span())] for c in items] == [c.text for c in items]
    hand = blocks.scan(split_lines(text)).blocks
    assert [type(b).__name__ for b in scan.blocks] == [type(b).__name__ for b in hand]


def test_the_parser_uses_it_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from remediate.parsing import parser

    monkeypatch.delenv("REMEDIATE_BLOCKS", raising=False)
    assert parser._block_scanner() is blocks.scan
    monkeypatch.setenv("REMEDIATE_BLOCKS", "mdit")
    assert parser._block_scanner() is mdit_blocks.scan

"""``remediate sync --format json`` streams its items: the same bytes as building the object whole."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from remediate.cli import render
from remediate.jobs import sync_paths
from remediate.settings import Settings
from tests.support import write_postmortem


def whole(data: dict[str, object], capsys: pytest.CaptureFixture[str]) -> str:
    render.emit_json(data)
    return capsys.readouterr().out


def streamed(frame: dict[str, object], entries: list[object], capsys: pytest.CaptureFixture[str]) -> str:
    render.emit_json_streamed(frame, "items", iter(entries))
    return capsys.readouterr().out


FRAME: dict[str, object] = {"run_id": 3, "dry_run": False, "items": [], "when": date(2026, 1, 2), "warnings": ["é ✓"]}
ENTRIES: list[object] = [{"item_id": f"i{n}", "text": "Ünïcode “quoted” \\ \n", "n": n, "x": None} for n in range(40)]


def test_streamed_json_is_byte_for_byte_the_whole_object_on_either_side_of_the_indent_limit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    compact = len(json.dumps({**FRAME, "items": ENTRIES}, ensure_ascii=False, default=str))
    limits = [0, 1, 50, compact // 2, compact - 2, compact - 1, compact, compact + 1, 10**9]
    for limit in limits:
        monkeypatch.setattr(render, "INDENT_MAX_BYTES", limit)
        monkeypatch.setattr(render, "STREAM_BATCH", 7)  # several batches, one partial
        for entries in (ENTRIES, ENTRIES[:1], []):
            expected = whole({**FRAME, "items": entries}, capsys)
            assert streamed(dict(FRAME), entries, capsys) == expected, (limit, len(entries))
    monkeypatch.setattr(render, "INDENT_MAX_BYTES", compact - 1)
    assert "\n  " not in streamed(dict(FRAME), ENTRIES, capsys)  # past the limit: compact
    monkeypatch.setattr(render, "INDENT_MAX_BYTES", compact)
    assert "\n  " in streamed(dict(FRAME), ENTRIES, capsys)  # at it: indented


def test_the_items_key_keeps_its_place_first_and_last(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for frame in ({"items": [], "a": 1}, {"a": 1, "items": []}, {"items": []}):
        for limit in (0, 10**9):
            monkeypatch.setattr(render, "INDENT_MAX_BYTES", limit)
            assert streamed(frame, ENTRIES[:3], capsys) == whole({**frame, "items": ENTRIES[:3]}, capsys)


def test_sync_outcome_json_is_the_outcome_to_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = [write_postmortem(tmp_path / f"pm{n}.md", [f"Add alert {n}-{i}" for i in range(5)]) for n in range(4)]
    outcome = sync_paths([str(d) for d in docs], Settings(), database_url=f"sqlite:///{tmp_path / 'r.db'}", environ={})
    for limit in (0, 10**9):  # streamed compact, and indented
        monkeypatch.setattr(render, "INDENT_MAX_BYTES", limit)
        render.sync_outcome(outcome, "json")
        assert capsys.readouterr().out == whole(outcome.to_json(), capsys)
    assert outcome.to_json(items=False)["items"] == []
    assert len(json.loads(whole(outcome.to_json(), capsys))["items"]) == 20

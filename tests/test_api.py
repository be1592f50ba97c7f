"""The library's public face: remediate.jobs typed end to end, the SyncRequest, remediate.__all__."""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

import pytest

from remediate import jobs
from remediate.jobs import SyncRequest, sync_documents, sync_paths
from remediate.parsing import parse_path
from remediate.settings import Settings
from tests.support import write_postmortem

ITEMS = ["Add alerting on queue depth for worker pool", "Write the failover runbook"]


def _public_api() -> list[tuple[str, str]]:
    """(where, annotation) for every public function and result dataclass defined in jobs.py."""
    found: list[tuple[str, str]] = []
    for name, obj in vars(jobs).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != jobs.__name__:
            continue
        if inspect.isfunction(obj):
            signature = inspect.signature(obj)
            found += [(f"{name}({p})", str(p.annotation)) for p in signature.parameters.values()]
            found.append((f"{name} -> ", str(signature.return_annotation)))
        elif dataclasses.is_dataclass(obj):
            found += [(f"{name}.{f.name}", str(f.type)) for f in dataclasses.fields(obj)]
            for attr, member in vars(obj).items():
                func = member.fget if isinstance(member, property) else member
                if inspect.isfunction(func) and not attr.startswith("_"):
                    found.append((f"{name}.{attr} -> ", str(inspect.signature(func).return_annotation)))
    return found


def test_jobs_public_signatures_and_results_name_no_any() -> None:
    api = _public_api()
    assert len(api) > 60  # the walk found the API (sync_paths, SyncOutcome.plan, ...)
    assert ("SyncOutcome.plan", "Plan") in api and ("refresh_states -> ", "list[StateChange]") in api
    assert [(where, note) for where, note in api if re.search(r"\bAny\b", note)] == []


def test_the_sync_keywords_are_the_request_fields() -> None:
    assert set(jobs._SyncKeywords.__annotations__) == {f.name for f in dataclasses.fields(SyncRequest)}


def _run_both_ways(
    tmp_path: Path, request: dict[str, object], keywords: dict[str, object]
) -> tuple[jobs.SyncOutcome, jobs.SyncOutcome]:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    by_request = sync_paths(
        [str(doc)], Settings(), SyncRequest(database_url=f"sqlite:///{tmp_path / 'a.db'}", environ={}, **request)
    )  # type: ignore[arg-type]
    by_keywords = sync_paths(
        [str(doc)], Settings(), database_url=f"sqlite:///{tmp_path / 'b.db'}", environ={}, **keywords
    )  # type: ignore[arg-type]
    return by_request, by_keywords


def test_a_request_and_the_old_keywords_sync_alike(tmp_path: Path) -> None:
    dry_request, dry_keywords = _run_both_ways(tmp_path, {"dry_run": True}, {"dry_run": True})
    assert dry_request.dry_run and dry_keywords.dry_run
    assert dry_request.plan.summary() == dry_keywords.plan.summary() == {**dry_request.plan.summary(), "created": 2}
    assert not (tmp_path / "a.db").exists() and not (tmp_path / "b.db").exists()  # a dry run writes nothing
    # options=None was the old keywords' "no overrides"; it still is.
    real_request, real_keywords = _run_both_ways(tmp_path, {}, {"options": None})
    assert real_request.run_id == real_keywords.run_id == 1
    assert real_request.plan.summary()["created"] == real_keywords.plan.summary()["created"] == 2


def test_sync_documents_takes_the_request_and_the_parse_warnings(tmp_path: Path) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ITEMS)
    request = SyncRequest(database_url=f"sqlite:///{tmp_path / 'state.db'}", environ={})
    outcome = sync_documents([parse_path(doc)], Settings(), request, warnings=["from the parser"])
    assert outcome.plan.summary()["created"] == 2
    assert outcome.warnings[0] == "from the parser"


def test_a_request_and_keywords_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="not both"):
        sync_paths([], Settings(), SyncRequest(), dry_run=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        SyncRequest().dry_run = True  # type: ignore[misc]

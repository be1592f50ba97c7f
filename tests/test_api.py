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


# --- remediate.__all__ ---------------------------------------------------------------------------

API = [
    "ActionItem",
    "AuthError",
    "Check",
    "ConfigError",
    "Conflict",
    "Connector",
    "ConnectorContext",
    "ConnectorError",
    "Created",
    "DatabaseDamaged",
    "DedupeOutcome",
    "Deduplicates",
    "DeliveryError",
    "HookOutcome",
    "InputError",
    "NotFound",
    "ParseResult",
    "Postmortem",
    "PostmortemInfo",
    "RateLimited",
    "RebuildOutcome",
    "RemediateError",
    "Settings",
    "StateCache",
    "StateChange",
    "Status",
    "Store",
    "StoreError",
    "SyncError",
    "SyncOutcome",
    "SyncRequest",
    "TicketDraft",
    "TicketRef",
    "TicketState",
    "Unavailable",
    "WebhookError",
    "WebhookEvent",
    "WebhookRequest",
    "Webhooks",
    "__version__",
    "audit_snapshot",
    "build_digest_for",
    "check_database",
    "find_duplicates",
    "load_settings",
    "open_store",
    "overdue_report",
    "parse_path",
    "parse_text",
    "rebuild_database",
    "refresh_from_hook",
    "refresh_states",
    "send_digest",
    "sync_documents",
    "sync_paths",
]


def test_the_library_api_is_this_list() -> None:
    import remediate

    assert sorted(remediate.__all__) == API
    assert len(set(remediate.__all__)) == len(remediate.__all__)


def test_every_exported_name_resolves_to_the_object_of_its_module() -> None:
    import importlib

    import remediate

    for name in remediate.__all__:
        value = getattr(remediate, name)
        if name != "__version__":
            assert value is getattr(importlib.import_module(remediate._LAZY[name]), name), name
    namespace: dict[str, object] = {}
    exec("from remediate import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(API)
    assert remediate.check_database is jobs.check_database  # the job, not remediate.store's helper
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        remediate.nothing_here  # noqa: B018


def test_type_checkers_see_the_same_modules_as_run_time() -> None:
    """The TYPE_CHECKING imports of remediate/__init__.py name each export's module as _LAZY does."""
    import ast

    import remediate

    tree = ast.parse(Path(remediate.__file__).read_text(encoding="utf-8"))
    (block,) = [n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"]
    seen = {alias.name: node.module for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert seen == remediate._LAZY


def test_import_remediate_loads_nothing_else() -> None:
    import subprocess
    import sys

    code = (
        "import sys, remediate\n"
        "print(sorted(m for m in sys.modules if m.startswith(('remediate.', 'sqlalchemy', 'pydantic', 'typer'))))\n"
        "remediate.TicketRef\n"
        "print('remediate.jobs' in sys.modules, 'remediate.connectors' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "False True"]


# --- module layering ---------------------------------------------------------------------------


def _imports() -> dict[str, set[str]]:
    """Each module of src/remediate and the remediate modules it imports anywhere (functions too)."""
    import ast

    import remediate

    root = Path(remediate.__file__).parent
    names: dict[str, Path] = {}
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(root.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.update(
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in names else node.module for a in node.names
                )
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        graph[name] = {m for m in found if m in names and m != name}
    return graph


def test_no_two_modules_import_each_other() -> None:
    """A package's __init__ and its own submodules aside (the CLI registers its commands that way)."""
    graph = _imports()
    assert "remediate.settings" in graph and "remediate.settings" in graph["remediate.policy"]
    mutual = sorted(
        (a, b)
        for a in graph
        for b in graph[a]
        if a < b and a in graph[b] and not (b.startswith(a + ".") or a.startswith(b + "."))
    )
    assert mutual == []

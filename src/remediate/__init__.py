"""remediate: make postmortem action items actually get done.

The library API is small on purpose: parse a postmortem, sync its items to a
tracker, and report on what is still open. The CLI (``remediate``) is a thin
layer over these functions. Everything in ``__all__`` is importable from here::

    from remediate import Settings, SyncRequest, parse_path, sync_paths

    outcome = sync_paths(["postmortems/"], Settings(), SyncRequest(dry_run=True))

The names are imported on first use, so ``import remediate`` (and ``remediate --help``)
loads none of the database or tracker code.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (type checkers take it as True)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # The jobs: what the CLI and the scheduler call, and what they return.
    "SyncRequest",
    "SyncOutcome",
    "RebuildOutcome",
    "DedupeOutcome",
    "HookOutcome",
    "sync_paths",
    "sync_documents",
    "refresh_states",
    "refresh_from_hook",
    "rebuild_database",
    "find_duplicates",
    "check_database",
    "overdue_report",
    "build_digest_for",
    "send_digest",
    "audit_snapshot",
    "StateChange",
    # What the jobs are given.
    "Settings",
    "load_settings",
    "Store",
    "open_store",
    # Parsing: text in, ParseResult out.
    "parse_path",
    "parse_text",
    "ParseResult",
    "ActionItem",
    "Postmortem",
    # The error tree (remediate.errors).
    "RemediateError",
    "InputError",
    "ConfigError",
    "StoreError",
    "DatabaseDamaged",
    "SyncError",
    "DeliveryError",
    "ConnectorError",
    "AuthError",
    "NotFound",
    "RateLimited",
    "Conflict",
    "Unavailable",
    # What a connector implements and exchanges with the engine.
    "Connector",
    "ConnectorContext",
    "StateCache",
    "Status",
    "PostmortemInfo",
    "TicketDraft",
    "TicketRef",
    "TicketState",
    "Created",
    "Check",
    "Deduplicates",
    "Webhooks",
    "WebhookRequest",
    "WebhookEvent",
    "WebhookError",
]

#: The module each name of ``__all__`` lives in, imported when the name is first used.
_LAZY = {
    name: module
    for module, names in {
        "remediate.jobs": "SyncRequest SyncOutcome RebuildOutcome DedupeOutcome HookOutcome sync_paths "
        "sync_documents refresh_states refresh_from_hook rebuild_database find_duplicates check_database "
        "overdue_report build_digest_for send_digest audit_snapshot",
        "remediate.refresh": "StateChange",
        "remediate.settings": "Settings load_settings",
        "remediate.store": "Store open_store",
        "remediate.parsing": "parse_path parse_text ParseResult ActionItem Postmortem",
        "remediate.errors": "RemediateError InputError ConfigError StoreError DatabaseDamaged SyncError "
        "DeliveryError ConnectorError AuthError NotFound RateLimited Conflict Unavailable",
        "remediate.connectors": "Connector ConnectorContext StateCache Status PostmortemInfo TicketDraft TicketRef "
        "TicketState Created Check Deduplicates Webhooks WebhookRequest WebhookEvent WebhookError",
    }.items()
    for name in names.split()
}

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ imports on first use
    from remediate.connectors import (
        Check,
        Connector,
        ConnectorContext,
        Created,
        Deduplicates,
        PostmortemInfo,
        StateCache,
        Status,
        TicketDraft,
        TicketRef,
        TicketState,
        WebhookError,
        WebhookEvent,
        WebhookRequest,
        Webhooks,
    )
    from remediate.errors import (
        AuthError,
        ConfigError,
        Conflict,
        ConnectorError,
        DatabaseDamaged,
        DeliveryError,
        InputError,
        NotFound,
        RateLimited,
        RemediateError,
        StoreError,
        SyncError,
        Unavailable,
    )
    from remediate.jobs import (
        DedupeOutcome,
        HookOutcome,
        RebuildOutcome,
        SyncOutcome,
        SyncRequest,
        audit_snapshot,
        build_digest_for,
        check_database,
        find_duplicates,
        overdue_report,
        rebuild_database,
        refresh_from_hook,
        refresh_states,
        send_digest,
        sync_documents,
        sync_paths,
    )
    from remediate.parsing import ActionItem, ParseResult, Postmortem, parse_path, parse_text
    from remediate.refresh import StateChange
    from remediate.settings import Settings, load_settings
    from remediate.store import Store, open_store


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'remediate' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

"""Reports on the state database: overdue items, the periodic digest, and the completion audit.

Each report is built from plain :class:`~remediate.reports.base.ReportItem` rows (one query per
table), so the same numbers reach the CLI, the scheduler, templates and JSON.
"""

from remediate.reports.audit import AuditReport, build_audit
from remediate.reports.base import Period, ReportItem, load_items, period_of
from remediate.reports.digest import Digest, build_digest
from remediate.reports.overdue import OverdueReport, overdue_items
from remediate.reports.send import DigestOutcome

__all__ = [
    "AuditReport",
    "Digest",
    "DigestOutcome",
    "OverdueReport",
    "Period",
    "ReportItem",
    "build_audit",
    "build_digest",
    "load_items",
    "overdue_items",
    "period_of",
]

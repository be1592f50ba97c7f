"""The tracker is the identity of record: a new or lost database files nothing twice (local tracker)."""

from __future__ import annotations

from pathlib import Path

from remediate.jobs import sync_paths
from remediate.settings import Settings
from tests.support import write_postmortem


def test_a_second_database_on_the_same_tracker_adopts_instead_of_creating(tmp_path: Path) -> None:
    doc = write_postmortem(tmp_path / "pm.md", [f"Add a runbook for service {n}" for n in range(5)])
    tracker_db = f"sqlite:///{tmp_path / 'state.db'}"
    first = sync_paths([str(doc)], Settings(), database_url=tracker_db)
    keys = sorted(a.ref.key for a in first.plan.actions)  # type: ignore[attr-defined]
    # Forget every link, as a lost state table would, but keep the tracker's tickets.
    import sqlalchemy as sa

    engine = sa.create_engine(tracker_db)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM link"))
    engine.dispose()
    second = sync_paths([str(doc)], Settings(), database_url=tracker_db)
    assert sorted(a.ref.key for a in second.plan.actions) == keys  # type: ignore[attr-defined]
    assert all(a.adopted for a in second.plan.actions)  # type: ignore[attr-defined]

"""Two syncs at once on one database create each ticket once (the sync lock).

The racing processes use a deliberately slow tracker, installed the way a third party's
connector would be: a module plus a dist-info entry point on the Python path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlmodel import select

from remediate.models import Link
from remediate.store import open_store
from tests.support import install_connector, write_postmortem

PLUGIN = textwrap.dedent(
    '''
    import time
    from remediate.local import LocalTracker

    class SlowTracker(LocalTracker):
        """The local tracker, slowed down so that two runs overlap."""

        name = "slow"

        def create(self, drafts):
            for draft in drafts:
                time.sleep(0.4)
                yield from super().create([draft])
    '''
)


def test_two_concurrent_syncs_create_each_ticket_once(tmp_path: Path, database_url: str) -> None:
    plugin_path = install_connector(tmp_path / "plugins", "slow", PLUGIN, "SlowTracker")
    items = [f"Add alerting on queue depth for worker pool number {n}" for n in range(4)]
    doc = write_postmortem(tmp_path / "pm.md", items)
    # The plugin first, keeping the path the tests run with (a worktree's code, not the installed one).
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(plugin_path), os.environ.get("PYTHONPATH", "")) if p),
    }
    command = [
        sys.executable,
        "-m",
        "remediate",
        "sync",
        str(doc),
        "--tracker",
        "slow",
        "--db",
        database_url,
        "--format",
        "json",
    ]
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    import json

    summaries = sorted(
        (json.loads(out)["summary"]["created"], json.loads(out)["summary"]["unchanged"]) for out, _ in outputs
    )
    assert summaries == [(0, 4), (4, 0)]
    store = open_store(database_url)
    with store.session() as session:
        links = session.exec(select(Link)).all()
    store.dispose()
    assert len(links) == 4 and len({link.key for link in links}) == 4

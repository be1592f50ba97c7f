"""Control characters and bidi overrides reach neither a ticket nor a terminal (issue 10, item 8)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from remediate.sanitize import clean

HOSTILE = "Add \x1b[31mred\x1b[0m alerting\x07 on \u202equeue\u202c depth\x08 now\x1b]0;pwned\x07"


def test_clean_drops_escapes_controls_and_overrides_but_keeps_tabs_newlines_and_text() -> None:
    assert clean(HOSTILE) == "Add red alerting on queue depth now"
    assert clean("tab\there\nnext line, עברית and 日本語") == "tab\there\nnext line, עברית and 日本語"


def test_hostile_text_reaches_no_ticket_and_no_terminal(tmp_path: Path) -> None:
    doc = tmp_path / "pm.md"
    ordinary = "".join(f"- Document the failover procedure for region {n}\n" for n in range(30))
    doc.write_text(f"# Outage\n\n## Action items\n\n- {HOSTILE}\n{ordinary}", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'state.db'}"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "remediate", *args, "--db", db],
            capture_output=True,
            text=True,
            timeout=120,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )

    synced = cli("sync", str(doc), "--format", "json")
    assert synced.returncode == 0, synced.stderr
    import sqlalchemy as sa

    engine = sa.create_engine(db)
    with engine.connect() as conn:
        titles = [row[0] + row[1] for row in conn.execute(sa.text("SELECT title, body FROM local_ticket"))]
    engine.dispose()
    assert titles and all(clean(t) == t for t in titles), titles
    for args in (("status", "--items"), ("overdue", "--format", "csv"), ("overdue", "--format", "markdown")):
        out = cli(*args)
        assert "\x1b" not in out.stdout and "\u202e" not in out.stdout and "\x07" not in out.stdout, args
    assert json.loads(synced.stdout)

"""Regenerate the README's report samples from the example postmortems in config/examples.

    python docs/make_samples.py

Syncs the examples into a fresh database, gives them a plausible history (each postmortem
synced the day after its incident, a few items closed since; recorded events are moved to
those days, as the sync engine has no clock to set), then writes:

- docs/digest-sample.txt: ``remediate digest --as-of 2024-05-27``
- docs/audit-sample.html and docs/audit.png: ``remediate audit --as-of 2024-05-27 --format html``,
  and a screenshot of it in headless Chromium (skipped when no browser is installed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
AS_OF = "2024-05-27"
# (text starts with, state, day) of the closures in the made-up history.
CLOSURES = [
    ("Alert on connection-pool saturation", "done", date(2024, 4, 30)),
    ("Improve monitoring", "not_doing", date(2024, 5, 6)),
]


def remediate(*args: str, db: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "remediate", *args, "--db", db],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "100"},
        check=True,
    )
    return result.stdout


def backdate(db: str) -> None:
    from sqlmodel import select

    from remediate.connectors import Status
    from remediate.local import set_item_status
    from remediate.models import Event, Item, Postmortem
    from remediate.store import open_store

    store = open_store(db)
    with store.session() as session:
        synced = {pm.id: pm.incident_date for pm in session.exec(select(Postmortem)).all()}
    for text, state, day in CLOSURES:
        with store.session() as session:
            item = session.exec(select(Item).where(Item.text.startswith(text))).one()  # type: ignore[attr-defined]
        set_item_status(store, item.id, Status(state))
        with store.session() as session:
            row = session.get(Item, item.id)
            row.state_changed_at = _noon(day)  # type: ignore[union-attr]
            session.add(row)
            session.commit()
    with store.session() as session:
        for item in session.exec(select(Item)).all():
            item.first_seen = _noon(synced[item.postmortem_id], days=1)  # type: ignore[arg-type]
            session.add(item)
            if item.state_changed_at and item.state_changed_at.year > 2024:
                item.state_changed_at = item.first_seen
        for event in session.exec(select(Event)).all():
            item = session.get(Item, event.item_id)
            event.at = (
                item.state_changed_at if event.kind == "state" and item else _noon(synced[event.postmortem_id], days=1)
            )  # type: ignore[index, arg-type]
            session.add(event)
        session.commit()
    store.dispose()


def _noon(day: date, days: int = 0) -> datetime:
    from datetime import timedelta

    day = day + timedelta(days=days)
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def main() -> None:
    sys.path.insert(0, str(REPO / "src"))
    workdir = Path(tempfile.mkdtemp())
    db = f"sqlite:///{workdir / 'samples.db'}"
    remediate("sync", "config/examples", db=db)
    backdate(db)
    DOCS.mkdir(exist_ok=True)
    (DOCS / "digest-sample.txt").write_text(remediate("digest", "--as-of", AS_OF, db=db), encoding="utf-8")
    html = DOCS / "audit-sample.html"
    html.write_text(remediate("audit", "--as-of", AS_OF, "--format", "html", db=db), encoding="utf-8")
    browser = next(
        (shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None
    )
    if browser is None:
        print("no chromium: skipped docs/audit.png")
    else:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={workdir / 'profile'}",
                "--hide-scrollbars",
                "--window-size=1000,1500",
                f"--screenshot={DOCS / 'audit.png'}",
                html.as_uri(),
            ],
            capture_output=True,
            check=True,
            timeout=120,
        )
    print(f"wrote {', '.join(p.name for p in sorted(DOCS.glob('*sample*')))} and audit.png")


if __name__ == "__main__":
    main()

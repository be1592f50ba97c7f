"""The HTML audit in a real browser: headless Chromium renders it, logs no console message, and
document text stays text (an item containing ``<script>`` is shown, never run)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from remediate.cli import app
from tests import known
from tests.support import document, sync_docs

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
HOSTILE = 'Sanitize <script>document.title="pwned"</script> and <img src=x onerror="document.body.id=\'pwned\'"> input'


def browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no headless browser: install Debian's chromium (apt-get install -y chromium) to run this test")


def run_browser(url: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with console messages logged to stderr (``INFO:CONSOLE`` lines)."""
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [
            browser(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *extra,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    browser()
    tmp = tmp_path_factory.mktemp("audit")
    db = f"sqlite:///{tmp / 'state.db'}"
    known.build(db)
    sync_docs(
        db, [document("2024-04-01-hostile", [HOSTILE], title="Hostile <b>title</b>", incident=known.date(2024, 4, 1))]
    )
    out = tmp / "audit.html"
    result = CliRunner().invoke(app, ["audit", "--as-of", "2024-04-08", "--format", "html", "-o", str(out), "--db", db])
    assert result.exit_code == 0, result.output
    return out


def test_console_capture_works(tmp_path: Path) -> None:
    """The control: a page that does log errors is caught, so a clean run means something."""
    control = tmp_path / "control.html"
    control.write_text("<!DOCTYPE html><title>c</title><script>console.error('control-1'); nope();</script>")
    lines = console_lines(run_browser(control.as_uri(), tmp_path, "--dump-dom").stderr)
    assert any("control-1" in line for line in lines)
    assert any("Uncaught ReferenceError" in line for line in lines)


def test_audit_page_renders_without_console_messages(page: Path, tmp_path: Path) -> None:
    result = run_browser(page.as_uri(), tmp_path, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_lines(result.stderr) == []
    dom = result.stdout
    assert "<title>Remediation audit, as of 2024-04-08</title>" in dom
    assert re.search(r'id="overall-complete">37\.5%<', dom)  # 3 of 8 items closed
    assert dom.count("<svg") == 2 and dom.count("<polyline") == 1
    assert 'id="recurring"' in dom and "repeats an item the earlier postmortem left open" in dom


def test_document_text_stays_text(page: Path, tmp_path: Path) -> None:
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html and "<b>title" not in html
    assert "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;" in html
    dom = run_browser(page.as_uri(), tmp_path, "--dump-dom").stdout
    assert "<script" not in dom and "<img" not in dom  # nothing became an element
    assert 'id="pwned"' not in dom and "<title>pwned" not in dom  # and nothing ran
    assert '&lt;script&gt;document.title="pwned"&lt;/script&gt;' in dom  # shown as the text it is
    assert "Hostile &lt;b&gt;title&lt;/b&gt;" in dom


def test_audit_page_is_self_contained(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html.split("<body", 1)[1].split("#postmortems")[0])
    assert "<link" not in html and "@import" not in html


def test_audit_page_screenshot(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "audit.png"
    result = run_browser(
        page.as_uri(), tmp_path, f"--screenshot={shot}", "--window-size=1100,1600", "--hide-scrollbars"
    )
    assert result.returncode == 0 and console_lines(result.stderr) == []
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a blank page compresses to a few KB

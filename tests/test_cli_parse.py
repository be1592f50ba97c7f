"""``remediate parse`` as users run it (a subprocess): formats, bad input, start-up imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO

EXAMPLE = REPO / "config" / "examples" / "2024-03-12-checkout-latency.md"


def run(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "remediate", *args],
        input=stdin, capture_output=True, timeout=60, cwd=cwd, env=os.environ.copy(),
    )  # fmt: skip


def assert_one_line_error(result: subprocess.CompletedProcess[bytes], *needles: str) -> None:
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert result.stdout == b""
    assert stderr.count("\n") == 1 and stderr.startswith("remediate: error: "), stderr
    assert "Traceback" not in stderr
    for needle in needles:
        assert needle in stderr


def test_json_output_has_the_documented_shape() -> None:
    result = run("parse", str(EXAMPLE), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"postmortem", "action_items", "warnings"}
    assert {"id", "title", "date", "source"} <= set(data["postmortem"])
    assert data["postmortem"]["date"] == "2024-03-12"
    assert len(data["action_items"]) == 4
    for item in data["action_items"]:
        assert {
            "id",
            "text",
            "section",
            "owner",
            "due",
            "priority",
            "done",
            "tracker_ref",
            "line",
        } <= set(item)
        assert isinstance(item["line"], int) and isinstance(item["id"], str)
    first = data["action_items"][0]
    assert (first["owner"], first["due"], first["priority"], first["done"]) == (
        "@dana",
        "2024-04-09",
        "P1",
        False,
    )


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_people_formats_list_every_item(fmt: str) -> None:
    result = run("parse", str(EXAMPLE), "--format", fmt)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "4 action items" in out
    assert "@dana" in out


def test_stdin_with_dash() -> None:
    result = run("parse", "-", "--format", "json", stdin=b"## Next steps\n- Rotate the keys\n")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [i["text"] for i in data["action_items"]] == ["Rotate the keys"]
    assert data["postmortem"]["source"] == "<stdin>"


def test_document_without_action_section_exits_0_with_a_warning_naming_titles(
    tmp_path: Path,
) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text("# Outage\n\n## Timeline\n- 10:00 paged\n", encoding="utf-8")
    result = run("parse", str(doc), "--format", "json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["action_items"] == []
    assert "action items" in data["warnings"][0] and "remediation" in data["warnings"][0]
    assert "remediate: warning: no action-item section" in result.stderr.decode()


def test_missing_path(tmp_path: Path) -> None:
    assert_one_line_error(run("parse", str(tmp_path / "missing.md")), "no such file")


def test_directory(tmp_path: Path) -> None:
    assert_one_line_error(run("parse", str(tmp_path)), "is a directory")


def test_binary_file(tmp_path: Path) -> None:
    doc = tmp_path / "image.md"
    doc.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert_one_line_error(run("parse", str(doc)), "binary")


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    (tmp_path / "remediate.toml").write_text("[parser]\nmax_bytes = 100\n", encoding="utf-8")
    doc = tmp_path / "big.md"
    doc.write_text("## Action items\n" + "- Rotate keys\n" * 20, encoding="utf-8")
    assert_one_line_error(run("parse", str(doc), cwd=tmp_path), "100-byte limit")


def test_stdin_over_the_size_limit(tmp_path: Path) -> None:
    (tmp_path / "remediate.toml").write_text("[parser]\nmax_bytes = 100\n", encoding="utf-8")
    assert_one_line_error(run("parse", "-", stdin=b"x" * 500, cwd=tmp_path), "limit")


def test_text_that_is_not_utf8_and_not_cp1252(tmp_path: Path) -> None:
    doc = tmp_path / "pm.md"
    doc.write_bytes(b"## Action items\n- Bad \x81 byte \x8d here\n")
    assert_one_line_error(run("parse", str(doc)), "not UTF-8")


def test_cp1252_text_is_parsed_with_a_warning(tmp_path: Path) -> None:
    doc = tmp_path / "pm.md"
    doc.write_bytes("## Action items\n- Fix the café menu – add alerts\n".encode("cp1252"))
    result = run("parse", str(doc), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [i["text"] for i in data["action_items"]] == ["Fix the café menu – add alerts"]
    assert "Windows-1252" in data["warnings"][0]
    assert "Windows-1252" in result.stderr.decode()


def test_utf8_bom_and_utf16_are_read(tmp_path: Path) -> None:
    for name, data in (
        ("bom.md", "\ufeff## Action items\n- Rotate keys\n".encode()),
        ("utf16.md", "## Action items\n- Rotate keys\n".encode("utf-16")),
    ):
        doc = tmp_path / name
        doc.write_bytes(data)
        result = run("parse", str(doc), "--format", "json")
        assert result.returncode == 0, result.stderr
        assert [i["text"] for i in json.loads(result.stdout)["action_items"]] == ["Rotate keys"]


def test_parse_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from remediate.cli import main\n"
        f"sys.argv = ['remediate', 'parse', {str(EXAMPLE)!r}, '--format', 'json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('github', 'jira', 'sqlalchemy', 'sqlmodel', 'alembic', 'apscheduler',"
        " 'requests', 'jinja2') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "HEAVY=", result.stdout + result.stderr


def test_table_format_prints_brackets_as_text_not_rich_markup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # wide enough that no cell wraps
    doc = b"# A [/b] title\n## Action items\n| Action | Owner |\n|---|---|\n| Fix [/x] tags | [developer] |\n"
    result = run("parse", "-", "--format", "table", stdin=doc)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "[developer]" in out and "[/x]" in out and "[/b]" in out

"""Docs that must stay true: the README's Quick start and CI run the same commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from remediate.settings import Settings
from tests.support import REPO


def quick_start_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quick_start_has_exactly_two_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    assert all("\n" not in command for command in commands)
    assert "remediate " in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert quick_start_commands()[1] in ci.splitlines()
    # Lint, format and types gate CI too (after the tests, under `set -e`).
    assert "set -euo pipefail" in ci
    for step in ("ruff check .", "ruff format --check .", "mypy --strict src connectors"):
        assert step in ci, step


def test_the_lint_gate_fails_on_a_lint_error(tmp_path: Path) -> None:
    """The exact ruff step CI runs exits non-zero on an unused import (so a lint error is red)."""
    import shutil
    import subprocess

    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed here (pip install -e '.[dev]')")
    (tmp_path / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    (tmp_path / "bad.py").write_text("import os\n")
    result = subprocess.run([ruff, "check", "."], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "F401" in result.stdout


def test_example_config_names_every_setting() -> None:
    example = (REPO / "config" / "remediate.example.toml").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        if name in ("source", "connectors"):
            continue
        assert re.search(rf"^#? ?(\[{name}\]|{name} =)", example, re.M), name


def test_quick_start_main_job_runs_on_embedded_defaults(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The README's first command, minus the install step, from the repository root."""
    import subprocess
    import sys

    command = quick_start_commands()[0].split("pip install -q -e . && ", 1)[1]
    result = subprocess.run(
        command.replace("remediate ", f"{sys.executable} -m remediate "),
        shell=True,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "created" in result.stdout and "Remediation status" in result.stdout


def test_example_config_loads_through_the_real_loader() -> None:
    from remediate.settings import load_settings

    settings = load_settings(REPO / "config" / "remediate.example.toml", environ={})
    assert settings.tracker == "local" and settings.timezone == "UTC"


def test_example_config_names_every_setting_of_every_table() -> None:
    from pydantic import BaseModel

    example = (REPO / "config" / "remediate.example.toml").read_text(encoding="utf-8")
    for table, info in Settings.model_fields.items():
        model = info.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        section = example.split(f"[{table}]", 1)[1].split("\n[", 1)[0]
        for key, field in model.model_fields.items():
            sub = field.annotation
            if isinstance(sub, type) and issubclass(sub, BaseModel):  # a nested table
                assert re.search(rf"^#? ?\[{table}\.{key}\]", example, re.M), f"[{table}.{key}]"
            else:
                assert re.search(rf"^#? ?{key} =", section, re.M), f"[{table}] {key}"


def test_readme_digest_sample_is_the_generated_one() -> None:
    """docs/make_samples.py writes docs/digest-sample.txt; the README shows exactly that."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    sample = (REPO / "docs" / "digest-sample.txt").read_text(encoding="utf-8").rstrip("\n")
    assert f"```text\n{sample}\n```" in readme
    assert (REPO / "docs" / "audit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_readme_documents_every_report_command_and_secret_variable() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for command in ("overdue", "digest", "audit", "lint"):
        assert f"### `remediate {command}`" in readme
    from remediate.settings import DigestSettings

    for name, info in DigestSettings.model_fields.items():
        if name.endswith("_env"):
            assert str(info.default) in readme, name

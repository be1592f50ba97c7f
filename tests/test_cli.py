"""The command line as users meet it: version, help, and the error boundary."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from remediate import __version__
from remediate.cli import app

runner = CliRunner()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI in a subprocess, the way users and CI do."""
    return subprocess.run([sys.executable, "-m", "remediate", *args], capture_output=True, text=True, timeout=60)


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"remediate {__version__}"


def test_every_command_has_help() -> None:
    commands = app.registered_commands
    assert commands, "no commands registered"
    for command in commands:
        name = command.name or command.callback.__name__  # type: ignore[union-attr]
        result = runner.invoke(app, [name.replace("_", "-"), "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage:" in result.output
        assert command.callback.__doc__, f"{name} has no docstring for --help"  # type: ignore[union-attr]


def test_bad_input_is_one_line_and_exit_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run("parse", str(tmp_path / "missing.md"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "Traceback" not in result.stderr
    assert "no such file" in result.stderr


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from remediate.cli import main\n"
        "sys.argv = ['remediate', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('github', 'jira', 'sqlalchemy', 'sqlmodel', 'alembic', 'apscheduler')"
        " if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "HEAVY=", result.stdout


@pytest.mark.parametrize("bad", ["--format=yaml"])
def test_usage_errors_exit_2(bad: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    doc = tmp_path / "pm.md"
    doc.write_text("# PM\n")
    result = run("parse", str(doc), bad)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr

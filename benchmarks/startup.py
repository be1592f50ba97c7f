"""Start-up time of the CLI: median wall time over repeated runs, with ``python -c pass`` for scale.

Usage: python benchmarks/startup.py [RUNS]        (default 15 runs per command)

Also prints the largest import-time contributors of ``remediate parse`` (from
``python -X importtime``), so a regression points at its cause.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "tests" / "corpus" / "031.md"
# Users run from installed bytecode; without .pyc files every run would recompile the sources.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(argv: list[str], runs: int) -> float:
    """Median seconds for ``argv`` (one warm-up run first, so disk caches do not count)."""
    subprocess.run(argv, capture_output=True, check=False, env=ENV)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False, env=ENV)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def top_imports(argv: list[str], count: int = 8) -> list[tuple[int, str]]:
    """The top-level imports with the largest cumulative time, in microseconds."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        capture_output=True, text=True, check=False, env=ENV,
    )  # fmt: skip
    rows = []
    for line in result.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3:
            continue
        cumulative, name = parts[1].strip(), parts[2]
        # Top-level imports are indented by exactly one space in the importtime tree.
        if cumulative.isdigit() and name.startswith(" ") and not name.startswith("  "):
            rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    """Measure and print."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    py = sys.executable
    # A one-command Typer app: what any command costs before remediate does anything (typer 0.29
    # coerces every parameter through a pydantic TypeAdapter, so it imports pydantic).
    minimal = (
        "import typer\napp = typer.Typer()\n@app.command()\ndef cmd(path: str) -> None:\n"
        "    print(path)\n@app.command()\ndef other() -> None:\n    pass\napp()\n"
    )
    commands = {
        "python -c pass": [py, "-c", "pass"],
        'python -c "import typer" (the ratio\'s base)': [py, "-c", "import typer"],
        "minimal typer app, one command (reference)": [py, "-c", minimal, "cmd", "x"],
        "python -m remediate --help": [py, "-m", "remediate", "--help"],
        "remediate parse <doc> --format json": [
            py,
            "-m",
            "remediate",
            "parse",
            str(DOC),
            "--format",
            "json",
        ],
        "import remediate.parsing (library only)": [py, "-c", "import remediate.parsing"],
        "import remediate.settings (pydantic)": [py, "-c", "import remediate.settings"],
    }
    print(f"median of {runs} runs")
    base = None
    measured: dict[str, float] = {}
    for label, argv in commands.items():
        seconds = measure(argv, runs)
        measured[label] = seconds
        base = seconds if base is None else base
        print(f"  {label:<42} {seconds * 1000:7.1f} ms   (+{(seconds - base) * 1000:6.1f} ms over bare python)")
    typer_only = next(v for k, v in measured.items() if "import typer" in k)
    ratio = measured["remediate parse <doc> --format json"] / typer_only
    print(f'`remediate parse --format json` / `python -c "import typer"`: {ratio:.2f}x (target at most 2.5x)')
    print("largest imports of `remediate parse` (cumulative, ms):")
    for micros, name in top_imports(["-m", "remediate", "parse", str(DOC), "--format", "json"]):
        print(f"  {micros / 1000:7.1f}  {name}")


if __name__ == "__main__":
    main()

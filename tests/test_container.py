"""The container image, checked statically (no Docker daemon here): pinned base, two stages,
non-root user, the HEALTHCHECK (also run for real against the service in test_service.py), and
a build context that holds what the build needs and nothing else."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.support import REPO


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    logical, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    out = []
    for line in logical:
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def args() -> dict[str, str]:
    """Global ARG defaults (before the first FROM)."""
    found = {}
    for word, rest in instructions():
        if word == "FROM":
            break
        if word == "ARG" and "=" in rest:
            key, value = rest.split("=", 1)
            found[key] = value
    return found


def runtime_stage() -> list[tuple[str, str]]:
    """The instructions of the last stage."""
    steps = instructions()
    last = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last:]


def healthcheck_command() -> list[str]:
    """The HEALTHCHECK's command, in exec form."""
    (check,) = [rest for word, rest in instructions() if word == "HEALTHCHECK"]
    return json.loads(check.split("CMD", 1)[1].strip())


def test_base_image_is_a_pinned_slim_python_311() -> None:
    images = [rest.split()[0] for word, rest in instructions() if word == "FROM"]
    assert len(images) >= 2, "multi-stage: build wheels, then a clean runtime"
    for image in images:
        resolved = re.sub(r"\$\{(\w+)\}", lambda m: args()[m.group(1)], image)
        assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?", resolved), resolved


def test_runtime_runs_as_a_fixed_non_root_user() -> None:
    stage = runtime_stage()
    users = [rest for word, rest in stage if word == "USER"]
    assert users, "the runtime stage must switch user"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000, "a fixed numeric UID, not root"
    creates = " ".join(rest for word, rest in stage if word == "RUN")
    assert f"--uid {uid}" in creates


def test_entrypoint_command_volume_port_and_labels() -> None:
    stage = dict((word, rest) for word, rest in runtime_stage() if word != "LABEL")
    assert json.loads(stage["ENTRYPOINT"]) == ["remediate"]
    assert json.loads(stage["CMD"]) == ["schedule", "--http", "8080"]
    assert "/data" in json.loads(stage["VOLUME"]) and stage["EXPOSE"] == "8080"
    env = dict(shlex.split(pair)[0].split("=", 1) for pair in re.findall(r"\S+=\S+", stage["ENV"]))
    assert env["REMEDIATE_HTTP_HOST"] == "0.0.0.0", "the container must listen beyond loopback"
    labels = " ".join(rest for word, rest in runtime_stage() if word == "LABEL")
    for key in ("title", "description", "source", "licenses", "version"):
        assert f"org.opencontainers.image.{key}=" in labels


def test_runtime_installs_only_the_built_wheels() -> None:
    stage = runtime_stage()
    copies = [rest for word, rest in stage if word == "COPY"]
    assert copies and all(rest.startswith("--from=build") for rest in copies), "no source in the runtime"
    install = " ".join(rest for word, rest in stage if word == "RUN" and "pip install" in rest)
    assert "--no-index" in install and "--no-cache-dir" in install


def test_healthcheck_uses_python_not_curl() -> None:
    command = healthcheck_command()
    assert command[0] == "python" and "/healthz" in command[-1]
    assert not any(tool in " ".join(command) for tool in ("curl", "wget"))


def test_build_context_has_what_the_build_copies() -> None:
    ignored = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for needed in ("pyproject.toml", "README.md", "src", "connectors"):
        assert needed not in ignored and (REPO / needed).exists(), needed
    for heavy in (".git", ".venv", "tests"):
        assert heavy in ignored, heavy


def test_the_build_stage_builds_a_complete_wheel(tmp_path: Path) -> None:
    """Copy what the build stage COPYs into a fresh directory and build the wheel from it there."""
    context = tmp_path / "context"
    context.mkdir()
    steps = instructions()
    build = steps[: max(i for i, (word, _) in enumerate(steps) if word == "FROM")]
    for word, rest in build:
        if word == "COPY":
            *sources, _destination = rest.split()
            for source in sources:
                origin = REPO / source
                if origin.is_dir():
                    shutil.copytree(
                        origin, context / source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
                    )
                else:
                    shutil.copy2(origin, context / source)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "wheels"), str(context)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = (tmp_path / "wheels").glob("remediate-*.whl")
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    assert any(n.endswith("migrations/versions/0001_initial_schema.py") for n in names)
    assert "remediate/service/health.py" in names
    entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "remediate = remediate.cli:main" in entry_points and "local = remediate.local:LocalTracker" in entry_points

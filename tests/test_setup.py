"""``remediate init`` writes a commented config that loads; ``remediate doctor`` finds what is wrong."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from remediate.cli import app
from remediate.settings import Settings, load_settings
from remediate.store import SCHEMA_HEAD
from tests.service_helpers import install_fake_tracker, remediate, write_config
from tests.support import install_connector, write_postmortem

runner = CliRunner()

ACME = textwrap.dedent(
    '''
    """A test connector whose config looks like a real tracker's: repo, label, owners."""
    from pydantic import Field

    from remediate.local import LocalTracker
    from remediate.settings import StrictModel


    class AcmeConfig(StrictModel):
        """Settings of the acme tracker."""

        repo: str = Field(description="Repository OWNER/NAME.")
        label: str = Field(default="remediation", description="Label on every ticket.")
        owners: dict[str, str] = Field(default_factory=dict, description="Owner -> account.")


    class AcmeTracker(LocalTracker):
        name = "acme"
        Config = AcmeConfig
    '''
)


@pytest.fixture
def acme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ``acme`` connector installed as a plugin, importable in this process too."""
    root = install_connector(tmp_path / "acme-plugin", "acme", ACME, "AcmeTracker")
    monkeypatch.syspath_prepend(str(root))
    return root


# --- init ----------------------------------------------------------------------------------------


def test_init_with_flags_writes_a_commented_config_that_loads(tmp_path: Path) -> None:
    path = tmp_path / "remediate.toml"
    result = runner.invoke(
        app,
        [
            "init",
            str(path),
            "--no-interactive",
            "--timezone",
            "Europe/Berlin",
            "--digest-channel",
            "slack",
            "--digest-cron",
            "0 8 * * fri",
            "--refresh-every",
            "5m",
        ],
    )
    assert result.exit_code == 0, result.output
    settings = load_settings(path, environ={})
    assert settings.tracker == "local" and settings.timezone == "Europe/Berlin"
    assert settings.schedule.digest.cron == "0 8 * * fri" and settings.schedule.digest.channel == "slack"
    assert settings.schedule.refresh.every == "5m"
    text = path.read_text()
    assert text.startswith("# remediate.toml, written by `remediate init`")
    assert "# IANA time zone" in text and "# misfire_grace_time = 86400" in text
    for name in Settings.model_fields:
        if name != "source":
            assert re.search(rf"^(# )?({name} =|{name} is unset|\[{name}[.\]])", text, re.M), name


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    path = tmp_path / "remediate.toml"
    path.write_text('tracker = "local"\n# mine\n')
    result = runner.invoke(app, ["init", str(path), "--no-interactive"])
    assert result.exit_code == 2 and "already exists; use --force" in result.output
    assert path.read_text() == 'tracker = "local"\n# mine\n'
    assert runner.invoke(app, ["init", str(path), "--no-interactive", "--force"]).exit_code == 0
    assert "# mine" not in path.read_text()


def test_init_leaves_the_refresh_interval_unset_when_the_answer_is_empty(tmp_path: Path) -> None:
    """An empty answer keeps the default, which is longer while webhooks are configured."""
    path = tmp_path / "remediate.toml"
    result = runner.invoke(app, ["init", str(path), "--interactive"], input="local\nUTC\nstdout\n0 9 * * mon\n\n")
    assert result.exit_code == 0, result.output
    assert load_settings(path, environ={}).schedule.refresh.every is None


def test_init_prompts_for_what_the_flags_leave_out(tmp_path: Path) -> None:
    path = tmp_path / "remediate.toml"
    answers = "local\nAmerica/New_York\nemail\n0 7 * * mon\n10m\n"
    result = runner.invoke(app, ["init", str(path), "--interactive"], input=answers)
    assert result.exit_code == 0, result.output
    assert "Time zone" in result.output and "Digest channel" in result.output
    settings = load_settings(path, environ={})
    assert (settings.timezone, settings.schedule.digest.channel, settings.schedule.refresh.every) == (
        "America/New_York",
        "email",
        "10m",
    )


@pytest.mark.parametrize(
    ("tracker", "answer", "prompt", "table"),
    [
        ("github", "acme/api", "GitHub repository (OWNER/NAME): ", {"repo": "acme/api", "label": "remediation"}),
        ("jira", "OPS", "Jira project key: ", {"project": "OPS", "labels": ["remediation"]}),
        (
            "gitlab",
            "acme/api",
            "GitLab project (group/project or numeric id): ",
            {"project": "acme/api", "label": "remediation"},
        ),
    ],
)
def test_init_asks_what_the_trackers_config_declares(
    tmp_path: Path, tracker: str, answer: str, prompt: str, table: dict[str, object]
) -> None:
    """The questions are the connector's: its required field, its label(s) and owner map."""
    path = tmp_path / "remediate.toml"
    answers = f"{tracker}\n{answer}\n\nalice=alice-x\nUTC\nstdout\n0 9 * * mon\n15m\n"
    result = runner.invoke(app, ["init", str(path), "--interactive"], input=answers)
    assert result.exit_code == 0, result.output
    assert prompt in result.output and "Owner map, document owner -> " in result.output
    settings = load_settings(path, environ={})
    assert settings.tracker == tracker
    written = {k: v for k, v in settings.connectors[tracker].items() if v != {}}  # sub-tables of defaults
    assert written == {**table, "owners": {"alice": "alice-x"}}


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        (["--tracker", "nosuch"], "unknown tracker 'nosuch'"),
        (["--digest-channel", "pigeon"], "--digest-channel 'pigeon'"),
        (["--refresh-every", "often"], "'often' is not a duration"),
        (["--tracker", "local", "--repo", "o/r"], "the local connector has no setting 'repo'"),
        (["--tracker", "local", "--set", "tracking.mode=auto"], "the local connector has no setting 'tracking.mode'"),
        (["--tracker", "local", "--owner", "al=al"], "--owner: the local connector has no setting 'owners'"),
        (["--tracker", "local", "--label", "pm"], "--label: the local connector has no label setting"),
    ],
)
def test_init_refuses_bad_answers_and_writes_nothing(tmp_path: Path, flags: list[str], message: str) -> None:
    path = tmp_path / "remediate.toml"
    result = runner.invoke(app, ["init", str(path), "--no-interactive", *flags])
    assert result.exit_code == 2 and message in result.output, result.output
    assert not path.exists()


def test_init_fills_the_trackers_own_table(tmp_path: Path, acme: Path) -> None:
    path = tmp_path / "remediate.toml"
    result = runner.invoke(
        app,
        [
            "init",
            str(path),
            "--no-interactive",
            "--tracker",
            "acme",
            "--repo",
            "acme/api",
            "--label",
            "postmortem-action",
            "--owner",
            "alice=alice-gh",
            "--owner",
            "@bob=bobby",
        ],
    )
    assert result.exit_code == 0, result.output
    settings = load_settings(path, environ={})
    assert settings.connectors["acme"] == {
        "repo": "acme/api",
        "label": "postmortem-action",
        "owners": {"alice": "alice-gh", "@bob": "bobby"},
    }
    assert "# Repository OWNER/NAME." in path.read_text()


# --- doctor --------------------------------------------------------------------------------------


def _path(plugins: Path) -> str:
    """PYTHONPATH with the plugins first, keeping the one the tests run with (a worktree's)."""
    return os.pathsep.join(p for p in (str(plugins), os.environ.get("PYTHONPATH", "")) if p)


def doctor_json(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, dict[str, str]]]:
    result = remediate("doctor", "--format", "json", *args, env=env)
    data = json.loads(result.stdout)
    return result.returncode, {check["name"]: check for check in data["checks"]}


def test_doctor_on_a_healthy_setup(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    doc = write_postmortem(tmp_path / "pm.md", ["Add a dashboard for queue latency"])
    assert remediate("sync", str(doc), "--db", url).returncode == 0
    config = write_config(tmp_path / "remediate.toml", url)
    code, checks = doctor_json("--config", str(config))
    assert code == 0, checks
    assert [c["status"] for c in checks.values() if c["status"] in ("fail", "warn")] == []
    assert checks["config"]["detail"] == str(config)
    assert checks["database"]["detail"].endswith(f"schema {SCHEMA_HEAD}, up to date")
    assert checks["schedule"]["detail"] == "refresh every 1s"
    assert checks["local.tickets"]["status"] == "ok"
    assert "no `remediate schedule` instance" in checks["scheduler"]["detail"]
    text = remediate("doctor", "--config", str(config))
    assert text.returncode == 0 and text.stdout.strip().endswith("all good")


def test_doctor_names_credentials_never_their_values(tmp_path: Path) -> None:
    plugins = install_fake_tracker(tmp_path / "plugins")
    (tmp_path / "fake").mkdir()
    secret = "fake-secret-value-123456"
    env = {
        **os.environ,
        "PYTHONPATH": _path(plugins),
        "FAKE_TRACKER_DIR": str(tmp_path / "fake"),
        "FAKE_API_TOKEN": secret,
        "GITHUB_TOKEN": "ghp_another_secret_987654",
    }
    config = write_config(tmp_path / "remediate.toml", f"sqlite:///{tmp_path / 'state.db'}", tracker="fake")
    code, checks = doctor_json("--config", str(config), env=env)
    assert code == 0 and checks["credentials"] == {
        "name": "credentials",
        "status": "ok",
        "detail": "set: FAKE_API_TOKEN, FAKE_TRACKER_DIR",
        "fix": None,
    }
    result = remediate("doctor", "--config", str(config), env=env)
    assert "FAKE_API_TOKEN" in result.stdout
    assert secret not in result.stdout + result.stderr
    assert "ghp_another_secret_987654" not in result.stdout + result.stderr


def test_doctor_reports_a_tracker_it_cannot_reach(tmp_path: Path) -> None:
    plugins = install_fake_tracker(tmp_path / "plugins")
    control = tmp_path / "fake"
    control.mkdir()
    url = f"sqlite:///{tmp_path / 'state.db'}"
    env = {
        **os.environ,
        "PYTHONPATH": _path(plugins),
        "FAKE_TRACKER_DIR": str(control),
        "GITHUB_TOKEN": "ghp_leaky_123456",
    }
    config = write_config(tmp_path / "remediate.toml", url, tracker="fake")
    (control / "mode").write_text("fail")
    code, checks = doctor_json("--config", str(config), env=env)
    assert code == 1
    assert checks["reach"]["status"] == "fail"
    assert checks["reach"]["detail"].startswith("unreachable: tracker down"), checks["reach"]
    assert "ghp_leaky_123456" not in json.dumps(checks)
    offline_code, offline = doctor_json("--config", str(config), "--offline", env=env)
    assert offline_code == 0 and "reach" not in offline


@pytest.mark.parametrize(
    ("extra", "check", "message"),
    [
        ('\n[schedule.audit]\nenabled = true\ncron = "0 25 * * *"\n', "schedule", "[schedule.audit] cron <- "),
        ("\n[sync]\nmatch_threshold = 7\n", "config", "[sync] match_threshold <- "),
    ],
)
def test_doctor_fails_on_a_bad_config(tmp_path: Path, extra: str, check: str, message: str) -> None:
    config = tmp_path / "remediate.toml"
    config.write_text(
        write_config(tmp_path / "base.toml", f"sqlite:///{tmp_path / 'state.db'}")
        .read_text()
        .replace("[schedule.digest]\nenabled = false\n", "")
        + extra
    )
    code, checks = doctor_json("--config", str(config))
    assert code == 1 and checks[check]["status"] == "fail" and message in checks[check]["detail"], checks


def test_doctor_on_databases_without_schema_or_from_a_newer_version(tmp_path: Path) -> None:
    import sqlalchemy as sa

    database = tmp_path / "state.db"
    database.write_bytes(b"")  # exists, no tables yet: the first sync migrates it
    config = write_config(tmp_path / "remediate.toml", f"sqlite:///{database}")
    code, checks = doctor_json("--config", str(config))
    assert (
        code == 0
        and checks["database"]["status"] == "info"
        and "no remediate schema yet" in checks["database"]["detail"]
    )

    assert remediate("db", "upgrade", "--db", f"sqlite:///{database}").returncode == 0
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    code, checks = doctor_json("--config", str(config))
    assert code == 1
    assert checks["database"] == {
        "name": "database",
        "status": "fail",
        "fix": "upgrade remediate",
        "detail": f"database sqlite:///{database} was written by a newer remediate "
        "(schema 9999); upgrade remediate to use it",
    }


def test_doctor_names_the_digest_channel_secret_it_needs(tmp_path: Path) -> None:
    plugins = install_fake_tracker(tmp_path / "plugins")
    (tmp_path / "fake").mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": _path(plugins),
        "FAKE_TRACKER_DIR": str(tmp_path / "fake"),
        "FAKE_API_TOKEN": "x",
    }
    config = write_config(tmp_path / "remediate.toml", f"sqlite:///{tmp_path / 'state.db'}", tracker="fake")
    config.write_text(config.read_text() + '\n[digest]\nchannel = "slack"\n')
    _, checks = doctor_json("--config", str(config), env=env)
    assert checks["credentials"]["detail"].endswith("not set: REMEDIATE_SLACK_WEBHOOK_URL")


def test_init_without_a_required_tracker_setting_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "remediate.toml"
    result = subprocess.run(
        [sys.executable, "-m", "remediate", "init", str(target), "--tracker", "github"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stderr.strip().endswith("[connectors.github] repo <- Field required (or set GITHUB_REPOSITORY)")
    assert "Traceback" not in result.stderr and not target.exists()


@pytest.mark.parametrize(
    ("tracker", "table", "env", "missing"),
    [
        ("github", 'repo = "acme/api"', {}, "GITHUB_TOKEN is not set"),
        ("gitlab", 'project = "acme/api"', {}, "GITLAB_TOKEN is not set"),
        ("jira", 'project = "OPS"', {"JIRA_URL": "https://acme.atlassian.net"}, "JIRA_"),
        ("jira", 'project = "OPS"', {"JIRA_PAT": "x"}, "JIRA_URL"),
    ],
)
def test_doctor_offline_fails_on_the_variables_the_tracker_needs(
    tmp_path: Path, tracker: str, table: str, env: dict[str, str], missing: str
) -> None:
    """Offline means no request, not no check: a missing token is a failure, not "all good"."""
    config = tmp_path / "remediate.toml"
    config.write_text(f'[connectors.{tracker}]\n{table}\n[digest]\nchannel = "slack"\n', encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_", "JIRA_", "REMEDIATE_"))}
    code, checks = doctor_json("--offline", "--tracker", tracker, "--config", str(config), env={**clean, **env})
    assert code == 1 and checks["credentials"]["status"] == "fail", checks
    assert (
        missing in checks["credentials"]["detail"] and "REMEDIATE_SLACK_WEBHOOK_URL" in checks["credentials"]["detail"]
    )
    fixed = {**clean, **env, "GITHUB_TOKEN": "t", "GITLAB_TOKEN": "t", "JIRA_URL": "https://acme.atlassian.net"}
    fixed |= {"JIRA_PAT": "t", "REMEDIATE_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x"}
    code, checks = doctor_json("--offline", "--tracker", tracker, "--config", str(config), env=fixed)
    assert checks["credentials"]["status"] == "ok", checks
    assert "t" not in checks["credentials"]["detail"].split(), "names, never values"

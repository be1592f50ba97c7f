"""``remediate doctor`` authenticates against each tracker and names the step that failed.

Each tracker's fake serves the endpoints the live checks read (GitHub ``/user`` with its
``X-OAuth-Scopes`` header and ``/repos/{owner}/{repo}``; Jira ``/myself`` and ``/project/{key}``;
GitLab ``/user``, ``/personal_access_tokens/self`` and ``/projects/{id}``), and answers 401 to a
wrong token as the real services do. Every run goes through the CLI in a subprocess.
"""

from __future__ import annotations

import base64
import json
import os
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.fakes.jira import FakeJira
from tests.servers import echo_server, free_port
from tests.service_helpers import remediate, write_config
from tests.support import install_connector

GITHUB_TOKEN = "ghp_LiveCheckToken000000000000000000001"
JIRA_TOKEN = "jira-live-check-api-token-000001"
JIRA_PAT = "jira-live-check-personal-token-01"
GITLAB_TOKEN = "glpat-LiveCheckToken0000001"
WRONG = "wrong-token-that-must-not-print-77"


@dataclass
class Setup:
    """One tracker behind a fake: its config table, environment and secrets."""

    tracker: str
    table: str  # the [connectors.<tracker>] table
    env: dict[str, str]
    secrets: list[str]


def _env(extra: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **extra}


@contextmanager
def github(
    *, token: str = GITHUB_TOKEN, repo: str = "acme/api", url: str | None = None, **fake: Any
) -> Iterator[Setup]:
    with FakeGitHub(token=GITHUB_TOKEN, **fake) as server:
        server.add_repo("acme/api")
        env = {"GITHUB_TOKEN": token, "GITHUB_API_URL": url or server.base_url}
        yield Setup("github", f'repo = "{repo}"\n', _env(env), [token])
        assert server.violations == []


@contextmanager
def jira(
    mode: str = "cloud", *, token: str | None = None, project: str = "OPS", url: str | None = None
) -> Iterator[Setup]:
    server = FakeJira(mode, api_token=JIRA_TOKEN, pat=JIRA_PAT)
    with server.serve():
        if mode == "cloud":
            secret = token or JIRA_TOKEN
            env = {"JIRA_USER": server.email, "JIRA_API_TOKEN": secret}
            basic = base64.b64encode(f"{server.email}:{secret}".encode()).decode()
            secrets = [secret, basic]
            table = f'project = "{project}"\ndeployment = "cloud"\napi_version = 3\n'
        else:
            secret = token or JIRA_PAT
            env, secrets = {"JIRA_PAT": secret}, [secret]
            table = f'project = "{project}"\n'
        yield Setup("jira", table, _env({**env, "JIRA_URL": url or server.base}), secrets)
        assert server.contract_violations == []


@contextmanager
def gitlab(
    *, token: str = GITLAB_TOKEN, project: str = "acme/api", url: str | None = None, scopes: str = "api"
) -> Iterator[Setup]:
    with FakeGitLab(token=GITLAB_TOKEN, scopes=scopes) as server:
        server.add_project("acme/api")
        yield Setup(
            "gitlab",
            f'project = "{project}"\n',
            _env({"GITLAB_TOKEN": token, "GITLAB_URL": url or server.url}),
            [token],
        )
        assert server.violations == []


TRACKERS: dict[str, Callable[..., AbstractContextManager[Setup]]] = {
    "github": github,
    "jira-cloud": lambda **kw: jira("cloud", **kw),
    "jira-datacenter": lambda **kw: jira("datacenter", **kw),
    "gitlab": gitlab,
}
#: The check that proves the credentials, and the one that finds the repository or project.
AUTH_CHECK = {"github": "github.token", "jira": "jira.account", "gitlab": "gitlab.token"}
TARGET_CHECK = {"github": "github.repository", "jira": "jira.project", "gitlab": "gitlab.project"}
MISSING = {"github": {"repo": "acme/missing"}, "jira": {"project": "NOPE"}, "gitlab": {"project": "acme/missing"}}


def doctor(tmp_path: Path, setup: Setup, *args: str) -> tuple[int, dict[str, dict[str, Any]], str]:
    """Run ``remediate doctor`` (JSON and table); return the exit code, checks by name, all output."""
    config = write_config(
        tmp_path / "remediate.toml",
        f"sqlite:///{tmp_path / 'state.db'}",
        tracker=setup.tracker,
        extra=f"\n[connectors.{setup.tracker}]\n{setup.table}",
    )
    result = remediate("doctor", "--config", str(config), "--format", "json", *args, env=setup.env, timeout=60)
    table = remediate("doctor", "--config", str(config), *args, env=setup.env, timeout=60)
    assert table.returncode == result.returncode, table.stdout + table.stderr
    assert "Traceback" not in result.stderr + table.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is (result.returncode == 0)
    output = result.stdout + result.stderr + table.stdout + table.stderr
    return result.returncode, {c["name"]: c for c in data["checks"]}, output


def assert_no_secret(setup: Setup, output: str) -> None:
    for secret in setup.secrets:
        assert secret not in output


@pytest.mark.parametrize("kind", TRACKERS)
def test_good_credentials_pass_every_live_check(tmp_path: Path, kind: str) -> None:
    with TRACKERS[kind]() as setup:
        code, checks, output = doctor(tmp_path, setup)
    tracker = setup.tracker
    live = {name: c for name, c in checks.items() if name.startswith(f"{tracker}.")}
    assert code == 0, checks
    assert live[AUTH_CHECK[tracker]]["status"] == "ok" and live[TARGET_CHECK[tracker]]["status"] == "ok", live
    assert all(c["status"] in ("ok", "info") for c in live.values()), live
    assert "reach" not in checks  # every built-in connector has a live check
    assert output.rstrip().endswith("all good")
    assert_no_secret(setup, output)


@pytest.mark.parametrize("kind", TRACKERS)
def test_a_refused_token_fails_the_auth_check_and_is_never_printed(tmp_path: Path, kind: str) -> None:
    with TRACKERS[kind](token=WRONG) as setup:
        code, checks, output = doctor(tmp_path, setup)
    check = checks[AUTH_CHECK[setup.tracker]]
    assert code == 1
    assert check["status"] == "fail" and check["detail"].startswith("credentials refused (401): "), check
    assert TARGET_CHECK[setup.tracker] not in checks  # skipped: it depends on the credentials
    assert f"FAIL  {AUTH_CHECK[setup.tracker]}" in output and "something needs fixing" in output
    assert WRONG not in output
    assert_no_secret(setup, output)


@pytest.mark.parametrize("kind", TRACKERS)
def test_an_unreachable_server_fails_at_once_and_clearly(tmp_path: Path, kind: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # bound, then closed: connections are refused
    url = {"github": f"{closed}/api/v3"}.get(kind.split("-")[0], closed)
    with TRACKERS[kind](url=url) as setup:
        started = time.monotonic()
        code, checks, output = doctor(tmp_path, setup)
        elapsed = time.monotonic() - started
    check = checks[AUTH_CHECK[setup.tracker]]
    assert code == 1 and check["status"] == "fail"
    assert check["detail"].startswith("unreachable: no answer from ") and closed in check["detail"], check
    # Two CLI runs; with the sync's retries and backoff each would wait 7 to 15 s.
    assert elapsed < 20, elapsed
    assert_no_secret(setup, output)


@pytest.mark.parametrize("kind", TRACKERS)
def test_a_forbidding_server_that_echoes_the_credentials_is_reported_without_them(tmp_path: Path, kind: str) -> None:
    with echo_server(403) as server:
        url = f"{server.url}/api/v3" if kind == "github" else server.url
        with TRACKERS[kind](url=url) as setup:
            code, checks, output = doctor(tmp_path, setup)
    check = checks[AUTH_CHECK[setup.tracker]]
    assert code == 1 and check["detail"].startswith("forbidden (403): "), check
    assert "cannot process a request with" in output  # the server's words are shown...
    assert_no_secret(setup, output)  # ...without the credentials it echoed


@pytest.mark.parametrize("kind", TRACKERS)
def test_a_missing_repository_or_project_fails_its_own_check(tmp_path: Path, kind: str) -> None:
    with TRACKERS[kind](**MISSING[kind.split("-")[0]]) as setup:
        code, checks, output = doctor(tmp_path, setup)
    assert code == 1
    assert checks[AUTH_CHECK[setup.tracker]]["status"] == "ok"
    check = checks[TARGET_CHECK[setup.tracker]]
    noun = "repository" if setup.tracker == "github" else "project"
    assert check["status"] == "fail" and check["detail"].startswith(f"{noun} not found (404): "), check
    assert_no_secret(setup, output)


def test_offline_makes_no_request(tmp_path: Path) -> None:
    with FakeGitHub(token=GITHUB_TOKEN) as server:
        setup = Setup(
            "github", 'repo = "acme/api"\n', _env({"GITHUB_TOKEN": WRONG, "GITHUB_API_URL": server.base_url}), [WRONG]
        )
        code, checks, _ = doctor(tmp_path, setup, "--offline")
        assert server.requests == []
    assert code == 0 and not any(name.startswith("github.") for name in checks)


# --- GitHub's scopes -------------------------------------------------------------------------------


def test_a_classic_token_without_the_repo_scope_fails_the_scope_check(tmp_path: Path) -> None:
    with github(scopes=("gist", "read:user")) as setup:
        code, checks, _ = doctor(tmp_path, setup)
    assert code == 1
    assert checks["github.token"]["status"] == "ok"
    assert checks["github.scopes"] == {
        "name": "github.scopes",
        "status": "fail",
        "detail": "missing scope: the classic token has scopes gist, read:user; it needs repo "
        "(or public_repo for a public repository)",
        "fix": "give the token in GITHUB_TOKEN the repo scope",
    }
    # GitHub hides a private repository from such a token: 404, as the fake does.
    assert checks["github.repository"]["detail"].startswith("repository not found (404): ")


def test_a_fine_grained_token_sends_no_scopes_and_that_is_said_not_failed(tmp_path: Path) -> None:
    with github(scopes=None) as setup:
        code, checks, _ = doctor(tmp_path, setup)
    assert code == 0, checks
    assert checks["github.scopes"]["status"] == "info"
    assert "no X-OAuth-Scopes header" in checks["github.scopes"]["detail"]
    assert checks["github.repository"]["status"] == "ok"


def test_a_read_only_token_fails_the_repository_check(tmp_path: Path) -> None:
    read_only = {"admin": False, "maintain": False, "push": False, "triage": False, "pull": True}
    with FakeGitHub(token=GITHUB_TOKEN) as server:
        server.add_repo("acme/api", permissions=read_only)  # a read-only collaborator's view
        env = _env({"GITHUB_TOKEN": GITHUB_TOKEN, "GITHUB_API_URL": server.base_url})
        code, checks, _ = doctor(tmp_path, Setup("github", 'repo = "acme/api"\n', env, [GITHUB_TOKEN]))
    assert code == 1
    assert checks["github.repository"]["detail"].startswith("forbidden: the token can read acme/api but not write")


def test_a_gitlab_token_without_the_api_scope_fails_the_scope_check(tmp_path: Path) -> None:
    with gitlab(scopes="read_api") as setup:
        code, checks, _ = doctor(tmp_path, setup)
    assert code == 1
    assert checks["gitlab.scopes"]["detail"].startswith("missing scope: the token has scopes read_api")
    assert checks["gitlab.project"]["status"] == "ok"


# --- a connector without check() -------------------------------------------------------------------

BARE = textwrap.dedent(
    '''
    """A third party's connector without check(): doctor still runs an empty state query."""
    from remediate.settings import StrictModel


    class BareConfig(StrictModel):
        """No settings."""


    class BareTracker:
        name = "bare"
        Config = BareConfig

        @classmethod
        def from_config(cls, config, context):
            return cls()

        def states(self, refs, since):
            return iter(())
    '''
)


def test_a_connector_without_a_live_check_says_so(tmp_path: Path) -> None:
    plugins = install_connector(tmp_path / "plugins", "bare", BARE, "BareTracker")
    path = os.pathsep.join(p for p in (str(plugins), os.environ.get("PYTHONPATH", "")) if p)
    setup = Setup("bare", "", _env({"PYTHONPATH": path}), [])
    code, checks, _ = doctor(tmp_path, setup)
    assert code == 0
    assert checks["reach"]["status"] == "info"
    assert checks["reach"]["detail"].startswith("bare: no live check available")

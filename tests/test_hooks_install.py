"""``remediate hooks install``: the webhook registered through the tracker's API, once, by URL.

Against the stateful fakes over real HTTP (the GitHub fake validates every request against
GitHub's OpenAPI description): one hook with the receiver's config, no write on a second run,
an existing hook with other settings PATCHed, permission refusals and a missing secret as one
line without a request, the secret never shown; GitLab the same through its project hooks API;
Jira prints its admin's steps.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from remediate.cli import app
from remediate.connectors import HookInstall
from remediate.jobs import install_hooks
from remediate.settings import Settings
from tests.connectors.github.conftest import REPO, TEST_PACING
from tests.connectors.gitlab.conftest import PROJECT
from tests.connectors.gitlab.conftest import TEST_PACING as GITLAB_PACING
from tests.fakes.github import FakeGitHub
from tests.fakes.github_model import Hook
from tests.fakes.openapi import OpenApiCheck

runner = CliRunner()
SECRET = "whsec-install-0123456789abcdef"
URL = "https://remediate.example.com/hooks/github"
SECRET_VAR = "REMEDIATE_GITHUB_WEBHOOK_SECRET"


@pytest.fixture
def github() -> Any:
    with FakeGitHub() as server:
        server.add_repo(REPO)
        yield server
        assert server.violations == [], server.violations


def env(fake: FakeGitHub, *, secret: str | None = SECRET) -> dict[str, str]:
    found = {"GITHUB_TOKEN": fake.token, "GITHUB_API_URL": fake.base_url}
    if secret is not None:
        found[SECRET_VAR] = secret
    return found


def settings() -> Settings:
    return Settings(tracker="github", connectors={"github": {"repo": REPO, "pacing": TEST_PACING}})


def install(fake: FakeGitHub, **kwargs: Any) -> HookInstall:
    return install_hooks(settings(), kwargs.pop("url", URL), environ=env(fake, **kwargs.pop("env", {})), **kwargs)


def writes(fake: FakeGitHub) -> int:
    return sum(1 for r in fake.requests if r.method != "GET")


def existing(fake: FakeGitHub, **fields: Any) -> Hook:
    """A webhook someone registered by hand earlier."""
    values: dict[str, Any] = {
        "url": URL,
        "content_type": "json",
        "secret": SECRET,
        "insecure_ssl": "0",
        "events": ["issues"],
        "active": True,
    }
    values.update(fields)
    hook = Hook(id=fake._next_id(), created_at=fake.clock, updated_at=fake.clock, **values)
    fake.repo(REPO).hooks[hook.id] = hook
    return hook


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "remediate.toml"
    path.write_text(
        f'tracker = "github"\n\n[connectors.github]\nrepo = "{REPO}"\n\n'
        "[connectors.github.pacing]\nwrite_interval = 0\nrequest_interval = 0\nbackoff = 1\nmax_backoff = 4\n"
        '\n[connectors.jira]\nproject = "OPS"\nurl = "https://acme.atlassian.net"\n'
    )
    return path


# --- GitHub through the library ------------------------------------------------------------------


def test_install_creates_one_hook_with_the_receivers_config_and_a_second_run_writes_nothing(
    github: FakeGitHub,
) -> None:
    first = install(github)
    assert first.action == "created"
    [hook] = github.repo(REPO).hooks.values()
    assert (hook.url, hook.events, hook.content_type, hook.insecure_ssl, hook.active) == (
        URL,
        ["issues"],
        "json",
        "0",
        True,
    )
    assert hook.secret == SECRET  # the one REMEDIATE_GITHUB_WEBHOOK_SECRET verifies
    assert first.hook_id == str(hook.id)
    assert [(r.method, r.path) for r in github.requests] == [
        ("GET", f"/repos/{REPO}/hooks"),
        ("POST", f"/repos/{REPO}/hooks"),
    ]
    [post] = [r for r in github.requests if r.method == "POST"]
    assert post.body == {
        "name": "web",
        "config": {"url": URL, "content_type": "json", "insecure_ssl": "0", "secret": SECRET},
        "events": ["issues"],
        "active": True,
    }

    github.reset_log()
    second = install(github)
    assert (second.action, second.hook_id) == ("unchanged", first.hook_id)
    assert (len(github.requests), writes(github)) == (1, 0)  # one list page, no write
    assert len(github.repo(REPO).hooks) == 1


def test_an_existing_hook_with_other_events_is_patched_and_keeps_its_secret(github: FakeGitHub) -> None:
    hook = existing(github, events=["push"], active=False)
    result = install(github)
    assert (result.action, result.hook_id, result.changed) == ("updated", str(hook.id), ("events", "active"))
    [patch] = [r for r in github.requests if r.method != "GET"]
    assert (patch.method, patch.path, patch.body) == (
        "PATCH",
        f"/repos/{REPO}/hooks/{hook.id}",
        {"events": ["issues"], "active": True},  # no config: GitHub would drop the secret without it
    )
    assert (hook.events, hook.active, hook.secret) == (["issues"], True, SECRET)
    github.reset_log()
    assert install(github).action == "unchanged"
    assert writes(github) == 0


def test_a_hook_without_a_secret_or_with_form_payloads_gets_the_whole_config_with_the_secret(
    github: FakeGitHub,
) -> None:
    hook = existing(github, secret=None, content_type="form")
    result = install(github)
    assert result.changed == ("content_type", "secret")
    [patch] = [r for r in github.requests if r.method != "GET"]
    assert patch.body == {"config": {"url": URL, "content_type": "json", "insecure_ssl": "0", "secret": SECRET}}
    assert (hook.content_type, hook.secret) == ("json", SECRET)


def test_a_changed_secret_cannot_be_seen_so_rotate_secret_sends_it(github: FakeGitHub) -> None:
    hook = existing(github, secret="the-old-secret-value")
    assert install(github).action == "unchanged"  # GitHub shows "********": nothing to compare
    assert hook.secret == "the-old-secret-value"
    result = install(github, rotate_secret=True)
    assert (result.action, result.changed) == ("updated", ("secret",))
    assert hook.secret == SECRET


def test_the_hook_is_found_on_a_later_page(github: FakeGitHub) -> None:
    for n in range(100):
        existing(github, url=f"https://ci.example.com/hook/{n}", events=["push"])
    ours = existing(github)
    result = install(github)
    assert (result.action, result.hook_id) == ("unchanged", str(ours.id))
    assert [r.method for r in github.requests] == ["GET", "GET"]  # 101 hooks: two pages of 100


def test_warnings_for_a_url_the_receiver_does_not_serve(github: FakeGitHub) -> None:
    result = install(github, url="http://remediate.example.com/github")
    assert len(result.warnings) == 2
    assert "/hooks/github" in result.warnings[0] and "plain http" in result.warnings[1]


# --- GitHub through the CLI ----------------------------------------------------------------------


def test_cli_installs_then_says_nothing_changed_and_never_shows_the_secret(
    tmp_path: Path, github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = write_config(tmp_path)
    args = ["hooks", "install", "--tracker", "github", "--url", URL, "--config", str(config)]
    first = runner.invoke(app, args, env=env(github))
    assert first.exit_code == 0, first.output
    hook_id = next(iter(github.repo(REPO).hooks))
    assert first.stdout == f"github: created the webhook {hook_id} of {REPO}: issues events go to {URL}\n"
    again = runner.invoke(app, [*args, "--format", "json"], env=env(github))
    assert again.exit_code == 0, again.output
    assert '"action": "unchanged"' in again.stdout and str(hook_id) in again.stdout
    rotated = runner.invoke(app, [*args, "--rotate-secret"], env=env(github))
    assert rotated.exit_code == 0 and "(secret)" in rotated.stdout
    for result in (first, again, rotated):
        assert SECRET not in result.output
    assert SECRET not in caplog.text
    assert writes(github) == 2  # the POST, then the rotation's PATCH


def test_cli_without_the_secret_says_so_in_one_line_and_sends_nothing(tmp_path: Path, github: FakeGitHub) -> None:
    config = write_config(tmp_path)
    result = runner.invoke(
        app, ["hooks", "install", "--url", URL, "--config", str(config)], env=env(github, secret=None)
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"remediate: error: {SECRET_VAR} is not set") and "nothing was sent" in line
    assert github.requests == []


@pytest.mark.parametrize(
    ("setup", "status"),
    [
        (lambda fake: fake.repo(REPO).permissions.update(admin=False), 404),  # push rights only
        (lambda fake: setattr(fake, "scopes", ("public_repo",)), 404),  # a classic token without the scope
        (lambda fake: (setattr(fake, "scopes", None), setattr(fake.repo(REPO), "webhooks_permission", False)), 403),
    ],
    ids=["no-admin-rights", "classic-without-scope", "fine-grained-without-webhooks"],
)
def test_a_token_that_may_not_manage_hooks_is_one_line_naming_what_it_needs(
    tmp_path: Path, github: FakeGitHub, setup: Any, status: int
) -> None:
    setup(github)
    if status == 404 and github.scopes == ("public_repo",):
        github.repo(REPO).private = False  # public_repo reaches a public repository, not its hooks
    config = write_config(tmp_path)
    result = runner.invoke(app, ["hooks", "install", "--url", URL, "--config", str(config)], env=env(github))
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"remediate: error: github: GitHub answered {status} while listing the webhooks")
    assert "admin rights on acme/api" in line and "admin:repo_hook" in line and "Webhooks: read and write" in line
    assert "Traceback" not in result.output and SECRET not in result.output
    assert writes(github) == 0 and github.repo(REPO).hooks == {}


def test_cli_refuses_a_url_that_is_not_an_address(tmp_path: Path, github: FakeGitHub) -> None:
    config = write_config(tmp_path)
    for url in ("remediate.example.com/hooks/github", f"{URL}?token=1", f"{URL}/{SECRET}"):
        result = runner.invoke(app, ["hooks", "install", "--url", url, "--config", str(config)], env=env(github))
        assert result.exit_code == 2, url
        assert len(result.stderr.splitlines()) == 1 and SECRET not in result.output
    assert github.requests == []


# --- Jira and trackers without hooks -------------------------------------------------------------


def test_jira_prints_the_admin_steps_with_the_url_and_sends_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    url = "https://remediate.example.com/hooks/jira"
    secret = "jira-install-secret-0123456789"
    result = runner.invoke(
        app,
        ["hooks", "install", "--tracker", "jira", "--url", url, "--config", str(config)],
        env={"REMEDIATE_JIRA_WEBHOOK_SECRET": secret},  # no Jira credentials: no request is possible
    )
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "https://acme.atlassian.net/plugins/servlet/webhooks" in text
    assert f"URL: {url}" in text and "project = OPS" in text
    assert "Issue updated" in text and "Issue deleted" in text
    assert "REMEDIATE_JIRA_WEBHOOK_SECRET" in text and secret not in result.output


def test_the_local_tracker_has_no_hooks_to_install(tmp_path: Path) -> None:
    result = runner.invoke(app, ["hooks", "install", "--tracker", "local", "--url", "https://h.example/hooks/local"])
    assert result.exit_code == 2
    assert "has no webhooks remediate can install" in result.stderr


# --- the fake itself -----------------------------------------------------------------------------


def test_the_fake_hooks_api_answers_as_github_describes(github: FakeGitHub) -> None:
    import requests

    def call(method: str, path: str, body: Any = None) -> requests.Response:
        headers = {"Authorization": f"token {github.token}"}
        return requests.request(method, github.base_url + path, headers=headers, json=body, timeout=5)

    check = OpenApiCheck()
    problems: list[str] = []
    missing = call("POST", f"/repos/{REPO}/hooks", {"name": "web", "config": {"content_type": "json"}})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["message"] == "Config must contain URL for webhooks"
    created = call("POST", f"/repos/{REPO}/hooks", {"config": {"url": URL, "secret": SECRET}, "events": ["issues"]})
    assert created.status_code == 201 and created.headers["Location"] == created.json()["url"]
    assert created.json()["config"]["secret"] == "********" and SECRET not in created.text
    duplicate = call("POST", f"/repos/{REPO}/hooks", {"config": {"url": URL}, "events": ["issues"]})
    assert duplicate.status_code == 422
    hook_id = created.json()["id"]
    patched = call("PATCH", f"/repos/{REPO}/hooks/{hook_id}", {"config": {"url": URL, "content_type": "json"}})
    assert patched.status_code == 200 and "secret" not in patched.json()["config"]  # a config replaces all of it
    listed = call("GET", f"/repos/{REPO}/hooks")
    for method, path, answer in (
        ("POST", f"/repos/{REPO}/hooks", missing),
        ("POST", f"/repos/{REPO}/hooks", created),
        ("PATCH", f"/repos/{REPO}/hooks/{hook_id}", patched),
        ("GET", f"/repos/{REPO}/hooks", listed),
    ):
        problems += check.response_problems(method, path, answer.status_code, answer.content, "application/json")
    assert problems == []
    assert call("PATCH", f"/repos/{REPO}/hooks/1", {"active": True}).status_code == 404
    github.repo(REPO).permissions["admin"] = False
    assert call("GET", f"/repos/{REPO}/hooks").status_code == 404


# --- GitLab ----------------------------------------------------------------------------------------

GITLAB_URL = "https://remediate.example.com/hooks/gitlab"
GITLAB_SECRET = "glwhs-install-0123456789abcdef"


@pytest.fixture
def gitlab() -> Any:
    from tests.fakes.gitlab import FakeGitLab

    with FakeGitLab() as server:
        server.add_project(PROJECT)
        yield server
        assert server.violations == [], server.violations


def gitlab_install(fake: Any, **kwargs: Any) -> HookInstall:
    environ = {"GITLAB_TOKEN": fake.token, "GITLAB_URL": fake.url, "REMEDIATE_GITLAB_WEBHOOK_SECRET": GITLAB_SECRET}
    config = Settings(tracker="gitlab", connectors={"gitlab": {"project": PROJECT, "pacing": GITLAB_PACING}})
    return install_hooks(config, GITLAB_URL, environ=environ, **kwargs)


def test_gitlab_adds_one_hook_for_issues_only_and_a_second_run_writes_nothing(gitlab: Any) -> None:
    first = gitlab_install(gitlab)
    assert first.action == "created"
    [hook] = gitlab.project(PROJECT).hooks
    assert hook["url"] == GITLAB_URL and hook["token"] == GITLAB_SECRET
    assert (hook["issues_events"], hook["confidential_issues_events"], hook["push_events"]) == (True, True, False)
    assert [(r.method, r.path.rsplit("/", 1)[1]) for r in gitlab.requests] == [("GET", "hooks"), ("POST", "hooks")]
    gitlab.requests.clear()
    second = gitlab_install(gitlab)
    assert (second.action, second.hook_id) == ("unchanged", first.hook_id)
    assert (len(gitlab.requests), len(gitlab.writes())) == (1, 0)


def test_gitlab_edits_a_hook_without_issue_events_and_rotates_the_token(gitlab: Any) -> None:
    gitlab.project(PROJECT).hooks.append(
        {"id": 7, "url": GITLAB_URL, "push_events": True, "issues_events": False, "token": "old-token-value"}
    )
    result = gitlab_install(gitlab)
    assert (result.action, result.hook_id) == ("updated", "7")
    assert result.changed == ("issues_events", "confidential_issues_events", "push_events")
    [edit] = gitlab.writes()
    assert (edit.method, edit.path.endswith("/hooks/7")) == ("PUT", True)
    [hook] = gitlab.project(PROJECT).hooks
    assert (hook["issues_events"], hook["push_events"], hook["token"]) == (True, False, GITLAB_SECRET)
    hook["token"] = "changed-by-someone"
    assert gitlab_install(gitlab).action == "unchanged"  # GitLab never shows the token
    assert gitlab_install(gitlab, rotate_secret=True).changed == ("token",)
    assert hook["token"] == GITLAB_SECRET


def test_gitlab_without_the_maintainer_role_is_one_line_naming_it(gitlab: Any) -> None:
    from remediate.errors import AuthError

    gitlab.project(PROJECT).maintainer = False
    with pytest.raises(AuthError) as caught:
        gitlab_install(gitlab)
    message = str(caught.value)
    assert message.startswith("gitlab: GitLab answered 403 while listing the webhooks of acme/platform/api")
    assert "Maintainer role" in message and "api scope" in message and GITLAB_SECRET not in message
    assert gitlab.writes() == []

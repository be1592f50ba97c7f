"""Secrets come from the environment and never land in the database, whatever ran.

One state database goes through a GitHub sync, a Jira sync, state refreshes, a webhook digest
and a scheduler run, each with its secret in the environment; then every row of every table and
the raw database file are searched for each secret.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from remediate.jobs import refresh_states, send_digest, sync_paths
from remediate.settings import Settings
from tests.connectors.github.conftest import TEST_PACING
from tests.fakes.github import FakeGitHub
from tests.fakes.jira import FakeJira
from tests.servers import webhook_server
from tests.service_helpers import ServiceProcess, write_config
from tests.support import write_postmortem

GITHUB_TOKEN = "ghp_SecretValueThatMustNeverBeStored0001"
JIRA_TOKEN = "jira-api-token-that-must-never-be-stored"
WEBHOOK_TOKEN = "webhook-bearer-that-must-never-be-stored"
HOOK_SECRET_PATH = "/hook/T000/B000/slack-style-url-secret"


def test_no_secret_is_stored_anywhere_in_the_database(tmp_path: Path) -> None:
    db_file = tmp_path / "state.db"
    db = f"sqlite:///{db_file}"
    settings = Settings(connectors={"github": {"pacing": TEST_PACING}})
    gh_doc = write_postmortem(tmp_path / "gh.md", ["Add alerting on queue depth", "Rotate the deploy keys"])
    jira_doc = write_postmortem(tmp_path / "jira.md", ["Document the failover", "Load-test checkout"])

    with FakeGitHub(token=GITHUB_TOKEN) as github:
        github.add_repo("acme/api", collaborators=("alice",))
        env = {"GITHUB_TOKEN": GITHUB_TOKEN, "GITHUB_API_URL": github.base_url}
        sync_paths(
            [str(gh_doc)], settings, database_url=db, tracker="github", options={"repo": "acme/api"}, environ=env
        )
        refresh_states(settings, database_url=db, tracker="github", options={"repo": "acme/api"}, environ=env)

    jira = FakeJira("cloud", api_token=JIRA_TOKEN)
    with jira.serve():
        env = {"JIRA_URL": jira.base, "JIRA_USER": jira.email, "JIRA_API_TOKEN": JIRA_TOKEN}
        sync_paths([str(jira_doc)], settings, database_url=db, tracker="jira", options={"project": "OPS"}, environ=env)
        refresh_states(settings, database_url=db, tracker="jira", options={"project": "OPS"}, environ=env)

    with webhook_server(path=HOOK_SECRET_PATH) as hook:
        env = {"REMEDIATE_WEBHOOK_URL": hook.url, "REMEDIATE_WEBHOOK_TOKEN": WEBHOOK_TOKEN}
        assert send_digest(settings, database_url=db, channel="webhook", environ=env).status == "sent"
        assert hook.requests[0].headers.get("Authorization") == f"Bearer {WEBHOOK_TOKEN}"

    # The service persists its jobs (pickled) in the same database.
    config = write_config(tmp_path / "remediate.toml", db)
    service = ServiceProcess(
        config, tmp_path / "service.log", env={**os.environ, "GITHUB_TOKEN": GITHUB_TOKEN, "JIRA_API_TOKEN": JIRA_TOKEN}
    )
    try:
        service.wait_for("job_finished", job="refresh")
    finally:
        assert service.stop() == 0

    secrets = [GITHUB_TOKEN, JIRA_TOKEN, WEBHOOK_TOKEN, HOOK_SECRET_PATH]
    connection = sqlite3.connect(db_file)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert {"item", "link", "kv", "digest_sent", "scheduler_job"} <= set(tables)
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                text = " ".join(repr(value) for value in row)
                for secret in secrets:
                    assert secret not in text, f"{secret[:8]}... stored in table {table}"
        rows = connection.execute("SELECT COUNT(*) FROM link").fetchone()[0]
        assert rows == 4  # the syncs did happen
    finally:
        connection.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("state.db*") if p.is_file())
    for secret in secrets:
        assert secret.encode() not in raw


def _shown(*objects: object, holders: tuple[object, ...] = ()) -> str:
    """What a careless log line or traceback could print: repr(), str(), model_dump_json() of
    ``objects``, and for the objects that hold a token (``holders``) every attribute as well."""
    texts = []
    for obj in (*objects, *holders):
        texts += [repr(obj), str(obj)]
        if hasattr(obj, "model_dump_json"):
            texts.append(obj.model_dump_json())
    texts += [repr(vars(obj)) for obj in holders]
    return "\n".join(texts)


def test_no_repr_of_a_loaded_config_or_a_built_connector_shows_a_token(tmp_path: Path) -> None:
    """Tokens are held as pydantic SecretStr, read only where the request header is built."""
    from remediate_github import GitHubConnector
    from remediate_gitlab import GitLabConnector
    from remediate_jira.connector import JiraConnector

    from remediate.connectors import ConnectorContext, MemoryCache
    from remediate.settings import load_settings

    gitlab_token = "glpat-SecretValueThatMustNeverBeShown"
    path = tmp_path / "remediate.toml"
    path.write_text(
        '[connectors.github]\nrepo = "acme/api"\n[connectors.jira]\nproject = "OPS"\n'
        '[connectors.gitlab]\nproject = "acme/api"\n'
    )
    env = {
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "GITLAB_TOKEN": gitlab_token,
        "GITLAB_URL": "http://127.0.0.1:9",
        "REMEDIATE_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
    }
    settings = load_settings(path, env)
    github = GitHubConnector.from_config(
        GitHubConnector.Config.model_validate(settings.connectors["github"]), ConnectorContext(env=env)
    )
    github.transport._client()  # the PyGithub client, with its auth header, is built
    gitlab = GitLabConnector.from_config(
        GitLabConnector.Config.model_validate(settings.connectors["gitlab"]), ConnectorContext(env=env)
    )
    gitlab.transport._gitlab()

    jira = FakeJira("cloud", api_token=JIRA_TOKEN)
    with jira.serve():
        jira_env = {**env, "JIRA_URL": jira.base, "JIRA_USER": jira.email, "JIRA_API_TOKEN": JIRA_TOKEN}
        context = ConnectorContext(env=jira_env, cache=MemoryCache())
        connector = JiraConnector.from_config(JiraConnector.Config.model_validate(settings.connectors["jira"]), context)
        transport = connector.site.transport  # connected: credentials chosen, session authenticated
        from remediate_jira.auth import choose_credentials

        credentials = choose_credentials(jira_env, "cloud")

    shown = _shown(
        settings,
        github,
        github.config,
        gitlab,
        gitlab.config,
        connector,
        connector.site,
        context,
        holders=(github.transport, gitlab.transport, transport, credentials),
    )
    for secret in (GITHUB_TOKEN, gitlab_token, JIRA_TOKEN, WEBHOOK_TOKEN):
        assert secret not in shown, f"{secret[:8]}... shown"
    assert credentials.secret.get_secret_value() == JIRA_TOKEN  # held, just never shown

"""One secret scrubber (remediate.secrets) for every error that can carry a server's words.

A table of echoed-secret shapes, then one end-to-end run per channel (GitHub, Jira, GitLab,
the JSON webhook, Slack, SMTP) against a real local server that echoes the credentials in its
error: the CLI's output never contains them.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest

from remediate.secrets import credential_forms, scrub, secret_values
from tests import known
from tests.servers import echo_server, smtp_server
from tests.service_helpers import remediate, write_config
from tests.support import write_postmortem

TOKEN = "ghp_EchoedTokenValue0000000000000000001"
SLACK_URL = "https://hooks.slack.com/services/T0001/B0001/SlackUrlSecret0001"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


SHAPES = [
    # known secret values, in the forms they travel in
    ("rejected token ghp_EchoedTokenValue0000000000000000001", [TOKEN], "rejected token ***"),
    ('{"echo": "pass\\"word-value"}', ['pass"word-value'], '{"echo": "***"}'),
    ("GET /x?t=p%40ss%2Fw0rd-1", ["p@ss/w0rd-1"], "GET /x?t=***"),
    ("no such hook: /services/T0001/B0001/SlackUrlSecret0001", [SLACK_URL], "no such hook: ***"),
    (f"POST {SLACK_URL} failed", [SLACK_URL], "POST *** failed"),
    ("hook https://h.example/x?key=abcdef1 gone", ["https://h.example/x?key=abcdef1"], "hook *** gone"),
    (f"echo {b64('alice:s3cret-pa55')}", credential_forms("alice", "s3cret-pa55"), "echo ***"),
    ("short ones stay: abc", ["abc"], "short ones stay: abc"),
    # Authorization echoes, with or without a known value
    ("sent Authorization: Bearer abc.def-123", [], "sent Authorization: Bearer ***"),
    ("authorization=Basic YWxpY2U6c2VjcmV0", [], "authorization=Basic ***"),
    ('{"Authorization": "token gho_16C7e42F292c6912E7710c838347Ae178B4a"}', [], '{"Authorization": "token ***"}'),
    ("Proxy-Authorization: Digest u=1", [], "Proxy-Authorization: Digest ***"),
    ("PRIVATE-TOKEN: glpat-abcdefghij123456", [], "PRIVATE-TOKEN: ***"),
    ("x-api-key=k-123456789", [], "x-api-key=***"),
    ("invalid Bearer eyJhbGciOi.eyJzdWIi.sig", [], "invalid Bearer ***"),
    # ... and the prose that names them stays readable
    (
        "set GITHUB_TOKEN to a token; Bearer authentication required; Basic realm=x",
        [],
        "set GITHUB_TOKEN to a token; Bearer authentication required; Basic realm=x",
    ),
    # credentials in URLs
    ("clone https://bob:hunter2hunter@git.example/r.git", [], "clone https://bob:***@git.example/r.git"),
    ("db postgresql+psycopg://app:pw@db:5432/x", [], "db postgresql+psycopg://app:***@db:5432/x"),
    (
        "GET https://h/x?access_token=a1&page=2&X-Amz-Signature=f0&sig=zz&api_key=k&password=p&state=all",
        [],
        "GET https://h/x?access_token=***&page=2&X-Amz-Signature=***&sig=***&api_key=***&password=***&state=all",
    ),
    # secret-named JSON keys
    (
        '{"token": "t-1", "user": "bob", "client_secret": "cs"}',
        [],
        '{"token": "***", "user": "bob", "client_secret": "***"}',
    ),
    # SMTP servers echo AUTH lines
    ("535 5.7.8 AUTH PLAIN AGFsaWNlAHMzY3JldA== rejected", [], "535 5.7.8 AUTH PLAIN *** rejected"),
    ("auth login YWxpY2U= failed", [], "auth login *** failed"),
    # our webhook receiver's URL secret (trackers that sign nothing)
    ('"POST /hooks/jira/s3cretPath?x=1 HTTP/1.1" 202', [], '"POST /hooks/jira/*** HTTP/1.1" 202'),
    ("POST /hooks/github HTTP/1.1", [], "POST /hooks/github HTTP/1.1"),
]


@pytest.mark.parametrize(("text", "secrets", "expected"), SHAPES)
def test_echoed_secret_shapes_are_scrubbed(text: str, secrets: list[str], expected: str) -> None:
    assert scrub(text, secrets) == expected


def test_scrubbing_is_idempotent_and_keeps_clean_text() -> None:
    for _text, secrets, expected in SHAPES:
        assert scrub(expected, secrets) == expected
    plain = "GitHub rejected creating an issue (422 Validation Failed: title is too long)"
    assert scrub(plain, [TOKEN]) == plain


def test_secret_values_come_from_secret_looking_variables_only() -> None:
    found = secret_values({"GITHUB_TOKEN": TOKEN, "HOME": "/home/someone", "JIRA_PAT": "tok"}, ["dbpassword1", None])
    assert found == [TOKEN, "dbpassword1"]


def test_scrubbing_is_linear_on_hostile_text() -> None:
    import time

    def cost(n: int) -> float:
        text = ("Authorization: Bearer " + "a" * 50 + " " + "?token=" + "&" * 20 + "Bearer " * 5 + '"k": "') * n
        start = time.perf_counter()
        scrub(text, [TOKEN])
        return time.perf_counter() - start

    small, large = min(cost(200) for _ in range(3)), min(cost(2000) for _ in range(3))
    assert large < small * 30, (small, large)  # 10x the input: about 10x the time, never 100x


# --- end to end: a server echoes the credentials; the CLI never shows them -----------------------


def _run(*args: str, env: dict[str, str]) -> str:
    result = remediate(*args, env={**os.environ, **env}, timeout=90)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout + result.stderr


@pytest.mark.parametrize("tracker", ["github", "jira", "gitlab"])
def test_a_tracker_echoing_the_credentials_never_gets_them_printed(tmp_path: Path, tracker: str) -> None:
    doc = write_postmortem(tmp_path / "pm.md", ["Add alerting on queue depth"])
    with echo_server(400) as server:
        env, secrets, table = {
            "github": (
                {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": f"{server.url}/api/v3"},
                [TOKEN],
                'repo = "acme/api"\npacing = { write_interval = 0 }\n',
            ),
            "jira": (
                {"JIRA_URL": server.url, "JIRA_USER": "bot@example.com", "JIRA_API_TOKEN": "jira-echoed-token-0001"},
                ["jira-echoed-token-0001", b64("bot@example.com:jira-echoed-token-0001")],
                'project = "OPS"\n',
            ),
            "gitlab": (
                {"GITLAB_TOKEN": "glpat-EchoedToken00000001", "GITLAB_URL": server.url},
                ["glpat-EchoedToken00000001"],
                'project = "acme/api"\n',
            ),
        }[tracker]
        config = write_config(
            tmp_path / "remediate.toml",
            f"sqlite:///{tmp_path / 'state.db'}",
            tracker=tracker,
            extra=f"\n[connectors.{tracker}]\n{table}",
        )
        output = _run("sync", str(doc), "--config", str(config), env=env)
    assert server.requests, "the connector never reached the server"
    echoed = [r.headers.get("Authorization") or r.headers.get("PRIVATE-TOKEN") or "" for r in server.requests]
    assert any(secrets[-1] in header for header in echoed)  # the credentials were sent, and echoed
    assert "cannot process" in output  # the server's words are shown...
    for secret in secrets:
        assert secret not in output  # ...without the credentials


def test_the_webhook_channel_never_prints_an_echoed_token_or_url(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'state.db'}"
    known.build(db)
    token = "webhook-echoed-bearer-0001"
    with echo_server(400) as server:
        url = f"{server.url}/hooks/WebhookPathSecret0001"
        env = {"REMEDIATE_WEBHOOK_URL": url, "REMEDIATE_WEBHOOK_TOKEN": token}
        output = _run("digest", "--as-of", "2024-04-08", "--send", "webhook", "--db", db, env=env)
    assert server.requests[0].headers["Authorization"] == f"Bearer {token}"
    assert "the webhook answered 400: " in output and "cannot process" in output
    assert token not in output and "WebhookPathSecret0001" not in output


def test_the_slack_channel_never_prints_its_echoed_webhook_url(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'state.db'}"
    known.build(db)
    with echo_server(403) as server:
        url = f"{server.url}/services/T0001/B0001/SlackUrlSecret0001"
        output = _run(
            "digest", "--as-of", "2024-04-08", "--send", "slack", "--db", db, env={"REMEDIATE_SLACK_WEBHOOK_URL": url}
        )
    assert server.requests[0].path == "/services/T0001/B0001/SlackUrlSecret0001"
    assert "the Slack webhook answered 403: " in output and "cannot process" in output
    assert "SlackUrlSecret0001" not in output and "T0001/B0001" not in output


@pytest.fixture(scope="module")
def tls() -> tuple[Any, Path]:
    import ssl

    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    folder = Path(os.environ.get("TMPDIR", "/tmp"))
    path = folder / f"remediate-test-ca-{os.getpid()}.pem"
    ca.cert_pem.write_to_path(str(path))
    return context, path


def test_the_email_channel_never_prints_an_echoed_auth_line(tmp_path: Path, tls: tuple[Any, Path]) -> None:
    context, ca_file = tls
    password = "smtp-echoed-pa55word"
    db = f"sqlite:///{tmp_path / 'state.db'}"
    known.build(db)

    def echo_auth(session: Any) -> str:
        login = session.auth_data.login.decode()
        secret = session.auth_data.password.decode()
        plain = b64(f"\0{login}\0{secret}")
        return f"554 5.7.1 relay denied for session AUTH PLAIN {plain} (user {login}, password {secret})"

    with smtp_server(context, users={"remediate": password}, mail_reply=echo_auth) as smtp:
        config = write_config(
            tmp_path / "remediate.toml",
            db,
            extra=(
                f'\n[digest]\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsmtp_user = "remediate"\n'
                f'smtp_ca_file = "{ca_file}"\nemail_from = "remediate@example.com"\n'
                'email_to = ["sre@example.com"]\ntimeout = 10\n'
            ),
        )
        output = _run(
            "digest",
            "--as-of",
            "2024-04-08",
            "--send",
            "email",
            "--config",
            str(config),
            env={"REMEDIATE_SMTP_PASSWORD": password},
        )
    assert "answered 554: 5.7.1 relay denied" in output, output
    assert password not in output and b64(f"\0remediate\0{password}") not in output

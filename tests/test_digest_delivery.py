"""Digests that really arrive: SMTP (STARTTLS + AUTH, aiosmtpd) and HTTP (Slack, JSON webhook).

Plus the once-per-period rule, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from remediate.cli import app
from remediate.errors import ConfigError, DeliveryError
from remediate.jobs import send_digest
from remediate.models import DigestSent
from remediate.settings import Settings
from remediate.store import open_store
from tests import known
from tests.servers import slack_errors, smtp_server, webhook_server
from tests.support import document, sync_docs

PASSWORD = "s3cret-pa55"
SLACK_SECRET = "/services/T000/B000/XXXXsecretXXXX"


@pytest.fixture(scope="module")
def ca() -> Any:
    import trustme

    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def server_tls(ca: Any) -> Any:
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    known.build(url)
    return url


def email_settings(port: int, ca_file: Path | None, **extra: Any) -> Settings:
    return Settings(
        digest={
            "channel": "email",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,  # type: ignore[arg-type]
            "smtp_user": "remediate",
            "smtp_ca_file": ca_file,
            "email_from": "remediate@example.com",
            "email_to": ["sre@example.com", "ops@example.com"],
            "timeout": 10,
            **extra,
        }
    )


ENV = {"REMEDIATE_SMTP_PASSWORD": PASSWORD}


# --- email -------------------------------------------------------------------------------------


def test_email_digest_arrives_over_starttls_with_auth(sqlite_db: str, server_tls: Any, ca_file: Path) -> None:
    with smtp_server(server_tls, users={"remediate": PASSWORD}) as smtp:
        outcome = send_digest(
            email_settings(smtp.port, ca_file), database_url=sqlite_db, as_of=known.AS_OF, environ=ENV
        )
    assert outcome.sent and outcome.period.key == "2024-W15"
    assert outcome.detail == f"email to sre@example.com, ops@example.com via 127.0.0.1:{smtp.port}"
    [received] = smtp.messages
    assert received.tls and received.login == "remediate"
    assert received.mail_from == "remediate@example.com"
    assert received.rcpt_tos == ["sre@example.com", "ops@example.com"]
    message = received.message
    assert message["Subject"] == "Remediation digest, week 2024-W15: 2 overdue, 1 due soon"
    assert message["To"] == "sre@example.com, ops@example.com"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f"33 days overdue: {known.A2} [LOCAL-2, due 2024-03-06, DB failover]" in text
    assert f"<li>33 days overdue: {known.A2} (LOCAL-2, due 2024-03-06, DB failover)</li>" in html
    assert PASSWORD not in json.dumps(outcome.to_json())


def test_wrong_password_is_a_delivery_error_and_nothing_is_recorded(
    sqlite_db: str, server_tls: Any, ca_file: Path
) -> None:
    with smtp_server(server_tls, users={"remediate": "other"}) as smtp:
        with pytest.raises(DeliveryError, match="refused the login of 'remediate'") as info:
            send_digest(email_settings(smtp.port, ca_file), database_url=sqlite_db, as_of=known.AS_OF, environ=ENV)
    assert PASSWORD not in str(info.value)
    assert smtp.messages == [] and smtp.failed_logins >= 1  # smtplib tries PLAIN, then LOGIN
    assert _sent(sqlite_db) == []  # the next run tries again


def test_an_untrusted_certificate_is_refused(sqlite_db: str, server_tls: Any) -> None:
    with smtp_server(server_tls, users={"remediate": PASSWORD}) as smtp:
        with pytest.raises(DeliveryError, match="TLS with SMTP server .* failed: CERTIFICATE_VERIFY_FAILED"):
            send_digest(email_settings(smtp.port, None), database_url=sqlite_db, as_of=known.AS_OF, environ=ENV)
    assert smtp.messages == []


def test_a_server_without_starttls_is_refused_before_the_password_is_sent(sqlite_db: str, ca_file: Path) -> None:
    with smtp_server(None, users=None) as smtp:
        with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
            send_digest(email_settings(smtp.port, ca_file), database_url=sqlite_db, as_of=known.AS_OF, environ=ENV)
    assert smtp.messages == []


def test_plain_smtp_without_login_works_when_configured(sqlite_db: str) -> None:
    with smtp_server(None, users=None) as smtp:
        settings = email_settings(smtp.port, None, smtp_starttls=False, smtp_user=None)
        assert send_digest(settings, database_url=sqlite_db, as_of=known.AS_OF, environ={}).sent
    assert [m.tls for m in smtp.messages] == [False]


@pytest.mark.parametrize(
    ("extra", "environ", "message"),
    [
        ({}, {}, r"smtp_user is set but \$REMEDIATE_SMTP_PASSWORD \(the SMTP password\) is not"),
        ({"smtp_host": None}, ENV, r"\[digest\] smtp_host must be set"),
        ({"email_to": []}, ENV, r"\[digest\] email_to must be set"),
        ({"smtp_starttls": False}, ENV, "refusing to send the SMTP password unencrypted"),
    ],
)
def test_email_configuration_errors_name_the_setting(
    sqlite_db: str, extra: dict[str, Any], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        send_digest(email_settings(2525, None, **extra), database_url=sqlite_db, as_of=known.AS_OF, environ=environ)


# --- Slack and webhooks ------------------------------------------------------------------------------


def test_slack_digest_is_block_kit(sqlite_db: str) -> None:
    with webhook_server(slack=True, path=SLACK_SECRET) as slack:
        outcome = send_digest(
            Settings(),
            database_url=sqlite_db,
            as_of=known.AS_OF,
            channel="slack",
            environ={"REMEDIATE_SLACK_WEBHOOK_URL": slack.url},
        )
    assert outcome.sent and outcome.detail == "Slack message with 7 blocks"
    [request] = slack.requests
    payload = request.body
    assert request.headers["Content-Type"] == "application/json"
    assert payload["text"] == "Remediation digest, week 2024-W15: 2 overdue, 1 due soon"
    assert [b["type"] for b in payload["blocks"]] == ["header", *["section"] * 5, "context"]
    header, headline, li, no_owner, due_soon, completed, context = payload["blocks"]
    assert header["text"] == {"type": "plain_text", "text": "Remediation digest, week 2024-W15", "emoji": False}
    assert headline["text"]["type"] == "mrkdwn" and headline["text"]["text"].startswith("*2 overdue*")
    assert li["text"]["text"] == (f"*Overdue: @li* (1)\n• 33d overdue: {known.A2} (LOCAL-2, due 2024-03-06)")
    assert no_owner["text"]["text"].startswith("*Overdue: (no owner)* (1)")
    assert known.B3 in due_soon["text"]["text"]
    assert context["elements"][0]["text"] == "remediate · as of 2024-04-08"
    assert completed["text"]["text"] == f"*Completed in the past week*\n• @sam: {known.B2} (LOCAL-6)"


def test_slack_text_is_escaped_and_a_huge_digest_still_fits(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'big.db'}"
    items = [
        {
            "text": f"Fix <b>widget</b> & gadget number {n} " + "with a long explanation " * 8,
            "owner": "@big" if n < 30 else f"@o{n % 100}",
        }
        for n in range(300)
    ]
    sync_docs(db, [document("big", items, incident=date(2024, 1, 1))])  # type: ignore[list-item]
    with webhook_server(slack=True) as slack:
        send_digest(
            Settings(),
            database_url=db,
            as_of=date(2024, 6, 1),
            channel="slack",
            environ={"REMEDIATE_SLACK_WEBHOOK_URL": slack.url},
        )
    payload = slack.requests[0].body
    assert slack_errors(payload) is None  # what Slack would accept: <= 50 blocks, sections <= 3,000 characters
    assert len(payload["blocks"]) == 50
    texts = [b["text"]["text"] for b in payload["blocks"][2:-1]]
    nxt = next(n for n, t in enumerate(texts) if t.startswith("*Overdue: @o"))
    big = texts[:nxt]  # @big's 30 items, split at line ends into sections that fit
    assert len(big) > 1 and big[0].startswith("*Overdue: @big* (30)")
    assert sum(t.count("\n• ") + t.startswith("• ") for t in big) == 30
    text = json.dumps(payload)
    assert "&lt;b&gt;widget&lt;/b&gt; &amp; gadget" in text and "<b>" not in text
    assert "more sections" in payload["blocks"][-2]["text"]["text"]


def test_webhook_errors_never_show_the_url(sqlite_db: str) -> None:
    with webhook_server(slack=True, path=SLACK_SECRET) as slack:
        wrong = slack.url.replace("XXXXsecretXXXX", "revoked")
        with pytest.raises(DeliveryError) as info:
            send_digest(
                Settings(),
                database_url=sqlite_db,
                as_of=known.AS_OF,
                channel="slack",
                environ={"REMEDIATE_SLACK_WEBHOOK_URL": wrong},
            )
    assert str(info.value) == "the Slack webhook answered 404: no_service"
    assert _sent(sqlite_db) == []


def test_a_server_echoing_the_request_never_puts_the_token_or_url_on_stderr(sqlite_db: str) -> None:
    """Servers echo requests in their errors; the bearer token and the webhook URL are secrets."""
    token = "tok-9f8e7d6c5b4a"
    with webhook_server(path="/hooks/SeCrEtPaTh") as hook:
        echoed = f"bad request: Authorization: Bearer {token}; POST {hook.url} /hooks/SeCrEtPaTh {token}"
        hook.responses.append((400, {}, echoed))
        with pytest.raises(DeliveryError) as info:
            send_digest(
                Settings(),
                database_url=sqlite_db,
                as_of=known.AS_OF,
                channel="webhook",
                environ={"REMEDIATE_WEBHOOK_URL": hook.url, "REMEDIATE_WEBHOOK_TOKEN": token},
            )
    message = str(info.value)
    assert message.startswith("the webhook answered 400: bad request")
    assert token not in message and "SeCrEtPaTh" not in message and "127.0.0.1" not in message


def test_webhook_retries_after_a_503(sqlite_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)  # send_digest sleeps with time.sleep
    with webhook_server() as hook:
        hook.responses.append((503, {"Retry-After": "0"}, "busy"))
        outcome = send_digest(
            Settings(),
            database_url=sqlite_db,
            as_of=known.AS_OF,
            channel="webhook",
            environ={"REMEDIATE_WEBHOOK_URL": hook.url},
        )
    assert outcome.sent and len(hook.requests) == 2
    assert waits == [2.0]  # Retry-After: 0 is no advice: the first backoff step
    assert len(_sent(sqlite_db)) == 1


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp()
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("slack", [False, True])
def test_webhook_honours_an_http_date_retry_after_on_the_injected_clock(slack: bool) -> None:
    """Retry-After may be an HTTP-date (RFC 9110); it was read as garbage and slept 2 s for real."""
    from remediate.reports import notify

    clock = _Clock()
    when = format_datetime(datetime.fromtimestamp(clock.now + 30, UTC), usegmt=True)
    with webhook_server(slack=slack) as hook:
        hook.responses.append((429 if slack else 503, {"Retry-After": when}, "slow down"))
        if slack:
            notify.post_slack(hook.url, text="t", blocks=[], timeout=5, sleep=clock.sleep, clock=clock)
        else:
            notify.post_webhook(hook.url, {"a": 1}, token=None, timeout=5, sleep=clock.sleep, clock=clock)
    assert clock.waits == [30.0]
    assert len(hook.requests) == 2


def test_webhook_gives_up_with_one_line_and_never_the_url() -> None:
    from remediate.reports import notify

    clock = _Clock()
    with webhook_server(path="/hooks/SeCrEtPaTh") as hook:
        hook.responses += [(503, {}, f"busy {hook.url}")] * 3
        with pytest.raises(DeliveryError) as info:
            notify.post_webhook(hook.url, {"a": 1}, token=None, timeout=5, sleep=clock.sleep, clock=clock)
        assert len(hook.requests) == 3
        hook.responses.append((429, {"Retry-After": "3600"}, "later"))
        with pytest.raises(DeliveryError) as later:
            notify.post_webhook(hook.url, {"a": 1}, token=None, timeout=5, sleep=clock.sleep, clock=clock)
    assert clock.waits == [2.0, 4.0]  # and nothing for the hour-long Retry-After
    assert str(info.value) == "the webhook answered 503: busy ***"
    assert str(later.value) == "the webhook asked to wait 3600 s (Retry-After), more than 60 s: try again later"


def test_generic_webhook_gets_the_digest_as_json_with_a_bearer_token(sqlite_db: str) -> None:
    with webhook_server() as hook:
        send_digest(
            Settings(),
            database_url=sqlite_db,
            as_of=known.AS_OF,
            channel="webhook",
            environ={"REMEDIATE_WEBHOOK_URL": hook.url, "REMEDIATE_WEBHOOK_TOKEN": "tok-123"},
        )
    [request] = hook.requests
    assert request.headers["Authorization"] == "Bearer tok-123"
    assert request.headers["User-Agent"].startswith("remediate/")
    body = request.body
    assert body["type"] == "remediate.digest"
    assert body["digest"]["period"]["key"] == "2024-W15" and body["digest"]["headline"]["overdue"] == 2
    assert body["text"].startswith("Remediation digest, week 2024-W15")


def test_missing_webhook_url_names_the_variable(sqlite_db: str) -> None:
    with pytest.raises(ConfigError, match=r"set \$REMEDIATE_SLACK_WEBHOOK_URL"):
        send_digest(Settings(), database_url=sqlite_db, channel="slack", environ={})
    custom = Settings(digest={"webhook_url_env": "HOOK"})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"\$HOOK is not an http\(s\) URL"):
        send_digest(custom, database_url=sqlite_db, channel="webhook", environ={"HOOK": "ftp://x"})


# --- once per period -----------------------------------------------------------------------------


def _sent(db: str) -> list[tuple[str, str, bool]]:
    with open_store(db) as store:
        with store.session() as session:
            rows = session.exec(select(DigestSent).order_by(DigestSent.id)).all()  # type: ignore[arg-type]
            return [(r.channel, r.period, r.forced) for r in rows]


@pytest.fixture
def hook() -> Iterator[Any]:
    with webhook_server() as server:
        yield server


def test_a_digest_is_sent_once_per_period_and_channel(database_url: str, hook: Any) -> None:
    known.build(database_url)
    env = {"REMEDIATE_WEBHOOK_URL": hook.url}

    def send(day: date, **kwargs: Any) -> str:
        return send_digest(
            Settings(), database_url=database_url, as_of=day, channel="webhook", environ=env, **kwargs
        ).status

    assert send(known.AS_OF) == "sent"
    assert send(date(2024, 4, 10)) == "skipped"  # Wednesday of the same week
    assert send(date(2024, 4, 14)) == "skipped"  # Sunday, still 2024-W15
    assert len(hook.requests) == 1
    assert send(date(2024, 4, 10), force=True) == "sent"
    assert send(date(2024, 4, 15)) == "sent"  # Monday: 2024-W16
    assert send(date(2024, 4, 15), period="month") == "sent"  # 2024-04 is another period
    assert len(hook.requests) == 4
    assert _sent(database_url) == [
        ("webhook", "2024-W15", False),
        ("webhook", "2024-W15", True),
        ("webhook", "2024-W16", False),
        ("webhook", "2024-04", False),
    ]


def test_stdout_previews_are_never_recorded(database_url: str) -> None:
    known.build(database_url)
    for _ in range(2):
        assert send_digest(Settings(), database_url=database_url, as_of=known.AS_OF, environ={}).status == "printed"
    assert _sent(database_url) == []


def test_cli_skips_a_sent_period_and_force_resends(sqlite_db: str, hook: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMEDIATE_WEBHOOK_URL", hook.url)
    runner = CliRunner()
    args = ["digest", "--as-of", "2024-04-08", "--send", "webhook", "--db", sqlite_db]
    first = runner.invoke(app, args)
    assert first.exit_code == 0 and first.stdout.startswith("sent the 2024-W15 digest: JSON webhook")
    second = runner.invoke(app, args)
    assert second.exit_code == 0
    assert second.stdout.startswith("skipped: the 2024-W15 digest was already sent by webhook on ")
    assert "(--force sends it again)" in second.stdout
    forced = runner.invoke(app, [*args, "--force", "--format", "json"])
    data = json.loads(forced.stdout)
    assert (data["status"], data["period"]) == ("sent", "2024-W15") and data["previous_sent_at"]
    assert len(hook.requests) == 2


def test_scheduler_timezone_decides_the_period(sqlite_db: str, hook: Any) -> None:
    """Sunday 23:30 UTC is already Monday in Berlin: the scheduler's digest belongs to the new week."""
    from datetime import UTC, datetime

    settings = Settings(timezone="Europe/Berlin")
    as_of = settings.today(datetime(2024, 4, 14, 23, 30, tzinfo=UTC))
    outcome = send_digest(
        settings, database_url=sqlite_db, as_of=as_of, channel="webhook", environ={"REMEDIATE_WEBHOOK_URL": hook.url}
    )
    assert outcome.period.key == "2024-W16"

"""Delivering a digest: email over SMTP, a Slack incoming webhook (Block Kit), or a JSON webhook.

Secrets never come from the config file: the SMTP password, the Slack webhook URL (it embeds a
token) and the generic webhook's URL and token are read from environment variables whose names
the ``[digest]`` table gives (defaults ``REMEDIATE_SMTP_PASSWORD``,
``REMEDIATE_SLACK_WEBHOOK_URL``, ``REMEDIATE_WEBHOOK_URL``, ``REMEDIATE_WEBHOOK_TOKEN``). Error
messages name the variable, never its value, and never a webhook URL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from remediate.errors import ConfigError, DeliveryError
from remediate.retry import Clock, GiveUp, Retrier, Retry, RetryPolicy, Sleep, default_give_up, retry_after
from remediate.secrets import credential_forms, scrub, scrub_error

if TYPE_CHECKING:
    from remediate.settings import DigestSettings

log = logging.getLogger("remediate.reports.notify")

SLACK_SECTION_LIMIT = 3000  # characters of mrkdwn in one section block
SLACK_HEADER_LIMIT = 150  # characters of plain text in a header block
SLACK_BLOCK_LIMIT = 50  # blocks in one message
WEBHOOK_ATTEMPTS = 3
MAX_RETRY_AFTER = 60.0  # the longest wait a webhook may ask for (Retry-After) and the longest backoff
MAX_TOTAL_WAIT = 45.0  # all attempts and backoffs of one delivery (remediate.budget)


# --- email -----------------------------------------------------------------------------------


def check_email(settings: DigestSettings, environ: Mapping[str, str]) -> None:
    """Refuse an email configuration that cannot work, before anything is sent."""
    missing = [
        name for name, value in (("smtp_host", settings.smtp_host), ("email_from", settings.email_from)) if not value
    ]
    if not settings.email_to:
        missing.append("email_to")
    if missing:
        raise ConfigError(f"[digest] {', '.join(missing)} must be set to send the digest by email")
    if settings.smtp_user:
        if not environ.get(settings.smtp_password_env):
            raise ConfigError(f"[digest] smtp_user is set but ${settings.smtp_password_env} (the SMTP password) is not")
        if not (settings.smtp_starttls or settings.smtp_ssl):
            raise ConfigError("[digest] refusing to send the SMTP password unencrypted: set smtp_starttls or smtp_ssl")


def send_email(
    settings: DigestSettings, *, subject: str, text: str, html: str | None, environ: Mapping[str, str]
) -> str:
    """Send one email to ``email_to``; return a description of what was done (no secrets)."""
    import ssl
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    check_email(settings, environ)
    assert settings.smtp_host and settings.email_from
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.email_from
    message["To"] = ", ".join(settings.email_to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.email_from.rpartition("@")[2] or None)
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    password = environ.get(settings.smtp_password_env) if settings.smtp_user else None
    # SMTP servers echo AUTH lines (base64 of the user and password) in their errors.
    secrets = [password, *credential_forms(settings.smtp_user, password)]
    try:
        context = ssl.create_default_context(cafile=str(settings.smtp_ca_file) if settings.smtp_ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"[digest] smtp_ca_file {settings.smtp_ca_file}: cannot load ({exc.__class__.__name__})"
        ) from None
    try:
        refused = _smtp_send(settings, message, context, environ)
    except DeliveryError as exc:
        raise scrub_error(exc, secrets) from None
    delivered = [r for r in settings.email_to if r not in refused]
    if refused:
        log.warning("SMTP server %s refused %s", where, ", ".join(refused))
    return f"email to {', '.join(delivered)} via {where}"


def _smtp_send(settings: DigestSettings, message: Any, context: Any, environ: Mapping[str, str]) -> dict[str, Any]:
    """Log in and send; every failure is a DeliveryError (that may quote the server)."""
    import smtplib
    import ssl

    assert settings.smtp_host
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        if settings.smtp_ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=settings.timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout)
        with client:
            client.ehlo()
            if settings.smtp_starttls and not settings.smtp_ssl:
                client.starttls(context=context)
                client.ehlo()  # the capabilities (AUTH) may only be offered after STARTTLS
            if settings.smtp_user:
                client.login(settings.smtp_user, environ[settings.smtp_password_env])
            refused = client.send_message(message)
    except smtplib.SMTPNotSupportedError:
        raise DeliveryError(
            f"SMTP server {where} does not offer STARTTLS (or AUTH); check [digest] smtp_starttls"
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"SMTP server {where} refused the login of {settings.smtp_user!r} ({exc.smtp_code})"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"SMTP server {where} refused every recipient: {', '.join(exc.recipients)}") from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP server {where} answered {exc.smtp_code}: {_decode(exc.smtp_error)}") from None
    except ssl.SSLError as exc:
        raise DeliveryError(
            f"TLS with SMTP server {where} failed: {exc.reason or exc.__class__.__name__} "
            "(for a private CA set [digest] smtp_ca_file)"
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"cannot reach SMTP server {where}: {exc.__class__.__name__}: {exc}") from None
    return dict(refused)


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


# --- Slack -----------------------------------------------------------------------------------


def slack_blocks(title: str, mrkdwn: str, context: str | None = None) -> list[dict[str, Any]]:
    """Block Kit blocks: a header, one section per ``---``-separated chunk (split to fit), a context line."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(title, SLACK_HEADER_LIMIT), "emoji": False}}
    ]
    chunks = [c.strip("\n") for c in _split_sections(mrkdwn)]
    sections = [piece for chunk in chunks if chunk.strip() for piece in _fit(chunk, SLACK_SECTION_LIMIT)]
    room = SLACK_BLOCK_LIMIT - len(blocks) - (1 if context else 0)
    if len(sections) > room:
        dropped = len(sections) - (room - 1)
        sections = sections[: room - 1] + [f"_…and {dropped} more sections: run `remediate digest` to see all_"]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": text}} for text in sections]
    if context:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(context, SLACK_SECTION_LIMIT)}]})
    return blocks


def _split_sections(text: str) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.strip() == "---":
            chunks.append("\n".join(current))
            current = []
        else:
            current.append(line)
    chunks.append("\n".join(current))
    return chunks


def _fit(text: str, limit: int) -> list[str]:
    """Split ``text`` at line ends into pieces of at most ``limit`` characters."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines():
        line = _cut(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        pieces.append(current)
    return pieces


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def post_slack(
    url: str,
    *,
    text: str,
    blocks: Sequence[dict[str, Any]],
    timeout: float,
    sleep: Sleep | None = None,
    clock: Clock | None = None,
) -> str:
    """Post a message to a Slack incoming webhook (``text`` is the notification fallback)."""
    payload = {"text": _cut(text, 3000), "blocks": list(blocks)}
    _post("Slack webhook", url, payload, {}, timeout, sleep=sleep, clock=clock)
    return f"Slack message with {len(blocks)} blocks"


# --- generic webhook -------------------------------------------------------------------------


def post_webhook(
    url: str,
    payload: Mapping[str, Any],
    *,
    token: str | None,
    timeout: float,
    sleep: Sleep | None = None,
    clock: Clock | None = None,
) -> str:
    """POST ``payload`` as JSON, with ``Authorization: Bearer`` when a token is given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    _post("webhook", url, payload, headers, timeout, sleep=sleep, clock=clock)
    return "JSON webhook"


def webhook_url(env_name: str, environ: Mapping[str, str], what: str) -> str:
    """The webhook URL from its environment variable, or a ConfigError naming the variable."""
    url = environ.get(env_name, "").strip()
    if not url:
        raise ConfigError(f"set ${env_name} to the {what} URL (it is read from the environment only)")
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"${env_name} is not an http(s) URL")
    return url


def _post(
    what: str,
    url: str,
    payload: Mapping[str, Any],
    headers: Mapping[str, str],
    timeout: float,
    *,
    sleep: Sleep | None,
    clock: Clock | None,
) -> None:
    """POST JSON; retry 429, 5xx and connection errors (see remediate.retry), within MAX_TOTAL_WAIT.

    A digest posted twice is a nuisance, not a duplicate ticket: the POST counts as idempotent.
    """
    import requests

    headers = {"User-Agent": _user_agent(), **headers}
    # Servers echo requests: the URL (a secret) and the bearer token must not come back.
    secrets = [url, headers.get("Authorization", "").removeprefix("Bearer ")]
    policy = RetryPolicy(
        attempts=WEBHOOK_ATTEMPTS,
        backoff=2.0,
        max_backoff=MAX_RETRY_AFTER,
        max_wait=MAX_RETRY_AFTER,
        max_total_wait=MAX_TOTAL_WAIT,
        timeout=timeout,
    )
    now = clock or time.time
    retrier = Retrier(policy, now, sleep or time.sleep)

    def send(seconds: float) -> requests.Response:
        return requests.post(url, json=payload, headers=headers, timeout=seconds)

    def classify(outcome: requests.Response | Exception) -> Retry | None:
        if isinstance(outcome, requests.RequestException):
            # The exception text contains the URL, which embeds a token: name the class only.
            problem = outcome.__class__.__name__
            return Retry(problem, error=DeliveryError(f"cannot reach the {what} ({problem})"))
        if isinstance(outcome, Exception) or not policy.retryable(outcome.status_code):
            return None
        return Retry(
            f"HTTP {outcome.status_code}",
            after=retry_after(outcome.headers, now()),
            limited=outcome.status_code == 429,
            error=_refused(what, outcome, secrets),
        )

    def give_up(stop: GiveUp) -> BaseException:
        if stop.reason == "too_long":
            return DeliveryError(
                f"the {what} asked to wait {stop.last.after:.0f} s (Retry-After), more than "
                f"{MAX_RETRY_AFTER:.0f} s: try again later"
            )
        if stop.reason == "budget":
            return DeliveryError(
                f"the {what} did not answer within {MAX_TOTAL_WAIT:g} s (last attempt: {stop.last.problem}): "
                "try again later"
            )
        return default_give_up(stop)

    response = retrier.call(send, classify, give_up=give_up)
    if response.status_code >= 300:
        raise _refused(what, response, secrets)


def _refused(what: str, response: Any, secrets: Sequence[str]) -> DeliveryError:
    said = scrub(response.text, secrets)
    return DeliveryError(f"the {what} answered {response.status_code}: {_cut(said.strip(), 200)}")


def _user_agent() -> str:
    from remediate import __version__

    return f"remediate/{__version__}"

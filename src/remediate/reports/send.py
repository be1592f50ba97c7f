"""Sending a digest once per period and channel, and rendering it for each channel.

Under the database's ``digest`` lock, the ``digest_sent`` table is checked for the period (e.g.
``2024-W15``) and channel; a digest already sent is skipped unless forced. The row is written
after delivery succeeds, so a failed delivery is retried by the next run; a crash between
delivery and the write would resend once, which beats never sending. ``stdout`` is a preview:
it is neither recorded nor skipped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlmodel import col, select

from remediate.errors import ConfigError
from remediate.models import DigestSent, utcnow
from remediate.reports.base import Period, bulk
from remediate.reports.digest import Digest
from remediate.reports.templating import render
from remediate.settings import DigestSettings
from remediate.store import Store

CHANNELS = ("stdout", "email", "slack", "webhook")
DigestStatus = Literal["sent", "skipped", "printed"]


@dataclass
class DigestOutcome:
    """What ``send_digest`` did: sent, skipped (already sent for the period) or printed (stdout)."""

    status: DigestStatus
    channel: str
    digest: Digest
    text: str  # the digest as text (digest.txt.j2), what stdout shows
    detail: str = ""  # where it went, e.g. "email to a@example.com via smtp.example.com:587"
    previous_sent_at: datetime | None = None  # when it was sent before (skipped, or forced again)

    @property
    def sent(self) -> bool:
        """True when the digest was delivered by this call."""
        return self.status == "sent"

    @property
    def period(self) -> Period:
        """The period the digest belongs to."""
        return self.digest.period

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields (the digest itself under ``digest``)."""
        return {
            "status": self.status,
            "channel": self.channel,
            "period": self.period.key,
            "detail": self.detail,
            "previous_sent_at": self.previous_sent_at.isoformat() if self.previous_sent_at else None,
            "digest": self.digest.to_json(),
        }


def check_channel(channel: str, settings: DigestSettings, environ: Mapping[str, str]) -> None:
    """Fail early, with the setting or variable to fix, when a channel cannot work."""
    from remediate.reports import notify

    if channel not in CHANNELS:
        raise ConfigError(f"unknown digest channel {channel!r} (use {', '.join(CHANNELS)})")
    if channel == "email":
        notify.check_email(settings, environ)
    elif channel == "slack":
        notify.webhook_url(settings.slack_webhook_env, environ, "Slack incoming-webhook")
    elif channel == "webhook":
        notify.webhook_url(settings.webhook_url_env, environ, "digest webhook")


def deliver(
    store: Store,
    digest: Digest,
    channel: str,
    settings: DigestSettings,
    *,
    templates_dir: Path | None,
    force: bool,
    environ: Mapping[str, str],
) -> DigestOutcome:
    """Send ``digest`` on ``channel`` unless it already went out for its period."""
    text = bulk(render)(templates_dir, "digest.txt.j2", digest=digest)  # a line per overdue item
    if channel == "stdout":
        return DigestOutcome("printed", channel, digest, text, "stdout")
    check_channel(channel, settings, environ)
    with store.lock("digest", timeout=120):
        with store.session() as session:
            previous = session.exec(
                select(DigestSent)
                .where(DigestSent.channel == channel, DigestSent.period == digest.period.key)
                .order_by(col(DigestSent.sent_at).desc())
            ).first()
        if previous is not None and not force:
            return DigestOutcome(
                "skipped", channel, digest, text, f"already sent for {digest.period.key}", previous.sent_at
            )
        detail = _send(channel, digest, text, settings, templates_dir, environ)
        with store.session() as session:
            session.add(
                DigestSent(
                    channel=channel,
                    period=digest.period.key,
                    period_start=digest.period.start,
                    period_end=digest.period.end,
                    as_of=digest.as_of,
                    sent_at=utcnow(),
                    forced=previous is not None,
                    summary=json.dumps(digest.headline),
                )
            )
            session.commit()
    return DigestOutcome("sent", channel, digest, text, detail, previous.sent_at if previous else None)


def _send(
    channel: str,
    digest: Digest,
    text: str,
    settings: DigestSettings,
    templates_dir: Path | None,
    environ: Mapping[str, str],
) -> str:
    from remediate.reports import notify

    if channel == "email":
        subject = " ".join(render(templates_dir, "digest.subject.j2", digest=digest).split())
        html = render(templates_dir, "digest.html.j2", digest=digest)
        return notify.send_email(settings, subject=subject, text=text, html=html, environ=environ)
    if channel == "slack":
        url = notify.webhook_url(settings.slack_webhook_env, environ, "Slack incoming-webhook")
        mrkdwn = render(templates_dir, "digest.slack.j2", digest=digest)
        blocks = notify.slack_blocks(digest.title, mrkdwn, f"remediate · as of {digest.as_of.isoformat()}")
        fallback = f"{digest.title}: {digest.headline['overdue']} overdue, {digest.headline['due_soon']} due soon"
        return notify.post_slack(url, text=fallback, blocks=blocks, timeout=settings.timeout)
    url = notify.webhook_url(settings.webhook_url_env, environ, "digest webhook")
    payload = {"type": "remediate.digest", "text": text, "digest": digest.to_json()}
    token = environ.get(settings.webhook_token_env) or None
    return notify.post_webhook(url, payload, token=token, timeout=settings.timeout)

"""The one secret scrubber: a server's words, and our own, without any secret in them.

Servers echo requests in their errors (the ``Authorization`` header, the URL, an SMTP ``AUTH``
line), libraries put URLs in exception texts, and a webhook URL is itself a secret. Every
error, delivery failure and log line that can carry such words goes through :func:`scrub`
before anyone sees it. It removes:

- known secret values (tokens and passwords from the environment or the config), raw and in
  the forms they travel in: JSON-escaped, URL-encoded, and for a secret URL its password, path
  and query (a Slack webhook's path is its token);
- ``Authorization: Bearer|Basic|token ...`` and ``PRIVATE-TOKEN: ...`` echoes, and a bare
  ``Bearer <credential>``;
- ``user:password@`` in URLs;
- the values of query parameters and JSON keys named like token, key, secret, password,
  signature or sig;
- SMTP ``AUTH PLAIN|LOGIN ... <credentials>`` lines;
- whatever follows ``/hooks/<tracker>/`` in a path: our webhook receiver's URL secret, for trackers
  that sign nothing (``/hooks/jira/<secret>``).

Pure: no I/O, no globals read; the caller passes the secrets it knows
(:func:`secret_values` finds them in an environment).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from typing import TypeVar
from urllib.parse import quote, urlsplit

E = TypeVar("E", bound=BaseException)

MASK = "***"
#: Shorter values are not masked: they would mask ordinary words and numbers everywhere.
MIN_SECRET_LENGTH = 6

_SECRET_VARIABLE = re.compile(r"TOKEN|PASSWORD|PASSWD|SECRET|_KEY$|^KEY$|APIKEY|_PAT$|WEBHOOK|CREDENTIAL")
_SECRET_PARTS = frozenset(
    {
        "token",
        "key",
        "secret",
        "password",
        "passwd",
        "pwd",
        "pass",
        "signature",
        "sig",
        "auth",
        "apikey",
        "credential",
        "credentials",
    }
)
_SECRET_WORDS = ("token", "secret", "password", "passwd", "apikey", "signature")

# Each pattern is linear: one bounded run of a character class per group, no nesting.
_HEADER = re.compile(
    r"(?i)(\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)"  # Authorization: / "authorization": "
    r"(?:((?:bearer|basic|token|bot|digest|negotiate)\s+))?"  # the scheme, kept
    r"([^\s\"',;}\]]+)"  # the credentials
)
_TOKEN_HEADER = re.compile(
    r"(?i)(\b(?:private-token|x-api-key|api-key|x-auth-token|x-gitlab-token|job-token)[\"']?\s*[:=]\s*[\"']?)"
    r"([^\s\"',;}\]]+)"
)
# A bare credential after a scheme word: at least 8 characters with a digit or punctuation,
# so that "Bearer authentication" or "Basic realm" stay readable.
_BARE_SCHEME = re.compile(r"(?i)\b(bearer|basic)(\s+)(?=[A-Za-z0-9._~+/=-]{0,512}[0-9._~+/=-])([A-Za-z0-9._~+/=-]{8,})")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,30}://[^/\s:@]{1,256}:)([^/\s@]{1,512})@")
_QUERY = re.compile(r"([?&;])([A-Za-z0-9_.\-\[\]]{1,64})=([^&#\s\"'<>]*)")
_JSON_KEY = re.compile(r"\"([A-Za-z0-9_.\-]{1,64})\"(\s*:\s*)\"((?:[^\"\\]|\\.){0,4096})\"")
_HOOK_PATH = re.compile(r"(/hooks/[^/\s?\"'<>]{1,64})[/?][^\s\"'<>]*")
_SMTP_AUTH = re.compile(r"(?i)\b(AUTH\s+(?:PLAIN|LOGIN|CRAM-MD5|XOAUTH2|OAUTHBEARER))([ \t]+)([^\s]+)")


def secret_name(name: str) -> bool:
    """Whether a parameter or key name says its value is a secret (``access_token``, ``X-Amz-Signature``)."""
    lowered = name.lower()
    if any(word in lowered for word in _SECRET_WORDS):
        return True
    return any(part in _SECRET_PARTS for part in re.split(r"[^a-z0-9]+", lowered) if part)


def secret_values(environ: Mapping[str, str], extra: Iterable[str | None] = ()) -> list[str]:
    """The values to mask: secret-looking environment variables plus ``extra`` (e.g. a DB password).

    Variables whose names contain TOKEN, PASSWORD, SECRET, WEBHOOK, CREDENTIAL, or end in _KEY or
    _PAT; longest first, short ones left out (see MIN_SECRET_LENGTH).
    """
    found = {value.strip() for name, value in environ.items() if _SECRET_VARIABLE.search(name.upper())}
    found.update(value.strip() for value in extra if value)
    return sorted((v for v in found if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True)


def credential_forms(user: str | None, secret: str | None) -> list[str]:
    """How a user and secret travel encoded: HTTP Basic (``user:secret``) and SASL PLAIN/LOGIN, base64."""
    if not secret:
        return []
    forms = [_b64(secret)]
    if user:
        forms += [_b64(f"{user}:{secret}"), _b64(f"\0{user}\0{secret}"), _b64(f"{user}\0{user}\0{secret}")]
    return forms


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _forms(secret: str) -> set[str]:
    """A secret as it may appear in text: raw, JSON-escaped, URL-encoded; a URL's secret parts too."""
    secret = secret.strip()
    forms = {secret, json.dumps(secret)[1:-1], quote(secret, safe="")}
    if secret.startswith(("http://", "https://")):
        parts = urlsplit(secret)
        forms.update({parts.password or "", parts.query})
        if parts.path.strip("/"):
            forms.add(parts.path)
            forms.add(parts.path.rstrip("/"))
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every secret in it replaced by ``***`` (see the module docstring)."""
    if not text:
        return text
    forms: set[str] = set()
    for secret in secrets:
        if secret:
            forms |= _forms(secret)
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    text = _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}{MASK}", text)
    text = _TOKEN_HEADER.sub(lambda m: f"{m.group(1)}{MASK}", text)
    text = _SMTP_AUTH.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _BARE_SCHEME.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _HOOK_PATH.sub(lambda m: f"{m.group(1)}/{MASK}", text)
    text = _USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    text = _QUERY.sub(
        lambda m: f"{m.group(1)}{m.group(2)}={MASK}" if m.group(3) and secret_name(m.group(2)) else m.group(0), text
    )
    return _JSON_KEY.sub(
        lambda m: f'"{m.group(1)}"{m.group(2)}"{MASK}"' if m.group(3) and secret_name(m.group(1)) else m.group(0),
        text,
    )


def scrub_error(error: E, secrets: Iterable[str | None] = ()) -> E:
    """``error`` with its message (``args[0]``, when a string) scrubbed; returned for ``raise``."""
    if error.args and isinstance(error.args[0], str):
        cleaned = scrub(error.args[0], secrets)
        if cleaned != error.args[0]:
            error.args = (cleaned, *error.args[1:])
    return error

"""The one place where PyGithub, requests and HTTP failures become remediate errors.

Every public method of the connector runs inside :func:`translate`; the transport turns
unexpected HTTP statuses into errors with :func:`error_for`. Messages say what to do next and
never contain the token (:func:`translate` also scrubs every message with
:func:`remediate.secrets.scrub`, in case GitHub or a library echoed it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import requests
import urllib3.exceptions
from github.GithubException import GithubException

from remediate.errors import (
    AuthError,
    Conflict,
    ConnectorError,
    NotFound,
    RateLimited,
    Unavailable,
)
from remediate.secrets import scrub_error

TRACKER = "github"
TOKEN_VAR = "GITHUB_TOKEN"
URL_VAR = "GITHUB_API_URL"


def _message(data: Any) -> str:
    # Only GitHub's JSON error shape is quoted; anything else (a proxy's page) is not repeated.
    if not isinstance(data, dict):
        return ""
    text = " ".join(str(data.get("message") or "").split())[:300]
    errors = data.get("errors")
    details = [
        str(err.get("message") or f"{err.get('field')} {err.get('code')}")
        for err in (errors if isinstance(errors, list) else [])
        if isinstance(err, dict)
    ]
    if details:
        text = f"{text}: {'; '.join(details)}" if text else "; ".join(details)
    return text


def error_for(status: int, data: Any, what: str, *, repo: str, hint: str = "") -> ConnectorError:
    """The remediate error for an HTTP error answer to ``what`` (e.g. "creating an issue")."""
    said = _message(data)
    said_part = f"{status} {said}".strip()
    if status == 401:
        return AuthError(
            f"GitHub rejected the token in {TOKEN_VAR} ({said_part}) while {what}: it is "
            f"invalid, expired or revoked; set {TOKEN_VAR} to a token with read and write "
            f"access to the issues of {repo}",
            tracker=TRACKER,
            status=status,
        )
    if status == 403:
        return AuthError(
            f"GitHub refused {what} ({said_part}): the token in {TOKEN_VAR} lacks permission; it "
            f"needs read and write access to the issues of {repo}",
            tracker=TRACKER,
            status=status,
        )
    if status == 404:
        return NotFound(f"{what}: not found ({said_part}){hint}", tracker=TRACKER, status=status)
    if status == 410:
        return NotFound(f"{what}: gone ({said_part}){hint}", tracker=TRACKER, status=status)
    if status >= 500:
        return Unavailable(
            f"GitHub kept failing ({said_part}) while {what}: try again later "
            "(https://www.githubstatus.com shows GitHub's own incidents)",
            tracker=TRACKER,
            status=status,
        )
    return Conflict(f"GitHub rejected {what} ({said_part}){hint}", tracker=TRACKER, status=status)


@contextmanager
def translate(secrets: Sequence[str] = (), *, base_url: str = "") -> Iterator[None]:
    """Turn anything PyGithub, requests or urllib3 raise into a ConnectorError subclass.

    Messages quote GitHub's answers, which may echo the request (token, URLs with credentials):
    they are scrubbed of ``secrets``.
    """
    try:
        yield
    except ConnectorError as exc:
        raise scrub_error(exc, secrets) from None
    except GithubException as exc:
        error: ConnectorError
        status = exc.status or 0
        if status in (403, 429) and "rate limit" in _message(exc.data).lower():
            error = RateLimited(
                f"GitHub rate limit reached ({status} {_message(exc.data)}): run again later",
                tracker=TRACKER,
            )
        else:
            error = error_for(status, exc.data, "talking to GitHub", repo="the repository")
        raise scrub_error(error, secrets) from exc
    except requests.exceptions.RetryError as exc:
        # urllib3 retries ran out (PyGithub's GithubRetry raises this, not a GithubException).
        raise scrub_error(
            Unavailable(
                f"GitHub kept failing after retries ({exc.__class__.__name__}): try again later",
                tracker=TRACKER,
            ),
            secrets,
        ) from exc
    except requests.exceptions.Timeout as exc:
        raise Unavailable(
            f"GitHub at {base_url} did not answer in time: try again later, or raise "
            "[connectors.github.pacing] timeout",
            tracker=TRACKER,
        ) from exc
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
        raise Unavailable(
            f"cannot reach GitHub at {base_url} ({exc.__class__.__name__}): check the network and {URL_VAR}",
            tracker=TRACKER,
        ) from exc
    except RuntimeError as exc:
        # PyGithub refuses redirects to another host or scheme with a RuntimeError.
        if "redirect" not in str(exc).lower():
            raise
        raise Unavailable(
            f"GitHub at {base_url} redirected to another host or scheme: check {URL_VAR}",
            tracker=TRACKER,
        ) from exc


def rate_limited(message: str, seconds: float | None) -> RateLimited:
    """A RateLimited error that says when to run again."""
    when = f"in about {int(seconds // 60)} min {int(seconds % 60)} s" if seconds else "later"
    return RateLimited(f"{message}: run again {when}", tracker=TRACKER, retry_after=seconds)

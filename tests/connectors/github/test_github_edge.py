"""The edge: every PyGithub, requests and urllib3 failure becomes a remediate error that says what to do."""

from __future__ import annotations

import pytest
import requests
import urllib3.exceptions
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import BadCredentialsException, RateLimitExceededException
from remediate_github.config import Pacing
from remediate_github.edge import error_for, translate
from remediate_github.ratelimit import Pacer, Quota, rate_limit_wait
from remediate_github.transport import policy

from remediate.errors import (
    AuthError,
    Conflict,
    ConnectorError,
    NotFound,
    RateLimited,
    Unavailable,
)
from tests.connectors.github.conftest import REPO
from tests.fakes.github import FakeGitHub

SECRET = "ghp_secretsecretsecretsecret0000000000"


def raised(exc: BaseException) -> ConnectorError:
    """What translate() turns ``exc`` into."""
    with (
        pytest.raises(ConnectorError) as caught,
        translate([SECRET], base_url="https://ghe.example.com/api/v3"),
    ):
        raise exc
    return caught.value


def test_pygithub_exceptions_map_to_the_error_tree() -> None:
    assert isinstance(raised(BadCredentialsException(401, {"message": "Bad credentials"})), AuthError)
    limited = raised(RateLimitExceededException(403, {"message": "API rate limit exceeded for user ID 1."}))
    assert isinstance(limited, RateLimited) and "run again later" in str(limited)
    assert isinstance(raised(GithubException(404, {"message": "Not Found"})), NotFound)
    assert isinstance(raised(GithubException(422, {"message": "Validation Failed"})), Conflict)
    assert isinstance(raised(GithubException(502, {"message": "Server Error"})), Unavailable)


def test_requests_and_urllib3_failures_are_unavailable_and_name_the_fix() -> None:
    retry = raised(requests.exceptions.RetryError("too many 502 error responses"))
    assert isinstance(retry, Unavailable) and "kept failing after retries" in str(retry)
    timeout = raised(requests.exceptions.ReadTimeout("read timed out"))
    assert isinstance(timeout, Unavailable) and "[connectors.github.pacing] timeout" in str(timeout)
    refused = raised(requests.exceptions.ConnectionError("refused"))
    assert isinstance(refused, Unavailable) and "GITHUB_API_URL" in str(refused)
    pool = raised(urllib3.exceptions.MaxRetryError(None, "/x"))  # type: ignore[arg-type]
    assert isinstance(pool, Unavailable)
    redirect = raised(RuntimeError("Github server redirected from host a to b, please correct ..."))
    assert isinstance(redirect, Unavailable) and "GITHUB_API_URL" in str(redirect)


def test_other_runtime_errors_are_not_swallowed() -> None:
    with pytest.raises(RuntimeError, match="a bug"), translate([SECRET]):
        raise RuntimeError("a bug")


def test_a_token_echoed_by_anyone_is_scrubbed() -> None:
    error = raised(Conflict(f"GitHub said: token {SECRET} is odd"))
    assert SECRET not in str(error) and "***" in str(error)
    echoed = raised(GithubException(422, {"message": f"bad {SECRET}"}))
    assert SECRET not in str(echoed)


def test_pygithub_own_retry_ends_in_retry_error_which_we_translate(fake: FakeGitHub) -> None:
    # What the connector avoids by retrying itself: GithubRetry gives up with a RetryError.
    fake.fail_next(10, status=502, methods=("GET",))
    client = Github(
        auth=Auth.Token(fake.token),
        base_url=fake.base_url,
        retry=GithubRetry(total=2),
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    with pytest.raises(requests.exceptions.RetryError):
        client.get_repo(REPO)
    assert fake.count("GET") == 3
    with pytest.raises(Unavailable), translate([fake.token]):
        client.get_repo(REPO)


def test_pygithub_does_not_retry_patch(fake: FakeGitHub) -> None:
    fake.open_issue(REPO, "x")
    fake.fail_next(1, status=502, methods=("PATCH",))
    client = Github(
        auth=Auth.Token(fake.token),
        base_url=fake.base_url,
        retry=GithubRetry(total=3),
        lazy=True,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    with pytest.raises(GithubException) as caught:
        client.get_repo(REPO).get_issue(1).edit(title="y")
    assert caught.value.status == 502 and fake.count("PATCH") == 1


@pytest.mark.parametrize(
    ("status", "data", "kind"),
    [
        (401, {"message": "Bad credentials"}, AuthError),
        (403, {"message": "Resource not accessible by personal access token"}, AuthError),
        (404, {"message": "Not Found"}, NotFound),
        (410, {"message": "This issue was deleted"}, NotFound),
        (
            422,
            {
                "message": "Validation Failed",
                "errors": [{"field": "title", "code": "missing_field"}],
            },
            Conflict,
        ),
        (503, "<html>unavailable</html>", Unavailable),
    ],
)
def test_error_for_statuses(status: int, data: object, kind: type[ConnectorError]) -> None:
    error = error_for(status, data, "creating an issue", repo=REPO)
    assert isinstance(error, kind) and str(status) in str(error)
    if status == 422:
        assert "title missing_field" in str(error)


def test_rate_limit_arithmetic() -> None:
    pacing = Pacing(secondary_wait=60)
    primary = rate_limit_wait(
        403,
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1100"},
        {"message": "API rate limit exceeded for user ID 1."},
        now=1000,
        pacing=pacing,
        hits=0,
    )
    assert primary is not None and (primary.kind, primary.seconds) == ("primary", 101.0)
    second = rate_limit_wait(
        403,
        {},
        {"message": "You have exceeded a secondary rate limit."},
        now=0,
        pacing=pacing,
        hits=2,
    )
    assert second is not None and (second.kind, second.seconds) == ("secondary", 240.0)
    told = rate_limit_wait(429, {"retry-after": "7"}, None, now=0, pacing=pacing, hits=5)
    assert told is not None and told.seconds == 7.0
    assert rate_limit_wait(403, {}, {"message": "Must have admin rights"}, now=0, pacing=pacing, hits=0) is None
    assert rate_limit_wait(500, {}, None, now=0, pacing=pacing, hits=0) is None
    dated = rate_limit_wait(
        429, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, None, now=1445412470.0, pacing=pacing, hits=0
    )
    assert dated is not None and dated.seconds == 10.0
    assert rate_limit_wait(429, {"retry-after": "garbage"}, None, now=0, pacing=pacing, hits=1).seconds == 120.0  # type: ignore[union-attr]
    assert [policy(Pacing(backoff=1, max_backoff=5)).backoff_for(n) for n in (0, 1, 2, 3)] == [1, 2, 4, 5]


def test_quota_keeps_old_values_when_headers_are_missing() -> None:
    first = Quota.from_headers(
        {"x-ratelimit-remaining": "10", "x-ratelimit-limit": "60", "x-ratelimit-reset": "99"},
        Quota(),
    )
    assert (first.remaining, first.limit, first.reset) == (10, 60, 99.0)
    assert Quota.from_headers({}, first) == first


def test_pacer_spaces_writes_not_reads() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(Pacing(write_interval=1.0, request_interval=0.0), lambda: now[0], sleep)
    for verb in ("POST", "GET", "GET", "PATCH", "POST"):
        pacer.before(verb)
        now[0] += 0.25  # the request takes a quarter second
        pacer.after(verb)
    # Two reads fit into the second after the first write; the PATCH waits out the rest of it,
    # the last POST a whole second after the PATCH ended.
    assert slept == [0.5, 1.0]

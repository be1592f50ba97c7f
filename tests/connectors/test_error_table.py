"""Every error answer a tracker (or a proxy in front of it) gives -> the error remediate raises.

A stateless table, so ``responses`` stubs the HTTP layer under PyGithub, jira and python-gitlab
(all three use requests) instead of the stateful fakes: each row answers every request with one
status, headers and body, and each connector's ``find`` (its one batched read, the first request
of a sync) must fail with the right ConnectorError subclass, in one line that repeats neither
the body nor the token, after the pinned number of requests (1: not retried). The connectors'
retry budgets are set explicitly below, so the counts read as "max_attempts", not magic numbers.
The fakes' tests (tests/connectors/*/) cover what needs state: recovery, pacing, moved issues.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import responses

from remediate.answers import Malformed
from remediate.connectors import Connector, ConnectorContext, MemoryCache
from remediate.errors import AuthError, Conflict, ConnectorError, NotFound, RateLimited, Unavailable
from remediate.testing import make_draft

BASE = "https://tracker.test"
EVERY_URL = re.compile(r"https://tracker\.test(:443)?/.*")  # PyGithub spells the port out
TOKEN = "tok-SECRET-6f1c2a9d8e7b4c3a"
NOW = 1_700_000_000.0

#: The retry budgets of the connectors under test (see each connector's config).
GITHUB = {
    "repo": "acme/api",
    "pacing": {
        "write_interval": 0,
        "request_interval": 0,
        "max_attempts": 3,
        "rate_limit_retries": 2,
        "backoff": 1,
        "max_backoff": 4,
    },
}
GITLAB = {"project": "acme/api", "pacing": {"max_attempts": 3, "backoff": 1, "max_total_wait": 5}}
JIRA = {"project": "OPS", "deployment": "cloud", "max_retries": 2}

HTML = (
    "<!DOCTYPE html><html><head><title>{status}</title></head><body><h1>{status}</h1>"
    f"<p>nginx: upstream said no to Authorization: Bearer {TOKEN}</p></body></html>"
)


@dataclass(frozen=True)
class Answer:
    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


def _json(**data: object) -> str:
    return json.dumps(data)


ANSWERS: dict[str, Answer] = {
    "401 bad token (echoed)": Answer(401, _json(message=f"Bad credentials {TOKEN}")),
    "401 empty body": Answer(401, "", content_type="text/plain"),
    "403 rate limit headers": Answer(
        403,
        _json(message="API rate limit exceeded for user ID 1."),
        {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(int(NOW) + 5),
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(int(NOW) + 5),
        },
    ),
    "403 permission": Answer(403, _json(message="Resource not accessible by integration")),
    "403 proxy HTML": Answer(403, HTML.format(status="403 Forbidden"), content_type="text/html"),
    "404": Answer(404, _json(message="Not Found")),
    "404 empty body": Answer(404, "", content_type="text/plain"),
    "410": Answer(410, _json(message="Issues are disabled for this repo")),
    "422 errors array": Answer(
        422,
        _json(message="Validation Failed", errors=[{"resource": "Issue", "field": "labels", "code": "invalid"}]),
    ),
    "429 Retry-After": Answer(429, _json(message="Too many requests"), {"Retry-After": "2"}),
    "500": Answer(500, _json(message="Server Error")),
    "502": Answer(502, _json(message="Bad Gateway")),
    "503": Answer(503, _json(message="Service Unavailable")),
    "503 empty body": Answer(503, "", content_type="text/plain"),
    "502 proxy HTML": Answer(502, HTML.format(status="502 Bad Gateway"), content_type="text/html"),
    "200 proxy HTML": Answer(200, HTML.format(status="Sign in"), content_type="text/html"),
}

Expected = tuple[type[ConnectorError], int]  # the error class, the requests sent

#: answer -> {tracker: (error, requests sent)}; 1 request: not retried.
TABLE: dict[str, dict[str, Expected]] = {
    "401 bad token (echoed)": {"github": (AuthError, 1), "gitlab": (AuthError, 1), "jira": (AuthError, 1)},
    "401 empty body": {"github": (AuthError, 1), "gitlab": (AuthError, 1), "jira": (AuthError, 1)},
    # GitHub's primary limit is a 403 with x-ratelimit-remaining: 0: waited for (5 s), then given up
    # after rate_limit_retries; GitLab and Jira limit with 429, so their 403 is a permission.
    "403 rate limit headers": {"github": (RateLimited, 3), "gitlab": (AuthError, 1), "jira": (AuthError, 1)},
    "403 permission": {"github": (AuthError, 1), "gitlab": (AuthError, 1), "jira": (AuthError, 1)},
    "403 proxy HTML": {"github": (AuthError, 1), "gitlab": (AuthError, 1), "jira": (AuthError, 1)},
    "404": {"github": (NotFound, 1), "gitlab": (NotFound, 1), "jira": (NotFound, 1)},
    "404 empty body": {"github": (NotFound, 1), "gitlab": (NotFound, 1), "jira": (NotFound, 1)},
    # Jira answers 410 for a removed API version; GitLab's 410 has no class of its own.
    "410": {"github": (NotFound, 1), "gitlab": (ConnectorError, 1), "jira": (Unavailable, 1)},
    "422 errors array": {"github": (Conflict, 1), "gitlab": (Conflict, 1), "jira": (Conflict, 1)},
    # GitLab's 429s are bounded by max_total_wait (5 s: two waits of 2 s), the others' by a count.
    "429 Retry-After": {"github": (RateLimited, 3), "gitlab": (RateLimited, 3), "jira": (RateLimited, 3)},
    "500": {"github": (Unavailable, 3), "gitlab": (Unavailable, 3), "jira": (Unavailable, 3)},
    "502": {"github": (Unavailable, 3), "gitlab": (Unavailable, 3), "jira": (Unavailable, 3)},
    "503": {"github": (Unavailable, 3), "gitlab": (Unavailable, 3), "jira": (Unavailable, 3)},
    "503 empty body": {"github": (Unavailable, 3), "gitlab": (Unavailable, 3), "jira": (Unavailable, 3)},
    "502 proxy HTML": {"github": (Unavailable, 3), "gitlab": (Unavailable, 3), "jira": (Unavailable, 3)},
    # A success that is not JSON (a captive portal's sign-in page) is malformed, not retried.
    "200 proxy HTML": {"github": (Malformed, 1), "gitlab": (Malformed, 1), "jira": (Malformed, 1)},
}

#: What the one line must say for a few answers whose words matter.
SAYS = {
    ("github", "422 errors array"): "Validation Failed: labels invalid",
    ("github", "401 bad token (echoed)"): "GITHUB_TOKEN",
    ("gitlab", "401 bad token (echoed)"): "GITLAB_TOKEN",
    ("jira", "401 bad token (echoed)"): "JIRA_API_TOKEN",
    ("github", "403 rate limit headers"): "rate limit",
    ("jira", "429 Retry-After"): "rate-limits",
}

#: Known defects, left for the owner of the transport module (see the reason).
DEFECTS: dict[tuple[str, str], str] = {}


class Clock:
    """The connectors' injected clock and sleep: sleeping advances time, nothing waits."""

    def __init__(self) -> None:
        self.now = NOW
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _github(clock: Clock) -> Connector:
    from remediate_github import GitHubConnector
    from remediate_github.config import Config

    context = ConnectorContext(env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": BASE}, cache=MemoryCache())
    return GitHubConnector(Config.model_validate(GITHUB), context, clock=clock, sleep=clock.sleep)


def _gitlab(clock: Clock) -> Connector:
    from remediate_gitlab import GitLabConnector
    from remediate_gitlab.config import Config

    context = ConnectorContext(env={"GITLAB_TOKEN": TOKEN, "GITLAB_URL": BASE}, cache=MemoryCache())
    return GitLabConnector(Config.model_validate(GITLAB), context, clock=clock, sleep=clock.sleep)


def _jira(clock: Clock) -> Connector:
    from remediate_jira import JiraConnector

    env = {"JIRA_URL": BASE, "JIRA_USER": "bot@example.com", "JIRA_API_TOKEN": TOKEN}
    context = ConnectorContext(env=env, cache=MemoryCache())
    return JiraConnector(
        JiraConnector.Config.model_validate(JIRA),
        context,
        sleep=clock.sleep,
        clock=lambda: datetime.fromtimestamp(clock.now, UTC),
    )


BUILD: dict[str, Callable[[Clock], Connector]] = {"github": _github, "gitlab": _gitlab, "jira": _jira}


@pytest.fixture
def stub() -> Iterator[responses.RequestsMock]:
    """No request leaves the process: anything not registered fails as a ConnectionError."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _cases() -> list[object]:
    cases: list[object] = []
    for label, row in TABLE.items():
        for tracker, expected in row.items():
            marks = (
                [pytest.mark.xfail(reason=DEFECTS[(tracker, label)], strict=True)]
                if (tracker, label) in DEFECTS
                else []
            )
            cases.append(pytest.param(tracker, label, expected, id=f"{tracker}-{label}", marks=marks))
    return cases


def test_the_table_covers_every_answer_for_every_connector() -> None:
    assert set(TABLE) == set(ANSWERS)
    assert all(set(row) == set(BUILD) for row in TABLE.values())


@pytest.mark.parametrize(("tracker", "label", "expected"), _cases())
def test_an_error_answer_becomes_one_clear_error(
    stub: responses.RequestsMock, tracker: str, label: str, expected: Expected
) -> None:
    answer = ANSWERS[label]
    for method in ("GET", "POST"):  # Jira Cloud searches with GET, older sites with POST
        stub.add(
            method,
            EVERY_URL,
            status=answer.status,
            body=answer.body,
            headers=answer.headers,
            content_type=answer.content_type,
        )
    clock = Clock()
    error_class, sent = expected

    with pytest.raises(ConnectorError) as caught:
        BUILD[tracker](clock).find([make_draft(1)])

    error = caught.value
    message = str(error)
    assert type(error) is error_class or (isinstance(error, error_class) and error_class is not ConnectorError), (
        f"{type(error).__name__}: {message}"
    )
    assert len(stub.calls) == sent, [c.request.url for c in stub.calls]
    assert len(clock.sleeps) == sent - 1  # every retry waited first, on the injected clock
    assert message.startswith(f"{tracker}: ") and "\n" not in message and len(message) < 400, message
    assert TOKEN not in message and TOKEN not in repr(error.args)
    assert "<" not in message and "upstream" not in message, message  # no page of a proxy's
    if (tracker, label) in SAYS:
        assert SAYS[(tracker, label)] in message, message

"""The fake GitHub behaves like GitHub: checked with PyGithub, raw HTTP and the OpenAPI description."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import github
import pytest
import requests
from github import Auth, Github

from tests.connectors.github.conftest import REPO
from tests.fakes.github import FakeGitHub
from tests.fakes.openapi import OpenApiCheck


@pytest.fixture
def gh(fake: FakeGitHub) -> Iterator[Github]:
    """Plain PyGithub on the fake, throttles off."""
    client = Github(
        auth=Auth.Token(fake.token),
        base_url=fake.base_url,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    yield client
    client.close()


def call(fake: FakeGitHub, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> requests.Response:
    """One raw HTTP request to the fake."""
    headers = {"Authorization": f"token {token or fake.token}", **kwargs.pop("headers", {})}
    return requests.request(method, fake.base_url + path, headers=headers, timeout=5, **kwargs)


def test_responses_match_the_openapi_description(fake: FakeGitHub) -> None:
    check = OpenApiCheck()
    exchanges = [
        ("GET", f"/repos/{REPO}", None),
        (
            "POST",
            f"/repos/{REPO}/labels",
            {"name": "remediation", "color": "d93f0b", "description": "d"},
        ),
        ("GET", f"/repos/{REPO}/labels/remediation", None),
        (
            "POST",
            f"/repos/{REPO}/issues",
            {"title": "One", "body": "b", "labels": ["remediation"], "assignees": ["alice"]},
        ),
        ("POST", f"/repos/{REPO}/issues", {"title": "Two"}),
        ("GET", f"/repos/{REPO}/issues?state=all&per_page=1", None),
        ("GET", f"/repos/{REPO}/issues/1", None),
        ("PATCH", f"/repos/{REPO}/issues/1", {"state": "closed", "state_reason": "not_planned"}),
        (
            "POST",
            f"/repos/{REPO}/issues/1/sub_issues",
            {"sub_issue_id": fake.issue(REPO, 1).id if fake.repo(REPO).issues else 0},
        ),
        ("GET", f"/repos/{REPO}/issues/1/sub_issues", None),
        ("GET", f"/repos/{REPO}/issues/99", None),
        ("POST", f"/repos/{REPO}/issues", {"title": "x" * 300}),
        ("GET", "/repos/acme/missing", None),
    ]
    problems: list[str] = []
    for method, path, body in exchanges:
        if path.endswith("/sub_issues") and method == "POST":
            body = {"sub_issue_id": fake.issue(REPO, 2).id}
        answer = call(fake, method, path, json=body)
        problems += check.response_problems(
            method,
            path.split("?")[0],
            answer.status_code,
            answer.content,
            answer.headers["Content-Type"],
        )
    assert problems == []
    assert [r.status for r in fake.requests] == [
        200,
        201,
        200,
        201,
        201,
        200,
        200,
        200,
        201,
        200,
        404,
        422,
        404,
    ]


def test_every_answer_carries_rate_limit_headers_and_a_304_costs_nothing(fake: FakeGitHub) -> None:
    first = call(fake, "GET", f"/repos/{REPO}/issues")
    assert {h.lower() for h in first.headers} >= {
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-used",
        "x-ratelimit-reset",
        "x-ratelimit-resource",
        "etag",
    }
    remaining = int(first.headers["X-RateLimit-Remaining"])
    again = call(fake, "GET", f"/repos/{REPO}/issues", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert int(again.headers["X-RateLimit-Remaining"]) == remaining
    fake.open_issue(REPO, "changed")
    changed = call(fake, "GET", f"/repos/{REPO}/issues", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and int(changed.headers["X-RateLimit-Remaining"]) == remaining - 1


def test_etags_are_per_token(fake: FakeGitHub) -> None:
    # github/docs#34689: an ETag from one token gives no 304 to another (rotating app tokens).
    fake.token, old = "ghp_second_token_000000000000000000000", fake.token
    second = call(fake, "GET", f"/repos/{REPO}")
    fake.token = old
    first = call(fake, "GET", f"/repos/{REPO}", headers={"If-None-Match": second.headers["ETag"]})
    assert first.status_code == 200


def test_pygithub_paginates_through_link_headers_with_every_filter(fake: FakeGitHub, gh: Github) -> None:
    for n in range(7):
        fake.open_issue(REPO, f"i{n}", labels=("a", "b") if n % 2 else ("a",))
    fake.open_issue(REPO, "a pull request", labels=("a", "b"), pull_request=True)
    fake.set_state(REPO, 1, "closed")
    client = Github(
        auth=Auth.Token(fake.token),
        base_url=fake.base_url,
        per_page=2,
        retry=None,
        seconds_between_requests=None,
        lazy=True,
    )
    issues = client.get_repo(REPO).get_issues(state="all", labels=["a", "b"])
    assert issues.totalCount == 4  # read from the page number of rel="last" (per_page=1)
    titles = [i.title for i in issues]
    assert titles == ["a pull request", "i5", "i3", "i1"]  # PRs are listed too, newest first
    follow = [r for r in fake.requests if r.path.startswith("/repositories/")]
    assert follow and all(dict(r.query)["labels"] == "a,b" and dict(r.query)["per_page"] == "2" for r in follow)
    link = fake.requests[1].headers["Link"]
    assert 'rel="next"' in link and 'rel="last"' in link and link.startswith(f"<{fake.base_url}/repositories/")


def test_requests_the_api_does_not_allow_are_rejected_and_recorded(fake: FakeGitHub) -> None:
    bad = [
        ("GET", f"/repos/{REPO}/issues?state=bogus", None),
        ("GET", f"/repos/{REPO}/issues?per_page=500", None),
        ("GET", f"/repos/{REPO}/issues?lables=a", None),
        ("POST", f"/repos/{REPO}/issues", {"body": "no title"}),
        ("POST", f"/repos/{REPO}/issues", {"title": "t", "label": ["a"]}),
        ("PATCH", f"/repos/{REPO}/issues/1", {"state": "shut"}),
        ("POST", f"/repos/{REPO}/issues/1/sub_issues", {"sub_issue_id": "12"}),
        ("DELETE", f"/repos/{REPO}/issues/1", None),
    ]
    for method, path, body in bad:
        assert call(fake, method, path, json=body).status_code == 422, (method, path)
    assert len(fake.violations) >= len(bad)
    fake.violations.clear()  # expected here; the fixture asserts none elsewhere


def test_error_bodies_look_like_githubs(fake: FakeGitHub) -> None:
    unauthorized = call(fake, "GET", f"/repos/{REPO}", token="ghp_nope")
    assert unauthorized.status_code == 401 and unauthorized.json()["message"] == "Bad credentials"
    missing = call(fake, "GET", "/repos/acme/missing")
    assert missing.status_code == 404 and missing.json()["message"] == "Not Found"
    too_long = call(fake, "POST", f"/repos/{REPO}/issues", json={"title": "t" * 257})
    assert too_long.json()["errors"] == [
        {
            "resource": "Issue",
            "field": "title",
            "code": "custom",
            "message": "title is too long (maximum is 256 characters)",
        }
    ]
    stranger = call(fake, "POST", f"/repos/{REPO}/issues", json={"title": "t", "assignees": ["mallory"]})
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == "assignees"


def test_pygithub_raises_its_own_exceptions_on_the_fakes_errors(fake: FakeGitHub, gh: Github) -> None:
    with pytest.raises(github.UnknownObjectException):
        gh.get_repo("acme/missing")
    with pytest.raises(github.BadCredentialsException):
        Github(auth=Auth.Token("ghp_bad"), base_url=fake.base_url, retry=None).get_repo(REPO)
    fake.exhaust_quota(600)
    with pytest.raises(github.RateLimitExceededException):
        gh.get_repo(REPO)


def test_patch_replaces_labels_and_assignees_and_reason_needs_a_state_change(
    fake: FakeGitHub,
) -> None:
    call(
        fake,
        "POST",
        f"/repos/{REPO}/issues",
        json={"title": "t", "labels": ["a", "b"], "assignees": ["alice"]},
    )
    call(fake, "PATCH", f"/repos/{REPO}/issues/1", json={"labels": ["c"], "assignees": ["bob"]})
    issue = fake.issue(REPO, 1)
    assert [label.name for label in issue.labels] == ["c"] and issue.assignees == ["bob"]
    assert fake.repo(REPO).labels["c"].color == "ededed"  # unknown labels are created
    call(fake, "PATCH", f"/repos/{REPO}/issues/1", json={"state_reason": "not_planned"})
    assert (issue.state, issue.state_reason) == ("open", None)  # ignored: state did not change
    call(
        fake,
        "PATCH",
        f"/repos/{REPO}/issues/1",
        json={"state": "closed", "state_reason": "not_planned"},
    )
    assert (issue.state, issue.state_reason) == ("closed", "not_planned")
    call(
        fake,
        "PATCH",
        f"/repos/{REPO}/issues/1",
        json={"state": "closed", "state_reason": "completed"},
    )
    assert issue.state_reason == "not_planned"
    call(fake, "PATCH", f"/repos/{REPO}/issues/1", json={"labels": [], "assignees": []})
    assert issue.labels == [] and issue.assignees == []


def test_sub_issues_go_by_id_with_one_parent_and_at_most_100(fake: FakeGitHub) -> None:
    for n in range(103):
        fake.open_issue(REPO, f"i{n}")
    parent, child = fake.issue(REPO, 1), fake.issue(REPO, 2)
    by_number = call(fake, "POST", f"/repos/{REPO}/issues/1/sub_issues", json={"sub_issue_id": 2})
    assert by_number.status_code == 422  # a number is not an id
    assert call(fake, "POST", f"/repos/{REPO}/issues/1/sub_issues", json={"sub_issue_id": child.id}).status_code == 201
    assert call(fake, "POST", f"/repos/{REPO}/issues/3/sub_issues", json={"sub_issue_id": child.id}).status_code == 422
    for n in range(3, 102):
        call(
            fake,
            "POST",
            f"/repos/{REPO}/issues/1/sub_issues",
            json={"sub_issue_id": fake.issue(REPO, n).id},
        )
    assert len(parent.sub_issues) == 100
    over = call(
        fake,
        "POST",
        f"/repos/{REPO}/issues/1/sub_issues",
        json={"sub_issue_id": fake.issue(REPO, 103).id},
    )
    assert over.status_code == 422
    listed = call(fake, "GET", f"/repos/{REPO}/issues/1/sub_issues?per_page=100")
    assert len(listed.json()) == 100 and 'rel="last"' not in listed.headers.get("Link", "")


def test_transferred_and_deleted_issues(fake: FakeGitHub, gh: Github) -> None:
    fake.add_repo("acme/other")
    fake.open_issue(REPO, "moving")
    fake.open_issue(REPO, "going")
    fake.transfer(REPO, 1, "acme/other")
    fake.delete(REPO, 2)
    moved = call(fake, "GET", f"/repos/{REPO}/issues/1", allow_redirects=False)
    assert moved.status_code == 301 and "/repositories/" in moved.headers["Location"]
    assert call(fake, "PATCH", f"/repos/{REPO}/issues/1", json={"title": "x"}, allow_redirects=False).status_code == 307
    followed = gh.get_repo(REPO).get_issue(1)
    assert followed.repository_url.endswith("/repos/acme/other") and followed.number == 1
    gone = call(fake, "GET", f"/repos/{REPO}/issues/2")
    assert gone.status_code == 410 and json.loads(gone.content)["message"] == "This issue was deleted"


def test_secondary_limit_answers_and_automatic_content_limit(fake: FakeGitHub) -> None:
    fake.tick = 0.1  # 81 creations within 8 s: over GitHub's 80 content-creating requests a minute
    answers = [call(fake, "POST", f"/repos/{REPO}/issues", json={"title": f"t{n}"}) for n in range(81)]
    assert [a.status_code for a in answers[:80]] == [201] * 80
    assert answers[80].status_code == 403
    assert answers[80].json()["message"].startswith("You have exceeded a secondary rate limit")
    assert len(fake.all_issues(REPO)) == 80  # the refused request created nothing
    fake.secondary_limit(status=429, retry_after=7, duration=5)
    fake.advance(61)
    limited = call(fake, "POST", f"/repos/{REPO}/issues", json={"title": "later"})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    fake.advance(10)
    assert call(fake, "POST", f"/repos/{REPO}/issues", json={"title": "later"}).status_code == 201

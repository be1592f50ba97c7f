"""The fake Jira itself: it must accept what Jira accepts and refuse what Jira refuses."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from remediate_jira.markup import escape_wiki, safe_url, summary

from tests.fakes.jira import FakeJira


def call(fake: FakeJira, method: str, path: str, **kwargs: Any) -> requests.Response:
    """One authenticated request to the fake, as a raw HTTP client would send it."""
    if "auth" not in kwargs and "headers" not in kwargs:
        if fake.mode == "cloud":
            kwargs["auth"] = (fake.email, fake.api_token)
        else:
            kwargs["headers"] = {"Authorization": f"Bearer {fake.pat}"}
    return requests.request(method, f"{fake.base}{path}", timeout=5, **kwargs)


def new_issue(fake: FakeJira) -> dict[str, Any]:
    body = {"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "s"}}
    response = call(fake, "POST", "/rest/api/2/issue", json=body)
    assert response.status_code == 201
    return dict(response.json())


def test_created_issue_is_readable_by_key_and_by_self(fake: FakeJira) -> None:
    created = new_issue(fake)
    assert created["self"] == f"{fake.base}/rest/api/2/issue/{created['id']}"
    by_key = call(fake, "GET", f"/rest/api/2/issue/{created['key']}").json()
    by_self = call(fake, "GET", created["self"].removeprefix(fake.base)).json()
    assert by_key["id"] == by_self["id"] == created["id"]


def test_remote_links_upsert_by_global_id(fake: FakeJira) -> None:
    key = new_issue(fake)["key"]
    link = {"globalId": "g-1", "object": {"url": "https://a.example", "title": "A"}}
    first = call(fake, "POST", f"/rest/api/2/issue/{key}/remotelink", json=link)
    link["object"] = {"url": "https://b.example", "title": "B"}
    second = call(fake, "POST", f"/rest/api/2/issue/{key}/remotelink", json=link)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    listed = call(fake, "GET", f"/rest/api/2/issue/{key}/remotelink").json()
    assert [item["object"]["title"] for item in listed] == ["B"]
    fake.validate = False  # let the request past the contract check to reach the fake's own rule
    no_title = call(fake, "POST", f"/rest/api/2/issue/{key}/remotelink", json={"object": {"url": "https://c"}})
    assert no_title.status_code == 400 and no_title.json()["errors"] == {"title": "'title' is required."}


def test_transition_ids_as_int_or_string_on_data_center(dc: FakeJira) -> None:
    key = new_issue(dc)["key"]
    ids = {t["name"]: t["id"] for t in call(dc, "GET", f"/rest/api/2/issue/{key}/transitions").json()["transitions"]}
    assert (
        call(
            dc, "POST", f"/rest/api/2/issue/{key}/transitions", json={"transition": {"id": int(ids["Done"])}}
        ).status_code
        == 204
    )
    assert dc.issue(key)["fields"]["resolution"]["name"] == "Done"
    assert (
        call(
            dc, "POST", f"/rest/api/2/issue/{key}/transitions", json={"transition": {"id": ids["In Progress"]}}
        ).status_code
        == 204
    )
    assert dc.issue(key)["fields"]["resolution"] is None
    bad = call(dc, "POST", f"/rest/api/2/issue/{key}/transitions", json={"transition": {"id": "999"}})
    assert bad.status_code == 400 and "Transition id '999' is not valid" in bad.json()["errorMessages"][0]


def test_cloud_mode_flags_requests_outside_the_contract(cloud: FakeJira) -> None:
    key = new_issue(cloud)["key"]
    # The schema types transition.id as a string (Jira is laxer): the fake holds us to the spec.
    response = call(cloud, "POST", f"/rest/api/2/issue/{key}/transitions", json={"transition": {"id": 31}})
    assert response.status_code == 400 and "does not match the contract" in response.text
    assert call(cloud, "GET", "/rest/api/3/issue/OPS-1/votes").status_code == 400  # not in the extract
    assert len(cloud.contract_violations) == 2
    cloud.contract_violations.clear()  # expected here; the fixture asserts none elsewhere


def test_auth_is_basic_on_cloud_and_bearer_on_data_center(fake: FakeJira) -> None:
    wrong = {"headers": {"Authorization": f"Bearer {fake.pat}"}} if fake.mode == "cloud" else {"auth": ("me", "pw")}
    assert call(fake, "GET", "/rest/api/2/issue/OPS-1", **wrong).status_code == 401
    assert requests.get(f"{fake.base}/rest/api/2/issue/OPS-1", timeout=5).status_code == 401
    info = requests.get(f"{fake.base}/rest/api/2/serverInfo", timeout=5).json()  # anonymous is fine
    assert info["deploymentType"] == ("Cloud" if fake.mode == "cloud" else "Server")
    assert isinstance(info["versionNumbers"], list)


def test_429_carries_the_real_headers(fake: FakeJira) -> None:
    fake.rate_limit("GET", r"/field$", retry_after="0")
    response = call(fake, "GET", "/rest/api/2/field")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "0"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    if fake.mode == "cloud":
        assert response.headers["RateLimit-Reason"] == "jira-burst-based"
        assert response.headers["X-RateLimit-Reset"].endswith("Z") and "T" in response.headers["X-RateLimit-Reset"]
    else:
        assert response.headers["X-RateLimit-FillRate"] == "10"
    assert call(fake, "GET", "/rest/api/2/field").status_code == 200


def test_search_lags_behind_writes_on_demand(cloud: FakeJira) -> None:
    cloud.lag = True
    key = new_issue(cloud)["key"]
    search = {"jql": "project = OPS", "fields": "summary"}
    assert call(cloud, "GET", "/rest/api/3/search/jql", params=search).json()["issues"] == []
    assert call(cloud, "GET", f"/rest/api/3/issue/{key}").status_code == 200  # reads never lag
    cloud.catch_up()
    assert [i["key"] for i in call(cloud, "GET", "/rest/api/3/search/jql", params=search).json()["issues"]] == [key]


def test_cloud_search_is_bounded_and_defaults_to_ids(cloud: FakeJira) -> None:
    new_issue(cloud)
    unbounded = call(cloud, "GET", "/rest/api/3/search/jql", params={"jql": "ORDER BY key DESC"})
    assert unbounded.status_code == 400 and "Unbounded JQL" in unbounded.text
    page = call(cloud, "GET", "/rest/api/3/search/jql", params={"jql": "project = OPS"}).json()
    assert page["isLast"] is True and "total" not in page
    assert page["issues"][0]["fields"] == {}  # fields default to id only
    assert call(cloud, "GET", "/rest/api/3/search/jql", params={"jql": "projectz = OPS"}).status_code == 400


def test_v3_description_must_be_adf(cloud: FakeJira) -> None:
    body = {
        "fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "s", "description": "plain"}
    }
    response = call(cloud, "POST", "/rest/api/3/issue", json=body)
    assert response.status_code == 400
    assert response.json()["errors"]["description"].startswith("Operation value must be an Atlassian Document")


# --- text formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*bold* _it_ -strike- +under+", r"\*bold\* \_it\_ \-strike\- \+under\+"),
        ("[evil|http://x]", r"\[evil\|http://x\]"),
        ("{code}x{code}", r"\{code\}x\{code\}"),
        ("line one\nh1. heading", "line one h1. heading"),
        ("C:\\temp\\*", r"C:&#92;temp&#92;\*"),
        ("!image.png!", r"\!image.png\!"),
        ("| a | b |", r"\| a \| b \|"),
    ],
)
def test_escape_wiki(text: str, expected: str) -> None:
    assert escape_wiki(text) == expected


def test_safe_url_and_summary() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://x.example/a b|c]") == "https://x.example/a%20b%7Cc%5D"
    assert summary("a\nb") == "a b"
    assert len(summary("x" * 300)) == 255

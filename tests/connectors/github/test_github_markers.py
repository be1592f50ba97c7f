"""Pure text rules of the GitHub connector: neutralising pings, titles, markers, labels, references."""

from __future__ import annotations

from datetime import date

import pytest
from remediate_github.markers import (
    BODY_MAX,
    find_item_marker,
    find_tracking_marker,
    issue_body,
    issue_title,
    item_marker,
    neutralise,
    postmortem_label,
    postmortem_link,
    shorten,
    tracking_marker,
)
from remediate_github.refs import IssueAddress, References, web_base

from remediate.connectors import PostmortemInfo
from remediate.testing import POSTMORTEM, make_draft


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ask @alice", "ask `@alice`"),
        ("ping @acme/sre-team now", "ping `@acme/sre-team` now"),
        ("see #123, and acme/api#7 or GH-9.", "see `#123`, and `acme/api#7` or `GH-9`."),
        ("(@bob)", "(`@bob`)"),
        ("mail alice@example.com", "mail alice@example.com"),
        ("a #hashtag and issue#12 and &#123;", "a #hashtag and issue#12 and &#123;"),
        ("https://x.example/page#12 stays", "https://x.example/page#12 stays"),
        (
            "see https://github.com/acme/api/issues/12 and @x",
            "see https://github.com/acme/api/issues/12 and `@x`",
        ),
        ("x.example/page#12", "x.example/page#12"),
        ("already `@alice #1` in code", "already `@alice #1` in code"),
        ("``@a `b` #2`` then @c", "``@a `b` #2`` then `@c`"),
        ("unclosed ` @d", "unclosed ` `@d`"),
        ("no pings here", "no pings here"),
    ],
)
def test_neutralise(text: str, expected: str) -> None:
    assert neutralise(text) == expected


def test_shorten_cuts_at_a_word_and_marks_it() -> None:
    assert shorten("short", 10) == "short"
    assert shorten("one two three four", 12) == "one two…"
    assert shorten("  spread\nover   lines ", 50) == "spread over lines"
    assert len(shorten("x" * 500, 256)) == 256


def test_title_falls_back_to_text_then_id() -> None:
    assert issue_title(make_draft(1, title="  Add   alerting ")) == "Add alerting"
    assert issue_title(make_draft(1, title="", text="From the text")) == "From the text"
    assert issue_title(make_draft(1, title="", text="")) == "Action item contract0001"


def test_markers_round_trip_and_cannot_close_the_comment() -> None:
    for item_id in ("abc123def456", "weird --> id", "ünï"):
        body = f"text\n{item_marker(item_id)}\n"
        assert find_item_marker(body) == item_id
        assert item_marker(item_id).count("-->") == 1
    assert find_item_marker("no marker") is None and find_item_marker(None) is None
    assert find_tracking_marker(tracking_marker("2024-05-01-x")) == "2024-05-01-x"
    assert find_item_marker(tracking_marker("x")) is None


def test_body_of_an_unowned_undated_item() -> None:
    body = issue_body(make_draft(1, owner=None, due=None, priority=None, section=""), None)
    assert "**Owner:** not set" in body and "**Due:** not set" in body and "**Priority:** not set" in body
    assert body.rstrip().endswith(item_marker("contract0001"))


def test_body_is_capped_but_keeps_the_marker() -> None:
    body = issue_body(make_draft(1, text="y" * (BODY_MAX * 2)), None)
    assert len(body) <= BODY_MAX and "truncated" in body and find_item_marker(body) == "contract0001"


def test_postmortem_link_forms() -> None:
    assert postmortem_link(POSTMORTEM).startswith("[API outage of 1 May 2024](https://")
    local = PostmortemInfo(id="pm", title="Ping @team [x]", date=None, source="docs/pm.md", link=None)
    assert postmortem_link(local) == "Ping `@team` \\[x\\] (`docs/pm.md`)"
    path_link = PostmortemInfo(id="pm", title=None, date=None, source="a.md", link="postmortems/a.md")
    assert postmortem_link(path_link) == "pm (`postmortems/a.md`)"


def test_postmortem_labels_fit_githubs_rules() -> None:
    pm = PostmortemInfo(id="2024-05-01, api outage", title=None, date=date(2024, 5, 1), source="x")
    assert postmortem_label("postmortem:{id}", pm) == "postmortem:2024-05-01- api outage"
    assert postmortem_label("pm-{date}", pm) == "pm-2024-05-01"
    long_a = PostmortemInfo(id="a" * 60 + "1", title=None, date=None, source="x")
    long_b = PostmortemInfo(id="a" * 60 + "2", title=None, date=None, source="x")
    label_a, label_b = (
        postmortem_label("postmortem:{id}", long_a),
        postmortem_label("postmortem:{id}", long_b),
    )
    assert len(label_a) <= 50 and len(label_b) <= 50 and label_a != label_b


def test_web_base_for_each_kind_of_server() -> None:
    assert web_base("https://api.github.com") == "https://github.com"
    assert web_base("https://ghe.example.com/api/v3") == "https://ghe.example.com"
    assert web_base("https://api.acme.ghe.com") == "https://acme.ghe.com"
    assert web_base("http://127.0.0.1:8080") == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("#12", "acme/api#12"),
        ("gh-12", "acme/api#12"),
        (" <acme/API#3> ", "acme/api#3"),
        ("other/repo.js#4", "other/repo.js#4"),
        ("https://github.com/acme/api/issues/7", "acme/api#7"),
        ("https://www.github.com/acme/api/issues/7/", "acme/api#7"),
        ("https://github.com/other/x/issues/8?q=1#issuecomment-2", "other/x#8"),
        ("https://api.github.com/repos/acme/api/issues/9", "acme/api#9"),
        # A pull request is an issue with the same number; the parser used to turn these URLs
        # into acme/api#7, which this claimed: the connector now reads the URL itself.
        ("https://github.com/acme/api/pull/7", "acme/api#7"),
        ("https://github.com/acme/api/pull/7/files", "acme/api#7"),
        ("https://github.com/acme/api/pulls/7", None),
        ("https://github.com/acme/api/issues/7/events/3", None),
        ("https://gitlab.com/acme/api/issues/7", None),
        ("http://github.com/acme/api/issues/7", None),
        ("OPS-12", None),
        ("#", None),
    ],
)
def test_references_on_github_com(reference: str, expected: str | None) -> None:
    found = References("acme/api", "https://api.github.com").parse(reference)
    assert (found.key if found else None) == expected


def test_references_on_enterprise_server() -> None:
    refs = References("acme/api", "https://ghe.example.com/api/v3")
    assert refs.parse("https://ghe.example.com/acme/api/issues/3") == IssueAddress("acme/api", 3)
    assert refs.parse("https://ghe.example.com/api/v3/repos/acme/api/issues/4") == IssueAddress("acme/api", 4)
    assert refs.parse("https://github.com/acme/api/issues/3") is None
    assert refs.url(IssueAddress("acme/api", 3)) == "https://ghe.example.com/acme/api/issues/3"

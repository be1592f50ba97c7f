"""Templates: packaged defaults, a user directory that overrides them, and the default: prefix."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from remediate.cli import app
from remediate.errors import ConfigError
from remediate.jobs import build_digest_for
from remediate.reports.templating import render
from remediate.settings import Settings, load_settings
from tests import known


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    known.build(url)
    return url


def test_a_user_template_replaces_the_packaged_one(tmp_path: Path, db: str) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "digest.txt.j2").write_text("{{ digest.headline.overdue }} overdue for {{ digest.period.key }}\n")
    config = tmp_path / "remediate.toml"
    config.write_text('templates_dir = "templates"\n')  # relative to the config file
    result = CliRunner().invoke(app, ["digest", "--as-of", "2024-04-08", "--config", str(config), "--db", db])
    assert result.exit_code == 0, result.output
    assert result.stdout == "2 overdue for 2024-W15\n"
    assert load_settings(config, environ={}).templates_path() == templates


def test_default_prefix_extends_the_packaged_template(tmp_path: Path, db: str) -> None:
    (tmp_path / "digest.html.j2").write_text(
        '{% extends "default:digest.html.j2" %}{% block header %}<h1>Team Rocket: {{ digest.title }}</h1>{% endblock %}'
    )
    digest = build_digest_for(Settings(), database_url=db, as_of=known.AS_OF)
    html = render(tmp_path, "digest.html.j2", digest=digest)
    assert "<h1>Team Rocket: Remediation digest, week 2024-W15</h1>" in html
    assert f"33 days overdue: {known.A2}" in html  # the rest comes from the packaged template
    assert "As of 2024-04-08" not in html  # the replaced block is gone


def test_html_templates_escape_and_text_templates_do_not(tmp_path: Path) -> None:
    (tmp_path / "x.html.j2").write_text("{{ value }}")
    (tmp_path / "x.txt.j2").write_text("{{ value }}")
    (tmp_path / "x.slack.j2").write_text("{{ value }}")
    assert render(tmp_path, "x.html.j2", value="<b>&") == "&lt;b&gt;&amp;"
    assert render(tmp_path, "x.txt.j2", value="<b>&") == "<b>&"
    assert render(tmp_path, "x.slack.j2", value="<b>&") == "&lt;b&gt;&amp;"


def test_a_broken_user_template_is_a_one_line_config_error(tmp_path: Path) -> None:
    (tmp_path / "digest.txt.j2").write_text("{{ digest.nope }}\n")
    with pytest.raises(ConfigError, match=r"template digest.txt.j2.*UndefinedError"):
        render(tmp_path, "digest.txt.j2", digest=object())
    (tmp_path / "bad.txt.j2").write_text("{% for %}\n")
    with pytest.raises(ConfigError, match=r"template bad.txt.j2 \(.*bad.txt.j2:1\): TemplateSyntaxError"):
        render(tmp_path, "bad.txt.j2")


def test_a_missing_templates_dir_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a directory"):
        render(tmp_path / "nope", "digest.txt.j2")


def test_packaged_templates_are_installed() -> None:
    from importlib.resources import files

    names = {p.name for p in files("remediate").joinpath("templates").iterdir()}
    assert {
        "digest.txt.j2",
        "digest.md.j2",
        "digest.html.j2",
        "digest.slack.j2",
        "digest.subject.j2",
        "audit.html.j2",
    } <= names


def test_slack_links_ticket_keys_and_escapes_what_it_prints(tmp_path: Path, db: str) -> None:
    from types import SimpleNamespace

    (tmp_path / "t.slack.j2").write_text("{{ a|slack_ticket }} {{ b|slack_ticket }} {{ c|slack_ticket }}")
    linked = SimpleNamespace(key="acme/api#3", url="https://github.com/acme/api/issues/3?a=1&b=2")
    plain = SimpleNamespace(key="OPS<1>", url=None)
    hostile = SimpleNamespace(key="X|Y", url="javascript:alert(1)")
    assert render(tmp_path, "t.slack.j2", a=linked, b=plain, c=hostile) == (
        "<https://github.com/acme/api/issues/3?a=1&amp;b=2|acme/api#3> OPS&lt;1&gt; X¦Y"
    )
    import sqlalchemy as sa

    engine = sa.create_engine(db)
    with engine.begin() as conn:  # give the known tickets URLs, as GitHub and Jira links have
        conn.execute(sa.text("UPDATE link SET url = 'https://tracker.example/browse/' || key"))
    engine.dispose()
    digest = build_digest_for(Settings(), database_url=db, as_of=known.AS_OF)
    slack = render(None, "digest.slack.j2", digest=digest)
    html = render(None, "digest.html.j2", digest=digest)
    keys = [row.item.key for group in digest.by_owner for row in group.items]
    assert keys and all(f"<https://tracker.example/browse/{k}|{k}>" in slack for k in keys)
    soon = [item.key for item in digest.due_soon if item.key]
    assert all(f'<a href="https://tracker.example/browse/{k}">{k}</a>' in html for k in soon)

"""A tracker the core has never heard of is a package and an entry point.

``remediate_linearish`` (tests/connectors/thirdparty) is installed as a real distribution (its
dist-info on sys.path, found by importlib.metadata), and gets the references meant for it: its
URLs reach its ``claim()``, its settings come from ``--set``, ``init`` asks its questions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from remediate.cli import app
from remediate.connectors import ConnectorContext, Status, TicketRef, discover, load
from remediate.jobs import sync_paths
from remediate.parsing import parse_path
from remediate.settings import Settings, load_settings
from remediate.testing import ConnectorContract

THIRDPARTY = Path(__file__).resolve().parent / "thirdparty"
runner = CliRunner()

DOC = """\
# Signing outage

## Action items

- Rotate the signing keys (https://linear.app/acme/issue/OPS-7/rotate-the-signing-keys)
- Add a canary stage - [Linear](https://linear.app/acme/issue/ENG-43/add-a-canary-stage)
- Fix the retry storm https://github.com/acme/api/issues/9
- Write the failover runbook
"""


@pytest.fixture
def linearish(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The plugin, installed the way pip installs one: a dist-info next to the package."""
    monkeypatch.syspath_prepend(str(THIRDPARTY))
    entry_point = discover()["linearish"]
    assert entry_point.dist is not None and entry_point.dist.name == "remediate-linearish"
    cls = entry_point.load()
    cls.offered.clear()
    yield cls
    cls.offered.clear()


def seed(path: Path) -> Path:
    """Two issues that exist on the tracker before the postmortem names them."""
    stamp = "2026-01-01T00:00:00+00:00"
    tickets = {
        "OPS-7": {"item_id": "someone-else", "title": "Rotate keys", "status": "in_progress", "updated_at": stamp},
        "ENG-43": {"item_id": "someone-else", "title": "Canary", "status": "open", "updated_at": stamp},
    }
    path.write_text(json.dumps(tickets), encoding="utf-8")
    return path


def settings(tickets: Path, **table: Any) -> Settings:
    return Settings(
        tracker="linearish",
        connectors={"linearish": {"workspace": "acme", "team": "ENG", "tickets": str(tickets), **table}},
    )


def test_the_parser_hands_every_reference_on_as_written(linearish: Any, tmp_path: Path) -> None:
    (tmp_path / "pm.md").write_text(DOC, encoding="utf-8")
    items = parse_path(tmp_path / "pm.md").action_items
    assert [i.text for i in items] == [
        "Rotate the signing keys",
        "Add a canary stage",
        "Fix the retry storm",
        "Write the failover runbook",
    ]
    assert [i.refs for i in items] == [
        ("OPS-7", "https://linear.app/acme/issue/OPS-7/rotate-the-signing-keys"),
        ("ENG-43", "https://linear.app/acme/issue/ENG-43/add-a-canary-stage"),
        ("https://github.com/acme/api/issues/9",),
        (),
    ]


def test_its_urls_reach_its_claim_and_link_the_items(linearish: Any, tmp_path: Path) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text(DOC, encoding="utf-8")
    tickets = seed(tmp_path / "tickets.json")
    db = f"sqlite:///{tmp_path / 'state.db'}"
    outcome = sync_paths([str(doc)], settings(tickets), database_url=db, write_back=True)
    actions = outcome.plan.actions
    assert [(a.kind, a.ref.key) for a in actions] == [
        ("link", "OPS-7"),  # another team's issue: only its URL says it is ours, not the bare key
        ("link", "ENG-43"),
        ("create", "ENG-44"),
        ("create", "ENG-45"),
    ]
    assert "https://linear.app/acme/issue/OPS-7/rotate-the-signing-keys" in linearish.offered
    assert "https://github.com/acme/api/issues/9" in linearish.offered  # offered, and refused:
    assert any("https://github.com/acme/api/issues/9 is not a linearish ticket" in w for w in outcome.warnings)
    stored = json.loads(tickets.read_text())
    assert sorted(stored) == ["ENG-43", "ENG-44", "ENG-45", "OPS-7"]  # nothing filed for the linked two
    assert stored["OPS-7"]["title"] == "Rotate keys"  # linked, not taken over
    assert {c.key: c.new for c in outcome.state_changes}["OPS-7"] == "in_progress"  # its state came back
    # Write-back named the two new tickets only; the linked items already name theirs.
    text = doc.read_text(encoding="utf-8")
    assert text.count("https://linear.app/acme/issue/") == 4
    # (before the item's own trailing reference, where write-back always puts it)
    assert (
        "- Fix the retry storm ([ENG-44](https://linear.app/acme/issue/ENG-44)) https://github.com/acme/api/issues/9\n"
        in text
    )
    assert "- Write the failover runbook ([ENG-45](https://linear.app/acme/issue/ENG-45))" in text
    again = sync_paths([str(doc)], settings(tickets), database_url=db, write_back=True)
    assert again.plan.summary()["unchanged"] == 4 and again.plan.summary()["created"] == 0
    assert doc.read_text(encoding="utf-8") == text and sorted(json.loads(tickets.read_text())) == sorted(stored)


def test_another_workspaces_url_is_not_claimed(linearish: Any, tmp_path: Path) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text(DOC.replace("/acme/issue/OPS-7", "/globex/issue/OPS-7"), encoding="utf-8")
    outcome = sync_paths(
        [str(doc)], settings(seed(tmp_path / "t.json")), database_url=f"sqlite:///{tmp_path / 's.db'}", dry_run=True
    )
    assert [a.kind for a in outcome.plan.actions] == ["create", "link", "create", "create"]


def test_set_reaches_its_config_model(linearish: Any, tmp_path: Path) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text(DOC, encoding="utf-8")
    tickets = seed(tmp_path / "tickets.json")
    config = tmp_path / "remediate.toml"
    config.write_text(f'tracker = "linearish"\n[connectors.linearish]\nworkspace = "acme"\ntickets = "{tickets}"\n')
    db = f"sqlite:///{tmp_path / 'state.db'}"
    flags = ["--config", str(config), "--db", db, "--format", "json"]
    sets = ["--set", "team=OPS", "--set", "tracking.enabled=true", "--set", 'labels=["pm", "ops"]']
    result = runner.invoke(app, ["sync", str(doc), *sets, *flags])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # team=OPS: the bare key OPS-7 is now ours too, new issues are OPS-8, OPS-9, OPS-10
    assert [(i["action"], i["key"]) for i in data["items"]] == [
        ("link", "OPS-7"),
        ("link", "ENG-43"),
        ("create", "OPS-8"),
        ("create", "OPS-9"),
    ]
    stored = json.loads(tickets.read_text())
    assert stored["OPS-8"]["labels"] == ["pm", "ops"]
    group = [t for t in stored.values() if t["item_id"].startswith("group:")]  # tracking.enabled=true, a bool
    assert len(group) == 1 and group[0]["members"] == ["OPS-7", "ENG-43", "OPS-8", "OPS-9"]
    assert "OPS-10" in stored  # the group issue


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--set", "team=OPS", "--set", "nosuch=1"], "--set nosuch: the linearish connector has no setting 'nosuch'"),
        (
            ["--set", "team=OPS", "--set", "tracking.colour=red"],
            "the linearish connector has no setting 'tracking.colour'",
        ),
        (["--set", "team=ops"], "--set team <- String should match pattern"),
        (
            ["--set", "team=OPS", "--set", "tracking.enabled=maybe"],
            "--set tracking.enabled <- Input should be a valid boolean",
        ),
        (["--repo", "acme/api", "--set", "team=OPS"], "--set repo: the linearish connector has no setting 'repo'"),
        ([], "[connectors.linearish] team <- Field required"),
    ],
)
def test_set_rejects_what_its_config_model_rejects(
    linearish: Any, tmp_path: Path, flags: list[str], message: str
) -> None:
    doc = tmp_path / "pm.md"
    doc.write_text(DOC, encoding="utf-8")
    config = tmp_path / "remediate.toml"
    config.write_text(
        f'tracker = "linearish"\n[connectors.linearish]\nworkspace = "acme"\ntickets = "{tmp_path / "t.json"}"\n'
    )
    result = runner.invoke(
        app, ["sync", str(doc), "--dry-run", *flags, "--config", str(config), "--db", f"sqlite:///{tmp_path / 's.db'}"]
    )
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output
    assert not (tmp_path / "t.json").exists()


def test_a_written_config_round_trips(linearish: Any, tmp_path: Path) -> None:
    """``init --set`` writes the plugin's table; the file loads through the plugin's model."""
    path = tmp_path / "remediate.toml"
    result = runner.invoke(
        app,
        [
            "init",
            str(path),
            "--no-interactive",
            "--tracker",
            "linearish",
            "--set",
            "workspace=acme",
            "--set",
            "team=ENG",
            "--set",
            f"tickets={tmp_path / 't.json'}",
            "--set",
            "tracking.enabled=true",
        ],
    )
    assert result.exit_code == 0, result.output
    table = load_settings(path, environ={}).connectors["linearish"]
    assert table == {
        "workspace": "acme",
        "team": "ENG",
        "tickets": str(tmp_path / "t.json"),
        "tracking": {"enabled": True},
    }


def test_init_asks_the_questions_its_config_declares(linearish: Any, tmp_path: Path) -> None:
    """Required fields (workspace, team, tickets) and the fields marked as questions (labels), in order."""
    path = tmp_path / "remediate.toml"
    tickets = tmp_path / "t.json"
    answers = f"linearish\nacme\nENG\n{tickets}\npm, ops\nUTC\nstdout\n0 9 * * mon\n15m\n"
    result = runner.invoke(app, ["init", str(path), "--interactive"], input=answers)
    assert result.exit_code == 0, result.output
    prompts = [
        "Linearish workspace slug: ",  # its own prompt text
        "Team key new issues get, e.g. ENG: ",  # a required field, asked with its description
        "JSON file that holds the tickets (this tracker has no server): ",
        "Labels put on every issue, comma-separated [remediation]: ",  # marked in json_schema_extra
        "Time zone [UTC]: ",
    ]
    where = [result.output.find(prompt) for prompt in prompts]
    assert -1 not in where and where == sorted(where), result.output
    assert "Document owner" not in result.output  # owners is neither required nor marked
    table = load_settings(path, environ={}).connectors["linearish"]
    assert table == {
        "workspace": "acme",
        "team": "ENG",
        "tickets": str(tickets),
        "labels": ["pm", "ops"],
        "tracking": {},  # the sub-table is written with its defaults commented out
    }


def test_init_refuses_an_unknown_setting_of_the_plugin(linearish: Any, tmp_path: Path) -> None:
    path = tmp_path / "remediate.toml"
    result = runner.invoke(
        app, ["init", str(path), "--no-interactive", "--tracker", "linearish", "--set", "tracking.colour=red"]
    )
    assert result.exit_code == 2 and "the linearish connector has no setting 'tracking.colour'" in result.output
    assert not path.exists()


class _Backdoor:
    """The tracker's file, as a person editing issues in its web UI changes it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _tickets(self) -> dict[str, Any]:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def set_status(self, ref: TicketRef, status: Status) -> None:
        tickets = self._tickets()
        tickets[ref.key].update(status=status.value, updated_at="2999-01-01T00:00:00+00:00")
        self.path.write_text(json.dumps(tickets))

    def title_of(self, ref: TicketRef) -> str:
        return str(self._tickets()[ref.key]["title"])

    def ticket_count(self) -> int:
        return len(self._tickets())


class TestLinearishContract(ConnectorContract):
    """The plugin passes the same contract as the connectors that ship with remediate."""

    @pytest.fixture
    def connector(self, linearish: Any, tmp_path: Path) -> Any:
        table = {"workspace": "acme", "team": "ENG", "tickets": str(tmp_path / "tickets.json")}
        return load("linearish", table, ConnectorContext(env={}))

    @pytest.fixture
    def backdoor(self, tmp_path: Path) -> _Backdoor:
        return _Backdoor(tmp_path / "tickets.json")

"""``remediate lint``: action-item quality rules, output formats and the --strict exit code."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from remediate.cli import app
from remediate.lint import check_document, check_item, first_word
from remediate.parsing import ActionItem, parse_text
from tests.support import REPO, write_postmortem

runner = CliRunner()


def item(text: str, **fields: object) -> ActionItem:
    return ActionItem(id="x", text=text, section="Action items", line=7, **fields)  # type: ignore[arg-type]


def rules(text: str, **fields: object) -> list[str]:
    return [f.rule for f in check_item("pm.md", item(text, **fields))]


COMPLETE = {"owner": "@dana", "due": date(2024, 5, 1), "priority": "P1"}


def test_missing_owner_due_and_priority() -> None:
    assert rules("Add alerting on queue depth") == ["missing-owner", "missing-due", "missing-priority"]
    assert rules("Add alerting on queue depth", **COMPLETE) == []
    assert rules("Add alerting on queue depth", owner="@li", priority="P2") == ["missing-due"]


def test_done_items_need_no_owner_or_date() -> None:
    assert rules("Add the rollback command to the runbook", done=True) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Improve monitoring", ["vague"]),
        ("improve monitoring of the checkout service", ["vague"]),
        ("Investigate the outage", ["vague"]),
        ("Look into flaky deploys", ["vague"]),
        ("TODO: @dana: review the alerting", ["vague"]),
        ("We should consider better dashboards", ["vague"]),
        ("Improve p99 checkout latency to below 300 ms", []),  # measurable
        ("Review every alert rule for an owner", []),  # a concrete scope
        ("Monitoring gaps on the queue", ["no-action-verb"]),
        ("The failover runbook", ["no-action-verb"]),
        ("Add an alert when queue depth exceeds 10,000", []),
        ("We should add a rollback step to the runbook", []),
        ("[P1] Automate the failover", []),
        ("Containerize the batch workers", []),  # -ize verbs count as action
    ],
)
def test_vague_items_and_items_without_an_action_verb(text: str, found: list[str]) -> None:
    assert rules(text, **COMPLETE) == found


def test_first_word_skips_prefixes() -> None:
    assert first_word("TODO: @dana: **Add** alerting") == "add"
    assert first_word("We should migrate the queue") == "migrate"
    assert first_word("Need to migrate the queue") == "migrate"


DOC = """# Queue backlog

## Action items

- [ ] Add alerting on queue depth for the worker pool
- [ ] Improve monitoring
- [ ] Add alerting on the queue depth of the worker pool

## Follow-ups

## Lessons learned

Nothing.
"""


def test_duplicates_and_empty_sections() -> None:
    result = parse_text(DOC, source="pm.md")
    found = [(f.line, f.rule) for f in check_document(result, DOC) if not f.rule.startswith("missing-")]
    assert found == [(6, "vague"), (7, "duplicate"), (9, "empty-section")]
    dup = next(f for f in check_document(result, DOC) if f.rule == "duplicate")
    assert dup.message.startswith("same as the item on line 5")


def test_a_document_without_action_items() -> None:
    text = "# Outage\n\n## Summary\n\nIt broke.\n"
    findings = check_document(parse_text(text, source="pm.md"), text)
    assert [(f.line, f.rule) for f in findings] == [(1, "no-action-items")]


def test_cli_json_and_strict_exit_codes(tmp_path: Path) -> None:
    path = tmp_path / "pm.md"
    path.write_text(DOC)
    result = runner.invoke(app, ["lint", str(path), "--format", "json"])
    assert result.exit_code == 0  # warnings only
    data = json.loads(result.stdout)
    # 3 x 2 missing fields + 3: the due-date policy gives every item a date, so missing-due is met.
    assert data["files"] == 1 and data["count"] == len(data["findings"]) == 9
    assert {f["rule"] for f in data["findings"]} == {
        "missing-owner",
        "missing-priority",
        "vague",
        "duplicate",
        "empty-section",
    }
    assert all(f["severity"] == "warning" and f["path"] == str(path) for f in data["findings"])
    assert runner.invoke(app, ["lint", str(path), "--strict"]).exit_code == 1
    required = json.loads(runner.invoke(app, ["lint", str(path), "--require-due", "--format", "json"]).stdout)
    assert sum(f["rule"] == "missing-due" for f in required["findings"]) == 3


def test_cli_clean_document_passes_strict(tmp_path: Path) -> None:
    clean = write_postmortem(
        tmp_path / "pm.md", ["Add alerting on queue depth", "Automate the failover"], boxes=[True, True]
    )
    result = runner.invoke(app, ["lint", str(clean), "--strict"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "0 finding(s) in 1 file(s)"


def test_cli_human_output_is_one_line_per_finding(tmp_path: Path) -> None:
    path = write_postmortem(tmp_path / "pm.md", ["Improve monitoring"])
    result = runner.invoke(app, ["lint", str(tmp_path)])  # a directory: every postmortem below
    assert result.stdout.splitlines() == [
        f"{path}:9: missing-owner: no owner: add (owner: @someone)",
        f"{path}:9: missing-priority: no priority: add P0-P4",
        f"{path}:9: vague: vague: 'improve' with nothing measurable; say what done looks like "
        "(a number, threshold or concrete change)",
        "3 finding(s) in 1 file(s)",
    ]


def test_rules_can_be_switched_off_or_made_errors_in_config_and_on_the_command_line(tmp_path: Path) -> None:
    path = write_postmortem(tmp_path / "pm.md", ["Improve monitoring"])
    config = tmp_path / "remediate.toml"
    config.write_text('[lint]\nrules = { missing-priority = "off", vague = "error" }\n', encoding="utf-8")
    result = runner.invoke(app, ["lint", str(path), "--config", str(config)])
    assert result.exit_code == 1, "an error-level finding fails lint without --strict"
    assert result.stdout.splitlines() == [
        f"{path}:9: missing-owner: no owner: add (owner: @someone)",
        f"{path}:9: vague (error): vague: 'improve' with nothing measurable; say what done looks like "
        "(a number, threshold or concrete change)",
        "2 finding(s) in 1 file(s), 1 error(s)",
    ]
    quiet = runner.invoke(
        app, ["lint", str(path), "--config", str(config), "--disable", "vague", "--disable", "missing-owner"]
    )
    assert quiet.exit_code == 0 and quiet.stdout.strip() == "0 finding(s) in 1 file(s)"
    promoted = runner.invoke(app, ["lint", str(path), "--error", "missing-owner", "--format", "json"])
    assert promoted.exit_code == 1
    assert {f["rule"]: f["severity"] for f in json.loads(promoted.stdout)["findings"]}["missing-owner"] == "error"
    unknown = runner.invoke(app, ["lint", str(path), "--disable", "no-such-rule"])
    assert unknown.exit_code == 2 and "unknown lint rule" in unknown.output
    config.write_text('[lint]\nrules = { nope = "off" }\n', encoding="utf-8")
    bad = runner.invoke(app, ["lint", str(path), "--config", str(config)])
    assert bad.exit_code == 2 and "unknown lint rule" in bad.output


def test_missing_due_counts_when_the_policy_gives_no_date(tmp_path: Path) -> None:
    path = write_postmortem(tmp_path / "pm.md", ["Add alerting on queue depth"])
    config = tmp_path / "remediate.toml"
    config.write_text("[policy]\nno_priority = 0\n", encoding="utf-8")
    result = runner.invoke(app, ["lint", str(path), "--config", str(config), "--format", "json"])
    assert "missing-due" in {f["rule"] for f in json.loads(result.stdout)["findings"]}, result.output


def test_cli_missing_path_is_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lint", str(tmp_path / "nope.md")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_pre_commit_hook_definition() -> None:
    import yaml

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [hook] = hooks
    assert hook["id"] == "remediate-lint"
    assert hook["entry"] == "remediate lint --strict"
    assert hook["language"] == "python"
    assert hook["types"] == ["text"]
    assert "postmortems/" in hook["files"]

"""Broken answers and knowledge files: one clear message each, exit 2, no traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT

BAD = DATA / "bad"

# file -> fragments the message must contain (file:line, key, what is allowed)
ANSWERS_CASES = {
    "bad_enum.yaml": ["bad_enum.yaml:4:", "failure.main_cause", "'hallucination' is not allowed", "missing_knowledge"],
    "unknown_key.yaml": ["unknown_key.yaml:3:", "task.budget", "unknown key", "allowed keys here: description, type"],
    "unknown_section.yaml": ["unknown_section.yaml:3:", "'dataset'", "unknown key", "task, failure, baseline"],
    "not_a_number.yaml": ["not_a_number.yaml:2:", "data.examples", "expected a whole number", "'lots'"],
    "negative.yaml": ["negative.yaml:2:", "data.examples", "expected a number >= 0"],
    "share_too_big.yaml": ["share_too_big.yaml:2:", "data.synthetic_share", "<= 1"],
    "malformed.yaml": ["malformed.yaml:4:1:", "malformed YAML", "quoted scalar started at line 3"],
    "not_a_mapping.yaml": ["not_a_mapping.yaml:1:", "expected a mapping of sections", "got list"],
    "bad_bool.yaml": ["bad_bool.yaml:2:", "task.metric_defined", "expected true or false", "'maybe'"],
}


def test_every_bad_answers_fixture_has_a_case():
    assert {p.name for p in BAD.glob("*.yaml")} == set(ANSWERS_CASES)


@pytest.mark.parametrize("name", sorted(ANSWERS_CASES))
def test_bad_answers_file(cli, name):
    r = cli("decide", "--answers", str(BAD / name))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stdout == ""
    for fragment in ANSWERS_CASES[name]:
        assert fragment in r.stderr, (fragment, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1


def test_missing_answers_file(cli, tmp_path):
    r = cli("decide", "--answers", str(tmp_path / "nope.yaml"))
    assert r.returncode == 2
    assert "nope.yaml: file not found" in r.stderr


def test_usage_error_is_exit_2_without_traceback(cli):
    r = cli("decide", "--format", "pdf", "--answers", "x.yaml")
    assert r.returncode == 2
    assert "invalid choice: 'pdf'" in r.stderr and "Traceback" not in r.stderr


def _knowledge_with(tmp_path: Path, broken: str) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder)
    shutil.copy(BAD / "knowledge" / broken, folder / "rules.yaml")
    return folder


@pytest.mark.parametrize(
    "broken, fragments",
    [
        ("rules_malformed.yaml", ["rules.yaml:6:", "malformed YAML"]),
        ("rules_unknown_field.yaml", ["rules.yaml:7:", "rules[0].wieght", "unknown key", "allowed keys here: id, family"]),
        ("rules_bad_option.yaml", ["rules.yaml:6:", "rules[0].effects", "vector_db", "fine_tune"]),
    ],
)
def test_broken_knowledge_file(cli, tmp_path, broken, fragments):
    folder = _knowledge_with(tmp_path, broken)
    r = cli("rules", "check", "--knowledge", str(folder))
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    for fragment in fragments:
        assert fragment in r.stderr, (fragment, r.stderr)


def test_rules_check_catches_what_the_schema_cannot(cli, tmp_path):
    folder = _knowledge_with(tmp_path, "rules_lint.yaml")
    r = cli("rules", "check", "--knowledge", str(folder))
    assert r.returncode == 1
    err = r.stderr
    assert "rule reads_missing_key: reads unknown key 'data.exampels'" in err
    assert "rule reads_missing_value: 'failure.main_cause' never takes the value 'hallucination'" in err
    assert "rules: duplicate id 'reads_missing_value'" in err
    assert "cites '999_not_a_seed.txt', which is not listed" in err
    assert "rule no_source_section: source has no section" in err


def test_rules_check_reports_options_no_rule_can_favour(cli, tmp_path):
    folder = _knowledge_with(tmp_path, "rules_no_favour.yaml")
    r = cli("rules", "check", "--knowledge", str(folder))
    assert r.returncode == 1
    for option in ("prompt_engineering", "tool_use", "validators", "fine_tune", "routing_guardrails"):
        assert f"no rule can favour '{option}'" in r.stderr
    assert "no rule can favour 'rag'" not in r.stderr


@pytest.mark.parametrize(
    "flag, content, fragments",
    [
        # an answers-shaped object given where a triage report belongs
        ("--triage", '{"task": {"type": "qa"}}', ["not a triage report", "'causes'", "advisor triage --format json"]),
        ("--triage", '{"causes": [], "findings": [3]}', ["findings[0]", "expected a mapping"]),
        ("--evidence", '{"causes": [], "findings": []}', ["not a probe report", "'suites'", "advisor probe --format json"]),
        ("--evidence", '{"suites": [{"n": 4}]}', ["suites[0].id", "is required"]),
        ("--evidence", '{"suites": [\n  {"id": "task",}\n]}', ["report.json:2:", "malformed JSON"]),
        ("--triage", "[]", ["report.json:1:", "expected a JSON object"]),
    ],
)
def test_wrong_report_for_triage_or_evidence(cli, tmp_path, flag, content, fragments):
    report = tmp_path / "report.json"
    report.write_text(content)
    r = cli("decide", "--answers", str(DATA / "good" / "defi_apr_bot.yaml"), flag, str(report))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    for frag in fragments:
        assert frag in r.stderr

"""Bad configs and eval sets: exit 2 with file, line, key and what is allowed; never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.cli import main
from advisor.commands.probe import TEMPLATE
from advisor.core.probe.config import load_config
from tests.conftest import DATA

BAD = DATA / "probe" / "bad"

CASES = {
    "bad_scorer.yaml": ("bad_scorer.yaml:3", "key 'scorer.type'", "'fuzzy' is not allowed; expected one of"),
    "unknown_key.yaml": ("unknown_key.yaml:3", "key 'temprature'", "allowed keys here: models, api_base"),
    "missing_candidate.yaml": ("missing_candidate.yaml:1", "key 'models.candidate'", "is required"),
    "bad_suite.yaml": ("bad_suite.yaml:3", "key 'suites[1]'", "'vibes' is not allowed; expected one of: 'task'"),
    "bad_concurrency.yaml": ("bad_concurrency.yaml:3", "key 'concurrency'", "expected a number >= 1"),
    "malformed.yaml": ("malformed.yaml:", "", "malformed YAML"),
    "no_eval_set.yaml": ("no_eval_set.yaml:2", "key 'eval_set'", "is required for the suites task"),
    "bad_eval_line.yaml": ("bad_line.jsonl:2", "key 'label'", "unknown key; allowed keys here: input, expected"),
    "knowledge_no_context.yaml": ("eval.jsonl", "key 'context'", "none of the 60 cases has one"),
    "bad_tolerance.yaml": ("bad_tolerance.yaml:3", "key 'scorer.tolerance'", "expected a number >= 0"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_config_exits_2_with_a_precise_message(name, capsys, tmp_path):
    code = main(["probe", "--config", str(BAD / name), "--cache", str(tmp_path / "c.sqlite"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("advisor: error: ")
    assert "Traceback" not in err
    for part in CASES[name]:
        assert part in err, f"{part!r} not in {err!r}"
    assert not (tmp_path / "c.sqlite").exists()  # nothing was run or cached


def test_usage_errors(capsys, tmp_path):
    assert main(["probe"]) == 2
    assert "--config FILE is required" in capsys.readouterr().err
    assert main(["probe", "--config", str(BAD / "bad_scorer.yaml"), "--suites", "task,nope"]) == 2
    assert main(["probe", "--config", str(tmp_path / "missing.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_init_writes_a_template_that_validates_and_refuses_to_overwrite(tmp_path, capsys):
    target = tmp_path / "probe.yaml"
    assert main(["probe", "init", str(target)]) == 0
    assert target.read_text() == TEMPLATE
    cfg = load_config(target)
    assert cfg.models.base == "openai/gpt-4o-mini" and cfg.suites == ["task", "shift", "general", "knowledge", "format"]
    target.write_text("mine")
    assert main(["probe", "init", str(target)]) == 2
    assert "--force" in capsys.readouterr().err
    assert target.read_text() == "mine"
    assert main(["probe", "init", str(target), "--force"]) == 0
    assert target.read_text() == TEMPLATE


def test_paths_are_relative_to_the_config(tmp_path):
    sub = tmp_path / "conf"
    sub.mkdir()
    (sub / "cases.jsonl").write_text('{"input": "x", "expected": "y"}\n')
    (sub / "p.yaml").write_text("models: {base: openai/a, candidate: openai/b}\neval_set: cases.jsonl\n")
    cfg = load_config(sub / "p.yaml")
    assert cfg.resolve(cfg.eval_set) == (sub / "cases.jsonl").resolve()
    assert isinstance(cfg.resolve("x"), Path)

"""Dataset shapes beyond chat and alpaca, and --fields for any other keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advisor.core.triage import data as data_mod
from advisor.errors import UserError
from tests.conftest import run_main

ROOT = Path(__file__).resolve().parents[2]
D = ROOT / "tests" / "data" / "triage" / "formats" / "datasets"


@pytest.fixture(scope="module")
def fm() -> dict:
    return json.loads((D.parent / "manifest.json").read_text())


@pytest.mark.parametrize("name, fmt", [("preference_implicit", "preference"), ("dolly", "instruction_response"),
                                       ("squad", "question_answer"), ("input_output", "input_output"),
                                       ("gemini", "gemini")])
def test_shape_is_read(name, fmt, fm, thresholds):
    f, stats = data_mod.check_datasets(str(D / f"{name}.jsonl"), None, thresholds)
    s = stats["train"]
    assert s["format"] == fmt and s["examples"] == fm["datasets"]["examples"] and s["format_errors"] == 0
    assert s["input_tokens"]["min"] > 0  # every example has an input: none read as empty


def test_preference_without_prompt_takes_the_conversation_as_input(fm, thresholds):
    # Five rows give (almost) the same reply to different questions: not near-duplicates of anything.
    f, stats = data_mod.check_datasets(str(D / "preference_implicit.jsonl"), None, thresholds)
    assert stats["train"]["near_duplicates"] == 0 and stats["train"]["conflicts"] == 0
    assert "near_duplicate" not in [x.id for x in f]


def test_gemini_system_instruction_is_tracked(thresholds):
    f, stats = data_mod.check_datasets(str(D / "gemini.jsonl"), None, thresholds)
    assert stats["train"]["system_prompts"] == 1


def test_fields_map_any_keys(fm, thresholds):
    fields = data_mod.parse_fields(fm["datasets"]["fields"])
    assert fields == {"prompt": "customer_question", "completion": "agent_reply"}
    f, stats = data_mod.check_datasets(str(D / "custom_keys.jsonl"), None, thresholds, None, fields)
    assert stats["train"]["examples"] == fm["datasets"]["examples"] and stats["train"]["format"] == "fields"


@pytest.mark.parametrize("spec, words", [("prompt=q", "missing completion"), ("prompt:q,completion=a", "ROLE=KEY"),
                                         ("question=q,completion=a", "unknown role 'question'")])
def test_bad_fields_are_usage_errors(spec, words):
    with pytest.raises(UserError) as e:
        data_mod.parse_fields(spec)
    assert words in str(e.value)


def test_fields_on_the_command_line_and_a_missing_key(tmp_path, fm):
    r = run_main("triage", "--train", str(D / "custom_keys.jsonl"), "--fields", fm["datasets"]["fields"],
                 "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["datasets"]["train"]["examples"] == fm["datasets"]["examples"]
    r = run_main("triage", "--train", str(D / "custom_keys.jsonl"), "--fields", "prompt=nope,completion=agent_reply")
    assert r.returncode == 2 and "missing key 'nope' (mapped to prompt by --fields)" in r.stderr


def test_a_json_array_is_read_in_chunks_with_the_same_lines(monkeypatch, thresholds):
    path = ROOT / "tests" / "data" / "triage" / "datasets" / "small_alpaca.json"
    lines = [ln for ln, _, _ in data_mod.iter_records(str(path))]
    monkeypatch.setattr("advisor.core.triage.logs.stream.CHUNK", 61)  # every element cut by a chunk boundary
    assert [ln for ln, _, _ in data_mod.iter_records(str(path))] == lines
    text = path.read_text().split("\n")
    assert all(text[ln - 1].strip().startswith("{") for ln in lines)

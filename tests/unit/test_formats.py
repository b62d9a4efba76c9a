"""docs/formats.md, `advisor schema` and real outputs agree (decide, triage, the answers file).

The probe output is checked the same way in tests/probe/test_schema.py (it needs the model server).
"""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml

from advisor.core.schemas import SCHEMA_VERSION, json_schema
from tests.conftest import DATA, ROOT, run_main
from tests.formats_check import json_examples, section, undeclared_keys, validate

GOOD = sorted((DATA / "good").glob("*.yaml"))
TRIAGE = DATA / "triage"


@pytest.mark.parametrize("name", ["answers", "decision", "triage", "probe"])
def test_schema_command_prints_a_valid_json_schema(name, tmp_path):
    r = run_main("schema", name)
    assert r.returncode == 0, r.stderr
    schema = json.loads(r.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    if name != "answers":
        # published form: objects open to new keys, schema_version required
        assert '"additionalProperties": false' not in r.stdout
        assert "schema_version" in schema["required"]
    out = tmp_path / f"{name}.schema.json"
    r = run_main("schema", name, "-o", str(out))
    assert r.returncode == 0 and r.stdout == "" and json.loads(out.read_text()) == schema


def test_schema_command_refuses_an_unknown_name():
    r = run_main("schema", "record")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "answers" in r.stderr and "probe" in r.stderr


def test_answers_files_validate_and_unknown_keys_do_not():
    schema = json_schema("answers")
    for path in GOOD:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"data": {"examples": 10, "exampels": 3}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"task": {"type": "translation"}}, schema)


def test_the_documented_answers_file_is_the_model():
    block = re.search(r"```yaml\n(.*?)```", section(1), flags=re.S).group(1)
    documented = yaml.safe_load(block)
    jsonschema.validate(documented, json_schema("answers"))
    props = json_schema("answers")["$defs"]
    # every key of the model appears in the documented example, and the other way round
    from advisor.core.answers import answer_keys

    shown = {f"{s}.{k}" for s, sub in documented.items() for k in sub}
    assert shown == set(answer_keys()), "docs/formats.md section 1 and the Answers model differ"
    assert props  # sections are sub-schemas


def _decide(*extra):
    outs = []
    for path in GOOD:
        r = run_main("decide", "--answers", str(path), "--format", "json", *extra)
        assert r.returncode == 0, r.stderr
        outs.append(json.loads(r.stdout))
    return outs


def test_decide_json_matches_its_schema_and_its_doc():
    strict = json_schema("decision", strict=True)
    outputs = _decide()
    for out in outputs:
        assert out["schema_version"] == SCHEMA_VERSION
        validate(out, strict)
    # the documented example declares nothing the schema lacks ...
    (example,) = json_examples(2)
    assert undeclared_keys(example, strict) == []
    # ... and every documented key is in real outputs
    for key in example:
        assert all(key in out for out in outputs), f"docs/formats.md shows {key!r}; decide does not print it"
    # every top-level key a reader may meet is explained in the section
    for key in strict["properties"]:
        assert f"`{key}`" in section(2) or f'"{key}"' in section(2), f"{key} is not documented in docs/formats.md"


def test_decide_json_with_embedded_triage_and_probe_matches_the_schema(tmp_path):
    triage = tmp_path / "triage.json"
    r = run_main("triage", "--log", str(TRIAGE / "logs" / "hf_overfit" / "trainer_state.json"), "--format", "json", "-o", str(triage))
    assert r.returncode == 0, r.stderr
    (out,) = [json.loads(run_main("decide", "-a", str(GOOD[0]), "--format", "json", "--triage", str(triage),
                                 "--evidence", str(TRIAGE / "probes" / "forgetting.json")).stdout)]
    assert out["triage"]["schema_version"] == SCHEMA_VERSION
    # the probe fixture is a hand-written excerpt, embedded as read; real probe output is checked
    # against the schema in tests/probe/test_schema.py
    validate({k: v for k, v in out.items() if k != "evidence"}, json_schema("decision", strict=True))


@pytest.mark.parametrize("args", [
    ["--log", "logs/hf_overfit/trainer_state.json", "--train", "datasets/train_chat.jsonl", "--eval", "datasets/eval_chat.jsonl",
     "--symptom", "worse_general_better_target", "--lr", "3e-4", "--method", "lora", "--epochs", "8"],
    ["--log", "logs/hf_nan/trainer_state.json"],
    ["--log", "logs/openai_metrics.csv", "--probe", "probes/forgetting.json"],
    ["--train", "datasets/preference.jsonl"],
])
def test_triage_json_matches_its_schema_and_its_doc(args):
    r = run_main("triage", *args, "--format", "json", cwd=TRIAGE)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    strict = json_schema("triage", strict=True)
    assert out["schema_version"] == SCHEMA_VERSION
    validate(out, strict)
    (example,) = json_examples(3)
    assert undeclared_keys(example, strict) == []
    assert set(example) <= set(out), f"documented but not printed: {set(example) - set(out)}"
    for key in strict["properties"]:
        assert f"`{key}`" in section(3) or f'"{key}"' in section(3), f"{key} is not documented in docs/formats.md"


def test_an_undeclared_key_fails_the_check_and_names_the_key():
    """The check the others rely on when they add a key: it must catch one."""
    out = _decide()[0]
    out["plan_v9"] = {"steps": []}
    with pytest.raises(AssertionError, match="plan_v9"):
        validate(out, json_schema("decision", strict=True))
    out.pop("plan_v9")
    out["options"][0]["reasons"][0]["extra_note"] = "x"
    with pytest.raises(AssertionError, match="options/0/reasons/0"):
        validate(out, json_schema("decision", strict=True))
    assert undeclared_keys({"verdict": "ready", "plann": []}, json_schema("decision", strict=True)) == ["plann"]

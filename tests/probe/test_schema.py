"""`advisor probe --format json` as a user runs it matches its schema and docs/formats.md section 4."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from advisor.core.schemas import SCHEMA_VERSION, json_schema
from tests.formats_check import json_examples, section, undeclared_keys, validate
from tests.probe.conftest import SECRET

PROMPTED = ("prompted_baseline:\n  system_prompt: You are a careful router.\n"
            "  few_shot:\n    - {input: I was double charged, output: billing}\n")


def _probe(path, cwd):
    env = {**os.environ, "OPENAI_API_KEY": SECRET, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "CI": "1"}
    r = subprocess.run([sys.executable, "-m", "advisor", "probe", "--config", str(path), "--format", "json", "-q"],
                       cwd=cwd, env=env, capture_output=True, text=True, timeout=170)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("candidate, suites, kw", [
    ("brittle", "[task, shift, general, format]", {"extra": PROMPTED + "format: {schema: answer.schema.json}\n"}),
    ("nocontext", "[knowledge]", {"eval_set": "kb.jsonl", "scorer": "contains"}),
])
def test_probe_json_matches_its_schema_and_its_doc(make_config, tmp_path, candidate, suites, kw):
    out = _probe(make_config(base="base", candidate=candidate, suites=suites, **kw), tmp_path)
    strict = json_schema("probe", strict=True)
    assert out["schema_version"] == SCHEMA_VERSION
    validate(out, strict)
    (example,) = [e for e in json_examples(4)]
    assert undeclared_keys(example, strict) == []
    assert set(example) <= set(out), f"documented but not printed: {set(example) - set(out)}"
    assert set(example["suites"][0]) <= set(out["suites"][0])
    for key in strict["properties"]:
        assert f"`{key}`" in section(4) or f'"{key}"' in section(4), f"{key} is not documented in docs/formats.md"


def test_probe_github_annotations_and_markdown(make_config, tmp_path):
    path = make_config(base="base", candidate="forgetful", suites="[general]")
    env = {**os.environ, "OPENAI_API_KEY": SECRET, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "CI": "1"}
    r = subprocess.run([sys.executable, "-m", "advisor", "probe", "--config", str(path), "--format", "github"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=170)
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[0]
    # the forgetful candidate lost general capability: an error annotation with the interval
    assert first.startswith("::error title=probe general::general: regression, candidate minus base -")
    assert "(95%25 CI -" in first and "over 64 paired cases" in first  # % encoded for the runner
    assert SECRET not in r.stdout

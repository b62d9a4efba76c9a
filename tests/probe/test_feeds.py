"""Probe results feed the rest, as a user chains the commands (docs/probe.md).

Each scenario runs ``advisor probe`` in a real process against the local
server (planted behaviours), then hands the JSON to ``advisor decide
--evidence`` and ``advisor triage --probe`` in real processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.probe.conftest import SECRET

ANSWERS = ROOT / "tests" / "data" / "good" / "invoice_extractor.yaml"


def _env():
    return {**os.environ, "OPENAI_API_KEY": SECRET, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "CI": "1"}


def _advisor(*args, cwd):
    r = subprocess.run([sys.executable, "-m", "advisor", *args], cwd=cwd, env=_env(),
                       capture_output=True, text=True, timeout=120)
    assert SECRET not in r.stdout + r.stderr
    return r


def _probe(make_config, tmp_path, **kw):
    path = make_config(**kw)
    r = _advisor("probe", "--config", str(path), "--format", "json", "-o", "probe.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return tmp_path / "probe.json"


def _decide_json(cwd, *extra):
    r = _advisor("decide", "--answers", str(ANSWERS), "--format", "json", *extra, cwd=cwd)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _option(decision, oid):
    return next(o for o in decision["options"] if o["id"] == oid)


def _rules(option):
    return {r["rule"] for r in option["reasons"]}


def test_general_regression_becomes_forgetting_in_triage_and_a_blocker_in_the_record(make_config, tmp_path):
    probe = _probe(make_config, tmp_path, base="base", candidate="forgetful", suites="[general]")

    t = _advisor("triage", "--probe", str(probe), "--format", "json", cwd=tmp_path)
    assert t.returncode == 0, t.stderr
    triage = json.loads(t.stdout)
    found = {f["id"]: f for f in triage["findings"]}
    assert found["general_capability_regression"]["severity"] == "error"
    assert triage["causes"][0]["id"] == "catastrophic_forgetting"

    md = _advisor("decide", "--answers", str(ANSWERS), "--evidence", str(probe), cwd=tmp_path)
    assert md.returncode == 0, md.stderr
    assert "### Evidence from probe runs" in md.stdout
    assert "| general (built-in capability set) |" in md.stdout and "regression" in md.stdout
    decision = _decide_json(tmp_path, "--evidence", str(probe))
    assert "capability_regression" in {b["id"] for b in decision["blockers"]}
    assert "evidence_general_regression" in _rules(_option(decision, "fine_tune"))
    assert decision["evidence"]["suites"][0]["id"] == "general"  # the probe JSON rides along
    assert "capability_regression" not in {b["id"] for b in _decide_json(tmp_path)["blockers"]}


def test_knowledge_gain_strengthens_retrieval(make_config, tmp_path):
    probe = _probe(make_config, tmp_path, base="base", candidate="nocontext", suites="[knowledge]",
                   eval_set="kb.jsonl", scorer="contains")
    assert json.loads(probe.read_text())["suites"][0]["context_gain"]["base"]["verdict"] == "improvement"
    without = _decide_json(tmp_path)
    with_ev = _decide_json(tmp_path, "--evidence", str(probe))
    rag_before, rag_after = _option(without, "rag"), _option(with_ev, "rag")
    assert "evidence_context_helps" in _rules(rag_after) and "evidence_context_helps" not in _rules(rag_before)
    assert rag_after["score"] > rag_before["score"]
    assert _option(with_ev, "fine_tune")["score"] < _option(without, "fine_tune")["score"]
    ranks = [o["id"] for o in with_ev["options"]]
    assert ranks.index("rag") <= [o["id"] for o in without["options"]].index("rag")


def test_task_gain_with_a_large_shift_drop_flags_overfitting(make_config, tmp_path):
    probe = _probe(make_config, tmp_path, base="base", candidate="brittle", suites="[task, shift]",
                   extra="shift: {perturbations: [typos, case]}\n")  # two copies per input keep it quick
    data = json.loads(probe.read_text())
    task = next(s for s in data["suites"] if s["id"] == "task")
    shift = next(s for s in data["suites"] if s["id"] == "shift")
    assert task["verdict"] == "improvement" and shift["drop"]["candidate"] > 0.5

    t = _advisor("triage", "--probe", str(probe), "--format", "json", cwd=tmp_path)
    assert t.returncode == 0, t.stderr
    triage = json.loads(t.stdout)
    assert "shift_regression" in {f["id"] for f in triage["findings"]}
    top = [c["id"] for c in triage["causes"][:2]]
    assert "overfitting" in top, top

    decision = _decide_json(tmp_path, "--evidence", str(probe))
    fine_tune = _option(decision, "fine_tune")
    assert {"evidence_shift_brittle", "evidence_candidate_better"} <= _rules(fine_tune)
    md = _advisor("decide", "--answers", str(ANSWERS), "--evidence", str(probe), cwd=tmp_path)
    assert "suggests overfitting" in md.stdout


@pytest.mark.parametrize("bad", ["{not json", '{"suites": 3}'])
def test_a_broken_evidence_file_is_a_clear_usage_error(tmp_path, bad):
    (tmp_path / "probe.json").write_text(bad)
    for args in (("decide", "--answers", str(ANSWERS), "--evidence", "probe.json"),
                 ("triage", "--probe", "probe.json")):
        r = _advisor(*args, cwd=tmp_path)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "probe.json" in r.stderr and "Traceback" not in r.stderr

"""Probe evidence moves the decision only for what it measures."""

from __future__ import annotations

import json

import pytest

from advisor.core.answers import load_answers
from advisor.core.decide import decide
from advisor.core.knowledge import load_knowledge
from advisor.core.probe import evidence_facts
from advisor.core.triage import run_triage
from tests.conftest import DATA


def _probe(task_delta, drop_base, drop_cand, shift_delta):
    """A probe JSON shaped like `advisor probe --format json` (docs/formats.md section 4) with task and shift."""
    def arm(mean):
        return {"mean": mean, "std": 0.3, "errors": 0}
    return {
        "models": {"base": "openai/base", "candidate": "openai/ft"},
        "settings": {"temperature": 0, "max_tokens": 64, "system_prompt_sha256": "0" * 64},
        "cost_usd": 0.0,
        "suites": [
            {"id": "task", "n": 80, "base": arm(0.6), "candidate": arm(0.6 + task_delta), "delta": task_delta,
             "ci95": [task_delta - 0.05, task_delta + 0.05], "verdict": "improvement"},
            {"id": "shift", "n": 400, "base": arm(0.6 * (1 - drop_base)),
             "candidate": arm((0.6 + task_delta) * (1 - drop_cand)), "delta": shift_delta,
             "ci95": [shift_delta - 0.04, shift_delta + 0.04],
             "verdict": "no_difference" if abs(shift_delta) < 0.04 else ("improvement" if shift_delta > 0 else "regression"),
             "drop": {"base": drop_base, "candidate": drop_cand}},
        ],
    }


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def _fired(a):
    return {r.rule for o in a.options for r in o.reasons}


@pytest.mark.parametrize("drop_base, drop_cand, brittle", [
    (0.30, 0.30, False),   # shifted inputs are just harder: both lose the same
    (0.25, 0.33, False),   # 8 points more: under the 10-point bar
    (0.05, 0.30, True),    # the candidate alone falls apart
])
def test_shift_brittleness_is_judged_against_the_base(kb, drop_base, drop_cand, brittle):
    answers = load_answers(str(DATA / "good" / "invoice_extractor.yaml"))
    facts = evidence_facts(_probe(0.2, drop_base, drop_cand, 0.0))
    assert facts["evidence.shift_drop_excess"] == pytest.approx(drop_cand - drop_base)
    assert ("evidence_shift_brittle" in _fired(decide(answers, kb, evidence=facts))) is brittle


def test_triage_flags_a_candidate_that_matches_base_under_shift_but_lost_its_gain(tmp_path):
    # candidate +0.2 on the task; on shifted inputs it only ties the base (delta 0) because it
    # loses 25 points of its own score where the base loses 5: the gain did not survive.
    p = tmp_path / "probe.json"
    p.write_text(json.dumps(_probe(0.2, 0.05, 0.30, 0.0)))
    ids = [f["id"] for f in run_triage(probe=p).to_contract()["findings"]]
    assert "shift_regression" in ids
    p.write_text(json.dumps(_probe(0.2, 0.30, 0.32, 0.0)))
    ids = [f["id"] for f in run_triage(probe=p).to_contract()["findings"]]
    assert "shift_regression" not in ids

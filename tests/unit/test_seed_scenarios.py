"""Scenario answer files written from the documents the advice comes from.

Each file in ``tests/data/scenarios/`` describes one team (an answers file, or
a fixture from ``tests/data/good/`` plus changes) and a list of expectations;
every expectation carries ``because:``, the claim of the documents it rests
on, in our own words. The expectations were written from those claims, not
from the engine's output. A scenario file:

    class: complements_outvote_the_cause   # one of CLASSES
    base: invoice_extractor                # optional
    answers: {failure: {main_cause: calculation_or_lookup}, ...}
    expect:
      - because: "calculations and lookups belong in tools (reality check, architectural differences)"
        primary: tool_use
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from advisor.core.answers import Answers
from advisor.core.decide import decide
from advisor.core.knowledge import load_knowledge
from tests.conftest import DATA

SCENARIOS = sorted((DATA / "scenarios").glob("*.yaml"))
#: The nine ways the old scoring went wrong; every class needs scenarios.
CLASSES = {
    "complements_outvote_the_cause", "readiness_votes_for_other_levers", "hard_gates", "method_choice",
    "boundaries", "lever_in_production", "confidence_and_contradictions", "claims_not_encoded", "counterfactuals",
}


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = {k: dict(v or {}) for k, v in base.items()}
    for section, values in (over or {}).items():
        out.setdefault(section, {}).update(values or {})
    return out


def load_scenario(path: Path) -> tuple[dict[str, Any], Answers]:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    base: dict[str, Any] = {}
    if spec.get("base"):
        base = yaml.safe_load((DATA / "good" / f"{spec['base']}.yaml").read_text(encoding="utf-8"))
    data = _merge(base, spec.get("answers") or {})
    # A null in the scenario removes an answer of the base (it becomes unknown).
    data = {s: {k: v for k, v in (vals or {}).items() if v is not None} for s, vals in data.items()}
    return spec, Answers.model_validate(data)


def check(a, kb, exp: dict[str, Any]) -> None:  # noqa: C901 - one branch per kind of expectation
    why = exp["because"]
    plan = a.plan
    complements = {c.lever for c in plan.complements}
    gates = {g.id for g in a.gates}
    blockers = {b.id for b in a.blockers}
    unverified = {u.id for u in a.unverified}
    keys = [k for k in exp if k != "because"]
    assert len(keys) == 1, f"one expectation per item: {keys}"
    key, want = keys[0], exp[keys[0]]
    msg = f"{why} -> {key}: {want!r}"
    if key == "primary":
        assert a.primary == want, f"{msg} (got {a.primary})"
    elif key == "not_primary":
        assert a.primary not in (want if isinstance(want, list) else [want]), f"{msg} (got {a.primary})"
    elif key == "verdict":
        assert a.verdict in (want if isinstance(want, list) else [want]), f"{msg} (got {a.verdict})"
    elif key == "complement":
        assert want in complements, f"{msg} (got {sorted(complements)})"
    elif key == "no_complement":
        assert want not in complements, f"{msg} (got {sorted(complements)})"
    elif key == "gate":
        assert want in gates, f"{msg} (got {sorted(gates)})"
    elif key == "no_gate":
        assert want not in gates, f"{msg} (got {sorted(gates)})"
    elif key == "blocker":
        assert want in blockers, f"{msg} (got {sorted(blockers)})"
    elif key == "no_blocker":
        assert want not in blockers, f"{msg} (got {sorted(blockers)})"
    elif key == "unverified":
        assert want in unverified, f"{msg} (got {sorted(unverified)})"
    elif key == "method":
        assert a.fine_tune_method in (want if isinstance(want, list) else [want]), f"{msg} (got {a.fine_tune_method})"
    elif key == "confidence_label":
        assert a.confidence_label in (want if isinstance(want, list) else [want]), f"{msg} (got {a.confidence_label})"
    elif key == "confidence_driver":
        assert plan.confidence.driver == want, f"{msg} (got {plan.confidence.driver})"
    elif key == "in_place":
        assert want in plan.in_place, f"{msg} (got {plan.in_place})"
    elif key == "score_zero":
        assert next(o.score for o in a.options if o.id == want) <= 0, msg
    elif key == "step_before":
        first, second = want
        order = [s.lever for s in plan.steps]
        assert first in order and second in order, f"{msg} (steps {order})"
        assert order.index(first) < order.index(second), f"{msg} (steps {order})"
    elif key == "first_step":
        assert plan.steps and plan.steps[0].lever == want, f"{msg} (steps {[s.lever for s in plan.steps]})"
    elif key == "step_criterion_mentions":
        lever, words = want
        texts = " ".join(s.go_no_go.metric + " " + s.go_no_go.threshold for s in plan.steps if s.lever == lever)
        assert words.lower() in texts.lower(), f"{msg} (criteria: {texts})"
    elif key == "kill_criterion":
        assert (plan.kill_criterion is not None) is want, msg
        if want:
            assert "prompted baseline" in plan.kill_criterion and "same eval set" in plan.kill_criterion, msg
    elif key == "method_setting_mentions":
        assert plan.method is not None, msg
        assert any(want.lower() in s.lower() for s in plan.method.settings), f"{msg} (got {plan.method.settings})"
    elif key == "readiness_note":
        assert want in {n.rule for n in plan.readiness.notes}, f"{msg} (got {[n.rule for n in plan.readiness.notes]})"
    elif key == "no_readiness_note":
        assert want not in {n.rule for n in plan.readiness.notes}, msg
    elif key == "counterfactual":
        matches = [c for c in a.counterfactuals if c.key == want["key"]
                   and all(getattr(c, f) == v for f, v in want.items() if f not in ("key", "to"))
                   and ("to" not in want or c.alternative == want["to"])]
        assert matches, f"{msg} (got {[(c.key, c.direction, c.alternative) for c in a.counterfactuals]})"
    elif key == "no_counterfactual_key":
        assert want not in {c.key for c in a.counterfactuals}, msg
    elif key == "actionable_first":
        flags = [c.actionable for c in a.counterfactuals]
        assert flags == sorted(flags, reverse=True), msg
    elif key == "path_to_ready":
        path = plan.readiness.path_to_ready
        if want == "none":
            assert path is None, f"{msg} (got {path})"
        else:
            assert path is not None, f"{msg} ({plan.readiness.path_note})"
            assert {c.key for c in path} == set(want), f"{msg} (got {[c.key for c in path]})"
            replay = a.answers.model_copy(deep=True)
            for c in path:
                replay = replay.with_answer(c.key, c.to)
            assert decide(replay, kb).verdict == "ready", f"{msg}: replaying the path must give ready"
    else:
        raise AssertionError(f"unknown expectation {key!r} in a scenario")


def test_there_are_enough_scenarios_and_every_class_is_covered():
    assert len(SCENARIOS) >= 40
    classes = [yaml.safe_load(p.read_text(encoding="utf-8"))["class"] for p in SCENARIOS]
    assert set(classes) == CLASSES, set(classes) ^ CLASSES
    for p in SCENARIOS:
        spec = yaml.safe_load(p.read_text(encoding="utf-8"))
        assert spec.get("expect"), p.name
        assert all(e.get("because", "").strip() for e in spec["expect"]), f"{p.name}: every expectation needs its claim"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(kb, path):
    spec, answers = load_scenario(path)
    a = decide(answers, kb)
    for exp in spec["expect"]:
        check(a, kb, exp)

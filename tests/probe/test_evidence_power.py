"""What decide may read from a probe report: only verdicts a run had the power and the evidence for."""

from __future__ import annotations

import pytest

from advisor.core.answers import Answers
from advisor.core.decide import decide
from advisor.core.knowledge import cached_knowledge
from advisor.core.probe import evidence_facts


def _report(task: dict) -> dict:
    return {"suites": [{"id": "task", "n": 60, "delta": 0.0, "ci95": [-0.1, 0.1], **task}]}


@pytest.mark.parametrize("mde,expected", [(0.5, None), (0.1, "no_difference"), (None, None)])
def test_no_difference_counts_only_from_a_run_that_could_see_ten_points(mde, expected):
    facts = evidence_facts(_report({"verdict": "no_difference", "mde": mde}))
    assert facts["evidence.task_verdict"] == expected


def test_an_empty_suite_gives_decide_nothing():
    facts = evidence_facts(_report({"n": 0, "verdict": None, "delta": None, "ci95": None,
                                    "error": "no case was scored for both arms"}))
    assert facts["evidence.task_verdict"] is None and facts["evidence.task_delta"] is None


def test_an_underpowered_no_difference_does_not_move_decide():
    kb = cached_knowledge()
    answers = Answers()
    plain = decide(answers, kb)
    small = decide(answers, kb, evidence=evidence_facts(_report({"verdict": "no_difference", "mde": 0.6})))
    powered = decide(answers, kb, evidence=evidence_facts(_report({"verdict": "no_difference", "mde": 0.08})))
    fired = lambda a: {r.rule for o in a.options for r in o.reasons}  # noqa: E731
    assert "evidence_candidate_worse" not in fired(small)
    assert [o.score for o in small.options] == [o.score for o in plain.options]
    assert "evidence_candidate_worse" in fired(powered)


def test_the_plan_uses_the_observed_discordance_when_evidence_is_given():
    from advisor.core.confirm import build_confirmation
    from advisor.core.probe.stats import required_cases

    answers = Answers.model_validate({"task": {"type": "classification"}, "data": {"eval_cases": 60}})
    assumed = build_confirmation("fine_tune", answers)
    assert assumed.discordance_source == "assumed" and assumed.assumed_discordance == 0.15
    report = {"suites": [{"id": "task", "n": 60, "verdict": "improvement", "discordance": 0.25, "mde": 0.18}]}
    for evidence in (report, evidence_facts(report)):  # the report itself, or the facts decide reads
        plan = build_confirmation("fine_tune", answers, evidence=evidence)
        assert plan.discordance_source == "observed" and plan.assumed_discordance == 0.25
        # Connor at psi 0.25, d 0.05: (1.96 * 0.5 + 0.8416 * sqrt(0.2475))^2 / 0.0025 = 782.8
        assert plan.required_cases == required_cases(0.05, 0.25) == 783
        assert plan.cases_to_add == 783 - 60

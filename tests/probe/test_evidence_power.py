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

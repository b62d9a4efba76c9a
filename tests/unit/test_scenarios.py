"""The rule families through realistic scenarios written from the seeds' own examples.

Each expectation is what the seed says should happen to such a team, not a
copy of the engine's output: e.g. seed 002 says a DeFi bot with stale APRs has
a retrieval problem, so retrieval must rank first and fine-tuning must not be
recommended.
"""

from __future__ import annotations

import pytest

from advisor.core.answers import load_answers
from advisor.core.decide import decide
from advisor.core.knowledge import load_knowledge
from tests.conftest import DATA

GOOD = DATA / "good"


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def assess(kb, name, **changes):
    answers = load_answers(str(GOOD / f"{name}.yaml"))
    for key, value in changes.items():
        answers = answers.with_answer(key.replace("__", "."), value)
    return decide(answers, kb)


def rank(a, option):
    return [o.id for o in a.options].index(option)


def complements(a, concern):
    return {c.lever for c in a.plan.complements if concern in c.concerns}


def rules_for(a, option):
    return {r.rule for o in a.options if o.id == option for r in o.reasons}


def test_defi_apr_bot_is_a_retrieval_problem(kb):
    a = assess(kb, "defi_apr_bot")
    assert a.primary == "rag"
    assert a.verdict == "not_recommended"
    assert a.fine_tune_method is None
    # High-risk, customer-facing onchain advice: guardrails go into the plan beside retrieval
    # (002 §10), without competing with it for first place.
    assert "routing_guardrails" in complements(a, "risk")
    assert [s.lever for s in a.plan.steps if s.role == "primary"] == ["rag"]
    # Daily-changing facts for a facts job, and a weekly workflow: hard gates on fine-tuning (002 §2, expert insight).
    assert {g.id for g in a.gates} >= {"facts_change_faster_than_weights", "workflow_faster_than_data"}
    blockers = {b.id for b in a.blockers}
    assert {"fresh_knowledge", "workflow_unstable", "no_retraining_owner"} <= blockers
    assert "missing_knowledge_needs_retrieval" in rules_for(a, "rag")


def test_invoice_extractor_with_consistent_mapping_errors_is_ready(kb):
    a = assess(kb, "invoice_extractor")
    assert a.primary == "fine_tune"
    assert a.verdict == "ready"
    assert a.blockers == [] and a.unverified == []
    assert a.fine_tune_method in {"sft", "lora"}
    assert "consistent_mapping_failure" in rules_for(a, "fine_tune")
    assert a.confidence_label == "high"


def test_noisy_startup_should_not_fine_tune_yet(kb):
    a = assess(kb, "startup_noisy")
    assert a.primary == "prompt_engineering"
    assert a.verdict == "not_recommended"
    blockers = {b.id for b in a.blockers}
    # Seed 002: undefined job, noisy data, weekly workflow, no eval, small eval set.
    assert {"no_metric", "data_noisy", "workflow_unstable", "no_eval_process", "eval_too_small", "no_baseline"} <= blockers


def test_strict_json_is_validators_first_and_becomes_fine_tuning_once_they_run(kb):
    a = assess(kb, "strict_json")
    assert a.primary == "validators"
    assert a.verdict == "not_recommended"
    # Validators in place and formats still break: the remaining lever is teaching the format.
    b = assess(kb, "strict_json", baseline__validators="in_production")
    assert b.primary == "fine_tune"
    assert b.verdict == "ready"
    cf = {c.key: c for c in a.counterfactuals}
    assert "baseline.validators" in cf
    assert cf["baseline.validators"].primary == ("validators", "fine_tune")


def test_wallet_assistant_on_one_agents_polished_replies_is_blocked(kb):
    a = assess(kb, "wallet_support_zendesk")
    assert a.primary == "fine_tune"
    assert a.verdict == "not_yet"
    assert {b.id for b in a.blockers} == {"data_unrepresentative", "single_source"}
    # Onchain and customer-facing: guardrails must stay in the plan, beside the fine-tune.
    assert "routing_guardrails" in complements(a, "risk")
    # Retrieval already runs in production: it is kept, not scored as a runner-up for a tone problem.
    assert "rag" in a.plan.in_place
    assert next(o.score for o in a.options if o.id == "rag") == 0


def test_latency_case_prefers_a_small_tuned_model(kb):
    a = assess(kb, "latency_router")
    assert a.primary == "fine_tune"
    assert a.verdict == "ready"
    assert "latency_cost_smaller_model" in rules_for(a, "fine_tune")


@pytest.mark.parametrize(
    "cause, expected",
    [
        ("missing_knowledge", "rag"),
        ("calculation_or_lookup", "tool_use"),
        ("format_instability", "validators"),
    ],
)
def test_three_way_rule_of_seed_000(kb, cause, expected):
    """With everything else neutral-to-favourable, the failure cause picks the lever."""
    a = assess(kb, "invoice_extractor", failure__main_cause=cause, baseline__validators="none",
               baseline__tools="none", baseline__retrieval="none", failure__same_input_same_wrong_output=None)
    assert a.primary == expected


def test_fast_changing_knowledge_flips_a_ready_case_to_retrieval(kb):
    a = assess(kb, "invoice_extractor", knowledge__change_rate="daily")
    assert a.primary == "rag" or a.verdict != "ready"
    assert "fresh_knowledge" in {b.id for b in a.blockers}


def test_high_risk_domain_adds_guardrails_beside_the_lever_for_the_cause(kb):
    base = assess(kb, "invoice_extractor")
    risky = assess(kb, "invoice_extractor", risk__domain="health", risk__customer_facing=True, risk__level=None)
    assert "routing_guardrails" not in complements(base, "risk")
    assert "routing_guardrails" in complements(risky, "risk")
    # Risk is a cross-cutting concern: it does not take first place from the lever that fixes the failure.
    assert risky.primary == base.primary == "fine_tune"


def test_workflow_changing_weekly_blocks_fine_tuning(kb):
    a = assess(kb, "invoice_extractor", product__workflow_change="weekly")
    assert a.verdict != "ready"
    assert "workflow_unstable" in {b.id for b in a.blockers}


@pytest.mark.parametrize(
    "key, value, blocker",
    [
        ("task.metric_defined", False, "no_metric"),
        ("task.narrow_and_repeatable", False, "task_not_narrow"),
        ("baseline.prompting", "basic", "no_baseline"),
        ("data.examples", 150, "data_too_small"),
        ("data.quality", "noisy", "data_noisy"),
        ("data.representative", "no", "data_unrepresentative"),
        ("data.synthetic_share", 0.8, "synthetic_heavy"),
        ("data.eval_cases", 30, "eval_too_small"),
        ("data.eval_overlap_checked", False, "eval_overlap_unchecked"),
        ("team.can_maintain_retraining", False, "no_retraining_owner"),
        ("product.workflow_change", "weekly", "workflow_unstable"),
        ("knowledge.change_rate", "weekly", "fresh_knowledge"),
    ],
)
def test_each_contract_blocker_fires_on_its_condition(kb, key, value, blocker):
    a = decide(load_answers(str(GOOD / "invoice_extractor.yaml")).with_answer(key, value), kb)
    assert blocker in {b.id for b in a.blockers}
    assert a.verdict != "ready"


def test_method_choice(kb):
    # Small team, few hundred examples: adapters (seed 003: LoRA limits forgetting).
    a = assess(kb, "invoice_extractor")
    assert a.fine_tune_method == "lora"
    # Dedicated MLOps and thousands of clean labels for a mapping problem: full SFT.
    b = assess(kb, "invoice_extractor", team__mlops="dedicated", data__examples=5000)
    assert b.fine_tune_method == "sft"
    # Brand voice is style, which the modes table puts under SFT, not preference tuning (000).
    c = assess(kb, "wallet_support_zendesk", team__mlops="dedicated", data__examples=3000,
               task__type="style_format", data__representative="yes", data__source_diversity="many")
    assert c.fine_tune_method == "sft"
    # A goal of more cautious, policy-following answers is what preference tuning optimises (000).
    d = assess(kb, "wallet_support_zendesk", team__mlops="dedicated", data__examples=3000,
               task__type="style_format", data__representative="yes", data__source_diversity="many",
               failure__tone_goal="more_cautious")
    assert d.fine_tune_method == "preference"

"""Invariants of the plan model, checked on every fixture and scenario (not on chosen outputs)."""

from __future__ import annotations

import json
import re

import pytest

from advisor.core.answers import load_answers
from advisor.core.decide import decide
from advisor.core.knowledge import load_knowledge
from tests.conftest import DATA
from tests.unit.test_seed_scenarios import SCENARIOS, load_scenario

GOOD = sorted((DATA / "good").glob("*.yaml"))


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def decided_cases(kb) -> list:
    """Every fixture and scenario, decided: (name, assessment)."""
    return ([(p.stem, decide(load_answers(str(p)), kb)) for p in GOOD]
            + [(p.stem, decide(load_scenario(p)[1], kb)) for p in SCENARIOS])


@pytest.fixture(scope="module")
def assessed(kb):
    """Every fixture and scenario, decided once for all the invariants below."""
    return decided_cases(kb)


def test_only_fit_rules_rank_levers_and_gated_levers_never_lead(assessed, kb):
    roles = {r.id: r.role for r in kb.rules}
    for name, a in assessed:
        for o in a.options:
            assert all(roles[r.rule] == "fit" for r in o.reasons), name
            assert o.score == pytest.approx(sum(r.weight for r in o.reasons)), name
        gated = {g.lever for g in a.gates}
        assert a.primary not in gated, name
        assert a.options[0].id == a.primary == a.plan.primary, name
        # A ready fine-tune is primary, ungated and clear of every check.
        if a.verdict == "ready":
            assert a.primary == "fine_tune" and not a.blockers and not a.unverified, name
        # Complements are never the primary lever and never held by a gate.
        for c in a.plan.complements:
            assert c.lever not in gated, name
        # Steps are numbered in order, and each has a go/no-go threshold.
        assert [s.order for s in a.plan.steps] == list(range(1, len(a.plan.steps) + 1)), name
        assert all(s.go_no_go.metric and s.go_no_go.threshold for s in a.plan.steps), name


def test_every_counterfactual_replays(assessed, kb):
    for name, a in assessed:
        for c in a.counterfactuals:
            b = decide(a.answers.with_answer(c.key, c.alternative), kb, counterfactuals=False)
            assert (b.primary, b.verdict) != (a.primary, a.verdict), f"{name}: {c.text}"


def test_no_internal_source_name_reaches_a_user(cli, kb):
    # The documents' internal ids, their original file names and the word "seed" never appear.
    internal = [re.escape(s.id) for s in kb.sources] + [r"\.txt\b", r"\bseed\b"]
    outputs = []
    for p in GOOD:
        for fmt in ("md", "json", "text"):
            r = cli("decide", "--answers", str(p), "--format", fmt)
            assert r.returncode == 0, r.stderr
            outputs.append((f"{p.name} {fmt}", r.stdout))
    outputs.append(("rules list", cli("rules", "list").stdout))
    for item in [kb.rules[0].id, kb.gates[0].id, kb.blockers[0].id, "fine_tune"]:
        outputs.append((f"explain {item}", cli("explain", item).stdout))
    for where, text in outputs:
        for pat in internal:
            assert not re.search(pat, text, re.IGNORECASE), f"{where} shows {pat!r}"


def test_json_keeps_the_original_keys_and_adds_the_plan(cli):
    r = cli("decide", "--answers", str(DATA / "good" / "wallet_support_zendesk.yaml"), "--format", "json")
    data = json.loads(r.stdout)
    assert {"verdict", "primary", "options", "blockers", "fine_tune_method", "unknowns", "knowledge_version",
            "confidence", "unverified_checks", "counterfactuals", "plan"} <= set(data)
    plan = data["plan"]
    assert {"steps", "complements", "gates", "readiness", "method", "confidence", "kill_criterion", "confirmation"} <= set(plan)
    assert plan["confirmation"]["lever"] == data["primary"]


# -- complements (docs/decide.md, steps 4 and 5) ------------------------------------------------


def test_complements_are_listed_cheapest_first_and_each_step_carries_its_complement(assessed, kb):
    priority = {o.id: o.priority for o in kb.options}
    unlike_the_alphabet = 0
    for name, a in assessed:
        levers = [c.lever for c in a.plan.complements]
        assert [priority[x] for x in levers] == sorted(priority[x] for x in levers), name
        unlike_the_alphabet += levers != sorted(levers)
        by_lever = {c.lever: c for c in a.plan.complements}
        steps = [s for s in a.plan.steps if s.role == "complement"]
        assert [s.lever for s in steps] == [x for x in levers if x in {s.lever for s in steps}], name
        for s in steps:
            c = by_lever[s.lever]
            assert (s.concerns, s.rules, s.sources, s.why) == (c.concerns, c.rules, c.sources, c.why), name
            assert s.concerns and s.rules, name
    assert unlike_the_alphabet, "no case where cheapest-first differs from alphabetical order"


def _load(name: str):
    p = DATA / "good" / f"{name}.yaml"
    return load_answers(str(p)) if p.exists() else load_scenario(DATA / "scenarios" / f"{name}.yaml")[1]


@pytest.mark.parametrize("case,key,lever", [
    ("defi_apr_bot", "baseline.retrieval", "rag"),                   # daily facts ask for retrieval beside
    ("05_agent_with_medium_risk", "baseline.tools", "tool_use"),    # an agent's calls ask for tools beside
])
def test_a_lever_a_gate_holds_is_not_proposed_beside_the_primary(kb, case, key, lever):
    """The team says the job needs no retrieval (or no tools): the gate holds the lever, and the complement
    rules that would add it add nothing; the other levers the same rules ask for stay."""
    before = decide(_load(case), kb)
    assert lever in {c.lever for c in before.plan.complements}
    after = decide(before.answers.with_answer(key, "not_applicable"), kb)
    assert lever in {g.lever for g in after.gates}
    assert lever not in {c.lever for c in after.plan.complements}
    assert lever not in {s.lever for s in after.plan.steps if s.role == "complement"}
    others = lambda a: {c.lever: c.rules for c in a.plan.complements if c.lever != lever}  # noqa: E731
    assert others(after) == others(before)


def test_the_order_a_rule_lists_its_levers_in_changes_no_advice(kb, assessed):
    """A knowledge author may write a rule's effects in any order; with the tools gate holding, the
    agent's rule asks for validators and tools, and validators is still proposed whichever comes first."""
    flipped = kb.model_copy(update={"rules": [r.model_copy(update={"effects": dict(reversed(list(r.effects.items())))})
                                             for r in kb.rules]})
    assert [list(r.effects)[::-1] for r in flipped.rules] == [list(r.effects) for r in kb.rules]
    agent = decide(_load("05_agent_with_medium_risk").with_answer("baseline.tools", "not_applicable"), kb)
    cases = [(name, a.answers) for name, a in assessed] + [("agent without tools", agent.answers)]
    for name, answers in cases:
        a, b = decide(answers, kb), decide(answers, flipped)
        assert b.to_contract() == a.to_contract(), name
    assert "validators" in {c.lever for c in agent.plan.complements}


def test_with_no_rule_for_any_lever_the_cheapest_leads_on_no_rule(kb):
    """docs/decide.md step 3: no lever scores above zero, so prompt engineering leads; its step cites no rule
    and no source, and says why it is first."""
    from advisor.core.answers import Answers

    a = decide(Answers(), kb)
    first = a.plan.steps[0]
    assert (first.lever, first.role, first.rules, first.sources) == ("prompt_engineering", "primary", [], [])
    assert first.why == "No rule argued more strongly for another lever, and it is the cheapest one to try."


def test_rules_check_refuses_a_weight_that_moves_nothing(kb):
    """A zero weight would list a rule under a lever as an argument for it while adding nothing."""
    from advisor.core.decide import EVIDENCE_KEYS
    from advisor.core.knowledge import lint

    assert lint(kb, extra_keys=EVIDENCE_KEYS) == []
    fit = next(r for r in kb.rules if r.role == "fit" and "rag" not in r.effects)
    zero = fit.model_copy(update={"effects": {**fit.effects, "rag": 0.0}})
    broken = kb.model_copy(update={"rules": [zero if r is fit else r for r in kb.rules]})
    assert lint(broken, extra_keys=EVIDENCE_KEYS) == [
        f"rule {fit.id}: a weight of 0 for rag moves nothing (remove it or give it a sign)"]


def test_rules_check_refuses_a_readiness_rule_that_does_not_weigh_fine_tuning(kb):
    """A readiness rule's note in the plan carries its fine-tuning weight: one with none (or 0) says nothing."""
    from advisor.core.decide import EVIDENCE_KEYS
    from advisor.core.knowledge import lint

    ready = next(r for r in kb.rules if r.role == "readiness")
    for effects in ({}, {"fine_tune": 0.0}):
        bare = ready.model_copy(update={"effects": effects, "method": {"lora": 0.5}})
        broken = kb.model_copy(update={"rules": [bare if r is ready else r for r in kb.rules]})
        assert f"rule {ready.id}: a readiness rule needs a fine_tune weight (its note in the plan shows it)" in lint(
            broken, extra_keys=EVIDENCE_KEYS), effects

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


@pytest.fixture(scope="module")
def assessed(kb):
    """Every fixture and scenario, decided once for all the invariants below."""
    return ([(p.stem, decide(load_answers(str(p)), kb)) for p in GOOD]
            + [(p.stem, decide(load_scenario(p)[1], kb)) for p in SCENARIOS])


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

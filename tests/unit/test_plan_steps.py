"""The plan's later steps, kill criterion, method and readiness, by docs/decide.md steps 5 to 7.

Every fixture and scenario is decided once; each test states a property the document gives
and checks it on every case the property applies to, with a count so that a property that
applies to no case cannot pass unnoticed. Expected values come from the knowledge files
(options, methods, rules, gates) and the assessment's own verdict, blockers and gates.
"""

from __future__ import annotations

import re

import pytest

from advisor.core.answers import Answers
from advisor.core.decide import decide
from advisor.core.knowledge import load_knowledge
from tests.unit.test_plan import _load, decided_cases


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


@pytest.fixture(scope="module")
def assessed(kb):
    """Every fixture and scenario, and two kinds of sparse answers.

    Nothing answered at all: every lever scores 0, prompting leads, and fine-tuning ties with it.
    Only the failure answered, for each cause: a format failure leaves fine-tuning at exactly 0 behind
    validators, which takes it off the table (no later step, no kill criterion)."""
    causes = next(q for q in kb.questions if q.key == "failure.main_cause").choices
    return (decided_cases(kb)
            + [("nothing answered", decide(Answers(), kb))]
            + [(f"only {c.value}", decide(Answers().with_answer("failure.main_cause", c.value), kb)) for c in causes])


def _ft_on_table(a) -> bool:
    """docs/decide.md step 5: fine-tuning is primary, or scores above zero, ties, or a gate holds it."""
    ft = next(o for o in a.options if o.id == "fine_tune")
    return a.primary == "fine_tune" or a.verdict == "not_yet" or ft.score > 0


def _steps(a, role):
    return [s for s in a.plan.steps if s.role == role]


def test_a_ready_or_held_fine_tune_is_cleared_first_and_only_then_piloted(assessed, kb):
    with_checks = without = 0
    for name, a in assessed:
        if a.primary != "fine_tune":
            assert not _steps(a, "prerequisite"), name
            continue
        ft_pending = [u.id for u in a.unverified]
        holds = [b.id for b in a.blockers] + ft_pending
        pre = _steps(a, "prerequisite")
        pilot = _steps(a, "primary")
        assert len(pilot) == 1 and pilot[0].lever == "fine_tune", name
        if not holds:
            # Nothing fails or waits: no step to clear, and the verdict says so.
            assert not pre and a.verdict == "ready", name
            without += 1
            continue
        with_checks += 1
        assert a.verdict == "not_yet", name
        assert len(pre) == 1 and pre[0].lever == "fine_tune", name
        step = pre[0]
        assert re.search(r"\bclear the fine-tuning readiness checks\b", step.title, re.I), name  # step 5's words
        # The step names every check that fails or waits, blockers first, and before the pilot.
        assert step.rules[:len(a.blockers)] == [b.id for b in a.blockers], name
        assert set(holds) <= set(step.rules), name
        assert step.order < pilot[0].order, name
        # Its sources are the blockers' and checks' documents, each once, in a stable order.
        cites = {kb.cite(b.source) for b in kb.blockers + kb.gates if b.id in holds}
        assert step.sources == sorted(cites), name
        assert step.sources, name
        # Its cost is not the training's: the data and evaluation work comes first.
        assert step.cost != kb.option("fine_tune").cost and re.search(r"\bdays?\b", step.cost, re.I), name
        assert re.search(r"readiness", step.go_no_go.metric, re.I), name
        assert re.search(r"every check", step.go_no_go.threshold, re.I), name
        # The complements come between the checks and the pilot (routing excepted).
        for c in _steps(a, "complement"):
            if c.concerns != ["routing"]:
                assert step.order < c.order < pilot[0].order, name
    assert with_checks >= 10 and without >= 10, (with_checks, without)


def test_the_pilot_names_its_method_and_tests_shift_and_red_teams_a_customer_facing_model(assessed, kb):
    facing = internal = 0
    for name, a in assessed:
        if a.primary != "fine_tune":
            continue
        (pilot,) = _steps(a, "primary")
        method = kb.method(a.fine_tune_method)
        assert method is not None, name
        assert method.name in pilot.title and re.search(r"\bpilot\b", pilot.title), name
        base = kb.option("fine_tune").go_no_go
        # The shift test spelled out (docs/decide.md step 5: paraphrases, lengths, time slices).
        assert pilot.go_no_go.metric.startswith(base.metric), name
        for word in ("paraphrase", "longer", "shorter", "older", "newer"):
            assert word in pilot.go_no_go.metric, (name, word)
        own = base.threshold.replace("{min_delta}", f"{a.plan.confirmation.min_delta * 100:g}")
        assert pilot.go_no_go.threshold.startswith(own), name
        red = "red-team" in pilot.go_no_go.threshold[len(own):]
        if a.answers.flat().get("risk.customer_facing") is True:
            facing += 1
            assert red and "after every training run" in pilot.go_no_go.threshold, name
            assert pilot.rules[-1] == "customer_facing_red_team", name
        else:
            internal += 1
            assert not red and "customer_facing_red_team" not in pilot.rules, name
        # The pilot's reasons are fine-tuning's own fit rules, strongest first.
        ft = next(o for o in a.options if o.id == "fine_tune")
        pros = [r.rule for r in ft.reasons if r.weight > 0]
        assert [r for r in pilot.rules if r != "customer_facing_red_team"] == pros[:3], name
        assert pilot.why == next(r.text for r in ft.reasons if r.weight > 0), name
    assert facing >= 3 and internal >= 3, (facing, internal)


def test_routing_to_the_tuned_model_comes_after_the_pilot(assessed):
    after = before = 0
    for name, a in assessed:
        if a.primary != "fine_tune":
            continue
        (pilot,) = _steps(a, "primary")
        for c in _steps(a, "complement"):
            if c.concerns == ["routing"]:
                assert c.order > pilot.order, name
                after += 1
            else:
                assert c.order < pilot.order, name
                before += 1
    assert after >= 2 and before >= 2, (after, before)


def test_fine_tuning_still_on_the_table_ends_the_plan_with_its_gate_lift(assessed, kb):
    with_gate = plain = off = 0
    for name, a in assessed:
        later = _steps(a, "later")
        if a.primary == "fine_tune":
            assert not later, name
            continue
        if not _ft_on_table(a):
            assert not later, name
            off += 1
            continue
        assert len(later) == 1 and later[0] is a.plan.steps[-1] and later[0].lever == "fine_tune", name
        step = later[0]
        assert re.search(r"\bonly then reconsider fine-tuning\b", step.title, re.I), name  # step 5's words
        ft_gates = [g for g in a.gates if g.lever == "fine_tune"]
        assert step.rules == [g.id for g in ft_gates], name
        assert step.sources == [g.source for g in ft_gates], name
        if ft_gates:
            with_gate += 1
            assert step.why.endswith(" " + ft_gates[0].lift), name
        else:
            plain += 1
            assert step.why.endswith("passes."), name
        assert "50 held-out cases" in step.go_no_go.threshold, name
        assert re.search(r"no gate", step.go_no_go.threshold), name
        assert step.go_no_go.metric != kb.option("fine_tune").go_no_go.metric, name
    assert with_gate >= 3 and plain >= 3 and off >= 3, (with_gate, plain, off)


@pytest.mark.parametrize("share", [None, 0.08, 0.125])
def test_the_kill_criterion_exists_exactly_while_fine_tuning_is_on_the_table(assessed, kb, share):
    on = off = 0
    for name, a in assessed:
        if share is not None:
            a = decide(a.answers, kb, counterfactuals=False, min_delta=share)
        kill = a.plan.kill_criterion
        if not _ft_on_table(a):
            assert kill is None, name
            off += 1
            continue
        on += 1
        assert kill, name
        pts = f"{a.plan.confirmation.min_delta * 100:g}"
        assert re.search(rf"by at least {re.escape(pts)} points\b", kill), (name, kill)
        assert "prompted baseline" in kill and "general capability" in kill and "shifted inputs" in kill, name
    assert on >= 20 and off >= 3, (on, off)


def test_the_method_is_the_one_the_assessment_chose_with_its_settings_and_sources(assessed, kb):
    shown = 0
    method_rules = {r.id: r for r in kb.rules if r.role == "method"}
    for name, a in assessed:
        m = a.plan.method
        if a.fine_tune_method is None:
            assert m is None, name
            continue
        shown += 1
        info = kb.method(a.fine_tune_method)
        assert (m.id, m.name) == (a.fine_tune_method, info.name), name
        assert m.settings == list(info.settings) and m.settings, name
        assert m.sources == [kb.cite(s) for s in info.sources] and m.sources, name
        assert len(m.why) == len(m.rules), name
        if not m.rules:  # no method rule voted: the tie goes to LoRA (step 7)
            assert m.id == "lora", name
        for rid, text in zip(m.rules, m.why):
            assert rid in method_rules, (name, rid)
            assert text == method_rules[rid].rationale, (name, rid)
    assert shown >= 20, shown


def test_readiness_lists_the_assessments_checks_and_every_readiness_rule_that_fired(assessed, kb):
    noted = 0
    rules = {r.id: r for r in kb.rules}
    for name, a in assessed:
        r = a.plan.readiness
        assert r.verdict == a.verdict, name
        assert r.blockers == [b.id for b in a.blockers], name
        unverified = [u.id for u in a.unverified]
        if a.primary == "fine_tune":
            assert r.unverified == unverified, name
        else:
            # A gate that might hold fine-tuning is still a check fine-tuning waits on.
            assert r.unverified[:len(unverified)] == unverified, name
            assert set(r.unverified[len(unverified):]) <= {g.id for g in kb.gates if g.lever == "fine_tune"}, name
        assert r.gates == [g.id for g in a.gates if g.lever == "fine_tune"], name
        for note in r.notes:
            rule = rules[note.rule]
            assert rule.role == "readiness", name
            assert (note.title, note.text, note.source) == (rule.title, rule.rationale, kb.cite(rule.source)), name
            assert note.weight == rule.effects.get("fine_tune", 0.0), name
            noted += note.weight != 0
        assert len({n.rule for n in r.notes}) == len(r.notes), name
    assert noted >= 10, noted


def test_the_summary_leads_with_the_primary_lists_what_goes_beside_it_and_names_the_first_step(assessed, kb):
    beside = first_other = 0
    for name, a in assessed:
        p = a.plan
        s = p.summary
        assert s.startswith(f"Lead with {kb.option(a.primary).name}") and s.endswith("."), name
        others = [c.name for c in p.complements if c.lever != a.primary and not c.in_place]
        if others:
            beside += 1
            assert f", with {', '.join(others)} beside it" in s, name
        else:
            assert "beside it" not in s, name
        # Every plan has exactly one primary step, the primary lever's own, so there is always a first step.
        assert [st.lever for st in _steps(a, "primary")] == [a.primary], name
        first = p.steps[0]
        if first.lever != a.primary:
            first_other += 1
            assert s.endswith("; first, " + first.title[0].lower() + first.title[1:] + "."), name
        else:
            assert "; first," not in s, name
    assert beside >= 10 and first_other >= 5, (beside, first_other)


def test_the_plan_names_the_failure_cause_only_when_it_was_answered(assessed, kb):
    told = 0
    for name, a in assessed:
        cause = a.answers.flat().get("failure.main_cause")
        if cause in (None, "unknown") or not isinstance(cause, str):
            assert a.plan.cause is None, name
        else:
            told += 1
            assert a.plan.cause == cause, name
    assert told >= 20, told
    a = decide(next(x for n, x in assessed if x.plan.cause).answers.with_answer("failure.main_cause", "unknown"), kb,
               counterfactuals=False)
    assert a.plan.cause is None


def test_every_complement_not_already_there_gets_its_step(assessed):
    """docs/decide.md steps 4 and 5: a complement is proposed unless it is the primary lever itself or
    already in production; every other one becomes a step (routing a slice after a pilot fine-tune)."""
    skipped_before_another = 0
    for name, a in assessed:
        proposed = [c.lever != a.primary and not c.in_place for c in a.plan.complements]
        wanted = [c.lever for c, p in zip(a.plan.complements, proposed) if p]
        got = [s.lever for s in _steps(a, "complement")]
        assert sorted(got) == sorted(wanted), name
        skipped_before_another += False in proposed[:-1]
    assert skipped_before_another >= 1, "no case where a complement left out comes before one proposed"


@pytest.mark.parametrize("base", ["defi_apr_bot", "12_basic_prompt_only"])
def test_the_baseline_step_cites_unexhausted_prompting_exactly_when_that_rule_holds(kb, base):
    """The engineered-baseline step comes first unless prompting is already systematic or is the primary
    lever (step 5); it names the readiness rule on unexhausted prompting when the answer meets that rule."""
    rule = next(r for r in kb.rules if r.id == "prompting_not_exhausted")
    question = next(q for q in kb.questions if q.key == "baseline.prompting")
    seen = set()
    for value in [c.value for c in question.choices] + [None]:
        a = decide(_load(base).with_answer("baseline.prompting", value), kb, counterfactuals=False)
        steps = _steps(a, "baseline")
        if value == "systematic" or a.primary == "prompt_engineering":
            assert not steps, (base, value)
            continue
        (step,) = steps
        assert step is a.plan.steps[0] and step.lever == "prompt_engineering", (base, value)
        holds = rule.when.evaluate(a.answers.flat()) is True
        assert step.rules == (["prompting_not_exhausted"] if holds else []), (base, value)
        seen.add(holds)
    assert seen == {True, False}, base


def test_with_retrieval_and_a_routing_slice_retrieval_comes_before_the_pilot_and_routing_after(kb):
    """A small served model for latency (routing a slice to it) whose job also needs long-tail facts it
    has no retrieval for: both complements are proposed, on either side of the pilot (step 5)."""
    a = (_load("06_small_model_for_latency").with_answer("baseline.retrieval", "none")
         .with_answer("knowledge.long_tail_facts", True))
    d = decide(a, kb, counterfactuals=False)
    assert d.primary == "fine_tune"
    assert [(c.lever, c.concerns) for c in d.plan.complements] == [("rag", ["fresh_facts"]),
                                                                   ("routing_guardrails", ["routing"])]
    assert [(s.role, s.lever) for s in d.plan.steps] == [("complement", "rag"), ("primary", "fine_tune"),
                                                          ("complement", "routing_guardrails")]


_SHOUT = re.compile(r"\b[A-Z]{2,}(?:\W+[A-Z]{2,}\b){2,}")  # three capitalised words in a row


def test_step_texts_read_as_sentences(assessed):
    """Titles, reasons and costs start with a capital and reasons end a sentence; go/no-go criteria are
    phrases that go on after "metric:" or "go when", so they start in lower case; none shouts."""
    for name, a in assessed:
        for s in a.plan.steps:
            for text in (s.title, s.why, s.cost):
                assert text[0].isupper() and not _SHOUT.search(text), (name, s.role, text)
            assert s.why.rstrip(")").endswith("."), (name, s.role, s.why)
            for text in (s.go_no_go.metric, s.go_no_go.threshold):
                assert text[0].islower() and not _SHOUT.search(text), (name, s.role, text)

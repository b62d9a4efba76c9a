"""What an assessment lists beside its verdict, checked against each field's definition on varied answers.

The levers' waiting rules, the questions the interview skipped, and the reasons for the chosen
fine-tuning method: each is re-derived here from the knowledge base and the answers, the way
docs/formats.md defines it, on the fixtures, the scenarios and seeded variations of them.
"""

from __future__ import annotations

import re

import pytest

from advisor.core.answers import is_unknown, load_answers
from advisor.core.decide import decide
from advisor.core.knowledge import load_knowledge
from tests.conftest import DATA
from tests.unit.test_path_to_ready import varied_answers

TIE_ORDER = ["lora", "qlora", "sft", "preference"]  # docs/decide.md: ties go to the cheaper, more reversible method


def _on_evidence_only(cond) -> bool:
    """A condition only a probe run can settle (decide never waits on it, nor asks for it)."""
    return all(k.startswith("evidence.") for k in cond.keys())


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


@pytest.fixture(scope="module")
def assessed(kb):
    return [decide(a, kb) for a in varied_answers(kb, 120, seed=3)]


def test_a_lever_waits_only_on_fit_rules_the_interview_can_still_settle(assessed, kb):
    waiting_seen = 0
    for a in assessed:
        facts = a.answers.flat()
        asked = {q.key for q in kb.questions if q.should_ask(facts)}
        for o in a.options:
            expected = [r.id for r in kb.rules
                        if r.role == "fit" and o.id in r.effects and r.when.evaluate(facts) is None
                        and not _on_evidence_only(r.when)
                        and any(is_unknown(facts.get(k)) and k in asked for k in r.when.keys())]
            assert o.pending == expected, (o.id, o.pending, expected)
            waiting_seen += bool(expected)
    assert waiting_seen >= 20


def test_a_skipped_question_lists_the_checks_it_leaves_open_and_what_it_could_change(assessed, kb):
    seen = {"checks": 0, "could_change": 0}
    for a in assessed:
        facts = a.answers.flat()
        skipped = [q for q in kb.questions if not q.should_ask(facts) and is_unknown(facts.get(q.key))]
        assert [n.key for n in a.not_asked] == [q.key for q in skipped]
        open_checks = [u.id for u in a.unverified if kb.blocker(u.id)]  # (pending gates are listed there too)
        for n, q in zip(a.not_asked, skipped):
            assert n.prompt == q.prompt and n.because == sorted(q.ask_if.keys())
            pending_gates = [g.id for g in kb.gates if g.when.evaluate(facts) is None and q.key in g.when.keys()]
            assert n.checks == [i for i in open_checks if q.key in kb.blocker(i).when.keys()] + pending_gates
            labels = {q.label_for(v) for v in q.choice_values()} if q.kind in ("choice", "bool") else None
            for line in n.could_change:
                m = re.fullmatch(r"“(.+?)”: the (plan would lead with|fine-tuning verdict would be) .+", line)
                assert m, line
                assert labels is None or m.group(1) in labels, (q.key, line)
            seen["checks"] += bool(n.checks)
            seen["could_change"] += bool(n.could_change)
    assert all(seen.values()), seen


def test_an_open_questions_what_ifs_name_an_answer_it_could_take(assessed, kb):
    seen = 0
    for a in assessed:
        for u in a.unknowns:
            q = kb.question(u.key)
            labels = {q.label_for(v) for v in q.choice_values()} if q.kind in ("choice", "bool") else None
            for line in u.could_change:
                m = re.fullmatch(r"“(.+?)”: the (plan would lead with|fine-tuning verdict would be) .+", line)
                assert m, line
                assert labels is None or m.group(1) in labels, (q.key, line)
                if labels is None:
                    float(m.group(1))  # a number, not "None"
                seen += 1
    assert seen >= 20


def test_the_method_is_the_best_scored_and_its_reasons_are_every_rule_that_backs_it(assessed, kb):
    methods = set()
    for a in assessed:
        if a.verdict == "not_recommended":
            assert a.fine_tune_method is None and a.method_reasons == []
            continue
        facts = a.answers.flat()
        fired = [r for r in kb.rules if r.when.evaluate(facts) is True]
        assert a.method_scores == {m: sum(r.method.get(m, 0) for r in fired) for m in TIE_ORDER}
        best = max(a.method_scores.values())
        assert a.fine_tune_method == next(m for m in TIE_ORDER if a.method_scores[m] == best)
        backing = [r.id for r in kb.rules if r.method.get(a.fine_tune_method, 0) > 0 and r.when.evaluate(facts) is True]
        assert [r.rule for r in a.method_reasons] == backing
        assert [r.weight for r in a.method_reasons] == [kb.rule(i).method[a.fine_tune_method] for i in backing]
        methods.add(a.fine_tune_method)
    assert {"lora", "sft"} <= methods


@pytest.fixture(scope="module")
def with_what_ifs(kb, assessed):
    """The sample and, for every third assessment, the answers of each of its what-ifs (scores a step apart)."""
    more = [decide(a.answers.with_answer(c.key, c.alternative), kb, counterfactuals=False)
            for a in assessed[::3] for c in a.counterfactuals]
    return [*assessed, *more]


def test_the_lead_and_the_verdict_follow_the_scores_as_docs_decide_md_says(with_what_ifs, kb):
    """docs/decide.md, steps 5-6: the best-scored lever no gate holds leads (the cheaper on a tie, prompting when
    nothing scores); fine-tuning not leading is ``not_yet`` when a gate holds it and it scores at least the lead
    or when it ties the lead, and ``not_recommended`` when the lead scores more."""
    priority = {o.id: o.priority for o in kb.options}
    kinds = set()
    for a in with_what_ifs:
        scores = {o.id: o.score for o in a.options}
        gated = {o.id for o in a.options if o.gated_by}
        ranked = sorted(scores, key=lambda o: (-scores[o], priority[o]))
        lead = next((o for o in ranked if o not in gated and scores[o] > 0), "prompt_engineering")
        assert a.primary == lead, (a.primary, scores, gated)
        ft, best = scores["fine_tune"], scores[lead]
        if lead == "fine_tune":
            kind = "ready" if not (a.blockers or a.unverified) else "not_yet"
        elif "fine_tune" in gated and ft >= best:
            kind = "not_yet"
        else:
            kind = "not_yet" if ft == best else "not_recommended"
        assert a.verdict == kind, (a.verdict, kind, scores, gated)
        kinds.add((lead == "fine_tune", "fine_tune" in gated, (ft > best) - (ft < best), a.verdict))
    # Ties and near misses both happen: half-point scores a point apart, equal scores, gated leads.
    assert {(False, False, -1, "not_recommended"), (False, False, 0, "not_yet"), (False, True, 1, "not_yet")} <= kinds, kinds


def _docs_confidence(margin: float, flips: int, unanswered: int) -> tuple[float, str, str]:
    """docs/decide.md, Confidence: 0.35 at a tie up to 1 at a margin of 3, less 0.12 per flip-capable unknown
    (at most four) and 0.02 per other unanswered question (at most ten); the driver is the largest deduction."""
    base = 0.35 + 0.65 * min(1.0, max(margin, 0.0) / 3)
    cut = {"margin": 1 - base, "flip_unknowns": 0.12 * min(flips, 4), "unanswered": 0.02 * min(unanswered - flips, 10)}
    value = round(max(0.0, min(1.0, base - cut["flip_unknowns"] - cut["unanswered"])), 2)
    label = "high" if value >= 0.75 else "medium" if value >= 0.5 else "low"
    driver = max(cut, key=cut.get) if max(cut.values()) > 1e-9 else "none"
    return value, label, driver


def test_confidence_is_the_margin_over_the_runner_up_less_the_open_questions(kb, assessed):
    """The runner-up is the best-scored lever after the lead; the flip-capable unknowns are those with a what-if
    (or, without what-ifs, those holding a check or waiting on a rule about the lead or the runner-up)."""
    priority = {o.id: o.priority for o in kb.options}
    names = {o.id: o.name for o in kb.options}
    seen = {"driver": set(), "half_margin": 0, "negative_margin": 0, "flips_both_ways": 0}
    for a in assessed:
        quick = decide(a.answers, kb, counterfactuals=False)
        for x, flips in ((a, [u.key for u in a.unknowns if u.could_change]), (quick, None)):
            c = x.plan.confidence
            scores = {o.id: o.score for o in x.options}
            runner_up = sorted((o for o in scores if o != x.primary), key=lambda o: (-scores[o], priority[o]))[0]
            assert c.runner_up == runner_up
            margin = scores[x.primary] - scores[runner_up]
            assert c.margin == max(round(margin, 3), 0.0), (c.margin, margin)
            if flips is None:
                near = {x.primary, runner_up}
                flips = [u.key for u in x.unknowns
                         if u.blockers or any(near & set(kb.rule(r).effects) for r in u.rules if kb.rule(r))]
                if a.plan.confidence.flip_unknowns != flips:
                    seen["flips_both_ways"] += 1
            assert c.flip_unknowns == flips
            assert c.unanswered == len(x.unknowns)
            value, label, driver = _docs_confidence(margin, len(flips), len(x.unknowns))
            assert (c.value, c.label, c.driver) == (value, label, driver) == (x.confidence, x.confidence_label, driver)
            if driver == "margin":
                assert c.text == (f"driven by the margin: {names[x.primary]} scores {scores[x.primary]:g} "
                                  f"against {names[runner_up]} at {scores[runner_up]:g}")
            elif driver == "flip_unknowns":  # how many open questions could change the outcome
                assert c.text.startswith(f"driven by {len(flips)} unanswered question(s) whose answer could change")
            elif driver == "unanswered":
                assert c.text.startswith(f"driven by {len(x.unknowns)} unanswered question(s), none of which alone")
            seen["driver"].add(driver)
            seen["half_margin"] += margin % 1 == 0.5
            seen["negative_margin"] += margin < 0
    assert {"margin", "flip_unknowns", "unanswered"} <= seen["driver"], seen
    assert seen["half_margin"] and seen["negative_margin"] and seen["flips_both_ways"], seen


def test_a_number_or_a_scale_changes_in_a_direction_and_the_what_if_keeps_the_current_answer(assessed, kb):
    kinds = set()
    for a in assessed:
        facts = a.answers.flat()
        for c in a.counterfactuals:
            q = kb.question(c.key)
            assert c.current == facts.get(c.key) and c.current_label == q.label_for(c.current)
            if q.kind in ("int", "float"):
                assert c.direction == ("up" if c.alternative > c.current else "down"), c
            elif q.kind == "choice" and q.ordered:
                values = [v for v in q.choice_values() if v != "unknown"]
                up = values.index(c.alternative) > values.index(c.current)
                assert c.direction == ("up" if up else "down"), c
            else:
                assert c.direction is None, c
            kinds.add((q.kind, q.ordered, c.direction is not None))
    assert {("float", False, True), ("int", False, True), ("choice", False, False)} <= kinds, kinds


def test_probe_evidence_reaches_the_confirmation_and_the_assessment(kb):
    answers = load_answers(str(DATA / "good" / "invoice_extractor.yaml"))
    plain = decide(answers, kb)
    suite = plain.plan.confirmation.suites[0].suite
    assert plain.plan.confirmation.discordance_source == "assumed" and plain.evidence == {}
    measured = decide(answers, kb, evidence={f"evidence.{suite}_discordance": 0.31, "evidence.general_verdict": None})
    assert measured.plan.confirmation.discordance_source == "observed"
    assert measured.plan.confirmation.assumed_discordance == 0.31
    assert measured.plan.confirmation.required_cases != plain.plan.confirmation.required_cases
    assert measured.evidence == {f"evidence.{suite}_discordance": 0.31}


def test_an_unverified_check_names_the_unknown_answers_it_waits_on_and_whether_all_are_skipped(assessed, kb):
    """Readiness checks that neither pass nor fail, and (when fine-tuning leads) the gates on it that might
    still hold: each lists the answers it waits on that are unknown, and is ``not_asked`` when the interview
    skips every one of them (docs/formats.md, ``unverified_checks``)."""
    seen = {"blocker": 0, "gate": 0, "not_asked": 0, "asked": 0}
    for a in assessed:
        facts = a.answers.flat()
        skipped = {n.key for n in a.not_asked}
        blockers = [b for b in kb.blockers if b.when.evaluate(facts) is None and not _on_evidence_only(b.when)]
        gates = [g for g in kb.gates if g.lever == "fine_tune" and g.when.evaluate(facts) is None] \
            if a.primary == "fine_tune" else []
        assert [u.id for u in a.unverified] == [b.id for b in blockers] + [g.id for g in gates]
        for u, item in zip(a.unverified, [*blockers, *gates]):
            keys = sorted(k for k in item.when.keys() if is_unknown(facts.get(k)))
            assert u.keys == keys and keys
            assert u.not_asked == set(keys).issubset(skipped)
            if item in gates:
                assert (u.check, u.fix) == (f"No hard gate holds fine-tuning: {item.title.lower()}", item.lift)
            else:
                assert (u.check, u.fix) == (item.check, item.fix)
            seen["gate" if item in gates else "blocker"] += 1
            seen["not_asked" if u.not_asked else "asked"] += 1
    assert all(seen.values()), seen


@pytest.mark.parametrize("margin, flips, unanswered, value, label", [
    (2.5, 1, 2, 0.75, "high"),     # 0.892 - 0.12 - 0.02 = 0.752: high from 0.75 on
    (1.5, 0, 9, 0.5, "medium"),    # 0.675 - 0.18 = 0.495, shown as 0.5: medium from 0.5 on
    (3.0, 0, 0, 1.0, "high"),
    (0.0, 4, 20, 0.0, "low"),      # nothing below 0
])
def test_confidence_labels_at_their_bars(kb, margin, flips, unanswered, value, label):
    from types import SimpleNamespace

    from advisor.core.decide import _confidence

    core = SimpleNamespace(primary="rag", scores={"rag": 3.0 + margin, "prompt_engineering": 3.0})
    got = _confidence(kb, core, margin, "prompt_engineering", [f"k{i}" for i in range(flips)], unanswered)
    assert got[:2] == (value, label) == _docs_confidence(margin, flips, unanswered)[:2]

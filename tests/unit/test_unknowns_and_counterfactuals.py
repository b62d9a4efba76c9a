"""Unknowns never count as favourable; counterfactuals are honest and minimal."""

from __future__ import annotations

import pytest

from advisor.core.answers import Answers, load_answers
from advisor.core.decide import decide
from advisor.core.knowledge import load_knowledge
from tests.conftest import DATA

READY = DATA / "good" / "invoice_extractor.yaml"


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def test_the_ready_fixture_is_ready(kb):
    assert decide(load_answers(str(READY)), kb).verdict == "ready"


def test_forgetting_any_readiness_answer_prevents_ready(kb):
    """Removing an answer a readiness check reads must never leave the verdict 'ready'."""
    answers = load_answers(str(READY))
    facts = answers.flat()
    # Keys a check actually depends on with these answers: forgetting one leaves the check undecided.
    keys = sorted({k for b in kb.blockers for k in b.when.keys()
                   if not k.startswith("evidence.") and b.when.evaluate({**facts, k: None}) is None})
    assert len(keys) >= 10
    for key in keys:
        a = decide(answers.with_answer(key, None), kb)
        assert a.verdict != "ready", key
        assert key in [u.key for u in a.unknowns]
        assert any(key in u.keys for u in a.unverified), key


def test_unknowns_lower_confidence(kb):
    full = decide(load_answers(str(READY)), kb)
    partial = decide(load_answers(str(READY)).with_answer("failure.same_input_same_wrong_output", None)
                     .with_answer("knowledge.change_rate", None), kb)
    assert partial.confidence < full.confidence


def test_enum_value_unknown_is_treated_like_a_missing_key(kb):
    a = decide(load_answers(str(READY)).with_answer("data.quality", "unknown"), kb)
    b = decide(load_answers(str(READY)).with_answer("data.quality", None), kb)
    assert a.verdict == b.verdict == "not_yet"
    assert [o.score for o in a.options] == [o.score for o in b.options]
    assert "data.quality" in [u.key for u in a.unknowns]


def test_empty_answers_give_low_confidence_and_list_every_key(kb):
    a = decide(Answers(), kb)
    assert a.confidence_label == "low"
    # a question with a documented default (task.min_delta) is not an open question
    assert len(a.unknowns) == len([q for q in kb.questions if not q.has_default]) == len(kb.questions) - 1
    assert "task.min_delta" not in [u.key for u in a.unknowns]
    assert a.verdict != "ready"
    # Unanswered questions say what they could change.
    assert any(u.could_change for u in a.unknowns)


def test_every_counterfactual_is_true_when_replayed(kb):
    for name in ("invoice_extractor", "strict_json", "defi_apr_bot", "wallet_support_zendesk"):
        answers = load_answers(str(DATA / "good" / f"{name}.yaml"))
        base = decide(answers, kb)
        if name != "defi_apr_bot":  # retrieval wins there by a margin no single answer overturns
            assert base.counterfactuals, name
        for c in base.counterfactuals:
            alt = decide(answers.with_answer(c.key, c.alternative), kb, counterfactuals=False)
            assert (alt.primary, alt.verdict) != (base.primary, base.verdict)
            if c.primary:
                assert c.primary == (base.primary, alt.primary)
            if c.verdict:
                assert c.verdict == (base.verdict, alt.verdict)


def test_counterfactual_is_the_nearest_change_on_ordered_scales(kb):
    """Daily-changing facts: the nearest rate that flips must be reported, not 'never'."""
    answers = load_answers(str(READY)).with_answer("knowledge.change_rate", "daily")
    a = decide(answers, kb)
    cf = next(c for c in a.counterfactuals if c.key == "knowledge.change_rate")
    order = ["never", "yearly", "monthly", "weekly", "daily"]
    dist = abs(order.index(cf.alternative) - order.index("daily"))
    for nearer in order:
        d = abs(order.index(nearer) - order.index("daily"))
        if 0 < d < dist:
            alt = decide(answers.with_answer("knowledge.change_rate", nearer), kb, counterfactuals=False)
            assert (alt.primary, alt.verdict) == (a.primary, a.verdict), nearer


def test_numeric_counterfactual_sits_at_the_threshold(kb):
    a = decide(load_answers(str(READY)), kb)
    cf = next(c for c in a.counterfactuals if c.key == "data.examples")
    # The data_too_small blocker fires below 200 examples: 199 is the nearest flip from 800.
    assert cf.alternative == 199
    assert cf.verdict == ("ready", "not_yet")


def test_evidence_strengthens_retrieval(kb):
    answers = load_answers(str(READY))
    plain = decide(answers, kb)
    measured = decide(answers, kb, evidence={"evidence.knowledge_verdict": "improvement"})
    s = lambda a: next(o.score for o in a.options if o.id == "rag")  # noqa: E731
    assert s(measured) > s(plain)


def test_general_regression_evidence_blocks_readiness(kb):
    a = decide(load_answers(str(READY)), kb, evidence={"evidence.general_verdict": "regression"})
    assert "capability_regression" in {b.id for b in a.blockers}
    assert a.verdict != "ready"


def test_no_probe_run_is_not_an_unknown(kb):
    a = decide(load_answers(str(READY)), kb)
    assert not any(k.startswith("evidence.") for u in a.unverified for k in u.keys)


def test_nothing_known_is_not_a_case_against_fine_tuning(kb):
    """With every answer unknown no rule fires: the cheapest lever goes first on the tie,
    but the fine-tuning verdict is 'not yet' (measure first), never 'not recommended'."""
    a = decide(Answers(), kb)
    scores = {o.id: o.score for o in a.options}
    assert set(scores.values()) == {0}
    cheapest = min(kb.options, key=lambda o: o.priority).id
    assert a.primary == cheapest != "fine_tune"
    assert a.verdict == "not_yet"


@pytest.mark.parametrize("scenario", sorted(p.name for p in (DATA / "good").glob("*.yaml")))
def test_not_recommended_means_fine_tuning_scores_strictly_lower(kb, scenario):
    a = decide(load_answers(str(DATA / "good" / scenario)), kb)
    scores = {o.id: o.score for o in a.options}
    if a.verdict == "not_recommended":
        assert scores["fine_tune"] < scores[a.primary]
    else:
        assert scores["fine_tune"] == max(scores.values())


@pytest.mark.parametrize("scenario", sorted(p.name for p in (DATA / "good").glob("*.yaml")) + ["<nothing known>"])
def test_the_verdict_reason_matches_the_scores_and_blockers(kb, scenario):
    from advisor.core.decide import verdict_reason, verdict_short

    answers = Answers() if scenario == "<nothing known>" else load_answers(str(DATA / "good" / scenario))
    a = decide(answers, kb)
    scores = {o.id: o.score for o in a.options}
    reason, short = verdict_reason(a), verdict_short(a)
    tied_out = a.primary != "fine_tune" and scores["fine_tune"] == scores[a.primary]
    assert ("ties" in reason) is tied_out and ("tied" in short) is tied_out
    if a.verdict == "not_yet" and not tied_out:
        assert ("blockers" in reason) is bool(a.blockers)
    assert a.verdict.replace("_", " ") in short or (a.verdict == "not_recommended" and "not the lever" in short)


def test_the_short_verdict_says_the_same_as_the_reason(kb):
    """Each "not yet" has one cause, and the narrow panels' words name the same one as the record's."""
    from advisor.core.decide import BlockerHit, GateHit, verdict_reason, verdict_short

    base = decide(load_answers(str(DATA / "good" / "invoice_extractor.yaml")), kb)  # rules fired
    assert any(o.reasons for o in base.options)
    nothing = decide(Answers(), kb)  # no rule fired: every lever at 0
    assert verdict_short(nothing) == "not yet (all tied at 0)" and "every lever ties at 0" in verdict_reason(nothing)
    said = verdict_reason(nothing)
    assert said[:1].islower() and not [w for w in said.split() if len(w) > 2 and w.isupper()]
    blocker = [BlockerHit(id="b", check="Labelled examples", text="", fix="", source="")]
    gate = GateHit(id="g", lever="fine_tune", title="No labelled data", text="", lift="", source="")
    other_gate = gate.model_copy(update={"lever": "rag"})
    cases = [
        ({"primary": "rag", "gates": [gate]}, "not yet (gated)", "a hard gate holds it"),
        ({"primary": "rag", "gates": [other_gate]}, "not yet (tied)", "ties with the chosen lever"),
        ({"primary": "rag", "gates": []}, "not yet (tied)", "ties with the chosen lever"),
        ({"primary": "fine_tune", "blockers": blocker}, "not yet (blockers)", "blockers must be cleared"),
        ({"primary": "fine_tune", "blockers": []}, "not yet (unchecked)", "readiness checks are still unanswered"),
    ]
    for update, short, reason in cases:
        a = base.model_copy(update={"verdict": "not_yet", **update})
        assert verdict_short(a) == short, update
        said = verdict_reason(a)
        assert reason in said, update
        # A clause the record and the screens put after "Not yet: ": lower case, no shouting, no full stop.
        assert said[:1].islower() and not said.endswith(".") and not [w for w in said.split() if len(w) > 2 and w.isupper()]
        if update.get("gates") == [gate]:
            assert said.endswith(": no labelled data"), "the gate is named, as a clause"
    ready = base.model_copy(update={"verdict": "ready", "primary": "fine_tune"})
    assert verdict_short(ready) == "ready" and "no gate holds it" in verdict_reason(ready)
    other = base.model_copy(update={"verdict": "not_recommended"})
    assert verdict_short(other) == "not the lever for this" and "another lever fits" in verdict_reason(other)


def test_counterfactual_candidates_are_other_answers_nearest_first(kb):
    """What-ifs try the answers beside the current one, nearest first, never the current one."""
    from advisor.core.decide import _directional, _thresholds

    numbers = [q for q in kb.questions if q.kind in ("int", "float") and _thresholds(q, kb)]
    assert numbers
    for q in numbers:
        for cur in _thresholds(q, kb):
            d = _directional(q, cur, kb)
            assert d["down"] == sorted((v for v in _thresholds(q, kb) if v < cur), reverse=True), q.key
            assert d["up"] == sorted(v for v in _thresholds(q, kb) if v > cur), q.key
            assert cur not in d["down"] + d["up"]
    scales = [q for q in kb.questions if q.kind == "choice" and q.ordered and len(q.choice_values()) >= 3]
    assert scales
    for q in scales:
        known = q.choice_values()
        for i, cur in enumerate(known):
            d = _directional(q, cur, kb)
            assert d["down"] == known[:i][::-1] and d["up"] == known[i + 1:], (q.key, cur)
            assert cur not in d["down"] + d["up"]


@pytest.mark.parametrize("scenario", sorted(p.name for p in (DATA / "good").glob("*.yaml")))
def test_a_what_if_names_only_what_would_change(kb, scenario):
    a = decide(load_answers(str(DATA / "good" / scenario)), kb)
    for c in a.counterfactuals:
        assert c.primary or c.verdict
        if c.verdict is not None:
            assert c.verdict[0] != c.verdict[1] and c.verdict[0] == a.verdict, c.text
        if c.primary is not None:
            assert c.primary[0] != c.primary[1] and c.primary[0] == a.primary, c.text
        assert ("verdict would be" in c.text) is (c.verdict is not None), c.text


def test_the_contract_carries_what_each_what_if_changes_as_plain_json(kb):
    import json

    seen = 0
    for p in sorted((DATA / "good").glob("*.yaml")):
        a = decide(load_answers(str(p)), kb)
        contract = a.to_contract()
        assert contract == json.loads(json.dumps(contract)), p.name  # what the file holds, read back the same
        by_text = {c.text: c for c in a.counterfactuals}
        for row in contract["counterfactuals"]:
            c = by_text[row["text"]]
            assert row["primary"] == (list(c.primary) if c.primary else None)
            assert row["verdict"] == (list(c.verdict) if c.verdict else None)
            seen += bool(row["primary"]) + bool(row["verdict"])
    assert seen

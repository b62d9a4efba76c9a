"""The decide engine: answers + knowledge -> an explained assessment and a plan.

Pure: no I/O, no UI. The model follows the documents the knowledge comes from
(docs/decide.md has the long version):

* **Fit** rules score how well each lever fixes the failure; the best-scoring
  lever that no gate holds is the plan's *primary* lever. Ties go to the
  cheaper lever (``Option.priority``), so fine-tuning never wins a tie.
* **Complement** rules add levers *beside* the primary one for cross-cutting
  concerns (risk -> guardrails and routing, fresh facts -> retrieval, strict
  formats -> validators, tool jobs -> checked tool calls); they never compete
  for first place.
* **Gates** are hard conditions: a gated lever cannot be primary, however it
  scores. **Blockers** are fine-tuning's readiness checks; **readiness** rules
  are softer notes on the same question. Neither votes for another lever.
* The fine-tuning verdict is separate from the ranking: ``ready`` only when
  fine-tuning is primary, no gate holds it and every readiness check passes on
  a known answer.
* Confidence comes from the margin between the primary lever and the
  runner-up, the unknowns whose answer could flip the outcome, and the other
  unanswered questions; the plan says which of the three drives it.
* Counterfactuals re-run the evaluation with one answer changed (both
  directions for numbers and ordered scales, only actionable changes for
  unordered choices); the *path to ready* is the smallest set of answer changes
  that clears every blocker and gate on fine-tuning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field

from advisor.core.answers import Answers, is_unknown
from advisor.core.confirm import ConfirmationPlan, build_confirmation
from advisor.core.knowledge import METHODS, OPTION_IDS, KnowledgeBase, Question

Verdict = Literal["ready", "not_yet", "not_recommended"]

# Facts a probe run adds (see advisor.core.probe.evidence_facts); rules may read them.
EVIDENCE_KEYS: tuple[str, ...] = (
    "evidence.task_delta",
    "evidence.task_verdict",
    "evidence.general_verdict",
    "evidence.shift_drop_base",
    "evidence.shift_drop_candidate",
    "evidence.shift_drop_excess",
    "evidence.knowledge_context_gain",
    "evidence.knowledge_verdict",
    "evidence.format_verdict",
)

#: Which answer says a lever already runs in production.
IN_PLACE_KEYS = {"rag": "baseline.retrieval", "validators": "baseline.validators", "tool_use": "baseline.tools"}

#: Each concern in words, as a complement step gives it ("Beside it, <lever>, because <concern>").
CONCERN_TITLES = {
    "risk": "a confident wrong answer is costly",
    "fresh_facts": "the job depends on facts that change or that a model is unlikely to know",
    "strict_format": "the output has a strict format",
    "tool_job": "the model calls tools",
    "routing": "only a narrow slice of traffic needs the specialised model",
}


class Reason(BaseModel):
    """One rule that moved one option's score."""

    rule: str
    title: str
    family: str
    weight: float
    text: str
    source: str = Field(description="The document's title and section.")


class OptionScore(BaseModel):
    id: str
    name: str
    score: float
    reasons: list[Reason] = Field(default_factory=list)
    pending: list[str] = Field(default_factory=list, description="Rules that would touch this option, waiting on unknowns.")
    gated_by: list[str] = Field(default_factory=list, description="Gates that keep this lever from being primary.")
    in_place: bool = Field(False, description="The answers say this lever already runs in production.")


class BlockerHit(BaseModel):
    id: str
    check: str
    text: str
    fix: str
    source: str


class UnverifiedCheck(BaseModel):
    id: str
    check: str
    keys: list[str]
    fix: str
    not_asked: bool = Field(False, description="Every key it waits on is a question the interview skips with these answers.")


class GateHit(BaseModel):
    id: str
    lever: str
    title: str
    text: str
    lift: str
    source: str


class Unknown(BaseModel):
    key: str
    prompt: str
    rules: list[str] = Field(default_factory=list)
    blockers: list[str] = Field(default_factory=list)
    could_change: list[str] = Field(default_factory=list, description="Answers that would flip the outcome.")


class NotAsked(BaseModel):
    """A question the interview skips with these answers (its ``ask_if`` is false) and that has no answer.

    It is neither an open question nor "I don't know": the answers it depends on
    make it moot, so it lowers no confidence. ``checks`` are readiness checks and
    gates that wait on it (each also waits on, or is settled by, the answer that
    skipped it); ``could_change`` says what an answer would change, should the
    knowledge ever let a skipped question matter.
    """

    key: str
    prompt: str
    because: list[str] = Field(default_factory=list, description="The answer keys whose answers skip it.")
    checks: list[str] = Field(default_factory=list)
    could_change: list[str] = Field(default_factory=list)


class Counterfactual(BaseModel):
    key: str
    prompt: str
    current: Any
    current_label: str
    alternative: Any
    alternative_label: str
    primary: tuple[str, str] | None = None
    verdict: tuple[str, str] | None = None
    actionable: bool = False
    direction: Optional[Literal["up", "down"]] = None
    text: str


class GoNoGo(BaseModel):
    metric: str
    threshold: str


class PlanStep(BaseModel):
    """One step of the plan, in the order to do it."""

    order: int
    lever: str
    name: str
    role: Literal["baseline", "primary", "complement", "prerequisite", "later"]
    title: str
    why: str
    concerns: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    cost: str
    go_no_go: GoNoGo


class Complement(BaseModel):
    lever: str
    name: str
    concerns: list[str]
    why: str
    rules: list[str]
    sources: list[str]
    in_place: bool = False


class MethodPlan(BaseModel):
    id: str
    name: str
    why: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    settings: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)


class ReadinessNote(BaseModel):
    rule: str
    title: str
    weight: float
    text: str
    source: str


class PathChange(BaseModel):
    key: str
    prompt: str
    current: Any
    current_label: str
    to: Any
    to_label: str
    clears: list[str] = Field(default_factory=list)


class Readiness(BaseModel):
    verdict: Verdict
    reason: str
    blockers: list[str] = Field(default_factory=list)
    unverified: list[str] = Field(default_factory=list)
    gates: list[str] = Field(default_factory=list)
    notes: list[ReadinessNote] = Field(default_factory=list)
    path_to_ready: Optional[list[PathChange]] = Field(None, description="Smallest set of answer changes that makes the verdict ready; null when none exists.")
    path_note: str = ""


class ConfidenceInfo(BaseModel):
    value: float
    label: Literal["high", "medium", "low"]
    driver: Literal["margin", "flip_unknowns", "unanswered", "none"]
    margin: float
    runner_up: Optional[str]
    flip_unknowns: list[str] = Field(default_factory=list)
    unanswered: int
    text: str


class Plan(BaseModel):
    """The advice as an ordered plan (``plan`` in the decide JSON)."""

    primary: str
    summary: str
    cause: Optional[str]
    steps: list[PlanStep]
    complements: list[Complement]
    in_place: list[str]
    gates: list[GateHit]
    readiness: Readiness
    method: Optional[MethodPlan]
    confidence: ConfidenceInfo
    kill_criterion: Optional[str]
    confirmation: ConfirmationPlan


class Assessment(BaseModel):
    """Everything the record and the front ends show."""

    verdict: Verdict
    primary: str
    options: list[OptionScore]
    blockers: list[BlockerHit]
    unverified: list[UnverifiedCheck]
    gates: list[GateHit] = Field(default_factory=list)
    fine_tune_method: Optional[Literal["sft", "lora", "qlora", "preference"]]
    method_scores: dict[str, float]
    method_reasons: list[Reason]
    unknowns: list[Unknown]
    counterfactuals: list[Counterfactual]
    confidence: float
    confidence_label: Literal["high", "medium", "low"]
    knowledge_version: str
    answers: Answers
    evidence: dict[str, Any] = Field(default_factory=dict)
    plan: Plan
    not_asked: list[NotAsked] = Field(default_factory=list)

    def to_contract(self) -> dict[str, Any]:
        """The JSON object of docs/formats.md section 2: the original keys plus documented extensions (``plan``)."""
        return {
            "verdict": self.verdict,
            "primary": self.primary,
            "options": [
                {
                    "id": o.id,
                    "score": o.score,
                    "reasons": [
                        {"rule": r.rule, "text": r.text, "source": r.source, "weight": r.weight}
                        for r in o.reasons
                    ],
                    "gated_by": o.gated_by,
                    "in_place": o.in_place,
                }
                for o in self.options
            ],
            "blockers": [{"id": b.id, "text": b.text, "fix": b.fix} for b in self.blockers],
            "fine_tune_method": self.fine_tune_method,
            "unknowns": [u.key for u in self.unknowns],
            "not_asked": [u.key for u in self.not_asked],
            "knowledge_version": self.knowledge_version,
            # Extensions (docs/formats.md: new keys are allowed).
            "confidence": self.confidence,
            "unverified_checks": [{"id": u.id, "keys": u.keys, "not_asked": u.not_asked} for u in self.unverified],
            "counterfactuals": [
                {
                    "key": c.key,
                    "from": c.current,
                    "to": c.alternative,
                    "primary": list(c.primary) if c.primary else None,
                    "verdict": list(c.verdict) if c.verdict else None,
                    "actionable": c.actionable,
                    "text": c.text,
                }
                for c in self.counterfactuals
            ],
            "plan": self.plan.model_dump(mode="json"),
        }


# -- one evaluation -------------------------------------------------------------

@dataclass
class _Core:
    """One evaluation of the knowledge against a set of facts."""

    scores: dict[str, float]
    order: list[str]
    primary: str
    verdict: str
    fired: list[Any]
    pending: list[Any]
    complements: list[Any]
    readiness: list[Any]
    blockers: list[Any]
    unverified: list[Any]
    gates: list[Any]
    pending_gates: list[Any]
    method_scores: dict[str, float]
    in_place: set[str]


def _evidence_only(cond: Any) -> bool:
    return all(k.startswith("evidence.") for k in cond.keys())


def _evaluate(kb: KnowledgeBase, facts: dict[str, Any]) -> _Core:
    scores = {oid: 0.0 for oid in OPTION_IDS}
    method_scores = {m: 0.0 for m in METHODS}
    fired, pending, complements, readiness = [], [], [], []
    for rule in kb.rules:
        result = rule.when.evaluate(facts)
        if result is None and _evidence_only(rule.when):
            continue  # no probe run: evidence rules neither fire nor count as unknowns
        if result is None:
            pending.append(rule)
            continue
        if not result:
            continue
        if rule.role == "fit":
            fired.append(rule)
            for oid, w in rule.effects.items():
                scores[oid] += w
        elif rule.role == "complement":
            complements.append(rule)
        elif rule.role == "readiness":
            readiness.append(rule)
        for m, w in rule.method.items():
            method_scores[m] += w
    blockers, unverified = [], []
    for b in kb.blockers:
        result = b.when.evaluate(facts)
        if result is None and _evidence_only(b.when):
            continue
        if result is True:
            blockers.append(b)
        elif result is None:
            unverified.append(b)
    gates, pending_gates = [], []
    for g in kb.gates:
        result = g.when.evaluate(facts)
        if result is True:
            gates.append(g)
        elif result is None:
            pending_gates.append(g)
    gated = {g.lever for g in gates}
    in_place = {lever for lever, key in IN_PLACE_KEYS.items() if facts.get(key) == "in_production"}
    priority = {o.id: o.priority for o in kb.options}
    ranked = sorted(OPTION_IDS, key=lambda o: (-round(scores[o], 6), priority.get(o, 99)))
    # The best-fitting lever no gate holds; when none fits at all (every ungated score <= 0),
    # the cheapest, most reversible lever leads: prompting and exemplars.
    primary = next((o for o in ranked if o not in gated and scores[o] > 1e-9), "prompt_engineering")
    order = [primary] + [o for o in ranked if o != primary]
    ft = round(scores["fine_tune"], 6)
    best_ungated = round(scores[primary], 6)
    ft_gates = [g for g in gates if g.lever == "fine_tune"]
    if primary == "fine_tune":
        pending_ft = [g for g in pending_gates if g.lever == "fine_tune"]
        verdict = "not_yet" if (blockers or unverified or pending_ft) else "ready"
    elif ft >= best_ungated and ft_gates:
        verdict = "not_yet"  # fine-tuning fits the failure best, but a gate holds it
    elif ft == best_ungated:
        # A tie with a cheaper lever is not a case against fine-tuning: the cheaper
        # lever goes first, and the fine-tune waits for measurement (not_yet).
        verdict = "not_yet"
    else:
        verdict = "not_recommended"
    return _Core(scores, order, primary, verdict, fired, pending, complements, readiness,
                 blockers, unverified, gates, pending_gates, method_scores, in_place)


def _facts(answers: Answers, evidence: dict[str, Any] | None) -> dict[str, Any]:
    facts = answers.flat()
    for k in EVIDENCE_KEYS:
        facts[k] = (evidence or {}).get(k)
    return facts


# -- counterfactual candidates ----------------------------------------------------

def _thresholds(q: Question, kb: KnowledgeBase) -> list[float]:
    out: set[float] = set()
    items = list(kb.rules) + list(kb.blockers) + list(kb.gates)
    for item in items:
        for leaf in item.when.leaves():
            if leaf.key != q.key:
                continue
            for name in ("lt", "lte", "gt", "gte"):
                t = getattr(leaf, name)
                if t is not None:
                    step = 1 if q.kind == "int" else 0.01
                    out.update({t - step, t, t + step})
    values = sorted(v for v in out if (q.min is None or v >= q.min) and (q.max is None or v <= q.max))
    if q.kind == "int":
        values = sorted({int(round(v)) for v in values})
    else:
        values = sorted({round(v, 6) for v in values})
    return values


def _candidates(q: Question, current: Any, kb: KnowledgeBase) -> list[Any]:
    """Alternative answers for one question, nearest first."""
    if q.kind in ("choice", "bool"):
        values = [v for v in q.choice_values() if v != "unknown"]
        others = [v for v in values if v != current]
        if q.ordered and current in values:
            i = values.index(current)
            others.sort(key=lambda v: abs(values.index(v) - i))
        return others
    if q.kind in ("int", "float"):
        cur = float(current) if isinstance(current, (int, float)) else 0.0
        return sorted((v for v in _thresholds(q, kb) if v != current), key=lambda v: abs(v - cur))
    return []


def _directional(q: Question, current: Any, kb: KnowledgeBase) -> dict[str, list[Any]]:
    """For numbers and ordered scales with a known answer: candidates below and above, nearest first."""
    if q.kind in ("int", "float"):
        values = _thresholds(q, kb)
        cur = float(current)
        return {"down": sorted((v for v in values if v < cur), reverse=True), "up": sorted(v for v in values if v > cur)}
    values = [v for v in q.choice_values() if v != "unknown"]
    i = values.index(current)
    return {"down": list(reversed(values[:i])), "up": values[i + 1:]}


def _option_name(kb: KnowledgeBase, oid: str) -> str:
    return kb.option(oid).name


def _flip_text(kb: KnowledgeBase, base: _Core, alt: _Core) -> tuple[tuple[str, str] | None, tuple[str, str] | None, str]:
    primary = (base.primary, alt.primary) if alt.primary != base.primary else None
    verdict = (base.verdict, alt.verdict) if alt.verdict != base.verdict else None
    parts = []
    if primary:
        parts.append(f"the plan would lead with {_option_name(kb, alt.primary)} (now {_option_name(kb, base.primary)})")
    if verdict:
        parts.append(f"the fine-tuning verdict would be {alt.verdict.replace('_', ' ')} (now {base.verdict.replace('_', ' ')})")
    return primary, verdict, " and ".join(parts)


# -- wording shared by the record and the front ends -----------------------------

def verdict_reason(a: "Assessment") -> str:
    """Why the fine-tuning verdict is what it is, in one clause (no final full stop).

    The record, the result screen and the leaning panel all say it this way.
    """
    ft_gates = [g for g in a.gates if g.lever == "fine_tune"]
    if a.verdict == "ready":
        return "fine-tuning is the right lever, no gate holds it and its preconditions hold"
    if a.verdict == "not_recommended":
        return "another lever fits the failure better"
    if a.primary != "fine_tune" and ft_gates:
        return f"fine-tuning fits the failure, but a hard gate holds it: {ft_gates[0].title.lower()}"
    if a.primary != "fine_tune" and not any(o.reasons for o in a.options):
        return ("no rule applies to these answers yet, so every lever ties at 0; the cheapest goes first, "
                "and fine-tuning waits for more answers")
    if a.primary != "fine_tune":
        return ("fine-tuning ties with the chosen lever on these answers; the cheaper lever goes first, "
                "and fine-tuning waits for the open questions and a measured comparison")
    if a.blockers:
        return "fine-tuning may fit, but the blockers must be cleared first"
    return "fine-tuning may fit, but readiness checks are still unanswered"


def verdict_short(a: "Assessment") -> str:
    """The verdict in a few words, for narrow panels."""
    if a.verdict == "not_yet":
        if a.primary != "fine_tune":
            if any(g.lever == "fine_tune" for g in a.gates):
                return "not yet (gated)"
            return "not yet (tied)" if any(o.reasons for o in a.options) else "not yet (all tied at 0)"
        return "not yet (blockers)" if a.blockers else "not yet (unchecked)"
    return {"ready": "ready", "not_recommended": "not the lever for this"}[a.verdict]


def points(min_delta: float) -> str:
    """A share as percentage points, e.g. 0.05 -> '5'."""
    return f"{min_delta * 100:g}"


# -- the engine -------------------------------------------------------------------

def decide(
    answers: Answers,
    kb: KnowledgeBase,
    *,
    evidence: dict[str, Any] | None = None,
    counterfactuals: bool = True,
    min_delta: Optional[float] = None,
) -> Assessment:
    """Assess the answers against the knowledge base and build the plan.

    Args:
        answers: what the interview collected (unknowns allowed).
        kb: the loaded knowledge base.
        evidence: optional ``evidence.*`` facts from a probe run.
        counterfactuals: also compute what answer changes would flip the outcome
            and the path to ready (the live leaning panel skips them).
        min_delta: smallest gain worth acting on, handed to the confirmation plan.

    Returns:
        The assessment: ranked options with the rules behind each score,
        verdict, gates, blockers, unknowns, method, counterfactuals and the plan.
    """
    facts = _facts(answers, evidence)
    core = _evaluate(kb, facts)
    names = {o.id: o.name for o in kb.options}

    def reason(rule: Any, w: float) -> Reason:
        return Reason(rule=rule.id, title=rule.title, family=rule.family, weight=w,
                      text=rule.rationale, source=kb.cite(rule.source))

    reasons: dict[str, list[Reason]] = {oid: [] for oid in OPTION_IDS}
    for rule in core.fired:
        for oid, w in rule.effects.items():
            reasons[oid].append(reason(rule, w))
    pending_by_option: dict[str, list[str]] = {oid: [] for oid in OPTION_IDS}
    asked_keys = {q.key for q in kb.questions if q.should_ask(facts)}
    for rule in core.pending:
        if rule.role != "fit":
            continue
        # A rule waiting only on questions the interview skips is not waiting on anything.
        if not any(is_unknown(facts.get(k)) and k in asked_keys for k in rule.when.keys()):
            continue
        for oid in rule.effects:
            pending_by_option[oid].append(rule.id)
    gated_by: dict[str, list[str]] = {oid: [] for oid in OPTION_IDS}
    for g in core.gates:
        gated_by[g.lever].append(g.id)
    options = [
        OptionScore(
            id=oid, name=names[oid], score=round(core.scores[oid], 3),
            reasons=sorted(reasons[oid], key=lambda r: -abs(r.weight)),
            pending=pending_by_option[oid], gated_by=gated_by[oid], in_place=oid in core.in_place,
        )
        for oid in core.order
    ]
    gates = [GateHit(id=g.id, lever=g.lever, title=g.title, text=g.text, lift=g.lift, source=kb.cite(g.source))
             for g in core.gates]

    # -- method: only while fine-tuning is still on the table ---------------------
    method = None
    method_reasons: list[Reason] = []
    if core.verdict != "not_recommended":
        # Ties go to LoRA: cheaper to iterate and it leaves base weights frozen (runbook).
        tie_order = {"lora": 0, "qlora": 1, "sft": 2, "preference": 3}
        method = sorted(core.method_scores, key=lambda m: (-core.method_scores[m], tie_order[m]))[0]
        for rule in kb.rules:
            w = rule.method.get(method, 0)
            if w > 0 and rule.when.evaluate(facts) is True:
                method_reasons.append(reason(rule, w))

    # -- unknowns and counterfactuals -------------------------------------------
    unknowns: list[Unknown] = []
    cfs: list[Counterfactual] = []
    asked = [q for q in kb.questions if q.should_ask(facts)]
    for q in asked:
        if is_unknown(facts.get(q.key)) and not q.has_default:
            rules = [r.id for r in core.pending if q.key in r.when.keys()]
            blocks = [b.id for b in core.unverified if q.key in b.when.keys()]
            blocks += [g.id for g in core.pending_gates if q.key in g.when.keys()]
            unknowns.append(Unknown(key=q.key, prompt=q.prompt, rules=rules, blockers=blocks))
    not_asked: list[NotAsked] = []
    for q in kb.questions:
        if q.should_ask(facts) or not is_unknown(facts.get(q.key)):
            continue
        checks = [b.id for b in core.unverified if q.key in b.when.keys()]
        checks += [g.id for g in core.pending_gates if q.key in g.when.keys()]
        na = NotAsked(key=q.key, prompt=q.prompt, because=sorted(q.ask_if.keys()) if q.ask_if else [], checks=checks)
        if counterfactuals:
            for alt in _candidates(q, None, kb):
                alt_core = _evaluate(kb, {**facts, q.key: alt})
                if (alt_core.primary, alt_core.verdict) != (core.primary, core.verdict):
                    na.could_change.append(f"“{q.label_for(alt)}”: {_flip_text(kb, core, alt_core)[2]}")
        not_asked.append(na)
    if counterfactuals:
        by_key = {u.key: u for u in unknowns}
        for q in asked:
            value = facts.get(q.key)
            if is_unknown(value):
                if q.key not in by_key:  # a question with a documented default is not an open question
                    continue
                for alt in _candidates(q, None, kb):
                    alt_core = _evaluate(kb, {**facts, q.key: alt})
                    if (alt_core.primary, alt_core.verdict) != (core.primary, core.verdict):
                        by_key[q.key].could_change.append(f"“{q.label_for(alt)}”: {_flip_text(kb, core, alt_core)[2]}")
                continue
            if q.kind == "text":
                continue
            if q.kind == "choice" and not q.ordered and not q.actionable:
                continue  # a fact of the situation, not a change anyone can make
            if q.kind in ("int", "float") or (q.kind == "choice" and q.ordered):
                groups = list(_directional(q, value, kb).items())
            else:
                # "Not relevant to this job" describes the job; it is not a change anyone can make.
                groups = [(None, [v for v in _candidates(q, value, kb) if v != "not_applicable"])]
            for direction, cands in groups:
                for alt in cands:
                    alt_core = _evaluate(kb, {**facts, q.key: alt})
                    if (alt_core.primary, alt_core.verdict) == (core.primary, core.verdict):
                        continue
                    primary, verdict, flip = _flip_text(kb, core, alt_core)
                    cur_label, alt_label = q.label_for(value), q.label_for(alt)
                    cfs.append(Counterfactual(
                        key=q.key, prompt=q.prompt, current=value, current_label=cur_label,
                        alternative=alt, alternative_label=alt_label, primary=primary, verdict=verdict,
                        actionable=q.actionable, direction=direction,  # type: ignore[arg-type]
                        text=f"If the answer to “{q.prompt}” were “{alt_label}” instead of “{cur_label}”, {flip}.",
                    ))
                    break  # the nearest change in this direction is enough
        # Actionable changes first; within each, a change of lever before a change of verdict.
        cfs.sort(key=lambda c: (0 if c.actionable else 1, 0 if c.primary else 1))

    # -- confidence ----------------------------------------------------------------
    runner_up = core.order[1] if len(core.order) > 1 else None
    margin = round(core.scores[core.primary] - core.scores[runner_up], 3) if runner_up else 0.0
    if counterfactuals:
        flips = [u.key for u in unknowns if u.could_change]
    else:
        near = {core.primary, runner_up}
        flips = [u.key for u in unknowns
                 if any(kb.rule(r) and set(kb.rule(r).effects) & near for r in u.rules) or u.blockers]
    conf, label, driver, conf_text = _confidence(kb, core, margin, runner_up, flips, len(unknowns))

    # -- the plan --------------------------------------------------------------------
    confirmation = build_confirmation(core.primary, answers, evidence=evidence, min_delta=min_delta)
    plan = _plan(kb, facts, core, options, gates, method, method_reasons, confirmation, counterfactuals,
                 ConfidenceInfo(value=conf, label=label, driver=driver, margin=max(margin, 0.0), runner_up=runner_up,
                                flip_unknowns=flips, unanswered=len(unknowns), text=conf_text))

    assessment = Assessment(
        verdict=core.verdict,  # type: ignore[arg-type]
        primary=core.primary,
        options=options,
        blockers=[BlockerHit(id=b.id, check=b.check, text=b.text, fix=b.fix, source=kb.cite(b.source)) for b in core.blockers],
        unverified=_unverified(core, facts, {u.key for u in not_asked}),
        gates=gates,
        fine_tune_method=method,  # type: ignore[arg-type]
        method_scores={k: round(v, 3) for k, v in core.method_scores.items()},
        method_reasons=method_reasons,
        unknowns=unknowns,
        counterfactuals=cfs,
        confidence=conf,
        confidence_label=label,
        knowledge_version=kb.version,
        answers=answers,
        evidence={k: v for k, v in (evidence or {}).items() if v is not None},
        plan=plan,
        not_asked=not_asked,
    )
    assessment.plan.readiness.reason = verdict_reason(assessment)
    return assessment


def _unverified(core: _Core, facts: dict[str, Any], not_asked: set[str]) -> list[UnverifiedCheck]:
    def keys(cond: Any) -> list[str]:
        return sorted(k for k in cond.keys() if is_unknown(facts.get(k)))

    out = [UnverifiedCheck(id=b.id, check=b.check, keys=keys(b.when), fix=b.fix,
                           not_asked=bool(keys(b.when)) and set(keys(b.when)) <= not_asked)
           for b in core.unverified]
    if core.primary == "fine_tune":
        # A gate that might hold keeps a fine-tune that would otherwise be ready from being ready.
        out += [UnverifiedCheck(id=g.id, check=f"No hard gate holds fine-tuning: {g.title.lower()}",
                                keys=keys(g.when), fix=g.lift,
                                not_asked=bool(keys(g.when)) and set(keys(g.when)) <= not_asked)
                for g in core.pending_gates if g.lever == "fine_tune"]
    return out


def _confidence(kb: KnowledgeBase, core: _Core, margin: float, runner_up: Optional[str],
                flips: list[str], unanswered: int) -> tuple[float, Any, Any, str]:
    """Confidence from the margin, the flip-capable unknowns and the other open questions."""
    margin_term = min(1.0, max(margin, 0.0) / 3.0)  # a margin of one strong rule (3) is decisive
    base = 0.35 + 0.65 * margin_term
    deductions = {
        "margin": 1.0 - base,
        "flip_unknowns": 0.12 * min(len(flips), 4),
        "unanswered": 0.02 * min(max(unanswered - len(flips), 0), 10),
    }
    value = round(max(0.0, min(1.0, base - deductions["flip_unknowns"] - deductions["unanswered"])), 2)
    label = "high" if value >= 0.75 else "medium" if value >= 0.5 else "low"
    driver = max(deductions, key=lambda k: deductions[k]) if max(deductions.values()) > 1e-9 else "none"
    ru = _option_name(kb, runner_up) if runner_up else "none"
    top = core.scores[core.primary]
    if driver == "margin":
        text = (f"driven by the margin: {_option_name(kb, core.primary)} scores {top:g} against "
                f"{ru} at {core.scores[runner_up]:g}" if runner_up else "driven by the margin")
    elif driver == "flip_unknowns":
        text = f"driven by {len(flips)} unanswered question(s) whose answer could change the plan or the verdict"
    elif driver == "unanswered":
        text = f"driven by {unanswered} unanswered question(s), none of which alone would change the outcome"
    else:
        text = "every question answered and a clear margin over the runner-up"
    return value, label, driver, text


def _go(kb: KnowledgeBase, lever: str, min_delta: float) -> GoNoGo:
    g = kb.option(lever).go_no_go
    return GoNoGo(metric=g.metric, threshold=g.threshold.replace("{min_delta}", points(min_delta)))


def _plan(kb: KnowledgeBase, facts: dict[str, Any], core: _Core, options: list[OptionScore], gates: list[GateHit],
          method: Optional[str], method_reasons: list[Reason], confirmation: ConfirmationPlan, with_path: bool,
          confidence: ConfidenceInfo) -> Plan:
    primary = core.primary
    min_delta = confirmation.min_delta
    score = {o.id: o for o in options}
    gated = {g.lever for g in core.gates}

    # Complements: one entry per lever, with every concern and rule that asks for it.
    comp: dict[str, dict[str, Any]] = {}
    for rule in core.complements:
        for lever, w in rule.effects.items():
            if w <= 0 or lever in gated:
                continue
            c = comp.setdefault(lever, {"concerns": [], "rules": [], "texts": [], "sources": []})
            if rule.concern not in c["concerns"]:
                c["concerns"].append(rule.concern)
            c["rules"].append(rule.id)
            c["texts"].append(rule.rationale)
            cite = kb.cite(rule.source)
            if cite not in c["sources"]:
                c["sources"].append(cite)
    complements = [
        Complement(lever=lever, name=kb.option(lever).name, concerns=c["concerns"], why=c["texts"][0],
                   rules=c["rules"], sources=c["sources"], in_place=lever in core.in_place)
        for lever, c in sorted(comp.items(), key=lambda kv: kb.option(kv[0]).priority)
    ]

    steps: list[PlanStep] = []

    def add(lever: str, role: str, title: str, why: str, rules: list[str], sources: list[str],
            concerns: Optional[list[str]] = None, go: Optional[GoNoGo] = None, cost: Optional[str] = None) -> None:
        steps.append(PlanStep(order=len(steps) + 1, lever=lever, name=kb.option(lever).name, role=role,  # type: ignore[arg-type]
                              title=title, why=why, concerns=concerns or [], rules=rules, sources=sources,
                              cost=cost or kb.option(lever).cost, go_no_go=go or _go(kb, lever, min_delta)))

    def top_reasons(lever: str) -> tuple[str, list[str], list[str]]:
        pros = [r for r in score[lever].reasons if r.weight > 0]
        if not pros:
            return ("No rule argued more strongly for another lever, and it is the cheapest one to try.", [], [])
        srcs: list[str] = []
        for r in pros[:3]:
            if r.source not in srcs:
                srcs.append(r.source)
        return (pros[0].text, [r.rule for r in pros[:3]], srcs)

    prompting = facts.get("baseline.prompting")
    if primary != "prompt_engineering" and prompting != "systematic":
        add("prompt_engineering", "baseline", "Build and measure an engineered prompted baseline",
            "Every later step is judged against a systematically engineered prompt on the same eval set, "
            "and in about 40% of projects a tuned model did not beat one.",
            ["prompting_not_exhausted"] if prompting in ("none", "basic") else [],
            [kb.cite(s) for s in kb.option("prompt_engineering").sources])
    if primary != "fine_tune":
        why, rules, srcs = top_reasons(primary)
        add(primary, "primary", f"Fix the failure with {kb.option(primary).name}", why, rules, srcs)
    def add_complements(after_pilot: bool) -> None:
        for c in complements:
            if c.lever == primary or c.in_place:
                continue
            # Routing a slice to a tuned model needs the model first; everything else comes before training.
            if (primary == "fine_tune" and c.concerns == ["routing"]) != after_pilot:
                continue
            add(c.lever, "complement", f"Beside it, {c.name}, because {CONCERN_TITLES[c.concerns[0]]}",
                c.why, c.rules, c.sources, concerns=c.concerns)

    if primary != "fine_tune":
        add_complements(after_pilot=False)

    ft_gates = [g for g in gates if g.lever == "fine_tune"]
    ft_in_plan = primary == "fine_tune" or core.verdict == "not_yet" or score["fine_tune"].score > 0
    if primary == "fine_tune":
        holds = [b.id for b in core.blockers] + [b.id for b in core.unverified] + \
                [g.id for g in core.pending_gates if g.lever == "fine_tune"]
        if holds:
            add("fine_tune", "prerequisite", "Clear the fine-tuning readiness checks",
                "Training on a failing check (too few or noisy examples, no metric, a small or overlapping eval set) "
                "is how tuned models end up worse than their base.",
                holds, sorted({kb.cite(b.source) for b in core.blockers + core.unverified}
                       | {kb.cite(g.source) for g in core.pending_gates if g.lever == "fine_tune"}),
                go=GoNoGo(metric="the readiness checks in the record", threshold="every check passes on a known answer"),
                cost="Days to weeks of data and evaluation work (cleaning, sampling real traffic, building the eval set), before any training.")
        add_complements(after_pilot=False)
        why, rules, srcs = top_reasons("fine_tune")
        go = _go(kb, "fine_tune", min_delta)
        go.metric += ("; shifted inputs include paraphrases, longer and shorter inputs and older against newer cases "
                      "(time slices)")
        if facts.get("risk.customer_facing") is True:
            go.threshold += "; and a red-team pass after every training run, before customers see it"
            rules = rules + ["customer_facing_red_team"]
        method_name = (kb.method(method).name if method and kb.method(method) else "the chosen method")
        add("fine_tune", "primary", f"Fine-tune a pilot with {method_name} and compare it with the baseline",
            why, rules, srcs, go=go)
        add_complements(after_pilot=True)
    elif ft_in_plan:
        lift = f" {ft_gates[0].lift}" if ft_gates else ""
        add("fine_tune", "later", "Only then reconsider fine-tuning",
            "Train only if a consistent failure remains once the steps above are measured, and every readiness check passes."
            + lift, [g.id for g in ft_gates], [g.source for g in ft_gates],
            go=GoNoGo(metric="the failure that remains after the steps above, on the same eval set",
                      threshold="a repeatable wrong mapping on at least 50 held-out cases, every readiness check passing "
                                "and no gate holding fine-tuning"))

    kill = None
    if ft_in_plan:
        kill = (f"Stop the fine-tuning work if the tuned model does not beat the engineered prompted baseline by at least "
                f"{points(min_delta)} points on the same eval set (in about 40% of projects it did not), or if it loses "
                "general capability or robustness to shifted inputs beyond the guard margin.")

    method_plan = None
    if method:
        info = kb.method(method)
        method_plan = MethodPlan(
            id=method, name=info.name if info else method, why=[r.text for r in method_reasons],
            rules=[r.rule for r in method_reasons], settings=list(info.settings) if info else [],
            sources=[kb.cite(s) for s in info.sources] if info else [],
        )

    notes = [ReadinessNote(rule=r.id, title=r.title, weight=r.effects.get("fine_tune", 0.0), text=r.rationale,
                           source=kb.cite(r.source)) for r in core.readiness]
    readiness = Readiness(
        verdict=core.verdict,  # type: ignore[arg-type]
        reason="",
        blockers=[b.id for b in core.blockers],
        unverified=[b.id for b in core.unverified] + [g.id for g in core.pending_gates if g.lever == "fine_tune"],
        gates=[g.id for g in ft_gates],
        notes=notes,
    )
    if with_path:
        readiness.path_to_ready, readiness.path_note = _path_to_ready(kb, facts, core)

    first = steps[0]  # never empty: every branch above adds the primary's own step
    summary = f"Lead with {kb.option(primary).name}"
    others = [c.name for c in complements if c.lever != primary and not c.in_place]
    if others:
        summary += ", with " + ", ".join(others) + " beside it"
    if first.lever != primary:
        summary += f"; first, {first.title[0].lower() + first.title[1:]}"
    summary += "."
    return Plan(
        primary=primary, summary=summary, cause=None if is_unknown(facts.get("failure.main_cause")) else facts.get("failure.main_cause"),
        steps=steps, complements=complements, in_place=sorted(core.in_place), gates=gates, readiness=readiness,
        method=method_plan, confidence=confidence, kill_criterion=kill, confirmation=confirmation,
    )


def _path_to_ready(kb: KnowledgeBase, facts: dict[str, Any], core: _Core) -> tuple[Optional[list[PathChange]], str]:
    """The smallest set of answer changes that makes fine-tuning ``ready`` (None when there is none)."""
    if core.verdict == "ready":
        return [], "fine-tuning is ready as answered"
    holds = list(core.blockers) + list(core.unverified) + \
        [g for g in core.gates + core.pending_gates if g.lever == "fine_tune"]
    changes: dict[str, Any] = {}
    clears: dict[str, list[str]] = {}
    stuck: list[str] = []
    for item in holds:
        merged = {**facts, **changes}
        if item.when.evaluate(merged) is False:
            continue
        done = False
        keys = sorted(item.when.keys(), key=lambda k: (0 if (kb.question(k) and kb.question(k).actionable) else 1, k))
        for key in keys:
            q = kb.question(key)
            if q is None:
                continue
            current = merged.get(key)
            if not q.actionable and not is_unknown(current):
                continue  # a fact of the situation; only an unknown one can be answered
            for cand in _candidates(q, None if is_unknown(current) else current, kb):
                if item.when.evaluate({**merged, key: cand}) is False:
                    changes[key] = cand
                    clears.setdefault(key, []).append(item.id)
                    done = True
                    break
            if done:
                break
        if not done:
            stuck.append(item.id)
    if stuck:
        return None, ("no change the team can make clears " + ", ".join(f"`{s}`" for s in stuck)
                      + "; these are facts of the situation")
    alt = _evaluate(kb, {**facts, **changes})
    if alt.verdict != "ready":
        if alt.primary != "fine_tune":
            return None, (f"even with every check cleared, {_option_name(kb, alt.primary)} fits this failure better "
                          "than fine-tuning")
        return None, "clearing these checks opens others; answer the open questions first"
    for key in list(changes):  # drop changes the others make unnecessary
        trial = {k: v for k, v in changes.items() if k != key}
        if _evaluate(kb, {**facts, **trial}).verdict == "ready":
            del changes[key]
    out = []
    for key, value in changes.items():
        q = kb.question(key)
        cur = facts.get(key)
        out.append(PathChange(key=key, prompt=q.prompt if q else key, current=cur,
                              current_label="don't know" if is_unknown(cur) else (q.label_for(cur) if q else str(cur)),
                              to=value, to_label=q.label_for(value) if q else str(value), clears=clears.get(key, [])))
    return out, f"{len(out)} answer change(s) clear every blocker and gate"

"""The decide engine: answers + knowledge -> an explained assessment.

Pure: no I/O, no UI. Scoring is a signed sum of the weights of every rule
whose condition holds; ties go to the cheaper lever (``Option.priority``), so
fine-tuning never wins a tie against a prompt. Readiness checks (blockers)
gate the verdict; unknown answers are tracked, lower confidence, and never
count as favourable. Counterfactuals re-run the same evaluation with one
answer changed, which is cheap (a few thousand condition evaluations).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field

from advisor.core.answers import Answers, is_unknown
from advisor.core.knowledge import OPTION_IDS, KnowledgeBase, Question

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


class Reason(BaseModel):
    """One rule that moved one option's score."""

    rule: str
    title: str
    family: str
    weight: float
    text: str
    source: str


class OptionScore(BaseModel):
    id: str
    name: str
    score: float
    reasons: list[Reason] = Field(default_factory=list)
    pending: list[str] = Field(default_factory=list, description="Rules that would touch this option, waiting on unknowns.")


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


class Unknown(BaseModel):
    key: str
    prompt: str
    rules: list[str] = Field(default_factory=list)
    blockers: list[str] = Field(default_factory=list)
    could_change: list[str] = Field(default_factory=list, description="Answers that would flip the outcome.")


class Counterfactual(BaseModel):
    key: str
    prompt: str
    current: Any
    current_label: str
    alternative: Any
    alternative_label: str
    primary: tuple[str, str] | None = None
    verdict: tuple[str, str] | None = None
    text: str


class Assessment(BaseModel):
    """Everything the record and the front ends show."""

    verdict: Verdict
    primary: str
    options: list[OptionScore]
    blockers: list[BlockerHit]
    unverified: list[UnverifiedCheck]
    fine_tune_method: Optional[Literal["sft", "lora", "preference"]]
    method_scores: dict[str, float]
    method_reasons: list[Reason]
    unknowns: list[Unknown]
    counterfactuals: list[Counterfactual]
    confidence: float
    confidence_label: Literal["high", "medium", "low"]
    knowledge_version: str
    answers: Answers
    evidence: dict[str, Any] = Field(default_factory=dict)

    def to_contract(self) -> dict[str, Any]:
        """The JSON object of docs/formats.md section 2 (plus documented extensions)."""
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
                }
                for o in self.options
            ],
            "blockers": [{"id": b.id, "text": b.text, "fix": b.fix} for b in self.blockers],
            "fine_tune_method": self.fine_tune_method,
            "unknowns": [u.key for u in self.unknowns],
            "knowledge_version": self.knowledge_version,
            # Extensions (docs/formats.md: new keys are allowed).
            "confidence": self.confidence,
            "unverified_checks": [{"id": u.id, "keys": u.keys} for u in self.unverified],
            "counterfactuals": [
                {
                    "key": c.key,
                    "from": c.current,
                    "to": c.alternative,
                    "primary": list(c.primary) if c.primary else None,
                    "verdict": list(c.verdict) if c.verdict else None,
                    "text": c.text,
                }
                for c in self.counterfactuals
            ],
        }


@dataclass
class _Core:
    """One evaluation of the rules against a set of facts."""

    scores: dict[str, float]
    primary: str
    verdict: str
    fired: list[tuple[Any, float]]
    pending: list[Any]
    blockers: list[Any]
    unverified: list[Any]
    method_scores: dict[str, float]


def _evidence_only(cond: Any) -> bool:
    return all(k.startswith("evidence.") for k in cond.keys())


def _evaluate(kb: KnowledgeBase, facts: dict[str, Any]) -> _Core:
    scores = {oid: 0.0 for oid in OPTION_IDS}
    method_scores = {"sft": 0.0, "lora": 0.0, "preference": 0.0}
    fired, pending = [], []
    for rule in kb.rules:
        result = rule.when.evaluate(facts)
        if result is None and _evidence_only(rule.when):
            continue  # no probe run: evidence rules neither fire nor count as unknowns
        if result is True:
            fired.append((rule, 0.0))
            for oid, w in rule.effects.items():
                scores[oid] += w
            for m, w in rule.method.items():
                method_scores[m] += w
        elif result is None:
            pending.append(rule)
    blockers, unverified = [], []
    for b in kb.blockers:
        result = b.when.evaluate(facts)
        if result is None and _evidence_only(b.when):
            continue
        if result is True:
            blockers.append(b)
        elif result is None:
            unverified.append(b)
    priority = {o.id: o.priority for o in kb.options}
    ranked = sorted(OPTION_IDS, key=lambda o: (-round(scores[o], 6), priority.get(o, 99)))
    primary = ranked[0]
    if round(scores["fine_tune"], 6) < round(scores[primary], 6):
        verdict = "not_recommended"
    elif primary != "fine_tune" or blockers or unverified:
        # A tie with a cheaper lever is not a case against fine-tuning: the cheaper
        # lever goes first, and the fine-tune waits for measurement (not_yet).
        verdict = "not_yet"
    else:
        verdict = "ready"
    return _Core(scores, primary, verdict, fired, pending, blockers, unverified, method_scores)


def _facts(answers: Answers, evidence: dict[str, Any] | None) -> dict[str, Any]:
    facts = answers.flat()
    for k in EVIDENCE_KEYS:
        facts[k] = (evidence or {}).get(k)
    return facts


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
        thresholds: set[float] = set()
        for item in list(kb.rules) + list(kb.blockers):
            for leaf in item.when.leaves():
                if leaf.key != q.key:
                    continue
                for name in ("lt", "lte", "gt", "gte"):
                    t = getattr(leaf, name)
                    if t is not None:
                        step = 1 if q.kind == "int" else 0.01
                        thresholds.update({t - step, t, t + step})
        values = sorted(v for v in thresholds if (q.min is None or v >= q.min) and (q.max is None or v <= q.max))
        if q.kind == "int":
            values = sorted({int(round(v)) for v in values})
        cur = float(current) if isinstance(current, (int, float)) else 0.0
        return sorted((v for v in values if v != current), key=lambda v: abs(v - cur))
    return []


def _option_name(kb: KnowledgeBase, oid: str) -> str:
    return kb.option(oid).name


def _flip_text(kb: KnowledgeBase, base: _Core, alt: _Core) -> tuple[tuple[str, str] | None, tuple[str, str] | None, str]:
    primary = (base.primary, alt.primary) if alt.primary != base.primary else None
    verdict = (base.verdict, alt.verdict) if alt.verdict != base.verdict else None
    parts = []
    if primary:
        parts.append(f"the recommendation would become {_option_name(kb, alt.primary)} (now {_option_name(kb, base.primary)})")
    if verdict:
        parts.append(f"the fine-tuning verdict would be {alt.verdict.replace('_', ' ')} (now {base.verdict.replace('_', ' ')})")
    return primary, verdict, " and ".join(parts)


def verdict_reason(a: "Assessment") -> str:
    """Why the fine-tuning verdict is what it is, in one clause (no final full stop).

    The record, the result screen and the leaning panel all say it this way.
    """
    if a.verdict == "ready":
        return "fine-tuning is the right lever and its preconditions hold"
    if a.verdict == "not_recommended":
        return "another lever fits the failure better"
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
            return "not yet (tied)"
        return "not yet (blockers)" if a.blockers else "not yet (unchecked)"
    return {"ready": "ready", "not_recommended": "not the lever for this"}[a.verdict]


def decide(
    answers: Answers,
    kb: KnowledgeBase,
    *,
    evidence: dict[str, Any] | None = None,
    counterfactuals: bool = True,
) -> Assessment:
    """Assess the answers against the knowledge base.

    Args:
        answers: what the interview collected (unknowns allowed).
        kb: the loaded knowledge base.
        evidence: optional ``evidence.*`` facts from a probe run.
        counterfactuals: also compute what single answer changes would flip the outcome.

    Returns:
        The assessment: ranked options with the rules behind each score,
        verdict, blockers, unknowns, method and counterfactuals.
    """
    facts = _facts(answers, evidence)
    core = _evaluate(kb, facts)
    names = {o.id: o.name for o in kb.options}

    reasons: dict[str, list[Reason]] = {oid: [] for oid in OPTION_IDS}
    method_reasons: list[Reason] = []
    for rule, _ in core.fired:
        for oid, w in rule.effects.items():
            reasons[oid].append(Reason(rule=rule.id, title=rule.title, family=rule.family, weight=w,
                                       text=rule.rationale, source=rule.source.cite()))
    pending_by_option: dict[str, list[str]] = {oid: [] for oid in OPTION_IDS}
    for rule in core.pending:
        for oid in rule.effects:
            pending_by_option[oid].append(rule.id)

    priority = {o.id: o.priority for o in kb.options}
    order = sorted(OPTION_IDS, key=lambda o: (-round(core.scores[o], 6), priority.get(o, 99)))
    options = [
        OptionScore(
            id=oid,
            name=names[oid],
            score=round(core.scores[oid], 3),
            reasons=sorted(reasons[oid], key=lambda r: -abs(r.weight)),
            pending=pending_by_option[oid],
        )
        for oid in order
    ]

    method = None
    if core.primary == "fine_tune":
        # Ties go to LoRA: cheaper to iterate and it leaves base weights frozen (seed 003).
        tie_order = {"lora": 0, "sft": 1, "preference": 2}
        method = sorted(core.method_scores, key=lambda m: (-core.method_scores[m], tie_order[m]))[0]
        # Explain the chosen method by the rules that voted for it.
        for rule, _ in core.fired:
            w = rule.method.get(method, 0)
            if w > 0:
                method_reasons.append(Reason(rule=rule.id, title=rule.title, family=rule.family, weight=w,
                                             text=rule.rationale, source=rule.source.cite()))

    # Confidence: the share of rule weight that was decided rather than waiting on unknowns.
    decided = sum(max((abs(w) for w in r.effects.values()), default=0) for r, _ in core.fired)
    waiting = sum(max((abs(w) for w in r.effects.values()), default=0) for r in core.pending)
    confidence = round(decided / (decided + waiting), 2) if decided + waiting else 0.0
    confidence = round(confidence * (1 - 0.03 * min(len(core.unverified), 10)), 2)
    label = "high" if confidence >= 0.8 else "medium" if confidence >= 0.55 else "low"

    unknowns: list[Unknown] = []
    cfs: list[Counterfactual] = []
    # A question the interview skips by its `ask_if` is not an open question.
    asked = [q for q in kb.questions if q.should_ask(facts)]
    for q in asked:
        value = facts.get(q.key)
        if is_unknown(value):
            rules = [r.id for r in core.pending if q.key in r.when.keys()]
            blocks = [b.id for b in core.unverified if q.key in b.when.keys()]
            unknowns.append(Unknown(key=q.key, prompt=q.prompt, rules=rules, blockers=blocks))
    if counterfactuals:
        by_key = {u.key: u for u in unknowns}
        for q in asked:
            value = facts.get(q.key)
            for alt in _candidates(q, None if is_unknown(value) else value, kb):
                alt_core = _evaluate(kb, {**facts, q.key: alt})
                if alt_core.primary == core.primary and alt_core.verdict == core.verdict:
                    continue
                primary, verdict, flip = _flip_text(kb, core, alt_core)
                alt_label = q.label_for(alt)
                if is_unknown(value):
                    by_key[q.key].could_change.append(f"“{alt_label}”: {flip}")
                    continue
                cur_label = q.label_for(value)
                cfs.append(Counterfactual(
                    key=q.key, prompt=q.prompt, current=value, current_label=cur_label,
                    alternative=alt, alternative_label=alt_label, primary=primary, verdict=verdict,
                    text=f"If the answer to “{q.prompt}” were “{alt_label}” instead of “{cur_label}”, {flip}.",
                ))
                break  # the smallest change for this key is enough

    # A change of lever matters more than a change of readiness: list those first.
    cfs.sort(key=lambda c: 0 if c.primary else 1)
    return Assessment(
        verdict=core.verdict,  # type: ignore[arg-type]
        primary=core.primary,
        options=options,
        blockers=[BlockerHit(id=b.id, check=b.check, text=b.text, fix=b.fix, source=b.source.cite()) for b in core.blockers],
        unverified=[UnverifiedCheck(id=b.id, check=b.check, keys=sorted(k for k in b.when.keys() if is_unknown(facts.get(k))), fix=b.fix)
                    for b in core.unverified],
        fine_tune_method=method,  # type: ignore[arg-type]
        method_scores={k: round(v, 3) for k, v in core.method_scores.items()},
        method_reasons=method_reasons,
        unknowns=unknowns,
        counterfactuals=cfs,
        confidence=confidence,
        confidence_label=label,  # type: ignore[arg-type]
        knowledge_version=kb.version,
        answers=answers,
        evidence={k: v for k, v in (evidence or {}).items() if v is not None},
    )

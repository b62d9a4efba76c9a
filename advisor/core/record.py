"""The decision record: a MADR 4 markdown document and the docs/formats.md section 2 JSON.

The markdown follows MADR 4's sections (front matter, Context and Problem
Statement, Decision Drivers, Considered Options, Decision Outcome with
Consequences and Confirmation, Pros and Cons of the Options, More
Information) so a team can commit it beside its other ADRs. Triage causes and
probe evidence plug in as extra sections, from their own JSON outputs.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Optional

import yaml

from advisor.core.answers import Answers
from advisor.core.decide import Assessment, verdict_reason
from advisor.core.io import atomic_write
from advisor.core.knowledge import KnowledgeBase


def _fmt_value(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _score(x: float) -> str:
    return f"{x:+g}" if x else "0"


def _clause(text: str) -> str:
    """A rationale as a clause after "because": lower-case start, no final period."""
    text = text.strip().rstrip(".")
    return text[0].lower() + text[1:] if text else text


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(
    assessment: Assessment,
    kb: KnowledgeBase,
    *,
    date: Optional[_dt.date] = None,
    triage: Optional[dict[str, Any]] = None,
    evidence: Optional[dict[str, Any]] = None,
    status: str = "proposed",
) -> str:
    """Render the MADR 4 decision record.

    Args:
        assessment: the engine's output.
        kb: the knowledge base it was computed with (for option texts and sources).
        date: the record's date (today by default; tests pin it).
        triage: an ``advisor triage --format json`` object to embed, if any.
        evidence: an ``advisor probe --format json`` object to embed, if any.
        status: MADR status (proposed, accepted, ...).

    Returns:
        The markdown text.
    """
    a = assessment
    date = date or _dt.date.today()
    answers = a.answers
    primary = kb.option(a.primary)
    desc = answers.task.description or "(no task description given)"
    out: list[str] = []
    w = out.append

    w("---")
    w(f"status: {status}")
    w(f"date: {date.isoformat()}")
    w(f"advisor-knowledge: {a.knowledge_version}")
    w("---")
    w("")
    w(f"# {primary.name} for: {desc}")
    w("")

    # -- Context -----------------------------------------------------------
    w("## Context and Problem Statement")
    w("")
    w(f"The job: {desc}")
    w("")
    facts = []
    for key in ("task.type", "failure.main_cause", "baseline.prompting", "knowledge.change_rate", "data.examples", "data.quality"):
        q = kb.question(key)
        v = answers.flat().get(key)
        if q is not None and v is not None and v != "unknown":
            facts.append(f"{q.prompt} **{q.label_for(v)}**")
    if facts:
        w("What we know:")
        w("")
        for f in facts:
            w(f"* {f}")
        w("")
    w(
        "Should we fine-tune a model for this job, or is the better fix retrieval, tools, "
        "validators, prompting, or routing and guardrails?"
    )
    w("")

    # -- Decision drivers --------------------------------------------------
    w("## Decision Drivers")
    w("")
    drivers: dict[str, Any] = {}
    for opt in a.options:
        for r in opt.reasons:
            prev = drivers.get(r.rule)
            if prev is None or abs(r.weight) > abs(prev.weight):
                drivers[r.rule] = r
    top = sorted(drivers.values(), key=lambda r: (-abs(r.weight), r.rule))[:8]
    if top:
        for r in top:
            w(f"* {r.title} (rule `{r.rule}`)")
    else:
        w("* Too little is known yet for any rule to apply.")
    if a.blockers:
        w(f"* {len(a.blockers)} fine-tuning readiness check(s) fail")
    w("")

    # -- Considered options ---------------------------------------------------
    w("## Considered Options")
    w("")
    for opt in a.options:
        w(f"* {opt.name}")
    w("")

    # -- Decision outcome -----------------------------------------------------
    w("## Decision Outcome")
    w("")
    best = a.options[0]
    because = [r.text.rstrip(".") for r in best.reasons if r.weight > 0][:3]
    if because:
        reason_text = "; ".join(because[:1]) + ("" if len(because) < 2 else "; also, " + "; ".join(x[0].lower() + x[1:] for x in because[1:]))
    else:
        reason_text = "no rule argued more strongly for another option, and it is the cheapest lever to try"
    w(f'Chosen option: "{primary.name}", because {reason_text[0].lower() + reason_text[1:]}.')
    w("")
    w(f"* Fine-tuning verdict: **{a.verdict.replace('_', ' ')}** (`{a.verdict}`): {verdict_reason(a)}.")
    if a.fine_tune_method:
        w(f"* Fine-tuning method: **{a.fine_tune_method}**" + (
            f" ({'; '.join(r.title for r in a.method_reasons[:2])})." if a.method_reasons else "."))
    w(f"* Confidence: {a.confidence_label} ({a.confidence:.2f}); {len(a.unknowns)} question(s) unanswered.")
    if len(a.options) > 1:
        runner = a.options[1]
        w(f"* Runner-up: {runner.name} (score {runner.score:g} against {best.score:g}).")
    w("")
    w("### Consequences")
    w("")
    for r in [r for r in best.reasons if r.weight > 0][:4]:
        w(f"* Good, because {r.text[0].lower() + r.text[1:]}")
    w(f"* Good, because it costs: {primary.cost[0].lower() + primary.cost[1:]}")
    for r in [r for r in best.reasons if r.weight < 0][:3]:
        w(f"* Bad, because {r.text[0].lower() + r.text[1:]}")
    w(f"* Bad, because of its upkeep: {primary.upkeep[0].lower() + primary.upkeep[1:]}")
    if a.blockers:
        w(f"* Bad, because {len(a.blockers)} readiness check(s) for fine-tuning fail (see More Information).")
    w("")
    w("### Confirmation")
    w("")
    w(_confirmation(a))
    w("")

    # -- Pros and cons ------------------------------------------------------
    w("## Pros and Cons of the Options")
    for opt in a.options:
        o = kb.option(opt.id)
        w("")
        w(f"### {o.name}")
        w("")
        w(o.summary.strip())
        w("")
        w(f"* Score: {opt.score:g}")
        pros = [r for r in opt.reasons if r.weight > 0]
        cons = [r for r in opt.reasons if r.weight < 0]
        for r in pros:
            w(f"* Good, because {_clause(r.text)} (`{r.rule}`, {_score(r.weight)}; {r.source}).")
        for r in cons:
            w(f"* Bad, because {_clause(r.text)} (`{r.rule}`, {_score(r.weight)}; {r.source}).")
        if not pros and not cons:
            w("* Neutral, because no rule applied to it with these answers.")
        w(f"* Neutral: cost {o.cost[0].lower() + o.cost[1:]} Upkeep: {o.upkeep[0].lower() + o.upkeep[1:]}")
        if opt.pending:
            w(f"* Open: {len(opt.pending)} more rule(s) wait on unanswered questions ({', '.join(f'`{p}`' for p in opt.pending)}).")

    # -- More information ---------------------------------------------------
    w("")
    w("## More Information")
    w("")
    w("### Fine-tuning readiness")
    w("")
    failing = {b.id for b in a.blockers}
    unverified = {u.id: u for u in a.unverified}
    w("| check | status | what to do |")
    w("|---|---|---|")
    for b in kb.blockers:
        if b.id in failing:
            hit = next(x for x in a.blockers if x.id == b.id)
            w(f"| {_md_escape(b.check)} | **fails**: {_md_escape(hit.text)} | {_md_escape(b.fix)} |")
        elif b.id in unverified:
            keys = ", ".join(f"`{k}`" for k in unverified[b.id].keys)
            w(f"| {_md_escape(b.check)} | unverified (answer {keys}) | {_md_escape(b.fix)} |")
        elif all(k.startswith("evidence.") for k in b.when.keys()) and not a.evidence:
            w(f"| {_md_escape(b.check)} | not measured (run `advisor probe`) | {_md_escape(b.fix)} |")
        else:
            w(f"| {_md_escape(b.check)} | passes | |")
    w("")
    w("### Open questions")
    w("")
    if a.unknowns:
        for u in a.unknowns:
            touches = u.rules + u.blockers
            line = f"* {u.prompt} (`{u.key}`)"
            if touches:
                line += f": would decide {', '.join(f'`{t}`' for t in touches)}"
            w(line)
            for c in u.could_change[:3]:
                w(f"  * if {c}")
    else:
        w("* None: every question was answered.")
    w("")
    w("### What would change this decision")
    w("")
    if a.counterfactuals:
        for c in a.counterfactuals:
            w(f"* {c.text}")
    else:
        w("* No single answer change would alter the recommendation or the verdict.")
    w("")
    if evidence is not None:
        w(_evidence_section(evidence).rstrip())
        w("")
    if triage is not None:
        w(_triage_section(triage).rstrip())
        w("")
    w("### Answers used")
    w("")
    w("| question | answer |")
    w("|---|---|")
    for q in kb.questions:
        v = answers.flat().get(q.key)
        shown = "don't know" if v is None or v == "unknown" else q.label_for(v) if q.kind in ("choice", "bool") else _fmt_value(v)
        w(f"| {_md_escape(q.prompt)} (`{q.key}`) | {_md_escape(shown)} |")
    w("")
    w("### Sources")
    w("")
    cited = sorted({r.source.split(" § ")[0] for o in a.options for r in o.reasons} | {b.source.split(" § ")[0] for b in a.blockers})
    for s in kb.sources:
        if s.id in cited:
            w(f"* `{s.id}`: {s.title} ({s.kind})")
    w(f"* Knowledge base version {a.knowledge_version}; rules are listed by `advisor rules list` and explained by `advisor explain RULE_ID`.")
    w("")
    return "\n".join(out)


def _confirmation(a: Assessment) -> str:
    n = a.answers.data.eval_cases
    have = f"you have {n}" if n is not None else "size unknown"
    lines = [
        "Before acting, and again after, run the comparison protocol (seed 004) and record the numbers here:",
        "",
        f"1. Keep a held-out eval set of at least 50-100 representative cases ({have}), deduplicated against any training data.",
        "2. Measure a systematically engineered prompted baseline on it (4-8 hours of prompt work: instructions, few-shot examples, output schema).",
        f"3. Build the chosen option and measure it on the same set with the same locked decoding settings.",
        "4. Compare score distributions, not only means: a higher average with more variance can be worse in production.",
        "5. Run shift tests (paraphrases, typos, shorter and longer inputs) and a general-capability check to catch overfitting and forgetting.",
    ]
    if a.answers.risk.customer_facing:
        lines.append("6. Red-team the system before customers see it, and after every training run.")
    lines += [
        "",
        "`advisor probe --config probe.yaml` runs steps 3-5 against real models; "
        "re-run it whenever the base model, the data or the scope changes.",
    ]
    return "\n".join(lines)


def _evidence_section(evidence: dict[str, Any]) -> str:
    from advisor.core.probe import record_section

    return record_section(evidence)


def _triage_section(triage: dict[str, Any]) -> str:
    from advisor.core.triage import record_section

    return record_section(triage)


def render_json(assessment: Assessment, *, triage: Optional[dict] = None, evidence: Optional[dict] = None) -> str:
    """The docs/formats.md section 2 object, pretty-printed (triage/evidence as extra keys)."""
    data = assessment.to_contract()
    if triage is not None:
        data["triage"] = triage
    if evidence is not None:
        data["evidence"] = evidence
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def answers_yaml(answers: Answers) -> str:
    """An answers file (docs/formats.md section 1) with only the answered keys."""
    return yaml.safe_dump(answers.to_yaml_dict(), sort_keys=False, allow_unicode=True)


def save_answers_yaml(path: str, answers: Answers) -> None:
    """Write an answers file atomically."""
    atomic_write(path, answers_yaml(answers))


def write_record(path: str, text: str) -> None:
    """Write a record atomically."""
    atomic_write(path, text)

"""The decision record: a MADR 4 markdown document and the docs/formats.md section 2 JSON.

The markdown follows MADR 4's sections (front matter, Context and Problem
Statement, Decision Drivers, Considered Options, Decision Outcome with
Consequences and Confirmation, Pros and Cons of the Options, More
Information) so a team can commit it beside its other ADRs. Triage causes and
probe evidence plug in as extra sections, from their own JSON outputs.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import Any, Optional

import yaml

from advisor.core.answers import Answers
from advisor.core.confirm import ConfirmationPlan, render_confirmation
from advisor.core.decide import CONCERN_TITLES, Assessment, verdict_reason
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
    visited: Optional[Iterable[str]] = None,
) -> str:
    """Render the MADR 4 decision record.

    Args:
        assessment: the engine's output.
        kb: the knowledge base it was computed with (for option texts and sources).
        date: the record's date (today by default; tests pin it).
        triage: an ``advisor triage --format json`` object to embed, if any.
        evidence: an ``advisor probe --format json`` object to embed, if any.
        status: MADR status (proposed, accepted, ...).
        visited: the questions the user went through in an interview (an "I don't
            know" included); an unanswered question outside it is shown as not
            answered yet. ``None`` (an answers file): a missing key is "don't know".

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
    plan = a.plan
    cause_q = kb.question("failure.main_cause")
    if plan.cause and cause_q is not None:
        w(f"* The failure to fix: {cause_q.label_for(plan.cause).lower()}; the lever for it is {primary.name}.")
    best = a.options[0]
    for r in [r for r in best.reasons if r.weight > 0][:4]:
        w(f"* {r.title} (rule `{r.rule}`)")
    for c in plan.complements:
        if c.lever == a.primary:
            continue
        concern = "; ".join(CONCERN_TITLES[x] for x in c.concerns)
        state = "already in production, kept" if c.in_place else "added beside it"
        w(f"* Because {concern}: {c.name} ({state}; rule {', '.join(f'`{x}`' for x in c.rules)})")
    for g in _holding(a):
        w(f"* Hard gate on {kb.option(g.lever).name}: {g.title.lower()} (gate `{g.id}`)")
    if a.blockers:
        w(f"* {len(a.blockers)} fine-tuning readiness check(s) fail")
    if not best.reasons and not plan.complements and not a.gates:
        w("* Too little is known yet for any rule to apply.")
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
    because = [r.text.rstrip(".") for r in best.reasons if r.weight > 0][:3]
    if because:
        reason_text = "; ".join(because[:1]) + ("" if len(because) < 2 else "; also, " + "; ".join(x[0].lower() + x[1:] for x in because[1:]))
    else:
        reason_text = "no rule argued more strongly for another option, and it is the cheapest lever to try"
    w(f'Chosen option: "{primary.name}", because {reason_text[0].lower() + reason_text[1:]}.')
    w("")
    w(f"**The plan.** {plan.summary}")
    w("")
    for s in plan.steps:
        w(f"{s.order}. **{s.title}.** {s.why.rstrip('.')}.")
        w(f"   * Cost: {_clause(s.cost)}.")
        w(f"   * Measure: {_clause(s.go_no_go.metric)}.")
        w(f"   * Go/no-go: {_clause(s.go_no_go.threshold)}.")
        if s.rules or s.sources:
            bits = []
            if s.rules:
                bits.append(", ".join(f"`{x}`" for x in s.rules))
            bits += s.sources
            w(f"   * Rests on: {'; '.join(bits)}.")
    for lever in plan.in_place:
        w(f"* Keep {kb.option(lever).name} in production; every step above is measured with it in place.")
    if plan.kill_criterion:
        w("")
        w(f"**Kill criterion.** {plan.kill_criterion}")
    w("")
    w(f"* Fine-tuning verdict: **{a.verdict.replace('_', ' ')}** (`{a.verdict}`): {verdict_reason(a)}.")
    for g in _holding(a):
        w(f"* {kb.option(g.lever).name} is held by the gate `{g.id}`: {_clause(g.text)}. It lifts when: {_clause(g.lift)}.")
    if plan.method:
        m = plan.method
        why = f" ({'; '.join(_clause(x) for x in m.why[:2])})" if m.why else ""
        w(f"* Fine-tuning method: **{m.name}** (`{m.id}`){why}. Settings:")
        for s in m.settings:
            w(f"  * {s}")
    c = plan.confidence
    flips = f", {len(c.flip_unknowns)} of which could change the plan or the verdict" if c.flip_unknowns else ""
    tail = "" if c.driver == "unanswered" else f"; {c.unanswered} question(s) unanswered{flips}"
    w(f"* Confidence: {c.label} ({c.value:.2f}), {c.text}{tail}.")
    if c.runner_up:
        ru = next(o for o in a.options if o.id == c.runner_up)
        w(f"* Runner-up: {ru.name} (score {ru.score:g} against {best.score:g}).")
    w("")
    w("### Consequences")
    w("")
    for r in [r for r in best.reasons if r.weight > 0][:4]:
        w(f"* Good, because {_clause(r.text)}.")
    for r in [r for r in best.reasons if r.weight < 0][:3]:
        w(f"* Bad, because {_clause(r.text)}.")
    if a.blockers:
        w(f"* Bad, because {len(a.blockers)} readiness check(s) for fine-tuning fail (see More Information).")
    w(f"* Cost: {_clause(primary.cost)}.")
    w(f"* Upkeep: {_clause(primary.upkeep)}.")
    for s in plan.steps:
        if s.lever != a.primary and s.role == "complement":
            w(f"* Also costs ({s.name}): {_clause(s.cost)}.")
    w("")
    w("### Confirmation")
    w("")
    for line in render_confirmation(a.plan.confirmation):
        w(line)
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
        for gid in opt.gated_by:
            g = kb.gate(gid)
            if g is not None:
                w(f"* Held by the gate `{gid}`: {_clause(g.text)} ({kb.cite(g.source)}).")
        if opt.in_place:
            w("* Already in production.")
        w(f"* Cost: {_clause(o.cost)}. Upkeep: {_clause(o.upkeep)}.")
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
            w(f"| {_md_escape(b.check)} | {_unverified_status(a, kb, unverified[b.id])} | {_md_escape(b.fix)} |")
        elif all(k.startswith("evidence.") for k in b.when.keys()) and not a.evidence:
            w(f"| {_md_escape(b.check)} | not measured (run `advisor probe`) | {_md_escape(b.fix)} |")
        else:
            w(f"| {_md_escape(b.check)} | passes | |")
    ft_gates = {g.id for g in a.gates if g.lever == "fine_tune"}
    for g in kb.gates:
        if g.lever != "fine_tune":
            continue
        if g.id in ft_gates:
            w(f"| Gate: {_md_escape(g.title)} | **holds**: {_md_escape(g.text)} | {_md_escape(g.lift)} |")
        elif g.id in unverified:
            w(f"| Gate: {_md_escape(g.title)} | {_unverified_status(a, kb, unverified[g.id])} | {_md_escape(g.lift)} |")
    w("")
    notes = plan.readiness.notes
    if notes:
        w("Softer signals on the same question (they do not change the ranking):")
        w("")
        for n in notes:
            sign = "for" if n.weight > 0 else "against"
            w(f"* {sign} fine-tuning: {n.title} (`{n.rule}`; {n.source})")
        w("")
    w("### Path to ready")
    w("")
    path = plan.readiness.path_to_ready
    if path is None:
        w(f"* None: {plan.readiness.path_note}.")
    elif not path:
        w("* Fine-tuning is ready as answered.")
    else:
        w(f"The smallest set of answer changes that clears every blocker and gate on fine-tuning ({len(path)}):")
        w("")
        for ch in path:
            clears = ", ".join(f"`{x}`" for x in ch.clears)
            w(f"* {ch.prompt} “{ch.to_label}” (now “{ch.current_label}”; clears {clears})")
    w("")
    w("### Open questions")
    w("")
    seen = None if visited is None else set(visited)
    if a.unknowns:
        for u in a.unknowns:
            line = f"* {u.prompt} (`{u.key}`)"
            if seen is not None and u.key not in seen:
                line += " (not answered yet)"
            if u.could_change:
                line += ": the answer could change the outcome"
            elif u.rules or u.blockers:
                line += ": " + would_settle(kb, u)
            w(line)
            for c in u.could_change[:3]:
                w(f"  * if {c}")
    else:
        w("* None: every question was answered.")
    w("")
    if a.not_asked:
        w("### Not asked")
        w("")
        w("The interview skips these questions with the answers above, so they are not open questions "
          "and do not lower the confidence:")
        w("")
        for n in a.not_asked:
            line = f"* {n.prompt} (`{n.key}`): {_skipped_because(a, kb, n)}"
            checks = [c for c in (_check_name(kb, x) for x in n.checks) if c]
            if checks:
                line += "; " + ", ".join(checks) + (" applies" if len(checks) == 1 else " apply") + " once it is asked"
            w(line)
            for c in n.could_change[:3]:
                w(f"  * if it were asked and answered {c}")
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
        w(f"| {_md_escape(q.prompt)} (`{q.key}`) | {_md_escape(answer_shown(a, q, seen))} |")
    w("")
    w("### Sources")
    w("")
    for s in _cited_sources(a, kb):
        w(f"* {s.reference()}: {_clause(s.summary)}.")
    w(f"* Knowledge base version {a.knowledge_version}; rules are listed by `advisor rules list` and explained by `advisor explain RULE_ID`.")
    w("")
    return "\n".join(out)


def answer_shown(a: Assessment, q: Any, visited: Optional[set[str]] = None) -> str:
    """One answer as the record (and the plain summary) shows it.

    Four cases: an answer; a documented default ("5 points (default for ...)");
    a question the branching skips ("not asked"); no answer, which is "don't know"
    when the user said so (or, from an answers file, a missing key) and "not
    answered yet" when an interview never reached it (``visited`` given).
    """
    flat = a.answers.flat()
    v = flat.get(q.key)
    if v is not None and v != "unknown":
        return q.label_for(v) if q.kind in ("choice", "bool") else _fmt_value(v)
    skipped = not q.should_ask(flat)
    if q.key == "task.min_delta":
        # No answer is an open question here: the confirmation test uses a documented default.
        conf = a.plan.confirmation
        whence = "default" + (f" for {conf.task_type.replace('_', ' ')} tasks" if conf.task_type else "")
        if conf.min_delta_source == "user":
            whence = "given with --min-delta"
        shown = f"{_fmt_value(conf.min_delta)} ({_fmt_value(round(conf.min_delta * 100, 6))} points, {whence})"
        return f"not asked; the plan uses {shown}" if skipped else shown
    if skipped:
        return "not asked"
    if visited is not None and q.key not in visited:
        return "not answered yet"
    return "don't know"


def _skipped_because(a: Assessment, kb: KnowledgeBase, n: Any) -> str:
    """``not asked because `data.examples` is “0”`` (the answers that skip it)."""
    flat = a.answers.flat()
    parts = []
    for k in n.because:
        q, v = kb.question(k), flat.get(k)
        if v is None or v == "unknown":
            continue
        label = q.label_for(v) if q is not None and q.kind in ("choice", "bool") else _fmt_value(v)
        parts.append(f"`{k}` is “{label}”")
    return "not asked because " + " and ".join(parts) if parts else "not asked with these answers"


def _check_name(kb: KnowledgeBase, item_id: str) -> str:
    b, g = kb.blocker(item_id), kb.gate(item_id)
    if b is not None:
        return f"the readiness check “{b.check}”"
    if g is not None:
        return f"the gate “{g.title}”"
    return ""


def _unverified_status(a: Assessment, kb: KnowledgeBase, u: Any) -> str:
    keys = ", ".join(f"`{k}`" for k in u.keys)
    if u.not_asked:
        why = [_skipped_because(a, kb, n).removeprefix("not asked ") for n in a.not_asked if n.key in u.keys]
        return f"not asked ({keys} is skipped {why[0]})" if why else f"not asked ({keys} is skipped)"
    return f"unverified (answer {keys})"


def would_settle(kb: KnowledgeBase, u: Any) -> str:
    """What answering an open question would settle, in words (no rule ids)."""
    parts: list[str] = []
    for x in u.blockers:
        b, g = kb.blocker(x), kb.gate(x)
        if b is not None:
            parts.append(f"the readiness check “{b.check}”")
        elif g is not None:
            parts.append(f"whether the gate “{g.title}” holds {kb.option(g.lever).name}")
    for rid in u.rules:
        r = kb.rule(rid)
        if r is None:
            continue
        names = " and ".join(kb.option(o).name for o in r.effects)
        if not r.effects:
            phrase = "the fine-tuning method" if r.method else "no score"
        elif r.role == "complement":
            phrase = f"whether {names} joins the plan"
        elif r.role == "readiness":
            phrase = "a readiness note on fine-tuning"
        else:
            phrase = f"the score of {names}"
        if phrase not in parts:
            parts.append(phrase)
    return "would settle " + "; ".join(parts[:4]) if parts else "no rule waits on it"


def confirmation_plan(a: Assessment) -> ConfirmationPlan:
    """The pre-registered test for the assessment's primary lever (``plan.confirmation``)."""
    return a.plan.confirmation


def _holding(a: Assessment) -> list[Any]:
    """Gates worth a line of the outcome: on fine-tuning, or holding a lever that would otherwise lead."""
    top = a.options[0].score
    scores = {o.id: o.score for o in a.options}
    return [g for g in a.gates if g.lever == "fine_tune" or scores.get(g.lever, 0) >= top]


def _cited_sources(a: Assessment, kb: KnowledgeBase) -> list[Any]:
    """The documents the record cites, in the knowledge base's order."""
    cites: list[str] = [r.source for o in a.options for r in o.reasons] + [b.source for b in a.blockers]
    cites += [g.source for g in a.gates] + [s for step in a.plan.steps for s in step.sources]
    cites += [n.source for n in a.plan.readiness.notes] + (a.plan.method.sources if a.plan.method else [])
    return [s for s in kb.sources if any(c.startswith(f"“{s.title}”") for c in cites)]


def _evidence_section(evidence: dict[str, Any]) -> str:
    from advisor.core.probe import record_section

    return record_section(evidence)


def _triage_section(triage: dict[str, Any]) -> str:
    from advisor.core.triage import record_section

    return record_section(triage)


def render_json(assessment: Assessment, *, triage: Optional[dict] = None, evidence: Optional[dict] = None) -> str:
    """The docs/formats.md section 2 object, pretty-printed (triage/evidence as extra keys)."""
    from advisor.core.schemas import SCHEMA_VERSION

    data = {"schema_version": SCHEMA_VERSION, **assessment.to_contract()}
    if triage is not None:
        data["triage"] = triage
    if evidence is not None:
        data["evidence"] = evidence
    from advisor.core.io import to_json

    return to_json(data)


def answers_yaml(answers: Answers) -> str:
    """An answers file (docs/formats.md section 1) with only the answered keys."""
    return yaml.safe_dump(answers.to_yaml_dict(), sort_keys=False, allow_unicode=True)


def save_answers_yaml(path: str, answers: Answers) -> None:
    """Write an answers file atomically."""
    atomic_write(path, answers_yaml(answers))


def write_record(path: str, text: str) -> None:
    """Write a record atomically."""
    atomic_write(path, text)

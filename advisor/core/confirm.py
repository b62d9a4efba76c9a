"""The confirmation plan a decision record pre-registers, and how a probe run is judged against it.

Headless (no I/O, no UI). The decide engine calls :func:`build_confirmation`
for the lever its plan puts first and stores the result as
``plan.confirmation``; the record renders it with :func:`render_confirmation`
(prose plus a fenced ``yaml advisor-confirmation`` block, so the record alone
carries the plan); ``advisor probe --plan RECORD`` reads it back with
:func:`read_plan` and judges the run (:mod:`advisor.core.probe.gate`).

Each lever's test (docs/probe.md, "The confirmation gate"):

=====================  ==========================================  =========================
lever                  primary comparison (must gain min_delta)    guard rails (non-inferior)
=====================  ==========================================  =========================
fine_tune              task: candidate vs base (vs the prompted    shift, general
                       baseline when the config has one)
rag                    knowledge: base with context vs closed-book none
validators             format: candidate (the validated system)    task
                       vs base
prompt_engineering     task: the engineered prompt                 none
                       (``prompted_baseline``) vs the current one
tool_use               task: candidate (the tool-using system      none
                       behind its endpoint) vs base
routing_guardrails     task: candidate (the routed system) vs base general
=====================  ==========================================  =========================

The probe has no tool-calling suite, so a tool or routing lever is tested
end to end: the config's candidate must be the endpoint that serves the
whole system. Routing keeps a general guard because what it sends elsewhere
must not get worse.

Keep the names of :class:`ConfirmationPlan`'s fields stable (docs/formats.md).
"""

from __future__ import annotations

import re
from typing import Any, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor.core.answers import Answers

#: The smallest gain worth acting on when the user gives none, by task type (a share: 0.05 = 5 points).
#: Exact-match tasks: 5 points is a change a team notices in production and a
#: paired run can measure. Judge-scored, open-ended outputs: the judge's own
#: noise is several points, so less than 10 is not worth a decision.
DEFAULT_MIN_DELTA: dict[str, float] = {
    "classification": 0.05,
    "extraction": 0.05,
    "factual_qa": 0.05,
    "tool_use": 0.05,
    "reasoning": 0.05,
    "code": 0.05,
    "style_format": 0.10,
    "summarization": 0.10,
    "other": 0.05,
}
FALLBACK_MIN_DELTA = 0.05
#: Largest drop accepted on a guard-rail suite (5 points): the built-in general
#: set of 64 items can show non-inferiority within it; 2 points would need several hundred.
DEFAULT_MARGIN = 0.05
#: Assumed share of cases the candidate *breaks* (base right, candidate wrong)
#: when no probe run has been made; it fixes this share plus min_delta, so the
#: assumed discordance is ``2 * BROKEN_SHARE + min_delta``.
BROKEN_SHARE = 0.05
ALPHA = 0.05
POWER = 0.80
FENCE = "yaml advisor-confirmation"

Comparison = Literal["candidate_vs_base", "context_gain", "prompted_vs_base", "candidate_vs_prompted"]


class SuitePlan(BaseModel):
    """One probe suite of the plan and the role it plays in the gate."""

    model_config = ConfigDict(extra="forbid")

    suite: Literal["task", "shift", "general", "knowledge", "format"] = Field(description="Built-in probe suite.")
    role: Literal["primary", "guard"] = Field(description="primary: must improve by min_delta; guard: must not drop by more than its margin.")
    metric: str = Field(description="What is compared, in words.")
    noninferiority_margin: Optional[float] = Field(None, description="Guard rails only: the largest drop accepted, as a share (0.02 = 2 points).")
    comparison: Comparison = Field(
        "candidate_vs_base",
        description="Which paired comparison of the suite is judged: candidate_vs_base, context_gain "
        "(base with context minus closed-book), prompted_vs_base (prompted baseline minus base), "
        "candidate_vs_prompted.")


class ConfirmationPlan(BaseModel):
    """The pre-registered test of a decision (``plan.confirmation`` in the decide JSON)."""

    model_config = ConfigDict(extra="forbid")

    lever: str = Field(description="The option id the test confirms.")
    suites: list[SuitePlan] = Field(default_factory=list, description="Suites to run, primary first.")
    metric: str = Field("", description="The primary metric, in words.")
    min_delta: float = Field(0.05, description="Smallest gain on the primary metric worth acting on (share, 0.05 = 5 points).")
    min_delta_source: Literal["user", "default"] = Field("default", description="Where min_delta came from.")
    noninferiority_margin: Optional[float] = Field(None, description="Margin for the guard-rail suites.")
    required_cases: Optional[int] = Field(None, description="Eval cases needed to detect min_delta at 80% power, alpha 0.05 (paired).")
    eval_cases: Optional[int] = Field(None, description="Eval cases the user has (answers data.eval_cases).")
    cases_to_add: Optional[int] = Field(None, description="required_cases - eval_cases when positive.")
    assumed_discordance: Optional[float] = Field(None, description="Share of discordant pairs assumed for the power calculation.")
    discordance_source: Literal["assumed", "observed"] = Field(
        "assumed", description="assumed: 2 * 0.05 + min_delta; observed: from the probe evidence given to decide.")
    alpha: float = Field(ALPHA, description="Two-sided significance level of the primary test (Holm-adjusted across the run).")
    power: float = Field(POWER, description="Power the required_cases figure is computed for.")
    task_type: Optional[str] = Field(None, description="The task type the default min_delta was taken for.")
    notes: list[str] = Field(default_factory=list, description="What the run needs beyond the suites (e.g. a prompted baseline).")

    @property
    def primary(self) -> Optional[SuitePlan]:
        """The primary suite, if any."""
        return next((s for s in self.suites if s.role == "primary"), None)

    @property
    def guards(self) -> list[SuitePlan]:
        """The guard-rail suites."""
        return [s for s in self.suites if s.role == "guard"]


def _suites(lever: str, margin: float) -> tuple[list[SuitePlan], list[str]]:
    def guard(suite: str, metric: str) -> SuitePlan:
        return SuitePlan(suite=suite, role="guard", metric=metric, noninferiority_margin=margin)  # type: ignore[arg-type]

    shift = guard("shift", "candidate minus base on perturbed copies of the eval inputs")
    general = guard("general", "candidate minus base on the built-in general-capability set")
    if lever == "fine_tune":
        return [SuitePlan(suite="task", role="primary", comparison="candidate_vs_prompted",
                          metric="pass rate of the tuned candidate minus the prompted base on your eval set"),
                shift, general], [
            "Configure a prompted_baseline (the best prompt on the base model): the candidate is judged "
            "against it; without one, against the bare base, which flatters the fine-tune."]
    if lever == "rag":
        return [SuitePlan(suite="knowledge", role="primary", comparison="context_gain",
                          metric="the base model's pass rate with each case's retrieved context minus closed-book")], [
            "Every eval case needs a `context` field holding what your retriever returns for it."]
    if lever == "validators":
        return [SuitePlan(suite="format", role="primary",
                          metric="valid-output rate of the candidate (the system with validators) minus the base"),
                guard("task", "candidate minus base on your eval set")], [
            "Point the candidate at the endpoint that serves the model with its validator or structured decoding."]
    if lever == "prompt_engineering":
        return [SuitePlan(suite="task", role="primary", comparison="prompted_vs_base",
                          metric="pass rate with the engineered prompt (prompted_baseline) minus the current prompt")], [
            "Put the current prompt in system_prompt and the engineered one in prompted_baseline."]
    if lever == "tool_use":
        return [SuitePlan(suite="task", role="primary",
                          metric="pass rate of the tool-using system minus the base on your eval set")], [
            "The probe sends no tool calls itself: the candidate must be the endpoint that runs the tools."]
    if lever == "routing_guardrails":
        return [SuitePlan(suite="task", role="primary",
                          metric="pass rate of the routed system minus the base on your eval set"), general], [
            "The candidate must be the endpoint that routes; the general guard checks that traffic sent elsewhere "
            "keeps its quality."]
    return [SuitePlan(suite="task", role="primary", metric="candidate minus base on your eval set")], []


def _observed_discordance(evidence: Optional[dict[str, Any]], plan_primary: SuitePlan) -> Optional[float]:
    """The primary comparison's discordance from a probe report, or from its evidence facts."""
    if not evidence:
        return None
    if isinstance(evidence.get("suites"), list):
        from advisor.core.probe.gate import find_comparison

        cmp = find_comparison(evidence, plan_primary)
        if cmp is None and plan_primary.comparison == "candidate_vs_prompted":  # the gate's fallback too
            cmp = find_comparison(evidence, plan_primary.model_copy(update={"comparison": "candidate_vs_base"}))
        d = (cmp or {}).get("discordance")
        return float(d) if isinstance(d, (int, float)) and (cmp or {}).get("n") else None
    d = evidence.get(f"evidence.{plan_primary.suite}_discordance")
    return float(d) if isinstance(d, (int, float)) and not isinstance(d, bool) else None


def build_confirmation(
    lever: str,
    answers: Answers,
    *,
    evidence: Optional[dict[str, Any]] = None,
    min_delta: Optional[float] = None,
) -> ConfirmationPlan:
    """The test that would confirm ``lever`` for these answers.

    Args:
        lever: the option id the plan puts first.
        answers: the interview's answers (task type, ``task.min_delta``, ``data.eval_cases``).
        evidence: a probe report (``advisor probe --format json``) or its
            evidence facts; the primary comparison's observed discordance then
            replaces the assumed one.
        min_delta: the user's smallest gain worth acting on (``--min-delta``);
            else ``task.min_delta``; else the task type's default.

    Returns:
        The plan: suites and roles, min_delta (and where it came from), the
        guard margin, and the cases a paired pass/fail run needs.
    """
    if min_delta is None:
        min_delta = getattr(answers.task, "min_delta", None)
    source = "user" if min_delta is not None else "default"
    ttype = answers.task.type
    if min_delta is None:
        min_delta = DEFAULT_MIN_DELTA.get(ttype or "", FALLBACK_MIN_DELTA)
    if not 0 < min_delta <= 1:
        raise ValueError("min_delta must be a share in (0, 1]")
    suites, notes = _suites(lever, DEFAULT_MARGIN)
    guards = [s for s in suites if s.role == "guard"]
    observed = _observed_discordance(evidence, suites[0])
    psi = observed if observed is not None else round(2 * BROKEN_SHARE + min_delta, 4)
    from advisor.core.probe.stats import required_cases

    need = required_cases(min_delta, psi, alpha=ALPHA, power=POWER)
    have = answers.data.eval_cases
    return ConfirmationPlan(
        lever=lever,
        suites=suites,
        metric=suites[0].metric,
        min_delta=min_delta,
        min_delta_source=source,  # type: ignore[arg-type]
        noninferiority_margin=DEFAULT_MARGIN if guards else None,
        required_cases=need,
        eval_cases=have,
        cases_to_add=(need - have) if have is not None and need > have else (0 if have is not None else None),
        assumed_discordance=round(psi, 4),
        discordance_source="observed" if observed is not None else "assumed",
        task_type=ttype,
        notes=notes,
    )


def _pts(x: Optional[float]) -> str:
    return "-" if x is None else f"{x * 100:g} points"


def plan_yaml(plan: ConfirmationPlan) -> str:
    """The plan as YAML (what the record's fenced block holds)."""
    return yaml.safe_dump(plan.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def render_confirmation(plan: ConfirmationPlan) -> list[str]:
    """Markdown lines for the record's Confirmation section: the test in words, then the machine-readable block."""
    p = plan
    shown_default = (f" (default for {p.task_type.replace('_', ' ')} tasks; set `task.min_delta` or "
                     "`--min-delta` to change it)" if p.task_type else
                     " (default; set `task.min_delta` or `--min-delta` to change it)")
    out = [
        f"This decision is confirmed by a paired probe run of `{p.lever}` against the base, "
        "with the test fixed here before the run:",
        "",
        f"* Primary metric: {p.metric}. It must gain at least **{_pts(p.min_delta)}**"
        + (shown_default if p.min_delta_source == "default" else " (your figure)") + ", significantly "
        f"(exact paired test, alpha {p.alpha:g}, Holm-adjusted across the run's comparisons).",
    ]
    for g in p.guards:
        out.append(f"* Guard rail `{g.suite}`: {g.metric}; it must not drop by more than "
                   f"{_pts(g.noninferiority_margin)} (one-sided 95% lower bound above -{g.noninferiority_margin:g}).")
    how = ("observed in the probe run given to decide" if p.discordance_source == "observed"
           else f"assumed: the change breaks {BROKEN_SHARE * 100:g}% of the cases and fixes that share plus min_delta")
    out.append(f"* Cases needed: **{p.required_cases}** paired cases detect {_pts(p.min_delta)} with "
               f"{p.power * 100:g}% power (discordance {p.assumed_discordance:g}, {how}).")
    if p.eval_cases is None:
        out.append("* Your eval set's size is unknown (`data.eval_cases`).")
    elif p.cases_to_add:
        out.append(f"* You have {p.eval_cases}: **add {p.cases_to_add} cases** before the run can confirm "
                   "or refute a gain of that size.")
    else:
        out.append(f"* You have {p.eval_cases}: enough.")
    for n in p.notes:
        out.append(f"* {n}")
    out += [
        "",
        "Run it with `advisor probe --config probe.yaml --plan RECORD.md`: the plan below decides the suites, "
        "and the verdict (confirmed, refuted or inconclusive) and the status above are written back into this record.",
        "",
        f"```{FENCE}",
        *plan_yaml(p).rstrip("\n").splitlines(),
        "```",
    ]
    return out


_BLOCK = re.compile(r"^```" + re.escape(FENCE) + r"[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def read_plan(text: str, *, file: str = "<record>") -> ConfirmationPlan:
    """The plan from a record's fenced ``yaml advisor-confirmation`` block.

    Raises:
        UserError: no block, malformed YAML, or a plan that does not validate (naming the line).
    """
    from advisor.errors import UserError

    m = _BLOCK.search(text)
    if m is None:
        raise UserError(f"no confirmation plan found: expected a fenced block starting with ```{FENCE} "
                        "(records written by `advisor decide` carry one in their Confirmation section)", file=file)
    first_line = text[: m.start(1)].count("\n") + 1
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise UserError(f"malformed plan YAML: {getattr(e, 'problem', e)}", file=file,
                        line=first_line + (mark.line if mark else 0)) from None
    if not isinstance(data, dict):
        raise UserError("the confirmation plan should be a mapping of keys (lever, suites, min_delta, ...)",
                        file=file, line=first_line)
    try:
        return ConfirmationPlan.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        key = ".".join(str(x) for x in err["loc"])
        raise UserError(f"confirmation plan: {err['msg']}", file=file, key=key, line=first_line) from None

"""The shape of every JSON object advisor prints, as pydantic models, and their JSON Schemas.

docs/formats.md describes these objects for people; the models here describe
them for machines: ``advisor schema answers|decision|triage|probe`` prints the
JSON Schema generated from them, and the tests validate real outputs against
the strict form of these schemas and check that every key docs/formats.md
shows is declared here.

Keeping them in step (docs/formats.md section 7): a new key in an output is
declared on the model of the object that carries it (with a description) and
shown in docs/formats.md; until then the schema test fails and names the key.

The models use ``extra="forbid"`` so that test catches an undeclared key; the
published schemas leave objects open (``additionalProperties`` is dropped), because
new keys arrive without a new ``schema_version`` and readers must ignore them.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

# The decide engine's own models: the decision schema follows from them (``plan``, the method ids).
from advisor.core.decide import Assessment, Plan

#: Bumped only when a key is renamed or removed or its meaning changes; new keys keep it.
from advisor.core import SCHEMA_VERSION  # noqa: E402 - defined with the package, light to import

Number = Union[int, float]


class _Obj(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _version() -> Any:
    return Field(description="Version of this object's layout (docs/formats.md section 7).")


# -- decide -------------------------------------------------------------------

class DecisionReason(_Obj):
    rule: str = Field(description="The rule id (`advisor explain RULE_ID`).")
    text: str = Field(description="Why the rule moves this option, in one sentence.")
    source: str = Field(description="The document and section the rule rests on.")
    weight: float = Field(description="Signed weight this rule adds to the option's score.")


class DecisionOption(_Obj):
    id: Literal["prompt_engineering", "rag", "tool_use", "validators", "fine_tune", "routing_guardrails"]
    score: float = Field(description="Sum of the weights of the rules whose condition held.")
    reasons: list[DecisionReason]
    gated_by: list[str] = Field(default_factory=list, description="Gates that keep this lever from being primary.")
    in_place: bool = Field(False, description="The answers say this lever already runs in production.")


class DecisionBlocker(_Obj):
    id: str = Field(description="Readiness check id.")
    text: str
    fix: str


class DecisionUnverified(_Obj):
    id: str = Field(description="Readiness check id that could neither pass nor fail.")
    keys: list[str] = Field(description="The unknown answer keys it waits on.")
    not_asked: bool = Field(description="Every key it waits on is a question the interview skips with these answers "
                                        "(the answer that skipped it makes the check moot for now).")


class DecisionCounterfactual(_Obj):
    key: str = Field(description="Dotted answer key.")
    from_: Any = Field(alias="from", description="The current answer.")
    to: Any = Field(description="The answer that would change the outcome.")
    primary: Optional[list[str]] = Field(description="[from, to] option ids, or null when the lever stays.")
    verdict: Optional[list[str]] = Field(description="[from, to] verdicts, or null when the verdict stays.")
    actionable: bool = Field(False, description="A change the team can make (not a fact about the world).")
    text: str


class TriageCause(_Obj):
    id: str = Field(description="Cause id from the runbook.")
    rank: int = Field(description="1 = most likely.")
    confidence: float = Field(description="0..1.")
    evidence: list[str]
    first_checks: list[str]
    fixes: list[str]
    title: str
    evidence_against: list[str]
    not_the_issue: list[str]
    source: str
    rests_on: Optional[list[Literal["curves", "data", "probe", "symptom", "rule_of_thumb", "prior"]]] = Field(
        None, description="The kinds of evidence the cause rests on (the user's curves first, priors last).")


class TriageFinding(_Obj):
    id: str
    severity: Literal["info", "warning", "error"]
    where: str = Field(description="`file:line`, `file step N` or the option it came from.")
    detail: str
    evidence: dict[str, Any] = Field(description="The numbers behind the finding.")
    basis: Optional[Literal["curves", "data", "probe", "rule_of_thumb"]] = Field(
        None, description="What the finding rests on: curves, data, probe or rule_of_thumb.")


class TriageBestCheckpoint(_Obj):
    step: Number
    epoch: Optional[float]
    eval_loss: float
    eval_set: str
    where: str


class TriageCurve(_Obj):
    name: str
    kind: Literal["train", "eval", "metric"]
    points: list[tuple[Number, Optional[float]]] = Field(description="[step, value]; value null for NaN/Inf.")


class TriageOutput(_Obj):
    """``advisor triage --format json`` (docs/formats.md section 3)."""

    schema_version: int = _version()
    causes: list[TriageCause]
    findings: list[TriageFinding]
    best_checkpoint: Optional[TriageBestCheckpoint] = Field(description="Lowest eval loss, or null.")
    symptom: Optional[str]
    curves: list[TriageCurve]
    inputs: dict[str, Any] = Field(description="What was read: files, formats, settings.")
    datasets: dict[str, Any] = Field(description="Per-dataset statistics.")


# -- probe --------------------------------------------------------------------

class ProbeArm(_Obj):
    mean: Optional[float]
    std: Optional[float]
    errors: int = Field(description="Requests that ended in an error (left out, not scored 0).")
    n: int = Field(description="Scored cases.")


class ProbeMcNemar(_Obj):
    base_only: int
    candidate_only: int
    p: float
    p_adjusted: Optional[float] = Field(None, description="Holm-adjusted p.")


class _PairedStats(_Obj):
    """The statistics every paired comparison carries (docs/probe.md, statistics)."""

    p: Optional[float] = Field(None, description="Exact two-sided p (McNemar, or a sign test).")
    p_adjusted: Optional[float] = Field(None, description="Holm-adjusted across the run's comparisons.")
    test: Optional[str] = Field(None, description="Which exact test gave p.")
    se: Optional[float] = Field(None, description="Standard error of the paired difference.")
    correlation: Optional[float] = Field(None, description="Correlation of the two arms' per-case scores.")
    fixed: Optional[int] = Field(None, description="Cases (or shifted inputs) the candidate fixed.")
    broken: Optional[int] = Field(None, description="Cases (or shifted inputs) the candidate broke.")
    discordance: Optional[float] = Field(None, description="Share of discordant pairs.")
    mde: Optional[float] = Field(None, description="Achieved minimum detectable effect (80% power, alpha 0.05).")
    lower_one_sided: Optional[float] = Field(None, description="One-sided 95% lower bound of the difference.")
    attrition: Optional[dict[str, int]] = Field(None, description="Cases scored for one arm only.")
    error: Optional[str] = Field(None, description="Why there is no verdict (nothing scored for both arms).")


class ProbeComparison(_PairedStats):
    n: int
    delta: Optional[float]
    ci95: Optional[list[Optional[float]]]
    verdict: Optional[Literal["improvement", "regression", "no_difference"]]
    mcnemar: Optional[ProbeMcNemar] = None
    clusters: Optional[int] = None


class ProbeCase(_Obj):
    id: str
    base: Optional[float]
    candidate: Optional[float]
    outcome: Literal["win", "loss", "tie", "error"]
    errors: Optional[dict[str, str]] = None
    cached: Optional[dict[str, Optional[str]]] = Field(None, description="Arm -> UTC time its cached answer was made.")


class ProbeSuite(_PairedStats):
    id: Literal["task", "shift", "general", "knowledge", "format"]
    n: int = Field(description="Paired cases both arms scored.")
    base: ProbeArm
    candidate: ProbeArm
    delta: Optional[float] = Field(description="Candidate minus base.")
    ci95: Optional[list[Optional[float]]] = Field(description="Paired bootstrap 95% interval of delta.")
    verdict: Optional[Literal["improvement", "regression", "no_difference"]] = Field(
        description="null when nothing was scored for both arms (then `error` says so).")
    scored_by: Literal["deterministic", "judge"]
    scorer: str
    cases: int
    wins: int
    losses: int
    ties: int
    warnings: list[str]
    per_case: list[ProbeCase]
    mcnemar: Optional[ProbeMcNemar] = None
    clusters: Optional[int] = Field(None, description="Shift: distinct inputs behind the perturbed copies.")
    prompted: Optional[ProbeArm] = Field(None, description="Task: the prompted baseline arm.")
    vs_prompted: Optional[ProbeComparison] = None
    drop: Optional[dict[str, Optional[float]]] = Field(None, description="Shift: task mean minus shift mean, per arm.")
    by_perturbation: Optional[dict[str, dict[str, Optional[float]]]] = None
    by_category: Optional[dict[str, dict[str, Optional[Number]]]] = None
    closed_book: Optional[dict[str, ProbeArm]] = None
    with_context: Optional[dict[str, Union[ProbeArm, ProbeComparison]]] = None
    context_gain: Optional[dict[str, ProbeComparison]] = None
    prompted_vs_base: Optional[ProbeComparison] = None


class ProbeModels(_Obj):
    base: str
    candidate: str
    judge: Optional[str] = None
    paraphrase: Optional[str] = None


class ProbeSettings(BaseModel):
    """What was sent. Open: a new optional setting is recorded without a schema change."""

    model_config = ConfigDict(extra="allow")
    temperature: Optional[float] = None
    max_tokens: Optional[int] = None
    system_prompt_sha256: str


class ProbeTokens(_Obj):
    prompt: int
    completion: int


class ProbeRun(_Obj):
    requests_sent: int
    attempts: int
    retries: int
    cache_hits: int
    errors: int
    budget_reached: bool
    not_sent: Optional[int] = Field(None, description="Calls not sent because their server refused connections.")
    unreachable: Optional[list[str]] = Field(None, description="Servers that refused connections.")
    sending_s: Optional[float] = Field(None, description="First request out to last answer in.")
    elapsed_s: Optional[float] = None


class ProbeDeployment(_Obj):
    model: Optional[str]
    api_base: Optional[str]


class ProbeEndpoint(_Obj):
    """Where one arm's requests went (no keys, no URL credentials)."""

    model: str
    api_base: Optional[str]
    via: Literal["direct", "litellm", "router"]
    api_key_env: Optional[str] = Field(None, description="The variable's name only.")
    revision: Optional[str] = None
    params: Optional[list[str]] = Field(None, description="Names of extra request parameters.")
    deployments: Optional[list[ProbeDeployment]] = None


class ProbeProvenance(_Obj):
    requested: str
    answers: int
    sent: int
    cached: int
    cached_from: Optional[str]
    cached_to: Optional[str]
    served_by: dict[str, int] = Field(description="Model the responses named -> count.")
    fallbacks: int


class ProbeOutput(_Obj):
    """``advisor probe --format json`` (docs/formats.md section 4)."""

    schema_version: int = _version()
    models: ProbeModels
    settings: ProbeSettings
    suites: list[ProbeSuite]
    cost_usd: float
    cost_note: Optional[str]
    tokens: ProbeTokens
    run: ProbeRun
    api_base: Optional[str] = Field(description="The endpoint, credentials removed.")
    endpoints: Optional[dict[str, ProbeEndpoint]] = None
    provenance: Optional[dict[str, ProbeProvenance]] = None
    warnings: list[str]
    advisor_version: str
    checks: Optional[list[dict[str, Any]]] = Field(None, description="Answer checks said first: candidate_is_base, template_mismatch.")
    multiple_comparisons: Optional[dict[str, Any]] = Field(None, description="The Holm-Bonferroni family: method, alpha, family.")
    gate: Optional[dict[str, Any]] = Field(None, description="With --plan RECORD: the confirmation gate's verdict and reasons.")
    aa: Optional[dict[str, Any]] = Field(None, description="With --aa: how far the base differs from itself.")


class DecisionOutput(_Obj):
    """``advisor decide --format json`` (docs/formats.md section 2)."""

    schema_version: int = _version()
    verdict: Literal["ready", "not_yet", "not_recommended"]
    primary: str = Field(description="The id of options[0].")
    options: list[DecisionOption] = Field(description="Best first.")
    blockers: list[DecisionBlocker] = Field(description="Every readiness check that fails, whatever the verdict.")
    fine_tune_method: Assessment.model_fields["fine_tune_method"].annotation  # type: ignore[valid-type]
    unknowns: list[str] = Field(description="Dotted keys of questions that apply but have no answer.")
    not_asked: list[str] = Field(description="Dotted keys of questions the interview's branching skips with these "
                                             "answers and that have no answer: not open questions, no effect on confidence.")
    knowledge_version: str
    confidence: float
    unverified_checks: list[DecisionUnverified]
    counterfactuals: list[DecisionCounterfactual]
    plan: Plan = Field(description="The advice as an ordered plan (the decide engine's Plan model).")
    triage: Optional[TriageOutput] = Field(None, description="Embedded with --triage FILE.")
    evidence: Optional[ProbeOutput] = Field(None, description="Embedded with --evidence FILE.")


def _answers_model() -> type[BaseModel]:
    from advisor.core.answers import Answers

    return Answers


#: ``advisor schema NAME`` -> the model.
SCHEMAS: dict[str, Any] = {
    "answers": _answers_model,
    "decision": lambda: DecisionOutput,
    "triage": lambda: TriageOutput,
    "probe": lambda: ProbeOutput,
}


def _open(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _open(v) for k, v in node.items() if not (k == "additionalProperties" and v is False)}
    if isinstance(node, list):
        return [_open(v) for v in node]
    return node


def json_schema(name: str, *, strict: bool = False) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one format.

    Args:
        name: ``answers``, ``decision``, ``triage`` or ``probe``.
        strict: keep ``additionalProperties: false`` (the tests' form); the
            published form leaves output objects open to new keys. The answers
            file is always strict: an unknown key there is an error.

    Raises:
        KeyError: an unknown name.
    """
    model = SCHEMAS[name]()
    schema = model.model_json_schema(by_alias=True)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    if name == "answers":
        # YAML 1.1 reads a bare yes/no as a boolean; the answers reader accepts it for `representative`.
        rep = schema["$defs"]["Data"]["properties"]["representative"]
        rep["anyOf"].insert(1, {"type": "boolean", "description": "a bare YAML yes/no: true = yes, false = no"})
    elif not strict:
        schema = _open(schema)
    return schema

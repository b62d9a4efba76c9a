"""Turn a config and an eval set into probe cases, one per suite item.

A :class:`Case` holds the exact request each arm sends (model + messages) and
how its answer is scored. Building cases is pure: no model calls, so the
tests can check every suite's prompts without a server.

Arms: ``base`` and ``candidate`` everywhere; ``prompted`` (the base model with
an engineered prompt) in ``task`` when configured; in ``knowledge`` the
closed-book arms are ``base``/``candidate`` and the given-context arms
``base_ctx``/``candidate_ctx``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from advisor.core.io import LIMITS, load_yaml, validation_error
from advisor.core.probe.config import EvalCase, ProbeConfig, ScorerSpec, load_eval_set, load_schema, quiet_schema_field
from advisor.core.probe.perturb import perturb
from advisor.core.probe.scorers import check_regex, score
from advisor.errors import UserError

Messages = list[dict[str, str]]


@dataclass
class Scoring:
    """How one case's answers are scored (a resolved :class:`ScorerSpec`)."""

    kind: str
    expected: str = ""
    tolerance: float = 0.0
    rel_tolerance: float = 0.0
    choices: Optional[list[str]] = None
    pattern: Optional[str] = None
    ignore_case: bool = True
    schema: Optional[dict] = None
    judge_model: Optional[str] = None
    rubric: Optional[str] = None

    def score(self, output: str) -> float:
        """Score one answer deterministically (not for ``judge``)."""
        return score(
            self.kind, output, self.expected, tolerance=self.tolerance, rel_tolerance=self.rel_tolerance,
            choices=self.choices, pattern=self.pattern, ignore_case=self.ignore_case, schema=self.schema,
        )


@dataclass
class Case:
    """One probe item: what each arm sends, and how answers are scored."""

    suite: str
    id: str
    arms: dict[str, tuple[str, Messages]]
    scoring: Scoring
    question: str = ""
    category: Optional[str] = None
    meta: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------- built-in general set


with quiet_schema_field():

    class GeneralItem(BaseModel):
        """One built-in general-capability item (``playbooks/probes/general.yaml``)."""

        model_config = ConfigDict(extra="forbid", populate_by_name=True)

        id: str = Field(description="stable id, used in win/loss tables")
        category: Literal["arithmetic", "instruction", "formatting", "reasoning", "knowledge"]
        prompt: str = Field(min_length=1, description="the user message")
        scorer: Literal["exact", "normalized", "contains", "regex", "choice", "numeric", "json_valid", "json_schema"]
        expected: str = ""
        choices: Optional[list[str]] = None
        tolerance: float = Field(0.0, ge=0)
        rel_tolerance: float = Field(0.0, ge=0)
        pattern: Optional[str] = None
        schema: Optional[dict[str, Any]] = None  # type: ignore[assignment]
        reference: str = Field(description="an answer that passes this item's scorer (checked by the tests)")

        @model_validator(mode="after")
        def _scorer_has_what_it_needs(self) -> "GeneralItem":
            if self.scorer == "choice" and not self.choices:
                raise ValueError("a choice item needs 'choices'")
            if self.scorer == "regex" and not (self.pattern or self.expected):
                raise ValueError("a regex item needs 'pattern'")
            if self.scorer == "json_schema" and self.schema is None:
                raise ValueError("a json_schema item needs 'schema'")
            if self.scorer in ("exact", "normalized", "contains", "numeric") and not self.expected:
                raise ValueError(f"a {self.scorer} item needs 'expected'")
            return self

        def scoring(self) -> Scoring:
            """This item's scorer."""
            return Scoring(
                kind=self.scorer, expected=self.expected, tolerance=self.tolerance, rel_tolerance=self.rel_tolerance,
                choices=self.choices, pattern=self.pattern, schema=self.schema,
            )


class GeneralSet(BaseModel):
    """The whole general set file."""

    model_config = ConfigDict(extra="forbid")

    version: int
    items: list[GeneralItem]


def default_general_path() -> Path:
    """The general set: the packaged copy in a wheel, else the repo's ``playbooks/``."""
    here = Path(__file__).resolve().parent.parent.parent
    packaged = here / "_data" / "playbooks" / "probes" / "general.yaml"
    if packaged.is_file():
        return packaged
    return here.parent / "playbooks" / "probes" / "general.yaml"


def load_general(path: Optional[Path] = None) -> GeneralSet:
    """Load and validate the general set (unique ids; file, line and key on errors)."""
    p = path or default_general_path()
    data, lines = load_yaml(p, limit=LIMITS["knowledge"], what="a probe set")
    try:
        gs = GeneralSet.model_validate(data)
    except ValidationError as e:
        raise validation_error(e, file=str(p), lines=lines, model=GeneralSet) from None
    seen: set[str] = set()
    for i, item in enumerate(gs.items):
        if item.id in seen:
            raise UserError("duplicate id", file=str(p), line=lines.get(("items", i, "id")), key=f"items[{i}].id")
        seen.add(item.id)
    return gs


# ----------------------------------------------------------------- building cases


def user_text(text: str, context: Optional[str]) -> str:
    """The user message: the input, preceded by its context when given."""
    if context:
        return f"Context:\n{context}\n\nInput:\n{text}"
    return text


def _messages(system: str, user: str, few_shot: Optional[list] = None) -> Messages:
    msgs: Messages = []
    if system:
        msgs.append({"role": "system", "content": system})
    for ex in few_shot or []:
        msgs.append({"role": "user", "content": ex.input})
        msgs.append({"role": "assistant", "content": ex.output})
    msgs.append({"role": "user", "content": user})
    return msgs


def _scoring_for(cfg: ProbeConfig, spec: ScorerSpec, case: EvalCase, schema: Optional[dict]) -> Scoring:
    return Scoring(
        kind=spec.type, expected=case.expected, tolerance=spec.tolerance, rel_tolerance=spec.rel_tolerance,
        choices=case.choices or spec.choices, pattern=spec.pattern, ignore_case=spec.ignore_case, schema=schema,
        judge_model=spec.model, rubric=spec.rubric,
    )


def _check_cases(cfg: ProbeConfig, spec: ScorerSpec, cases: list[EvalCase], file: str) -> None:
    for i, c in enumerate(cases, start=1):
        if spec.type == "choice" and not (c.choices or spec.choices):
            raise UserError("the choice scorer needs 'choices' (in the scorer or on every case)", file=file, key="choices")
        if spec.type == "regex":
            err = check_regex(spec.pattern if spec.pattern is not None else c.expected)
            if err:
                raise UserError(f"invalid regex: {err}", file=file, key="expected")
        if spec.type in ("exact", "normalized", "contains", "numeric", "choice") and not c.expected:
            raise UserError(f"case {c.id} has no 'expected' value, which the {spec.type} scorer needs",
                            file=file, key="expected")


def build_cases(
    cfg: ProbeConfig,
    suites: list[str],
    *,
    paraphrases: Optional[dict[str, str]] = None,
    general_path: Optional[Path] = None,
) -> list[Case]:
    """All cases of the selected suites, in a stable order.

    Args:
        cfg: the validated config.
        suites: suite ids to build (``shift`` also builds its unperturbed ``task``
            cases, flagged ``meta['hidden']`` when task itself was not selected,
            because a shift drop is measured against them).
        paraphrases: input -> paraphrase, from the paraphrase model (shift suite).
        general_path: another general set file (tests).

    Returns:
        The cases.

    Raises:
        UserError: eval-set problems (file, line, key).
    """
    out: list[Case] = []
    eval_cases: list[EvalCase] = []
    spec = cfg.scorer_spec
    base, cand = cfg.models.base, cfg.models.candidate
    if any(s in suites for s in ("task", "shift", "knowledge", "format")):
        assert cfg.eval_set is not None  # load_config checked
        path = cfg.resolve(cfg.eval_set)
        eval_cases = load_eval_set(path)
        _check_cases(cfg, spec, eval_cases, str(path))
        schema = load_schema(cfg, spec.schema, key="scorer.schema") if spec.type == "json_schema" else None
    sys_prompt = cfg.system_prompt

    if "task" in suites or "shift" in suites:
        pb = cfg.prompted_baseline
        for c in eval_cases:
            user = user_text(c.input, c.context)
            arms = {"base": (base, _messages(sys_prompt, user)), "candidate": (cand, _messages(sys_prompt, user))}
            if pb is not None and "task" in suites:
                arms["prompted"] = (base, _messages(pb.system_prompt or sys_prompt, user, pb.few_shot))
            out.append(Case("task", c.id or "", arms, _scoring_for(cfg, spec, c, schema), question=user,
                            meta={"hidden": "task" not in suites}))

    if "shift" in suites:
        names = list(cfg.shift.perturbations)
        for c in eval_cases:
            variants = [(n, perturb(c.input, n, cfg.shift.seed)) for n in names]
            if paraphrases is not None and c.input in paraphrases:
                variants.append(("paraphrase", paraphrases[c.input]))
            for name, text in variants:
                user = user_text(text, c.context)
                out.append(Case("shift", f"{c.id}~{name}",
                                {"base": (base, _messages(sys_prompt, user)), "candidate": (cand, _messages(sys_prompt, user))},
                                _scoring_for(cfg, spec, c, schema), question=user, meta={"perturbation": name, "of": c.id}))

    if "general" in suites:
        for item in load_general(general_path).items:
            # No config system prompt here: the user's task prompt ("answer with the
            # queue only") would sabotage general items and measure the prompt, not the model.
            msgs = _messages("", item.prompt)
            out.append(Case("general", item.id, {"base": (base, msgs), "candidate": (cand, msgs)},
                            item.scoring(), question=item.prompt, category=item.category))

    if "knowledge" in suites:
        with_ctx = [c for c in eval_cases if c.context]
        if not with_ctx:
            raise UserError(
                f"the knowledge suite needs cases with a 'context' key; none of the {len(eval_cases)} cases has one",
                file=str(cfg.resolve(cfg.eval_set or "")), key="context",
            )
        for c in with_ctx:
            closed = _messages(sys_prompt, user_text(c.input, None))
            given = _messages(sys_prompt, user_text(c.input, c.context))
            out.append(Case("knowledge", c.id or "",
                            {"base": (base, closed), "candidate": (cand, closed),
                             "base_ctx": (base, given), "candidate_ctx": (cand, given)},
                            _scoring_for(cfg, spec, c, schema), question=c.input))

    if "format" in suites:
        fschema = load_schema(cfg, cfg.format.schema, key="format.schema")
        system = (sys_prompt + "\n\n" + cfg.format.instruction).strip()
        kind = "json_schema" if fschema is not None else "json_valid"
        for c in eval_cases:
            msgs = _messages(system, user_text(c.input, c.context))
            out.append(Case("format", c.id or "", {"base": (base, msgs), "candidate": (cand, msgs)},
                            Scoring(kind=kind, schema=fschema), question=c.input))
    return out


def paraphrase_inputs(cfg: ProbeConfig) -> list[str]:
    """The eval-set inputs the paraphrase model is asked to rewrite."""
    assert cfg.eval_set is not None
    return [c.input for c in load_eval_set(cfg.resolve(cfg.eval_set))]


SuiteList = Union[list[str], tuple[str, ...]]

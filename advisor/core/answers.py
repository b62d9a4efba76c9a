"""The answers model: docs/formats.md section 1, filled by the TUI, the plain prompts or a file.

Every key is optional. A missing key, an explicit ``null`` and the enum value
``unknown`` all mean *unknown*: the engine never treats them as favourable,
they lower confidence and they appear in the record as open questions.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from advisor.core.io import load_yaml, parse_yaml, validation_error
from advisor.errors import UserError

TaskType = Literal[
    "classification", "extraction", "factual_qa", "tool_use", "reasoning",
    "style_format", "summarization", "code", "other",
]
MainCause = Literal[
    "missing_knowledge", "format_instability", "task_mapping", "tone_style",
    "calculation_or_lookup", "reasoning", "latency_cost", "unknown",
]


#: Longest task description kept (characters): one sentence, generously; docs/limits.md.
MAX_DESCRIPTION = 2000


def _not_bool(v: Any) -> Any:
    # YAML `true` is not a count or a share (pydantic would read it as 1).
    if isinstance(v, bool):
        raise ValueError("expected a number, not true/false")
    return v


def _plain_text(v: Any) -> Any:
    # Control characters (terminal escape sequences) are no part of a description.
    if isinstance(v, str):
        from advisor.core.io import clean_terminal

        return clean_terminal(v.replace("\t", " ")).strip()
    return v


class _Section(BaseModel):
    # allow_inf_nan=False: `.inf`/`.nan` in YAML are no answer to any question.
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class Task(_Section):
    description: Optional[str] = Field(None, max_length=MAX_DESCRIPTION,
                                        description="The job in one sentence: input, output, for whom.")

    _clean_description = field_validator("description", mode="before")(classmethod(lambda cls, v: _plain_text(v)))
    type: Optional[TaskType] = Field(None, description="The kind of task.")
    metric_defined: Optional[bool] = Field(None, description="Is there a measurable success metric tied to the business?")
    narrow_and_repeatable: Optional[bool] = Field(None, description="Is the task narrow and repeatable?")


class Failure(_Section):
    main_cause: Optional[MainCause] = Field(None, description="What goes wrong today with the best prompt you have.")
    same_input_same_wrong_output: Optional[bool] = Field(
        None, description="Consistent mapping failure: the same input patterns give the same wrong outputs."
    )
    tone_goal: Optional[Literal["brand_voice", "clarity", "more_cautious", "more_persuasive", "unknown"]] = Field(
        None, description="For a tone problem: what the change of tone is for (more_persuasive is gated in high-stakes products)."
    )


class Baseline(_Section):
    prompting: Optional[Literal["none", "basic", "systematic"]] = Field(
        None, description="How much prompt work was done (systematic = hours, few-shot exemplars, output schema)."
    )
    retrieval: Optional[Literal["none", "tried", "in_production", "not_applicable"]] = Field(None, description="Retrieval (RAG) status.")
    validators: Optional[Literal["none", "tried", "in_production"]] = Field(None, description="Output validators / structured decoding status.")
    tools: Optional[Literal["none", "tried", "in_production", "not_applicable"]] = Field(None, description="Tool calling status.")
    tool_calls_validated: Optional[bool] = Field(
        None, description="Are tool calls checked by code (schema, allow-list, limits) before they run?"
    )


class Knowledge(_Section):
    change_rate: Optional[Literal["never", "yearly", "monthly", "weekly", "daily"]] = Field(
        None, description="How often the facts the task needs change."
    )
    long_tail_facts: Optional[bool] = Field(None, description="Does the task need facts the base model is unlikely to know?")


class Data(_Section):
    examples: Optional[int] = Field(None, ge=0, le=100_000_000, description="Clean labelled examples available for training.")
    quality: Optional[Literal["clean", "some_noise", "noisy", "unknown"]] = Field(None, description="Label quality.")
    representative: Optional[Literal["yes", "partly", "no", "unknown"]] = Field(
        None, description="Do the examples match real inputs (short, messy, typos, languages)?"
    )
    synthetic_share: Optional[float] = Field(None, ge=0, le=1, description="Share of model-generated examples, 0..1.")
    source_diversity: Optional[Literal["single", "few", "many"]] = Field(
        None, description="How many distinct sources or annotators the examples come from."
    )
    eval_cases: Optional[int] = Field(None, ge=0, le=10_000_000, description="Size of a held-out evaluation set.")
    eval_overlap_checked: Optional[bool] = Field(None, description="Was the eval set deduplicated against the training set?")
    current: Optional[bool] = Field(None, description="Do the examples reflect the current policy and product (no outdated answers)?")
    eval_source: Optional[Literal["real", "mixed", "synthetic", "unknown"]] = Field(
        None, description="Where the eval cases come from: real production inputs, a mix, or generated."
    )

    _numbers_not_bools = field_validator("examples", "synthetic_share", "eval_cases", mode="before")(
        classmethod(lambda cls, v: _not_bool(v)))

    @field_validator("representative", mode="before")
    @classmethod
    def _yaml_bools(cls, v: Any) -> Any:
        # YAML 1.1 reads an unquoted `yes`/`no` as a boolean; the contract's values are strings.
        if v is True:
            return "yes"
        if v is False:
            return "no"
        return v


class Volume(_Section):
    requests_per_day: Optional[int] = Field(None, ge=0, le=10_000_000_000, description="Expected requests per day.")
    latency_sensitive: Optional[bool] = Field(None, description="Is response latency a user-experience requirement?")

    _numbers_not_bools = field_validator("requests_per_day", mode="before")(classmethod(lambda cls, v: _not_bool(v)))


class Team(_Section):
    mlops: Optional[Literal["none", "some", "dedicated"]] = Field(None, description="MLOps capability.")
    can_maintain_retraining: Optional[bool] = Field(None, description="Can the team own retraining and re-evaluation?")
    eval_maturity: Optional[Literal["none", "offline", "human_review", "shadow_or_ab"]] = Field(
        None, description="The most mature evaluation the team runs today."
    )
    run_budget: Optional[Literal["one_or_two", "several", "many", "unknown"]] = Field(
        None, description="How many full training runs (data, compute, evaluation) the budget affords."
    )
    stacked_adapters: Optional[Literal["single", "tested_together", "untested", "unknown"]] = Field(
        None, description="Would the tuned model stack several adapters, and are the combinations tested together?"
    )
    base_model_pinned: Optional[bool] = Field(
        None, description="Is the base model pinned to a dated version the provider cannot change underneath?"
    )


class Product(_Section):
    workflow_change: Optional[Literal["weekly", "monthly", "stable"]] = Field(
        None, description="How often the workflow, policy or product surface changes."
    )


class Risk(_Section):
    domain: Optional[Literal["none", "finance", "health", "legal", "security", "onchain", "other"]] = Field(
        None, description="Regulated or high-stakes domain, if any."
    )
    customer_facing: Optional[bool] = Field(None, description="Do customers see the outputs directly?")
    level: Optional[Literal["low", "medium", "high", "unknown"]] = Field(
        None, description="How costly a confident wrong answer is: low, medium (guardrails and review) or high (routing, verification, red-teaming)."
    )


class Answers(_Section):
    """Everything the interview collects. See docs/formats.md section 1."""

    task: Task = Field(default_factory=Task)
    failure: Failure = Field(default_factory=Failure)
    baseline: Baseline = Field(default_factory=Baseline)
    knowledge: Knowledge = Field(default_factory=Knowledge)
    data: Data = Field(default_factory=Data)
    volume: Volume = Field(default_factory=Volume)
    team: Team = Field(default_factory=Team)
    product: Product = Field(default_factory=Product)
    risk: Risk = Field(default_factory=Risk)

    @field_validator("*", mode="before")
    @classmethod
    def _null_section(cls, v: Any) -> Any:
        # `task:` with nothing under it parses as null: treat it as an empty section.
        return {} if v is None else v

    # -- flat view -------------------------------------------------------
    def flat(self) -> dict[str, Any]:
        """Every contract key as ``section.key`` -> value (``None`` when unanswered)."""
        out: dict[str, Any] = {}
        for section in type(self).model_fields:
            sub = getattr(self, section)
            for key in type(sub).model_fields:
                out[f"{section}.{key}"] = getattr(sub, key)
        return out

    def answered(self) -> dict[str, Any]:
        """Only the keys with a value (``unknown`` enum values count as unanswered)."""
        return {k: v for k, v in self.flat().items() if not is_unknown(v)}

    @classmethod
    def from_flat(cls, flat: dict[str, Any]) -> "Answers":
        """Build from ``{"data.examples": 800, ...}``; raises pydantic's ValidationError."""
        nested: dict[str, dict[str, Any]] = {}
        for key, value in flat.items():
            section, _, field = key.partition(".")
            nested.setdefault(section, {})[field] = value
        return cls.model_validate(nested)

    def with_answer(self, key: str, value: Any) -> "Answers":
        """A copy with one dotted key set (``None`` clears it)."""
        flat = self.flat()
        if key not in flat:
            raise KeyError(key)
        flat[key] = value
        return Answers.from_flat(flat)

    def to_yaml_dict(self) -> dict[str, dict[str, Any]]:
        """Nested dict of the answered keys only, in contract order (for answers files)."""
        out: dict[str, dict[str, Any]] = {}
        for key, value in self.flat().items():
            if value is None:
                continue
            section, _, field = key.partition(".")
            out.setdefault(section, {})[field] = value
        return out


def answer_keys() -> list[str]:
    """All contract keys, dotted, in contract order."""
    return list(Answers().flat())


def is_unknown(value: Any) -> bool:
    """``None`` and the enum value ``unknown`` both mean the answer is not known."""
    return value is None or value == "unknown"


def parse_answers(text: str, *, file: str = "<answers>") -> Answers:
    """Parse and validate answers YAML text.

    Raises:
        UserError: malformed YAML, an unknown key or a value outside the contract.
    """
    data, lines = parse_yaml(text, file=file)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError(
            f"expected a mapping of sections ({', '.join(Answers.model_fields)}), got {type(data).__name__}",
            file=file,
            line=1,
        )
    try:
        return Answers.model_validate(data)
    except ValidationError as e:
        raise validation_error(e, file=file, lines=lines, model=Answers) from None


def load_answers(path: str) -> Answers:
    """Read an answers file (docs/formats.md section 1)."""
    from advisor.core.io import LIMITS, read_text

    return parse_answers(read_text(path, limit=LIMITS["answers"], what="an answers file"), file=str(path))


__all__ = ["Answers", "answer_keys", "is_unknown", "load_answers", "parse_answers", "load_yaml"]

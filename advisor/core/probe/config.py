"""The probe config (docs/formats.md section 4) and the eval-set reader.

Every key is documented on its field; unknown keys are errors that name the
file, the line and the allowed keys (via :func:`advisor.core.io.validation_error`).
Paths inside the config are relative to the config file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Literal, Optional, Union

import warnings

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from advisor.core.io import LIMITS, load_json, load_yaml, parse_json, read_text, validation_error
from advisor.errors import UserError

SUITES = ("task", "shift", "general", "knowledge", "format")
SuiteId = Literal["task", "shift", "general", "knowledge", "format"]
ScorerType = Literal[
    "exact", "normalized", "contains", "regex", "choice", "numeric", "json_valid", "json_schema", "judge"
]
PERTURBATIONS = ("typos", "case", "punct_spacing", "truncate", "distractor")
Perturbation = Literal["typos", "case", "punct_spacing", "truncate", "distractor"]




@contextlib.contextmanager
def quiet_schema_field() -> Iterator[None]:
    """Define a model with a field named ``schema`` without pydantic's warning.

    ``schema`` is the natural key in the YAML; pydantic warns that it shadows
    the deprecated ``BaseModel.schema()``, which nothing here uses.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message='Field name "schema"', category=UserWarning)
        yield


class _Strict(BaseModel):
    # allow_inf_nan=False: `timeout_s: .inf` would wait forever, `budget_usd: .nan` never stops (docs/limits.md)
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


with quiet_schema_field():

    class ScorerSpec(_Strict):
        """How one answer is scored against its expected value (0.0 to 1.0)."""

        type: ScorerType = Field(description="which scorer (see docs/probe.md)")
        tolerance: float = Field(0.0, ge=0, description="numeric: absolute tolerance")
        rel_tolerance: float = Field(0.0, ge=0, description="numeric: relative tolerance (fraction of expected)")
        choices: Optional[list[str]] = Field(None, description="choice: the allowed answers")
        pattern: Optional[str] = Field(None, description="regex: the pattern (default: the case's expected value)")
        ignore_case: bool = Field(True, description="regex/choice/contains: ignore letter case")
        schema: Optional[Union[str, dict[str, Any]]] = Field(  # type: ignore[assignment]
            None, description="json_schema: a JSON Schema, inline or a path to a .json file"
        )
        model: Optional[str] = Field(None, description="judge: the litellm model that grades answers")
        rubric: Optional[str] = Field(None, description="judge: what a passing answer must do")


#: Request keys the runner sets itself: a model's ``params`` may not override them
#: (the decoding settings are locked for every arm; keys come only from the environment).
RESERVED_PARAMS = frozenset({
    "model", "messages", "api_base", "base_url", "api_key", "timeout", "num_retries", "max_retries",
    "temperature", "max_tokens", "top_p", "seed", "stream",
})
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ModelEndpoint(_Strict):
    """One model and where it is served: a hosted API, a self-served OpenAI-compatible server, a proxy.

    ``str()`` of it is the model string, so a report or screen that prints
    ``models.base`` shows the same thing for both forms.
    """

    model: str = Field(min_length=1, description="the litellm model string (or a router model_name)")
    api_base: Optional[str] = Field(None, description="where this model is served (default: the top-level api_base)")
    api_key_env: Optional[str] = Field(
        None, description="name of the environment variable holding this model's API key (never the key itself)")
    revision: Optional[str] = Field(
        None, description="a label for the weights behind the name (a checkpoint, a date); part of the cache key")
    params: dict[str, Any] = Field(
        default_factory=dict, description="extra litellm parameters for this model, e.g. extra_body or extra_headers")

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not _ENV_NAME.match(v):
            raise ValueError("expected the NAME of an environment variable (letters, digits, _), not a key")
        return v

    @field_validator("params")
    @classmethod
    def _no_reserved(cls, v: dict[str, Any]) -> dict[str, Any]:
        bad = sorted(k for k in v if k in RESERVED_PARAMS)
        if bad:
            raise ValueError(f"{', '.join(bad)} cannot be set here (decoding settings are locked for every arm; "
                             "an API key goes in the environment, named by api_key_env)")
        return v

    def __str__(self) -> str:
        return self.model

    def __eq__(self, other: object) -> bool:
        # The string form stays valid for readers too: `cfg.models.base == "openai/x"` compares the model string.
        if isinstance(other, str):
            return self.model == other
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, like any pydantic model


@dataclass
class Endpoint:
    """Where one model's requests go, resolved from the config: what the runner sends with.

    Attributes:
        model: the litellm model string, or the Router model name.
        api_base: the server (None: the provider's own).
        api_key_env: the environment variable with the key (None: litellm's usual one).
        revision: the weights label; part of the cache key.
        params: extra litellm parameters (``extra_body``, ...).
        router: sent through the config's in-process Router.
        deployments: for a Router model, its deployments (no keys): part of the cache key.
        where: the config key it came from, for messages (``models.base``).
    """

    model: str
    api_base: Optional[str] = None
    api_key_env: Optional[str] = None
    revision: Optional[str] = None
    params: dict[str, Any] = field(default_factory=dict)
    router: bool = False
    deployments: list[dict[str, Any]] = field(default_factory=list)
    where: str = ""

    def identity(self) -> dict[str, Any]:
        """What, besides the model name and api_base, tells this endpoint's answers apart (for the cache key).

        Empty for a plain model string, so caches written before per-model
        endpoints existed keep answering.
        """
        out: dict[str, Any] = {}
        if self.revision:
            out["revision"] = self.revision
        if self.params:
            out["params"] = self.params
        if self.router:
            out["router"] = self.deployments
        return out

    def api_key(self) -> Optional[str]:
        """The key from ``api_key_env`` (None when no variable is named)."""
        return os.environ.get(self.api_key_env) if self.api_key_env else None


class ModelsSpec(_Strict):
    """The two models under comparison: a litellm model string each, or a mapping with its endpoint."""

    base: ModelEndpoint = Field(description="the base model: a litellm model string, or {model, api_base, ...}")
    candidate: ModelEndpoint = Field(description="the fine-tuned (or otherwise changed) model, in the same forms")

    @field_validator("base", "candidate", mode="before")
    @classmethod
    def _string_form(cls, v: Any) -> Any:
        # `base: openai/gpt-4o-mini` is shorthand for `base: {model: openai/gpt-4o-mini}`.
        return {"model": v} if isinstance(v, str) else v

    def endpoint(self, arm: str) -> ModelEndpoint:
        """The arm's model settings."""
        return getattr(self, arm)


class RouterSpec(_Strict):
    """An in-process litellm Router: several deployments behind one model name, fallbacks, rate limits.

    A model (``models.base``, ``models.candidate``, the judge, the paraphraser)
    whose string is a ``model_name`` of ``model_list`` is sent through the Router.
    """

    model_list: list[dict[str, Any]] = Field(
        min_length=1, description="deployments: {model_name, litellm_params: {model, api_base, api_key_env, rpm, tpm, ...}}")
    fallbacks: list[dict[str, list[str]]] = Field(
        default_factory=list, description="[{model_name: [fallback model_name, ...]}]")
    routing_strategy: Optional[str] = Field(None, description="litellm's routing strategy (default simple-shuffle)")
    options: dict[str, Any] = Field(default_factory=dict, description="other litellm Router arguments")

    @field_validator("model_list")
    @classmethod
    def _deployments(cls, v: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for i, d in enumerate(v):
            where = f"deployment {i + 1}"
            if not isinstance(d, dict) or not isinstance(d.get("model_name"), str) or not d["model_name"]:
                raise ValueError(f"{where}: expected a mapping with model_name and litellm_params")
            lp = d.get("litellm_params")
            if not isinstance(lp, dict) or not isinstance(lp.get("model"), str):
                raise ValueError(f"{where} ({d['model_name']}): litellm_params needs a 'model' string")
            key = lp.get("api_key")
            if key is not None and not (isinstance(key, str) and key.startswith("os.environ/")):
                raise ValueError(f"{where} ({d['model_name']}): no API key in the config; name the environment "
                                 "variable that holds it with api_key_env (or api_key: os.environ/NAME)")
            env = lp.get("api_key_env")
            if env is not None and not (isinstance(env, str) and _ENV_NAME.match(env)):
                raise ValueError(f"{where} ({d['model_name']}): api_key_env must name an environment variable")
            extra = sorted(set(d) - {"model_name", "litellm_params", "model_info"})
            if extra:
                raise ValueError(f"{where} ({d['model_name']}): unknown key(s) {', '.join(extra)}; "
                                 "allowed: model_name, litellm_params, model_info")
        return v

    @property
    def names(self) -> set[str]:
        """The model names the Router answers to."""
        return {d["model_name"] for d in self.model_list}

    def deployments(self, name: str) -> list[dict[str, Any]]:
        """The deployments (litellm_params without keys) behind ``name``, for cache keys and reports."""
        out = []
        for d in self.model_list:
            if d["model_name"] == name:
                lp = d["litellm_params"]
                out.append({k: v for k, v in lp.items() if k not in ("api_key", "api_key_env")})
        return out


class FewShot(_Strict):
    """One worked example shown to the prompted baseline."""

    input: str
    output: str


class PromptedBaseline(_Strict):
    """A third arm: the base model with an engineered prompt (the measurement protocol of “Fine-Tuned vs. Prompted”, knowledge/sources.yaml)."""

    system_prompt: Optional[str] = Field(None, description="replaces system_prompt for this arm")
    few_shot: list[FewShot] = Field(default_factory=list, description="worked examples sent as prior turns")


class ShiftSpec(_Strict):
    """Which deterministic perturbations the shift suite applies."""

    perturbations: list[Perturbation] = Field(default_factory=lambda: list(PERTURBATIONS))
    paraphrase_model: Optional[str] = Field(None, description="a litellm model that writes one paraphrase per input")
    seed: int = Field(0, description="seed for the perturbations (same seed, same inputs)")


with quiet_schema_field():

    class FormatSpec(_Strict):
        """What the format suite checks on the task inputs."""

        schema: Optional[Union[str, dict[str, Any]]] = Field(  # type: ignore[assignment]
            None, description="JSON Schema the answers must satisfy (else: any valid JSON)"
        )
        instruction: str = Field(
            "Respond with a single JSON object and nothing else.",
            description="appended to the system prompt for this suite",
        )


class StatsSpec(_Strict):
    """Statistics settings (kept in the output so a run can be reproduced)."""

    resamples: int = Field(2000, ge=100, le=100000, description="bootstrap resamples")
    seed: int = Field(0, description="bootstrap seed")
    min_n: int = Field(50, ge=1, description="warn when a suite has fewer paired cases than this")


class ProbeConfig(_Strict):
    """The whole ``probe.yaml`` (docs/formats.md section 4, plus optional extensions)."""

    models: ModelsSpec
    api_base: Optional[str] = Field(
        None, description="default server for every model without its own api_base (vLLM, llama.cpp, Ollama, a proxy)")
    router: Optional[RouterSpec] = Field(None, description="an in-process litellm Router (model_list, fallbacks)")
    transport: Literal["auto", "litellm"] = Field(
        "auto", description="auto: OpenAI-compatible endpoints are called directly, the rest through litellm; "
                            "litellm: everything through litellm")
    eval_set: Optional[str] = Field(None, description="JSONL eval set, relative to the config file")
    scorer: ScorerSpec = Field(default_factory=lambda: ScorerSpec(type="exact"),
                               description="scorer for the eval set: a name, or a mapping with type and options")
    suites: list[SuiteId] = Field(default_factory=lambda: list(SUITES))
    system_prompt: str = Field("", description="system prompt for task, shift, knowledge and format")
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int = Field(256, ge=1, le=100000)
    top_p: Optional[float] = Field(None, gt=0, le=1)
    seed: Optional[int] = Field(None, description="decoding seed, where the provider honours one")
    concurrency: int = Field(8, ge=1, le=512, description="requests in flight at once")
    timeout_s: float = Field(60.0, gt=0, le=3600, description="per-request timeout in seconds")
    max_retries: int = Field(4, ge=0, le=20, description="retries on 429, 5xx, connection errors, timeouts")
    backoff_s: float = Field(1.0, ge=0, le=60, description="first retry delay; doubles each attempt, with jitter")
    budget_usd: Optional[float] = Field(None, ge=0, le=1_000_000, description="stop sending once this much is spent")
    cache: Optional[str] = Field(None, description="sqlite cache path (default .advisor-probe-cache.sqlite beside the config)")
    prompted_baseline: Optional[PromptedBaseline] = None
    shift: ShiftSpec = Field(default_factory=ShiftSpec)
    format: FormatSpec = Field(default_factory=FormatSpec)
    stats: StatsSpec = Field(default_factory=StatsSpec)

    # Where the config came from (not a YAML key): relative paths resolve against it.
    _dir: Path = Path(".")
    _file: str = "<config>"

    @field_validator("scorer", mode="before")
    @classmethod
    def _bare_scorer_name(cls, v: Any) -> Any:
        # `scorer: exact` is shorthand for `scorer: {type: exact}`.
        return {"type": v} if isinstance(v, str) else v

    @field_validator("suites")
    @classmethod
    def _no_duplicate_suites(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a suite is listed twice")
        if not v:
            raise ValueError("list at least one suite")
        return v

    @property
    def scorer_spec(self) -> ScorerSpec:
        """The eval-set scorer as a :class:`ScorerSpec` (a bare name becomes ``{type: name}``)."""
        return self.scorer

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self._dir / p

    def arm_endpoint(self, arm: str) -> Endpoint:
        """The endpoint of ``base`` or ``candidate``."""
        spec = self.models.endpoint(arm)
        return self._endpoint(spec.model, spec.api_base, spec.api_key_env, spec.revision, spec.params,
                              where=f"models.{arm}")

    def endpoint_for(self, model: str, where: str = "") -> Endpoint:
        """The endpoint of a model given only as a string (the judge, the paraphraser)."""
        for arm in ("base", "candidate"):
            if self.models.endpoint(arm).model == model:
                return self.arm_endpoint(arm)  # the same model as an arm: the same endpoint
        return self._endpoint(model, None, None, None, {}, where=where)

    def _endpoint(self, model: str, api_base: Optional[str], key_env: Optional[str], revision: Optional[str],
                  params: dict[str, Any], *, where: str) -> Endpoint:
        if api_base is None and self.router is not None and model in self.router.names:
            return Endpoint(model, None, None, revision, dict(params), router=True,
                            deployments=self.router.deployments(model), where=where)
        return Endpoint(model, api_base or self.api_base, key_env, revision, dict(params), where=where)

    def endpoints(self) -> list[Endpoint]:
        """Every endpoint a run of this config may call (arms, judge, paraphraser)."""
        out = [self.arm_endpoint("base"), self.arm_endpoint("candidate")]
        if self.scorer.type == "judge" and self.scorer.model:
            out.append(self.endpoint_for(self.scorer.model, "scorer.model"))
        if self.shift.paraphrase_model:
            out.append(self.endpoint_for(self.shift.paraphrase_model, "shift.paraphrase_model"))
        return out

    def settings(self) -> dict[str, Any]:
        """The locked decoding settings, as sent with every request and recorded in the output."""
        s: dict[str, Any] = {"temperature": self.temperature, "max_tokens": self.max_tokens}
        if self.top_p is not None:
            s["top_p"] = self.top_p
        if self.seed is not None:
            s["seed"] = self.seed
        return s


def sha256_text(text: str) -> str:
    """Hex sha256 of UTF-8 text (used to record prompts without printing them)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_config(path: str | Path) -> ProbeConfig:
    """Read and validate a probe config.

    Args:
        path: the YAML file.

    Returns:
        The validated config, remembering its folder for relative paths.

    Raises:
        UserError: malformed YAML, an unknown key, a bad value (file, line, key, allowed values).
    """
    file = str(path)
    data, lines = load_yaml(path, limit=LIMITS["config"], what="a probe config")
    if not isinstance(data, dict):
        raise UserError("expected a mapping of config keys (models, eval_set, ...)", file=file, line=1)
    try:
        cfg = ProbeConfig.model_validate(data)
    except ValidationError as e:
        raise validation_error(e, file=file, lines=lines, model=ProbeConfig) from None
    cfg._dir = Path(path).resolve().parent
    cfg._file = file
    needs_eval = [s for s in cfg.suites if s in ("task", "shift", "knowledge", "format")]
    if needs_eval and not cfg.eval_set:
        raise UserError(
            f"is required for the suites {', '.join(needs_eval)} (or run only --suites general)",
            file=file, line=lines.get(("suites",)), key="eval_set",
        )
    if cfg.router is not None:
        names = cfg.router.names
        for fb in cfg.router.fallbacks:
            for src, dests in fb.items():
                unknown = [n for n in (src, *dests) if n not in names]
                if unknown:
                    raise UserError(f"fallback names {', '.join(unknown)}, which no deployment in model_list has "
                                    f"(model names: {', '.join(sorted(names))})", file=file,
                                    line=lines.get(("router", "fallbacks")), key="router.fallbacks")
    spec = cfg.scorer_spec
    if spec.type == "choice" and not spec.choices:
        pass  # choices may come per case (the eval set's "choices" key); checked when loading cases
    if spec.type == "judge" and not (spec.model and spec.rubric):
        raise UserError("the judge scorer needs both 'model' and 'rubric'", file=file,
                        line=lines.get(("scorer",)), key="scorer")
    if spec.type == "json_schema" and spec.schema is None:
        raise UserError("the json_schema scorer needs 'schema' (inline or a path)", file=file,
                        line=lines.get(("scorer",)), key="scorer")
    return cfg


def load_schema(cfg: ProbeConfig, schema: str | dict | None, *, key: str) -> dict | None:
    """Load a JSON Schema given inline or as a path relative to the config."""
    if schema is None or isinstance(schema, dict):
        return schema
    p = cfg.resolve(schema)
    data = load_json(p, limit=LIMITS["schema"], what="a JSON Schema", allow_nan=False)
    if not isinstance(data, dict):
        raise UserError("expected a JSON Schema object ({...}), got " + type(data).__name__, file=str(p), line=1, key=key)
    try:
        import jsonschema

        jsonschema.validators.validator_for(data).check_schema(data)
    except jsonschema.SchemaError as e:
        raise UserError(f"not a valid JSON Schema: {e.message}", file=str(p), key=key) from None
    except RecursionError:
        raise UserError("JSON Schema nested too deeply to check", file=str(p), key=key) from None
    return data


class EvalCase(_Strict):
    """One line of the eval set."""

    input: str = Field(min_length=1)
    expected: str = ""
    context: Optional[str] = None
    id: Optional[str] = None
    choices: Optional[list[str]] = None

    @field_validator("expected", mode="before")
    @classmethod
    def _numbers_as_text(cls, v: Any) -> Any:
        # `"expected": 42` is a natural thing to write for numeric tasks.
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return str(v)
        return v


def load_eval_set(path: Path) -> list[EvalCase]:
    """Read a JSONL eval set; every bad line names its line number and key.

    Raises:
        UserError: unreadable file, malformed JSON, unknown keys, duplicate ids, no cases.
    """
    file = str(path)
    text = read_text(path, limit=LIMITS["eval_set"], what="an eval set")
    cases: list[EvalCase] = []
    seen: dict[str, int] = {}
    for no, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        obj = parse_json(raw, file=file, line=no, allow_nan=False)
        if not isinstance(obj, dict):
            raise UserError('expected a JSON object like {"input": ..., "expected": ...}', file=file, line=no)
        try:
            case = EvalCase.model_validate(obj)
        except ValidationError as e:
            err = validation_error(e, file=file, model=EvalCase)
            err.line = no
            raise err from None
        case.id = case.id or f"L{no}"
        if case.id in seen:
            raise UserError(f"duplicate id (first on line {seen[case.id]})", file=file, line=no, key="id")
        seen[case.id] = no
        cases.append(case)
    if not cases:
        raise UserError('the eval set has no cases; expected one JSON object a line, like {"input": "...", "expected": "..."}',
                        file=file)
    return cases

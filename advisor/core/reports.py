"""Reading back the JSON that ``advisor triage`` and ``advisor probe`` write.

``decide --triage/--evidence`` and ``triage --probe`` take those reports as
input, and a report may have been edited by hand or written by another
version. :func:`load_report` validates one with pydantic before anything reads
it, so a wrong value is one :class:`UserError` naming the file and the key
(``key 'suites[0].delta': expected a number``), never an ``AttributeError``
deep in the record renderer.

* A triage report is validated with :class:`advisor.core.triage.contract.TriageReport`,
  whose fields are those of the dataclasses that write it (``to_contract`` keys).
* A probe report is validated with :class:`ProbeReport` below, the shape
  ``advisor.core.probe.report`` builds (a test runs a real probe and checks
  its output against it).

Keys this version does not know are kept (a newer writer may add some); the
returned dict is the file's own data, unchanged.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor.core.io import LIMITS, load_json, validation_error
from advisor.errors import UserError

Verdict = Literal["improvement", "regression", "no_difference"]


class _Open(BaseModel):
    """Unknown keys allowed (another version may add some); known keys typed."""

    model_config = ConfigDict(extra="allow")


class ArmBlock(_Open):
    """One arm's scores in a suite."""

    mean: Optional[float] = Field(None, description="mean score over the scored cases")
    std: Optional[float] = Field(None, description="standard deviation of the scores")
    errors: Optional[int] = Field(None, ge=0, description="cases whose call or scoring failed")
    n: Optional[int] = Field(None, ge=0, description="cases scored")


class Comparison(_Open):
    """A paired comparison (candidate minus base, or with context minus closed-book)."""

    n: Optional[int] = Field(None, ge=0, description="paired cases")
    delta: Optional[float] = Field(None, description="mean difference")
    ci95: Optional[tuple[Optional[float], Optional[float]]] = Field(None, description="95% bootstrap interval")
    verdict: Optional[Verdict] = Field(None, description="improvement, regression or no_difference")


class ProbeSuite(Comparison):
    """One suite of a probe report."""

    id: str = Field(description="task, shift, general, knowledge or format")
    base: Optional[ArmBlock] = None
    candidate: Optional[ArmBlock] = None
    prompted: Optional[ArmBlock] = None
    vs_prompted: Optional[Comparison] = None
    drop: Optional[dict[str, Optional[float]]] = Field(None, description="shift: each arm's task mean minus its shift mean")
    closed_book: Optional[dict[str, ArmBlock]] = None
    with_context: Optional[dict[str, Any]] = None
    context_gain: Optional[dict[str, Comparison]] = None
    by_perturbation: Optional[dict[str, dict[str, Optional[float]]]] = None
    by_category: Optional[dict[str, dict[str, Any]]] = None


class ProbeReport(_Open):
    """What ``advisor probe --format json`` writes (the keys readers rely on)."""

    suites: list[ProbeSuite]
    models: Optional[dict[str, Optional[str]]] = None
    settings: Optional[dict[str, Any]] = None
    cost_usd: Optional[float] = None
    cost_note: Optional[str] = None
    tokens: Optional[dict[str, Optional[int]]] = None
    run: Optional[dict[str, Any]] = None
    api_base: Optional[str] = None
    warnings: list[str] = Field(default_factory=list)


#: kind -> (the command that writes it, keys a report of that kind always has)
_KINDS = {
    "triage": ("advisor triage --format json", ("causes", "findings")),
    "probe": ("advisor probe --format json", ("suites",)),
}


def check_report(data: Any, kind: str, *, file: str) -> dict[str, Any]:
    """Validate a parsed report of ``kind`` (``triage`` or ``probe``); return it unchanged.

    Raises:
        UserError: not an object, a key of the report missing (a file of the
            wrong kind), or a value of the wrong type; names the key.
    """
    producer, required = _KINDS[kind]
    if not isinstance(data, dict):
        raise UserError(f"expected a JSON object (the output of `{producer}`)", file=file, line=1)
    for key in required:
        if not isinstance(data.get(key), list):
            raise UserError(f"not a {kind} report: expected a list under {key!r} (the output of `{producer}`)",
                            file=file, key=key)
    if kind == "triage":
        from advisor.core.triage.contract import TriageReport as model
    else:
        model = ProbeReport  # type: ignore[assignment]
    try:
        model.model_validate(data)
    except ValidationError as e:
        err = validation_error(e, file=file, model=model)
        err.message = f"not a valid {kind} report: {err.message} (expected the output of `{producer}`)"
        raise err from None
    return data


def load_report(path: str, kind: str) -> dict[str, Any]:
    """Read and validate a triage or probe JSON report (see :func:`check_report`)."""
    data = load_json(path, limit=LIMITS["report"], what=f"a {kind} report")
    return check_report(data, kind, file=str(path))
